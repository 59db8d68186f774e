"""How far a map can be trusted (see :mod:`tagscape.analysis.trust`), for the explorer:

- ``GET /api/trust``: the map's trustworthiness, k-NN kept and hubness (for its title);
- ``GET /api/preservation``: each point's neighbourhood preservation (a colour mode);
- ``GET /api/neighbours``: one point's true nearest neighbours in the layer beside its nearest on
  the map, as indices into the map's points (rings on hover).

Each takes the parameters that name a map, as ``/api/points`` (:func:`tagscape.web.api.map_request`);
point indices and per-point values are in that answer's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import Blueprint, current_app, jsonify

from tagscape.analysis.clusters import point_rows, point_values
from tagscape.analysis.trust import MAX_K, PRESERVATION_LIMIT, map_trust, preservation
from tagscape.errors import NotFoundError, UsageError
from tagscape.models.registry import get_model
from tagscape.projections.maps import MapStore
from tagscape.similarity.index import SimilarityStore
from tagscape.similarity.search import exact_search, normalise
from tagscape.web import get_collection
from tagscape.web.api import map_request
from tagscape.web.cache import Memo, cached, validator
from tagscape.web.clusters import map_points
from tagscape.web.params import int_arg

bp = Blueprint("trust", __name__, url_prefix="/api")

#: Points whose map's trust figures are computed on a sample of this many (sklearn's
#: trustworthiness is quadratic: 2,000 points take about 0.3 s).
TRUST_SAMPLE = 2_000
#: Maps of at most this many points keep their unit vectors (float16) for neighbour queries:
#: 200k x 200 is 80 MB; larger maps of the whole layer ask the similarity index.
NEIGHBOURS_IN_MEMORY = 200_000
#: Parameters that do not change the map (only what is asked of it).
NOT_THE_MAP = ("client", "track", "segment", "k")


def _k() -> int:
    return int_arg("k", 10, minimum=1, maximum=MAX_K)


def _map_state(collection) -> tuple:
    return (str(collection.data_dir), collection.stamp(), MapStore(collection).stamp())


@bp.get("/trust")
def trust():
    """The map's trustworthiness, 10-NN kept and hubness, on a seeded sample of its points."""
    collection = get_collection()
    req = map_request()
    k = _k()

    def render():
        _, coords, point_tracks, point_segments = map_points(collection, req)
        rows = np.arange(len(coords))
        if len(rows) > TRUST_SAMPLE:  # read only the sampled points' vectors (a map may hold 4.5 M)
            rows = np.sort(np.random.default_rng(0).choice(len(rows), size=TRUST_SAMPLE, replace=False))
        high = point_values(collection, req.model_id, req.layer, point_tracks=point_tracks[rows], point_segments=point_segments[rows],
                            own_seconds=get_model(req.model_id).segment_seconds, averages=req.mode == "averages")
        body = {"model": req.model_id, "layer": req.layer, "projection": req.method, "mode": req.mode, "n_points": int(len(coords))}
        if len(rows) < 4:
            return jsonify({**body, "k": k, "sample": int(len(rows)), "trustworthiness": None, "knn_kept": None, "hubness_layer": None, "hubness_map": None})
        figures = map_trust(high=np.nan_to_num(high), low=coords[rows], k=k, sample=len(rows))
        figures["n_points"] = int(len(coords))
        return jsonify({**body, **{name: (None if isinstance(v, float) and not np.isfinite(v) else (round(v, 4) if isinstance(v, float) else v))
                                   for name, v in figures.items()}})

    return cached(lambda: validator(*_map_state(collection), ignore=("client",)), render)


@bp.get("/preservation")
def point_preservation():
    """Each point's neighbourhood preservation: the share of its k layer neighbours among its k map neighbours."""
    collection = get_collection()
    req = map_request()
    k = _k()

    def render():
        _, coords, point_tracks, point_segments = map_points(collection, req)
        if len(coords) > PRESERVATION_LIMIT:
            raise UsageError(f"neighbourhood preservation is computed for at most {PRESERVATION_LIMIT:,} points, and this map has "
                             f"{len(coords):,}: choose fewer tracks (limit=...) or the averages mode")
        high = point_values(collection, req.model_id, req.layer, point_tracks=point_tracks, point_segments=point_segments,
                            own_seconds=get_model(req.model_id).segment_seconds, averages=req.mode == "averages")
        values = preservation(high=np.nan_to_num(high), low=coords, k=k) if len(coords) > 1 else np.zeros(len(coords), np.float32)
        kept = min(k, max(len(coords) - 1, 0))
        return jsonify({"model": req.model_id, "layer": req.layer, "projection": req.method, "mode": req.mode, "k": kept, "n_points": int(len(coords)),
                        "mean": round(float(values.mean()), 4) if len(values) else None, "preservation": values.round(4).tolist()})

    return cached(lambda: validator(*_map_state(collection), ignore=("client",)), render)


# -- one point's neighbours -------------------------------------------------------------------


@dataclass
class _Map:
    """What neighbour queries on one map need, kept between hovers."""

    coords: np.ndarray
    point_tracks: np.ndarray
    point_segments: np.ndarray
    layer_rows: np.ndarray | None  # each point's row in the layer (segments modes)
    array: object = None  # the layer (LayerArray) of a map of every row of it, in order: a point is its row
    _tree: object = None
    _unit: np.ndarray | None = None

    @property
    def whole_layer(self) -> bool:
        """The map's points are every row of the layer, in order."""
        return self.array is not None

    def tree(self):
        from scipy.spatial import cKDTree

        if self._tree is None:
            # Unbalanced, uncompacted: built in 1.1 s instead of 2.9 s for 4.5 M points, and
            # queried as fast (0.02 ms for 11 neighbours); the neighbours are exact either way.
            self._tree = cKDTree(self.coords, balanced_tree=False, compact_nodes=False)
        return self._tree


