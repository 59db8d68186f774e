"""2D maps of a collection's layers: offline maps of everything, on-demand maps of subsets.

Offline maps live in ``<data>/maps/<model>.<layer>.<method>.npz`` (coordinates of every
segment, ``n_components`` columns, in the layer's row order) with the fitted reducer beside
them (``.pkl``) so that tracks added later are *placed* into the existing map with the
method's ``transform`` instead of refitting. On-demand maps of a subset of tracks are cached
in ``<data>/cache/`` by (model, layer, method, parameters, track set).

Whole-collection t-SNE and UMAP are fitted on a sample that holds segments of every track
(every k-th segment, at most ``FIT_LIMITS[method]`` of them) and the other segments are
placed with ``transform`` in batches.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tagscape.errors import BusyError, MapNotReadyError, NotFoundError, ReadOnlyError, UntrustedFileError, UsageError
from tagscape.models.registry import get_model
from tagscape.projections import signed
from tagscape.projections.methods import Cancel, Cancelled, fit_coords, make_reducer
from tagscape.store.db import current_revision
from tagscape import files
from tagscape.store.layers import LayerArray

METHODS = ("original", "pca", "std-pca", "tsne", "umap")
LEARNED = ("pca", "std-pca", "tsne", "umap")
MAPS_FORMAT = 2  # 2: PCA from the chunked covariance (reducers pickled by format 1 differ)

#: Components kept by offline maps (PCA: the user picks two of these).
N_COMPONENTS = {"pca": 10, "std-pca": 10, "tsne": 2, "umap": 2}
#: Most segments a whole-collection t-SNE / UMAP is fitted on; the rest are placed.
FIT_LIMITS = {"tsne": 100_000, "umap": 200_000}
#: Subsets up to this many segments get their own t-SNE / UMAP; larger ones use the offline map.
ON_DEMAND_LIMIT = 100_000
#: Settings of on-demand maps, under any the caller gives. t-SNE of a subset runs fewer
#: iterations on a coarser FFT grid: at 37,500 segments it keeps trustworthiness (0.997 against
#: 0.973 with openTSNE's defaults) in a fraction of the time (``bench/projections_tune.py``).
ON_DEMAND_PARAMS = {"tsne": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 2, "transform_n_iter": 100}}
#: On-demand t-SNE of more segments than this is fitted on every ``ON_DEMAND_STRIDE``-th segment
#: of each track; the others are placed with ``transform`` next to their neighbours.
ON_DEMAND_FIT_ABOVE = 15_000
ON_DEMAND_STRIDE = 3
#: Bumped when on-demand settings change, so cached maps are recomputed.
ON_DEMAND_FORMAT = 2

Progress = Callable[[int, int], None] | None

#: What a request may fit over a whole layer: PCA / std-PCA are one pass over the rows (8 s
#: for 4.5 M segments on 2 cores, bench/projections.py); larger layers need `tagscape project`.
#: t-SNE and UMAP of the whole collection never run in a request (see :func:`project`).
REQUEST_PCA_LIMIT = 1_000_000
#: On-demand maps computed at once in one process, and how long a request waits for a slot.
ON_DEMAND_SLOTS = 2
ON_DEMAND_WAIT_SECONDS = 120.0
#: Bytes of cached on-demand maps kept on disk (least recently used go first).
ON_DEMAND_CACHE_BYTES = 256 << 20
#: Bytes of offline maps kept in memory by one process.
LOADED_MAPS_BYTES = 512 << 20


class _LoadedMaps:
    """Offline maps read in this process, by path and mtime (maps are replaced atomically, so a
    new mtime means a new file), least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Path, tuple[int, dict, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, stamp: int) -> dict | None:
        with self._lock:
            item = self._items.get(path)
            if item is None or item[0] != stamp:
                return None
            self._items.move_to_end(path)
            return item[1]

    def put(self, path: Path, stamp: int, stored: dict) -> None:
        size = sum(getattr(value, "nbytes", 0) for value in stored.values())
        with self._lock:
            self._items[path] = (stamp, stored, size)
            self._items.move_to_end(path)
            while len(self._items) > 1 and sum(item[2] for item in self._items.values()) > self.max_bytes:
                self._items.popitem(last=False)


