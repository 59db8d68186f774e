"""A collection made before MusiCNN's embeddings were redefined (store version 1, results of
revision 1) upgrades with one command, and never mixes old rows with new ones."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.errors import ReadOnlyError
from tagscape.extract import extract_collection
from tagscape.projections.maps import MapStore
from tagscape.store.db import DB_NAME

MODELS = ("musicnn-msd", "vgg-mtt")


def make_version_1_store(data_dir) -> None:
    """Turn a store of today into what tagscape wrote before revisions existed: no `revision`
    column, schema version 1, and MusiCNN's embeddings as musicnn's batch_norm(relu(dense))
    (every value then >= one constant per dimension: here all set to their row's minimum)."""
    conn = sqlite3.connect(data_dir / DB_NAME)
    rows = conn.execute("SELECT track_id, n_rows, n_cols, data FROM layers WHERE model_id = 'musicnn-msd' AND layer = 'embeddings'").fetchall()
    for track_id, n_rows, n_cols, data in rows:
        values = np.frombuffer(data, "<f2").reshape(n_rows, n_cols)
        old_style = np.maximum(values, 0).astype("<f2")
        conn.execute("UPDATE layers SET data = ? WHERE track_id = ? AND model_id = 'musicnn-msd' AND layer = 'embeddings'",
                     (old_style.tobytes(), track_id))
    conn.execute("ALTER TABLE results DROP COLUMN revision")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    for path in (data_dir / "maps").glob("*.npz"):  # maps had no revision either
        with np.load(path) as npz:
            stored = {name: npz[name] for name in npz.files if name != "revision"}
        np.savez(path, **stored)


@pytest.fixture
def old_collection(tmp_path, music_files):
    root = tmp_path / "music"
    root.mkdir()
    for path in music_files[:3]:
        shutil.copy(path, root / path.name)
    data = tmp_path / "data"
    index_folder(root, data_dir=data)
    with open_collection(data) as collection:
        assert extract_collection(collection, MODELS, threads=2).done == 3
        for model_id in MODELS:  # arrays and a map of the old rows, as an old server left them
            collection.layer(model_id, "embeddings")
            MapStore(collection).compute(model_id, "embeddings", "pca")
    make_version_1_store(data)
    return data


def test_an_old_store_reports_outdated_results_and_upgrades_with_one_command(old_collection):
    data = old_collection
    status = CliRunner().invoke(main, ["status", "-c", str(data)])
    assert status.exit_code == 0, status.output
    msd_line = next(line for line in status.output.splitlines() if line.startswith("musicnn-msd"))
    assert "done      0" in msd_line and "pending      3" in msd_line
    assert "outdated 3" in status.output and "dense/BiasAdd" in status.output
    assert f"tagscape extract -c {data} -m musicnn-msd" in status.output
    assert "vgg-mtt        done      3" in status.output  # VGG's layers did not change

    with open_collection(data) as collection:
        # Nothing of the old revision is read: no arrays, no map built from it, no results.
        assert collection.layer("musicnn-msd", "embeddings").values.shape[0] == 0
        assert collection.layer("musicnn-msd", "taggrams").values.shape[0] == 0
        assert collection.store.result_models() == ["vgg-mtt"]
        assert MapStore(collection).load("musicnn-msd", "embeddings", "pca") is None
        assert collection.layer("vgg-mtt", "embeddings").values.shape[0] > 0

    result = CliRunner().invoke(main, ["extract", "-c", str(data), "-m", "musicnn-msd", "-m", "vgg-mtt"])
    assert result.exit_code == 0, result.output
    assert "musicnn-msd: 3 tracks are analysed again" in result.output and "vgg-mtt" not in result.output.split("tracks extracted")[0]
    assert "3 tracks extracted" in result.output

    with open_collection(data) as collection:
        counts = collection.store.counts("musicnn-msd")
        assert (counts.done, counts.outdated, counts.pending) == (3, 0, 0)
        embeddings = np.asarray(collection.layer("musicnn-msd", "embeddings").values, np.float32)
        assert embeddings.shape[0] == 18 and (embeddings < 0).mean() > 0.3  # the pre-activation, not the old rows
        # The old map is refitted on the new rows, never extended by placing them into it.
        maps = MapStore(collection)
        stored = maps.compute("musicnn-msd", "embeddings", "pca")
        assert int(stored["revision"]) == 2 and stored["coords"].shape[0] == 18
        np.testing.assert_array_equal(stored["coords"], maps.compute("musicnn-msd", "embeddings", "pca", refit=True)["coords"])
    again = CliRunner().invoke(main, ["status", "-c", str(data)])
    assert "outdated" not in again.output


def test_a_read_only_open_of_an_old_store_says_how_to_upgrade(old_collection):
    with pytest.raises(ReadOnlyError, match="older tagscape .* tagscape status -c"):
        with open_collection(old_collection, readonly=True) as collection:
            collection.store.counts("vgg-mtt")
