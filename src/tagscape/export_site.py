"""``tagscape export-site``: a collection's explorer as a static folder, for any static web server.

The explorer asks the tagscape server for JSON and binary answers under ``/api/``. An export runs
the real app (read-only) through Flask's test client, asks it every question the static page can
ask, and stores each answer under a file named by a hash of its *canonical URL* (path + query
parameters sorted, see :func:`canonical_url`); the page's static data source
(``frontend/src/staticsource.js``) computes the same name for the same question. So the page
reads exactly what the server would have answered, and what was not exported is a missing file
that the page explains instead of a broken control.

What is exported (and so offered by the page, through a rewritten ``/api/models``):

- the chosen models, layers and projections, each in the ``segments`` mode (also drawn as
  trajectories) and as track averages; PCA-like maps with every pair of their first
  ``components`` axes; colouring and highlighting by a tag (its activations and ranks per point);
- per track: metadata and credits, top tags, taggrams (the track view), each segment's top tags,
  the models' agreement, and the ``SIMILAR_K`` nearest segments and tracks (embeddings) of every
  segment and track;
- per tag: the tag view; per model: ground truth, the correlation matrices;
- audio (``clips``: the first ``clip_seconds`` of each track; ``full``; ``none``), one Ogg Opus
  file per track; a segment plays by seeking into it (HTTP Range).

Filters and on-demand maps of a subset need a server: the page hides them and says so.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import av
import numpy as np
import soxr

from tagscape.errors import TagscapeError, UsageError
from tagscape.similarity.index import MAX_K

#: Neighbours kept per segment and per track for "similar music" (the panel asks for 10 by default).
SIMILAR_K = 10
#: Query parameters a static page ignores when it names an answer: the points' client id (it only
#: cancels superseded server work) and the similar panel's k (the page cuts the stored list).
IGNORED_PARAMS = {"/api/points": ("client",), "/api/similar": ("k",)}
#: What audio an export holds (see :func:`export_site`).
AUDIO_KINDS = ("clips", "full", "none")
#: Projections a static page can offer (``original`` has one axis per tag or dimension: too many pairs).
EXPORTABLE_PROJECTIONS = ("pca", "std-pca", "tsne", "umap")
#: Opus runs at 48 kHz only (or its integer fractions); browsers seek in Ogg Opus with HTTP Range.
OPUS_RATE = 48_000
#: The top-tag and neighbour lists of the page, as the front end asks for them (audio.js, trackview.js).
TOP_K = 5
AGREEMENT_K = 10
TAG_VIEW_K = 20
CORRELATION_METHODS = ("pearson", "spearman")


class ExportError(TagscapeError):
    """The collection cannot be exported as asked (a map the server cannot answer, a full disk)."""

    http_status = 500
    exit_code = 1


# -- naming answers ---------------------------------------------------------------------


def canonical_url(*, path: str, params: dict | None = None) -> str:
    """The one spelling of a question: ``path`` then, if any, ``?`` and its parameters sorted by
    name then value, each percent-encoded except ``A-Z a-z 0-9 - _ . ~`` (RFC 3986's unreserved
    set). Parameters of ``IGNORED_PARAMS`` are left out. A list value is a repeated parameter.

    ``canonical_url(path="/api/tag", params={"tag": "hip hop", "model": "m"})``
    -> ``"/api/tag?model=m&tag=hip%20hop"``. staticsource.js: ``canonicalURL`` (same tests).
    """
    ignored = IGNORED_PARAMS.get(path, ())
    pairs = []
    for name, value in (params or {}).items():
        if name in ignored or value is None:
            continue
        for one in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((quote(str(name), safe="-_.~"), quote(str(one), safe="-_.~")))
    pairs.sort()
    return path + ("?" + "&".join(f"{n}={v}" for n, v in pairs) if pairs else "")


def fnv1a64(text: str) -> str:
    """FNV-1a 64 of the UTF-8 bytes of ``text``, 16 hex digits (not cryptographic: a file name)."""
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def answer_file(*, path: str, params: dict | None = None) -> str:
    """Where an export keeps the answer to a question, relative to its folder:
    ``data/<first 2 hex>/<hash>.json`` (``.bin`` for points and arrays)."""
    key = fnv1a64(canonical_url(path=path, params=params))
    binary = path == "/api/points" or path.startswith("/export/")
    return f"data/{key[:2]}/{key}.{'bin' if binary else 'json'}"


# -- the report -------------------------------------------------------------------------


@dataclass
class ExportReport:
    """What an export wrote: bytes and files per part (``page``, ``maps``, ``tracks``, ``audio``)."""

    out: Path
    tracks: int = 0
    models: list[str] = field(default_factory=list)
    projections: list[str] = field(default_factory=list)
    audio: str = "clips"
    bytes: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, part: str, size: int) -> None:
        self.bytes[part] = self.bytes.get(part, 0) + size
        self.files[part] = self.files.get(part, 0) + 1

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())

    def lines(self) -> list[str]:
        """The size report, one line per part, then the total."""
        out = [f"{part:>7}: {self.bytes[part] / 1e6:8.2f} MB in {self.files[part]} files" for part in sorted(self.bytes)]
        out.append(f"  total: {self.total_bytes / 1e6:8.2f} MB, {self.tracks} tracks, models {', '.join(self.models)}, "
                   f"maps {', '.join(self.projections)}, audio {self.audio}, {self.seconds:.0f} s")
        return out


# -- the export -------------------------------------------------------------------------


class _Exporter:
    """The app's test client and the folder being written: ``get`` asks, ``put`` stores."""

    def __init__(self, *, collection_dir: Path, out: Path, report: ExportReport, progress):
        from tagscape.web import create_app

        self.app = create_app(str(collection_dir), {"TESTING": True, "TAGSCAPE_WARM_UP": False}, read_only=True)
        self.client = self.app.test_client()
        self.out = out
        self.report = report
        self.progress = progress or (lambda message: None)

    def get(self, path: str, params: dict | None = None) -> bytes:
        response = self.client.get(path, query_string=params or {})
        if response.status_code != 200:
            try:
                message = response.get_json()["message"]
            except Exception:  # not our JSON error shape
                message = response.status
            raise ExportError(f"cannot export {canonical_url(path=path, params=params)}: {message}")
        return response.data

    def get_json(self, path: str, params: dict | None = None):
        return json.loads(self.get(path, params))

    def write(self, relative: str, data: bytes, part: str) -> None:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.report.add(part, len(data))

    def put(self, path: str, params: dict | None, data: bytes, part: str) -> None:
        self.write(answer_file(path=path, params=params), data, part)

    def copy(self, path: str, params: dict | None, part: str):
        """Ask and store the answer as it is; returns its bytes."""
        data = self.get(path, params)
        self.put(path, params, data, part)
        return data


