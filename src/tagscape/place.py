"""A new audio file on existing maps: analysed by the maps' models, placed into each map, with its
nearest tracks; optionally added to the collection.

How a file's segments land on a map (``PlacedMap.placement``):

- ``direct``: original axes are two columns of the layer: the new rows' own values.
- ``transform``: an offline PCA / std-PCA / t-SNE / UMAP map keeps its fitted reducer, signed by
  this user (:mod:`tagscape.projections.signed`); the new rows go through its ``transform``
  (t-SNE: openTSNE's ``TSNEEmbedding.transform``, which optimises the new points against the
  fixed map; UMAP: ``umap.UMAP.transform``).
- ``nearest-neighbours``: where no reducer can be used (an on-demand map of a subset, whose
  reducer is never kept; a reducer this user did not sign, which is never unpickled), each new
  segment goes to the inverse-distance-weighted mean of the map positions of its
  :data:`KNN_K` nearest segments in the layer (Euclidean). An approximation, said so in
  ``note``: a segment equal to a stored one lands exactly on it; others land among their
  neighbours, never in between clusters that t-SNE or UMAP would have kept apart.

The layer values are rounded to the store's float16 first, exactly as an extraction stores
them, so a file of the collection placed as new is computed from the same numbers as its
stored points.

The uploaded audio of a placement is kept for listening under ``<cache>/placed/<token>/``
(the collection's cache folder: a read-only collection's is in this user's cache, never its
data folder), at most :attr:`PlaceLimits.keep` placements, :attr:`PlaceLimits.keep_bytes`
bytes and :attr:`PlaceLimits.keep_seconds` seconds old; older ones are removed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tagscape.errors import (
    AudioError,
    BusyError,
    NotFoundError,
    ReadOnlyError,
    TagscapeError,
    UsageError,
)
from tagscape.models.registry import get_model
from tagscape.store.db import STORE_DTYPE

#: Nearest stored segments a segment is placed among when no reducer can be used.
KNN_K = 10
#: Most tracks a placement lists as nearest.
MAX_NEIGHBOURS = 50
#: Most maps one placement is put on (each may need another model's analysis).
MAX_MAPS = 4
#: Placements analysed at once by one process (each keeps the cores busy for seconds), and how
#: long a request waits for its turn.
PLACE_SLOTS = 1
PLACE_WAIT_SECONDS = 60.0
#: A placement's token: what its audio URL carries (never a path).
TOKEN = re.compile(r"[0-9a-f]{32}")
PLACED_DIRNAME = "placed"
#: Uploads being placed, beside the kept placements (removed when placed, or swept when stale).
UPLOAD_PREFIX = ".upload-"
ADDED_DIRNAME = "added"


class UploadTooLargeError(UsageError):
    """A file larger than a placement takes."""

    http_status = 413


@dataclass(frozen=True)
class PlaceLimits:
    """What one placement may cost, and how many placements are kept to listen to (settings)."""

    #: Largest file, bytes (an upload beyond it is a 413).
    max_bytes: int = 100 * 2**20
    #: Longest audio, seconds (by the file's header before the analysis, and by what was decoded after it).
    max_seconds: float = 20 * 60.0
    #: Placements kept for listening, at most this many ...
    keep: int = 16
    #: ... of at most this many bytes together ...
    keep_bytes: int = 512 * 2**20
    #: ... and at most this old, seconds.
    keep_seconds: float = 3600.0


@dataclass(frozen=True)
class MapSpec:
    """One map to place a file on: as ``/api/points`` names it."""

    model_id: str
    layer: str | None = None  # default: taggrams, or embeddings for a model without tags
    projection: str = "pca"
    x: str = "0"
    y: str = "1"
    #: The map of just these tracks (an on-demand map); None: of all tracks.
    track_ids: tuple[int, ...] | None = None

    def resolved_layer(self) -> str:
        spec = get_model(self.model_id)
        layer = self.layer or ("taggrams" if spec.tags else spec.layers[0].name)
        spec.layer(layer)
        return layer


@dataclass
class PlacedMap:
    """A file's segments on one map and its nearest tracks in that map's layer."""

    spec: MapSpec
    layer: str
    coords: np.ndarray  # (n_segments, 2) float32
    segment_seconds: float
    axis_labels: tuple[str, str]
    source: str  # the map's: direct | offline | on-demand
    placement: str  # direct | transform | nearest-neighbours
    note: str
    neighbours: list[dict] = field(default_factory=list)  # [{track_id, similarity, title, artist}]

    def to_json(self, *, starts: bool = True) -> dict:
        n = len(self.coords)
        out = {
            "model": self.spec.model_id, "layer": self.layer, "projection": self.spec.projection, "x": self.spec.x, "y": self.spec.y,
            "axis_labels": list(self.axis_labels), "source": self.source, "placement": self.placement, "note": self.note,
            "segment_seconds": self.segment_seconds, "n_segments": n,
            "segments": {"x": self.coords[:, 0].tolist(), "y": self.coords[:, 1].tolist()},
            "neighbours": self.neighbours,
        }
        if starts:
            out["segments"]["start"] = (np.arange(n) * self.segment_seconds).round(6).tolist()
        return out


@dataclass
class Placement:
    """A placed file: its maps, and where to hear it (``token``) or where it was added."""

    name: str
    duration_seconds: float
    maps: list[PlacedMap]
    token: str | None = None
    added_track_id: int | None = None
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return {"token": self.token, "name": self.name, "duration_seconds": round(self.duration_seconds, 3),
                "added_track_id": self.added_track_id, "created_at": self.created_at,
                "maps": [placed.to_json() for placed in self.maps]}


# -- pure placement ---------------------------------------------------------------------------


def store_precision(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to the store's float16 and back, as an extracted track's rows are read.

    values : ndarray [shape=(n, d)] -> ndarray [shape=(n, d), dtype=float32]
    """
    return np.asarray(values, dtype=STORE_DTYPE).astype(np.float32)


