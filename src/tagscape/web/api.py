"""The JSON and binary API under ``/api/`` (documented in :mod:`tagscape.web.openapi`)."""

from __future__ import annotations

import time

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.catalog import model_status, weights_stamp
from tagscape.models.registry import MODELS, get_model
from tagscape.projections.maps import LEARNED, N_COMPONENTS, ON_DEMAND_LIMIT, MapStore
from tagscape.web import get_collection
from tagscape.web.cache import cached, validator
from tagscape.web.audio import remote_url
from tagscape.web.params import axis_arg, choice_arg, int_arg, path_name, required_arg, str_arg, track_ids
from tagscape.web.points import FORMATS, MODES, PointsRequest, compute_points
from tagscape.selection import select_tracks, tag_facets
from tagscape.web.selection import MAX_IDS, fields_arg, selection_from_args

bp = Blueprint("api", __name__, url_prefix="/api")

ARCHITECTURES = {"musicnn": "MusiCNN", "vgg": "VGG", "vggish": "VGGish"}
DATASETS = {"MSD": "Million Song Dataset", "MTT": "MagnaTagATune", "AudioSet": "AudioSet"}
PROJECTIONS = {"original": "original", "pca": "PCA", "std-pca": "STD-PCA", "tsne": "t-SNE", "umap": "UMAP"}
ON_DEMAND = ("tsne", "umap")



def tables():
    return current_app.extensions["tagscape.tracks"].get(get_collection())


# -- models ---------------------------------------------------------------------------


def _layer_projections(maps: MapStore, model_id: str, layer: str, extracted: bool) -> dict:
    status = maps.status(model_id, layer) if extracted else dict.fromkeys(LEARNED, "missing")
    out = {"original": {"offline": None, "on_demand": True}}
    for method in LEARNED:
        entry = {"offline": status[method], "on_demand": method in ON_DEMAND}
        if method in N_COMPONENTS:
            entry["components"] = N_COMPONENTS[method]
        if method in ON_DEMAND:
            entry["on_demand_limit"] = ON_DEMAND_LIMIT
        out[method] = entry
    return out


def _models_payload(collection) -> dict:
    done = {model_id: len(collection.store.result_hashes(model_id)) for model_id in collection.store.result_models()}
    maps = MapStore(collection)
    status = {row["model_id"]: row for row in model_status()}
    rows = []
    for spec in MODELS.values():
        extracted = spec.model_id in done
        rows.append({
            "model_id": spec.model_id,
            "architecture": spec.architecture,
            "architecture_name": ARCHITECTURES.get(spec.architecture, spec.architecture),
            "dataset": spec.dataset,
            "dataset_name": DATASETS.get(spec.dataset, spec.dataset),
            "extracted": extracted,
            "tracks_done": done.get(spec.model_id, 0),
            "segment_seconds": spec.segment_seconds,
            "tags": list(spec.tags or ()),
            "layers": [
                {"name": layer.name, "size": layer.size, "labels": list(layer.labels) if layer.labels else None,
                 "node": layer.node, "description": layer.tensor,
                 "projections": _layer_projections(maps, spec.model_id, layer.name, extracted)}
                for layer in spec.layers
            ],
            "weights_status": status.get(spec.model_id, {}).get("weights_status"),
        })
    return {
        "collection": {"name": collection.name, "tracks": collection.store.count_tracks()},
        "architectures": [{"id": key, "name": name} for key, name in ARCHITECTURES.items() if any(s.architecture == key for s in MODELS.values())],
        "datasets": [{"id": key, "name": name} for key, name in DATASETS.items() if any(s.dataset == key for s in MODELS.values())],
        "projections": [{"id": key, "name": name} for key, name in PROJECTIONS.items()],
        "models": rows,
    }


@bp.get("/models")
def models():
    """Models, their layers and tags, and which projections are computed or possible."""
    collection = get_collection()
    key = (str(collection.data_dir), collection.stamp(), MapStore(collection).stamp(), weights_stamp())
    return jsonify(current_app.extensions["tagscape.models"].get(key, lambda: _models_payload(collection)))


# -- the collection -------------------------------------------------------------------


@bp.get("/collection")
def collection_about():
    """What the collection is and where its music comes from: sources and licences (the about panel)."""
    collection = get_collection()
    key = ("about", str(collection.data_dir), collection.stamp())
    return jsonify(current_app.extensions["tagscape.about"].get(key, collection.about))


# -- tracks ---------------------------------------------------------------------------


@bp.get("/tracks")
def tracks():
    """The selected tracks' metadata, a page at a time."""
    collection = get_collection()
    table = tables()
    positions = select_tracks(collection, table, selection_from_args())
    offset = int_arg("offset", 0)
    page_size = int_arg("page_size", 500, minimum=1, maximum=100_000)
    fields = fields_arg("fields")
    page = positions[offset : offset + page_size]
    rows = (table.public(int(i)) for i in page)
    return jsonify({"total": int(len(positions)), "collection_tracks": len(table), "offset": offset,
                    "tracks": [{name: row[name] for name in fields} for row in rows] if fields else list(rows)})


