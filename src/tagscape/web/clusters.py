"""``GET /api/clusters``: the clusters of one map and their names (see :mod:`tagscape.analysis.clusters`).

The map is named by the same parameters as ``/api/points`` (read by :func:`tagscape.web.api.map_request`),
so ``labels[i]`` is the cluster of the i-th point of that map's answer. Answers are cached and
revalidated like the points (``ETag``, ``If-None-Match``).
"""

from __future__ import annotations

import time

import numpy as np
from flask import Blueprint, current_app, jsonify

from tagscape.analysis.clusters import PARAMETERS, map_clusters
from tagscape.projections.maps import MapStore
from tagscape.web import get_collection
from tagscape.web.api import map_request, tables
from tagscape.web.cache import cached, validator
from tagscape.web.params import choice_arg, float_arg, int_arg, str_arg
from tagscape.web.points import compute_points

bp = Blueprint("clusters", __name__, url_prefix="/api")


def cluster_args() -> dict:
    """The clustering settings of the request, each checked against its row of PARAMETERS."""
    out = {}
    for p in PARAMETERS:
        if p.choices:
            out[p.name] = choice_arg(p.name, p.choices, p.default)
        elif p.kind is int:
            out[p.name] = int_arg(p.name, p.default, minimum=int(p.minimum), maximum=int(p.maximum))
        else:
            out[p.name] = float_arg(p.name, p.default, minimum=p.minimum, maximum=p.maximum)
    return out


def map_points(collection, req, *, cancel=None):
    """The points of the map ``req`` names: ``(points, coords (n, 2), each point's track id, segment)``."""
    result = compute_points(collection, tables(), req, cancel=cancel)
    track_ids = np.asarray(result.meta["tracks"]["track_id"], np.int64)
    coords = np.column_stack([result.arrays["x"], result.arrays["y"]]).astype(np.float32)
    return result, coords, track_ids[result.arrays["track"]] if len(track_ids) else np.zeros(0, np.int64), result.arrays["segment"].astype(np.int64)


@bp.get("/clusters")
def clusters():
    """Clusters of the map's points (HDBSCAN), each named by the tags most over-represented in it."""
    started = time.perf_counter()
    collection = get_collection()
    req = map_request()
    options = cluster_args()
    cancel = current_app.extensions["tagscape.generations"].start(str_arg("client", max_length=100))
    table = tables()

    def tag() -> str:
        return validator(str(collection.data_dir), collection.stamp(), MapStore(collection).stamp(), ignore=("client",))

    def render():
        points, coords, point_tracks, point_segments = map_points(collection, req, cancel=cancel)
        result = map_clusters(collection, model_id=req.model_id, layer=req.layer, coords=coords, point_tracks=point_tracks,
                              point_segments=point_segments, averages=req.mode == "averages", table=table, cancel=cancel, **options)
        body = {"model": req.model_id, "layer": req.layer, "projection": req.method, "mode": req.mode, "axes": [req.x, req.y], **result.to_json()}
        body["server_seconds"] = round(time.perf_counter() - started, 4)
        return jsonify(body)

    return cached(tag, render)