_LOADED = _LoadedMaps(LOADED_MAPS_BYTES)
_SLOTS = threading.BoundedSemaphore(ON_DEMAND_SLOTS)


@dataclass
class MapSummary:
    """What a sample of a map keeps of the whole map: its size, its tracks (in the map's order,
    with their points), its bounds (:func:`bounds_of`) and
    where the sample's points are among the whole map's (``positions``)."""

    n_points: int
    track_ids: np.ndarray
    counts: np.ndarray
    bounds: dict | None
    positions: np.ndarray


def bounds_of(x: np.ndarray, y: np.ndarray) -> dict | None:
    """``{"x": [min, max], "y": [min, max]}`` of a map's points (NaN ignored), None for no points."""
    if not len(x):
        return None
    return {"x": [float(np.nanmin(x)), float(np.nanmax(x))], "y": [float(np.nanmin(y)), float(np.nanmax(y))]}


def _summary(coords: np.ndarray, row_tracks: np.ndarray, positions: np.ndarray) -> MapSummary:
    starts = np.flatnonzero(np.r_[True, row_tracks[1:] != row_tracks[:-1]]) if len(row_tracks) else np.zeros(0, np.int64)
    return MapSummary(len(coords), row_tracks[starts], np.diff(np.r_[starts, len(row_tracks)]), bounds_of(coords[:, 0], coords[:, 1]), positions)


def sample_positions(n: int, size: int | None, *, seed: int = 0) -> np.ndarray | None:
    """A seeded uniform sample of ``size`` of ``n`` positions, in increasing order (None: all of them)."""
    if size is None or size >= n:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


