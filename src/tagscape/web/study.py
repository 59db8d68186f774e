"""Listening studies over HTTP (see :mod:`tagscape.study`).

Raters: ``/study/<token>`` (a standalone page, its script in ``static/study/``) and, under
``/api/study/<token>/``, the trials (labels only), the clips (WAV, by trial and label: no track id
or file name in any URL) and the answers. Nothing else of the explorer is linked or loaded.
The study's author: ``GET /api/studies`` and ``GET /api/studies/<id>/results`` (JSON or CSV).
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request

from tagscape.audio.clips import clip_wav
from tagscape.errors import AudioError, NotFoundError, TagscapeError, UsageError
from tagscape.study import (
    clip_of,
    get_study,
    list_studies,
    rater_view,
    record_answer,
    study_results,
)
from tagscape.web import get_collection
from tagscape.web.params import choice_arg, str_arg

bp = Blueprint("study", __name__)
TOKEN = re.compile(r"[0-9a-f]{32}")
LABEL = re.compile(r"ref|[A-H]")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _token(token: str) -> str:
    if not TOKEN.fullmatch(token):
        raise NotFoundError("no such study")
    return token


@bp.get("/study/<token>")
def page(token: str):
    """The raters' page: the study's name, and a script that asks only for this study's trials and clips."""
    try:
        study = get_study(get_collection(), token=_token(token))
    except TagscapeError:
        abort(404)
    return render_template("study.html", name=study["name"], token=token)


@bp.get("/api/study/<token>")
def trials(token: str):
    """The study as raters see it: its name, clip length, and each trial's candidate labels."""
    return jsonify(rater_view(get_collection(), _token(token), rater=str_arg("rater", max_length=200)))


@bp.get("/api/study/<token>/clip/<int:trial>/<label>")
def clip(token: str, trial: int, label: str):
    """A trial's reference (``ref``) or candidate clip, as WAV; errors never name the track."""
    if not LABEL.fullmatch(label):
        raise NotFoundError("a clip is 'ref' or a candidate's letter")
    collection = get_collection()
    track, start, end = clip_of(collection, _token(token), trial=trial, label=label)
    try:
        path = collection.local_audio_path(track)
        data = clip_wav(path, start=start, end=end)
    except (NotFoundError, AudioError):
        raise NotFoundError(f"the audio of trial {trial} {label} cannot be played") from None
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": "private, max-age=3600"})


@bp.post("/api/study/<token>/answers")
def answer(token: str):
    """A rater's choice in one trial: JSON ``{"rater": pseudonym, "trial": n, "choice": "A"}``."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise UsageError('the body must be JSON {"rater": ..., "trial": ..., "choice": ...}')
    return jsonify(record_answer(get_collection(), _token(token), trial=body.get("trial"), rater=body.get("rater"), choice=body.get("choice")))


@bp.get("/api/studies")
def studies():
    """Every study of the collection: id, raters' token, name, models, layer, trials, answers, raters."""
    return jsonify({"studies": list_studies(get_collection())})


@bp.get("/api/studies/<int:study_id>/results")
def results(study_id: int):
    """Each model's preference rate with its Wilson interval, and Krippendorff's alpha."""
    result = study_results(get_collection(), study_id)
    if choice_arg("format", ("json", "csv"), "json") == "csv":
        response = Response(result.to_csv(), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="tagscape-study-{study_id}.csv"'
        return response
    return jsonify(result.to_json())
