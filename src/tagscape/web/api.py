"""JSON API: models, tracks, a track's layers."""

from __future__ import annotations

import numpy as np
from flask import Blueprint, jsonify, request

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.catalog import model_status
from tagscape.models.registry import get_model
from tagscape.web import get_collection

bp = Blueprint("api", __name__, url_prefix="/api")

TRACK_FIELDS = ("track_id", "key", "title", "artist", "album", "genre", "year", "tracknumber", "duration")


def int_arg(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer query parameter, or a 400 that names it and its bad value."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"parameter {name!r} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise UsageError(f"parameter {name!r} must be between {minimum} and {maximum}, got {value}")
    return value


@bp.get("/models")
def models():
    collection = get_collection()
    done = set(collection.store.result_models())
    return jsonify([{**row, "extracted": row["model_id"] in done} for row in model_status()])


@bp.get("/tracks")
def tracks():
    collection = get_collection()
    offset = int_arg("offset", 0)
    limit = int_arg("limit", 500, minimum=1, maximum=100000)
    rows = collection.tracks()
    return jsonify({"total": len(rows), "tracks": [{name: row[name] for name in TRACK_FIELDS} for row in rows[offset : offset + limit]]})


@bp.get("/tracks/<int:track_id>")
def track(track_id: int):
    return jsonify(get_collection().metadata(track_id))


@bp.get("/tracks/<int:track_id>/top-tags")
def top_tags(track_id: int):
    """Each extracted model's top tags for a track (mean over its segments)."""
    collection = get_collection()
    collection.track(track_id)
    k = int_arg("k", 5, minimum=1, maximum=50)
    out = {}
    for model_id in collection.store.result_models():
        spec = get_model(model_id)
        taggram = collection.store.track_layer(track_id, model_id, "taggrams")
        if taggram is None or spec.tags is None:
            continue
        mean = taggram.astype(np.float32).mean(axis=0)
        order = np.argsort(-mean)[:k]
        out[model_id] = [{"tag": spec.tags[i], "activation": round(float(mean[i]), 4)} for i in order]
    return jsonify(out)


@bp.get("/tracks/<int:track_id>/layers/<model_id>/<layer>")
def track_layer(track_id: int, model_id: str, layer: str):
    """One track's matrix for a model and layer, with segment start times."""
    collection = get_collection()
    spec = get_model(model_id)
    spec.layer(layer)
    values = collection.store.track_layer(track_id, model_id, layer)
    if values is None:
        raise NotFoundError(f"track {track_id} has no {model_id} {layer} yet")
    return jsonify({
        "segment_seconds": spec.segment_seconds,
        "segment_starts": (np.arange(len(values)) * spec.segment_seconds).round(6).tolist(),
        "labels": list(spec.layer(layer).labels or ()),
        "values": values.astype(np.float32).round(5).tolist(),
    })
