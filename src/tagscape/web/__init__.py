"""The web server: a Flask app factory over one collection.

Blueprints: ``api`` (JSON under ``/api/``), ``audio`` (files with HTTP Range), ``pages``.
Every error under ``/api/`` and ``/audio/`` is a JSON body ``{"error": ..., "message": ...}``.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from tagscape.collection import Collection, open_collection
from tagscape.errors import TagscapeError


def create_app(collection: Collection | str, test_config: dict | None = None) -> Flask:
    """Build the app for a collection (an opened one, or its path)."""
    app = Flask(__name__)
    app.config.update(JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    app.extensions["tagscape.collection"] = open_collection(collection) if isinstance(collection, str) else collection

    from tagscape.web import api, audio, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(audio.bp)
    app.register_blueprint(pages.bp)

    @app.errorhandler(TagscapeError)
    def tagscape_error(exc: TagscapeError):
        return jsonify(exc.to_dict()), exc.http_status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(("/api/", "/audio/")):
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return exc

    return app


def get_collection() -> Collection:
    from flask import current_app

    return current_app.extensions["tagscape.collection"]
