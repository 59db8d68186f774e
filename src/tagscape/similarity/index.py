"""Similar music in a collection: the K segments or tracks nearest (cosine) to a segment or track.

Vectors per level:

- ``segment``: the layer's rows (the memory-mapped float16 array of :mod:`tagscape.store.layers`);
- ``track``: each track's mean row, normalised (``<data>/similarity/<model>.<layer>.track-means.npy``).

Up to :data:`EXACT_LIMIT` vectors are searched exactly (numpy). Above it an HNSW index built by
``tagscape index-similarity`` is used: ``<data>/similarity/<model>.<layer>.<level>.usearch``
with ``.json`` beside it holding its version stamp (the model's version in the database, the
number of rows, the index parameters). An index whose stamp no longer matches the layer is
stale and ignored (searches fall back to exact, slower) until it is rebuilt.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.registry import get_model
from tagscape.similarity.search import ANN_DTYPE, CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH, AnnIndex, exact_search, normalise
from tagscape.store.layers import LayerArray

SIMILARITY_FORMAT = 1
LEVELS = ("segment", "track")
#: Most vectors searched exactly; above, the HNSW index. One exact query over 30k unit rows takes
#: about 10 ms (p99 20 ms) on 2 busy cores, over 100k about 22 ms (p99 31 ms): bench/similar.py.
EXACT_LIMIT = 50_000
MAX_K = 200
#: An index is asked for k plus the excluded rows, at most this many; beyond, exact search.
MAX_OVERFETCH = 20_000

Progress = Callable[[int, int], None] | None

# Per process: unit vectors of small layers, track means, opened indexes. Key -> (stamp, value).
_CACHE: dict[tuple, tuple[tuple, object]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8
_SEARCH_LOCK = threading.Lock()


def _cached(key: tuple, stamp: tuple, make: Callable[[], object]):
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit and hit[0] == stamp:
        return hit[1]
    value = make()
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (stamp, value)
    return value


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise UsageError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


@dataclass
class SimilarItem:
    """One result: a segment (``segment`` is its index in the track) or a whole track (``None``)."""

    track_id: int
    segment: int | None
    similarity: float


@dataclass
class SimilarResult:
    model_id: str
    layer: str
    level: str
    k: int
    query_track_id: int
    query_segment: int | None
    method: str  # exact | index
    index: str  # fresh | stale | missing | not-needed
    items: list[SimilarItem] = field(default_factory=list)
    excluded_tracks: int = 0
    seconds: float = 0.0


class SimilarityStore:
    """Similarity indexes of one collection, and queries against them."""

    def __init__(self, collection, *, exact_limit: int = EXACT_LIMIT):
        self.collection = collection
        self.folder = collection.data_dir / "similarity"
        self.exact_limit = exact_limit

    # -- files and stamps ---------------------------------------------------------------

    def _stem(self, model_id: str, layer: str, name: str) -> Path:
        return self.folder / f"{model_id}.{layer}.{name}"

    def _stamp(self, model_id: str, array: LayerArray) -> dict:
        return {"format": SIMILARITY_FORMAT, "version": self.collection.store.model_version(model_id),
                "rows": int(array.values.shape[0]), "tracks": int(array.n_tracks), "ndim": int(array.values.shape[1])}

    @staticmethod
    def _read_meta(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        write(tmp)
        os.replace(tmp, path)

    def _count(self, array: LayerArray, level: str) -> int:
        return int(array.values.shape[0]) if level == "segment" else int(array.n_tracks)

    def status(self, model_id: str, layer: str, level: str = "segment", *, array: LayerArray | None = None) -> str:
        """``not-needed`` (searched exactly), ``fresh``, ``stale`` (the layer changed) or ``missing``."""
        array = array if array is not None else self.collection.layer(model_id, layer)
        if self._count(array, _check_level(level)) <= self.exact_limit:
            return "not-needed"
        meta = self._read_meta(self._stem(model_id, layer, f"{level}.json"))
        if meta is None or not self._stem(model_id, layer, f"{level}.usearch").is_file():
            return "missing"
        same = {key: meta.get(key) for key in ("format", "version", "rows", "tracks", "ndim")} == self._stamp(model_id, array)
        return "fresh" if same else "stale"

    # -- vectors ------------------------------------------------------------------------

    def track_means(self, model_id: str, layer: str, array: LayerArray) -> np.ndarray:
        """Each track's mean row, normalised: ``(n_tracks, n_cols)`` float32, in the layer's track order.

        Stored beside the indexes with the layer's stamp and recomputed when the layer changes.
        """
        stamp = self._stamp(model_id, array)
        path = self._stem(model_id, layer, "track-means.npy")
        meta_path = self._stem(model_id, layer, "track-means.json")

        def make() -> np.ndarray:
            if self._read_meta(meta_path) == stamp and path.is_file():
                means = np.load(path)
                if means.shape == (stamp["tracks"], stamp["ndim"]):
                    return means
            means = _track_means(array)
            if not getattr(self.collection, "readonly", False):  # a read-only server keeps them in memory
                try:
                    self._write_atomic(path, lambda tmp: _save_npy(tmp, means))
                    self._write_atomic(meta_path, lambda tmp: tmp.write_text(json.dumps(stamp)))
                except OSError:
                    pass  # a data folder we may not write: recomputed by the next process
            return means

        return _cached(("means", str(path), getattr(self.collection, "readonly", False)), tuple(stamp.values()), make)

    def _unit_rows(self, model_id: str, layer: str, array: LayerArray) -> np.ndarray:
        """The layer's rows normalised to float32 (only for layers small enough for exact search)."""
        stamp = self._stamp(model_id, array)
        return _cached(("rows", str(self._stem(model_id, layer, "rows"))), tuple(stamp.values()), lambda: normalise(array.values))

    def _vectors(self, model_id: str, layer: str, array: LayerArray, level: str) -> tuple[np.ndarray, bool]:
        """What exact search runs over at this level: (vectors, whether they are unit rows)."""
        if level == "track":
            return self.track_means(model_id, layer, array), True
        if array.values.shape[0] <= self.exact_limit:
            return self._unit_rows(model_id, layer, array), True
        return array.values, False  # the float16 memory map, normalised chunk by chunk

    def _index(self, model_id: str, layer: str, level: str) -> AnnIndex:
        path = self._stem(model_id, layer, f"{level}.usearch")
        stat = path.stat()
        return _cached(("index", str(path)), (stat.st_mtime_ns, stat.st_size), lambda: AnnIndex.load(path, view=True))

    # -- building -----------------------------------------------------------------------

    def build(self, model_id: str, layer: str, level: str = "segment", *, force: bool = False, threads: int = 0, progress: Progress = None) -> dict:
        """Build (or rebuild) the HNSW index of one level unless it is fresh or not needed.

        Returns what was done: ``{"level", "status" (built | fresh | not-needed), "vectors", "seconds", "bytes"}``.
        """
        _check_level(level)
        array = self.collection.layer(model_id, layer)
        if array.values.shape[0] == 0:
            raise NotFoundError(f"no {model_id} {layer} extracted yet; run: tagscape extract")
        status = self.status(model_id, layer, level, array=array)
        n = self._count(array, level)
        index_path = self._stem(model_id, layer, f"{level}.usearch")
        if not force and status in ("fresh", "not-needed"):
            return {"level": level, "status": status, "vectors": n, "seconds": 0.0, "bytes": index_path.stat().st_size if status == "fresh" else 0}
        started = time.perf_counter()
        stamp = self._stamp(model_id, array)
        vectors = self.track_means(model_id, layer, array) if level == "track" else array.values
        ann = AnnIndex.build(vectors, threads=threads, progress=progress)
        self._write_atomic(index_path, lambda tmp: ann.save(tmp))
        params = {"dtype": ANN_DTYPE, "connectivity": CONNECTIVITY, "expansion_add": EXPANSION_ADD, "expansion_search": EXPANSION_SEARCH}
        seconds = time.perf_counter() - started
        meta = {**stamp, "level": level, "params": params, "built_at": time.time(), "build_seconds": round(seconds, 2)}
        self._write_atomic(self._stem(model_id, layer, f"{level}.json"), lambda tmp: tmp.write_text(json.dumps(meta, indent=2)))
        return {"level": level, "status": "built", "vectors": n, "seconds": seconds, "bytes": index_path.stat().st_size}

    # -- queries ------------------------------------------------------------------------

    def similar(
        self,
        model_id: str,
        layer: str,
        track_id: int,
        segment: int | None = None,
        *,
        k: int = 10,
        level: str = "segment",
        exclude_track: bool = True,
        exclude_artist: bool = False,
    ) -> SimilarResult:
        """The ``k`` segments (``level="segment"``) or tracks most similar to a segment or a track.

        Parameters
        ----------
        track_id : int
            The query's track.
        segment : int, optional
            A segment of that track (its index in the track) as the query; the track's mean
            embedding when omitted.
        exclude_track : bool
            Leave out the query's own track (at the track level the query track is always left
            out; at the segment level the query segment always is).
        exclude_artist : bool
            Leave out every track by the query track's artist (when it has one).
        """
        started = time.perf_counter()
        spec = get_model(model_id)
        spec.layer(layer)
        _check_level(level)
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise UsageError(f"k must be between 1 and {MAX_K}, got {k!r}")
        track = self.collection.track(track_id)
        array = self.collection.layer(model_id, layer)
        position = array.position(track_id)
        if position is None:
            raise NotFoundError(f"track {track_id} has no {model_id} {layer} yet")
        start, stop = int(array.offsets[position]), int(array.offsets[position + 1])
        if stop == start:
            raise NotFoundError(f"track {track_id} has no segments for {model_id} (shorter than one segment)")
        if segment is not None and not 0 <= segment < stop - start:
            raise NotFoundError(f"track {track_id} has {stop - start} segments for {model_id}; no segment {segment}")
        query = normalise(array.values[start + segment] if segment is not None else np.asarray(array.values[start:stop], np.float32).mean(axis=0))

        excluded = set()
        if exclude_track or level == "track":
            excluded.add(position)
        if exclude_artist:
            excluded.update(p for p in (array.position(t) for t in self._same_artist(track)) if p is not None)
        ranges = sorted((int(array.offsets[p]), int(array.offsets[p + 1])) if level == "segment" else (p, p + 1) for p in excluded)
        if level == "segment" and segment is not None and position not in excluded:
            ranges.append((start + segment, start + segment + 1))
        n_excluded = sum(hi - lo for lo, hi in ranges)

        status = self.status(model_id, layer, level, array=array)
        rows = sims = None
        method = "exact"
        if status == "fresh" and k + n_excluded <= MAX_OVERFETCH:
            with _SEARCH_LOCK:  # one search at a time in a usearch index (they take < 1 ms)
                rows, sims = self._index(model_id, layer, level).search(query, k + n_excluded)
            rows, sims = rows[0], sims[0]
            keep = np.ones(len(rows), bool)
            for lo, hi in ranges:
                keep &= (rows < lo) | (rows >= hi)
            rows, sims = rows[keep][:k], sims[keep][:k]
            method = "index"
            if len(rows) < min(k, self._count(array, level) - n_excluded):
                rows = None  # the graph gave too few after filtering: search exactly
        if rows is None:
            vectors, unit = self._vectors(model_id, layer, array, level)
            found, scores = exact_search(vectors, query, k, excluded=ranges, unit=unit)
            rows, sims, method = found[0], scores[0], "exact"

        items = []
        for row, sim in zip(rows.tolist(), sims.tolist()):
            if level == "segment":
                p = int(np.searchsorted(array.offsets, row, side="right") - 1)
                items.append(SimilarItem(int(array.track_ids[p]), int(row - array.offsets[p]), round(float(sim), 6)))
            else:
                items.append(SimilarItem(int(array.track_ids[row]), None, round(float(sim), 6)))
        return SimilarResult(model_id, layer, level, k, int(track_id), segment, method, status, items, len(excluded), time.perf_counter() - started)

    def _same_artist(self, track: dict) -> list[int]:
        artist = (track.get("artist") or "").strip()
        if not artist:
            return []
        return self.collection.store.tracks_by_artist(artist)


def _save_npy(path: Path, values: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, values)


def _track_means(array: LayerArray, chunk_tracks: int = 4096) -> np.ndarray:
    """Normalised mean row of each track, chunk by chunk over the memory map."""
    means = np.zeros((array.n_tracks, array.values.shape[1]), np.float32)
    for first in range(0, array.n_tracks, chunk_tracks):
        last = min(first + chunk_tracks, array.n_tracks)
        lo, hi = int(array.offsets[first]), int(array.offsets[last])
        if hi == lo:
            continue
        block = np.asarray(array.values[lo:hi], np.float32)
        starts = array.offsets[first:last] - lo
        lengths = np.diff(array.offsets[first : last + 1])
        nonempty = lengths > 0
        sums = np.add.reduceat(block, starts[nonempty], axis=0)
        means[first:last][nonempty] = sums / lengths[nonempty, None]
    return normalise(means)
