"""Maps of a real collection: original axes, offline maps kept up to date, on-demand subsets, averages."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.errors import UsageError
from tagscape.extract import extract_collection
from tagscape.projections.maps import MapStore, project_track_means

MODEL = "vgg-mtt"


@pytest.fixture(scope="module")
def collection(tmp_path_factory, music_files):
    root = tmp_path_factory.mktemp("maps")
    for path in music_files[:4]:
        shutil.copy(path, root / path.name)
    index_folder(root)
    collection = open_collection(root)
    extract_collection(collection, [MODEL])
    yield collection
    collection.close()


def test_original_axes_are_the_layer_columns_by_tag_name(collection):
    projection = collection.projection(MODEL, "taggrams", "original", components=("piano", "techno"))
    layer = collection.layer(MODEL, "taggrams")
    piano, techno = 9, 3  # positions in the MTT tag list
    np.testing.assert_array_equal(projection.coords, np.asarray(layer.values[:, [piano, techno]], np.float32))
    assert projection.axis_labels == ("piano", "techno")
    by_index = collection.projection(MODEL, "embeddings", "original", components=(17, 3))
    assert by_index.axis_labels == ("dim 17", "dim 3")
    assert len(by_index.track_ids) == layer.values.shape[0] == len(by_index.segment_index)


def test_pca_map_is_fitted_once_on_all_segments_and_reused(collection):
    first = collection.projection(MODEL, "embeddings", "pca", components=(0, 1))
    explained = first.explained_variance
    assert len(explained) == 10 and explained == sorted(explained, reverse=True) and sum(explained) <= 1 + 1e-6
    assert first.axis_labels[0].startswith("PC 1 (") and first.source == "offline"
    other = collection.projection(MODEL, "embeddings", "pca", components=(2, 5))
    assert other.axis_labels[1].startswith("PC 6 (")
    assert MapStore(collection).status(MODEL, "embeddings")["pca"] == "fresh"
    subset = collection.projection(MODEL, "embeddings", "pca", tracks=[int(first.track_ids[-1])])
    np.testing.assert_array_equal(subset.coords, first.coords[first.track_ids == first.track_ids[-1]])


def test_std_pca_differs_from_pca(collection):
    pca = collection.projection(MODEL, "taggrams", "pca")
    std = collection.projection(MODEL, "taggrams", "std-pca")
    assert not np.allclose(np.abs(pca.coords), np.abs(std.coords))


def test_on_demand_subset_map_is_cached_by_track_set(collection):
    ids = [t["track_id"] for t in collection.tracks()]
    a = collection.projection(MODEL, "embeddings", "umap", tracks=ids[:3], random_state=1)
    assert a.source == "on-demand" and set(a.track_ids.tolist()) == set(ids[:3])
    again = collection.projection(MODEL, "embeddings", "umap", tracks=ids[:3], random_state=1)
    np.testing.assert_array_equal(a.coords, again.coords)
    cached = list((collection.data_dir / "cache").glob(f"{MODEL}.embeddings.umap.*.npy"))
    assert len(cached) == 1
    collection.projection(MODEL, "embeddings", "umap", tracks=ids[:2], random_state=1)
    assert len(list((collection.data_dir / "cache").glob(f"{MODEL}.embeddings.umap.*.npy"))) == 2


def test_averages_are_means_of_segment_positions(collection):
    projection = collection.projection(MODEL, "taggrams", "pca")
    ids, means, spread = projection.track_averages()
    for track_id, mean, size in zip(ids, means, spread):
        points = projection.coords[projection.track_ids == track_id]
        np.testing.assert_allclose(mean, points.mean(axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(size, np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()), rtol=1e-5, atol=1e-6)
    track_means = project_track_means(collection, MODEL, "taggrams", "pca")
    assert track_means.coords.shape == (len(ids), 2)


def test_bad_axes_and_methods_are_usage_errors(collection):
    with pytest.raises(UsageError, match="unknown axis 'banjo'"):
        collection.projection(MODEL, "taggrams", "original", components=("banjo", "piano"))
    with pytest.raises(UsageError, match="out of range"):
        collection.projection(MODEL, "embeddings", "original", components=(0, 256))
    with pytest.raises(UsageError, match="unknown projection"):
        collection.projection(MODEL, "embeddings", "mds")


def test_new_tracks_are_placed_into_the_existing_map(tmp_path, music_files):
    root = tmp_path / "grow"
    root.mkdir()
    for path in music_files[:3]:
        shutil.copy(path, root / path.name)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, [MODEL])
        before = collection.projection(MODEL, "embeddings", "tsne")
        reducer = next((collection.data_dir / "maps").glob(f"{MODEL}.embeddings.tsne.pkl"))
        fitted_at = reducer.stat().st_mtime_ns
    shutil.copy(music_files[3], root / music_files[3].name)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, [MODEL])
        assert MapStore(collection).status(MODEL, "embeddings")["tsne"] == "stale"
        result = CliRunner().invoke(main, ["project", "-c", str(root), "-m", MODEL, "--layer", "embeddings", "--method", "tsne", "--report"])
        assert result.exit_code == 0, result.output
        assert "trustworthiness" in result.output
        after = collection.projection(MODEL, "embeddings", "tsne", compute_offline=False)
        assert reducer.stat().st_mtime_ns == fitted_at  # placed, not refitted
        old = np.isin(after.track_ids, before.track_ids)
        np.testing.assert_array_equal(after.coords[old], before.coords)
        new = after.coords[~old]
        assert len(new) == 6 and np.isfinite(new).all()
        low, high = before.coords.min(axis=0), before.coords.max(axis=0)
        span = high - low
        assert np.all(new >= low - span) and np.all(new <= high + span)  # placed within the map


def test_a_cancelled_on_demand_tsne_stops_with_a_409_error(collection):
    from tagscape.projections.methods import Cancelled

    ids = [t["track_id"] for t in collection.tracks()][:3]
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1  # let it start, then ask for something else

    with pytest.raises(Cancelled) as info:
        collection.projection(MODEL, "taggrams", "tsne", tracks=ids, random_state=7, cancel=cancel)
    assert info.value.http_status == 409
    assert not list((collection.data_dir / "cache").glob(f"{MODEL}.taggrams.tsne.*.npy"))  # nothing cached