def _axis_pairs(projection: str, components: int) -> list[tuple[str, str]]:
    if projection in ("tsne", "umap"):
        return [("0", "1")]
    return [(str(x), str(y)) for x, y in itertools.product(range(components), repeat=2)]


def _check_options(*, audio: str, bitrate: int, clip_seconds: float, components: int, tracks: int | None) -> None:
    if audio not in AUDIO_KINDS:
        raise UsageError(f"audio must be one of {', '.join(AUDIO_KINDS)}, not {audio!r}")
    if not 6 <= bitrate <= 256:
        raise UsageError(f"bitrate is in kbit/s, 6 to 256, not {bitrate}")
    if not 3.0 <= clip_seconds <= 60.0:
        raise UsageError(f"clip_seconds is 3 to 60, not {clip_seconds:g}")
    if not 2 <= components <= 10:
        raise UsageError(f"components is 2 to 10, not {components}")
    if tracks is not None and tracks < 1:
        raise UsageError(f"tracks is at least 1 (or None: all), not {tracks}")


def export_site(*, collection_dir: str | os.PathLike, out: str | os.PathLike, models: list[str] | None = None,
                layers: tuple[str, ...] = ("taggrams", "embeddings"), projections: tuple[str, ...] = ("pca", "tsne"),
                components: int = 2, tracks: int | None = None, audio: str = "clips", bitrate: int = 64,
                clip_seconds: float = 30.0, progress=None) -> ExportReport:
    """Write the static site of a collection into ``out`` (created; must be empty or absent).

    Parameters
    ----------
    collection_dir : path
        A collection (its music folder or data folder), opened read-only.
    out : path
        The folder to write; serve it with any static server, from any sub-path.
    models : list of str, optional
        Model ids (default: every model with results). ``layers``: which layers.
    projections : tuple of str
        Maps to export, among :data:`EXPORTABLE_PROJECTIONS` (t-SNE/UMAP maps not computed
        offline are computed here, within the server's on-demand limit).
    components : int
        PCA-like maps offer every pair of their first ``components`` axes.
    tracks : int, optional
        Only the first ``tracks`` tracks of the collection (default: all).
    audio : str
        ``clips`` (the first ``clip_seconds`` of each track), ``full`` or ``none``; Ogg Opus at
        ``bitrate`` kbit/s.
    progress : callable(str), optional
        Told each stage as it starts.

    Returns
    -------
    ExportReport
        Bytes and files written per part.
    """
    _check_options(audio=audio, bitrate=bitrate, clip_seconds=clip_seconds, components=components, tracks=tracks)
    unknown = [p for p in projections if p not in EXPORTABLE_PROJECTIONS]
    if unknown or not projections:
        raise UsageError(f"projections are among {', '.join(EXPORTABLE_PROJECTIONS)}, not {', '.join(unknown) or 'none'}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder: choose a new one")
    started = time.perf_counter()
    report = ExportReport(out=out, audio=audio, projections=list(projections))
    # Written beside OUT and renamed at the end: a failed export leaves no half-made site.
    work = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _export(collection_dir=Path(collection_dir), work=work, report=report, progress=progress, models=models, layers=layers,
                projections=projections, components=components, tracks=tracks, audio=audio, bitrate=bitrate, clip_seconds=clip_seconds)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _export(*, collection_dir: Path, work: Path, report: ExportReport, progress, models, layers, projections, components, tracks,
            audio, bitrate, clip_seconds) -> None:
    from tagscape import __version__

    ex = _Exporter(collection_dir=collection_dir, out=work, report=report, progress=progress)

    catalog = ex.get_json("/api/models")
    extracted = [m["model_id"] for m in catalog["models"] if m["extracted"]]
    chosen = models or extracted
    missing = [m for m in chosen if m not in extracted]
    if missing:
        raise UsageError(f"no results for {', '.join(missing)} in this collection; with results: {', '.join(extracted) or 'none'}")
    report.models = list(chosen)
    selection = {"limit": str(tracks)} if tracks else {}
    ids = [row["track_id"] for row in ex.get_json("/api/tracks", {"fields": "track_id", "page_size": "100000", **selection})["tracks"]]
    report.tracks = len(ids)

    manifest = {
        "format": 1, "tagscape": __version__, "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "selection": selection, "tracks": len(ids), "similar_k": SIMILAR_K, "audio": {"kind": audio, "bitrate": bitrate, "tracks": {}},
        "ignored_params": IGNORED_PARAMS, "exported": {"models": list(chosen), "layers": list(layers), "projections": list(projections), "components": components},
    }
    ex.progress(f"exporting {len(ids)} tracks of {len(chosen)} models: maps")
    segments_of = _export_maps(ex, catalog=catalog, models=chosen, layers=layers, projections=projections, components=components, selection=selection)
    ex.progress("track views, top tags and similar music")
    _export_tracks(ex, catalog=catalog, models=chosen, ids=ids, segments_of=segments_of, layers=layers)
    ex.progress("tag views and the collection")
    _export_tags(ex, catalog=catalog, models=chosen, ids=ids)
    ex.put("/api/models", None, json.dumps(_static_catalog(catalog, models=chosen, layers=layers, projections=projections,
                                                           components=components, tracks=len(ids))).encode(), "tracks")
    if audio != "none":
        ex.progress(f"audio ({audio}, Opus {bitrate} kbit/s)")
        with ex.app.app_context():
            collection = ex.app.extensions["tagscape.collection"]
            for i, track_id in enumerate(ids):
                span = _export_audio(ex, collection=collection, track_id=track_id, kind=audio, bitrate=bitrate, clip_seconds=clip_seconds)
                if span is not None:
                    manifest["audio"]["tracks"][str(track_id)] = span
                if (i + 1) % 50 == 0:
                    ex.progress(f"audio: {i + 1} of {len(ids)} tracks")
    ex.write("data/manifest.json", json.dumps(manifest).encode(), "page")
    _write_page(ex, name=catalog["collection"]["name"])


