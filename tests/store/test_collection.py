"""Collections end to end: index, extract, status, arrays, metadata, errors, a killed run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mutagen
import numpy as np
import pytest
from click.testing import CliRunner
from mutagen.flac import FLAC

from conftest import chord, write_audio
from tagscape.audio.decode import load_audio
from tagscape.cli import main
from tagscape.collection import index_folder, index_jamendo, open_collection
from tagscape.extract import extract_collection
from tagscape.models.registry import DEFAULT_MODELS, MODELS

MODEL_IDS = list(DEFAULT_MODELS)  # the packaged models (what extract runs when VGGish was not added)
SHARED_TSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "mtg-jamendo" / "tracks.tsv"


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real ``tagscape`` command in a subprocess; as root, without the right to read any file."""
    command = [sys.executable, "-m", "tagscape.cli", *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    if check:
        assert result.returncode == 0, result.stderr
    return result


def expected_segments(path: Path) -> int:
    return max(1, (1 + load_audio(path).size // 256) // 187)


def test_folder_with_bad_files_extracts_the_good_and_lists_the_bad(music_folder, tmp_path):
    bad = music_folder / "bad"
    bad.mkdir()
    good = sorted(p for p in music_folder.rglob("*") if p.is_file())
    (bad / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 40)
    (bad / "empty.ogg").write_bytes(b"")
    (bad / "text.mp3").write_text("not audio at all\n" * 50)
    write_audio(bad / "locked.wav", chord(5.0, 16000), 16000).chmod(0)
    vanishing = write_audio(bad / "vanishing.wav", chord(5.0, 16000), 16000)

    indexed = cli("index", str(music_folder))
    assert f"{len(good) + 5} tracks: {len(good) + 5} new" in indexed.stdout
    vanishing.unlink()  # disappears between index and extract
    cli("extract", "-c", str(music_folder))
    status = cli("status", "-c", str(music_folder)).stdout
    for model_id in MODEL_IDS:
        assert f"{model_id:<14} done {len(good):>6}  pending      0  failed      5" in status
    for name, reason in [("corrupt.flac", "not a readable audio file"), ("empty.ogg", "empty file"), ("text.mp3", "not a readable audio file"),
                         ("locked.wav", "permission denied"), ("vanishing.wav", "file not found")]:
        assert f"bad/{name}: " in status and reason in status

    with open_collection(music_folder) as collection:
        tracks = {t["key"]: t for t in collection.tracks()}
        for model_id in MODEL_IDS:
            for layer_name, size in ((layer.name, layer.size) for layer in MODELS[model_id].layers):
                layer = collection.layer(model_id, layer_name)
                assert layer.values.shape == (layer.offsets[-1], size)
                assert layer.n_tracks == len(good)
                for path in good:
                    key = path.relative_to(music_folder).as_posix()
                    assert layer.track(tracks[key]["track_id"]).shape == (expected_segments(path), size)
                assert np.isfinite(layer.values).all()


def test_reindex_picks_up_new_changed_and_deleted_files_and_reextracts_changed(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    write_audio(root / "a.wav", chord(4.0, 16000), 16000)
    write_audio(root / "b.wav", chord(4.0, 16000, freqs=(440.0,)), 16000)
    assert index_folder(root).added == 2
    with open_collection(root) as collection:
        assert extract_collection(collection, ["vgg-mtt"]).done == 2
        before = collection.layer("vgg-mtt", "taggrams").values.shape
    write_audio(root / "a.wav", chord(8.0, 16000, freqs=(80.0, 160.0)), 16000)  # changed: longer, other notes
    os.utime(root / "a.wav", (time.time() + 5, time.time() + 5))
    (root / "b.wav").unlink()
    write_audio(root / "c.wav", chord(4.0, 16000), 16000)
    report = index_folder(root)
    assert (report.added, report.changed, report.unchanged, report.removed) == (1, 1, 0, 1)
    with open_collection(root) as collection:
        pending = collection.store.pending("vgg-mtt")
        assert sorted(t["key"] for t in pending) == ["a.wav", "c.wav"]
        assert extract_collection(collection, ["vgg-mtt"]).done == 2
        layer = collection.layer("vgg-mtt", "taggrams")
        keys = {t["track_id"]: t["key"] for t in collection.tracks()}
        assert sorted(keys[int(t)] for t in layer.track_ids) == ["a.wav", "c.wav"]
        assert layer.values.shape[0] == 2 + 1 and before[0] == 2  # a.wav now has 2 segments
        assert extract_collection(collection, ["vgg-mtt"]).done == 0  # nothing left to do


def _store_arrays(data_dir: Path) -> dict[str, np.ndarray]:
    with open_collection(data_dir) as collection:
        keys = {t["track_id"]: t["key"] for t in collection.tracks()}
        out = {}
        for model_id in MODEL_IDS:
            for layer_name in ("taggrams", "embeddings"):
                layer = collection.layer(model_id, layer_name)
                for track_id in layer.track_ids:
                    out[f"{model_id}/{layer_name}/{keys[int(track_id)]}"] = np.array(layer.track(track_id))
        results = collection.store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT track_id || model_id) FROM results").fetchone()
        assert results[0] == results[1]  # nothing duplicated
        return out


def test_a_run_killed_at_any_moment_resumes_to_the_same_store(music_folder, tmp_path):
    files = sorted(p for p in music_folder.rglob("*") if p.is_file())[:4]
    reference_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    index_folder(music_folder, data_dir=reference_dir)
    cli("extract", "-c", str(reference_dir))
    expected = _store_arrays(reference_dir)
    assert len(expected) == 4 * 2 * len(list(music_folder.rglob("*.*")))

    index_folder(music_folder, data_dir=killed_dir)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for delay in (0.5, 2.5, 4.0, 6.5):
        process = subprocess.Popen([sys.executable, "-m", "tagscape.cli", "extract", "-c", str(killed_dir)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert files  # the collection is not empty
    cli("extract", "-c", str(killed_dir))
    resumed = _store_arrays(killed_dir)
    assert resumed.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)


def test_metadata_round_trips_unchanged(tmp_path):
    root = tmp_path / "meta"
    root.mkdir()
    values = {
        "title": "Étude nº 2 – Pluie 雨 ☔",
        "artist": "<script>alert('x')</script> & \"Friends\"",
        "album": "A" * 3000 + " — long",
        "genre": "Musique concrète",
    }
    path = write_audio(root / "x.flac", chord(3.0, 16000), 16000)
    tags = FLAC(path)
    for name, value in values.items():
        tags[name] = value
    tags["date"] = "1999-04-01"
    tags["tracknumber"] = "7/12"
    tags["comment"] = "línea 1\nline 2"
    tags.save()
    mp3 = write_audio(root / "y.mp3", chord(3.0, 16000), 16000)
    easy = mutagen.File(mp3, easy=True)
    if easy.tags is None:
        easy.add_tags()
    easy["title"] = values["title"]
    easy["artist"] = values["artist"]
    easy.save()
    index_folder(root)
    with open_collection(root) as collection:
        tracks = {t["key"]: t for t in collection.tracks()}
        meta = collection.metadata(tracks["x.flac"]["track_id"])
        for name, value in values.items():
            assert meta[name] == value
        assert (meta["year"], meta["tracknumber"]) == (1999, 7)
        assert meta["tags"]["comment"] == ["línea 1\nline 2"]
        assert abs(meta["duration"] - 3.0) < 0.01 and meta["size"] == path.stat().st_size
        assert len(meta["content_hash"]) == 32
        mp3_meta = collection.metadata(tracks["y.mp3"]["track_id"])
        assert (mp3_meta["title"], mp3_meta["artist"]) == (values["title"], values["artist"])


def test_real_mtg_jamendo_list_indexes_with_typed_tags_and_urls(tmp_path):
    if not SHARED_TSV.is_file():
        pytest.fail(f"the MTG-Jamendo list is missing at {SHARED_TSV}")
    report = index_jamendo(SHARED_TSV, data_dir=tmp_path / "jamendo", audio_url="https://audio.example/{id}.mp3?from={path}")
    assert report.added == 55525
    with open_collection(tmp_path / "jamendo") as collection:
        store = collection.store
        assert store.count_tracks() == 55525
        total_hours = store.conn.execute("SELECT SUM(duration) / 3600 FROM tracks").fetchone()[0]
        assert 3700 < total_hours < 3800
        row = store.conn.execute("SELECT * FROM tracks WHERE key = 'track_0000214'").fetchone()
        assert row["url"] == "https://audio.example/214.mp3?from=14/214.mp3"
        assert (row["artist"], row["album"], row["genre"], row["duration"]) == ("artist_000014", "album_000031", "punkrock", 124.6)
        kinds = dict(store.conn.execute("SELECT kind, COUNT(DISTINCT value) FROM track_tags GROUP BY kind").fetchall())
        assert set(kinds) == {"genre", "instrument", "mood/theme"}
        lines = SHARED_TSV.read_text(encoding="utf-8").splitlines()[1:]
        distinct = {tag for line in lines for tag in line.split("\t")[5:]}
        assert sum(kinds.values()) == len(distinct) == 183  # the list's README says 184; the file has 183
    again = index_jamendo(SHARED_TSV, data_dir=tmp_path / "jamendo", audio_url="https://audio.example/{id}.mp3")
    assert (again.added, again.removed) == (0, 0)


def test_extraction_over_http_from_a_url_template(tmp_path, music_files):
    """Jamendo-style remote audio: a URL template served on loopback."""
    import http.server
    import threading

    served = tmp_path / "served" / "14"
    served.mkdir(parents=True)
    shutil.copy(music_files[0], served / f"214{music_files[0].suffix}")
    tsv = tmp_path / "tracks.tsv"
    tsv.write_text(f"TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\ntrack_0000214\tartist_1\talbum_1\t14/214{music_files[0].suffix}\t20.0\tgenre---rock\tinstrument---guitar\n")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "served"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        index_jamendo(tsv, data_dir=tmp_path / "data", audio_url=f"http://127.0.0.1:{server.server_address[1]}/{{path}}")
        with open_collection(tmp_path / "data") as collection:
            report = extract_collection(collection, ["musicnn-mtt"])
            assert (report.done, report.failed) == (1, 0)
            assert collection.layer("musicnn-mtt", "taggrams").values.shape[0] == expected_segments(music_files[0])
            assert collection.metadata(1)["tags"] == {"genre": ["rock"], "instrument": ["guitar"]}
    finally:
        server.shutdown()
        server.server_close()


def test_readers_read_while_a_writer_writes(tmp_path):
    root = tmp_path / "rw"
    root.mkdir()
    for i in range(3):
        write_audio(root / f"{i}.wav", chord(3.0, 16000, freqs=(200.0 + 100 * i,)), 16000)
    index_folder(root)
    writer = open_collection(root)
    reader = open_collection(root)
    extract_collection(writer, ["vgg-msd"])
    first = reader.layer("vgg-msd", "taggrams")
    with writer.store.transaction():  # a long write transaction in progress
        writer.store.set_meta("busy", "yes")
        assert reader.layer("vgg-msd", "embeddings").n_tracks == 3
        assert reader.store.count_tracks() == 3
    assert first.n_tracks == 3
    writer.close()
    reader.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["index", "{tmp}/nope"], "no such folder"),
        (["index", "{tmp}/empty"], "no audio files found"),
        (["extract", "-c", "{tmp}/empty"], "not an indexed collection; run: tagscape index"),
        (["status", "-c", "{tmp}/nope"], "no such folder"),
        (["extract", "-c", "{tmp}/empty", "--workers", "0"], "--workers"),
        (["index", "--jamendo", "{tmp}/nope.tsv"], "--data"),
    ],
)
def test_usage_errors_are_one_line_and_exit_code_2(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_missing_weights_stop_extraction_with_the_install_command(tmp_path, monkeypatch):
    root = tmp_path / "w"
    root.mkdir()
    write_audio(root / "a.wav", chord(1.0, 16000), 16000)
    index_folder(root)
    monkeypatch.setenv("TAGSCAPE_MUSICNN_WEIGHTS", str(tmp_path / "no-weights"))
    result = CliRunner().invoke(main, ["extract", "-c", str(root)])
    assert result.exit_code == 2
    assert "pip install --no-deps musicnn==0.1.0" in result.output and "Traceback" not in result.output