@bp.get("/facets")
def facets():
    """Values to filter by: artists, albums, genres (with track counts), other tags, durations."""
    table = tables()

    def counted(name: str) -> list[dict]:
        values, counts = np.unique(np.array(table.text[name] or [""], dtype=object), return_counts=True)
        order = np.lexsort((values, -counts))
        return [{"value": str(values[i]), "tracks": int(counts[i])} for i in order if values[i]]

    finite = table.duration[np.isfinite(table.duration)]
    return jsonify({
        "artist": counted("artist"),
        "album": counted("album"),
        "genre": [{"value": genre, "tracks": n} for genre, n in table.genre_counts()],  # split: "rock, pop" counts for both
        "tag": tag_facets(get_collection()),
        "duration": [float(finite.min()), float(finite.max())] if len(finite) else None,
    })


@bp.get("/tracks/<int:track_id>")
def track(track_id: int):
    """A track's columns, its tags by kind, and its credits (licence, link, copyright, source) as a segment's answer has them."""
    collection = get_collection()
    data = collection.metadata(track_id)
    data.pop("path", None)
    data["credits"] = _credits(collection, track_id)
    return jsonify(data)


@bp.get("/tracks/<int:track_id>/top-tags")
def top_tags(track_id: int):
    """Each extracted model's top tags for a track (mean over its segments)."""
    collection = get_collection()
    collection.track(track_id)
    k = int_arg("k", 5, minimum=1, maximum=50)
    out = {}
    for model_id in collection.store.result_models():
        spec = get_model(model_id)
        taggram = collection.store.track_layer(track_id, model_id, "taggrams") if spec.tags else None
        if taggram is None:
            continue
        out[model_id] = _top(spec.tags, taggram.astype(np.float32).mean(axis=0), k)
    return jsonify(out)


def _top(tags, activations: np.ndarray, k: int) -> list[dict]:
    order = np.argsort(-activations, kind="stable")[:k]
    return [{"tag": tags[i], "activation": round(float(activations[i]), 4)} for i in order]


@bp.get("/tracks/<int:track_id>/segments/<int:index>")
def segment(track_id: int, index: int):
    """One segment of a track for a model: its time range and its top tags."""
    collection = get_collection()
    track = collection.track(track_id)
    spec = get_model(required_arg("model"))
    k = int_arg("k", 5, minimum=1, maximum=50)
    layer = "taggrams" if spec.tags else spec.layers[0].name
    values = collection.store.track_layer(track_id, spec.model_id, layer)
    if values is None:
        raise NotFoundError(f"track {track_id} has no {spec.model_id} results yet")
    if index >= len(values):
        raise NotFoundError(f"track {track_id} has {len(values)} segments for {spec.model_id}; no segment {index}")
    start = index * spec.segment_seconds
    return jsonify({
        "track_id": track_id, "model": spec.model_id, "index": index, "n_segments": int(len(values)),
        "start": round(start, 6), "end": round(start + spec.segment_seconds, 6),
        "title": track.get("title"), "artist": track.get("artist"), "album": track.get("album"),
        "year": track.get("year"), "genre": track.get("genre"), **_credits(collection, track_id),
        "top_tags": _top(spec.tags, values[index].astype(np.float32), k) if spec.tags else [],
    })


def _credits(collection, track_id: int) -> dict:
    """A track's licence (and its link), copyright and source, from its tags (None where it has none)."""
    from tagscape.provenance import COPYRIGHT_KIND, LICENCE_KINDS, LICENCE_URL_KIND, SOURCE_KIND, licence_info

    tags: dict[str, str] = {}
    for kind, value in collection.store.track_tags(track_id):
        tags.setdefault(kind.lower(), value)
    licence = next((tags[kind] for kind in LICENCE_KINDS if kind in tags), None)
    known = licence_info(licence) if licence else None
    return {"licence": licence, "licence_url": tags.get(LICENCE_URL_KIND) or (known.url if known else None),
            "copyright": tags.get(COPYRIGHT_KIND), "source": tags.get(SOURCE_KIND), "source_version": tags.get("source_version"),
            "source_url": tags.get("source_url")}