def _export_maps(ex: _Exporter, *, catalog: dict, models, layers, projections, components, selection) -> dict:
    """Points of every map; tag values and ranks per model. Returns {model: {track_id: n_segments}}."""
    from tagscape.web.points import parse_binary

    segments_of: dict[str, dict[int, int]] = {}
    by_id = {m["model_id"]: m for m in catalog["models"]}
    for model_id in models:
        spec = by_id[model_id]
        orders: dict[str, np.ndarray] = {}
        for layer, projection, mode in itertools.product([layer["name"] for layer in spec["layers"] if layer["name"] in layers], projections, ("segments", "averages")):
            for x, y in _axis_pairs(projection, components):
                params = {"model": model_id, "layer": layer, "projection": projection, "x": x, "y": y, **selection}
                if mode == "averages":
                    params["mode"] = "averages"
                points = parse_binary(ex.copy("/api/points", params, "maps"))
                order = np.stack([points.arrays["track"], points.arrays["segment"]]).astype(np.int64)
                meta_ids = np.asarray(points.meta["tracks"]["track_id"], np.int64)
                order[0] = meta_ids[order[0]] if len(meta_ids) else order[0]
                # A tag's values are stored once per model and mode: every map must list its points alike.
                if mode in orders and not np.array_equal(orders[mode], order):
                    raise ExportError(f"the {projection} map of {model_id} {layer} orders its points unlike the others")
                orders[mode] = order
                if mode == "segments":
                    segments_of[model_id] = dict(zip(points.meta["tracks"]["track_id"], points.meta["tracks"]["n_segments"]))
        ex.progress(f"maps of {model_id}: tag values")
        base_layer = next(layer for layer in layers if any(item["name"] == layer for item in spec["layers"]))
        for tag, mode in itertools.product(spec["tags"], ("segments", "averages")):
            params = {"model": model_id, "layer": base_layer, "projection": projections[0], "x": "0", "y": "1", "value": tag, "rank": tag, **selection}
            if mode == "averages":
                params["mode"] = "averages"
            points = parse_binary(ex.get("/api/points", params))
            key = {"model": model_id, "tag": tag, "mode": mode}
            ex.put("/export/value", key, np.ascontiguousarray(points.arrays["value"], "<f4").tobytes(), "maps")
            ex.put("/export/rank", key, np.ascontiguousarray(points.arrays["rank"], "u1").tobytes(), "maps")
    return segments_of


