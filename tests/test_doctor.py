"""``tagscape doctor``: one screen for a bug report, on a collection and without one; it writes nothing."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from conftest import chord, write_audio
from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.extract import extract_collection


def files_under(folder):
    """Files and their sizes and times, leaving out SQLite's -wal/-shm (a read-only reader of a WAL
    database in a writable folder makes them; they are SQLite's bookkeeping, not data)."""
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
                  if p.is_file() and not p.name.endswith(("-wal", "-shm")))


def test_doctor_without_a_collection_reports_each_section(tmp_path, monkeypatch):
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name))
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0, result.output
    for heading in ("## environment", "## models", "## places"):
        assert heading in result.output
    for line in ("tagscape ", "Python ", "onnxruntime ", "CPUExecutionProvider", "PyAV / FFmpeg ", "libavformat",
                 "musicnn-msd ", "vggish-audioset ", "resampy_kaiser_best", "explorer bundle ", "map signing key "):
        assert line in result.output, line
    assert "## collection" not in result.output
    assert not list(tmp_path.rglob("*"))  # nothing written: no cache, config or data folder made


def test_doctor_on_a_collection_reports_counts_and_maps_and_writes_nothing(tmp_path, monkeypatch):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "a.wav", chord(7.0, 16000), 16000)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, ["vgg-mtt"], threads=2)
    shutil.rmtree(root / ".tagscape" / "arrays", ignore_errors=True)
    before = files_under(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # a read-only collection's cache would go here
    result = CliRunner().invoke(main, ["doctor", "-c", str(root)])
    assert result.exit_code == 0, result.output
    section = result.output.split("## collection", 1)[1]
    assert "tracks" in section and " 1\n" in section
    assert "vgg-mtt" in section and "done 1, pending 0, failed 0, outdated 0" in section and "pca missing" in section
    assert files_under(root) == before and not (tmp_path / "xdg-cache").exists()
    missing = CliRunner().invoke(main, ["doctor", "-c", str(tmp_path / "nowhere")])
    assert missing.exit_code == 0 and "cannot be read: " in missing.output
