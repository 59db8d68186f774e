"""What a request may compute (bounded work), single flight and bounded caches of on-demand
maps, and fitted reducers that a data folder from someone else cannot turn into code."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import chord, write_audio
from tagscape.collection import index_folder, open_collection
from tagscape.errors import MapNotReadyError, UntrustedFileError, UsageError
from tagscape.projections import maps, signed
from tagscape.projections.maps import MapStore
from tagscape.web import create_app

N_TRACKS, N_SEGMENTS = 6, 40


@pytest.fixture
def collection_dir(tmp_path, monkeypatch):
    """Six tracks with stored (random, clustered) musicnn-mtt results; no model runs."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "music"
    root.mkdir()
    for i in range(N_TRACKS):
        write_audio(root / f"t{i}.wav", chord(1.0, 8000, freqs=(220.0 * (i + 1),)), 8000)
    index_folder(root)
    rng = np.random.default_rng(1)
    with open_collection(root) as collection:
        for i, track in enumerate(collection.tracks()):
            centre = rng.random(50) * (i + 1) / N_TRACKS
            taggrams = np.clip(centre + 0.05 * rng.standard_normal((N_SEGMENTS, 50)), 0, 1).astype(np.float16)
            collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": taggrams, "embeddings": rng.standard_normal((N_SEGMENTS, 200)).astype(np.float16)})
    return root


def points(http, **params):
    query = "&".join(f"{k}={v}" for k, v in {"model": "musicnn-mtt", "layer": "taggrams", "format": "json", **params}.items())
    return http.get(f"/api/points?{query}")


def test_a_request_never_fits_a_whole_collection_tsne_beyond_the_on_demand_limit(collection_dir, monkeypatch):
    monkeypatch.setattr(maps, "ON_DEMAND_LIMIT", N_TRACKS * N_SEGMENTS - 1)
    client = create_app(str(collection_dir), {"TESTING": True}).test_client()
    for projection in ("tsne", "umap"):
        response = points(client, projection=projection)
        assert response.status_code == 409, response.get_data(as_text=True)
        assert f"tagscape project -c {collection_dir / '.tagscape'} -m musicnn-mtt --layer taggrams --method {projection}" in response.get_json()["message"]
    assert not (collection_dir / ".tagscape" / "maps").exists() or not list((collection_dir / ".tagscape" / "maps").glob("*.npz"))
    with open_collection(collection_dir) as collection:  # the command line computes it ...
        MapStore(collection).compute("musicnn-mtt", "taggrams", "tsne")
    answer = points(client, projection="tsne")  # ... and requests then read it
    assert answer.status_code == 200 and answer.get_json()["source"] == "offline"


def test_a_small_collection_gets_an_on_demand_map_of_everything_without_writing_an_offline_one(collection_dir):
    client = create_app(str(collection_dir), {"TESTING": True}).test_client()
    answer = points(client, projection="tsne")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["source"] == "on-demand" and answer.get_json()["n_points"] == N_TRACKS * N_SEGMENTS
    assert not list((collection_dir / ".tagscape").glob("maps/*.npz"))


def test_identical_on_demand_requests_fit_once_and_the_cache_stays_bounded(collection_dir, monkeypatch):
    fits = []
    real_fit = maps.fit_coords

    def counted(*args, **kwargs):
        fits.append(threading.get_ident())
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(maps, "fit_coords", counted)
    app = create_app(str(collection_dir), {"TESTING": True})
    start = threading.Barrier(8)

    def ask(i):
        start.wait()
        return points(app.test_client(), projection="tsne", client=f"c{i}", limit=N_TRACKS - 1, sample="first").get_json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert len(fits) == 1
    assert all(a["points"]["x"] == answers[0]["points"]["x"] for a in answers)

    cache = open_collection(collection_dir).cache_dir
    one_map = max(p.stat().st_size for p in cache.glob("*.npy"))
    monkeypatch.setattr(maps, "ON_DEMAND_CACHE_BYTES", 3 * one_map)
    client = app.test_client()
    for seed in range(8):
        assert points(client, projection="tsne", limit=N_TRACKS - 1, sample="first", seed=seed).status_code == 200
    sizes = [p.stat().st_size for p in cache.glob("*.npy")]
    assert len(sizes) <= 3 and sum(sizes) <= 3 * one_map


class Evil:
    """Unpickling this writes a file: what a hostile data folder's reducer could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_reducer_not_signed_by_this_user_is_never_unpickled(collection_dir, tmp_path, monkeypatch):
    with open_collection(collection_dir) as collection:
        store = MapStore(collection)
        store.compute("musicnn-mtt", "taggrams", "pca")
        _, reducer_path = store._paths("musicnn-mtt", "taggrams", "pca")
        assert signed.load(reducer_path) is not None  # ours: read
        marker = tmp_path / "pwned"
        reducer_path.write_bytes(pickle.dumps(Evil(marker)))  # someone else's data folder
        with pytest.raises(UntrustedFileError, match="tagscape project --refit"):
            signed.load(reducer_path)
        # Updating the map (a track changed) refits instead of unpickling it.
        track = collection.tracks()[0]
        collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                      layers={"taggrams": np.full((3, 50), 0.5, np.float16), "embeddings": np.zeros((3, 200), np.float16)})
        updated = store.compute("musicnn-mtt", "taggrams", "pca")
        assert updated["coords"].shape[0] == (N_TRACKS - 1) * N_SEGMENTS + 3
        assert not marker.exists()
        signed.load(reducer_path)  # rewritten, signed
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another-user"))
        with pytest.raises(UntrustedFileError):
            signed.load(reducer_path)


@pytest.mark.parametrize("axis", ["²", "١", "0x1", "-1", "99"])
def test_axes_are_decimal_ascii_dimensions_or_tag_names(collection_dir, axis):
    with open_collection(collection_dir) as collection:
        with pytest.raises(UsageError):
            collection.projection("musicnn-mtt", "taggrams", "original", components=(axis, "1"))
    client = create_app(str(collection_dir), {"TESTING": True}).test_client()
    assert points(client, projection="original", x=axis).status_code == 400


def test_the_command_line_still_fits_whatever_it_is_asked(collection_dir, monkeypatch):
    monkeypatch.setattr(maps, "ON_DEMAND_LIMIT", 10)
    with open_collection(collection_dir) as collection:
        projection = collection.projection("musicnn-mtt", "taggrams", "tsne")
        assert projection.source == "offline" and projection.coords.shape == (N_TRACKS * N_SEGMENTS, 2)
        with pytest.raises(MapNotReadyError):
            collection.projection("musicnn-mtt", "taggrams", "umap", compute_offline=False)
