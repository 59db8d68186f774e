"""VGGish's weights: the V1 checkpoint and frozen-graph readers, ``models add``, and what every
command says while the weights are missing.

The small files in tests/data/vggish were written by TensorFlow itself (make_fixtures.py);
the full-size ones are written here with random values in the same documented formats
(tfformats.py, whose output TensorFlow 2.15 reads back: see tests/data/README.md).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import DATA, chord, write_audio
from tagscape.cli import main
from tagscape.errors import CheckpointError, WeightsMissingError
from tagscape.models.added import match_variables, read_weights_file
from tagscape.models.checkpoint_v1 import load_checkpoint_v1
from tagscape.models.graphdef import load_graph_constants
from tagscape.models.graphs import vggish_variable_shapes
from tagscape.models.registry import ADDED_WEIGHTS_ENV, VGGISH_CHECKPOINT_URL, get_model
from tagscape.models.session import CACHE_ENV
from tfformats import vggish_random_weights, write_frozen_graph, write_v1_checkpoint

FIXTURES = DATA / "vggish"


@pytest.fixture(scope="module")
def tiny_expected():
    with np.load(FIXTURES / "tiny_expected.npz") as npz:
        return {name: npz[name] for name in npz.files}


def test_v1_reader_on_a_checkpoint_written_by_tensorflow(tiny_expected):
    variables = load_checkpoint_v1(FIXTURES / "tiny_v1.ckpt")
    assert set(variables) == set(tiny_expected) | {"global_step", "extra/partitioned"}
    for name, value in tiny_expected.items():
        assert variables[name].dtype == np.float32
        np.testing.assert_array_equal(variables[name], value, err_msg=name)
    assert variables["global_step"].dtype == np.int64 and int(variables["global_step"]) == 1234
    # Saved as three slices of two rows each, assembled in place.
    np.testing.assert_array_equal(variables["extra/partitioned"], np.arange(12, dtype=np.float32).reshape(6, 2))


def test_graph_reader_on_a_graph_frozen_by_tensorflow(tiny_expected):
    constants = load_graph_constants(FIXTURES / "tiny_frozen.pb")
    for name, value in tiny_expected.items():
        np.testing.assert_array_equal(constants[f"model/{name}"], value, err_msg=name)
    found, fmt = read_weights_file(FIXTURES / "tiny_frozen.pb")
    assert "frozen" in fmt and set(found) == set(constants)


def test_our_writers_round_trip_through_the_readers(tmp_path, tiny_expected):
    variables = dict(tiny_expected, step=np.int64(7), other=np.arange(5.0))
    read, fmt = read_weights_file(write_v1_checkpoint(tmp_path / "x.ckpt", variables))
    assert fmt.startswith("TensorFlow 1 checkpoint")
    for name, value in variables.items():
        np.testing.assert_array_equal(read[name], value)
    constants = load_graph_constants(write_frozen_graph(tmp_path / "x.pb", tiny_expected, prefix="net/model/"))
    assert set(constants) == {f"net/model/{name}" for name in tiny_expected}


def test_names_and_shapes_are_checked(tiny_expected):
    expected = vggish_variable_shapes()
    with pytest.raises(CheckpointError, match="does not have VGGish's shapes: vggish/conv1/weights is \\(3, 3, 1, 2\\), expected \\(3, 3, 1, 64\\)"):
        match_variables(tiny_expected, expected, what="tiny")
    partial = {name: np.zeros(shape, np.float32) for name, shape in expected.items() if "fc2" not in name}
    with pytest.raises(CheckpointError, match="lacks 2 of the 18 VGGish variables \\(vggish/fc2/weights, vggish/fc2/biases\\)"):
        match_variables(partial, expected, what="partial")
    doubled = {f"a/{name}": np.zeros(shape, np.float32) for name, shape in expected.items()} | {"b/vggish/fc2/biases": np.zeros(128, np.float32)}
    with pytest.raises(CheckpointError, match="more than once"):
        match_variables(doubled, expected, what="doubled")
    nan = {name: np.zeros(shape, np.float32) for name, shape in expected.items()}
    nan["vggish/fc2/biases"][3] = np.nan
    with pytest.raises(CheckpointError, match="NaN"):
        match_variables(nan, expected, what="nan")
    # Prefixes (Essentia's model/) and tensor suffixes (:0) are stripped; other tensors ignored.
    named = {f"model/{name}:0": np.zeros(shape, np.float64) for name, shape in expected.items()} | {"model/Placeholder": np.zeros(1)}
    matched = match_variables(named, expected, what="named")
    assert set(matched) == set(expected) and all(v.dtype == np.float32 for v in matched.values())


# -- the command line, with weights isolated in tmp folders ------------------------------------


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("vggish-homes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ADDED_WEIGHTS_ENV, str(root / "weights"))
        patch.setenv(CACHE_ENV, str(root / "cache"))
        yield root


@pytest.fixture(scope="module")
def release_like_checkpoint(homes):
    """A full-size V1 checkpoint with VGGish's variable names, random values and a global_step."""
    weights = vggish_random_weights(seed=3)
    path = write_v1_checkpoint(homes / "vggish_model.ckpt", {**weights, "global_step": np.int64(1)})
    return path, weights


