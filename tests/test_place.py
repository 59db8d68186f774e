"""A new file on existing maps (tagscape.place): real recordings, real models, real maps.

A file of the collection, placed as if it were new, must land on its own stored points: exactly
(up to float32 rounding) where the map is a function of the layer (original axes, PCA), and
near them where the map places points by optimisation (t-SNE, UMAP transform).
"""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import chord, write_audio

from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.errors import AudioError, NotFoundError, ReadOnlyError, UsageError
from tagscape.extract import extract_collection
from tagscape.place import (
    MapSpec,
    PlaceLimits,
    Placer,
    UploadTooLargeError,
    knn_place,
    placed_dir,
    placed_entry,
)
from tagscape.projections.maps import MapStore

MODEL = "musicnn-mtt"
LAYER = "taggrams"


@pytest.fixture(scope="module")
def placed_collection(tmp_path_factory, music_files):
    """Four real recordings, one model, offline PCA, std-PCA and t-SNE maps."""
    root = tmp_path_factory.mktemp("place")
    for path in music_files[:4]:
        shutil.copy(path, root / path.name)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, [MODEL])
        for method in ("pca", "std-pca", "tsne"):
            MapStore(collection).compute(MODEL, LAYER, method)
        yield collection


@pytest.fixture(scope="module")
def placer():
    return Placer()


def _own_points(collection, key: str, projection: str, **spec):
    track = next(t for t in collection.tracks() if t["key"] == key)
    proj = collection.projection(MODEL, LAYER, projection, components=(spec.get("x", "0"), spec.get("y", "1")))
    mine = proj.track_ids == track["track_id"]
    return track, proj.coords[mine], proj.coords


