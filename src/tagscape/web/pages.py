"""The explorer page: a shell that loads the built front end (frontend/ -> web/static/dist/)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template

from tagscape import __version__
from tagscape.web import get_collection

bp = Blueprint("pages", __name__)

DIST = Path(__file__).parent / "static" / "dist"


@bp.get("/")
def index():
    collection = get_collection()
    bundle = DIST / "explorer.js"
    stamp = int(bundle.stat().st_mtime) if bundle.is_file() else 0
    return render_template(
        "explorer.html",
        collection=collection.name,
        n_tracks=collection.store.count_tracks(),
        built=bundle.is_file(),
        has_css=(DIST / "explorer.css").is_file(),
        stamp=f"{__version__}-{stamp}",
    )
