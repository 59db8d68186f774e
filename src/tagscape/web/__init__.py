"""The web server: a Flask app factory over one collection.

Blueprints: ``api`` (JSON and binary under ``/api/``), ``audio`` (``/api/audio/``: files
with HTTP Range, segment clips), ``pages`` (the explorer), ``openapi`` (``/api/openapi.json``).
Every error under ``/api/`` is a JSON body ``{"error": ..., "message": ...}``; none shows a
traceback.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from tagscape.collection import Collection, open_collection
from tagscape.errors import TagscapeError

#: Pages may run only our own scripts (regl compiles its shaders with Function(), hence
#: 'unsafe-eval'); audio may come from remote track URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


def create_app(collection: Collection | str, test_config: dict | None = None, *, read_only: bool = False) -> Flask:
    """Build the app for a collection (an opened one, or its path).

    ``read_only``: never write the collection's data folder (see :class:`Collection`).
    """
    app = Flask(__name__)
    app.json.sort_keys = False
    if test_config:
        app.config.update(test_config)
    if isinstance(collection, str):
        collection = open_collection(collection, readonly=read_only)
    elif read_only and not collection.readonly:
        raise ValueError("open the collection with readonly=True for a read-only app")
    app.config["TAGSCAPE_READ_ONLY"] = collection.readonly
    app.extensions["tagscape.collection"] = collection

    from tagscape.web import api, audio, openapi, pages
    from tagscape.web.points import Generations
    from tagscape.web.selection import TrackTables

    app.extensions["tagscape.tracks"] = TrackTables()
    app.extensions["tagscape.generations"] = Generations()
    from tagscape.web import cache

    cache.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    from tagscape.web import similar

    app.register_blueprint(similar.bp)
    from tagscape.web import tags as tag_analysis

    app.register_blueprint(tag_analysis.bp)
    if app.config.get("TAGSCAPE_WARM_UP", not app.testing):
        from tagscape.projections.methods import warm_up_in_background

        warm_up_in_background(app.logger.info)  # on-demand UMAP must not wait for numba's compile

    @app.errorhandler(TagscapeError)
    def tagscape_error(exc: TagscapeError):
        return jsonify(exc.to_dict()), exc.http_status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return exc

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unexpected error on %s", request.path)
        if request.path.startswith("/api/"):
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
