"""Finding tracks and reading their metadata: audio folders (mutagen) and MTG-Jamendo lists."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import mutagen

from tagscape.errors import CollectionError, UsageError

AUDIO_EXTENSIONS = frozenset(
    ".mp3 .ogg .oga .opus .flac .wav .wave .m4a .mp4 .aac .wma .aif .aiff .aifc .ape .wv .mka .webm .mpc .ac3".split()
)

#: Easy-tag names that become track columns; the rest go to track_tags.
_COLUMN_TAGS = {"title", "artist", "album", "genre", "date", "tracknumber"}

Progress = Callable[[int, int], None] | None


def scan_folder(root: Path, *, follow_symlinks: bool = False, skipped: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """Audio files below ``root`` (by extension), skipping hidden folders, in sorted order.

    Only regular files count (a FIFO or a device named ``x.mp3`` would hang the indexer), and
    only those whose real path lies inside ``root``: a link ``x.mp3 -> ~/.ssh/id_rsa`` would
    otherwise be indexed and then served. ``follow_symlinks`` allows links that lead out of
    the folder (to regular files still). Linked folders are never entered. What is left out
    is appended to ``skipped`` as ``(relative path, reason)``.
    """
    real_root = root.resolve()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in AUDIO_EXTENSIONS:
                continue
            path = Path(folder) / name
            reason = _not_indexable(path, real_root, follow_symlinks=follow_symlinks)
            if reason is None:
                yield path
            elif skipped is not None:
                skipped.append((path.relative_to(root).as_posix(), reason))


def _not_indexable(path: Path, real_root: Path, *, follow_symlinks: bool) -> str | None:
    """Why ``path`` is not indexed, or None."""
    try:
        real = path.resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError):  # a dangling link, a loop
        return "a link to nothing"
    if not follow_symlinks and not real.is_relative_to(real_root):
        return "a link out of the folder (index with --follow-symlinks to allow it)"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def content_hash(path: Path) -> str:
    """BLAKE2b of the file's bytes (hex, 32 characters)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _first_int(value: str | None) -> int | None:
    match = re.match(r"\s*(\d+)", value or "")
    return int(match.group(1)) if match else None


#: ID3 frames (in WAV and AIFF files, which mutagen's easy interface does not cover) -> tag names.
_ID3_NAMES = {"TIT2": "title", "TPE1": "artist", "TALB": "album", "TCON": "genre", "TDRC": "date", "TRCK": "tracknumber",
              "TPE2": "albumartist", "TCOM": "composer", "COMM": "comment"}


def _tag_items(tags) -> list[tuple[str, list[str]]]:
    """``(name, values)`` pairs of a mutagen tag object, easy or raw ID3."""
    items = []
    for name in sorted(tags.keys()):
        try:
            value = tags[name]
        except (KeyError, ValueError):
            continue
        if hasattr(value, "FrameID"):  # a raw ID3 frame
            frame_id = value.FrameID
            name = _ID3_NAMES.get(frame_id) or (f"{value.desc}" if frame_id == "TXXX" else frame_id.lower())
            values = [str(v) for v in getattr(value, "text", [])]
        else:
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        items.append((name.lower(), values))
    return items


def read_file_metadata(path: Path) -> tuple[dict, list[tuple[str, str]]]:
    """Tags and duration of an audio file, read with mutagen.

    Returns
    -------
    (fields, extra)
        ``fields``: title, artist, album, genre, year, tracknumber, duration (missing ones None);
        ``extra``: every text tag as ``(name, value)`` pairs, exactly as in the file (the
        fields above are derived from some of them).
    A file mutagen cannot parse gives empty metadata: it is still indexed, and extraction says
    what is wrong with it.
    """
    fields: dict = dict.fromkeys(("title", "artist", "album", "genre", "year", "tracknumber", "duration"))
    extra: list[tuple[str, str]] = []
    try:
        audio = mutagen.File(path, easy=True)
    except Exception:  # mutagen raises many types for broken files; the extractor reports them
        audio = None
    if audio is None:
        return fields, extra
    if getattr(audio, "info", None) is not None and getattr(audio.info, "length", None):
        fields["duration"] = float(audio.info.length)
    for name, values in _tag_items(audio.tags or {}):
        if name in _COLUMN_TAGS:
            joined = "; ".join(values)
            if name == "date":
                fields["year"] = _first_int(joined)
            elif name == "tracknumber":
                fields["tracknumber"] = _first_int(joined)
            else:
                fields[name] = joined
        extra.extend((name, value) for value in values if value)
    return fields, extra


