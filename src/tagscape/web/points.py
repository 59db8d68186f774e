"""``GET /api/points``: the points of one map, as a compact binary layout (or JSON).

Binary layout (all little-endian), version 2 (1 had uint16 segment indices: a track of more
than 65,535 segments, 17.5 h at VGGish's 0.96 s, could not be sent)::

    offset  size  what
    0       4     magic b"TSPT"
    4       4     uint32 layout version (2)
    8       4     uint32 n: number of points
    12      4     uint32 m: byte length of the JSON header that follows (padded with spaces to a multiple of 4)
    16      m     JSON header (UTF-8): what the points are (see ``meta`` below), including ``arrays``
    16 + m  ...   the arrays, back to back, each starting at a multiple of 4 bytes:
                  x float32[n], y float32[n], track uint32[n], segment uint32[n],
                  then, when present, spread float32[n] (mode=averages), value float32[n]
                  (value=TAG: the tag's activation) and rank uint8[n] (rank=TAG: the tag's rank
                  among the point's tags, 0 = the top tag).

``header.arrays`` lists each array's ``name``, ``dtype``, ``offset`` (from the start of the
body, i.e. the first byte of the response) and ``count``. ``track`` indexes
``header.tracks`` (a table of columns: ``track_id``, ``title``, ``artist``, ``album``,
``genre``, ``duration``, ``n_segments``); ``segment`` is the segment's index within its track
(its audio starts at ``segment * header.segment_seconds``). Points come track after track,
each track's segments in time order.
"""

from __future__ import annotations

import json
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.registry import get_model
from tagscape.projections.maps import METHODS, bounds_of
from tagscape.selection import Selection, TrackTable, select_tracks

MAGIC = b"TSPT"
LAYOUT_VERSION = 2
MODES = ("segments", "trajectories", "averages")
FORMATS = ("binary", "json")
HEADER = struct.Struct("<4sIII")


@dataclass
class PointsRequest:
    model_id: str
    layer: str
    method: str
    x: str = "0"
    y: str = "1"
    mode: str = "segments"
    value: str | None = None
    rank: str | None = None
    selection: Selection = field(default_factory=Selection)
    #: Axes of the original projection as expressions over tags (tagscape.projections.expressions); None: x / y.
    x_expr: str | None = None
    y_expr: str | None = None


@dataclass
class Points:
    """What ``/api/points`` answers: a header (JSON-able) and named columnar arrays."""

    meta: dict
    arrays: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.arrays["x"])

    def preview(self, n: int, *, seed: int = 0) -> Points:
        """A representative sample of ``n`` of the points for a first frame of a large map: uniform
        and seeded, in the points' order, every array cut alike. The header keeps the whole map's
        track table and ``bounds`` (so the first frame has the whole map's axes) and says
        ``preview: {n, of}``; ``n_points`` is the sample's size."""
        total = self.n
        keep = np.arange(total) if n >= total else np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))
        arrays = {name: np.ascontiguousarray(values[keep]) for name, values in self.arrays.items()}
        return Points({**self.meta, "n_points": len(keep), "preview": {"n": len(keep), "of": total}}, arrays)

    def to_binary(self) -> bytes:
        offsets, position = [], 0
        chunks = []
        for name, values in self.arrays.items():
            data = np.ascontiguousarray(values, values.dtype.newbyteorder("<")).tobytes()
            chunks.append((name, values, data))
        # Offsets depend on the header's length, which depends on the offsets' digits: lay the header
        # out again until the room it was given holds it. The room only grows (longer room, larger
        # offsets, more digits), so this ends; a header shorter than its room is padded with spaces.
        # (A fixed three passes left 12 of 12,000 header sizes with offsets for a shorter header:
        # the browser then read one array from another's bytes.)
        # The meta (with a large map's whole track table, megabytes) is encoded once; only the
        # arrays' list is encoded again on each pass.
        meta = {key: value for key, value in self.meta.items() if key != "arrays"}
        prefix = json.dumps(meta, separators=(",", ":")).encode()[:-1] + (b',"arrays":' if meta else b'"arrays":')
        header_length = 0
        while True:
            position = HEADER.size + header_length
            offsets = []
            for name, values, data in chunks:
                offsets.append({"name": name, "dtype": values.dtype.name, "offset": position, "count": int(values.shape[0])})
                position += _padded(len(data))
            header = prefix + json.dumps(offsets, separators=(",", ":")).encode() + b"}"
            if len(header) <= header_length:
                break
            header_length = _padded(len(header))
        header = header.ljust(header_length, b" ")
        parts = [HEADER.pack(MAGIC, LAYOUT_VERSION, self.n, header_length), header]
        for _, _, data in chunks:
            parts.append(data)
            parts.append(b"\0" * (_padded(len(data)) - len(data)))
        return b"".join(parts)

    def to_json(self) -> dict:
        return {**self.meta, "points": {name: values.tolist() for name, values in self.arrays.items()}}


def _padded(length: int) -> int:
    return (length + 3) // 4 * 4


