"""All SQLite access for a collection goes through :class:`Store`.

The database is in WAL mode, so readers (the web server, a notebook) read while an
extraction writes. Every write that matters is one transaction: a track's model results
land whole or not at all, which is what makes a killed run resumable.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from tagscape.errors import CollectionError, ReadOnlyError

SCHEMA_VERSION = 3
STORE_DTYPE = np.dtype("<f2")
DB_NAME = "tagscape.db"

# Migrations from version N to N + 1, applied in order; version 0 is an empty database.
_MIGRATIONS: dict[int, str] = {
    0: resources.files("tagscape.store").joinpath("schema.sql").read_text(),
    # 2: each result records the revision of its model's layer definitions (ModelSpec.revision);
    # rows of an older revision are outdated, never read with the new ones. Results stored
    # before revisions existed are revision 1. Every model's version moves on, so arrays, maps
    # and indexes built before are rebuilt.
    1: "ALTER TABLE results ADD COLUMN revision INTEGER NOT NULL DEFAULT 1; UPDATE model_versions SET version = version + 1;",
    # 3: listening studies and their answers (tagscape.study); SQL in store/studies.py.
    2: resources.files("tagscape.store").joinpath("studies.sql").read_text(),
}


def current_revision(model_id: str) -> int:
    """The revision of a model's layer definitions in this tagscape (1 for unknown models)."""
    from tagscape.models.registry import MODELS

    spec = MODELS.get(model_id)
    return spec.revision if spec else 1

TRACK_FIELDS = ("key", "path", "url", "size", "mtime", "content_hash", "duration", "title", "artist", "album", "genre", "year", "tracknumber")


@dataclass(frozen=True)
class ModelCounts:
    """Where a model stands on a collection."""

    model_id: str
    done: int
    pending: int
    failed: int
    failures: list[tuple[str, str]]  # (track key, reason)
    #: Tracks whose results were computed with an older definition of the model's layers
    #: (counted in ``pending`` too: ``tagscape extract`` computes them again).
    outdated: int = 0
    #: Seconds of audio of the outdated tracks (from their headers), to say how long an upgrade takes.
    outdated_seconds: float = 0.0