def folder_records(root: Path, known: dict, progress: Progress = None, *, follow_symlinks: bool = False,
                   skipped: list[tuple[str, str]] | None = None) -> Iterator[tuple[dict, list]]:
    """Index records of the files below ``root`` that are new or changed.

    A file whose size and modification time match ``known`` (key -> row) is not re-read.
    See :func:`scan_folder` for ``follow_symlinks`` and ``skipped``.
    """
    paths = list(scan_folder(root, follow_symlinks=follow_symlinks, skipped=skipped))
    for i, path in enumerate(paths):
        key = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
        except OSError:
            continue
        row = known.get(key)
        if row is not None and row["present"] and row["size"] == stat.st_size and row["mtime"] == stat.st_mtime:
            yield {"key": key, "unchanged": True}, []
        else:
            fields, extra = read_file_metadata(path)
            try:
                digest = content_hash(path)
            except OSError:
                digest = f"unreadable:{stat.st_size}:{stat.st_mtime}"
            yield {"key": key, "path": key, "size": stat.st_size, "mtime": stat.st_mtime, "content_hash": digest, **fields}, extra
        if progress:
            progress(i + 1, len(paths))


JAMENDO_COLUMNS = ("TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION")


def jamendo_records(tsv: Path, *, audio_root: Path | None, audio_url: str | None) -> Iterator[tuple[dict, list]]:
    """Index records from an MTG-Jamendo TSV (``TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS...``).

    ``audio_url`` may use ``{track_id}`` (``track_0000214``), ``{id}`` (``214``) and
    ``{path}`` (``14/214.mp3``). Tags ``genre---rock`` become typed tags ``("genre", "rock")``.
    """
    if (audio_root is None) == (audio_url is None):
        raise UsageError("give exactly one of --audio-root and --audio-url for a Jamendo list")
    if audio_url is not None and not any(f"{{{name}}}" in audio_url for name in ("track_id", "id", "path")):
        raise UsageError(f"--audio-url {audio_url!r} has none of {{track_id}}, {{id}}, {{path}}")
    try:
        handle = open(tsv, newline="", encoding="utf-8")
    except OSError as exc:
        raise CollectionError(f"{tsv}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None or tuple(header[:5]) != JAMENDO_COLUMNS:
            raise UsageError(f"{tsv}: not an MTG-Jamendo list (expected columns {' '.join(JAMENDO_COLUMNS)} TAGS...)")
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) < 5:
                raise UsageError(f"{tsv}:{line_number}: expected at least 5 columns, got {len(row)}")
            track_id, artist_id, album_id, path, duration = row[:5]
            tags = [tuple(tag.split("---", 1)) for tag in row[5:] if "---" in tag]
            numeric = track_id.rsplit("_", 1)[-1].lstrip("0") or "0"
            record = {
                "key": track_id,
                "path": path if audio_root is not None else None,
                "url": audio_url.format(track_id=track_id, id=numeric, path=quote(path, safe="/")) if audio_url else None,
                "content_hash": f"jamendo:{track_id}",
                "duration": float(duration) if duration else None,
                "title": track_id,
                "artist": artist_id,
                "album": album_id,
                "genre": ", ".join(value for kind, value in tags if kind == "genre") or None,
            }
            yield record, tags