def parse_binary(body: bytes) -> Points:
    """Read the binary layout back (the reference decoder; the browser's is frontend/src/api.js)."""
    magic, version, n, header_length = HEADER.unpack_from(body, 0)
    if magic != MAGIC or version != LAYOUT_VERSION:
        raise ValueError(f"not a tagscape points body: {magic!r} version {version}")
    meta = json.loads(body[HEADER.size : HEADER.size + header_length])
    arrays = {a["name"]: np.frombuffer(body, dtype=np.dtype(a["dtype"]).newbyteorder("<"), count=a["count"], offset=a["offset"]) for a in meta.pop("arrays")}
    return Points(meta, arrays)


class Generations:
    """A counter per client: a new request of a client cancels that client's older one.

    At most ``max_clients`` clients are remembered; beyond that the least recently seen one is
    forgotten (one at a time: clearing them all would cancel every request in flight), and a
    forgotten client's request is never cancelled by it.
    """

    def __init__(self, max_clients: int = 10_000):
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._current: OrderedDict[str, int] = OrderedDict()

    def start(self, client: str | None):
        """A ``cancel()`` callable that turns True once the same client asks again."""
        if not client:
            return None
        with self._lock:
            mine = self._current.get(client, 0) + 1
            self._current[client] = mine
            self._current.move_to_end(client)
            while len(self._current) > self.max_clients:
                self._current.popitem(last=False)

        def cancel() -> bool:
            current = self._current.get(client)
            return current is not None and current != mine

        return cancel


def _resolve_tag(spec, tag: str) -> int:
    tags = spec.tags
    if not tags:
        raise UsageError(f"model {spec.model_id} has no taggrams, so no tag activations to colour by")
    if tag not in tags:
        raise UsageError(f"unknown tag {tag!r} for {spec.model_id}; tags: {', '.join(tags)}")
    return tags.index(tag)