@dataclass
class Projection:
    """Points of a 2D map: one row per segment (or per track, for maps of track means)."""

    model_id: str
    layer: str
    method: str
    coords: np.ndarray  # (n, 2) float32
    track_ids: np.ndarray  # (n,) int64
    segment_index: np.ndarray  # (n,) int32: index of the segment within its track
    axis_labels: tuple[str, str]
    explained_variance: list[float] | None = None
    source: str = "direct"  # direct | offline | on-demand
    params: dict = field(default_factory=dict)
    #: When the points are a sample (``project(sample=)``): the whole map's points, tracks and bounds.
    whole: MapSummary | None = None

    def track_averages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per track: its id, the mean of its points ``(n_tracks, 2)`` and their spread.

        The spread is the root-mean-square distance of the track's points to their mean.
        """
        ids, inverse, counts = np.unique(self.track_ids, return_inverse=True, return_counts=True)
        sums = np.zeros((len(ids), 2), np.float64)
        np.add.at(sums, inverse, self.coords)
        means = sums / counts[:, None]
        sq = np.zeros(len(ids), np.float64)
        np.add.at(sq, inverse, ((self.coords - means[inverse]) ** 2).sum(axis=1))
        return ids, means.astype(np.float32), np.sqrt(sq / counts).astype(np.float32)


def _resolve_axis(value, labels: tuple[str, ...] | None, size: int) -> int:
    """An axis given as an index or (for taggrams) a tag name."""
    if isinstance(value, (int, np.integer)) or (isinstance(value, str) and value.isascii() and value.isdecimal()):
        index = int(value)
        if not 0 <= index < size:
            raise UsageError(f"dimension {index} is out of range 0..{size - 1}")
        return index
    if labels and value in labels:
        return labels.index(value)
    known = f"; tags: {', '.join(labels)}" if labels else ""
    raise UsageError(f"unknown axis {value!r}: give a dimension 0..{size - 1}{known}")


def _axis_label(method: str, index: int, labels, explained) -> str:
    if method == "original":
        return labels[index] if labels else f"dim {index}"
    if method in ("pca", "std-pca"):
        share = f" ({explained[index] * 100:.0f} %)" if explained and index < len(explained) else ""
        return f"PC {index + 1}{share}"
    return f"{'t-SNE' if method == 'tsne' else 'UMAP'} {index + 1}"


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


class MapStore:
    """Offline maps and the on-demand cache of one collection."""

    def __init__(self, collection):
        self.collection = collection
        self.maps_dir = collection.data_dir / "maps"

    @property
    def cache_dir(self) -> Path:
        """The on-demand cache (asked for only when used: a read-only collection makes it on first use)."""
        return self.collection.cache_dir

    def _paths(self, model_id: str, layer: str, method: str) -> tuple[Path, Path]:
        stem = self.maps_dir / f"{model_id}.{layer}.{method}"
        return stem.with_name(stem.name + ".npz"), stem.with_name(stem.name + ".pkl")

    def stamp(self) -> tuple:
        """Changes whenever an offline map is written (maps are replaced, never edited)."""
        if not self.maps_dir.is_dir():
            return ()
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in self.maps_dir.glob("*.npz")))

    def _track_hashes(self, model_id: str, track_ids: np.ndarray) -> list[str]:
        hashes = self.collection.store.result_hashes(model_id)
        return [hashes.get(int(t)) or "" for t in track_ids]

    def load(self, model_id: str, layer: str, method: str) -> dict | None:
        """The stored map if it exists and matches the layer as it is now (cached by file mtime)."""
        path, _ = self._paths(model_id, layer, method)
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        stored = _LOADED.get(path, stamp)
        if stored is None:
            try:
                with np.load(path, allow_pickle=False) as npz:
                    stored = {name: npz[name] for name in npz.files}
            except (OSError, ValueError, EOFError):  # unreadable: as if missing (`tagscape project` rewrites it)
                return None
            _LOADED.put(path, stamp, stored)
        if int(stored["format"]) != MAPS_FORMAT or int(stored["version"]) != self.collection.store.model_version(model_id):
            return None
        return stored

    def reducer(self, model_id: str, layer: str, method: str):
        """The fitted reducer of an offline map (to place new points with its ``transform``), or
        None when it is missing or not signed by this user (never unpickled then)."""
        _, reducer_path = self._paths(model_id, layer, method)
        try:
            return signed.load(reducer_path)
        except (OSError, UntrustedFileError):
            return None

    def status(self, model_id: str, layer: str) -> dict[str, str]:
        """For each learned method: ``fresh``, ``stale`` (can be updated) or ``missing``."""
        out = {}
        for method in LEARNED:
            path, _ = self._paths(model_id, layer, method)
            out[method] = "fresh" if self.load(model_id, layer, method) is not None else ("stale" if path.is_file() else "missing")
        return out

    def compute(self, model_id: str, layer: str, method: str, *, random_state: int = 0, cancel: Cancel = None, progress: Progress = None, refit: bool = False) -> dict:
        """Compute (or bring up to date) the offline map of a layer and store it."""
        if method not in LEARNED:
            raise UsageError(f"{method!r} has no offline map; methods: {', '.join(LEARNED)}")
        if getattr(self.collection, "readonly", False):
            raise ReadOnlyError(
                f"the {method} map of {model_id} {layer} is missing or out of date, and this collection is open read-only; "
                f"compute it with: tagscape project -c {self.collection.data_dir} -m {model_id} --layer {layer} --method {method}"
            )
        path, _ = self._paths(model_id, layer, method)
        with files.exclusive(path.with_suffix(".lock")):  # one fit per map at a time, across processes
            if not refit:
                fresh = self.load(model_id, layer, method)
                if fresh is not None:  # made by another thread or process while this one waited
                    return fresh
            files.sweep_temporaries(path)
            files.sweep_temporaries(self._paths(model_id, layer, method)[1])
            return self._compute(model_id, layer, method, random_state=random_state, cancel=cancel, progress=progress, refit=refit)

    def _compute(self, model_id: str, layer: str, method: str, *, random_state: int, cancel: Cancel, progress: Progress, refit: bool) -> dict:
        array = self.collection.layer(model_id, layer)
        if array.values.shape[0] == 0:
            raise NotFoundError(f"no {model_id} {layer} extracted yet; run: tagscape extract")
        path, reducer_path = self._paths(model_id, layer, method)
        version = self.collection.store.model_version(model_id)
        hashes = self._track_hashes(model_id, array.track_ids)
        previous = None if refit or not (path.is_file() and reducer_path.is_file()) else dict(np.load(path, allow_pickle=False))
        X = array.values
        revision = current_revision(model_id)
        # A map of an older definition of the layer (or older format) is refitted, never extended.
        reducer = None
        if previous is not None and int(previous["format"]) == MAPS_FORMAT and int(previous.get("revision", 1)) == revision:
            try:
                reducer = signed.load(reducer_path)
            except UntrustedFileError:
                previous = None  # a reducer this user did not write is never unpickled: fit anew
        if reducer is not None:
            coords = self._update(previous, reducer, array, hashes, progress)
            reducer_params = json.loads(str(previous["params"]))
            explained = previous["explained"]
        else:
            reducer = make_reducer(method, random_state=random_state, **({"n_components": N_COMPONENTS[method]} if method in ("pca", "std-pca") else {}))
            fit_rows = _sample_rows(array, FIT_LIMITS.get(method))
            coords = fit_coords(reducer, X if method in ("pca", "std-pca") else np.asarray(X, np.float32), fit_rows=fit_rows, cancel=cancel, progress=progress)
            explained = np.array(reducer.explained_variance_ratio if hasattr(reducer, "explained_variance_ratio") else [], np.float64)
            reducer_params = {"random_state": random_state, "fit_rows": int(len(fit_rows)) if fit_rows is not None else int(X.shape[0])}
            signed.dump(reducer, reducer_path)
        stored = {
            "coords": coords.astype(np.float32),
            "track_ids": array.track_ids,
            "offsets": array.offsets,
            "track_hashes": np.array(hashes),
            "explained": explained,
            "version": np.int64(version),
            "revision": np.int64(revision),
            "format": np.int64(MAPS_FORMAT),
            "params": np.array(json.dumps(reducer_params)),
        }
        tmp = files.temp_path(path)
        with open(tmp, "wb") as out:
            np.savez(out, **stored)
        os.replace(tmp, path)
        return stored

    def _update(self, previous: dict, reducer, array: LayerArray, hashes: list[str], progress: Progress) -> np.ndarray:
        """Keep the coordinates of unchanged tracks; place new or changed tracks with transform."""
        old = {int(t): (int(previous["offsets"][i]), int(previous["offsets"][i + 1]), str(previous["track_hashes"][i])) for i, t in enumerate(previous["track_ids"])}
        coords = np.zeros((array.values.shape[0], previous["coords"].shape[1]), np.float32)
        to_place = []
        for i, track_id in enumerate(array.track_ids):
            start, end = int(array.offsets[i]), int(array.offsets[i + 1])
            kept = old.get(int(track_id))
            if kept and kept[2] == hashes[i] and kept[1] - kept[0] == end - start:
                coords[start:end] = previous["coords"][kept[0] : kept[1]]
            else:
                to_place.append(np.arange(start, end))
        if to_place:
            rows = np.concatenate(to_place)
            coords[rows] = reducer.transform(np.asarray(array.values[rows], np.float32))[:, : coords.shape[1]]
            if progress:
                progress(len(rows), len(rows))
        return coords

    def on_demand(self, model_id: str, layer: str, method: str, array: LayerArray, rows: np.ndarray, track_ids: Sequence[int], *, segment_index: np.ndarray, random_state: int, params: dict, cancel: Cancel) -> np.ndarray:
        """t-SNE / UMAP of just these rows, cached by what determines the result.

        ``segment_index`` holds each of these rows' index within its track.
        """
        version = self.collection.store.model_version(model_id)
        hashes = self._track_hashes(model_id, np.asarray(sorted(set(int(t) for t in track_ids))))
        settings, fit_rows = on_demand_plan(method, segment_index, params)
        key = _key(model_id, layer, method, random_state, settings, sorted(set(int(t) for t in track_ids)), hashes, version, ON_DEMAND_FORMAT)
        path = self.cache_dir / f"{model_id}.{layer}.{method}.{key}.npy"
        cached = _read_cached(path)
        if cached is not None:
            return cached
        # Single flight per key (a second identical request waits, then reads the first one's
        # result), and at most ON_DEMAND_SLOTS fits at once in this process.
        with files.exclusive(self.cache_dir / "locks" / f"{int(key[:2], 16)}.lock"):  # 256 stripes: lock files stay few
            cached = _read_cached(path)
            if cached is not None:
                return cached
            with _slot(cancel):
                reducer = make_reducer(method, random_state=random_state, **settings)
                coords = fit_coords(reducer, np.asarray(array.values[rows], np.float32), fit_rows=fit_rows, cancel=cancel)
            tmp = files.temp_path(path)
            with open(tmp, "wb") as out:
                np.save(out, coords)
            os.replace(tmp, path)
        files.evict(self.cache_dir, max_bytes=ON_DEMAND_CACHE_BYTES, pattern="*.npy")
        return coords


def _read_cached(path: Path) -> np.ndarray | None:
    try:
        coords = np.load(path)
    except (OSError, ValueError, EOFError):
        return None
    files.touch(path)
    return coords


@contextmanager
def _slot(cancel: Cancel):
    """Wait for one of the process's on-demand slots (giving up when cancelled or after
    ON_DEMAND_WAIT_SECONDS) and hold it."""
    deadline = time.monotonic() + ON_DEMAND_WAIT_SECONDS
    while not _SLOTS.acquire(timeout=0.25):
        if cancel is not None and cancel():
            raise Cancelled("cancelled while waiting for another map to finish")
        if time.monotonic() > deadline:
            raise BusyError(f"the server is computing {ON_DEMAND_SLOTS} other maps; ask again in a moment")
    try:
        yield
    finally:
        _SLOTS.release()


def on_demand_plan(method: str, segment_index: np.ndarray, params: dict) -> tuple[dict, np.ndarray | None]:
    """The reducer settings of an on-demand map and the rows it is fitted on (None: all).

    ``segment_index`` holds each row's index within its track.
    """
    settings = {**ON_DEMAND_PARAMS.get(method, {}), **params}
    fit_rows = None
    if method == "tsne" and len(segment_index) > ON_DEMAND_FIT_ABOVE:
        fit_rows = np.flatnonzero(segment_index % ON_DEMAND_STRIDE == 0)
    return settings, fit_rows


def _sample_rows(array: LayerArray, limit: int | None) -> np.ndarray | None:
    """Every k-th segment of every track (so each track is in the fit), at most about ``limit``."""
    n = array.values.shape[0]
    if limit is None or n <= limit:
        return None
    stride = int(np.ceil(n / limit))
    index = array.segment_index()
    return np.flatnonzero(index % stride == 0)


def project(
    collection,
    model_id: str,
    layer: str,
    method: str,
    *,
    components: tuple = (0, 1),
    tracks: Sequence[int] | None = None,
    random_state: int = 0,
    params: dict | None = None,
    cancel: Cancel = None,
    compute_offline: bool = True,
    sample: int | None = None,
) -> Projection:
    """The 2D points of a layer's segments, for all tracks or the given ones.

    Parameters
    ----------
    method : str
        ``original`` (``components`` are dimensions or, for taggrams, tag names), ``pca`` /
        ``std-pca`` (``components`` are component indices, 0-based, from the offline map fitted
        on the whole collection), ``tsne`` / ``umap`` (of just ``tracks`` when given and small
        enough, else from the whole collection's offline map).
    compute_offline : bool
        Whether a missing or stale offline map may be fitted here (the command line). False
        (a request): only PCA of up to ``REQUEST_PCA_LIMIT`` segments is; t-SNE / UMAP of
        everything is computed on demand when it has at most ``ON_DEMAND_LIMIT`` segments, and
        otherwise :class:`MapNotReadyError` names the ``tagscape project`` command.
    tracks : sequence of int, optional
        Track ids; all tracks when omitted. Points come in the given track order.
    sample : int, optional
        Only this many of the points, a seeded uniform sample in the points' order (a first
        frame of a large map); ``whole`` then keeps the whole map's size, tracks and bounds.
        Read from the layer or a stored map, a sample costs only the two columns' bounds.
    """
    spec = get_model(model_id)
    layer_spec = spec.layer(layer)
    if method not in METHODS:
        raise UsageError(f"unknown projection {method!r}; known: {', '.join(METHODS)}")
    if len(components) != 2:
        raise UsageError(f"give two components, got {len(components)}")
    params = dict(params or {})
    array = collection.layer(model_id, layer)
    rows, row_tracks, segment_index = array.selection(tracks)
    explained = None
    source = "direct"
    if method == "original":
        axes = [_resolve_axis(c, layer_spec.labels, layer_spec.size) for c in components]
        coords = _columns(array.values, None if tracks is None else rows, axes)
    else:
        maps = MapStore(collection)
        # What fits a new map over the whole layer: the command line always; a request only
        # PCA of a bounded layer. A request for t-SNE / UMAP of everything gets the offline map,
        # or (for a small collection) an on-demand map of all its rows, or a 409.
        offline = method in ("pca", "std-pca") or tracks is None or len(rows) > ON_DEMAND_LIMIT
        stored = maps.load(model_id, layer, method) if offline else None
        if offline and stored is None and not compute_offline:
            if method in ("tsne", "umap") and len(rows) <= ON_DEMAND_LIMIT:
                offline = False
            elif method in ("tsne", "umap") or array.values.shape[0] > REQUEST_PCA_LIMIT:
                raise MapNotReadyError(
                    f"no up-to-date {method} map of all of {model_id} {layer} ({array.values.shape[0]:,} segments), and a request "
                    f"computes at most {ON_DEMAND_LIMIT:,} on demand: choose fewer tracks, or compute it with: "
                    f"tagscape project -c {collection.data_dir} -m {model_id} --layer {layer} --method {method}"
                )
        if offline:
            if stored is None:
                stored = maps.compute(model_id, layer, method, random_state=random_state, cancel=cancel)
            k = stored["coords"].shape[1]
            axes = [_resolve_axis(c, None, k) for c in components]
            coords = _columns(stored["coords"], None if tracks is None else rows, axes)
            explained = [float(v) for v in stored["explained"]] or None
            source = "offline"
        else:
            axes = [_resolve_axis(c, None, 2) for c in components]
            subset = tracks if tracks is not None else array.track_ids.tolist()
            coords = maps.on_demand(model_id, layer, method, array, rows, subset, segment_index=segment_index, random_state=random_state,
                                    params=params, cancel=cancel)[:, axes]
            source = "on-demand"
    labels = tuple(_axis_label(method, a, layer_spec.labels, explained) for a in axes)
    whole = None
    keep = sample_positions(len(coords), sample, seed=random_state)
    if keep is not None:
        whole = _summary(coords, row_tracks, keep)
        coords, row_tracks, segment_index = coords[keep], row_tracks[keep], segment_index[keep]
    return Projection(model_id, layer, method, np.ascontiguousarray(coords, np.float32), row_tracks.astype(np.int64), segment_index.astype(np.int32), labels, explained,
                      source, params, whole)


def _columns(values: np.ndarray, rows: np.ndarray | None, axes: list[int]) -> np.ndarray:
    """``values[rows][:, axes]`` as float32 (all rows when None), reading only those two columns:
    a whole layer or stored map is millions of rows of up to 200 columns."""
    if rows is None:
        return np.asarray(values[:, axes], np.float32)
    if not len(rows):
        return np.zeros((0, len(axes)), np.float32)
    return np.asarray(values[rows[:, None], np.asarray(axes)[None, :]], np.float32)


def project_track_means(collection, model_id: str, layer: str, method: str, *, tracks: Sequence[int] | None = None, components: tuple = (0, 1), random_state: int = 0) -> Projection:
    """The map of track means: each track's mean vector, then projected (fitted on these means)."""
    spec = get_model(model_id)
    layer_spec = spec.layer(layer)
    array = collection.layer(model_id, layer)
    ids = array.track_ids if tracks is None else np.array([t for t in tracks if int(t) in set(array.track_ids.tolist())], np.int64)
    means = np.stack([np.asarray(array.track(t), np.float32).mean(axis=0) for t in ids]) if len(ids) else np.zeros((0, layer_spec.size), np.float32)
    explained = None
    if method == "original":
        axes = [_resolve_axis(c, layer_spec.labels, layer_spec.size) for c in components]
        coords = means[:, axes]
    else:
        reducer = make_reducer(method, random_state=random_state, **({"n_components": 10} if method in ("pca", "std-pca") else {}))
        full = fit_coords(reducer, means)
        axes = [_resolve_axis(c, None, full.shape[1]) for c in components]
        coords = full[:, axes]
        explained = getattr(reducer, "explained_variance_ratio", None)
    labels = tuple(_axis_label(method, a, layer_spec.labels, explained) for a in axes)
    return Projection(model_id, layer, method, coords.astype(np.float32), ids, np.zeros(len(ids), np.int32), labels, explained, "track-means")
