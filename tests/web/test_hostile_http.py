"""Hostile HTTP: ids beyond 64 bits, odd digits, huge seeks, URLs with newlines, oversized and
deeply nested bodies, foreign Host headers (DNS rebinding), paths outside /static/, error
messages that would show the server's folders, and spreadsheet formulas in the CSV export.

Every answer is a 4xx with the JSON error shape (pages: a plain 400 page), never a 500.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tagscape.collection import index_folder, index_jamendo, open_collection
from tagscape.web import LOOPBACK_HOSTS, allowed_hosts, create_app
from tagscape.web.params import MAX_INT64
from tagscape.web.selection import MAX_IDS
from webdata import fetch, free_port, wait_until_up, write_tone

HUGE = "99999999999999999999"  # 20 digits: more than SQLite's INTEGER holds
FRONTEND = Path(__file__).parents[2] / "frontend" / "src"


def json_error(response, status: int) -> dict:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"} and "Traceback" not in body["message"]
    return body


# -- ids and numbers beyond what SQLite and FFmpeg hold ------------------------------------------

PATH_IDS = [
    f"/api/tracks/{HUGE}", f"/api/tracks/{HUGE}/taggram?model=musicnn-mtt", f"/api/tracks/{HUGE}/top-tags",
    f"/api/tracks/{HUGE}/segments/0?model=musicnn-mtt", f"/api/tracks/1/segments/{HUGE}?model=musicnn-mtt",
    f"/api/tracks/{HUGE}/layers/musicnn-mtt/taggrams", f"/api/audio/{HUGE}", f"/api/audio/{HUGE}?start=0&end=1",
    f"/api/tracks/{2**63}", "/api/tracks/" + "9" * 5000,
]


@pytest.mark.parametrize("url", PATH_IDS)
def test_ids_in_paths_beyond_64_bits_are_404(client, url):
    body = json_error(client.get(url), 404)
    assert "ids are at most 9223372036854775807" in body["message"]


def test_the_largest_64_bit_id_is_an_id_and_other_digits_are_not(client):
    assert "no track 9223372036854775807" in json_error(client.get(f"/api/tracks/{MAX_INT64}"), 404)["message"]
    # werkzeug's <int:> took any Unicode digit: ARABIC-INDIC DIGIT THREE was track 3
    json_error(client.get("/api/tracks/%D9%A3"), 404)


def test_names_in_paths_are_bounded(client):
    for url in ("/api/tracks/1/layers/" + "m" * 5000 + "/taggrams", "/api/tracks/1/layers/musicnn-mtt/" + "l" * 5000):
        assert len(json_error(client.get(url), 404)["message"]) < 200


QUERY_IDS = [
    (f"/api/similar?model=musicnn-mtt&track={HUGE}", "'track'"),
    (f"/api/similar?model=musicnn-mtt&track=1&segment={HUGE}", "'segment'"),
    (f"/api/agreement?track={HUGE}", "'track'"),
    (f"/api/playlist.m3u?ids=1,{HUGE}", "'ids'"),
    (f"/api/tracks?ids={HUGE}", "'ids'"),
    (f"/api/points?model=musicnn-mtt&ids={HUGE}", "'ids'"),
    (f"/api/correlations?model=musicnn-mtt&x=guitar&y=piano&ids={HUGE}", "'ids'"),
    (f"/api/tracks?limit={HUGE}", "'limit'"),
    (f"/api/tracks?offset={HUGE}", "'offset'"),
    ("/api/tracks?limit=" + "9" * 5000, "'limit'"),
    ("/api/points?model=musicnn-mtt&projection=original&x=%C2%B2", "'x'"),  # '²'.isdigit(), but int('²') fails
    ("/api/points?model=musicnn-mtt&projection=original&y=%E2%91%A0", "'y'"),  # '①'
]


@pytest.mark.parametrize("url, name", QUERY_IDS)
def test_numbers_in_queries_beyond_64_bits_or_in_odd_digits_are_400(client, url, name):
    body = json_error(client.get(url), 400)
    assert name in body["message"]


def test_playlist_post_bounds_its_ids(client):
    body = json_error(client.post("/api/playlist.m3u", json={"ids": [1, int(HUGE)]}), 400)
    assert "9223372036854775807" in body["message"] and HUGE in body["message"]
    json_error(client.post("/api/playlist.m3u", json={"ids": [-1]}), 400)
    json_error(client.post("/api/playlist.m3u", json={"ids": [True]}), 400)


@pytest.fixture
def odd_tracks(tmp_path):
    """A local collection: a track of unknown duration, a corrupt FLAC, a corrupt AIFF (transcoded)."""
    music = tmp_path / "music"
    music.mkdir()
    write_tone(music / "a.flac", seconds=2.0, sr=8000)
    write_tone(music / "broken.flac", seconds=2.0, sr=8000)
    write_tone(music / "broken.aiff", seconds=2.0, sr=8000, codec="pcm_s16be")
    index_folder(music)
    for name in ("broken.flac", "broken.aiff"):  # replaced after indexing, as a file can be
        (music / name).write_bytes(b"not audio at all " * 64)
    with open_collection(music) as collection:
        ids = {track["key"]: track["track_id"] for track in collection.tracks()}
        ids["no duration"] = collection.store.upsert_track({"key": "no duration", "path": "a.flac", "content_hash": "y", "title": "no duration"})
        yield create_app(collection, {"TESTING": True}).test_client(), ids, music


def test_a_seek_to_1e16_seconds_is_refused_even_without_a_duration(odd_tracks):
    client, ids, _ = odd_tracks
    for span in ("start=1e16&end=10000000000000002", "start=0&end=1e300", "start=604801&end=604802"):
        body = json_error(client.get(f"/api/audio/{ids['no duration']}?{span}"), 400)
        assert "between 0 and 604800" in body["message"]
    clip = client.get(f"/api/audio/{ids['no duration']}?start=0.5&end=1.5")
    assert clip.status_code == 200 and clip.mimetype == "audio/wav"


def test_audio_errors_name_the_track_not_the_files_path(odd_tracks):
    client, ids, music = odd_tracks
    for url in (f"/api/audio/{ids['broken.flac']}?start=0&end=1", f"/api/audio/{ids['broken.aiff']}"):
        message = json_error(client.get(url), 422)["message"]
        assert message.startswith("track ") and str(music) not in message and str(music.parent) not in message
    (music / "a.flac").unlink()
    message = json_error(client.get(f"/api/audio/{ids['a.flac']}"), 404)["message"]
    assert str(ids["a.flac"]) in message and str(music) not in message


@pytest.fixture
def remote_tracks(tmp_path):
    tsv = tmp_path / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000214\tartist_000014\talbum_000031\t14/214.mp3\t124.6\tgenre---rock\n")
    index_jamendo(tsv, data_dir=tmp_path / "data", audio_url="https://audio.example.org/{id}.mp3")
    with open_collection(tmp_path / "data") as collection:
        good = collection.tracks()[0]["track_id"]
        bad = {name: collection.store.upsert_track({"key": name, "url": url, "content_hash": name, "title": name}) for name, url in (
            ("crlf", "https://audio.example.org/x.mp3\r\nSet-Cookie: session=stolen"),
            ("nul", "https://audio.example.org/\x00.mp3"),
            ("separator", "https://audio.example.org/\u2028x.mp3"),
            ("script", "javascript:alert(1)"),
        )}
    yield create_app(str(tmp_path / "data"), {"TESTING": True}).test_client(), good, bad


def test_remote_urls_with_control_characters_are_never_sent(remote_tracks):
    client, good, bad = remote_tracks
    assert client.get(f"/api/audio/{good}").headers["Location"] == "https://audio.example.org/214.mp3"
    for track_id in bad.values():
        for query in ("", "?start=1&end=2"):
            assert "no usable remote URL" in json_error(client.get(f"/api/audio/{track_id}{query}"), 404)["message"]
    playlist = client.get(f"/api/playlist.m3u?ids={good},{','.join(map(str, bad.values()))}")
    lines = playlist.data.decode().split("\n")
    assert playlist.status_code == 200 and not any("Set-Cookie" in line or "javascript" in line for line in lines)
    assert lines[2] == "https://audio.example.org/214.mp3" and lines[4] == f"http://localhost/api/audio/{bad['crlf']}"
    assert len(lines) == 2 + 2 * (1 + len(bad))  # #EXTM3U, two lines a track, the final newline


# -- bodies ---------------------------------------------------------------------------------------


def test_bodies_over_a_mebibyte_are_413_json(client):
    body = json.dumps({"ids": [1] * 400_000}).encode()  # 1.2 MB
    json_error(client.post("/api/playlist.m3u", data=body, content_type="application/json"), 413)


def test_deeply_nested_json_is_a_400(client):
    deep = "[" * 100_000 + "]" * 100_000  # 200 kB, within the limit: json.loads recurses on it
    json_error(client.post("/api/playlist.m3u", data=deep, content_type="application/json"), 400)
    json_error(client.post("/api/playlist.m3u", data='{"ids": ' + deep + "}", content_type="application/json"), 400)


def test_the_playlist_post_takes_at_most_max_ids(collection_dir):
    roomy = create_app(str(collection_dir), {"TESTING": True, "MAX_CONTENT_LENGTH": 8 * 1024 * 1024}).test_client()
    body = json.dumps({"ids": [0] * (MAX_IDS + 1)})
    message = json_error(roomy.post("/api/playlist.m3u", data=body, content_type="application/json"), 400)["message"]
    assert f"more than {MAX_IDS} ids" in message


# -- Host names (DNS rebinding) -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8080", "[::1]", "[::1]:5000", "localhost."])
def test_loopback_names_are_served(client, host):
    assert client.get("/api/models", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]", "192.168.1.5",
                                  "localhost\tevil", "localhost@evil.example", "local host", "", "localhost:99999999"])
def test_other_host_names_are_refused(client, host):
    body = json_error(client.get("/api/models", headers={"Host": host}), 400)
    assert "does not answer to the host" in body["message"] and "--allowed-host" in body["message"]
    page = client.get("/", headers={"Host": host})
    assert page.status_code == 400 and page.mimetype == "text/html" and b"Traceback" not in page.data
    assert b"<script" not in client.get("/", headers={"Host": "<script>.example"}).data


def test_allowed_hosts_follow_the_bound_address():
    assert allowed_hosts("127.0.0.1") == list(LOOPBACK_HOSTS)
    assert allowed_hosts("localhost") == allowed_hosts("::1") == list(LOOPBACK_HOSTS)
    assert allowed_hosts("192.168.1.5") == ["192.168.1.5"]
    assert allowed_hosts("fe80::1") == ["[fe80::1]"]
    assert allowed_hosts("127.0.0.1", ("Music.Example.org", "::2")) == [*LOOPBACK_HOSTS, "music.example.org", "[::2]"]
    everywhere = allowed_hosts("0.0.0.0")
    assert everywhere[:3] == list(LOOPBACK_HOSTS) and socket.gethostname().lower() in everywhere
    assert allowed_hosts("127.0.0.1", ("*",))[-1] == "*"


def test_configured_host_names_and_the_wildcard(collection_dir):
    named = create_app(str(collection_dir), {"TESTING": True, "TAGSCAPE_ALLOWED_HOSTS": ["music.example.org", ".lan"]}).test_client()
    for host, status in (("music.example.org", 200), ("music.example.org:443", 200), ("box.lan", 200), ("lan", 200),
                         ("localhost", 400), ("evil.example", 400), ("music.example.org.evil", 400)):
        assert named.get("/api/models", headers={"Host": host}).status_code == status, host
    anything = create_app(str(collection_dir), {"TESTING": True, "TAGSCAPE_ALLOWED_HOSTS": ["*"]}).test_client()
    assert anything.get("/api/models", headers={"Host": "proxy.internal:8443"}).status_code == 200


def get(url: str, host: str | None = None) -> tuple[int, bytes]:
    status, _, body = fetch(url, {"Host": host} if host else None)
    return status, body


def test_the_live_server_answers_to_its_address_only(live_server):
    assert get(f"{live_server}/api/models")[0] == 200
    status, body = get(f"{live_server}/api/models", host="rebound.example:80")
    assert status == 400 and "rebound.example" in json.loads(body)["message"]


def test_serve_allowed_host_adds_a_name(collection_dir):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tagscape.cli", "serve", "-c", str(collection_dir), "--port", str(port), "--no-warm-up",
         "--allowed-host", "music.example.org", "--allowed-host", "other.example"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        assert get(f"{base}/api/models", host="music.example.org")[0] == 200
        assert get(f"{base}/api/models", host=f"other.example:{port}")[0] == 200
        assert get(f"{base}/api/models", host="evil.example")[0] == 400
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "localhost, 127.0.0.1, [::1], music.example.org, other.example" in output


# -- error answers keep their headers ------------------------------------------------------------


def test_json_errors_keep_the_headers_of_their_status(client, collection):
    wrong_method = client.delete("/api/tracks")
    json_error(wrong_method, 405)
    assert set(wrong_method.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    track = next(t for t in collection.tracks() if t["key"].endswith(".mp3"))
    with client.get(f"/api/audio/{track['track_id']}", headers={"Range": "bytes=999999999-"}) as beyond:
        json_error(beyond, 416)
        assert beyond.headers["Content-Range"].startswith("bytes */")


# -- static files and paths -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/static/../..", "/static/../../pyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml",
                                  "/static/..%2f..%2fpyproject.toml", "/static/nope.js", "/static/%0A", "/static/a%00b"])
def test_static_errors_are_json_and_never_leave_the_folder(client, path):
    body = json_error(client.get(path), 404)
    assert "[project]" not in body["message"]


def test_static_files_are_still_served(client):
    static = Path(client.application.static_folder)
    present = next((p for p in sorted(static.rglob("*")) if p.is_file()), None)
    if present is None:
        pytest.skip("no static file: the front end is not built (make install)")
    with client.get(f"/static/{present.relative_to(static).as_posix()}") as response:
        assert response.status_code == 200 and response.data == present.read_bytes()


# -- the CSV export -------------------------------------------------------------------------------


def test_csv_cells_a_spreadsheet_would_run_are_quoted_as_text():
    node = shutil.which("node")
    if node is None:
        pytest.skip("no Node.js (make install needs it for the front end)")
    cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1", "plain", "a,b", 'say "hi"', -1.5, None]
    script = (f"import {{ csvCell }} from {json.dumps((FRONTEND / 'csv.js').as_uri())};"
              f"console.log(JSON.stringify({json.dumps(cells)}.map(csvCell)));")
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=True).stdout
    assert json.loads(out) == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1+1", "\"'\r=1+1\"", "\"'\n=1+1\"", "plain", '"a,b"',
                               '"say ""hi"""', "-1.5", ""]
