"""The web server: a Flask app factory over one collection.

Blueprints: ``api`` (JSON and binary under ``/api/``), ``audio`` (``/api/audio/``: files
with HTTP Range, segment clips), ``pages`` (the explorer), ``openapi`` (``/api/openapi.json``).
Every error under ``/api/`` and ``/static/`` is a JSON body ``{"error": ..., "message": ...}``;
none shows a traceback.

Hardening at the edge: ids in paths are bounded to SQLite's 64-bit integers (:class:`Int64Converter`),
request bodies to ``MAX_CONTENT_LENGTH``, and the ``Host`` header to the names the server was bound
to (:func:`allowed_hosts`), so that a web page whose DNS name is rebound to 127.0.0.1 cannot read
the API from the user's browser.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time

from flask import Flask, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound
from werkzeug.routing import BaseConverter, ValidationError

from tagscape.collection import Collection, open_collection
from tagscape.errors import TagscapeError

#: Pages may run only our own scripts (regl compiles its shaders with Function(), hence
#: 'unsafe-eval'); audio may come from remote track URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)
#: The largest request body (the playlist POST's ids); a larger one is a 413.
MAX_CONTENT_LENGTH = 1024 * 1024
#: The names a loopback server answers to (any port).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: Paths whose errors are JSON: what scripts fetch. Other paths are pages: their errors are pages.
JSON_PREFIXES = ("/api/", "/static/")
#: A Host header: a name or IPv4 address, or an [IPv6] address; then an optional port.
_HOST_HEADER = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?", re.ASCII | re.IGNORECASE)


class Int64Converter(BaseConverter):
    """``<int:...>`` of this app: ASCII digits, at most 2**63-1 (SQLite's INTEGER).

    werkzeug's ``int`` takes any length (SQLite then raises ``OverflowError``: a 500) and any
    Unicode digit. A longer id cannot be one of ours: 404 with the value named.
    """

    regex = r"[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        digits = value.lstrip("0") or "0"
        if len(digits) > 19 or int(digits) > 2**63 - 1:
            raise NotFound(f"no such id {value[:24]!r}{'...' if len(value) > 24 else ''}: ids are at most {2**63 - 1}")
        return int(digits)

    def to_url(self, value) -> str:
        if not 0 <= int(value) <= 2**63 - 1:
            raise ValidationError()
        return str(int(value))


def _host_name(name: str) -> str:
    """A host name as the check compares it: lower case, no port, IPv6 in brackets."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("["):
        return name.partition("]")[0] + "]"
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            return f"[{name}]"
    except ValueError:
        pass
    return name.partition(":")[0]


def allowed_hosts(bind_host: str, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The ``Host`` names a server bound to ``bind_host`` answers to, plus ``extra`` ("*": any).

    Loopback: localhost, 127.0.0.1 and [::1]. Another address: that address. All interfaces
    (0.0.0.0, ::): the loopback names, this machine's names and the addresses they resolve to,
    and the address it reaches the network from; other names need ``--allowed-host``.
    """
    host = _host_name(bind_host)
    names: list[str] = []
    if host in ("", "0.0.0.0", "[::]"):
        names += LOOPBACK_HOSTS
        machine = {socket.gethostname(), socket.getfqdn()}
        names += sorted(machine)
        for name in sorted(machine):
            try:
                names += sorted({info[4][0] for info in socket.getaddrinfo(name, None)})
            except OSError:
                pass
        try:  # the address of the default route; connecting a UDP socket sends nothing
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))
                names.append(probe.getsockname()[0])
        except OSError:
            pass
    elif host in LOOPBACK_HOSTS or host.startswith("127."):
        names += [*LOOPBACK_HOSTS, host]
    else:
        names.append(host)
    names += list(extra)
    return list(dict.fromkeys(_host_name(name) if name != "*" else name for name in names if name))


def _host_allowed(header: str | None, allowed: list[str]) -> bool:
    if "*" in allowed:
        return True
    match = _HOST_HEADER.fullmatch(header or "")
    if match is None:
        return False
    name = match.group(1).lower().rstrip(".")
    return any(name == ref or (ref.startswith(".") and (name.endswith(ref) or name == ref[1:])) for ref in allowed)


def create_app(collection: Collection | str, test_config: dict | None = None, *, read_only: bool = False) -> Flask:
    """Build the app for a collection (an opened one, or its path).

    ``read_only``: never write the collection's data folder (see :class:`Collection`).
    """
    app = Flask(__name__)
    app.json.sort_keys = False
    # Before any rule is added: every <int:...> of this app is an Int64Converter.
    app.url_map.converters["int"] = Int64Converter
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    # What the server answers to (see allowed_hosts); tagscape serve sets it from --host and
    # --allowed-host. Flask's TRUSTED_HOSTS (werkzeug 3.1) cannot hold an IPv6 address, hence our own check.
    app.config["TAGSCAPE_ALLOWED_HOSTS"] = list(LOOPBACK_HOSTS)
    if test_config:
        app.config.update(test_config)
    trusted = [name if name == "*" else _host_name(name) for name in app.config["TAGSCAPE_ALLOWED_HOSTS"]]

    @app.before_request
    def check_host():
        # First of the app's before_request functions: an untrusted Host gets nothing else.
        header = request.headers.get("Host")
        if not _host_allowed(header, trusted):
            # Not the names it answers to: a rebound page reads this answer, and they may name the machine.
            raise BadRequest(f"this server does not answer to the host {(header or '')[:80]!r} "
                             "(tagscape serve --allowed-host NAME adds a name)")
    if isinstance(collection, str):
        collection = open_collection(collection, readonly=read_only)
    elif read_only and not collection.readonly:
        raise ValueError("open the collection with readonly=True for a read-only app")
    app.config["TAGSCAPE_READ_ONLY"] = collection.readonly
    app.extensions["tagscape.collection"] = collection

    from tagscape.web import api, apidocs, audio, openapi, pages
    from tagscape.web.points import Generations
    from tagscape.selection import TrackTables

    app.extensions["tagscape.tracks"] = TrackTables()
    app.extensions["tagscape.generations"] = Generations()
    from tagscape.web import cache

    cache.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(apidocs.bp)
    app.register_blueprint(pages.bp)
    from tagscape.web import similar

    app.register_blueprint(similar.bp)
    from tagscape.web import tags as tag_analysis

    app.register_blueprint(tag_analysis.bp)
    from tagscape.web import clusters as map_clusters

    app.register_blueprint(map_clusters.bp)
    from tagscape.web import trust

    app.register_blueprint(trust.bp)
    from tagscape.web import place

    place.init_app(app)
    from tagscape.web import paths

    paths.init_app(app)
    from tagscape.web import study

    study.init_app(app)
    if app.config.get("TAGSCAPE_WARM_UP", not app.testing):
        from tagscape.projections.methods import warm_up_in_background

        # First what the first page asks for (the track table, each model's layer arrays), then
        # UMAP: on-demand UMAP must not wait for numba's compile.
        warm_up_in_background(app.logger.info, first=lambda: warm_up_data(app))

    @app.errorhandler(TagscapeError)
    def tagscape_error(exc: TagscapeError):
        return jsonify(exc.to_dict()), exc.http_status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(JSON_PREFIXES):
            response = jsonify({"error": exc.name, "message": exc.description})
            # werkzeug's headers for the status: Allow (405), Content-Range (416), Retry-After ...
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response, exc.code
        return exc

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unexpected error on %s", request.path)
        if request.path.startswith(JSON_PREFIXES):
            return jsonify({"error": "InternalError", "message": f"the server failed: {type(exc).__name__}"}), 500
        return InternalServerError()

    @app.teardown_request
    def close_store(exc):
        # Each server thread opens its own SQLite connection; close it when its request ends.
        app.extensions["tagscape.collection"].close()

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return app


def get_collection() -> Collection:
    from flask import current_app

    return current_app.extensions["tagscape.collection"]


def warm_up_data(app: Flask) -> float:
    """Read what the explorer's first map needs, so that its first frame does not wait for it:
    the track table (0.5 s for MTG-Jamendo's 55,000 tracks) and every extracted model's default
    layer (its index and memory map). Errors are left for the requests to report. Returns the
    seconds it took."""
    from tagscape.models.registry import MODELS
    from tagscape.web.api import default_layer

    started = time.perf_counter()
    collection = app.extensions["tagscape.collection"]
    try:
        app.extensions["tagscape.tracks"].get(collection)
        for model_id in collection.store.result_models():
            if model_id in MODELS:
                collection.layer(model_id, default_layer(model_id))  # the layer a map shows first
    except Exception as exc:  # noqa: BLE001 - a warm-up only: the request that needs it says what is wrong
        app.logger.info(f"warm-up stopped: {exc}")
    return time.perf_counter() - started
