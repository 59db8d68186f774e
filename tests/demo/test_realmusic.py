"""The real-music demo: cutting and mixing, tags and credits, packages checked against their
checksums, the folder's manifest, and the fallback to synthesised music.

Nothing is downloaded: packages are built here with ``dpkg-deb --build`` from the test recordings
(tests/data/music) and synthesised tones, or taken from apt's own archive cache where a package
is already there. Tests that need dpkg-deb or apt skip with the reason where they are absent.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import MUSIC, chord, write_audio

from tagscape.audio.clips import decode_range
from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.demo import debian
from tagscape.demo.build import prepare_demo, synthetic_variant
from tagscape.demo.excerpts import EXCERPT_SECONDS, copy_packets, duration_of, excerpt_window, mix_stems, write_opus, write_tags
from tagscape.demo.folder import MANIFEST, read_manifest, write_manifest
from tagscape.demo.packages import PACKAGES, STYLES, Package, TrackInfo
from tagscape.demo.realmusic import build_real_demo
from tagscape.errors import AudioError, DownloadError
from tagscape.provenance import licence_info
from tagscape.store.tracks import read_file_metadata

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="no dpkg-deb: not a Debian or Ubuntu system")

NAME = "tagscape-test-music"
TEST_PACKAGE = Package(
    name=NAME, description="test music", tested_version="1:0.1-1", download_mb=1.0,
    files=("usr/share/games/testmusic/*.opus", "usr/share/games/testmusic/music.pk3!music/*.ogg"),
    defaults=TrackInfo(album="Test Album", genre="Test Genre", style="orchestral", licence="GPL-2.0-or-later", copyright="2024 Test Composer"),
    tracks={"long_chord": TrackInfo(title="Long Chord", artist="Sine Ensemble", year=2021), "choir": TrackInfo(style="vocal")},
    exclude=("jingle",),
    docs=(f"usr/share/doc/{NAME}/copyright",),
)


def tags_of(path: Path) -> dict[str, list[str]]:
    _, extra = read_file_metadata(path)
    out: dict[str, list[str]] = {}
    for name, value in extra:
        out.setdefault(name, []).append(value)
    return out


# -- the rule, cutting, mixing ---------------------------------------------------------------


@pytest.mark.parametrize("duration, expected", [(222.0, (88.5, 133.5)), (45.0, (0.0, 45.0)), (20.0, (0.0, 20.0)), (46.0, (0.5, 45.5))])
def test_an_excerpt_is_the_middle_of_a_track_or_all_of_a_short_one(duration, expected):
    assert excerpt_window(duration) == expected
    start, end = excerpt_window(duration)
    assert end - start == pytest.approx(min(duration, EXCERPT_SECONDS)) and start == pytest.approx(duration - end)


def test_a_copied_excerpt_decodes_to_exactly_the_originals_samples(tmp_path):
    """Packets are copied, never re-encoded: past the first packet the samples are the original's, bit for bit."""
    target = tmp_path / "excerpt.ogg"
    assert copy_packets(MUSIC / "orchestral.ogg", target, start=5.0, end=15.0) == "vorbis"
    assert duration_of(target) == pytest.approx(10.0, abs=0.05)
    original, rate = decode_range(MUSIC / "orchestral.ogg", start=0.0, end=20.0)
    excerpt, excerpt_rate = decode_range(target, start=0.0, end=20.0)
    assert excerpt_rate == rate and 9.9 * rate < excerpt.shape[1] <= 10.0 * rate
    window = excerpt[:, rate // 2 : rate // 2 + 4096]
    offsets = [o for o in range(5 * rate, int(5.1 * rate)) if np.array_equal(original[:, o + rate // 2 : o + rate // 2 + 4096], window)]
    assert len(offsets) == 1, "the excerpt starts at one place within the first 0.1 s after its start"
    o = offsets[0]
    assert np.array_equal(original[:, o : o + excerpt.shape[1]], excerpt)


def test_only_ogg_vorbis_and_opus_packets_are_copied(tmp_path):
    with pytest.raises(AudioError, match="mp3"):
        copy_packets(MUSIC / "piano.mp3", tmp_path / "x.ogg", start=1.0, end=2.0)
    assert not (tmp_path / "x.ogg").exists()


def test_stems_are_summed_and_scaled_down_only_where_the_sum_would_clip(tmp_path):
    sr = 44100
    loud = [write_audio(tmp_path / f"loud{i}.flac", chord(4.0, sr, amplitude=0.7), sr) for i in range(2)]
    quiet = [write_audio(tmp_path / f"quiet{i}.flac", chord(4.0, sr, freqs=(f,), amplitude=0.2), sr) for i, f in enumerate((220.0, 330.0))]
    mix, rate, gain = mix_stems(quiet, start=1.0, end=3.0)
    assert rate == sr and gain == 1.0 and mix.shape == (2, 2 * sr)
    one, _ = decode_range(quiet[0], start=1.0, end=3.0)
    two, _ = decode_range(quiet[1], start=1.0, end=3.0)
    np.testing.assert_allclose(mix[0], one[0] + two[0], atol=1e-6)
    mix, _, gain = mix_stems(loud)
    assert gain < 1.0 and np.abs(mix).max() == pytest.approx(0.98, abs=1e-4) and mix.shape[1] == 4 * sr


def test_a_mix_encoded_as_opus_keeps_its_length_and_its_tags(tmp_path):
    sr = 44100
    target = tmp_path / "mix.opus"
    write_opus(np.stack([chord(3.0, sr), chord(3.0, sr)]), sr, target)
    write_tags(target, {"title": "Mixed", "licence": "CC-BY-SA-3.0", "date": 2007, "album": None, "source": "pkg"})
    assert duration_of(target) == pytest.approx(3.0, abs=0.03)
    fields, _ = read_file_metadata(target)
    assert fields["title"] == "Mixed" and fields["year"] == 2007 and fields["album"] is None
    assert tags_of(target)["licence"] == ["CC-BY-SA-3.0"] and tags_of(target)["source"] == ["pkg"]


# -- the table --------------------------------------------------------------------------------


def test_the_table_covers_every_style_with_known_licences():
    assert len(PACKAGES) >= 6 and len({p.name for p in PACKAGES}) == len(PACKAGES)
    styles = set()
    for package in PACKAGES:
        assert package.defaults.style in STYLES and licence_info(package.defaults.licence), package.name
        for key, info in package.tracks.items():
            assert info.style is None or info.style in STYLES, (package.name, key)
            assert info.licence is None or licence_info(info.licence), (package.name, key)
        assert all(licence_info(licence) for _, licence in package.licences), package.name
        styles |= {package.defaults.style} | {info.style for info in package.tracks.values() if info.style}
    assert styles == set(STYLES)


# -- packages built here, the cache, the manifest ---------------------------------------------


@pytest.fixture(scope="module")
def local_deb(tmp_path_factory) -> Path:
    """A Debian package of music built here: two long tones and a jingle (Ogg Opus), and a recording (Ogg Vorbis) in a zip."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("no dpkg-deb: not a Debian or Ubuntu system")
    root = tmp_path_factory.mktemp("debroot")
    music = root / "usr/share/games/testmusic"
    music.mkdir(parents=True)
    write_audio(music / "long_chord.opus", chord(50.0, 48000, amplitude=0.5), 48000)
    write_audio(music / "low_drone.opus", chord(30.0, 48000, freqs=(110.0, 165.0)), 48000)
    write_audio(music / "jingle.opus", chord(5.0, 48000), 48000)
    with zipfile.ZipFile(music / "music.pk3", "w") as archive:
        archive.write(MUSIC / "choir.ogg", "music/choir.ogg")
    doc = root / "usr/share/doc" / NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: *\nCopyright: 2024 Test Composer\nLicense: GPL-2+\n")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(f"Package: {NAME}\nVersion: 1:0.1-1\nArchitecture: all\nMaintainer: Test <test@example.org>\n"
                                             "Description: music for tagscape's tests\n")
    deb = tmp_path_factory.mktemp("deb") / "test.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.fixture
def cached(local_deb, tmp_path) -> tuple[Path, debian.PackageInfo]:
    """A cache folder holding the package as the download step leaves it, and what is known of it."""
    info = debian.cached_info(local_deb)
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    shutil.copyfile(local_deb, cache / "debs" / info.deb_name)
    return cache, info


def test_a_package_becomes_excerpts_that_carry_their_credits(cached, tmp_path):
    cache, info = cached
    folder = tmp_path / "demo"
    report = build_real_demo(folder, packages=[TEST_PACKAGE], infos={NAME: info}, cache_dir=cache)
    assert info.version == "1:0.1-1" and report.packages == {NAME: "1:0.1-1"} and not report.reused
    by_path = {track.path: track for track in report.tracks}
    assert set(by_path) == {f"{NAME}/long_chord.opus", f"{NAME}/low_drone.opus", f"{NAME}/choir.ogg"}  # the jingle is left out
    assert duration_of(folder / NAME / "long_chord.opus") == pytest.approx(45.0, abs=0.1)  # 2.5-47.5 s of 50 s
    assert duration_of(folder / NAME / "low_drone.opus") == pytest.approx(30.0, abs=0.1)  # shorter than 45 s: whole
    chord_tags = tags_of(folder / NAME / "long_chord.opus")
    assert chord_tags["title"] == ["Long Chord"] and chord_tags["artist"] == ["Sine Ensemble"] and chord_tags["date"] == ["2021"]
    assert chord_tags["licence"] == ["GPL-2.0-or-later"] and chord_tags["licence_url"] == [licence_info("GPL-2.0-or-later").url]
    assert chord_tags["source"] == [NAME] and chord_tags["source_version"] == ["1:0.1-1"] and chord_tags["style"] == ["orchestral"]
    assert "45 s from the middle (2.5-47.5 s of 50.0 s)" in chord_tags["comment"][0]
    choir = tags_of(folder / NAME / "choir.ogg")  # its own tags (title, artist, copyright) win over the package's defaults
    assert choir["title"] == ["Elf Land (20 s excerpt from 4 s)"] and choir["artist"] == ["Aleksi Aubry-Carlson"]
    assert choir["copyright"] == ["GPL-2+ (The Battle for Wesnoth)"] and choir["style"] == ["vocal"] and choir["album"] == ["Test Album"]
    assert "music.pk3!music/choir.ogg" in choir["comment"][0]
    assert (folder / NAME / "about" / f"usr/share/doc/{NAME}/copyright").read_text().startswith("Files: *")
    assert "Long Chord" in (folder / "SOURCES.md").read_text()

    index_folder(folder)
    with open_collection(folder) as collection:
        about = collection.about()
    assert about["tracks"] == 3 and about["unlicensed_tracks"] == 0 and about["unsourced_tracks"] == 0
    (source,) = about["sources"]
    assert source["source"] == NAME and source["versions"] == ["1:0.1-1"] and source["tracks"] == 3
    assert {s["name"]: s["tracks"] for s in source["styles"]} == {"orchestral": 2, "vocal": 1}
    (licence,) = about["licences"]
    assert licence["licence"] == "GPL-2.0-or-later" and licence["sources"] == [NAME] and "GPL" in licence["requires"]

    again = build_real_demo(folder, packages=[TEST_PACKAGE], infos={}, cache_dir=cache)  # nothing asked of apt or the cache
    assert again.reused and again.packages == {NAME: "1:0.1-1"}
    whole = build_real_demo(folder, full=True, packages=[TEST_PACKAGE], infos={NAME: info}, cache_dir=cache)
    assert not whole.reused and duration_of(folder / NAME / "long_chord.opus") == pytest.approx(50.0, abs=0.1)
    assert "the whole track" in tags_of(folder / NAME / "long_chord.opus")["comment"][0].lower()


def test_a_damaged_package_in_the_cache_is_never_used(cached):
    cache, info = cached
    deb = cache / "debs" / info.deb_name
    data = bytearray(deb.read_bytes())
    data[len(data) // 2] ^= 0xFF
    deb.write_bytes(bytes(data))
    with pytest.raises(DownloadError):  # apt cannot download a package that exists only here (or is absent)
        debian.fetch(info, cache, apt_archives=None)
    assert not deb.exists()


def test_a_new_demo_replaces_only_the_files_of_the_previous_one(cached, tmp_path):
    cache, info = cached
    folder = tmp_path / "demo"
    (folder / "piano").mkdir(parents=True)
    (folder / "piano" / "old.flac").write_bytes(b"synthesised")
    (folder / "mine.txt").write_text("the user's own file")
    write_manifest(folder, synthetic_variant(seed=0, per_style=1), ["piano/old.flac", "../outside.txt"])
    build_real_demo(folder, packages=[TEST_PACKAGE], infos={NAME: info}, cache_dir=cache)
    assert not (folder / "piano").exists() and (folder / "mine.txt").is_file()
    manifest = read_manifest(folder)
    assert manifest["variant"]["kind"] == "real" and f"{NAME}/long_chord.opus" in manifest["files"] and "SOURCES.md" in manifest["files"]


def test_without_apt_the_demo_says_so_in_one_line_and_uses_synthesised_music(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "track.flac").write_bytes(b"synthesised before")
    write_manifest(folder, synthetic_variant(seed=0, per_style=4), ["track.flac"])  # built already: nothing is rendered
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    said = []
    result = prepare_demo(folder, say=said.append, cache_dir=tmp_path / "cache")
    assert result.kind == "synthetic" and result.reused and "no apt-get" in result.fallback_reason
    assert len(said) == 1 and said[0].count("\n") == 0 and "synthesised" in said[0]
    with pytest.raises(DownloadError, match="no apt-get"):  # whole real tracks were asked for: no fallback
        prepare_demo(folder, full=True, cache_dir=tmp_path / "cache")


def test_synthetic_and_full_together_are_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "demo"), "--synthetic", "--full", "--no-serve"])
    assert result.exit_code == 2 and "--full" in result.output and not (tmp_path / "demo" / MANIFEST).exists()


def test_the_download_path_with_a_package_apt_already_holds(tmp_path):
    """apt describes the package (size, SHA-256); fetching copies and checks it; dpkg-deb unpacks it."""
    missing = debian.apt_missing()
    if missing:
        pytest.skip(missing)
    candidates = sorted(debian.APT_ARCHIVES.glob("*_all.deb"), key=lambda p: p.stat().st_size)[:40] if debian.APT_ARCHIVES.is_dir() else []
    infos = debian.package_infos(sorted({path.name.split("_")[0] for path in candidates})) if candidates else {}
    found = [info for info in infos.values() if isinstance(info, debian.PackageInfo) and (debian.APT_ARCHIVES / info.deb_name).is_file()]
    if not found:
        pytest.skip(f"no package of architecture all in {debian.APT_ARCHIVES} is apt's candidate version")
    info = found[0]
    deb = debian.fetch(info, tmp_path)
    assert deb == tmp_path / "debs" / info.deb_name and deb.stat().st_size == info.size and debian.sha256_of(deb) == info.sha256
    root = debian.unpack(deb, info, tmp_path)
    assert (root / ".complete").is_file() and any(path.is_file() for path in (root / "usr").rglob("*"))
    assert debian.unpack(deb, info, tmp_path) == root  # unpacked once
