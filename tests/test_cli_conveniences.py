"""What users of a command line expect: --version, shell completion, and MTG-Jamendo audio without a template."""

from __future__ import annotations

from click.testing import CliRunner

from tagscape import __version__
from tagscape.cli import JAMENDO_AUDIO_URL, main
from tagscape.collection import open_collection


def test_version_is_the_packages():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"tagscape, version {__version__}"


def test_bash_completion_script_is_one_line_away():
    result = CliRunner().invoke(main, [], prog_name="tagscape", env={"_TAGSCAPE_COMPLETE": "bash_source"})
    assert result.exit_code == 0 and "_tagscape_completion()" in result.output and "complete " in result.output


def test_jamendo_audio_fills_in_jamendos_stream_per_track(tmp_path):
    tsv = tmp_path / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000214\tartist_000014\talbum_000031\t14/214.mp3\t124.6\tgenre---rock\n")
    result = CliRunner().invoke(main, ["index", "--jamendo", str(tsv), "--data", str(tmp_path / "data"), "--jamendo-audio"])
    assert result.exit_code == 0, result.output
    with open_collection(tmp_path / "data") as collection:
        assert [t["url"] for t in collection.tracks()] == ["https://mp3d.jamendo.com/?trackid=214&format=mp32"]
    assert JAMENDO_AUDIO_URL.format(id=214) == "https://mp3d.jamendo.com/?trackid=214&format=mp32"
    both = CliRunner().invoke(main, ["index", "--jamendo", str(tsv), "--data", str(tmp_path / "d2"), "--jamendo-audio", "--audio-url", "https://x/{id}"])
    assert both.exit_code == 2 and "one of --jamendo-audio, --audio-url and --audio-root" in both.output
