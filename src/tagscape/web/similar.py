"""``GET /api/similar``: the K segments or tracks most similar to a segment or a track."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from tagscape.errors import UsageError
from tagscape.models.registry import get_model
from tagscape.similarity.index import EXACT_LIMIT, LEVELS, MAX_K, SimilarityStore
from tagscape.web import get_collection
from tagscape.web.params import choice_arg, int_arg, required_arg, str_arg

bp = Blueprint("similar", __name__, url_prefix="/api")

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise UsageError(f"parameter {name!r} must be true or false (1 or 0), got {raw[:80]!r}")


def _track_fields(track: dict) -> dict:
    return {"title": track.get("title") or track.get("key"), "artist": track.get("artist"), "album": track.get("album"),
            "genre": track.get("genre"), "duration": track.get("duration")}


@bp.get("/similar")
def similar():
    """The nearest segments or tracks (cosine of a layer, embeddings by default), best first."""
    collection = get_collection()
    model_id = required_arg("model")
    spec = get_model(model_id)
    layer = str_arg("layer", "embeddings")
    spec.layer(layer)
    track_id = int_arg("track", None)
    if track_id is None:
        raise UsageError("parameter 'track' is required")
    segment = int_arg("segment", None)
    store = SimilarityStore(collection, exact_limit=current_app.config.get("SIMILARITY_EXACT_LIMIT", EXACT_LIMIT))
    result = store.similar(
        model_id, layer, track_id, segment,
        k=int_arg("k", 10, minimum=1, maximum=MAX_K),
        level=choice_arg("level", LEVELS, "segment"),
        exclude_track=bool_arg("exclude_track", True),
        exclude_artist=bool_arg("exclude_artist", False),
    )
    seconds = spec.segment_seconds
    tracks = {}

    def track(tid: int) -> dict:
        if tid not in tracks:
            tracks[tid] = collection.track(tid)
        return tracks[tid]

    def described(tid: int, index: int | None) -> dict:
        info = track(tid)
        if index is None:
            return {"track_id": tid, "segment": None, "start": 0.0, "end": info.get("duration"), **_track_fields(info)}
        start = index * seconds
        return {"track_id": tid, "segment": index, "start": round(start, 6), "end": round(start + seconds, 6), **_track_fields(info)}

    return jsonify({
        "model": model_id, "layer": layer, "level": result.level, "k": result.k,
        "method": result.method, "index": result.index, "segment_seconds": seconds,
        "excluded": {"track": result.level == "track" or bool_arg("exclude_track", True), "artist": bool_arg("exclude_artist", False), "tracks": result.excluded_tracks},
        "query": described(track_id, segment),
        "results": [{"rank": rank, "similarity": item.similarity, **described(item.track_id, item.segment)} for rank, item in enumerate(result.items, 1)],
        "server_seconds": round(result.seconds, 4),
    })
