"""The real-music demo: freely licensed game music from Debian packages, cut, tagged and credited.

:func:`build_real_demo` asks apt for every package of :data:`tagscape.demo.packages.PACKAGES`,
downloads and checks each one into a cache (``~/.cache/tagscape/demo``; see
:mod:`tagscape.demo.debian`), and writes one file per track into the demo folder,
``FOLDER/<package>/<track>.ogg|.opus``: by default :data:`~tagscape.demo.excerpts.EXCERPT_SECONDS`
from the middle of each track (``full=True``: the whole track). Each file carries in its own tags
the track's title, artist, album, year and genre, its style, its licence (SPDX, with a link), its
copyright, its source package and version, and a comment saying what was cut or mixed. The
packages' copyright files go to ``FOLDER/<package>/about/``, and ``FOLDER/SOURCES.md`` lists
every track with its credits.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tagscape import files
from tagscape.audio.decode import probe
from tagscape.collection import user_cache_root
from tagscape.demo import debian
from tagscape.demo.excerpts import (
    COPIED_CODECS,
    EXCERPT_SECONDS,
    OPUS_BIT_RATE,
    copy_packets,
    duration_of,
    excerpt_window,
    mix_stems,
    write_opus,
    write_tags,
)
from tagscape.demo.folder import is_current, read_manifest, write_manifest
from tagscape.demo.packages import PACKAGES, READERS, Package, TrackInfo
from tagscape.errors import AudioError, DownloadError, TagscapeError
from tagscape.provenance import licence_info
from tagscape.store.tracks import read_file_metadata

#: Bumped when the demo's files would come out differently (rules, tags, table).
DEMO_VERSION = 1
#: Tracks shorter than this are left out (jingles, cues).
MIN_TRACK_SECONDS = 20.0
#: File tags that only hold placeholders, as some packaged files have them.
_PLACEHOLDERS = {"", "none", "non", "(none)", "<unknown>", "unknown", "untitled"}

#: say(message): one line for the user.
Say = Callable[[str], None]
#: progress(done, total): tracks written.
Progress = Callable[[int, int], None] | None


def demo_cache_dir() -> Path:
    """Where packages and their files are kept: ``$XDG_CACHE_HOME/tagscape/demo``."""
    return user_cache_root() / "demo"


@dataclass(frozen=True)
class SourceTrack:
    """One track found in an unpacked package."""

    package: Package
    info: debian.PackageInfo
    key: str
    relative: str  # below the package: a path, or ARCHIVE!MEMBER
    paths: tuple[Path, ...]  # the file, or the stems to mix


@dataclass(frozen=True)
class RealTrack:
    """One file of the demo and what its tags say."""

    path: str  # relative to the demo folder
    package: str
    version: str
    title: str
    artist: str | None
    album: str | None
    year: int | None
    genre: str | None
    style: str
    licence: str
    copyright: str | None
    seconds: float  # of audio in the demo's file
    source_seconds: float  # of the original track


@dataclass
class DemoReport:
    tracks: list[RealTrack] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)  # name -> version used
    #: ``(what, why)``: packages that could not be had, files that could not be read.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    fetched_bytes: int = 0
    reused: bool = False  # the folder already held this demo: nothing was done

    @property
    def seconds(self) -> float:
        return sum(track.seconds for track in self.tracks)


def variant(*, full: bool) -> dict:
    """What identifies a build of the real-music demo in the folder's manifest."""
    return {"kind": "real", "full": full, "excerpt_seconds": None if full else EXCERPT_SECONDS, "version": DEMO_VERSION}


def _clean(value) -> str | None:
    """A tag value, or None for a placeholder or a web address where a name should be."""
    text = str(value).strip() if value is not None else ""
    if text.casefold() in _PLACEHOLDERS or "://" in text or text.casefold().startswith(("www.", "(c)")):
        return None
    return text


def _file_info(path: Path) -> TrackInfo:
    fields, extra = read_file_metadata(path)
    copyright_tag = next((value for name, value in extra if name == "copyright"), None)
    return TrackInfo(title=_clean(fields["title"]), artist=_clean(fields["artist"]), album=_clean(fields["album"]),
                     year=fields["year"] if fields["year"] and fields["year"] > 1900 else None, genre=_clean(fields["genre"]),
                     copyright=_clean(copyright_tag))


