"""``/api/place``: a new audio file (a multipart upload) on the collection's maps, and its audio.

``POST /api/place`` analyses the upload with the models of the maps it names and answers where
its segments land on each, its nearest tracks and a token; ``GET /api/place/<token>/audio``
plays it (whole, or ``?start=&end=`` as a WAV clip, as a track's segment plays), ``GET
/api/place/<token>`` repeats the answer and ``DELETE`` forgets it. Placements are kept a while,
bounded in number and bytes (:class:`tagscape.place.PlaceLimits`), in the collection's cache
(this user's for a read-only server: its data folder is never written).
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import tempfile

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    request,
    send_file,
    url_for,
)

from tagscape.audio.clips import browser_can_play, clip_wav
from tagscape.errors import AudioError, ReadOnlyError, UsageError
from tagscape.place import (
    MAX_MAPS,
    MAX_NEIGHBOURS,
    UPLOAD_PREFIX,
    MapSpec,
    PlaceLimits,
    Placer,
    forget,
    placed_dir,
    placed_entry,
    safe_suffix,
)
from tagscape.projections.maps import METHODS
from tagscape.web import get_collection
from tagscape.web.audio import clip_range
from tagscape.web.params import MAX_TEXT, int_arg, shown, track_ids
from tagscape.web.selection import MAX_IDS
from tagscape.web.similar import bool_arg

bp = Blueprint("place", __name__, url_prefix="/api")

#: Bytes of a multipart body besides the file: its headers and the ``maps`` field.
FORM_OVERHEAD = 256 * 1024
#: The keys a map of ``maps`` may have.
MAP_KEYS = ("model", "layer", "projection", "x", "y", "ids")


def init_app(app: Flask) -> None:
    """One placer per app (its loaded models are reused); limits from the app's settings."""
    defaults = PlaceLimits()
    limits = PlaceLimits(
        max_bytes=int(app.config.get("TAGSCAPE_PLACE_MAX_BYTES", defaults.max_bytes)),
        max_seconds=float(app.config.get("TAGSCAPE_PLACE_MAX_SECONDS", defaults.max_seconds)),
        keep=int(app.config.get("TAGSCAPE_PLACE_KEEP", defaults.keep)),
    )
    app.extensions["tagscape.placer"] = Placer(limits)
    app.register_blueprint(bp)


def _placer() -> Placer:
    return current_app.extensions["tagscape.placer"]


def parse_maps(raw: str | None) -> list[MapSpec]:
    """The ``maps`` field: a JSON list of 1..MAX_MAPS objects ``{model, layer?, projection?, x?, y?, ids?}``."""
    if raw is None or raw == "":
        raise UsageError('the form field \'maps\' is required: a JSON list such as [{"model": "musicnn-msd", "projection": "pca"}]')
    try:
        maps = json.loads(raw)
    except (ValueError, RecursionError):
        raise UsageError(f"the form field 'maps' must be JSON, got {shown(raw)}") from None
    if not isinstance(maps, list) or not 1 <= len(maps) <= MAX_MAPS:
        raise UsageError(f"'maps' must be a list of 1 to {MAX_MAPS} maps")
    specs = []
    for item in maps:
        if not isinstance(item, dict) or not isinstance(item.get("model"), str):
            raise UsageError('each map is an object with at least "model"')
        unknown = sorted(set(item) - set(MAP_KEYS))
        if unknown:
            raise UsageError(f"unknown key {shown(unknown[0])} in a map; keys: {', '.join(MAP_KEYS)}")
        text = {}
        for key in ("model", "layer", "projection", "x", "y"):
            value = item.get(key)
            if value is not None and (not isinstance(value, str) or not value or len(value) > MAX_TEXT):
                raise UsageError(f"a map's {key!r} must be a non-empty string of at most {MAX_TEXT} characters")
            text[key] = value
        projection = text["projection"] or "pca"
        if projection not in METHODS:
            raise UsageError(f"a map's projection must be one of {', '.join(METHODS)}, got {shown(projection)}")
        for key in ("x", "y"):
            if text[key] is not None and text[key].isdigit() and not (text[key].isascii() and text[key].isdecimal()):
                raise UsageError(f"a map's {key!r} must be a dimension index (digits 0-9) or a tag name, got {shown(text[key])}")
        ids = item.get("ids")
        ids = tuple(track_ids("ids", ids, max_count=MAX_IDS)) if ids is not None else None
        specs.append(MapSpec(text["model"], text["layer"], projection, text["x"] or "0", text["y"] or "1", ids))
    return specs


def _display_name(filename: str | None) -> str:
    """The upload's own name, as messages show it: no control characters, at most 200 characters."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", os.path.basename((filename or "").replace("\\", "/"))).strip()
    return name[:200] or "upload"


def _answer(info: dict) -> dict:
    token = info["token"]
    return {**info, "audio_url": url_for("place.placed_audio", token=token), "url": url_for("place.placed", token=token)}


@bp.post("/place")
def place():
    """Analyse an uploaded file with the maps' models and place it on each map."""
    collection = get_collection()
    placer = _placer()
    # Before the body is read: the app's 1 MiB bound is for JSON bodies; an upload may be larger.
    request.max_content_length = placer.limits.max_bytes + FORM_OVERHEAD
    k = int_arg("k", 10, minimum=1, maximum=MAX_NEIGHBOURS)
    add = bool_arg("add", False)
    if add and collection.readonly:
        raise ReadOnlyError("this server is read-only: placed files are not added to its collection")
    upload = request.files.get("file")
    if upload is None:
        raise UsageError("send the audio file as the multipart form field 'file'")
    maps = parse_maps(request.form.get("maps"))
    name = _display_name(upload.filename)
    folder = placed_dir(collection)
    folder.mkdir(parents=True, exist_ok=True)
    # The upload's extension last: FFmpeg takes it as a hint of the format.
    handle, tmp = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=safe_suffix(name), dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            upload.save(out)
        result = placer.place(collection, tmp, maps, name=name, k=k, add=add, keep_audio=True, compute_offline=False)
    finally:
        os.unlink(tmp)
    return jsonify(_answer(result.to_json()))


@bp.get("/place/<token>")
def placed(token: str):
    """A kept placement's answer, as the POST gave it."""
    info, _ = placed_entry(get_collection(), token, max_age=_placer().limits.keep_seconds)
    return jsonify(_answer(info))


@bp.delete("/place/<token>")
def forget_placed(token: str):
    """Forget a placement now (its audio is removed)."""
    forget(get_collection(), token)
    return Response(status=204)


@bp.get("/place/<token>/audio")
def placed_audio(token: str):
    """A placed file's audio: whole (HTTP Range), or ``start``/``end`` as a WAV clip."""
    info, path = placed_entry(get_collection(), token, max_age=_placer().limits.keep_seconds)
    span = clip_range()
    if span is not None:
        if span[0] >= info["duration_seconds"]:
            raise UsageError(f"'start' ({span[0]:g}) is past the end of the file ({info['duration_seconds']:.2f} s)")
        try:
            clip = clip_wav(path, start=span[0], end=span[1])
        except AudioError as exc:  # never the cache's path
            raise AudioError(info["name"], exc.reason.replace(exc.path, "the file")) from None
        return Response(clip, mimetype="audio/wav", headers={"Cache-Control": "private, max-age=3600"})
    if not browser_can_play(path):
        raise UsageError(f"{info['name']}: browsers cannot play this format whole; ask for segments (start and end)")
    return send_file(path, conditional=True, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
