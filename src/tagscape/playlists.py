"""Where a playlist points: at this server's audio URLs, or at the collection's own files (their
absolute paths, or paths relative to a folder the user names), as MTG's music-explore offered.

Only the collection's own tracks get a path, checked as audio is (inside the audio folder, a
regular file: :meth:`tagscape.collection.Collection.local_audio_path`); the folder named for
relative paths is never opened, only compared as text.
"""

from __future__ import annotations

import os
import re

from tagscape.errors import NotFoundError, UsageError

#: ``url``: this server's audio URLs (or a remote track's URL); ``absolute``: the files' absolute
#: paths; ``relative``: their paths relative to a folder.
PATH_STYLES = ("url", "absolute", "relative")
#: Characters a playlist line cannot hold (a newline ends the line; other control characters
#: confuse players): such a path is left for the track's URL.
_UNWRITABLE = re.compile(r"[\x00-\x1f\x7f]")
MAX_BASE = 4096


def check_base(*, style: str, base: str | None) -> str | None:
    """The folder of ``relative`` paths, normalised; None for the other styles.

    Raises UsageError for an unknown style, a missing, relative, overlong or control-character
    base, or a base given with another style.
    """
    if style not in PATH_STYLES:
        raise UsageError(f"paths must be one of {', '.join(PATH_STYLES)}, got {style[:40]!r}")
    if style != "relative":
        if base:
            raise UsageError(f"a base folder is for paths=relative, not paths={style}")
        return None
    if not base:
        raise UsageError("paths=relative needs base: the folder the playlist's paths start from (an absolute path)")
    if len(base) > MAX_BASE or _UNWRITABLE.search(base):
        raise UsageError("base must be an absolute folder path of at most 4096 printable characters")
    if not os.path.isabs(base):
        raise UsageError(f"base must be an absolute folder path (such as /home/me/Music), got {base[:80]!r}")
    return os.path.normpath(base)


def local_location(collection, track: dict, *, style: str, base: str | None) -> str | None:
    """The playlist line of a track's own file in ``style`` (``absolute`` or ``relative`` to
    ``base``), or None where it has none to give (a remote or missing file, an unwritable name, a
    folder on another drive): the caller writes its URL instead.
    """
    if style == "url" or collection.audio_root is None or not track.get("path"):
        return None
    try:
        collection.local_audio_path(track)  # inside the collection and a regular file, now
    except NotFoundError:
        return None
    # The path as the collection names it (its links not resolved): what the user sees in a file manager.
    path = os.path.normpath(os.path.join(os.path.abspath(collection.audio_root), track["path"]))
    if style == "relative":
        try:
            path = os.path.relpath(path, base)
        except ValueError:  # another drive (Windows): no relative path exists
            return None
        if path.startswith("#"):  # a line starting with # is a comment in M3U
            path = f".{os.sep}{path}"
    if _UNWRITABLE.search(path):
        return None
    return path
