"""Playlists that point at the collection's own files: absolute paths, or relative to a folder the
user names (GET/POST /api/playlist.m3u?paths=), and the option in the explorer's export."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

import pytest
from webdata import write_tone

from tagscape.collection import index_folder
from tagscape.web import create_app

IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"
ODD = "#1 ça ?%.flac"  # at the top of the folder: its relative path would start a comment line


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """Three indexed files (one named with # ? % and non-ASCII, one in a folder with a space), one
    then replaced by a link out of the folder; the app over them and its id per file name."""
    root = tmp_path_factory.mktemp("playlist") / "my music"
    (root / "sub dir").mkdir(parents=True)
    for path in (root / ODD, root / "sub dir" / "b.flac", root / "gone.flac"):
        write_tone(path, seconds=1.0, sr=8000)
    index_folder(root)
    (root / "gone.flac").unlink()
    (root / "gone.flac").symlink_to("/etc/hostname")  # now outside the collection: never listed as a path
    client = create_app(str(root), {"TESTING": True}).test_client()
    ids = {t["key"]: t["track_id"] for t in client.get("/api/tracks").get_json()["tracks"]}
    return root, client, ids


def entries(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    text = response.data.decode("utf-8")
    assert text.startswith("#EXTM3U\n")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_absolute_paths_name_the_collections_own_files(local):
    root, client, ids = local
    wanted = [ids[ODD], ids["sub dir/b.flac"]]
    lines = entries(client.get(f"/api/playlist.m3u?ids={','.join(map(str, wanted))}&paths=absolute"))
    assert lines == [str(root / ODD), str(root / "sub dir" / "b.flac")]
    assert all(Path(line).is_file() for line in lines)


@pytest.mark.parametrize("base", ["", "sub dir", "elsewhere/deeper"])
def test_relative_paths_lead_from_the_named_folder_to_each_file(local, base):
    root, client, ids = local
    folder = os.path.normpath(root / base) if base else str(root)
    body = {"ids": [ids[ODD], ids["sub dir/b.flac"]]}
    lines = entries(client.post("/api/playlist.m3u?" + urlencode({"paths": "relative", "base": folder + "/"}), json=body))
    for line, key in zip(lines, [ODD, "sub dir/b.flac"], strict=True):
        assert not os.path.isabs(line) and os.path.normpath(os.path.join(folder, line)) == str(root / key)
    if not base:
        assert lines[0] == f"./{ODD}"  # not a comment line


def test_a_track_without_a_file_of_the_collection_keeps_its_url(local, remote_client):
    root, client, ids = local
    lines = entries(client.get(f"/api/playlist.m3u?ids={ids['gone.flac']}&paths=absolute"))
    assert lines == [f"http://localhost/api/audio/{ids['gone.flac']}"]
    remote_id = remote_client.get("/api/tracks").get_json()["tracks"][0]["track_id"]
    assert entries(remote_client.get(f"/api/playlist.m3u?ids={remote_id}&paths=absolute"))[0].startswith("https://audio.example.org/")


@pytest.mark.parametrize(("query", "message"), [
    ({"paths": "file"}, "'paths' must be one of"),
    ({"paths": "relative"}, "needs base"),
    ({"paths": "relative", "base": "music"}, "absolute folder"),
    ({"paths": "relative", "base": "/music\nx"}, "printable"),
    ({"paths": "relative", "base": "/" + "a" * 5000}, "printable"),
    ({"paths": "absolute", "base": "/tmp"}, "for paths=relative"),
    ({"paths": "url", "base": "/tmp"}, "for paths=relative"),
])
def test_bad_path_options_are_refused_with_a_reason(local, query, message):
    root, client, ids = local
    for response in (client.get("/api/playlist.m3u?" + urlencode({"ids": ids[ODD], **query})),
                     client.post("/api/playlist.m3u?" + urlencode(query), json={"ids": [ids[ODD]]})):
        assert response.status_code == 400 and message in response.get_json()["message"]


def test_the_export_offers_file_paths_relative_to_a_folder(page, collection_dir):
    page.goto(page.base_url)
    page.wait_for_function(IDLE, timeout=60_000)
    # select every point of the first two tracks (the lasso itself is tested in test_explorer)
    ids = page.evaluate("""() => { const p = window.tagscape.plots[0]; const points = [];
        for (let i = 0; i < p.data.track.length; i++) if (p.data.track[i] < 2) points.push(i);
        window.tagscape.selection.show(p, points); return [0, 1].map((t) => p.data.meta.tracks.track_id[t]); }""")
    assert page.is_hidden("#m3u-base")
    page.select_option("#m3u-paths", "relative")
    page.fill("#m3u-base", "music")  # not absolute: the server says why, the page keeps working
    page.click("#export-m3u")
    page.wait_for_selector("#m3u-error:not([hidden])")
    assert "absolute folder" in page.text_content("#m3u-error")
    page.fill("#m3u-base", str(collection_dir / "odd"))
    with page.expect_download() as info:
        page.click("#export-m3u")
    lines = [line for line in Path(info.value.path()).read_text("utf-8").splitlines() if line and not line.startswith("#")]
    keys = {t["track_id"]: t["key"] for t in page.request.get(f"{page.base_url}/api/tracks").json()["tracks"]}
    assert [os.path.normpath(os.path.join(collection_dir / "odd", line)) for line in lines] == [str(collection_dir / keys[i]) for i in ids]
    assert page.is_hidden("#m3u-error")


def test_a_server_can_keep_its_paths_to_itself(local):
    root, client, ids = local
    app = client.application
    app.config["TAGSCAPE_PLAYLIST_PATHS"] = False
    try:
        response = client.get(f"/api/playlist.m3u?ids={ids[ODD]}&paths=absolute")
        assert response.status_code == 400 and "TAGSCAPE_PLAYLIST_PATHS" in response.get_json()["message"]
        assert entries(client.get(f"/api/playlist.m3u?ids={ids[ODD]}")) == [f"http://localhost/api/audio/{ids[ODD]}"]
    finally:
        app.config["TAGSCAPE_PLAYLIST_PATHS"] = True