def _export_tracks(ex: _Exporter, *, catalog: dict, models, ids, segments_of, layers) -> None:
    by_id = {m["model_id"]: m for m in catalog["models"]}
    taggers = [m for m in models if by_id[m]["tags"]]
    exported = set(ids)
    for n, track_id in enumerate(ids):
        ex.copy(f"/api/tracks/{track_id}", None, "tracks")
        ex.copy(f"/api/tracks/{track_id}/top-tags", {"k": str(TOP_K)}, "tracks")
        if taggers:  # the track view asks even with one tagger
            ex.copy("/api/agreement", {"track": str(track_id), "k": str(AGREEMENT_K)}, "tracks")
        for model_id in models:
            if model_id in taggers:
                ex.copy(f"/api/tracks/{track_id}/taggram", {"model": model_id}, "tracks")
            count = segments_of.get(model_id, {}).get(track_id, 0)
            for segment in range(count):
                ex.copy(f"/api/tracks/{track_id}/segments/{segment}", {"model": model_id, "k": str(TOP_K)}, "tracks")
            if "embeddings" not in layers:
                continue
            for segment in [*range(count), None]:
                params = {"model": model_id, "layer": "embeddings", "track": str(track_id), "level": "segment" if segment is not None else "track",
                          "exclude_track": "1", "exclude_artist": "0"}
                if segment is not None:
                    params["segment"] = str(segment)
                # An export of some tracks keeps those of the server's most neighbours (MAX_K) that it
                # holds: the nearest exported ones, unless more than MAX_K unexported ones come first.
                everything = len(exported) == catalog["collection"]["tracks"]
                body = ex.get_json("/api/similar", {**params, "k": str(SIMILAR_K if everything else MAX_K)})
                body["results"] = [r for r in body["results"] if r["track_id"] in exported][:SIMILAR_K]
                for rank, r in enumerate(body["results"], 1):
                    r["rank"] = rank
                body["k"] = SIMILAR_K
                ex.put("/api/similar", params, json.dumps(body).encode(), "tracks")
        if (n + 1) % 25 == 0:
            ex.progress(f"tracks: {n + 1} of {len(ids)}")


