"""Every setting of tagscape outside its command-line options, in one table.

Two kinds: **environment variables** (read by the CLI, the server and the Python API alike) and
**server configuration** keys (Flask's ``app.config``, set by ``tagscape serve`` from its options
or by a caller of :func:`tagscape.web.create_app`). The documentation's settings reference is
generated from :data:`SETTINGS`, and a test scans the code for every ``os.environ`` read and every
``TAGSCAPE_*`` configuration key and fails when one is missing here.

Command-line options are documented by their commands (``tagscape COMMAND --help``) and request
parameters by the OpenAPI document (``/api/openapi.json``); neither is repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass

ENVIRONMENT = "environment"
SERVER = "server"


@dataclass(frozen=True)
class Setting:
    """One setting: its ``name``, ``kind`` (environment or server), ``default`` in words, and ``help``."""

    name: str
    kind: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TAGSCAPE_MUSICNN_WEIGHTS", ENVIRONMENT, "the installed musicnn 0.1.0 wheel's folder",
            "A folder holding the musicnn checkpoints (`MSD_musicnn/`, `MTT_musicnn/`, `MSD_vgg/`, `MTT_vgg/`) "
            "to read instead of the installed `musicnn` package."),
    Setting("TAGSCAPE_WEIGHTS_DIR", ENVIRONMENT, "`$XDG_DATA_HOME/tagscape/weights`",
            "Where `tagscape models add` keeps the weights it checked (VGGish), one folder per model."),
    Setting("TAGSCAPE_CACHE", ENVIRONMENT, "`$XDG_CACHE_HOME/tagscape`",
            "Where the converted ONNX graphs are cached (under `models/`); safe to delete, they are rebuilt."),
    Setting("XDG_CACHE_HOME", ENVIRONMENT, "`~/.cache`",
            "The user's cache folder: converted graphs (unless `TAGSCAPE_CACHE`), the demo's downloads "
            "(`tagscape/demo/`) and the caches of a read-only server (`tagscape/read-only/`)."),
    Setting("XDG_DATA_HOME", ENVIRONMENT, "`~/.local/share`",
            "The user's data folder: added weights go to `tagscape/weights/` there unless `TAGSCAPE_WEIGHTS_DIR`."),
    Setting("XDG_CONFIG_HOME", ENVIRONMENT, "`~/.config`",
            "The user's configuration folder: `tagscape/maps.key` signs the fitted maps this user wrote, so that "
            "maps from someone else's data folder are never unpickled."),
    Setting("TAGSCAPE_ALLOWED_HOSTS", SERVER, "`localhost`, `127.0.0.1`, `[::1]`",
            "The `Host` names the server answers to (`*`: any; `.example.org`: the domain and its subdomains). "
            "`tagscape serve` sets it from `--host` and `--allowed-host`."),
    Setting("TAGSCAPE_WARM_UP", SERVER, "on, except in tests",
            "Compile UMAP's numba code in a background thread at start, so that no request waits for it "
            "(`tagscape serve --no-warm-up` turns it off)."),
    Setting("TAGSCAPE_RESPONSE_CACHE_BYTES", SERVER, "128 MiB (`tagscape.web.cache.DEFAULT_MAX_BYTES`)",
            "The most bytes of compressed `/api/points` answers each server process keeps."),
    Setting("TAGSCAPE_PLACE_MAX_BYTES", SERVER, "100 MiB (`tagscape.place.PlaceLimits`)",
            "The largest audio file `POST /api/place` takes; a larger one is a 413."),
    Setting("TAGSCAPE_PLACE_MAX_SECONDS", SERVER, "20 minutes (`tagscape.place.PlaceLimits`)",
            "The longest audio file `POST /api/place` analyses."),
    Setting("TAGSCAPE_PLACE_KEEP", SERVER, "16 (`tagscape.place.PlaceLimits`)",
            "How many placed files (with their audio) the server keeps to replay; older ones are forgotten."),
    Setting("TAGSCAPE_PLAYLIST_PATHS", SERVER, "on",
            "Whether `/api/playlist.m3u` may list the collection's files by their paths on the server's disk "
            "(`paths=absolute` or `relative`). Turn it off where people who should not learn the server's folders reach it."),
    Setting("TAGSCAPE_READ_ONLY", SERVER, "set by the app",
            "Whether the app's collection was opened read-only (`tagscape serve --read-only`); read it, do not set it: "
            "pass `read_only=True` to `create_app`."),
)