@pytest.mark.parametrize("projection,x,y", [("original", "guitar", "piano"), ("pca", "0", "1"), ("pca", "2", "5"), ("std-pca", "0", "1")])
def test_a_collection_file_placed_as_new_lands_on_its_own_points(placed_collection, placer, music_files, projection, x, y):
    source = music_files[1]
    result = placer.place(placed_collection, source, [MapSpec(MODEL, LAYER, projection, x, y)], k=3)
    placed = result.maps[0]
    track, own, everything = _own_points(placed_collection, source.name, projection, x=x, y=y)
    assert placed.placement == ("direct" if projection == "original" else "transform")
    # The same float16 rows and the same float32 weights: only the BLAS product's blocking over
    # another number of rows may change the last bits, so 1e-5 of the map's extent.
    scale = float(np.ptp(everything, axis=0).max())
    np.testing.assert_allclose(placed.coords, own, rtol=0, atol=1e-5 * scale)
    assert placed.neighbours[0]["track_id"] == track["track_id"]
    assert placed.neighbours[0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert len(placed.neighbours) == 3
    assert result.added_track_id is None and result.token is None


def test_tsne_transform_places_a_collection_file_beside_its_own_points(placed_collection, placer, music_files):
    source = music_files[2]
    placed = placer.place(placed_collection, source, [MapSpec(MODEL, LAYER, "tsne")]).maps[0]
    track, own, everything = _own_points(placed_collection, source.name, "tsne")
    assert placed.placement == "transform" and placed.source == "offline"
    # openTSNE's transform optimises each new point against the fixed map (from the median of
    # its neighbours' positions): a duplicate lands beside its twin, not on it. Tolerance: every
    # segment within 10 % of the map's diagonal of its own point (measured: at most 5 %), and
    # most of them nearer to a point of their own track than to any other track's.
    diagonal = float(np.linalg.norm(np.ptp(everything, axis=0)))
    distance = np.linalg.norm(placed.coords - own, axis=1)
    assert distance.max() < 0.10 * diagonal, distance / diagonal
    nearest = np.argmin(np.linalg.norm(placed.coords[:, None, :] - everything[None, :, :], axis=2), axis=1)
    proj = placed_collection.projection(MODEL, LAYER, "tsne")
    assert np.mean(proj.track_ids[nearest] == track["track_id"]) >= 0.8


@pytest.mark.slow
def test_umap_transform_places_a_collection_file_beside_its_own_points(placed_collection, placer, music_files):
    MapStore(placed_collection).compute(MODEL, LAYER, "umap")  # about 25 s, then 16 s compiling transform
    source = music_files[0]
    placed = placer.place(placed_collection, source, [MapSpec(MODEL, LAYER, "umap")]).maps[0]
    track, own, everything = _own_points(placed_collection, source.name, "umap")
    assert placed.placement == "transform"
    # umap-learn's transform starts new points from their neighbours in the fitted graph, then a
    # few epochs of optimisation: looser than t-SNE's (measured: up to 18 % of the diagonal), so
    # 25 %, and most segments nearer to a point of their own track than to any other track's.
    diagonal = float(np.linalg.norm(np.ptp(everything, axis=0)))
    assert np.linalg.norm(placed.coords - own, axis=1).max() < 0.25 * diagonal
    nearest = np.argmin(np.linalg.norm(placed.coords[:, None, :] - everything[None, :, :], axis=2), axis=1)
    proj = placed_collection.projection(MODEL, LAYER, "umap")
    assert np.mean(proj.track_ids[nearest] == track["track_id"]) >= 0.8


def test_an_on_demand_map_places_by_nearest_neighbours_and_says_so(placed_collection, placer, music_files):
    tracks = {t["key"]: t["track_id"] for t in placed_collection.tracks()}
    subset = tuple(sorted(tracks[path.name] for path in music_files[:3]))
    placed = placer.place(placed_collection, music_files[0], [MapSpec(MODEL, LAYER, "tsne", track_ids=subset)]).maps[0]
    assert placed.source == "on-demand" and placed.placement == "nearest-neighbours"
    assert "approximation" in placed.note
    proj = placed_collection.projection(MODEL, LAYER, "tsne", tracks=list(subset))
    own = proj.coords[proj.track_ids == tracks[music_files[0].name]]
    # Every segment equals a stored one (same float16 rows): weighted by 1e12 against its
    # other neighbours' 1 / distance, it lands on its twin to 1e-6 of the map's extent.
    np.testing.assert_allclose(placed.coords, own, rtol=0, atol=1e-6 * float(np.ptp(proj.coords)))


def test_a_reducer_this_user_did_not_sign_is_not_read(placed_collection, music_files, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another-user"))  # another key: the signature fails
    placed = Placer().place(placed_collection, music_files[3], [MapSpec(MODEL, LAYER, "tsne")]).maps[0]
    assert placed.placement == "nearest-neighbours" and "not signed" in placed.note
    _, own, everything = _own_points(placed_collection, music_files[3].name, "tsne")
    np.testing.assert_allclose(placed.coords, own, rtol=0, atol=1e-6 * float(np.ptp(everything)))


def test_knn_place_on_planted_points():
    reference = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float16)
    coords = np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]], np.float32)
    queries = np.array([[10, 10], [5, 0]], np.float32)
    out = knn_place(reference=reference, coords=coords, queries=queries, k=2, chunk_rows=3)  # chunks: the merge is exercised
    np.testing.assert_allclose(out[0], [1, 1], atol=1e-6)  # on its twin
    np.testing.assert_allclose(out[1], [0, -1], atol=1e-6)  # halfway between two equidistant neighbours


