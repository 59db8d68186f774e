"""``/api/place``: a file uploaded to a real server over the web tests' collection (real models),
placed on its maps, played back, forgotten; limits, hostile names, a read-only server."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from webdata import write_tone
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tagscape.collection import open_collection
from tagscape.place import placed_dir
from tagscape.projections.maps import MapStore
from tagscape.web import create_app

MODEL = "musicnn-mtt"


def _track(collection, key_end: str) -> dict:
    return next(t for t in collection.tracks() if t["key"].endswith(key_end))


def _post(client, data: bytes, name: str, maps, **query):
    """A multipart upload, encoded in memory (the test client's own encoder spools large bodies to
    a temporary file it never closes: a ResourceWarning)."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name), "maps": maps if isinstance(maps, str) else json.dumps(maps)})
    return client.post("/api/place", query_string=query, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _leftovers(collection) -> list[str]:
    folder = placed_dir(collection)
    return sorted(p.name for p in folder.iterdir() if not p.is_dir()) if folder.is_dir() else []


def test_a_collection_track_uploaded_lands_on_its_own_points_and_plays(client, collection, collection_dir):
    track = _track(collection, ".flac")
    data = (collection_dir / track["path"]).read_bytes()
    maps = [{"model": MODEL, "projection": "pca"}, {"model": "vgg-msd", "layer": "embeddings", "projection": "original", "x": "3", "y": "7"}]
    response = _post(client, data, "my song #1?%.flac", maps, k=3)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "my song #1?%.flac" and body["added_track_id"] is None
    points = client.get(f"/api/points?model={MODEL}&projection=pca&format=json&ids={track['track_id']}").get_json()["points"]
    pca = body["maps"][0]
    assert pca["placement"] == "transform" and pca["n_segments"] == len(points["x"])
    # The same float16 rows through the same reducer; only BLAS blocking differs: 1e-5 of the extent.
    assert pca["segments"]["x"] == pytest.approx(points["x"], abs=1e-4) and pca["segments"]["y"] == pytest.approx(points["y"], abs=1e-4)
    assert pca["neighbours"][0]["track_id"] == track["track_id"] and len(pca["neighbours"]) == 3
    assert body["maps"][1]["placement"] == "direct" and body["maps"][1]["axis_labels"] == ["dim 3", "dim 7"]
    # Its segments play as a collection track's do: a WAV clip per segment; the whole file with Range.
    start, end = pca["segments"]["start"][1], pca["segments"]["start"][1] + pca["segment_seconds"]
    clip = client.get(body["audio_url"], query_string={"start": start, "end": end})
    assert clip.status_code == 200 and clip.mimetype == "audio/wav" and clip.data[:4] == b"RIFF"
    whole = client.get(body["audio_url"], headers={"Range": "bytes=0-99"})
    assert whole.status_code == 206 and whole.data == data[:100]
    whole.close()  # a file answer holds the file open until closed
    assert client.get(body["url"]).get_json()["maps"][0]["segments"] == pca["segments"]
    assert client.delete(body["url"]).status_code == 204
    assert client.get(body["audio_url"]).status_code == 404
    assert _leftovers(collection) == []  # the upload's temporary file is gone


@pytest.mark.parametrize("maps,message", [
    ("not json", "must be JSON"), ("[]", "1 to 4 maps"), ('[{"layer": "taggrams"}]', '"model"'),
    ('[{"model": "nope"}]', "nope"), ('[{"model": "musicnn-mtt", "projection": "lda"}]', "projection"),
    ('[{"model": "musicnn-mtt", "x": "²"}]', "digits"), ('[{"model": "musicnn-mtt", "colour": 1}]', "unknown key"),
    ('[{"model": "musicnn-mtt", "ids": [-1]}]', "track id"), ('[{"model": "musicnn-msd"}]', "no results"),
    ('[{"model": "musicnn-mtt", "projection": "original", "x": "no such tag"}]', "unknown axis"), ("[" * 5000 + "]" * 5000, "JSON"),
])
def test_bad_maps_are_400s_naming_the_problem(client, collection, maps, message):
    response = _post(client, b"RIFF....", "x.wav", maps)
    assert response.status_code in (400, 404) and message in response.get_json()["message"], response.get_json()
    assert _leftovers(collection) == []


def test_missing_undecodable_too_large_and_too_long_files(client, collection, collection_dir, tmp_path):
    assert client.post("/api/place", data={"maps": json.dumps([{"model": MODEL}])}, content_type="multipart/form-data").status_code == 400
    junk = _post(client, b"\x00garbage" * 500, "Ünïcode ☃.mp3", [{"model": MODEL}])
    assert junk.status_code == 422 and "Ünïcode ☃.mp3" in junk.get_json()["message"]
    assert str(collection.data_dir) not in junk.get_json()["message"]
    small = create_app(str(collection_dir), {"TESTING": True, "TAGSCAPE_PLACE_MAX_BYTES": 50_000, "TAGSCAPE_PLACE_MAX_SECONDS": 3}).test_client()
    track = _track(collection, ".flac")
    data = (collection_dir / track["path"]).read_bytes()
    assert len(data) > 50_000 + 256 * 1024, "the test needs a file beyond the limit plus the form's allowance"
    too_big = _post(small, data, "big.flac", [{"model": MODEL}])
    assert too_big.status_code == 413 and too_big.is_json
    seven = write_tone(tmp_path / "seven.flac", seconds=7.0, sr=8000).read_bytes()
    assert len(seven) < 50_000
    too_long = _post(small, seven, "seven.flac", [{"model": MODEL}])
    assert too_long.status_code == 422 and "more than the 0.05 min" in too_long.get_json()["message"]
    assert _leftovers(collection) == []


def test_bad_tokens_are_404s(client):
    for token in ("0" * 32, "../../etc/passwd", "x" * 100, "ABCDEF" * 6):
        assert client.get(f"/api/place/{token}/audio").status_code == 404
        assert client.delete(f"/api/place/{token}").status_code == 404


def test_a_read_only_server_places_without_writing_its_data_folder(collection_dir, tmp_path, monkeypatch):
    copy = tmp_path / "ro"
    shutil.copytree(collection_dir, copy)
    with open_collection(copy) as writable:  # what a read-only server needs: arrays and the PCA map, up to date
        MapStore(writable).compute(MODEL, "taggrams", "pca")
        track = next(t for t in writable.tracks() if t["key"].endswith(".flac"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # SQLite's -wal/-shm are left out: a reader of a WAL database in a writable folder makes them (SQLite's own, not our data).
    before = {p: p.stat().st_mtime_ns for p in (copy / ".tagscape").rglob("*") if not p.name.endswith(("-wal", "-shm"))}
    client = create_app(str(copy), {"TESTING": True}, read_only=True).test_client()
    data = (copy / track["path"]).read_bytes()
    placed = _post(client, data, "new.flac", [{"model": MODEL}])
    assert placed.status_code == 200, placed.get_json()
    assert client.get(placed.get_json()["audio_url"], query_string={"start": 0, "end": 1}).status_code == 200
    refused = _post(client, data, "new.flac", [{"model": MODEL}], add="true")
    assert refused.status_code == 409 and "read-only" in refused.get_json()["message"]
    after = {p: p.stat().st_mtime_ns for p in (copy / ".tagscape").rglob("*") if not p.name.endswith(("-wal", "-shm"))}
    assert after == before
    assert any((tmp_path / "cache").rglob("placement.json"))


def test_add_on_a_writable_server_makes_a_track(collection_dir, tmp_path):
    copy = tmp_path / "rw"
    shutil.copytree(collection_dir, copy)
    client = create_app(str(copy), {"TESTING": True}).test_client()
    with open_collection(copy) as opened:
        track = next(t for t in opened.tracks() if t["key"].endswith(".flac"))
        before = opened.store.count_tracks()
    response = _post(client, (copy / track["path"]).read_bytes(), "dropped file.flac", [{"model": MODEL, "projection": "original"}], add="1")
    assert response.status_code == 200, response.get_json()
    added = response.get_json()["added_track_id"]
    assert client.get(f"/api/tracks/{added}").get_json()["key"] == "added/dropped file.flac"
    with open_collection(copy) as opened:
        assert opened.store.count_tracks() == before + 1
