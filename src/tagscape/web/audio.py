"""Audio for the browser: local files with HTTP Range, or a redirect to the track's URL."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, redirect, send_file

from tagscape.errors import NotFoundError
from tagscape.web import get_collection

bp = Blueprint("audio", __name__, url_prefix="/audio")

mimetypes.add_type("audio/flac", ".flac")
mimetypes.add_type("audio/ogg", ".ogg")
mimetypes.add_type("audio/ogg", ".opus")
mimetypes.add_type("audio/mp4", ".m4a")


@bp.get("/<int:track_id>")
def track_audio(track_id: int):
    collection = get_collection()
    track = collection.track(track_id)
    source = collection.audio_source(track)
    if track.get("url"):
        return redirect(source)
    path = Path(source)
    if not path.is_file():
        raise NotFoundError(f"the audio file of track {track_id} is gone: {track['key']}")
    return send_file(path, conditional=True, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
