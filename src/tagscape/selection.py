"""Which tracks are meant: metadata filters, then the first N or a seeded random N.

Filters compare text without regard to case (``clara wendt`` finds Clara Wendt). A field takes
several values, any of which may match (OR); different fields must all match (AND). A genre
string holds several genres (``rock, pop``, ``rock/pop``, ``rock; pop``; an MTG-Jamendo track's
``genre---`` tags are joined into one such string when indexed): each counts on its own.

The track table is read once and kept in memory (columns as numpy arrays) until the collection
changes, so that filtering 55k tracks costs milliseconds, not a database scan. The web API reads
a :class:`Selection` from its query parameters (:mod:`tagscape.web.selection`); notebooks and the
CLI build one directly.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from tagscape.errors import UsageError

#: Track columns shown to users (never the file path: the audio is reached by id).
TRACK_FIELDS = ("track_id", "key", "title", "artist", "album", "genre", "year", "tracknumber", "duration")
TEXT_FIELDS = ("title", "artist", "album", "genre", "key")
#: Fields that take several values (any of which may match).
MULTI_FIELDS = ("artist", "album", "genre", "tag")
#: At most this many values per field: a request's work stays bounded.
MAX_VALUES = 100
SAMPLES = ("first", "random")
#: File tags that are already track columns; tag facets skip them.
COLUMN_TAG_KINDS = frozenset({"title", "artist", "album", "genre", "date", "tracknumber"})
#: What separates the genres of one genre string. The explorer splits the same way
#: (frontend/src/tracktags.js; tests/web/test_filters.py checks that they agree).
GENRE_SEPARATORS = re.compile(r"[,;/|]")


def fold(*, text: str | None) -> str:
    """``text`` as filters compare it: case-folded, spaces trimmed and collapsed."""
    return " ".join(str(text or "").split()).casefold()


def split_genres(*, text: str | None) -> list[str]:
    """The genres of a genre string, in order, each once (compared folded), spacing tidied.

    ``"Rock, pop/ROCK; jazz"`` -> ``["Rock", "pop", "jazz"]``; ``None`` or ``""`` -> ``[]``.
    """
    out: list[str] = []
    seen: set[str] = set()
    for part in GENRE_SEPARATORS.split(str(text or "")):
        genre = " ".join(part.split())
        if genre and genre.casefold() not in seen:
            seen.add(genre.casefold())
            out.append(genre)
    return out


@dataclass(frozen=True)
class Selection:
    """A track selection: filters, then ``limit`` tracks (the first ones, or a seeded sample).

    ``artist``, ``album``, ``genre`` and ``tag`` each hold the values any of which a track may
    match; an empty tuple does not filter. A ``tag`` is ``value`` (any kind) or ``kind:value``.
    """

    limit: int | None = None
    sample: str = "first"
    seed: int = 0
    artist: tuple[str, ...] = ()
    album: tuple[str, ...] = ()
    genre: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    min_duration: float | None = None
    max_duration: float | None = None
    q: str | None = None
    ids: tuple[int, ...] | None = None

    def __post_init__(self):
        if self.sample not in SAMPLES:
            raise UsageError(f"sample must be one of {', '.join(SAMPLES)}, got {self.sample!r}")
        if self.min_duration is not None and self.max_duration is not None and self.min_duration > self.max_duration:
            raise UsageError(f"min_duration {self.min_duration} is above max_duration {self.max_duration}")
        for name in MULTI_FIELDS:
            values = getattr(self, name)
            if isinstance(values, str):
                raise UsageError(f"{name} must be a sequence of values, got the text {values!r}")
            if len(values) > MAX_VALUES:
                raise UsageError(f"at most {MAX_VALUES} values of {name}, got {len(values)}")


class TrackTable:
    """The present tracks of a collection as columns, in track-id order."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.ids = np.array([row["track_id"] for row in rows], np.int64)
        self.position = {int(t): i for i, t in enumerate(self.ids)}
        self.duration = np.array([row["duration"] if row["duration"] is not None else np.nan for row in rows], np.float64)
        self.text = {name: [row[name] or "" for row in rows] for name in TEXT_FIELDS}
        # Folded columns and split genres are made on first use (a third of a second each for
        # 55k tracks on a busy core): a table is rebuilt whenever the collection changes.
        self._folded: dict[str, list[str]] = {}
        self._genres: list[list[str]] | None = None
        self._folded_genres: list[frozenset[str]] | None = None
        self._tag_pairs: list[tuple[str, str]] | None = None
        self._columns: OrderedDict[bytes, dict[str, list]] = OrderedDict()
        self._columns_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, track_id: int) -> dict | None:
        i = self.position.get(int(track_id))
        return None if i is None else self.rows[i]

    def columns(self, track_ids: np.ndarray) -> dict[str, list]:
        """``title`` (or the file's key), ``artist``, ``album``, ``genre`` and ``duration`` of the
        given tracks in their order (a map's header; "" or None for an unknown track). The last
        few lists are remembered: a large map's first frame and the map itself share one (55,000
        tracks: 0.15 s of Python). Shared: not to be changed by the caller."""
        ids = np.ascontiguousarray(track_ids, np.int64)
        key = hashlib.blake2b(ids.tobytes(), digest_size=16).digest()
        with self._columns_lock:
            found = self._columns.get(key)
            if found is not None:
                self._columns.move_to_end(key)
                return found
        rows = [self.row(t) or {} for t in ids.tolist()]
        columns = {
            "title": [row.get("title") or row.get("key") or "" for row in rows],
            "artist": [row.get("artist") or "" for row in rows],
            "album": [row.get("album") or "" for row in rows],
            "genre": [row.get("genre") or "" for row in rows],
            "duration": [row.get("duration") for row in rows],
        }
        with self._columns_lock:
            self._columns[key] = columns
            while len(self._columns) > 4:
                self._columns.popitem(last=False)
        return columns

    def public(self, i: int) -> dict:
        row = self.rows[i]
        return {name: row[name] for name in TRACK_FIELDS}

    def folded(self, name: str) -> list[str]:
        """A text column as filters compare it (see :func:`fold`)."""
        if name not in self._folded:
            self._folded[name] = [" ".join(value.split()).casefold() for value in self.text[name]]
        return self._folded[name]

    @property
    def genres(self) -> list[list[str]]:
        """Each track's genres (its genre string split)."""
        if self._genres is None:
            distinct: dict[str, list[str]] = {}  # genre strings repeat: split each once
            self._genres = [distinct[value] if value in distinct else distinct.setdefault(value, split_genres(text=value))
                            for value in self.text["genre"]]
        return self._genres

    def folded_genres(self) -> list[frozenset[str]]:
        if self._folded_genres is None:
            distinct: dict[int, frozenset[str]] = {}  # by identity of the shared split lists
            self._folded_genres = [distinct[id(genres)] if id(genres) in distinct
                                   else distinct.setdefault(id(genres), frozenset(genre.casefold() for genre in genres))
                                   for genres in self.genres]
        return self._folded_genres

    def genre_counts(self) -> list[tuple[str, int]]:
        """``(genre, tracks)`` of every genre (split; spelled as most tracks spell it), most tracks first."""
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        for text, n in Counter(self.text["genre"]).items():  # each distinct genre string once, by its tracks
            for genre in split_genres(text=text):
                counts[genre.casefold()] += n
                spellings.setdefault(genre.casefold(), Counter())[genre] += n
        named = [(spellings[key].most_common(1)[0][0], n) for key, n in counts.items()]
        return sorted(named, key=lambda item: (-item[1], item[0].casefold()))

    def tag_pairs(self, store) -> list[tuple[str, str]]:
        """Every distinct ``(kind, value)`` tag of the collection, read once per table."""
        if self._tag_pairs is None:
            self._tag_pairs = [(kind, value) for kind, value, _ in store.tag_counts(limit=2**62)]
        return self._tag_pairs

    def select(self, selection: Selection, tagged: set[int] | None = None) -> np.ndarray:
        """Positions (into this table) of the selected tracks, in track-id order.

        ``tagged``: the ids of the tracks that carry one of ``selection.tag`` (see :func:`tagged_tracks`).
        """
        mask = np.ones(len(self), bool)
        for name in ("artist", "album"):
            wanted = {fold(text=value) for value in getattr(selection, name)} - {""}
            if wanted:
                mask &= np.fromiter((value in wanted for value in self.folded(name)), bool, len(self))
        wanted_genres = {genre.casefold() for value in selection.genre for genre in split_genres(text=value)}
        if wanted_genres:
            mask &= np.fromiter((not genres.isdisjoint(wanted_genres) for genres in self.folded_genres()), bool, len(self))
        if selection.q:
            needle = fold(text=selection.q)
            mask &= np.fromiter((needle in t or needle in a for t, a in zip(self.folded("title"), self.folded("artist"), strict=True)), bool, len(self))
        if selection.min_duration is not None:
            mask &= self.duration >= selection.min_duration
        if selection.max_duration is not None:
            mask &= self.duration <= selection.max_duration
        if tagged is not None:
            mask &= np.isin(self.ids, np.fromiter(tagged, np.int64, len(tagged)))
        if selection.ids is not None:
            mask &= np.isin(self.ids, np.array(selection.ids, np.int64))
        positions = np.flatnonzero(mask)
        if selection.limit is not None and selection.limit < len(positions):
            if selection.sample == "random":
                rng = np.random.default_rng(selection.seed)
                positions = np.sort(rng.choice(positions, selection.limit, replace=False))
            else:
                positions = positions[: selection.limit]
        return positions


