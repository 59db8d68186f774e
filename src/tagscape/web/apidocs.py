"""``/api/docs``: the OpenAPI document (``/api/openapi.json``) rendered for people to read.

The viewer is Swagger UI from npm (``swagger-ui-dist``), copied into ``static/dist/apidocs/`` when
the explorer is built (``frontend/vite.config.js``), so the page loads nothing from elsewhere.
Its starter script is a file of its own: the page's Content-Security-Policy runs no inline script.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, url_for
from markupsafe import escape

from tagscape import __version__

bp = Blueprint("apidocs", __name__, url_prefix="/api")

#: Where the built viewer lives, under the app's static folder.
VIEWER = "dist/apidocs"
VIEWER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "apidocs.js")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tagscape HTTP API</title>
{head}
</head>
<body>
<div id="api-docs" data-spec="{spec}">{body}</div>
{scripts}
</body>
</html>
"""


def viewer_built(static_folder: str | None) -> bool:
    """Whether the viewer's files are in the static folder (``make frontend`` puts them there)."""
    return bool(static_folder) and all((Path(static_folder) / VIEWER / name).is_file() for name in VIEWER_FILES)


@bp.route("/docs")
def docs():
    """The HTTP API's documentation page."""
    from flask import current_app

    spec = url_for("openapi.openapi")
    if not viewer_built(current_app.static_folder):
        body = (f'<p>The API viewer is not built (run <code>make frontend</code>, or <code>npm ci &amp;&amp; npm run build</code> '
                f'in <code>frontend/</code>). The OpenAPI document is at <a href="{escape(spec)}">{escape(spec)}</a>.</p>')
        return Response(PAGE.format(head="", spec=escape(spec), body=body, scripts=""), mimetype="text/html")

    def asset(name: str) -> str:
        return escape(url_for("static", filename=f"{VIEWER}/{name}", v=__version__))

    head = f'<link rel="stylesheet" href="{asset("swagger-ui.css")}">'
    scripts = f'<script src="{asset("swagger-ui-bundle.js")}"></script>\n<script src="{asset("apidocs.js")}"></script>'
    return Response(PAGE.format(head=head, spec=escape(spec), body="", scripts=scripts), mimetype="text/html")