def knn_place(*, reference: np.ndarray, coords: np.ndarray, queries: np.ndarray, k: int = KNN_K, chunk_rows: int = 65_536) -> np.ndarray:
    """Map positions of new rows: the inverse-distance-weighted mean of the positions of their
    ``k`` nearest reference rows (Euclidean); a query equal to a reference row lands on it.

    Parameters
    ----------
    reference : ndarray [shape=(n, d)]
        Rows of the map's layer (any float dtype: a float16 memory map is read chunk by chunk).
    coords : ndarray [shape=(n, 2)]
        Their positions on the map.
    queries : ndarray [shape=(q, d)]

    Returns
    -------
    ndarray [shape=(q, 2), dtype=float32]
    """
    n = reference.shape[0]
    if n == 0:
        raise NotFoundError("the map has no points to place a file among")
    queries = np.asarray(queries, np.float32)
    k = min(k, n)
    q_norms = np.einsum("ij,ij->i", queries, queries)[:, None]
    best_d = np.full((len(queries), 0), np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start in range(0, n, chunk_rows):
        block = np.asarray(reference[start : start + chunk_rows], np.float32)
        d2 = q_norms + np.einsum("ij,ij->i", block, block)[None, :] - 2.0 * (queries @ block.T)
        take = min(k, block.shape[0])
        part = np.argpartition(d2, take - 1, axis=1)[:, :take]
        best_d = np.concatenate([best_d, np.take_along_axis(d2, part, axis=1)], axis=1)
        best_i = np.concatenate([best_i, part + start], axis=1)
        order = np.argsort(best_d, axis=1, kind="stable")[:, :k]
        best_d, best_i = np.take_along_axis(best_d, order, axis=1), np.take_along_axis(best_i, order, axis=1)
    # Exact distances of the few candidates (the expanded form above loses digits near 0).
    candidates = np.asarray(reference[best_i.ravel()], np.float32).reshape(*best_i.shape, -1)
    exact = np.linalg.norm(candidates - queries[:, None, :], axis=2)
    weights = 1.0 / np.maximum(exact, 1e-12)
    weights[exact <= 1e-6] = 1e12  # an equal row: its own position
    weights /= weights.sum(axis=1, keepdims=True)
    positions = np.asarray(coords, np.float32)[best_i]  # (q, k, 2)
    return (weights[:, :, None] * positions).sum(axis=1).astype(np.float32)


# -- a placer: loaded models and reducers, kept between placements -------------------------------


class Placer:
    """Places files; keeps the loaded models and reducers of recent placements (bounded)."""

    def __init__(self, limits: PlaceLimits | None = None, *, threads: int | None = None, max_extractors: int = 2, max_reducers: int = 4):
        self.limits = limits or PlaceLimits()
        self.threads = threads
        self._extractors: OrderedDict[tuple, object] = OrderedDict()
        self._reducers: OrderedDict[tuple, object] = OrderedDict()
        self._max_extractors = max_extractors
        self._max_reducers = max_reducers
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(PLACE_SLOTS)

    # -- the parts ---------------------------------------------------------------------------

    def extractor(self, model_ids: Sequence[str]):
        from tagscape.pipeline import Extractor

        key = tuple(sorted(set(model_ids)))
        with self._lock:
            if key in self._extractors:
                self._extractors.move_to_end(key)
                return self._extractors[key]
        made = Extractor(list(key), threads=self.threads)
        with self._lock:
            self._extractors[key] = made
            while len(self._extractors) > self._max_extractors:
                self._extractors.popitem(last=False)
        return made

    def reducer(self, maps, model_id: str, layer: str, projection: str):
        """The offline map's fitted reducer, or None (missing, or not signed by this user)."""
        key = (str(maps.collection.data_dir), model_id, layer, projection, maps.stamp())
        with self._lock:
            if key in self._reducers:
                self._reducers.move_to_end(key)
                return self._reducers[key]
        reducer = maps.reducer(model_id, layer, projection)
        with self._lock:
            self._reducers[key] = reducer
            while len(self._reducers) > self._max_reducers:
                self._reducers.popitem(last=False)
        return reducer

    # -- placing -----------------------------------------------------------------------------

    def check_file(self, path: Path, *, name: str) -> None:
        """Size and declared duration within the limits (before any analysis)."""
        from tagscape.audio.decode import probe

        size = path.stat().st_size
        if size > self.limits.max_bytes:
            raise UploadTooLargeError(f"{name}: {size / 2**20:.1f} MiB, more than the {self.limits.max_bytes / 2**20:g} MiB a placement takes")
        try:
            declared = probe(path).declared_seconds
        except AudioError as exc:
            raise AudioError(name, exc.reason.replace(str(path), name)) from None
        self._check_seconds(declared, name=name)

    def _check_seconds(self, seconds: float | None, *, name: str) -> None:
        if seconds is not None and seconds > self.limits.max_seconds:
            raise AudioError(name, f"lasts {seconds / 60:.1f} min, more than the {self.limits.max_seconds / 60:g} min a placement takes")

    def place(self, collection, path: str | os.PathLike, maps: Sequence[MapSpec], *, name: str | None = None, k: int = 10,
              add: bool = False, keep_audio: bool = False, compute_offline: bool = True) -> Placement:
        """Analyse ``path`` with the models of ``maps`` and place it on each.

        Parameters
        ----------
        maps : sequence of MapSpec
            1 to :data:`MAX_MAPS` maps.
        name : str, optional
            How messages and the result name the file (an upload's own name; default: the file's).
        k : int
            Nearest tracks listed per map (1..:data:`MAX_NEIGHBOURS`).
        add : bool
            Also add the file to the collection (a folder collection opened writable): copied to
            ``<audio folder>/added/``, with the analysed models' results.
        keep_audio : bool
            Keep a copy of the file for listening (``Placement.token``; see :func:`placed_entry`).
        compute_offline : bool
            Whether a missing offline map may be fitted here (the command line), as in
            :func:`tagscape.projections.maps.project`.
        """
        path = Path(path)
        name = name or path.name
        maps = list(maps)
        if not 1 <= len(maps) <= MAX_MAPS:
            raise UsageError(f"place a file on 1 to {MAX_MAPS} maps, got {len(maps)}")
        if not 1 <= k <= MAX_NEIGHBOURS:
            raise UsageError(f"k must be between 1 and {MAX_NEIGHBOURS}, got {k}")
        if add:
            _check_addable(collection)
        layers = [spec.resolved_layer() for spec in maps]
        extracted = set(collection.store.result_models())
        missing = next((spec.model_id for spec in maps if spec.model_id not in extracted), None)
        if missing:
            raise NotFoundError(f"{missing} has no results in this collection yet, so it has no map; run: tagscape extract -m {missing}")
        # The maps first: a bad axis, a map a request may not compute, fail before the file is read.
        projections = [self._projection(collection, spec, layer, compute_offline=compute_offline) for spec, layer in zip(maps, layers)]
        self.check_file(path, name=name)
        from tagscape.projections.maps import MapStore

        deadline = time.monotonic() + PLACE_WAIT_SECONDS
        while not self._slots.acquire(timeout=0.25):
            if time.monotonic() > deadline:
                raise BusyError("the server is placing another file; ask again in a moment")
        # The maps' reducers are read while the file is analysed: unpickling a t-SNE map imports
        # openTSNE and scikit-learn, 7 s of a new process's 26 under a load of 15 on 2 cores
        # (python -X importtime; bench/place.py).
        with ThreadPoolExecutor(1, thread_name_prefix="tagscape-reducers") as pool:
            reducers = pool.submit(lambda: [self.reducer(MapStore(collection), spec.model_id, layer, spec.projection)
                                            if projection.source == "offline" else None
                                            for spec, layer, projection in zip(maps, layers, projections)])
            try:
                try:
                    analysis = self.extractor([spec.model_id for spec in maps]).analyze(path)
                except AudioError as exc:
                    raise AudioError(name, exc.reason.replace(str(path), "the file")) from None
            finally:
                self._slots.release()
            reducers = reducers.result()
        self._check_seconds(analysis.duration_seconds, name=name)
        placed = [self._place_on(collection, spec, layer, projection, reducer, analysis, name=name, k=k)
                  for spec, layer, projection, reducer in zip(maps, layers, projections, reducers)]
        result = Placement(name=name, duration_seconds=analysis.duration_seconds, maps=placed)
        if add:
            result.added_track_id = _add_to_collection(collection, path, name=name, analysis=analysis)
        if keep_audio:
            result.token = self._keep(collection, path, result)
        return result

    @staticmethod
    def _projection(collection, spec: MapSpec, layer: str, *, compute_offline: bool):
        from tagscape.projections.maps import project

        return project(collection, spec.model_id, layer, spec.projection, components=(spec.x, spec.y),
                       tracks=list(spec.track_ids) if spec.track_ids is not None else None, compute_offline=compute_offline)

    def _place_on(self, collection, spec: MapSpec, layer: str, projection, reducer, analysis, *, name: str, k: int) -> PlacedMap:
        output = analysis.models[spec.model_id]
        values = store_precision(output.layers[layer])
        if values.shape[0] == 0:
            raise AudioError(name, f"shorter than one {spec.model_id} segment ({output.spec.segment_seconds:g} s)")
        array = collection.layer(spec.model_id, layer)
        axes = _axes(spec, layer, projection)
        if projection.source == "direct":
            coords, how, note = values[:, axes], "direct", "the layer's own values on the chosen axes"
        elif reducer is not None:
            coords = reducer.transform(values)[:, axes]
            how, note = "transform", f"placed with the {spec.projection} map's fitted reducer (transform)"
        else:
            rows = array.offsets[np.searchsorted(array.track_ids, projection.track_ids)] + projection.segment_index
            everything = len(rows) == array.values.shape[0] and np.array_equal(rows, np.arange(len(rows)))
            reference = array.values if everything else array.values[rows]  # all rows: read chunk by chunk
            coords = knn_place(reference=reference, coords=projection.coords, queries=values)
            why = ("this map was computed on demand, and its reducer is not kept" if projection.source == "on-demand"
                   else "this map's reducer is missing or not signed by this user, so it is not read")
            how, note = "nearest-neighbours", (f"an approximation: {why}; each segment is placed at the distance-weighted mean "
                                               f"of its {KNN_K} nearest segments in the {layer}")
        return PlacedMap(spec, layer, np.ascontiguousarray(coords, np.float32), output.spec.segment_seconds, projection.axis_labels,
                         projection.source, how, note, _neighbours(collection, spec.model_id, layer, values, k=k))

    # -- kept audio --------------------------------------------------------------------------

    def _keep(self, collection, path: Path, result: Placement) -> str:
        folder = placed_dir(collection)
        token = secrets.token_hex(16)
        target = folder / token
        target.mkdir(parents=True, mode=0o700)
        try:
            shutil.copyfile(path, target / ("audio" + safe_suffix(result.name)))
            (target / "placement.json").write_text(json.dumps({**result.to_json(), "token": token}))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self.sweep(collection, keep=token)
        return token

    def sweep(self, collection, *, keep: str | None = None) -> int:
        """Remove placements beyond the limits (oldest first; ``keep`` stays); returns how many."""
        folder = placed_dir(collection)
        entries = []
        for entry in folder.iterdir() if folder.is_dir() else ():
            try:
                size = sum(p.stat().st_size for p in entry.iterdir()) if entry.is_dir() else entry.stat().st_size
                entries.append((entry.stat().st_mtime, size, entry))
            except OSError:
                continue
        entries.sort(reverse=True)  # newest first
        now, total, kept, removed = time.time(), 0, 0, 0
        for mtime, size, entry in entries:
            fits = kept < self.limits.keep and total + size <= self.limits.keep_bytes and now - mtime <= self.limits.keep_seconds
            if entry.name == keep or (fits and TOKEN.fullmatch(entry.name)):
                kept += 1
                total += size
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(UPLOAD_PREFIX) and now - mtime > self.limits.keep_seconds:
                entry.unlink(missing_ok=True)  # an upload whose process died before removing it
            else:
                continue
            removed += 1
        return removed


def placed_dir(collection) -> Path:
    """Where placements' audio is kept: the collection's cache (this user's for a read-only one)."""
    return collection.cache_dir / PLACED_DIRNAME


def placed_entry(collection, token: str, *, max_age: float | None = None) -> tuple[dict, Path]:
    """A kept placement's JSON and its audio file, or :class:`NotFoundError` (also for a malformed
    token, and for one older than ``max_age`` seconds, which the next placement sweeps away)."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise NotFoundError("no such placement (tokens are 32 hexadecimal digits)")
    folder = placed_dir(collection) / token
    try:
        if max_age is not None and time.time() - folder.stat().st_mtime > max_age:
            raise OSError("expired")
        info = json.loads((folder / "placement.json").read_text())
        audio = next(p for p in folder.iterdir() if p.name.startswith("audio"))
    except (OSError, ValueError, StopIteration):
        raise NotFoundError("no such placement: it was removed (placements are kept for a while) or never made") from None
    return info, audio


def forget(collection, token: str) -> None:
    """Remove a kept placement now."""
    placed_entry(collection, token)
    shutil.rmtree(placed_dir(collection) / token, ignore_errors=True)


def safe_suffix(name: str) -> str:
    """The file name's extension when it is a plain one (``.mp3``), else empty: what FFmpeg may take as a hint."""
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _axes(spec: MapSpec, layer: str, projection) -> tuple[int, int]:
    """The columns of the layer (original axes) or of the reducer's output that the map shows."""
    from tagscape.projections.maps import (
        _resolve_axis,  # the one parser of axes (project() checked them)
    )

    layer_spec = get_model(spec.model_id).layer(layer)
    if projection.method == "original":
        return tuple(_resolve_axis(c, layer_spec.labels, layer_spec.size) for c in (spec.x, spec.y))
    return tuple(int(c) for c in (spec.x, spec.y))


def _neighbours(collection, model_id: str, layer: str, values: np.ndarray, *, k: int) -> list[dict]:
    """The ``k`` tracks whose mean row is nearest (cosine) to the file's mean row."""
    from tagscape.similarity.index import SimilarityStore
    from tagscape.similarity.search import exact_search, normalise

    array = collection.layer(model_id, layer)
    if array.n_tracks == 0:
        return []
    means = SimilarityStore(collection).track_means(model_id, layer, array)
    rows, sims = exact_search(means, normalise(values.mean(axis=0)), k)
    out = []
    for row, sim in zip(rows[0].tolist(), sims[0].tolist()):
        track = collection.track(int(array.track_ids[row]))
        out.append({"track_id": int(track["track_id"]), "similarity": round(float(sim), 6),
                    "title": track.get("title") or track.get("key"), "artist": track.get("artist")})
    return out


# -- adding to the collection -------------------------------------------------------------------


def _check_addable(collection) -> None:
    if collection.readonly:
        raise ReadOnlyError("this collection is open read-only: a placed file is not added to it")
    if collection.kind != "folder" or collection.audio_root is None:
        raise UsageError("only a folder collection takes added files (this one is a list of remote tracks)")


def _add_to_collection(collection, path: Path, *, name: str, analysis) -> int:
    """Copy the file to ``<audio folder>/added/`` (a free name) and record it with its results."""
    from tagscape.store.tracks import content_hash, read_file_metadata

    folder = collection.audio_root / ADDED_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[\x00-\x1f/\\]", "_", Path(name).stem).strip(". ") or "added"
    target = None
    for i in range(1000):
        candidate = folder / f"{stem[:150]}{'' if i == 0 else f' ({i})'}{safe_suffix(name)}"
        try:
            with open(candidate, "xb") as out, open(path, "rb") as source:
                shutil.copyfileobj(source, out)
            target = candidate
            break
        except FileExistsError:
            continue
    if target is None:
        raise UsageError(f"{name}: too many added files of this name")
    try:
        fields, extra = read_file_metadata(target)
        stat = target.stat()
        key = target.relative_to(collection.audio_root).as_posix()
        record = {"key": key, "path": key, "size": stat.st_size, "mtime": stat.st_mtime, "content_hash": content_hash(target), **fields}
        store = collection.store
        track_id = store.upsert_track(record, extra)
        for model_id, output in analysis.models.items():
            store.write_result(track_id, model_id, content_hash=record["content_hash"], segment_seconds=output.spec.segment_seconds,
                               layers={layer: store_precision(value) for layer, value in output.layers.items()})
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return track_id


__all__ = ["KNN_K", "MapSpec", "PlaceLimits", "Placement", "PlacedMap", "Placer", "TagscapeError", "UploadTooLargeError", "forget",
           "knn_place", "placed_entry", "safe_suffix", "store_precision"]
