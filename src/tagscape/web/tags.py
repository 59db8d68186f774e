"""Tag analysis endpoints (documented in :mod:`tagscape.web.openapi`): a track's taggram, a tag's
top segments and distribution, tag-pair correlations and the clustered matrix, model agreement
for a track, and ground-truth AUCs. The numbers come from :mod:`tagscape.analysis`."""

from __future__ import annotations


import numpy as np
from flask import Blueprint, current_app, jsonify

from tagscape.analysis import agreement, correlation, groundtruth, tags
from tagscape.errors import NotFoundError, UsageError
from tagscape.web import get_collection
from tagscape.web.cache import Memo
from tagscape.web.params import choice_arg, int_arg, required_arg
from tagscape.selection import select_tracks
from tagscape.web.selection import selection_from_args

bp = Blueprint("tags", __name__, url_prefix="/api")

PAIR_MODES = ("segments", "averages")


def _results() -> Memo:
    return current_app.extensions["tagscape.tag_results"]


def _columns_cache() -> Memo:
    """A tag's activations over the collection (4.5 M segments: 18 MB each): the last few asked for."""
    return current_app.extensions["tagscape.tag_columns"]


def _key(collection, model_id: str, *parts) -> tuple:
    return (str(collection.data_dir), model_id, collection.store.model_version(model_id), *parts)


def _taggrams(collection, model_id: str):
    """The model's taggrams, opened once per data version (opening indexes every track)."""
    tags.tagger(model_id)
    return _results().get(_key(collection, model_id, "array"), lambda: tags.taggrams(collection, model_id))


def _r(value, digits: int = 4):
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _track_fields(collection, track_id: int) -> dict:
    track = collection.track(track_id)
    return {"title": track.get("title") or track.get("key"), "artist": track.get("artist"), "album": track.get("album")}


@bp.get("/tracks/<int:track_id>/taggram")
def taggram(track_id: int):
    """A track's taggram (tags x segments), tags ordered by mean activation."""
    collection = get_collection()
    model_id = required_arg("model")
    data = tags.track_taggram(collection, model_id, track_id)
    n_segments = data["values"].shape[1]
    return jsonify({
        "track_id": track_id, "model": model_id, **_track_fields(collection, track_id),
        "segment_seconds": data["segment_seconds"], "n_segments": n_segments,
        "segment_starts": (np.arange(n_segments) * data["segment_seconds"]).round(6).tolist(),
        "tags": data["tags"], "columns": data["columns"], "mean": data["mean"].round(5).tolist(),
        "values": data["values"].round(5).tolist(),
    })


@bp.get("/tag")
def tag_view():
    """The top-K segments of the collection for one tag, and the distribution of its activation."""
    collection = get_collection()
    model_id = required_arg("model")
    tag = required_arg("tag")
    k = int_arg("k", 20, minimum=1, maximum=tags.MAX_K)
    bins = int_arg("bins", 50, minimum=2, maximum=tags.MAX_BINS)
    spec = tags.tagger(model_id)
    column = tags.tag_column(spec, tag)
    array = _taggrams(collection, model_id)
    activations = _columns_cache().get(_key(collection, model_id, column), lambda: tags.read_column(array.values, column))
    data = tags.tag_segments(collection, model_id, tag, k=k, bins=bins, activations=activations)
    seconds = data["segment_seconds"]
    table = current_app.extensions["tagscape.tracks"].get(collection)
    top = []
    for rank, (track_id, segment, activation) in enumerate(zip(data["track_ids"].tolist(), data["segments"].tolist(), data["activations"].tolist(), strict=True)):
        row = table.row(track_id) or {}
        top.append({"rank": rank + 1, "track_id": track_id, "segment": segment, "start": round(segment * seconds, 6),
                    "end": round((segment + 1) * seconds, 6), "activation": round(activation, 5),
                    "title": row.get("title") or row.get("key"), "artist": row.get("artist"), "album": row.get("album")})
    return jsonify({
        "model": model_id, "tag": tag, "k": k, "segment_seconds": seconds, "n_segments": data["n_segments"], "n_tracks": data["n_tracks"],
        "top": top,
        "histogram": {"edges": data["edges"].round(6).tolist(), "counts": data["counts"].tolist()},
        "summary": {name: _r(value, 5) for name, value in data["summary"].items()},
    })


