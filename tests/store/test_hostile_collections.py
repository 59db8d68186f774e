"""Collections in odd places and with odd contents: folder names that are URI syntax, links out
of the folder, FIFOs and devices, data folders from someone else, read-only mounts, very long
tracks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import chord, write_audio
from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.errors import CollectionError, NotFoundError
from tagscape.store.db import DB_NAME
from tagscape.web import create_app
from tagscape.web.points import parse_binary

ODD_NAMES = ["Hits #1", "Hits #2", "what?now", "100% pure", "with space", "Ünïcødé 音楽", "a&b=c;d", "tab\tname"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_the_database_lives_inside_a_folder_whatever_its_name(tmp_path, name):
    root = tmp_path / name
    root.mkdir()
    write_audio(root / "tone.wav", chord(4.0, 16000), 16000)
    index_folder(root)
    assert (root / ".tagscape" / DB_NAME).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written beside the folder
    with open_collection(root, readonly=True) as collection:  # mode=ro opens the same file
        assert [t["key"] for t in collection.tracks()] == ["tone.wav"]


def test_two_collections_whose_names_differ_after_a_hash_keep_their_own_databases(tmp_path):
    for name, seconds in (("Hits #1", 4.0), ("Hits #2", 6.0)):
        (tmp_path / name).mkdir()
        write_audio(tmp_path / name / f"{seconds:g}s.wav", chord(seconds, 16000), 16000)
        index_folder(tmp_path / name)
    keys = [[t["key"] for t in open_collection(tmp_path / name).tracks()] for name in ("Hits #1", "Hits #2")]
    assert keys == [["4s.wav"], ["6s.wav"]]


@pytest.fixture
def linked_folder(tmp_path):
    """A music folder holding one real file, a link to a secret outside it, a link to
    /dev/zero, a FIFO, a dangling link and a link to a file inside it."""
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "real.wav", chord(4.0, 16000), 16000)
    secret = tmp_path / "secret.txt"
    secret.write_text("private key material\n")
    os.symlink(secret, root / "secret.mp3")
    os.symlink("/dev/zero", root / "zero.wav")
    os.mkfifo(root / "pipe.mp3")
    os.symlink(tmp_path / "nothing.mp3", root / "dangling.mp3")
    os.symlink(root / "real.wav", root / "inside-link.wav")
    return root


def test_index_takes_regular_files_inside_the_folder_only(linked_folder):
    report = index_folder(linked_folder)
    with open_collection(linked_folder) as collection:
        assert sorted(t["key"] for t in collection.tracks()) == ["inside-link.wav", "real.wav"]
    assert dict(report.skipped) == {
        "dangling.mp3": "a link to nothing",
        "pipe.mp3": "not a regular file",
        "secret.mp3": "a link out of the folder (index with --follow-symlinks to allow it)",
        "zero.wav": "a link out of the folder (index with --follow-symlinks to allow it)",
    }
    result = CliRunner().invoke(main, ["index", str(linked_folder)])
    assert result.exit_code == 0 and "left out: secret.mp3: a link out of the folder" in result.output


def test_follow_symlinks_allows_links_out_but_never_devices_or_fifos(linked_folder):
    report = index_folder(linked_folder, follow_symlinks=True)
    with open_collection(linked_folder) as collection:
        assert sorted(t["key"] for t in collection.tracks()) == ["inside-link.wav", "real.wav", "secret.mp3"]
    assert dict(report.skipped) == {"dangling.mp3": "a link to nothing", "pipe.mp3": "not a regular file", "zero.wav": "not a regular file"}


def test_a_file_swapped_for_a_link_after_indexing_is_not_served(tmp_path):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "song.wav", chord(4.0, 16000), 16000)
    (tmp_path / "id_rsa").write_text("secret\n")
    index_folder(root)
    client = create_app(str(root), {"TESTING": True}).test_client()
    track_id = open_collection(root).tracks()[0]["track_id"]
    first = client.get(f"/api/audio/{track_id}")
    assert first.status_code == 200
    first.close()
    (root / "song.wav").unlink()
    os.symlink(tmp_path / "id_rsa", root / "song.wav")
    response = client.get(f"/api/audio/{track_id}")
    assert response.status_code == 404 and b"secret" not in response.data
    assert "links out of the collection" in response.get_json()["message"]
    assert str(tmp_path) not in response.get_json()["message"]


@pytest.mark.parametrize("audio_root, words", [("/", "file system's root"), ("relative/music", "absolute"), (7, "absolute")])
def test_a_data_folder_from_someone_else_cannot_point_the_server_anywhere(tmp_path, audio_root, words):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "song.wav", chord(4.0, 16000), 16000)
    index_folder(root)
    config_path = root / ".tagscape" / "collection.json"
    config = json.loads(config_path.read_text())
    config["audio_root"] = audio_root
    config_path.write_text(json.dumps(config))
    with pytest.raises(CollectionError, match=words):
        open_collection(root)


def test_a_path_in_the_database_cannot_climb_out_of_the_folder(tmp_path):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "song.wav", chord(4.0, 16000), 16000)
    index_folder(root)
    (tmp_path / "outside.wav").write_bytes((root / "song.wav").read_bytes())
    with open_collection(root) as collection:
        track = collection.tracks()[0]
        for path in ("../outside.wav", "/etc/passwd", str(tmp_path / "outside.wav")):
            with pytest.raises(NotFoundError):
                collection.local_audio_path({**track, "path": path})


def test_a_read_only_mount_is_read_without_writing_anything(tmp_path, music_files):
    """A data folder nobody may write (a read-only mount, another user's): SQLite cannot make
    the WAL's -shm file there, so it is opened immutable. Run without CAP_DAC_OVERRIDE, as
    root would otherwise write anyway."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("needs setpriv to drop root's override of file permissions")
    root = tmp_path / "music"
    root.mkdir()
    shutil.copy(music_files[0], root / music_files[0].name)
    index_folder(root)
    with open_collection(root) as collection:
        from tagscape.extract import extract_collection

        extract_collection(collection, ["vgg-mtt"], threads=2)
        collection.layer("vgg-mtt", "taggrams")  # arrays up to date, as `tagscape project` leaves them
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    before = sorted(p.name for p in root.rglob("*"))
    code = (
        "import sys; from tagscape.collection import open_collection\n"
        "c = open_collection(sys.argv[1], readonly=True)\n"
        "print(c.store.counts('vgg-mtt').done, c.layer('vgg-mtt', 'taggrams').values.shape[0])\n"
    )
    command = [sys.executable, "-c", code, str(root)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all", *command]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env)
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "6"]
    assert sorted(p.name for p in root.rglob("*")) == before


def test_read_only_caches_go_to_a_private_folder_of_the_user(tmp_path, monkeypatch):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "song.wav", chord(4.0, 16000), 16000)
    index_folder(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache = open_collection(root, readonly=True).cache_dir
    assert cache.is_relative_to(tmp_path / "xdg" / "tagscape") and cache.is_dir()
    assert cache.stat().st_mode & 0o777 == 0o700


def test_a_track_of_more_than_65535_segments_is_sent_whole(tmp_path):
    """70,000 segments: 58 hours at 3 s, an archive of DJ sets; the binary layout indexes
    segments with uint32 (layout version 2)."""
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "long.wav", chord(4.0, 16000), 16000)
    index_folder(root)
    n = 70_000
    with open_collection(root) as collection:
        track = collection.tracks()[0]
        rng = np.random.default_rng(0)
        collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                      layers={"taggrams": rng.random((n, 50)).astype(np.float16), "embeddings": rng.random((n, 200)).astype(np.float16)})
    client = create_app(str(root), {"TESTING": True}).test_client()
    response = client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=original&x=piano&y=guitar")
    assert response.status_code == 200, response.get_data(as_text=True)
    points = parse_binary(response.data)
    assert points.arrays["segment"].dtype == np.uint32 and int(points.arrays["segment"].max()) == n - 1
    np.testing.assert_array_equal(points.arrays["segment"], np.arange(n))
