"""``/api/audio/<track_id>``: a track's audio by id, never by a path the client gives.

* whole track: the file with HTTP Range (206 for partial requests); files browsers cannot play
  (AIFF, WMA, APE ...) are transcoded to FLAC on first use and cached;
* ``?start=&end=`` (seconds): just that stretch, decoded and sent as a 16-bit WAV clip - what a
  segment point plays;
* remote tracks (MTG-Jamendo URLs): a redirect to the track's URL (with a ``#t=start,end``
  media fragment for a clip).
"""

from __future__ import annotations

import mimetypes
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, Response, redirect, send_file

from tagscape.audio.clips import MAX_CLIP_SECONDS, browser_can_play, clip_wav, transcoded
from tagscape.errors import AudioError, NotFoundError, UsageError
from tagscape.web import get_collection
from tagscape.web.params import float_arg

bp = Blueprint("audio", __name__, url_prefix="/api/audio")

#: The latest a clip may start or end: a week, far beyond any track (a larger seek overflows
#: FFmpeg's timestamps when the track's duration is unknown).
MAX_SECONDS = 7 * 24 * 3600.0

mimetypes.add_type("audio/flac", ".flac")
mimetypes.add_type("audio/ogg", ".ogg")
mimetypes.add_type("audio/ogg", ".oga")
mimetypes.add_type("audio/ogg", ".opus")
mimetypes.add_type("audio/mp4", ".m4a")
mimetypes.add_type("audio/aac", ".aac")
mimetypes.add_type("audio/wav", ".wav")
mimetypes.add_type("audio/wav", ".wave")
mimetypes.add_type("audio/webm", ".webm")


def local_file(collection, track: dict) -> Path:
    """The track's file, checked at every request (see :meth:`Collection.local_audio_path`):
    a file swapped for a link out of the folder after indexing is not served."""
    return collection.local_audio_path(track)


def remote_url(track: dict) -> str | None:
    """The track's remote URL when it may go into a ``Location`` header or a playlist line:
    http(s), without control characters or line separators (else ``None``)."""
    url = track.get("url")
    if not url or not url.lower().startswith(("https://", "http://")):
        return None
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in url):
        return None
    return url


def clip_range() -> tuple[float, float] | None:
    start = float_arg("start", None, minimum=0.0, maximum=MAX_SECONDS)
    end = float_arg("end", None, minimum=0.0, maximum=MAX_SECONDS)
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise UsageError("give both 'start' and 'end' (seconds) for a clip, or neither for the whole track")
    if end <= start:
        raise UsageError(f"'end' ({end}) must be after 'start' ({start})")
    if end - start > MAX_CLIP_SECONDS:
        raise UsageError(f"a clip is at most {MAX_CLIP_SECONDS:g} s long, asked for {end - start:g} s")
    return start, end


@bp.get("/<int:track_id>")
def track_audio(track_id: int):
    collection = get_collection()
    track = collection.track(track_id)
    span = clip_range()
    if track.get("url"):
        url = remote_url(track)
        if url is None:
            raise NotFoundError(f"track {track_id} has no usable remote URL")
        return redirect(url + (f"#t={span[0]:g},{span[1]:g}" if span else ""))
    path = local_file(collection, track)
    if span is not None:
        duration = track.get("duration")
        if duration is not None and span[0] >= duration:
            raise UsageError(f"'start' ({span[0]:g}) is past the end of track {track_id} ({duration:.2f} s)")
        with _named(track_id):
            clip = clip_wav(path, start=span[0], end=span[1])
        response = Response(clip, mimetype="audio/wav")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response
    if not browser_can_play(path):
        key = f"{track_id}-{(track.get('content_hash') or 'x')[:16]}"
        with _named(track_id):
            path = transcoded(path, cache_dir=collection.cache_dir / "audio", key=key)
    return send_file(path, conditional=True, mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


@contextmanager
def _named(track_id: int):
    """Audio errors name the track, never the file's absolute path (nor FFmpeg's words, which quote it)."""
    try:
        yield
    except AudioError as exc:
        raise AudioError(f"track {track_id}", exc.reason.replace(exc.path, "its file")) from None