def _columns(values: np.ndarray, rows: np.ndarray, columns: tuple[int, int]) -> np.ndarray:
    """``values[rows][:, columns]`` as stored (float16), without copying whole rows of a large selection."""
    if len(rows) < values.shape[0] // 4:
        return np.asarray(values[np.sort(rows)][:, list(columns)])
    block = tags.read_columns(values, columns)
    return block if len(rows) == len(block) else block[rows]


@bp.get("/correlations")
def pair_correlation():
    """Pearson and Spearman correlation of two tags over the selected tracks' segments (or track means)."""
    collection = get_collection()
    spec = tags.tagger(required_arg("model"))
    x_tag, y_tag = required_arg("x"), required_arg("y")
    x, y = tags.tag_column(spec, x_tag), tags.tag_column(spec, y_tag)
    mode = choice_arg("mode", PAIR_MODES, "segments")
    array = _taggrams(collection, spec.model_id)
    table = current_app.extensions["tagscape.tracks"].get(collection)
    selected = table.ids[select_tracks(collection, table, selection_from_args())]
    positions = np.searchsorted(array.track_ids, selected)  # both sorted by track id
    positions = positions[(positions < array.n_tracks) & (array.track_ids[np.minimum(positions, array.n_tracks - 1)] == selected)] if array.n_tracks else positions[:0]
    if mode == "segments":
        rows = np.arange(array.values.shape[0]) if len(positions) == array.n_tracks else array.rows_for(array.track_ids[positions])[0]
        block = _columns(array.values, rows, (x, y))
    else:
        means = _results().get(_key(collection, spec.model_id, "means"), lambda: tags.track_means(array))
        block = means[positions][:, [x, y]]
        block = block[np.isfinite(block).all(axis=1)]
    result = correlation.pair(block[:, 0], block[:, 1])
    return jsonify({"model": spec.model_id, "x": x_tag, "y": y_tag, "mode": mode, "n": result["n"],
                    "n_tracks": int(len(positions)), "pearson": _r(result["pearson"], 6), "spearman": _r(result["spearman"], 6)})


@bp.get("/correlations/matrix")
def correlation_matrix():
    """The correlation matrix of all tags of a model over every segment, in clustered order."""
    collection = get_collection()
    spec = tags.tagger(required_arg("model"))
    method = choice_arg("method", correlation.METHODS, "pearson")
    array = _taggrams(collection, spec.model_id)

    def compute():
        matrix, n_used = correlation.correlation_matrix(array.values, method=method)
        return matrix, n_used, correlation.cluster_order(matrix)

    matrix, n_used, order = _results().get(_key(collection, spec.model_id, "matrix", method), compute)
    ordered = matrix[np.ix_(order, order)]
    return jsonify({
        "model": spec.model_id, "method": method, "n_segments": int(array.values.shape[0]), "n_used": n_used,
        "sampled": n_used < array.values.shape[0], "tags": [spec.tags[i] for i in order], "order": order.tolist(),
        "matrix": [[_r(v) for v in row] for row in ordered.tolist()],
    })


@bp.get("/agreement")
def model_agreement():
    """For one track: every model's top tags and how similar their rankings are."""
    collection = get_collection()
    track_id = int_arg("track", None)
    if track_id is None:
        raise UsageError("parameter 'track' is required (a track id)")
    k = int_arg("k", 10, minimum=1, maximum=50)
    result = agreement.track_agreement(collection, track_id, k=k)
    for row in result["models"]:
        for item in row["top"]:
            item["activation"] = round(item["activation"], 4)
    for row in result["pairs"]:
        for name in ("spearman", "kendall", "top_overlap"):
            row[name] = _r(row[name])
    return jsonify({**result, **_track_fields(collection, track_id)})


@bp.get("/ground-truth")
def ground_truth():
    """Per mapped tag: ROC-AUC and PR-AUC of the model's track-level activations against the collection's tags."""
    collection = get_collection()
    model_id = required_arg("model")
    tags.tagger(model_id)
    if model_id not in collection.store.result_models():
        raise NotFoundError(f"no {model_id} results in this collection yet; run: tagscape extract -m {model_id}")
    stamp = collection.stamp()
    array = _taggrams(collection, model_id)
    means = _results().get(_key(collection, model_id, "means"), lambda: tags.track_means(array))
    result = _results().get(_key(collection, model_id, "truth", stamp), lambda: groundtruth.ground_truth(collection, model_id, means=means))
    out = {**result, "tags": [{**row, "roc_auc": _r(row["roc_auc"]), "pr_auc": _r(row["pr_auc"]), "positive_rate": _r(row["positive_rate"])} for row in result["tags"]]}
    return jsonify(out)

