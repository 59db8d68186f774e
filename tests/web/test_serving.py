"""Serving many users: /api/points cached with ETags and compressed, a read-only mode that never
writes the data folder, and ``tagscape serve --production`` (gunicorn, several workers)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.collection import index_jamendo, open_collection
from tagscape.store.db import DB_NAME
from tagscape.web import create_app
from tagscape.web.points import parse_binary
from webdata import fetch, free_port, wait_until_up

POINTS = "/api/points?model=musicnn-mtt&layer=taggrams&projection=pca"


# -- cache, ETag, compression -------------------------------------------------------------


def test_points_are_compressed_as_negotiated_and_each_coding_has_its_etag(client):
    plain = client.get(POINTS)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"] and plain.headers["Cache-Control"] == "no-cache"
    br = client.get(POINTS, headers={"Accept-Encoding": "gzip, deflate, br"})
    gz = client.get(POINTS, headers={"Accept-Encoding": "gzip;q=1.0, br;q=0.5"})
    assert (br.headers["Content-Encoding"], gz.headers["Content-Encoding"]) == ("br", "gzip")
    assert brotli.decompress(br.data) == gzip.decompress(gz.data) == plain.data
    assert len(br.data) < len(plain.data) and len(gz.data) < len(plain.data)
    assert parse_binary(brotli.decompress(br.data)).n == parse_binary(plain.data).n > 0
    tags = {plain.headers["ETag"], br.headers["ETag"], gz.headers["ETag"]}
    assert len(tags) == 3 and br.headers["ETag"].endswith('-br"')
    assert client.get(POINTS + "&client=tab-1").headers["ETag"] == plain.headers["ETag"]  # the cancel token is not part of the answer
    assert client.get(POINTS + "&mode=averages").headers["ETag"] != plain.headers["ETag"]


def test_a_large_body_is_compressed_fastest_and_still_decodes_to_itself():
    from tagscape.web.cache import LARGE_BODY, encode

    rng = np.random.default_rng(0)  # points-like: random floats beside runs of small integers
    body = (rng.random(LARGE_BODY // 8, np.float32).tobytes() + np.repeat(np.arange(LARGE_BODY // 64, dtype=np.uint32), 8).tobytes())
    assert len(body) >= LARGE_BODY
    for coding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        assert decode(encode(body, coding)) == body
    assert encode(body, "br") == brotli.compress(body, quality=1)  # brotli and zlib are deterministic
    assert encode(body, "gzip") == gzip.compress(body, compresslevel=1, mtime=0)
    small = body[: LARGE_BODY // 4]
    assert encode(small, "br") == brotli.compress(small, quality=4) and brotli.decompress(encode(small, "br")) == small


def test_a_client_holding_the_answer_gets_304_without_a_body(client):
    first = client.get(POINTS, headers={"Accept-Encoding": "br"})
    again = client.get(POINTS, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    other_coding = client.get(POINTS, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert other_coding.status_code == 200 and other_coding.headers["Content-Encoding"] == "gzip"
    assert client.get(POINTS, headers={"Accept-Encoding": "br"}).headers["X-Tagscape-Cache"] == "hit"


def test_json_is_compressed_and_audio_is_left_alone(client, collection):
    tracks = client.get("/api/tracks", headers={"Accept-Encoding": "gzip"})
    assert tracks.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(tracks.data))["tracks"]) == 10
    track_id = next(t["track_id"] for t in collection.tracks() if t["key"].endswith(".mp3"))
    with client.get(f"/api/audio/{track_id}", headers={"Accept-Encoding": "gzip, br", "Range": "bytes=0-99"}) as audio:
        assert audio.status_code == 206 and "Content-Encoding" not in audio.headers and len(audio.data) == 100


def test_new_results_change_the_etag(tmp_path):
    tsv = tmp_path / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000001\tartist_1\talbum_1\t1/1.mp3\t30.0\tgenre---rock\n"
                   "track_0000002\tartist_1\talbum_1\t2/2.mp3\t30.0\tgenre---pop\n")
    index_jamendo(tsv, data_dir=tmp_path / "data", audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(0)

    def write(track: dict) -> None:
        with open_collection(tmp_path / "data") as writer:
            writer.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                      layers={"taggrams": rng.random((10, 50)).astype(np.float16), "embeddings": rng.random((10, 200)).astype(np.float16)})

    with open_collection(tmp_path / "data") as opened:
        first, second = opened.tracks()
    write(first)
    client = create_app(str(tmp_path / "data"), {"TESTING": True}).test_client()
    url = "/api/points?model=musicnn-mtt&projection=original"
    before = client.get(url)
    assert parse_binary(before.data).meta["n_tracks"] == 1
    write(second)
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert parse_binary(after.data).meta["n_tracks"] == 2


# -- read-only ----------------------------------------------------------------------------


def copy_collection(collection_dir: Path, target: Path) -> Path:
    """The web collection's data folder, copied (the database with SQLite's backup API)."""
    source = collection_dir / ".tagscape"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(f"{DB_NAME}*", "cache"))
    with sqlite3.connect(source / DB_NAME) as src, sqlite3.connect(target / DB_NAME) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def readonly_copy(collection_dir, tmp_path) -> Path:
    """A copy whose arrays and pca map are up to date (built by a normal, writable app)."""
    data = copy_collection(collection_dir, tmp_path / "data")
    writable = create_app(str(data), {"TESTING": True}).test_client()
    assert writable.get(POINTS).status_code == 200
    writable.application.extensions["tagscape.collection"].close()
    return data


def test_read_only_serves_everything_and_writes_nothing(readonly_copy, collection):
    for made_by_other_tests in (readonly_copy / "maps").glob("musicnn-mtt.embeddings.std-pca.*"):
        made_by_other_tests.unlink()  # the session's collection is shared: this map must be missing here
    before = tree_digest(readonly_copy)
    app = create_app(str(readonly_copy), {"TESTING": True}, read_only=True)
    client = app.test_client()
    aiff = next(t["track_id"] for t in collection.tracks() if t["key"].endswith(".aiff"))
    assert client.get("/api/models").status_code == 200
    assert client.get("/api/tracks").get_json()["total"] == 10
    assert parse_binary(client.get(POINTS).data).n > 0
    on_demand = client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=tsne&limit=3")
    assert on_demand.status_code == 200 and parse_binary(on_demand.data).meta["source"] == "on-demand"
    with client.get(f"/api/audio/{aiff}") as audio:  # transcoded to FLAC: cached outside the data folder
        assert audio.status_code == 200 and audio.data[:4] == b"fLaC"
    # A map that must be written (PCA of another layer) cannot be; t-SNE / UMAP of a small
    # collection would be on demand instead (tests/projections/test_map_limits.py).
    missing = client.get("/api/points?model=musicnn-mtt&layer=embeddings&projection=std-pca")
    assert missing.status_code == 409
    assert missing.get_json()["error"] == "ReadOnlyError" and "tagscape project" in missing.get_json()["message"]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        app.extensions["tagscape.collection"].store.conn.execute("DELETE FROM tracks")
    app.extensions["tagscape.collection"].close()
    after = tree_digest(readonly_copy)
    assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == {k: v for k, v in before.items() if not k.endswith(("-wal", "-shm"))}
    assert not any(k.startswith("cache") for k in after)


def test_read_only_with_stale_arrays_says_how_to_update_them(readonly_copy):
    with open_collection(readonly_copy) as writer:  # extraction moved on after the arrays were built
        track = writer.tracks()[0]
        layers = {name: np.asarray(writer.store.track_layer(track["track_id"], "musicnn-mtt", name)) for name in ("taggrams", "embeddings")}
        writer.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992, layers=layers)
    client = create_app(str(readonly_copy), {"TESTING": True}, read_only=True).test_client()
    stale = client.get(POINTS)
    assert stale.status_code == 409
    assert "arrays are missing or older than the database" in stale.get_json()["message"]
    assert "tagscape project" in stale.get_json()["message"]


# -- the production server ----------------------------------------------------------------


def test_production_server_runs_several_workers_and_stops_cleanly(readonly_copy, collection):
    psutil = pytest.importorskip("psutil")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tagscape.cli", "serve", "-c", str(readonly_copy), "--production", "--workers", "2", "--threads", "2",
         "--port", str(port), "--read-only", "--no-warm-up"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        wait_until_up(base, process)
        assert len(psutil.Process(process.pid).children()) == 2
        mp3 = next(t["track_id"] for t in collection.tracks() if t["key"].endswith(".mp3"))
        urls = [(base + POINTS, {"Accept-Encoding": "br"}), (f"{base}/api/tracks?page_size=5", {}),
                (f"{base}/api/audio/{mp3}", {"Range": "bytes=10-1033"})] * 12
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda args: fetch(*args), urls))
        assert [status for status, _, _ in answers] == [200, 200, 206] * 12
        assert {headers["Server"].split("/")[0] for _, headers, _ in answers} == {"gunicorn"}
        etags = {headers["ETag"] for (status, headers, _), (url, _) in zip(answers, urls) if "points" in url}
        assert len(etags) == 1  # every worker names the same answer the same way
        assert fetch(base + POINTS, {"Accept-Encoding": "br", "If-None-Match": etags.pop()})[0] == 304
        assert all(len(body) == 1024 for status, _, body in answers if status == 206)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "2 workers x 2 threads, read-only" in output and "Traceback" not in output


def test_workers_without_production_is_a_usage_error(readonly_copy):
    result = CliRunner().invoke(main, ["serve", "-c", str(readonly_copy), "--workers", "2"])
    assert result.exit_code == 2 and "--workers goes with --production" in result.output