def _run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def test_without_weights_every_command_says_what_is_missing(homes, tmp_path):
    listed = _run("models", "list", "--json")
    row = {r["model_id"]: r for r in json.loads(listed.stdout)}["vggish-audioset"]
    assert listed.exit_code == 0 and not row["available"] and row["layers"] == {"embeddings": 128}
    assert row["weights_status"] == (f"weights missing: download {VGGISH_CHECKPOINT_URL} and run: "
                                     "tagscape models add vggish-audioset vggish_model.ckpt")
    table = _run("models", "list")
    assert "weights missing: download" in table.output and "vggish_model.ckpt" in table.output
    audio = write_audio(tmp_path / "a.wav", chord(2.0, 16000), 16000)
    analyzed = _run("analyze", audio, "-m", "vggish-audioset", "-o", tmp_path / "x.npz")
    assert analyzed.exit_code == 2
    assert analyzed.output.strip().splitlines()[-1] == (f"Error: weights for vggish-audioset are missing: download {VGGISH_CHECKPOINT_URL} "
                                                        "and run: tagscape models add vggish-audioset vggish_model.ckpt")
    # Without -m, the packaged models run and VGGish is left out rather than failing.
    default = _run("analyze", audio, "-o", "-.json")
    assert default.exit_code == 0 and "vggish-audioset" not in json.loads(default.stdout)["models"]
    with pytest.raises(WeightsMissingError, match="models add vggish-audioset"):
        get_model("vggish-audioset").weights_dir()