class TrackTables:
    """A per-app cache of the track table, refreshed when the collection changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._stamp = None
        self._table: TrackTable | None = None

    def get(self, collection) -> TrackTable:
        stamp = collection.stamp()
        with self._lock:
            if self._table is None or stamp != self._stamp:
                self._table = TrackTable(collection.tracks())
                self._stamp = stamp
            return self._table


def tagged_tracks(collection, table: TrackTable, *, tags: tuple[str, ...]) -> set[int]:
    """Ids of tracks carrying any of ``tags`` (``value`` of any kind, or ``kind:value``; any case).

    A text before a colon that is no tag kind of the collection is part of the value (a comment
    tag ``note: live``).
    """
    pairs = table.tag_pairs(collection.store)
    kinds = {kind.casefold() for kind, _ in pairs}
    wanted: set[tuple[str | None, str]] = set()
    for tag in tags:
        kind, sep, value = tag.partition(":")
        if sep and fold(text=kind) in kinds:
            wanted.add((fold(text=kind), fold(text=value)))
        else:
            wanted.add((None, fold(text=tag)))
    ids: set[int] = set()
    for kind, value in pairs:
        folded = fold(text=value)
        if (None, folded) in wanted or (kind.casefold(), folded) in wanted:
            ids |= collection.store.tracks_with_tag(value, kind=kind)
    return ids


def tag_facets(collection, *, limit: int = 2000) -> list[dict]:
    """The most common (kind, value) tags of the collection, beyond the track columns."""
    rows = collection.store.tag_counts(exclude_kinds=COLUMN_TAG_KINDS, limit=limit)
    return [{"kind": kind, "value": value, "tracks": n} for kind, value, n in rows]


def select_tracks(collection, table: TrackTable, selection: Selection) -> np.ndarray:
    """Positions of the selected tracks in ``table`` (see :meth:`TrackTable.select`)."""
    tags = tuple(tag for tag in selection.tag if tag.strip())  # an empty value does not filter (as for artists)
    tagged = tagged_tracks(collection, table, tags=tags) if tags else None
    return table.select(selection, tagged)
