"""A collection: a folder of audio (or an MTG-Jamendo list) plus tagscape's data about it.

The data lives in ``DIR/.tagscape/`` (or a folder given with ``--data``): ``tagscape.db`` (the
source of truth), ``arrays/`` (derived, memory-mapped) and ``collection.json`` (where the
audio is).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from tagscape.errors import CollectionError, NotFoundError, ReadOnlyError
from tagscape.store.db import DB_NAME, Store
from tagscape.store.layers import LayerArray, load_layer
from tagscape.store.tracks import Progress, folder_records, jamendo_records

DATA_DIRNAME = ".tagscape"
CONFIG_NAME = "collection.json"


@dataclass(frozen=True)
class IndexReport:
    added: int
    changed: int
    unchanged: int
    removed: int
    #: Files left out, as ``(relative path, reason)``: links out of the folder, FIFOs, devices.
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged


class Collection:
    """An opened collection. Thread-safe for reading: each thread gets its own connection.

    ``readonly=True`` never writes the data folder: the database is opened read-only, the
    layer arrays and offline maps must already be up to date (see :meth:`layer`), and caches
    (on-demand maps, transcoded audio) go to a folder of this user's (``$XDG_CACHE_HOME``,
    mode 0700), never to a predictable path that other users could prepare.
    """

    def __init__(self, data_dir: Path, config: dict, *, readonly: bool = False):
        self.data_dir = Path(data_dir)
        self.config = config
        self.readonly = readonly
        self._local = threading.local()

    # -- where things are ---------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def arrays_dir(self) -> Path:
        return self.data_dir / "arrays"

    @property
    def cache_dir(self) -> Path:
        """Where derived files that can be rebuilt at any time are cached."""
        if not self.readonly:
            return self.data_dir / "cache"
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:16]
        folder = user_cache_root() / "read-only" / digest
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    @property
    def kind(self) -> str:
        return self.config.get("kind", "folder")

    @property
    def audio_root(self) -> Path | None:
        root = self.config.get("audio_root")
        return Path(root) if root else None

    @property
    def follow_symlinks(self) -> bool:
        """Whether links out of the audio folder were allowed when it was indexed."""
        return bool(self.config.get("follow_symlinks", False))

    @property
    def name(self) -> str:
        return self.config.get("name") or (self.audio_root.name if self.audio_root else self.data_dir.name)

    @property
    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.db_path, readonly=self.readonly)
        return store

    def stamp(self) -> tuple:
        """Changes whenever tracks or results change: the key of caches derived from them."""
        return self.store.stamp()

    def close(self) -> None:
        store = getattr(self._local, "store", None)
        if store is not None:
            store.close()
            self._local.store = None

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def audio_source(self, track: dict) -> str:
        """A local path or a URL that FFmpeg can open for this track."""
        if track.get("url"):
            return track["url"]
        return str(self.local_audio_path(track))

    def local_audio_path(self, track: dict) -> Path:
        """The real path of a track's file, checked now (not only when it was indexed): it lies
        inside the audio folder (unless indexed with ``follow_symlinks``: then anywhere) and is
        a regular file. Messages name the track, never a path outside the collection."""
        track_id = track.get("track_id")
        if self.audio_root is None or not track.get("path"):
            raise NotFoundError(f"track {track_id} has no local audio")
        root = Path(os.path.abspath(self.audio_root))
        path = Path(os.path.normpath(root / track["path"]))
        if not path.is_relative_to(root) or path == root:
            raise NotFoundError(f"track {track_id} has no audio inside the collection")
        try:
            real = path.resolve(strict=True)
            mode = real.stat().st_mode
        except (OSError, RuntimeError):
            raise NotFoundError(f"file not found: {track.get('key')} (track {track_id})") from None
        if not self.follow_symlinks and not real.is_relative_to(root.resolve()):
            raise NotFoundError(f"the audio file of track {track_id} links out of the collection's folder")
        if not stat.S_ISREG(mode):
            raise NotFoundError(f"the audio file of track {track_id} is not a regular file")
        return real

    # -- reading ------------------------------------------------------------------------

    def tracks(self) -> list[dict]:
        """Every present track as a dict of its columns, in track order."""
        return self.store.tracks()

    def track(self, track_id: int) -> dict:
        track = self.store.track(int(track_id))
        if track is None:
            raise NotFoundError(f"no track {track_id} in this collection")
        return track

    def metadata(self, track_id: int) -> dict:
        """A track's columns plus ``tags``: its other tags grouped by kind."""
        track = self.track(track_id)
        tags: dict[str, list[str]] = {}
        for kind, value in self.store.track_tags(int(track_id)):
            tags.setdefault(kind, []).append(value)
        return {**track, "tags": tags}

    def about(self) -> dict:
        """Name, size, sources and licences of the collection, from its tracks' tags (see :mod:`tagscape.provenance`)."""
        from tagscape.provenance import KINDS, summarise

        n_tracks, seconds = self.store.totals()
        return {"name": self.name, "kind": self.kind, **summarise(self.store.tags_of_present(KINDS), n_tracks=n_tracks, seconds=seconds)}

    def layer(self, model_id: str, layer: str) -> LayerArray:
        """All segments of a model's layer, with offsets per track (memory-mapped float16)."""
        from tagscape.models.registry import get_model

        get_model(model_id).layer(layer)
        if not self.readonly:
            return load_layer(self.store, self.arrays_dir, model_id, layer)
        try:
            return load_layer(self.store, self.arrays_dir, model_id, layer, rebuild=False)
        except NotFoundError:
            raise ReadOnlyError(
                f"the {model_id} {layer} arrays are missing or older than the database, and this collection is open read-only; "
                f"bring them up to date with: tagscape project -c {self.data_dir} -m {model_id}"
            ) from None

    def projection(self, model_id: str, layer: str, method: str, components=(0, 1), tracks=None, **options):
        """A 2D map of a layer's segments (see :func:`tagscape.projections.maps.project`)."""
        from tagscape.projections.maps import project

        return project(self, model_id, layer, method, components=components, tracks=tracks, **options)