def test_models_add_rejects_bad_files_in_one_line(homes, tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    cases = {
        "missing": (tmp_path / "nope.ckpt", "no such file"),
        "garbage": (garbage, "not a TensorFlow checkpoint or frozen graph"),
        "tiny v1": (FIXTURES / "tiny_v1.ckpt", "does not have VGGish's shapes"),
        "tiny pb": (FIXTURES / "tiny_frozen.pb", "does not have VGGish's shapes"),
        "folder": (tmp_path, "is a folder"),
    }
    for label, (path, message) in cases.items():
        result = _run("models", "add", "vggish-audioset", path)
        assert result.exit_code == 2, label
        assert message in result.output.strip().splitlines()[-1], (label, result.output)
    packaged = _run("models", "add", "musicnn-msd", FIXTURES / "tiny_v1.ckpt")
    assert packaged.exit_code == 2 and "come with the musicnn package" in packaged.output
    assert not (homes / "weights" / "vggish-audioset" / "weights.npz").exists()


@pytest.fixture(scope="module")
def added(homes, release_like_checkpoint):
    """``tagscape models add`` of the full-size checkpoint, once for the module."""
    return _run("models", "add", "vggish-audioset", release_like_checkpoint[0])


def test_models_add_converts_stores_and_then_vggish_runs(homes, release_like_checkpoint, added, tmp_path):
    path, weights = release_like_checkpoint
    assert added.exit_code == 0, added.output
    folder = homes / "weights" / "vggish-audioset"
    assert "18 variables (72,141,184 parameters)" in added.output and "V1" in added.output
    assert f"Weights stored in {folder}" in added.output
    converted = next((homes / "cache" / "models").glob("vggish-audioset-*.onnx"))
    assert f"Converted graph: {converted}" in added.output
    with np.load(folder / "weights.npz") as npz:
        assert set(npz.files) == set(weights)  # global_step left out
        np.testing.assert_array_equal(npz["vggish/fc1/fc1_1/weights"], weights["vggish/fc1/fc1_1/weights"])
    manifest = json.loads((folder / "source.json").read_text())
    assert manifest["source"] == str(path) and manifest["source_sha256"]

    row = {r["model_id"]: r for r in json.loads(_run("models", "list", "--json").stdout)}["vggish-audioset"]
    assert row["available"] and row["converted"] == str(converted)

    # 2.5 s at 22.05 kHz: 248 VGGish frames at 16 kHz -> 2 segments of 0.96 s.
    audio = write_audio(tmp_path / "b.flac", chord(2.5, 22050), 22050)
    analyzed = _run("analyze", audio, "-m", "vggish-audioset", "-m", "vgg-mtt", "-o", "-.json")
    assert analyzed.exit_code == 0, analyzed.output
    models = json.loads(analyzed.stdout)["models"]
    vggish = models["vggish-audioset"]
    assert vggish["segment_seconds"] == 0.96 and vggish["segment_starts"] == [0.0, 0.96]
    assert np.array(vggish["embeddings"]).shape == (2, 128) and "taggrams" not in vggish and vggish["tags"] == []
    assert len(models["vgg-mtt"]["taggrams"]) == 1  # the 3 s model on the same file: one repeat-padded patch


def test_an_unwritable_weights_folder_is_one_line(release_like_checkpoint, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the weights folder should be")
    monkeypatch.setenv(ADDED_WEIGHTS_ENV, str(blocker))
    result = _run("models", "add", "vggish-audioset", release_like_checkpoint[0])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(f"Error: cannot write the weights to {blocker / 'vggish-audioset'} (")


def test_extract_stores_vggish_segments_of_0_96_s(homes, added, tmp_path):
    from tagscape.collection import open_collection

    folder = tmp_path / "songs"
    folder.mkdir()
    write_audio(folder / "a.ogg", chord(4.0, 44100), 44100)  # 1 + (64000 - 400) // 160 = 398 frames: 4 segments
    write_audio(folder / "b.wav", chord(0.5, 16000), 16000)  # shorter than a segment: one, repeat-padded
    assert _run("index", folder).exit_code == 0
    extracted = _run("extract", "-c", folder, "-m", "vggish-audioset")
    assert extracted.exit_code == 0 and "2 tracks extracted" in extracted.output, extracted.output
    with open_collection(folder) as collection:
        layer = collection.layer("vggish-audioset", "embeddings")
        keys = {t["track_id"]: t["key"] for t in collection.tracks()}
        counts = {keys[int(t)]: layer.track(t).shape for t in layer.track_ids}
        seconds = {row[0] for row in collection.store.conn.execute("SELECT segment_seconds FROM results WHERE model_id = 'vggish-audioset'")}
    assert counts == {"a.ogg": (4, 128), "b.wav": (1, 128)} and seconds == {0.96}
    assert "vggish-audioset done      2  pending      0  failed      0" in _run("status", "-c", folder).output


def test_a_full_size_essentia_style_frozen_graph_is_read_and_matched(homes, release_like_checkpoint):
    _, weights = release_like_checkpoint
    pb = write_frozen_graph(homes / "audioset-vggish-3.pb", weights, prefix="model/")
    found, fmt = read_weights_file(pb)
    pb.unlink()
    assert "frozen" in fmt and "model/Placeholder" not in found  # only Const nodes
    matched = match_variables(found, vggish_variable_shapes(), what="pb")
    for name, value in weights.items():
        np.testing.assert_array_equal(matched[name], value, err_msg=name)
