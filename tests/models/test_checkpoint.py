"""Our tensor-bundle reader on the real musicnn checkpoints and on broken files."""

from __future__ import annotations

import numpy as np
import pytest

from tagscape.errors import CheckpointError, NotFoundError, WeightsMissingError
from tagscape.models.checkpoint import load_checkpoint, read_index
from tagscape.models.registry import MODELS, WEIGHTS_ENV, get_model


def test_reads_every_variable_of_the_real_checkpoints():
    musicnn = load_checkpoint(get_model("musicnn-msd").weights_dir())
    assert musicnn["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert musicnn["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    assert musicnn["dense/kernel"].shape == (1506, 200)
    assert musicnn["dense_1/kernel"].shape == (200, 50)
    vgg = load_checkpoint(get_model("vgg-mtt").weights_dir())
    assert vgg["1CNN/kernel"].shape == (3, 3, 1, 128)
    assert vgg["dense/kernel"].shape == (256, 50)
    for variables in (musicnn, vgg):
        for name, value in variables.items():
            assert value.dtype == np.float32 or "power" in name or value.dtype.kind in "iu", name
            assert np.isfinite(value).all(), name
    # Trained weights, not an initialiser: moving variances differ from 1, kernels are not all alike.
    assert not np.allclose(musicnn["batch_normalization_10/moving_variance"], 1.0)
    assert musicnn["conv2d/kernel"].std() > 1e-3


def test_the_two_datasets_have_different_weights():
    msd = load_checkpoint(get_model("musicnn-msd").weights_dir())
    mtt = load_checkpoint(get_model("musicnn-mtt").weights_dir())
    assert set(msd) == set(mtt)
    assert not np.array_equal(msd["dense_1/kernel"], mtt["dense_1/kernel"])


def test_index_entries_point_inside_the_data_file():
    folder = get_model("vgg-msd").weights_dir()
    entries = read_index(folder / ".index")
    size = (folder / ".data-00000-of-00001").stat().st_size
    assert all(e.offset + e.size <= size for e in entries.values())
    assert entries["5CNN/kernel"].shape == (3, 3, 128, 128)


def test_broken_index_is_a_checkpoint_error(tmp_path):
    folder = get_model("vgg-msd").weights_dir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".index").write_bytes((folder / ".index").read_bytes()[:-10] + b"\0" * 10)
    (broken / ".data-00000-of-00001").write_bytes(b"")
    with pytest.raises(CheckpointError, match="bad magic"):
        load_checkpoint(broken)
    (broken / ".index").write_bytes((folder / ".index").read_bytes())
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(broken)  # the data file is empty


def test_missing_weights_say_how_to_install_them(tmp_path, monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path))
    with pytest.raises(WeightsMissingError, match="pip install --no-deps musicnn==0.1.0"):
        MODELS["musicnn-mtt"].weights_dir()


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(NotFoundError, match="musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt"):
        get_model("musicnn-xyz")