def compute_points(collection, table: TrackTable, req: PointsRequest, *, cancel=None, preview: int | None = None) -> Points:
    """Select tracks, project them, and lay the points out for the browser.

    ``preview``: only that many of the points (see :meth:`Points.preview`). A segments map read
    from the layer or a stored map is sampled before its points are gathered, so the first
    frame of millions of points costs little more than their bounds; other maps are cut."""
    spec = get_model(req.model_id)
    spec.layer(req.layer)
    if req.method not in METHODS:
        raise UsageError(f"unknown projection {req.method!r}; known: {', '.join(METHODS)}")
    if req.model_id not in collection.store.result_models():
        raise NotFoundError(f"no {req.model_id} results in this collection yet; {spec.next_steps()}")
    value_column = _resolve_tag(spec, req.value) if req.value is not None else None
    rank_column = _resolve_tag(spec, req.rank) if req.rank is not None else None
    expressions = req.x_expr is not None or req.y_expr is not None
    if expressions:
        from tagscape.projections.expressions import axes_of, expression_projection

        if req.method != "original":
            raise UsageError(f"x_expr and y_expr are axes of the original projection (projection=original), not of {req.method}")
        axes = {"x": req.x_expr or req.x, "y": req.y_expr or req.y, "x_is_expression": req.x_expr is not None, "y_is_expression": req.y_expr is not None}
        axes_of(model_id=req.model_id, layer=req.layer, **axes)  # a bad expression is a 400 whatever the selection

    positions = select_tracks(collection, table, req.selection)
    selected_ids = table.ids[positions]
    array = collection.layer(req.model_id, req.layer)
    with_results = np.isin(selected_ids, array.track_ids)
    everything = bool(with_results.sum() == len(array.track_ids))
    tracks = None if everything else selected_ids[with_results].tolist()
    if tracks == []:
        return _empty(req, spec, table, len(positions))

    # An on-demand t-SNE runs in one thread: openTSNE's parallel loops crawl when the cores are
    # busy (measured: 20 s instead of 0.1 s for 40 points on a loaded 2-core machine).
    params = {"n_jobs": 1} if req.method == "tsne" else None
    # A request's work is bounded: it never fits a whole-collection t-SNE / UMAP (see project()).
    if expressions:
        projection = expression_projection(collection, model_id=req.model_id, layer=req.layer, tracks=tracks, **axes)
    else:
        sample = preview if req.mode != "averages" else None  # averages: one point per track, cut below
        projection = collection.projection(req.model_id, req.layer, req.method, components=(req.x, req.y), tracks=tracks, cancel=cancel,
                                           params=params, compute_offline=False, sample=sample)
    coords, row_tracks = projection.coords, projection.track_ids
    whole = projection.whole

    # Each point's track as an index into this answer's track table (points come track by track).
    if whole is None:
        starts = np.flatnonzero(np.r_[True, row_tracks[1:] != row_tracks[:-1]]) if len(row_tracks) else np.zeros(0, np.int64)
        track_ids = row_tracks[starts]
        counts = np.diff(np.r_[starts, len(row_tracks)])
        point_track = np.repeat(np.arange(len(track_ids), dtype=np.uint32), counts)
    else:  # a sample: the table is the whole map's, each point's track found in it
        track_ids, counts = whole.track_ids, whole.counts
        order = np.argsort(track_ids, kind="stable")
        point_track = order[np.searchsorted(track_ids, row_tracks, sorter=order)].astype(np.uint32)

    block = None
    if value_column is not None or rank_column is not None:
        taggrams = collection.layer(req.model_id, "taggrams")
        rows = np.arange(taggrams.values.shape[0]) if tracks is None else taggrams.rows_for(tracks)[0]
        if len(rows) != (len(row_tracks) if whole is None else whole.n_points):
            raise NotFoundError(f"the taggrams of {req.model_id} do not match its {req.layer}; run: tagscape extract -m {req.model_id}")
        if whole is not None:
            rows = rows[whole.positions]
        block = np.asarray(taggrams.values[rows], np.float32) if len(rows) else np.zeros((0, len(spec.tags)), np.float32)

    arrays: dict[str, np.ndarray]
    if req.mode == "averages":
        if len(row_tracks):
            average_ids, means, spread = projection.track_averages()  # sorted by track id
            order = np.searchsorted(average_ids, track_ids)
            means, spread = means[order], spread[order]
        else:
            means, spread = np.zeros((0, 2), np.float32), np.zeros(0, np.float32)
        arrays = {
            "x": means[:, 0].astype(np.float32),
            "y": means[:, 1].astype(np.float32),
            "track": np.arange(len(track_ids), dtype=np.uint32),
            "segment": np.zeros(len(track_ids), np.uint32),
            "spread": spread.astype(np.float32),
        }
        if block is not None:  # a track's activations: the mean over its segments
            block = (np.add.reduceat(block, starts, axis=0) / counts[:, None]).astype(np.float32) if len(starts) else block[:0]
    else:
        arrays = {
            "x": np.ascontiguousarray(coords[:, 0]),
            "y": np.ascontiguousarray(coords[:, 1]),
            "track": point_track,
            "segment": projection.segment_index.astype(np.uint32),
        }
    if value_column is not None:
        arrays["value"] = np.ascontiguousarray(block[:, value_column], np.float32)
    if rank_column is not None:
        ranks = (block > block[:, rank_column : rank_column + 1]).sum(axis=1)
        arrays["rank"] = np.minimum(ranks, 255).astype(np.uint8)

    columns = table.columns(track_ids)
    meta = {
        "model": req.model_id,
        "layer": req.layer,
        "projection": req.method,
        "mode": req.mode,
        "axes": [req.x, req.y],
        "axis_labels": list(projection.axis_labels),
        "axis_expressions": [req.x_expr, req.y_expr] if expressions else None,
        # r and rho of the two axes over the points drawn, as /api/correlations gives them for two tags
        "correlation": _correlation(arrays["x"], arrays["y"]) if expressions else None,
        "explained_variance": projection.explained_variance,
        "source": projection.source,
        "segment_seconds": spec.segment_seconds,
        "value": {"tag": req.value, "model": req.model_id} if req.value is not None else None,
        "rank": {"tag": req.rank, "model": req.model_id} if req.rank is not None else None,
        "n_points": int(len(arrays["x"])),
        "n_tracks": int(len(track_ids)),
        "n_segments": int(len(row_tracks) if whole is None else whole.n_points),
        "tracks_selected": int(len(positions)),
        "tracks_total": len(table),
        "bounds": bounds_of(arrays["x"], arrays["y"]) if whole is None else whole.bounds,
        "tracks": {
            "track_id": track_ids.tolist(),
            **columns,
            "n_segments": counts.tolist(),
        },
    }
    if whole is not None:
        meta["preview"] = {"n": int(len(arrays["x"])), "of": whole.n_points}
        return Points(meta, arrays)
    result = Points(meta, arrays)
    return result.preview(preview) if preview is not None else result


def _empty(req: PointsRequest, spec, table: TrackTable, n_selected: int) -> Points:
    arrays = {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32), "track": np.zeros(0, np.uint32), "segment": np.zeros(0, np.uint32)}
    meta = {
        "model": req.model_id, "layer": req.layer, "projection": req.method, "mode": req.mode, "axes": [req.x, req.y],
        "axis_labels": [str(req.x), str(req.y)], "explained_variance": None, "source": "empty", "segment_seconds": spec.segment_seconds,
        "value": None, "rank": None, "n_points": 0, "n_tracks": 0, "n_segments": 0, "tracks_selected": n_selected, "tracks_total": len(table),
        "bounds": None, "tracks": {name: [] for name in ("track_id", "title", "artist", "album", "genre", "duration", "n_segments")},
    }
    return Points(meta, arrays)


def _correlation(x: np.ndarray, y: np.ndarray) -> dict:
    """Pearson's r and Spearman's rho of the axes over the points where both are defined (None: undefined)."""
    from tagscape.analysis.correlation import pearson, spearman

    finite = np.isfinite(x) & np.isfinite(y)
    r, rho = pearson(x[finite], y[finite]), spearman(x[finite], y[finite])
    return {"n": int(finite.sum()), "pearson": None if r is None else round(r, 6), "spearman": None if rho is None else round(rho, 6)}