@bp.get("/tracks/<int:track_id>/layers/<model_id>/<layer>")
def track_layer(track_id: int, model_id: str, layer: str):
    """One track's matrix for a model and layer, with segment start times."""
    collection = get_collection()
    spec = get_model(path_name("model", model_id))
    spec.layer(path_name("layer", layer))
    collection.track(track_id)
    values = collection.store.track_layer(track_id, model_id, layer)
    if values is None:
        raise NotFoundError(f"track {track_id} has no {model_id} {layer} yet")
    return jsonify({
        "segment_seconds": spec.segment_seconds,
        "segment_starts": (np.arange(len(values)) * spec.segment_seconds).round(6).tolist(),
        "labels": list(spec.layer(layer).labels or ()),
        "values": values.astype(np.float32).round(5).tolist(),
    })


# -- points ---------------------------------------------------------------------------


def default_layer(model_id: str) -> str:
    """``taggrams`` for a tagger, ``embeddings`` for a model without tags (VGGish)."""
    spec = MODELS.get(model_id)
    return "embeddings" if spec is not None and not spec.tags else "taggrams"


def map_request() -> PointsRequest:
    """The map a request names (model, layer, projection, axes, mode, selection): /api/points and
    every endpoint about a map's points (clusters, trust) read it here, so they see the same points."""
    model_id = required_arg("model")
    return PointsRequest(
        model_id=model_id,
        layer=str_arg("layer", default_layer(model_id)),
        method=str_arg("projection", "pca"),
        x=axis_arg("x", "0"),
        y=axis_arg("y", "1"),
        mode=choice_arg("mode", MODES, "segments"),
        value=str_arg("value"),
        rank=str_arg("rank"),
        selection=selection_from_args(),
        x_expr=str_arg("x_expr"),
        y_expr=str_arg("y_expr"),
    )


#: The largest first frame a client may ask for (preview=): a sample, not the map.
MAX_PREVIEW = 1_000_000


@bp.get("/points")
def points():
    """The points of one map: binary by default (see tagscape.web.points), or JSON."""
    started = time.perf_counter()
    collection = get_collection()
    req = map_request()
    fmt = choice_arg("format", FORMATS, "binary")
    preview = int_arg("preview", None, minimum=1, maximum=MAX_PREVIEW)
    cancel = current_app.extensions["tagscape.generations"].start(str_arg("client", max_length=100))
    table = tables()

    def tag() -> str:  # everything the answer depends on besides the parameters
        return validator(str(collection.data_dir), collection.stamp(), MapStore(collection).stamp(), ignore=("client",))

    def render() -> Response:
        result = compute_points(collection, table, req, cancel=cancel, preview=preview)
        result.meta["server_seconds"] = round(time.perf_counter() - started, 4)
        if fmt == "json":
            return jsonify(result.to_json())
        response = Response(result.to_binary(), mimetype="application/octet-stream")
        response.headers["X-Points-Layout"] = "tagscape-points/1"
        return response

    return cached(tag, render)


# -- exports --------------------------------------------------------------------------


def _playlist_ids() -> list[int]:
    if request.method == "POST":
        try:  # the body is at most MAX_CONTENT_LENGTH (413 beyond); its nesting is not bounded
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            raise UsageError('the body must be JSON {"ids": [track ids]}')
        ids = track_ids("ids", ids, max_count=MAX_IDS)
    else:
        ids = track_ids("ids", required_arg("ids"), max_count=MAX_IDS)
    if not ids:
        raise UsageError("give at least one track id")
    return list(dict.fromkeys(ids))


def _line(text) -> str:
    return " ".join(str(text or "").split())


@bp.route("/playlist.m3u", methods=["GET", "POST"])
def playlist():
    """An extended M3U playlist of tracks: our audio URLs, or the tracks' remote URLs, or (paths=)
    the collection's own files by absolute path or relative to a base folder."""
    from tagscape.playlists import PATH_STYLES, check_base, local_location

    collection = get_collection()
    style = choice_arg("paths", PATH_STYLES, "url")
    base = check_base(style=style, base=request.args.get("base") or None)
    if style != "url" and not current_app.config.get("TAGSCAPE_PLAYLIST_PATHS", True):
        raise UsageError("this server does not list its files' paths (TAGSCAPE_PLAYLIST_PATHS is off): ask for paths=url")
    lines = ["#EXTM3U"]
    for track_id in _playlist_ids():
        track = collection.track(track_id)
        duration = int(round(track["duration"])) if track.get("duration") else -1
        name = " - ".join(part for part in (_line(track.get("artist")), _line(track.get("title") or track.get("key"))) if part)
        lines.append(f"#EXTINF:{duration},{name}")
        # A remote URL that could break the playlist's lines (a newline in it) is left for our
        # own audio URL, which answers why there is no audio; so is a track without a local file.
        lines.append(local_location(collection, track, style=style, base=base) or remote_url(track) or f"{request.host_url}api/audio/{track_id}")
    response = Response("\n".join(lines) + "\n", mimetype="audio/x-mpegurl")
    response.headers["Content-Disposition"] = 'attachment; filename="tagscape-selection.m3u"'
    return response