def _maps() -> Memo:
    return current_app.extensions.setdefault("tagscape.trust_maps", Memo(size=2))


def _load_map(collection, req) -> _Map:
    _, coords, point_tracks, point_segments = map_points(collection, req)
    rows = None
    whole = False
    array = None
    if req.mode != "averages":
        array = collection.layer(req.model_id, req.layer)
        seconds = get_model(req.model_id).segment_seconds
        rows = point_rows(array, point_tracks=point_tracks, point_segments=point_segments, segment_seconds=seconds, own_seconds=seconds)
        whole = len(rows) == array.values.shape[0] and bool((rows == np.arange(len(rows))).all())
    return _Map(coords, point_tracks, point_segments, rows, array if whole else None)


def _find_point(entry: _Map, *, track_id: int, segment: int, averages: bool) -> int | None:
    """The point's index: its layer row on a whole-layer map (no scan of millions of points), else a search."""
    if entry.whole_layer:
        position = entry.array.position(track_id)
        if position is None or not 0 <= segment < int(entry.array.offsets[position + 1] - entry.array.offsets[position]):
            return None
        return int(entry.array.offsets[position]) + segment
    found = np.flatnonzero(entry.point_tracks == track_id) if averages else np.flatnonzero((entry.point_tracks == track_id) & (entry.point_segments == segment))
    return int(found[0]) if len(found) else None


def _unit_vectors(collection, req, entry: _Map) -> np.ndarray:
    if entry._unit is None:
        values = point_values(collection, req.model_id, req.layer, point_tracks=entry.point_tracks, point_segments=entry.point_segments,
                              own_seconds=get_model(req.model_id).segment_seconds, averages=req.mode == "averages")
        entry._unit = normalise(np.nan_to_num(values)).astype(np.float16)
    return entry._unit


@bp.get("/neighbours")
def neighbours():
    """A point's k nearest neighbours in the layer (cosine) and on the map, as indices into the map's points."""
    collection = get_collection()
    req = map_request()
    k = _k()
    track_id = int_arg("track", None)
    if track_id is None:
        raise UsageError("parameter 'track' is required (the point's track id)")
    averages = req.mode == "averages"
    segment = 0 if averages else int_arg("segment", None)
    if segment is None:
        raise UsageError("parameter 'segment' is required (the point's segment index within its track), except in averages mode")
    key = validator(*_map_state(collection), ignore=NOT_THE_MAP)
    entry: _Map = _maps().get(key, lambda: _load_map(collection, req))
    point = _find_point(entry, track_id=track_id, segment=segment, averages=averages)
    if point is None:
        what = f"track {track_id}" if averages else f"segment {segment} of track {track_id}"
        raise NotFoundError(f"{what} is not a point of this map")
    n = len(entry.coords)
    kk = min(k, n - 1)

    distance, near = entry.tree().query(entry.coords[point], k=min(kk + 1, n)) if kk else (np.zeros(0), np.zeros(0, np.int64))
    on_map = [(int(j), float(d)) for d, j in zip(np.atleast_1d(distance), np.atleast_1d(near), strict=True) if int(j) != point][:kk]

    method = "exact"
    if entry.whole_layer and n > NEIGHBOURS_IN_MEMORY:
        # every row of a large layer: the similarity search (its HNSW index when built)
        result = SimilarityStore(collection).similar(req.model_id, req.layer, track_id, segment, k=kk, exclude_track=False)
        array = entry.array
        rows = np.array([int(array.offsets[array.position(item.track_id)]) + item.segment for item in result.items], np.int64)
        in_layer = list(zip(rows.tolist(), [item.similarity for item in result.items], strict=True))  # rows are point indices here
        method = result.method
    elif n <= NEIGHBOURS_IN_MEMORY:
        unit = _unit_vectors(collection, req, entry)
        hits, sims = exact_search(unit, np.asarray(unit[point], np.float32), kk, excluded=[(point, point + 1)], unit=False) if kk else (np.zeros((1, 0)), np.zeros((1, 0)))
        in_layer = list(zip(hits[0].tolist(), sims[0].tolist(), strict=True))
    else:
        raise UsageError(f"true neighbours are found among at most {NEIGHBOURS_IN_MEMORY:,} points of a selection, and this map has {n:,}: "
                         "choose fewer tracks, or show every track (then the similarity index answers)")
    layer_set = {j for j, _ in in_layer}
    shared = sum(1 for j, _ in on_map if j in layer_set)

    def described(j: int) -> dict:
        return {"point": j, "track_id": int(entry.point_tracks[j]), "segment": None if averages else int(entry.point_segments[j])}

    return jsonify({
        "model": req.model_id, "layer": req.layer, "projection": req.method, "mode": req.mode, "k": kk, "method": method,
        "point": described(point),
        "layer_neighbours": [{**described(j), "similarity": round(float(s), 6)} for j, s in in_layer],
        "map_neighbours": [{**described(j), "distance": round(d, 6)} for j, d in on_map],
        "preserved": round(shared / kk, 4) if kk else None,
    })