def _members(root: Path, archive_glob: str, member_glob: str) -> list[tuple[str, Path]]:
    """Members of zip archives below ``root`` matching ``member_glob``, extracted once beside the package's files."""
    found = []
    for archive in sorted(root.glob(archive_glob)):
        with zipfile.ZipFile(archive) as zipped:
            for member in sorted(zipped.namelist()):
                if member.endswith("/") or not fnmatch.fnmatch(member, member_glob):
                    continue
                target = root / ".members" / archive.name / member
                if not target.is_file():
                    tmp = files.temp_path(target)
                    with zipped.open(member) as source, open(tmp, "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
                    os.replace(tmp, target)
                found.append((f"{archive.relative_to(root).as_posix()}!{member}", target))
    return found


def find_tracks(package: Package, info: debian.PackageInfo, root: Path) -> list[SourceTrack]:
    """The package's music files (or songs of stems) below its unpacked folder, excluded ones left out."""
    matches: list[tuple[str, Path]] = []
    for pattern in package.files:
        if "!" in pattern:
            matches += _members(root, *pattern.split("!", 1))
        else:
            matches += [(path.relative_to(root).as_posix(), path) for path in sorted(root.glob(pattern)) if path.is_file()]
    tracks, keys = [], set()
    for relative, path in matches:
        key = path.parent.name if package.stems else path.stem
        if package.excluded(key) or key in keys:
            continue
        keys.add(key)
        paths = tuple(path.parent / stem for stem in package.stems if (path.parent / stem).is_file()) if package.stems else (path,)
        tracks.append(SourceTrack(package, info, key, relative, paths))
    return tracks


def _file_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._") or "track"


def describe(track: SourceTrack) -> TrackInfo:
    """Everything known about a track: the table's entry, the package's notes, the file's tags, the defaults."""
    package = track.package
    notes = READERS[package.reader](track.paths[0]) if package.reader else TrackInfo()
    return package.explicit(track.key, track.relative).over(notes).over(_file_info(track.paths[0])).over(package.defaults)


def cut_track(track: SourceTrack, folder: Path, *, full: bool) -> RealTrack:
    """Write one demo file for ``track`` into ``folder/<package>/`` with its tags; returns what was written."""
    package, info = track.package, track.info
    meta = describe(track)
    duration = max(duration_of(path) for path in track.paths)
    if duration < MIN_TRACK_SECONDS:
        raise AudioError(track.paths[0], f"{duration:.1f} s long, shorter than the {MIN_TRACK_SECONDS:g} s a demo track needs")
    start, end = (0.0, duration) if full else excerpt_window(duration)
    what = "the whole track" if full else f"{end - start:.0f} s from the middle ({start:.1f}-{end:.1f} s of {duration:.1f} s)"
    origin = f"{track.relative} in the Debian package {info.name} {info.version}"
    relative_dir = Path(package.name)
    if len(track.paths) > 1:
        samples, rate, gain = mix_stems(track.paths, start=start, end=None if full else end)
        target = folder / relative_dir / f"{_file_name(track.key)}.opus"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_opus(samples, rate, target)
        scaled = f", scaled by {gain:.2f} not to clip" if gain < 1.0 else ""
        comment = (f"Mix of the stems {' + '.join(path.name for path in track.paths)}{scaled}; {what}; "
                   f"encoded as Opus at {OPUS_BIT_RATE // 1000} kbit/s by tagscape. From {origin}.")
        seconds = samples.shape[1] / rate
    else:
        extension = COPIED_CODECS.get(probe(track.paths[0]).codec, ".ogg")
        target = folder / relative_dir / f"{_file_name(track.key)}{extension}"
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_packets(track.paths[0], target, start=start, end=None if full else end)
        comment = f"{what[0].upper()}{what[1:]}: the compressed audio unchanged, tags rewritten by tagscape. From {origin}."
        seconds = end - start
    licence = licence_info(meta.licence)
    title = meta.title or track.key
    write_tags(target, {
        "title": title, "artist": meta.artist, "album": meta.album, "date": meta.year, "genre": meta.genre,
        "style": meta.style, "licence": meta.licence, "licence_url": licence.url if licence else None, "copyright": meta.copyright,
        "source": info.name, "source_version": info.version, "source_url": package.url, "comment": comment,
    })
    return RealTrack(path=target.relative_to(folder).as_posix(), package=info.name, version=info.version, title=title,
                     artist=meta.artist, album=meta.album, year=meta.year, genre=meta.genre, style=meta.style, licence=meta.licence,
                     copyright=meta.copyright, seconds=round(seconds, 3), source_seconds=round(duration, 3))


def copy_docs(package: Package, root: Path, folder: Path) -> list[str]:
    """The package's licence texts and notes, copied to ``folder/<package>/about/``; their relative names."""
    written = []
    for pattern in package.docs:
        for path in sorted(root.glob(pattern)):
            if not path.is_file():
                continue
            target = folder / package.name / "about" / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            written.append(target.relative_to(folder).as_posix())
    return written


def build_real_demo(folder: Path, *, full: bool = False, cache_dir: Path | None = None, packages: Sequence[Package] = PACKAGES,
                    infos: dict[str, debian.PackageInfo] | None = None, say: Say = lambda message: None,
                    progress: Progress = None, threads: int = 2) -> DemoReport:
    """Build (or find already built) the real-music demo in ``folder``.

    Parameters
    ----------
    folder : Path
        The demo collection's folder; files of a previous demo built there are replaced.
    full : bool
        Whole tracks instead of excerpts.
    cache_dir : Path, optional
        Packages and their unpacked files (default :func:`demo_cache_dir`).
    packages : sequence of Package
        The sources (default: the demo's table).
    infos : dict, optional
        Package name -> :class:`~tagscape.demo.debian.PackageInfo` to use instead of asking apt
        (a package already in the cache, or built locally).
    say, progress : callables for messages and for tracks written.
    threads : int
        Packages fetched and unpacked, and tracks cut, at the same time.

    Raises
    ------
    DownloadError
        No package could be had (no apt, no network, none offered): the message says why.
    """
    folder = Path(folder)
    wanted = variant(full=full)
    if is_current(folder, wanted):
        manifest = read_manifest(folder) or {}
        return DemoReport(packages=dict(manifest.get("packages", {})), reused=True)
    cache_dir = Path(cache_dir) if cache_dir else demo_cache_dir()
    report = DemoReport()
    if infos is None:
        missing = debian.apt_missing()
        if missing:
            raise DownloadError(missing)
        infos = debian.package_infos([package.name for package in packages])
    for package in packages:
        if not isinstance(infos.get(package.name), debian.PackageInfo):
            report.skipped.append((package.name, str(infos.get(package.name) or "not described")))
    wanted_packages = [package for package in packages if isinstance(infos.get(package.name), debian.PackageInfo)]
    folder.mkdir(parents=True, exist_ok=True)
    found: list[SourceTrack] = []
    written: list[str] = []
    started = time.monotonic()

    def obtain(package: Package) -> tuple[Package, debian.PackageInfo, Path, bool]:
        info = infos[package.name]
        had = (cache_dir / "packages" / info.key / ".complete").is_file()
        return package, info, debian.obtain(info, cache_dir), had

    with ThreadPoolExecutor(max(1, threads)) as pool:
        fetches = {pool.submit(obtain, package): package for package in wanted_packages}
        for future in as_completed(fetches):
            try:
                package, info, root, had = future.result()
            except DownloadError as exc:
                report.skipped.append((fetches[future].name, exc.message))
                continue
            report.fetched_bytes += 0 if had else info.size
            tracks = find_tracks(package, info, root)
            say(f"{info.name} {info.version}: {len(tracks)} tracks; {info.size / 1e6:.0f} MB "
                f"{'in the cache' if had else 'downloaded'}, SHA-256 checked ({time.monotonic() - started:.0f} s)")
            report.packages[info.name] = info.version
            found += tracks
            written += copy_docs(package, root, folder)
        if not report.packages:
            name, why = report.skipped[0] if report.skipped else ("", "no package")
            more = f"; {len(report.skipped) - 1} more alike" if len(report.skipped) > 1 else ""
            raise DownloadError(f"none of the demo's {len(packages)} packages could be had ({name}: {why}{more})")
        order = {package.name: i for i, package in enumerate(packages)}
        found.sort(key=lambda track: (order[track.package.name], track.relative))
        cuts = {pool.submit(cut_track, track, folder, full=full): track for track in found}
        results: dict[str, RealTrack] = {}
        for i, future in enumerate(as_completed(cuts), start=1):
            track = cuts[future]
            try:
                results[track.relative + track.package.name] = future.result()
            except TagscapeError as exc:
                report.skipped.append((f"{track.package.name}/{track.relative}", exc.reason if isinstance(exc, AudioError) else exc.message))
            if progress:
                progress(i, len(found))
    report.tracks = [results[key] for key in (track.relative + track.package.name for track in found) if key in results]
    report.packages = {name: report.packages[name] for name in sorted(report.packages, key=order.get)}
    written += [track.path for track in report.tracks]
    written.append(write_sources(folder, report, full=full))
    write_manifest(folder, wanted, written, packages=report.packages)
    return report


def write_sources(folder: Path, report: DemoReport, *, full: bool) -> str:
    """``SOURCES.md``: every track of the demo with its credits and licence, by package."""
    what = "Whole tracks" if full else f"Each file is {EXCERPT_SECONDS:g} s from the middle of a track"
    intro = (f"Made by `tagscape demo`{' --full' if full else ''} from Debian packages (fetched with `apt-get download`, "
             f"checked against apt's SHA-256, never installed). {what}; each file's own tags say what was done to it. "
             "The packages' copyright files are in `<package>/about/`.")
    lines = ["# Sources of this demo collection", "", intro, ""]
    for name, version in report.packages.items():
        tracks = [track for track in report.tracks if track.package == name]
        lines += [f"## {name} {version}", "", "| file | title | artist | year | licence | style |", "|---|---|---|---|---|---|"]
        lines += [f"| `{track.path}` | {track.title} | {track.artist or ''} | {track.year or ''} | {track.licence} | {track.style} |" for track in tracks]
        lines.append("")
    licences = sorted({track.licence for track in report.tracks})
    lines += ["## Licences", ""]
    for spdx in licences:
        known = licence_info(spdx)
        lines.append(f"- **{spdx}**" + (f": {known.name}, <{known.url}>. {known.requires}" if known else ""))
    target = folder / "SOURCES.md"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target.name