def test_limits_and_bad_files_are_refused_before_anything_is_kept(placed_collection, music_files, tmp_path):
    spec = [MapSpec(MODEL, LAYER, "pca")]
    with pytest.raises(UploadTooLargeError) as too_big:
        Placer(PlaceLimits(max_bytes=1000)).place(placed_collection, music_files[0], spec, keep_audio=True)
    assert too_big.value.http_status == 413 and music_files[0].name in too_big.value.message
    with pytest.raises(AudioError, match="more than the 0.1 min"):
        Placer(PlaceLimits(max_seconds=6)).place(placed_collection, music_files[0], spec, keep_audio=True)
    junk = tmp_path / "not audio #?%.mp3"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(AudioError) as bad:
        Placer().place(placed_collection, junk, spec, name="upload ü.mp3", keep_audio=True)
    assert bad.value.http_status == 422 and "upload ü.mp3" in bad.value.message and str(tmp_path) not in bad.value.message
    tiny = write_audio(tmp_path / "tiny.flac", chord(1.0, 22050), 22050)  # a third of a MusiCNN segment: padded to one
    assert Placer().place(placed_collection, tiny, spec, name="tiny upload.flac").maps[0].coords.shape == (1, 2)
    with pytest.raises(UsageError, match="1 to 4 maps"):
        Placer().place(placed_collection, music_files[0], spec * 5)
    folder = placed_dir(placed_collection)
    assert not folder.exists() or not any(folder.iterdir())


def test_kept_placements_are_bounded(placed_collection, music_files):
    placer = Placer(PlaceLimits(keep=2))
    tokens = [placer.place(placed_collection, music_files[i], [MapSpec(MODEL, LAYER, "original")], keep_audio=True).token for i in range(3)]
    kept = sorted(p.name for p in placed_dir(placed_collection).iterdir())
    assert len(kept) == 2 and tokens[2] in kept
    for token in kept:
        files = sorted(p.name for p in (placed_dir(placed_collection) / token).iterdir())
        assert files[1] == "placement.json" and files[0].startswith("audio")
    info, audio = placed_entry(placed_collection, tokens[2], max_age=60)
    assert info["token"] == tokens[2] and audio.is_file()
    old = time.time() - 120
    os.utime(placed_dir(placed_collection) / tokens[2], (old, old))
    with pytest.raises(NotFoundError):  # older than the limit: gone for listeners, swept by the next placement
        placed_entry(placed_collection, tokens[2], max_age=60)


def test_add_puts_the_file_in_the_collection_with_its_results(tmp_path, music_files):
    root = tmp_path / "grow here"
    root.mkdir()
    shutil.copy(music_files[0], root / music_files[0].name)
    index_folder(root)
    upload = tmp_path / "upload.mp3"
    shutil.copy(music_files[4], upload)
    with open_collection(root) as collection:
        extract_collection(collection, [MODEL])
        result = Placer().place(collection, upload, [MapSpec(MODEL, LAYER, "original")], name="Ünïcode #1?.mp3", add=True)
        assert result.added_track_id is not None
        track = collection.track(result.added_track_id)
        assert track["key"] == "added/Ünïcode #1?.mp3" and (root / track["path"]).is_file()
        assert collection.store.pending(MODEL) == []  # its results are stored: nothing left to extract
        array = collection.layer(MODEL, LAYER)
        stored = np.asarray(array.track(result.added_track_id), np.float32)
        # Stored as float16, placed from the same float16 rounding: the same numbers, no arithmetic.
        np.testing.assert_array_equal(stored[:, :2], result.maps[0].coords)
    with open_collection(root, readonly=True) as read_only:
        with pytest.raises(ReadOnlyError):
            Placer().place(read_only, upload, [MapSpec(MODEL, LAYER, "original")], add=True)


def test_cli_place_prints_where_the_file_lands_and_its_nearest_tracks(placed_collection, music_files):
    result = CliRunner().invoke(main, ["place", str(music_files[1]), "-c", str(placed_collection.data_dir), "-m", MODEL,
                                       "--projection", "pca", "--projection", "tsne", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert f"{MODEL} taggrams pca (PC 1" in result.output and "by transform" in result.output
    assert "1. 1.000" in result.output  # its own track first
    bad = CliRunner().invoke(main, ["place", str(placed_collection.data_dir / "tagscape.db"), "-c", str(placed_collection.data_dir), "-m", MODEL])
    assert bad.exit_code == 1 and "Error:" in bad.output and "Traceback" not in bad.output