class Store:
    """A collection's database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = Path(path)
        self.conn = _connect(self.path, readonly=readonly)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA busy_timeout = 60000")
        if not readonly:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        elif self.schema_version() < SCHEMA_VERSION:
            raise ReadOnlyError(
                f"{self.path} was written by an older tagscape (store version {self.schema_version()}, this one reads {SCHEMA_VERSION}) "
                f"and is open read-only; open it once without --read-only (for example: tagscape status -c {self.path.parent}) to upgrade it"
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- schema -------------------------------------------------------------------------

    def schema_version(self) -> int:
        has_meta = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        """Apply pending migrations, each with its version bump in one script transaction."""
        version = self.schema_version()
        while version < SCHEMA_VERSION:
            self.conn.executescript(
                f"BEGIN IMMEDIATE; {_MIGRATIONS[version]}\n"
                f"INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '{version + 1}'); COMMIT;"
            )
            version += 1

    def transaction(self):
        """A write transaction (``BEGIN IMMEDIATE``)."""
        return _Transaction(self.conn, "IMMEDIATE")

    def snapshot(self):
        """A read transaction: one consistent view of the database that blocks no writer."""
        return _Transaction(self.conn, "DEFERRED")

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # -- tracks -------------------------------------------------------------------------

    def upsert_track(self, record: Mapping, tags: Iterable[tuple[str, str]] = ()) -> int:
        """Insert or update a track by its key; replace its extra tags. Returns its id."""
        values = [record.get(name) for name in TRACK_FIELDS]
        with self.transaction():
            row = self.conn.execute(
                f"INSERT INTO tracks ({', '.join(TRACK_FIELDS)}, present, indexed_at) "
                f"VALUES ({', '.join('?' * len(TRACK_FIELDS))}, 1, ?) "
                f"ON CONFLICT(key) DO UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in TRACK_FIELDS[1:])}, "
                "present = 1, indexed_at = excluded.indexed_at RETURNING track_id",
                [*values, time.time()],
            ).fetchone()
            track_id = row[0]
            self.conn.execute("DELETE FROM track_tags WHERE track_id = ?", (track_id,))
            self.conn.executemany(
                "INSERT OR IGNORE INTO track_tags (track_id, kind, value) VALUES (?, ?, ?)",
                [(track_id, kind, value) for kind, value in tags],
            )
        return track_id

    def known_files(self) -> dict[str, sqlite3.Row]:
        """Key -> (track_id, size, mtime, content_hash, present) for every indexed track."""
        rows = self.conn.execute("SELECT track_id, key, size, mtime, content_hash, present FROM tracks")
        return {row["key"]: row for row in rows}

    def mark_absent(self, keys: Iterable[str]) -> int:
        """Flag tracks whose files are gone; their results stay until the file returns or changes."""
        keys = list(keys)
        with self.transaction():
            self.conn.executemany("UPDATE tracks SET present = 0 WHERE key = ?", [(k,) for k in keys])
            self._bump_all_versions()
        return len(keys)

    def tracks(self, *, present_only: bool = True) -> list[dict]:
        where = "WHERE present = 1" if present_only else ""
        return [dict(row) for row in self.conn.execute(f"SELECT * FROM tracks {where} ORDER BY track_id")]

    def track(self, track_id: int) -> dict | None:
        row = self.conn.execute("SELECT * FROM tracks WHERE track_id = ?", (track_id,)).fetchone()
        return dict(row) if row else None

    def track_tags(self, track_id: int) -> list[tuple[str, str]]:
        rows = self.conn.execute("SELECT kind, value FROM track_tags WHERE track_id = ? ORDER BY kind, value", (track_id,))
        return [(row[0], row[1]) for row in rows]

    def count_tracks(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM tracks WHERE present = 1").fetchone()[0]

    def stamp(self) -> tuple:
        """Changes whenever tracks or results change (indexing, extraction): the key of every
        cache derived from the collection."""
        tracks = self.conn.execute("SELECT COUNT(*), MAX(indexed_at), SUM(present) FROM tracks").fetchone()
        versions = self.conn.execute("SELECT COALESCE(SUM(version), 0), COUNT(*) FROM model_versions").fetchone()
        return tuple(tracks) + tuple(versions)

    def tracks_with_tag(self, value: str, *, kind: str | None = None) -> set[int]:
        """Ids of tracks carrying the tag ``value`` (of ``kind``, or of any kind)."""
        if kind:
            rows = self.conn.execute("SELECT track_id FROM track_tags WHERE kind = ? AND value = ?", (kind, value))
        else:
            rows = self.conn.execute("SELECT track_id FROM track_tags WHERE value = ?", (value,))
        return {row[0] for row in rows}

    def tag_counts(self, *, exclude_kinds: Iterable[str] = (), limit: int = 2000) -> list[tuple[str, str, int]]:
        """The most common ``(kind, value, tracks)`` tags, leaving out some kinds."""
        excluded = sorted(exclude_kinds)
        placeholders = ", ".join("?" * len(excluded)) or "''"
        return [tuple(row) for row in self.conn.execute(
            f"SELECT kind, value, COUNT(*) AS n FROM track_tags WHERE kind NOT IN ({placeholders}) "
            "GROUP BY kind, value ORDER BY n DESC, kind, value LIMIT ?",
            (*excluded, limit),
        )]

    def tags_of_kinds(self, kinds: Iterable[str]) -> list[tuple[int, str, str]]:
        """``(track_id, kind, value)`` of every tag whose kind is one of ``kinds`` (any case)."""
        kinds = tuple(k.lower() for k in kinds)
        if not kinds:
            return []
        return [tuple(row) for row in self.conn.execute(
            f"SELECT track_id, kind, value FROM track_tags WHERE lower(kind) IN ({', '.join('?' * len(kinds))})", kinds)]

    def tags_of_present(self, kinds: Iterable[str]) -> list[tuple[int, float | None, str, str]]:
        """``(track_id, duration, kind, value)`` of the present tracks' tags of ``kinds`` (any case; kinds lower-cased)."""
        kinds = tuple(k.lower() for k in kinds)
        if not kinds:
            return []
        return [tuple(row) for row in self.conn.execute(
            "SELECT g.track_id, t.duration, lower(g.kind), g.value FROM track_tags g JOIN tracks t ON t.track_id = g.track_id "
            f"WHERE t.present = 1 AND lower(g.kind) IN ({', '.join('?' * len(kinds))}) ORDER BY g.track_id", kinds)]

    def totals(self) -> tuple[int, float]:
        """How many tracks are present and their total duration in seconds (unknown durations count 0)."""
        n, seconds = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(duration), 0) FROM tracks WHERE present = 1").fetchone()
        return int(n), float(seconds)

    def genres(self) -> list[tuple[int, str]]:
        """``(track_id, genre)`` of present tracks with a genre column."""
        return [tuple(row) for row in self.conn.execute("SELECT track_id, genre FROM tracks WHERE present = 1 AND genre IS NOT NULL")]

    def tracks_by_artist(self, artist: str) -> list[int]:
        """Present tracks whose artist equals ``artist`` (trimmed, any case)."""
        rows = self.conn.execute("SELECT track_id FROM tracks WHERE present = 1 AND lower(trim(artist)) = lower(?)", (artist.strip(),))
        return [row[0] for row in rows]

    # -- results ------------------------------------------------------------------------

    def _bump_version(self, model_id: str) -> None:
        self.conn.execute(
            "INSERT INTO model_versions (model_id, version) VALUES (?, 1) ON CONFLICT(model_id) DO UPDATE SET version = version + 1",
            (model_id,),
        )

    def _bump_all_versions(self) -> None:
        self.conn.execute("UPDATE model_versions SET version = version + 1")

    def model_version(self, model_id: str) -> int:
        row = self.conn.execute("SELECT version FROM model_versions WHERE model_id = ?", (model_id,)).fetchone()
        return row[0] if row else 0

    def write_result(self, track_id: int, model_id: str, *, content_hash: str | None, segment_seconds: float, layers: Mapping[str, np.ndarray]) -> None:
        """Store one model's layers for one track, replacing older ones, in one transaction."""
        n_rows = {value.shape[0] for value in layers.values()}
        if len(n_rows) != 1:
            raise ValueError(f"layers disagree on the number of segments: {n_rows}")
        with self.transaction():
            self.conn.execute("DELETE FROM results WHERE track_id = ? AND model_id = ?", (track_id, model_id))
            self.conn.execute("DELETE FROM failures WHERE track_id = ? AND model_id = ?", (track_id, model_id))
            self.conn.execute(
                "INSERT INTO results (track_id, model_id, content_hash, n_segments, segment_seconds, created_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (track_id, model_id, content_hash, n_rows.pop(), segment_seconds, time.time(), current_revision(model_id)),
            )
            self.conn.executemany(
                "INSERT INTO layers (track_id, model_id, layer, n_rows, n_cols, data) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (track_id, model_id, name, value.shape[0], value.shape[1], np.ascontiguousarray(value, dtype=STORE_DTYPE).tobytes())
                    for name, value in layers.items()
                ],
            )
            self._bump_version(model_id)

    def write_failure(self, track_id: int, model_id: str, *, content_hash: str | None, reason: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO failures (track_id, model_id, content_hash, reason, failed_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(track_id, model_id) DO UPDATE SET content_hash = excluded.content_hash, reason = excluded.reason, failed_at = excluded.failed_at",
                (track_id, model_id, content_hash, reason, time.time()),
            )

    def pending(self, model_id: str, *, retry_failed: bool = False) -> list[dict]:
        """Present tracks lacking an up-to-date result (and, unless retrying, an up-to-date failure)."""
        failed_clause = "" if retry_failed else (
            "AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.track_id = t.track_id AND f.model_id = :m "
            "AND f.content_hash IS t.content_hash)"
        )
        rows = self.conn.execute(
            "SELECT t.* FROM tracks t WHERE t.present = 1 "
            "AND NOT EXISTS (SELECT 1 FROM results r WHERE r.track_id = t.track_id AND r.model_id = :m "
            f"AND r.content_hash IS t.content_hash AND r.revision = :rev) {failed_clause} ORDER BY t.track_id",
            {"m": model_id, "rev": current_revision(model_id)},
        )
        return [dict(row) for row in rows]

    def counts(self, model_id: str) -> ModelCounts:
        done = self.conn.execute(
            "SELECT COUNT(*) FROM results r JOIN tracks t USING (track_id) WHERE r.model_id = ? AND t.present = 1 "
            "AND r.content_hash IS t.content_hash AND r.revision = ?",
            (model_id, current_revision(model_id)),
        ).fetchone()[0]
        outdated, outdated_seconds = self.outdated(model_id)
        failures = self.conn.execute(
            "SELECT t.key, f.reason FROM failures f JOIN tracks t USING (track_id) WHERE f.model_id = ? AND t.present = 1 "
            "AND f.content_hash IS t.content_hash ORDER BY t.key",
            (model_id,),
        ).fetchall()
        pending = len(self.pending(model_id))
        return ModelCounts(model_id, done, pending, len(failures), [(row[0], row[1]) for row in failures], outdated, float(outdated_seconds))

    def outdated(self, model_id: str) -> tuple[int, float]:
        """Present tracks whose results of ``model_id`` are of an older revision of its layers
        (content unchanged), and their seconds of audio."""
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(t.duration), 0) FROM results r JOIN tracks t USING (track_id) "
            "WHERE r.model_id = ? AND t.present = 1 AND r.content_hash IS t.content_hash AND r.revision != ?",
            (model_id, current_revision(model_id)),
        ).fetchone()
        return int(row[0]), float(row[1])

    def result_hashes(self, model_id: str) -> dict[int, str | None]:
        """Track id -> the content hash its current result of ``model_id`` was computed from."""
        rows = self.conn.execute("SELECT track_id, content_hash FROM results WHERE model_id = ? AND revision = ?", (model_id, current_revision(model_id)))
        return {row[0]: row[1] for row in rows}

    def result_models(self) -> list[str]:
        """Models with results of their current revision."""
        models = [row[0] for row in self.conn.execute("SELECT model_id, revision FROM results GROUP BY model_id, revision")
                  if row[1] == current_revision(row[0])]
        return sorted(set(models))

    def iter_layer(self, model_id: str, layer: str) -> Iterator[tuple[int, int, int, bytes]]:
        """``(track_id, n_rows, n_cols, data)`` of present, up-to-date tracks, in track order."""
        yield from self.conn.execute(
            "SELECT l.track_id, l.n_rows, l.n_cols, l.data FROM layers l "
            "JOIN results r ON r.track_id = l.track_id AND r.model_id = l.model_id "
            "JOIN tracks t ON t.track_id = l.track_id "
            "WHERE l.model_id = ? AND l.layer = ? AND t.present = 1 AND r.content_hash IS t.content_hash AND r.revision = ? "
            "ORDER BY l.track_id",
            (model_id, layer, current_revision(model_id)),
        )

    def layer_shape(self, model_id: str, layer: str) -> tuple[int, int, int]:
        """``(n_tracks, n_rows, n_cols)`` of what :meth:`iter_layer` would yield."""
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(l.n_rows), 0), MAX(l.n_cols) FROM layers l "
            "JOIN results r ON r.track_id = l.track_id AND r.model_id = l.model_id "
            "JOIN tracks t ON t.track_id = l.track_id "
            "WHERE l.model_id = ? AND l.layer = ? AND t.present = 1 AND r.content_hash IS t.content_hash AND r.revision = ?",
            (model_id, layer, current_revision(model_id)),
        ).fetchone()
        return row[0], row[1], row[2] or 0

    def track_layer(self, track_id: int, model_id: str, layer: str) -> np.ndarray | None:
        row = self.conn.execute(
            "SELECT l.n_rows, l.n_cols, l.data FROM layers l JOIN results r ON r.track_id = l.track_id AND r.model_id = l.model_id "
            "WHERE l.track_id = ? AND l.model_id = ? AND l.layer = ? AND r.revision = ?",
            (track_id, model_id, layer, current_revision(model_id)),
        ).fetchone()
        if row is None:
            return None
        return np.frombuffer(row["data"], dtype=STORE_DTYPE).reshape(row["n_rows"], row["n_cols"])


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection by URI built with ``Path.as_uri()``, so that ``#``, ``?``, ``%`` and spaces
    in folder names stay part of the file name (``file:{path}`` would cut it at ``#`` or ``?``).

    Read-only: ``mode=ro``; where the data folder cannot be written at all (a read-only mount,
    another user's folder), a WAL database cannot create its ``-shm`` file even to read, and
    nothing can be writing it either, so it is opened ``immutable=1``.
    """
    uri = Path(os.path.abspath(path)).as_uri()
    if not readonly:
        return sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None, check_same_thread=False)
    if not path.is_file():
        raise CollectionError(f"{path}: no collection database here")
    immutable = not os.access(path.parent, os.W_OK)
    conn = sqlite3.connect(f"{uri}?mode=ro" + ("&immutable=1" if immutable else ""), uri=True, timeout=60, isolation_level=None,
                           check_same_thread=False)
    if not immutable:
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:  # the -shm file cannot be made after all
            conn.close()
            conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=60, isolation_level=None, check_same_thread=False)
    return conn


class _Transaction:
    """``BEGIN <mode>`` ... ``COMMIT``, rolled back on error; nests as a no-op."""

    def __init__(self, conn: sqlite3.Connection, mode: str):
        self.conn = conn
        self.mode = mode
        self.owner = False

    def __enter__(self):
        if not self.conn.in_transaction:
            self.conn.execute(f"BEGIN {self.mode}")
            self.owner = True
        return self.conn

    def __exit__(self, exc_type, *exc):
        if not self.owner:
            return
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