def _export_tags(ex: _Exporter, *, catalog: dict, models, ids) -> None:
    by_id = {m["model_id"]: m for m in catalog["models"]}
    if len(ids) == catalog["collection"]["tracks"]:
        ex.copy("/api/collection", None, "tracks")
    else:  # the sources and licences of the exported tracks only
        from tagscape.provenance import KINDS, summarise

        with ex.app.app_context():
            collection = ex.app.extensions["tagscape.collection"]
            kept = set(ids)
            rows = [row for row in collection.store.tags_of_present(KINDS) if row[0] in kept]
            seconds = sum(float(collection.track(t).get("duration") or 0.0) for t in ids)
            about = {"name": collection.name, "kind": collection.kind, **summarise(rows, n_tracks=len(ids), seconds=seconds)}
        ex.put("/api/collection", None, json.dumps(about).encode(), "tracks")
    facets = json.loads(ex.copy("/api/facets", None, "tracks"))
    for facet in facets.get("tag", []):  # the highlight "track's own tag" asks which tracks carry one
        ex.copy("/api/tracks", {"tag": f"{facet['kind']}:{facet['value']}", "fields": "track_id", "page_size": "100000"}, "tracks")
    for model_id in models:
        if not by_id[model_id]["tags"]:
            continue
        ex.copy("/api/ground-truth", {"model": model_id}, "tracks")
        for method in CORRELATION_METHODS:
            ex.copy("/api/correlations/matrix", {"model": model_id, "method": method}, "tracks")
        for tag in by_id[model_id]["tags"]:
            ex.copy("/api/tag", {"model": model_id, "tag": tag, "k": str(TAG_VIEW_K)}, "tracks")


def _static_catalog(catalog: dict, *, models, layers, projections, components, tracks: int) -> dict:
    """``/api/models`` as the static page must see it: only what was exported, every map ready."""
    out = json.loads(json.dumps(catalog))
    out["collection"]["tracks"] = tracks
    out["projections"] = [p for p in out["projections"] if p["id"] in projections]
    out["models"] = [m for m in out["models"] if m["model_id"] in models]
    for model in out["models"]:
        model["layers"] = [layer for layer in model["layers"] if layer["name"] in layers]
        for layer in model["layers"]:
            layer["projections"] = {
                name: {"offline": "fresh", "on_demand": False, **({"components": components} if name in ("pca", "std-pca") else {})}
                for name in projections
            }
    out["static"] = True
    return out