def _write_config(data_dir: Path, config: dict) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f"{CONFIG_NAME}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(config, indent=2))
    os.replace(tmp, data_dir / CONFIG_NAME)


def find_data_dir(path: str | os.PathLike) -> Path:
    """The data folder for ``path``: itself if it holds a database, else ``path/.tagscape``."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CollectionError(f"{path}: no such folder")
    if (path / CONFIG_NAME).is_file():
        return path
    if (path / DATA_DIRNAME / CONFIG_NAME).is_file():
        return path / DATA_DIRNAME
    raise CollectionError(f"{path}: not an indexed collection; run: tagscape index {path}")


def user_cache_root() -> Path:
    """This user's cache folder for tagscape: ``$XDG_CACHE_HOME/tagscape`` (``~/.cache/tagscape``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tagscape"


def read_config(data_dir: Path) -> dict:
    """``collection.json``, checked: a data folder may come from someone else, and its
    ``audio_root`` bounds which files the server hands out."""
    path = data_dir / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CollectionError(f"{path}: not a readable collection file ({exc})") from None
    if not isinstance(config, dict):
        raise CollectionError(f"{path}: not a collection file (a JSON object)")
    root = config.get("audio_root")
    if root is not None:
        if not isinstance(root, str) or not os.path.isabs(root) or "\0" in root:
            raise CollectionError(f"{path}: audio_root must be an absolute folder, got {str(root)[:200]!r}")
        if Path(os.path.abspath(root)).parent == Path(os.path.abspath(root)):
            raise CollectionError(f"{path}: audio_root is the file system's root {root!r}; index the music's own folder")
    for key in ("kind", "name", "audio_url"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise CollectionError(f"{path}: {key} must be a string")
    return config


def open_collection(path: str | os.PathLike = ".", *, readonly: bool = False) -> Collection:
    """Open an indexed collection by its folder or its data folder (``readonly``: never write it)."""
    data_dir = find_data_dir(path)
    return Collection(data_dir, read_config(data_dir), readonly=readonly)


def index_folder(root: str | os.PathLike, *, data_dir: str | os.PathLike | None = None, progress: Progress = None,
                 follow_symlinks: bool = False) -> IndexReport:
    """Record every audio file below ``root``: new, changed and deleted files are picked up.

    Links that lead out of ``root`` are left out unless ``follow_symlinks`` (the choice is kept:
    the server then serves such files too); FIFOs and devices always are (see ``skipped``).
    """
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise CollectionError(f"{root}: no such folder")
    if root.parent == root:
        raise CollectionError(f"{root}: index the music's own folder, not the file system's root")
    data_dir = Path(data_dir).resolve() if data_dir else root / DATA_DIRNAME
    config = {"kind": "folder", "audio_root": str(root), "name": root.name}
    if follow_symlinks:
        config["follow_symlinks"] = True
    _write_config(data_dir, config)
    collection = open_collection(data_dir)
    skipped: list[tuple[str, str]] = []
    with collection:
        store = collection.store
        known = store.known_files()
        seen, added, changed, unchanged = set(), 0, 0, 0
        for record, extra in folder_records(root, known, progress, follow_symlinks=follow_symlinks, skipped=skipped):
            seen.add(record["key"])
            if record.pop("unchanged", False):
                unchanged += 1
                continue
            if record["key"] in known and known[record["key"]]["present"]:
                changed += 1
            else:
                added += 1
            store.upsert_track(record, extra)
        gone = [key for key, row in known.items() if row["present"] and key not in seen]
        store.mark_absent(gone)
    if added + changed + unchanged == 0:
        raise CollectionError(f"{root}: no audio files found" + (f" ({len(skipped)} left out: {skipped[0][0]}: {skipped[0][1]} ...)" if skipped else ""))
    return IndexReport(added, changed, unchanged, len(gone), tuple(skipped))


def index_jamendo(
    tsv: str | os.PathLike,
    *,
    data_dir: str | os.PathLike,
    audio_root: str | os.PathLike | None = None,
    audio_url: str | None = None,
    progress: Progress = None,
) -> IndexReport:
    """Record the tracks of an MTG-Jamendo TSV, with typed tags and where the audio is."""
    data_dir = Path(data_dir).expanduser().resolve()
    root = Path(audio_root).expanduser().resolve() if audio_root else None
    if root is not None and not root.is_dir():
        raise CollectionError(f"{root}: no such folder")
    records = list(jamendo_records(Path(tsv), audio_root=root, audio_url=audio_url))
    _write_config(data_dir, {"kind": "jamendo", "audio_root": str(root) if root else None, "audio_url": audio_url, "name": "MTG-Jamendo"})
    collection = open_collection(data_dir)
    with collection:
        store = collection.store
        known = store.known_files()
        added = sum(1 for record, _ in records if record["key"] not in known)
        with store.transaction():  # one transaction for the whole list: 55k tracks in seconds
            for i, (record, tags) in enumerate(records):
                store.upsert_track(record, tags)
                if progress and (i % 1000 == 0 or i + 1 == len(records)):
                    progress(i + 1, len(records))
        keys = {record["key"] for record, _ in records}
        gone = [key for key, row in known.items() if row["present"] and key not in keys]
        store.mark_absent(gone)
    return IndexReport(added, len(records) - added, 0, len(gone))
