"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from tagscape.web import get_collection

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    collection = get_collection()
    return render_template("tracks.html", collection=collection.name, n_tracks=collection.store.count_tracks())