# -- audio ------------------------------------------------------------------------------


def _export_audio(ex: _Exporter, *, collection, track_id: int, kind: str, bitrate: int, clip_seconds: float):
    """One Ogg Opus file per track: ``audio/<track_id>.opus``. Returns ``[start, end]`` (seconds of
    the track that the file holds), or None for a track without a local file."""
    from tagscape.audio.clips import decode_range

    track = collection.track(track_id)
    try:
        path = collection.local_audio_path(track)
    except TagscapeError:
        return None
    duration = float(track.get("duration") or 0.0)
    end = min(duration, clip_seconds) if kind == "clips" else duration
    pieces, rate = [], None
    # decode_range reads at most 60 s at a time: a whole track comes in pieces.
    for start in np.arange(0.0, end, 60.0):
        samples, rate = decode_range(path, start=float(start), end=float(min(end, start + 60.0)))
        pieces.append(samples)
    if not pieces or rate is None:
        return None
    channels = max(p.shape[0] for p in pieces)
    samples = np.concatenate([np.repeat(p, channels, axis=0) if p.shape[0] < channels else p for p in pieces], axis=1)
    if rate != OPUS_RATE:
        samples = soxr.resample(samples.T, rate, OPUS_RATE, quality="HQ").T
    data = _opus_bytes(np.ascontiguousarray(samples, np.float32), bitrate=bitrate)
    ex.write(f"audio/{track_id}.opus", data, "audio")
    return [0.0, round(samples.shape[1] / OPUS_RATE, 3)]


def _opus_bytes(samples: np.ndarray, *, bitrate: int) -> bytes:
    """Ogg Opus of float32 samples ``[shape=(channels, n)]`` at 48 kHz, ``bitrate`` kbit/s."""
    buffer = io.BytesIO()
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout=layout)
        stream.bit_rate = bitrate * 1000
        frame_size = stream.codec_context.frame_size or 960
        for start in range(0, samples.shape[1], frame_size):
            chunk = samples[:, start : start + frame_size]
            if chunk.shape[1] < frame_size:  # the encoder takes whole frames
                chunk = np.pad(chunk, ((0, 0), (0, frame_size - chunk.shape[1])))
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.reshape(1, -1) if layout == "mono" else chunk.T.reshape(1, -1)), format="flt", layout=layout)
            frame.sample_rate = OPUS_RATE
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


# -- the page ---------------------------------------------------------------------------


def _write_page(ex: _Exporter, *, name: str) -> None:
    """index.html (every URL relative, so any sub-path works) and the built explorer."""
    from html import escape

    from tagscape.web.pages import DIST

    bundle = DIST / "explorer.js"
    if not bundle.is_file():
        raise ExportError("the explorer's JavaScript is not built: run make frontend (npm ci && npm run build in frontend/)")
    for source in (bundle, DIST / "explorer.css"):
        if source.is_file():
            ex.write(f"dist/{source.name}", source.read_bytes(), "page")
    css = '<link rel="stylesheet" href="dist/explorer.css">' if (DIST / "explorer.css").is_file() else ""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>tagscape · {escape(name)}</title>
{css}
</head>
<body>
<div id="app" data-collection="{escape(name)}" data-source="static" data-base="./"></div>
<noscript><p class="error">The explorer needs JavaScript.</p></noscript>
<script type="module" src="dist/explorer.js"></script>
</body>
</html>
"""
    ex.write("index.html", page.encode(), "page")


__all__ = ["ExportError", "ExportReport", "answer_file", "canonical_url", "export_site", "fnv1a64"]
