"""``GET /api/path``: the smoothest path between two tracks or segments (see :mod:`tagscape.paths`),
as JSON, CSV or an M3U playlist of this server's audio URLs (segment clips at the segment level)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from tagscape.errors import UsageError
from tagscape.models.registry import get_model
from tagscape.paths import LEVELS, MAX_PATH_ITEMS, path_between
from tagscape.web import get_collection
from tagscape.web.audio import remote_url
from tagscape.web.cache import Memo
from tagscape.web.params import choice_arg, int_arg, required_arg, str_arg
from tagscape.web.similar import bool_arg

bp = Blueprint("paths", __name__, url_prefix="/api")
FORMATS = ("json", "csv", "m3u")


def init_app(app: Flask) -> None:
    # The neighbour graphs of the last layers asked for (about 2 * k * n edges each).
    app.extensions["tagscape.path_graphs"] = Memo(size=2)
    app.register_blueprint(bp)


@bp.get("/path")
def path():
    """The smoothest path of ``n`` items from one track (or segment) to another."""
    collection = get_collection()
    model_id = required_arg("model")
    spec = get_model(model_id)
    level = choice_arg("level", LEVELS, "track")
    result = path_between(
        collection, model_id, str_arg("layer", "taggrams" if spec.tags else "embeddings"),
        start_track=_required_int("from"), end_track=_required_int("to"),
        start_segment=int_arg("from_segment", None), end_segment=int_arg("to_segment", None),
        n=int_arg("n", 10, minimum=2, maximum=MAX_PATH_ITEMS), level=level,
        distinct_artists=bool_arg("distinct_artists", False), graphs=current_app.extensions["tagscape.path_graphs"],
    )
    fmt = choice_arg("format", FORMATS, "json")
    if fmt == "json":
        return jsonify(result.to_json())
    if fmt == "csv":
        response = Response(result.to_csv(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="tagscape-path.csv"'
        return response

    def location(item: dict) -> str:
        track = collection.track(item["track_id"])
        if item["segment"] is None:
            return remote_url(track) or f"{request.host_url}api/audio/{item['track_id']}"
        return f"{request.host_url}api/audio/{item['track_id']}?start={item['start']:g}&end={item['end']:g}"

    response = Response(result.to_m3u(location), mimetype="audio/x-mpegurl")
    response.headers["Content-Disposition"] = 'attachment; filename="tagscape-path.m3u"'
    return response


def _required_int(name: str) -> int:
    value = int_arg(name, None)
    if value is None:
        raise UsageError(f"parameter {name!r} is required (a track id)")
    return value
