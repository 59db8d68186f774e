"""The API's OpenAPI 3.1 description, served at ``/api/openapi.json``.

A test checks that every route under ``/api/`` is described here and nothing else is.
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify

from tagscape import __version__
from tagscape.analysis.clusters import FIT_SAMPLE, LAYER_FIT_SAMPLE, LAYER_LIMIT
from tagscape.analysis.clusters import PARAMETERS as CLUSTER_PARAMETERS
from tagscape.models.registry import MODELS
from tagscape.paths import MAX_GRAPH_NODES, MAX_PATH_ITEMS
from tagscape.place import MAX_MAPS, MAX_NEIGHBOURS, PlaceLimits
from tagscape.projections.expressions import MAX_LENGTH as EXPR_LENGTH
from tagscape.selection import MAX_VALUES, TRACK_FIELDS
from tagscape.web import MAX_CONTENT_LENGTH as MAX_BODY
from tagscape.web.audio import MAX_SECONDS
from tagscape.web.params import MAX_INT64, MAX_TEXT
from tagscape.web.points import FORMATS, MODES
from tagscape.web.selection import MAX_IDS

bp = Blueprint("openapi", __name__, url_prefix="/api")


def _q(name: str, description: str, schema: dict | None = None, *, required: bool = False) -> dict:
    """A query parameter; text by default. An empty value counts as absent: a required one has a
    character at least, and an optional number, boolean or choice may also be empty."""
    if schema is None:
        schema = {"type": "string", "minLength": 1 if required else 0, "maxLength": MAX_TEXT}
    elif not required and schema.get("type") != "string":
        schema = dict(schema)
        default = {"default": schema.pop("default")} if "default" in schema else {}
        schema = {"anyOf": [schema, {"const": ""}], **default}
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _many(name: str, description: str) -> dict:
    """A repeatable text query parameter (``name=a&name=b``); empty values count as absent."""
    return {"name": name, "in": "query", "required": False, "style": "form", "explode": True,
            "description": description + " Different parameters must all match.",
            "schema": {"type": "array", "maxItems": MAX_VALUES, "items": {"type": "string", "maxLength": MAX_TEXT}}}


#: Every integer the server takes is at most a signed 64-bit one (SQLite's INTEGER); a larger id is a 404, a larger parameter a 400.
INT64 = {"type": "integer", "minimum": 0, "maximum": MAX_INT64}


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": dict(INT64)}


ERROR = {"$ref": "#/components/responses/Error"}
#: The models this version knows (whether this collection has their results or not: /api/models says).
MODEL_IDS = {"type": "string", "enum": list(MODELS)}
TAGGERS = {"type": "string", "enum": [model_id for model_id, model in MODELS.items() if model.tags]}
#: Comma-separated ids (the server takes up to 2**63-1; 18 digits is what a pattern can say simply).
IDS_PATTERN = "^[0-9]{1,18}(,[0-9]{1,18})*$"
TRACK_ID = _path("track_id", "A track id of this collection (from /api/tracks).")
STUDY = {"name": "token", "in": "path", "required": True, "description": "A study's raters' token (from tagscape study create).",
         "schema": {"type": "string", "maxLength": 100}}
PLACEMENT = {"name": "token", "in": "path", "required": True, "description": "A placement's token (from POST /api/place).",
             "schema": {"type": "string", "maxLength": 100}}

SELECTION = [
    _q("limit", "How many tracks to pick (1..all); all when absent.", {"type": "integer", "minimum": 1, "maximum": MAX_INT64}),
    _q("sample", "Which tracks when `limit` is below the number that match: the `first` ones (by id) or a seeded `random` sample.", {"enum": ["first", "random"], "default": "first"}),
    _q("seed", "Seed of the random sample.", {"type": "integer", "minimum": 0, "maximum": 2**32 - 1, "default": 0}),
    _many("artist", "Only tracks of these artists (whole name, any case; repeat for several: either matches)."),
    _many("album", "Only tracks of these albums (whole name, any case; repeat for several)."),
    _many("genre", "Only tracks of these genres (any case; repeat for several). A genre string holds several genres "
                   "separated by `,` `;` `/` or `|` (`rock, pop`), on either side: each counts on its own."),
    _many("tag", "Only tracks with one of these tags (`value` of any kind, or `kind:value`, e.g. `instrument:piano`; any case; repeat for several)."),
    _q("min_duration", "Shortest track, seconds.", {"type": "number", "minimum": 0}),
    _q("max_duration", "Longest track, seconds.", {"type": "number", "minimum": 0}),
    _q("q", "Text search in title and artist (case-insensitive substring)."),
    _q("ids", "Only these track ids (comma-separated); empty: all.", {"type": "string", "pattern": f"^$|{IDS_PATTERN}"}),
]

#: The parameters that name a map: /api/points and every endpoint about a map's points (clusters, trust) take them.
MAP = [
    _q("model", "Model id (see /api/models).", MODEL_IDS, required=True),
    _q("layer", "Layer (default: taggrams; embeddings for a model without taggrams, such as vggish-audioset).", {"enum": ["taggrams", "embeddings"]}),
    _q("projection", "How the layer becomes 2D.", {"enum": ["original", "pca", "std-pca", "tsne", "umap"], "default": "pca"}),
    _q("x", "X axis: original: a dimension index or (taggrams) a tag name; pca/std-pca: a component index 0..9; t-SNE/UMAP: 0 or 1.", {"type": "string", "maxLength": MAX_TEXT, "default": "0"}),
    _q("y", "Y axis, as x.", {"type": "string", "maxLength": MAX_TEXT, "default": "1"}),
    _q("mode", "segments and trajectories: one point per segment; averages: one point per track (mean) with its spread.", {"enum": list(MODES), "default": "segments"}),
    _q("x_expr", "X axis of the original projection as an expression over the taggrams' tags, instead of x: tag names "
                 "(several words are one tag: `female vocalists`; quote other characters: `\"Hip-Hop\"`), numbers, + - * / and "
                 "parentheses, e.g. `rock - pop`, `(guitar + rock) / 2`, `0.5*happy - sad`. Names match exactly, else in any case, "
                 "else through a table of MSD / MTT synonyms (on an MTT model `female vocalists` is `female vocal`). Division by zero "
                 "gives NaN for that point. A bad expression or an unknown tag is a 400. The header then carries `axis_expressions` and "
                 f"`correlation` {{n, pearson, spearman}} of the two axes over the points drawn. At most {EXPR_LENGTH} characters.",
       {"type": "string", "maxLength": MAX_TEXT}),
    _q("y_expr", "Y axis as an expression, as x_expr.", {"type": "string", "maxLength": MAX_TEXT}),
]
CLIENT = _q("client", "An id per plot of a browser tab: a newer request cancels the older on-demand computation.", {"type": "string", "maxLength": 100})


def _setting(p) -> dict:
    """A query parameter from a row of a settings table (see tagscape.analysis.clusters.PARAMETERS)."""
    if p.choices:
        return _q(p.name, p.help, {"enum": list(p.choices), "default": p.default})
    kind = "integer" if p.kind is int else "number"
    return _q(p.name, p.help, {"type": kind, "minimum": p.minimum, "maximum": p.maximum, "default": p.default})


PLAYLIST_PATHS = [
    _q("paths", "Where each entry points: `url` this server's audio URL (a remote track's own URL); `absolute` the track's file on the "
                "server's disk; `relative` that file's path relative to `base`. A track without a readable file of the collection "
                "(remote, missing, a name with a control character) keeps its URL.", {"enum": ["url", "absolute", "relative"], "default": "url"}),
    _q("base", "With paths=relative: the absolute folder the paths start from (where the playlist will be saved). Only compared "
               "as text, never opened.", {"type": "string", "maxLength": 4096}),
]

BINARY_LAYOUT = """Default body (`format=binary`, `application/octet-stream`), all little-endian:

| offset | type | what |
|---|---|---|
| 0 | 4 bytes | magic `TSPT` |
| 4 | uint32 | layout version (1) |
| 8 | uint32 | n: number of points |
| 12 | uint32 | m: byte length of the JSON header (padded with spaces to a multiple of 4) |
| 16 | m bytes | JSON header (UTF-8): the `PointsHeader` schema |
| 16 + m | | arrays back to back, each at a multiple of 4 bytes: `x` float32[n], `y` float32[n], `track` uint32[n] (index into `header.tracks`), `segment` uint16[n] (segment index within its track), then when present `spread` float32[n] (mode=averages: RMS distance of a track's segments to their mean), `value` float32[n] (with `value=TAG`: the tag's activation) and `rank` uint8[n] (with `rank=TAG`: the tag's rank among the point's tags, 0 = top) |

`header.arrays` gives each array's `name`, `dtype`, `offset` (from the first byte of the body) and `count`.
Points come track by track, each track's segments in time order; a segment's audio starts at
`segment * header.segment_seconds`. `format=json` gives the same header with the arrays under `points`."""


def app_routes(app) -> set[tuple[str, str]]:
    """``(method, path)`` of every route of ``app`` under /api/, named as this document names them
    (``get``, ``/api/tracks/{track_id}``): what the tests and the docs check the document against."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            routes |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tagscape",
            "version": __version__,
            "description": "Maps of what music auto-tagging models have learned, and the audio behind every point. "
            "Every error is a 4xx/5xx with the JSON body {\"error\": ..., \"message\": ...}. "
            "An empty query parameter counts as absent.",
        },
        "paths": {
            "/api/models": {"get": {
                "summary": "Models, datasets, layers (size, tag names), segment length, and projections: offline maps computed (fresh/stale/missing), on-demand ones possible.",
                "responses": {"200": {"description": "models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Models"}}}}},
            }},
            "/api/collection": {"get": {
                "summary": "What the collection is and where its music comes from, for an 'about this collection' panel: its size, "
                           "and its sources and licences as its tracks' own tags say (tag kinds source, source_version, source_url, "
                           "licence or license, licence_url, copyright, style; the real-music demo writes them all).",
                "responses": {"200": {"description": "about", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/About"}}}}},
            }},
            "/api/tracks": {"get": {
                "summary": "Track metadata: a selection (filters, first or random N), a page at a time.",
                "parameters": [*SELECTION, _q("offset", "First track of the page.", {**INT64, "default": 0}),
                               _q("page_size", "Tracks per page.", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 500}),
                               _q("fields", "Only these fields of each track, comma-separated (e.g. `track_id` for just the ids).",
                                  {"type": "string", "pattern": f"^$|^({'|'.join(TRACK_FIELDS)})(,({'|'.join(TRACK_FIELDS)}))*$"})],
                "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrackPage"}}}}, "400": ERROR},
            }},
            "/api/facets": {"get": {
                "summary": "Values to filter by: artists, albums, genres with track counts; other tags; the range of durations.",
                "responses": {"200": {"description": "facets", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
            "/api/tracks/{track_id}": {"get": {
                "summary": "One track's metadata, all its tags (`tags`: kind -> values) and its `credits` (licence, licence_url, copyright, "
                           "source, source_version, source_url; null where the track's tags say nothing).",
                "parameters": [TRACK_ID],
                "responses": {"200": {"description": "track", "content": {"application/json": {"schema": {"allOf": [
                    {"$ref": "#/components/schemas/Track"},
                    {"type": "object", "properties": {
                        "tags": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                        "credits": {"type": "object", "properties": {name: {"type": ["string", "null"]} for name in
                                    ("licence", "licence_url", "copyright", "source", "source_version", "source_url")}}}}]}}}}, "404": ERROR},
            }},
            "/api/tracks/{track_id}/top-tags": {"get": {
                "summary": "Each extracted model's top tags for the track (mean over its segments).",
                "parameters": [TRACK_ID, _q("k", "How many tags.", {"type": "integer", "minimum": 1, "maximum": 50, "default": 5})],
                "responses": {"200": {"description": "model id -> [{tag, activation}]", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/tracks/{track_id}/segments/{index}": {"get": {
                "summary": "One segment for a model: start and end (seconds) and its top tags.",
                "parameters": [TRACK_ID, _path("index", "Segment index within the track."), _q("model", "Model id.", MODEL_IDS, required=True),
                               _q("k", "How many tags.", {"type": "integer", "minimum": 1, "maximum": 50, "default": 5})],
                "responses": {"200": {"description": "segment: track_id, model, index, n_segments, start, end, title, artist, album, year, genre, "
                                                     "licence, licence_url, copyright, source, source_version, source_url (null where the track's tags say nothing), top_tags",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/tracks/{track_id}/layers/{model_id}/{layer}": {"get": {
                "summary": "One track's matrix of a model's layer, with segment start times.",
                "parameters": [TRACK_ID, {"name": "model_id", "in": "path", "required": True, "schema": MODEL_IDS},
                               {"name": "layer", "in": "path", "required": True, "schema": {"enum": ["taggrams", "embeddings"]}}],
                "responses": {"200": {"description": "matrix", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": ERROR},
            }},
            "/api/points": {"get": {
                "summary": "The points of one map of the selected tracks.",
                "description": BINARY_LAYOUT + "\n\nt-SNE / UMAP of a subset (up to 100k segments) are computed here on demand and cached; "
                "a newer request with the same `client` cancels the older computation (409).\n\n"
                "Each answer has a strong `ETag` (one per content coding) computed from the collection's state and the parameters "
                "(not `client`): send it back in `If-None-Match` and an unchanged map costs a `304` with no body. The body is "
                "compressed with `br` or `gzip` when `Accept-Encoding` allows; answers are cached in the server process.",
                "parameters": [
                    *MAP,
                    _q("value", "A tag of the model: adds each point's activation of it (array `value`)."),
                    _q("rank", "A tag of the model: adds its rank among each point's tags (array `rank`, 0 = top tag)."),
                    _q("preview", "A first frame of a large map: only this many of its points, a seeded uniform sample in the points' "
                                  "order (the header keeps the whole map's `tracks` and `bounds`, and says `preview` {n, of}). "
                                  "The explorer draws it while the whole map is on its way.", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
                    _q("format", "binary (default) or json.", {"enum": list(FORMATS), "default": "binary"}),
                    _q("client", "An id per plot of a browser tab: a newer request cancels the older on-demand computation.", {"type": "string", "maxLength": 100}),
                    *SELECTION,
                ],
                "responses": {
                    "200": {"description": "points", "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/PointsHeader"}},
                    }},
                    "304": {"description": "not modified: the `If-None-Match` ETag is still this map's"},
                    "400": ERROR, "404": ERROR, "409": ERROR,
                },
            }},
            "/api/audio/{track_id}": {"get": {
                "summary": "A track's audio. Whole file with HTTP Range (206); formats browsers cannot play are transcoded to FLAC; "
                "with start and end a 16-bit WAV clip of just that stretch; remote tracks redirect (302) to their URL.",
                "parameters": [TRACK_ID, _q("start", "Clip start, seconds.", {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}),
                               _q("end", "Clip end, seconds (at most 60 s after start).", {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}),
                               {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "audio", "content": {"audio/*": {}}}, "206": {"description": "part of the file"},
                              "302": {"description": "remote track"}, "400": ERROR, "404": ERROR, "416": ERROR},
            }},
            "/api/playlist.m3u": {
                "get": {
                    "summary": "An extended M3U playlist of tracks (UTF-8): this server's audio URLs, or the tracks' remote URLs, "
                               "or the collection's own files (paths=absolute, or paths=relative to base).",
                    "parameters": [_q("ids", "Track ids, comma-separated.", {"type": "string", "pattern": IDS_PATTERN, "maxLength": MAX_TEXT}, required=True), *PLAYLIST_PATHS],
                    "responses": {"200": {"description": "playlist", "content": {"audio/x-mpegurl": {}}}, "400": ERROR, "404": ERROR},
                },
                "post": {
                    "summary": "The same for a long list of ids.",
                    "parameters": PLAYLIST_PATHS,
                    "requestBody": {"required": True, "description": f"At most {MAX_BODY // 1024} KiB.", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["ids"], "properties": {"ids": {"type": "array", "items": INT64, "minItems": 1, "maxItems": MAX_IDS}}}}}},
                    "responses": {"200": {"description": "playlist", "content": {"audio/x-mpegurl": {}}}, "400": ERROR, "404": ERROR, "413": ERROR},
                },
            },
            "/api/tracks/{track_id}/taggram": {"get": {
                "summary": "A track's taggram for a model: tags x segments, tags ordered by mean activation (highest first).",
                "parameters": [TRACK_ID, _q("model", "Model id (one with a taggrams layer).", TAGGERS, required=True)],
                "responses": {"200": {"description": "`tags`, `columns` (each tag's column in the model's tag list), `mean`, `values` [n_tags][n_segments], `segment_starts`, `segment_seconds`",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/tag": {"get": {
                "summary": "One tag of a model over the whole collection: the top-K segments by activation (highest first, each with its track and time range) and the histogram of its activation.",
                "parameters": [_q("model", "Model id (one with a taggrams layer).", TAGGERS, required=True), _q("tag", "A tag of the model (exact name).", required=True),
                               _q("k", "How many segments.", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}),
                               _q("bins", "Histogram bins over [0, 1].", {"type": "integer", "minimum": 2, "maximum": 200, "default": 50})],
                "responses": {"200": {"description": "`top` [{rank, track_id, segment, start, end, activation, title, artist, album}], `histogram` {edges, counts}, `summary` {mean, median, p90, p99, max}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/correlations": {"get": {
                "summary": "Pearson's r and Spearman's rho (average ranks for ties) of two tags of a model over the selected tracks' segments (mode=segments) or their track means (mode=averages); null when a tag is constant there.",
                "parameters": [_q("model", "Model id (one with a taggrams layer).", TAGGERS, required=True), _q("x", "First tag.", required=True), _q("y", "Second tag.", required=True),
                               _q("mode", "segments or averages (one value per track: the mean of its segments).", {"enum": ["segments", "averages"], "default": "segments"}), *SELECTION],
                "responses": {"200": {"description": "{model, x, y, mode, n, n_tracks, pearson, spearman}", "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/correlations/matrix": {"get": {
                "summary": "The correlation matrix of all tags of a model over every segment of the collection, rows and columns in the order of an average-linkage clustering on 1 - r (related tags sit together). Spearman ranks every segment too (average ranks for ties).",
                "parameters": [_q("model", "Model id (one with a taggrams layer).", TAGGERS, required=True), _q("method", "Correlation.", {"enum": ["pearson", "spearman"], "default": "pearson"})],
                "responses": {"200": {"description": "{tags (clustered order), order (their columns), matrix [n][n] (null where undefined), n_segments, n_used, sampled}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/agreement": {"get": {
                "summary": "Model agreement for one track: each extracted model's top-k tags (mean over the track's segments) and, per pair of models, Spearman's rho, Kendall's tau-b and the top-k overlap over the tags both models have.",
                "parameters": [_q("track", "Track id.", INT64, required=True), _q("k", "How many top tags.", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10})],
                "responses": {"200": {"description": "{models: [{model, dataset, top}], pairs: [{a, b, shared, spearman, kendall, top_overlap, k}], skipped}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/ground-truth": {"get": {
                "summary": "Per model tag mapped to the collection's own tags (MTG-Jamendo genre/instrument/mood, or file genres): ROC-AUC and PR-AUC (average precision) of the tracks' mean activation, over the tracks annotated with that kind of tag.",
                "parameters": [_q("model", "Model id (one with a taggrams layer).", TAGGERS, required=True)],
                "responses": {"200": {"description": "{tags: [{tag, labels, n_tracks, n_positive, positive_rate, roc_auc, pr_auc}], unmapped (no mapping), unlabelled (mapped, but no track has that kind of tag), labels_found, message?}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/similar": {"get": {
                "summary": "Similar music: the k segments or tracks nearest (cosine) to a segment or a track, best first, each with its time range to play.",
                "description": "Segment level: the layer's segments; track level: each track's mean, normalised. The query is the segment "
                "when `segment` is given, else the track's mean. Small collections are searched exactly; larger ones through the HNSW "
                "index of `tagscape index-similarity` (`index`: fresh | stale | missing | not-needed; without a fresh index the search "
                "is exact and slower). `method` says which ran.",
                "parameters": [
                    _q("model", "Model id (see /api/models).", MODEL_IDS, required=True),
                    _q("layer", "Layer whose vectors are compared.", {"enum": ["embeddings", "taggrams"], "default": "embeddings"}),
                    _q("track", "The query's track id.", INT64, required=True),
                    _q("segment", "A segment of that track (index within the track) as the query; the track's mean when absent.", INT64),
                    _q("k", "How many results.", {"type": "integer", "minimum": 1, "maximum": 200, "default": 10}),
                    _q("level", "Return segments or whole tracks.", {"enum": ["segment", "track"], "default": "segment"}),
                    _q("exclude_track", "Leave out the query's own track (always at the track level).", {"type": "boolean", "default": True}),
                    _q("exclude_artist", "Leave out every track of the query track's artist.", {"type": "boolean", "default": False}),
                ],
                "responses": {"200": {"description": "query, results [{rank, similarity, track_id, segment, start, end, title, artist, album, genre, duration}], method, index",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/place": {"post": {
                "summary": "A new audio file on the collection's maps: analysed by each map's model, placed into the map, with its nearest tracks.",
                "description": "Placement per map (`placement`): `direct` (original axes: the layer's own values), `transform` (the offline "
                "PCA / std-PCA / t-SNE / UMAP map's fitted reducer, openTSNE's or umap-learn's transform) or `nearest-neighbours` (an "
                "approximation, said in `note`: an on-demand map keeps no reducer, and a reducer not signed by the server's user is never "
                "read; each segment goes to the distance-weighted mean of its 10 nearest segments' positions). Nearest tracks: cosine of "
                "the file's mean row to each track's mean row, in the map's layer. The file is kept a while to be played "
                "(`audio_url`, with `start`/`end` per segment: segment i starts at `i * segment_seconds`), at most a few placements "
                f"and bytes; it is added to the collection only with `add` on a writable server. At most {PlaceLimits().max_bytes // 2**20} MiB "
                f"(413) and {PlaceLimits().max_seconds / 60:g} minutes (422); a file FFmpeg cannot decode is a 422.",
                "parameters": [_q("k", "Nearest tracks per map.", {"type": "integer", "minimum": 1, "maximum": MAX_NEIGHBOURS, "default": 10}),
                               _q("add", "Also add the file to the collection (a writable server; a read-only one answers 409).", {"type": "boolean", "default": False})],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file", "maps"], "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The audio file (any format FFmpeg reads)."},
                        "maps": {"type": "string", "description": f"JSON: a list of 1 to {MAX_MAPS} maps, each "
                                 "{\"model\", \"layer\"?, \"projection\"? (default pca), \"x\"?, \"y\"? (as /api/points), \"ids\"? (track ids: the map of "
                                 "just those tracks, as the explorer's selection)}."}}}}}},
                "responses": {"200": {"description": "{token, url, audio_url, name, duration_seconds, added_track_id, created_at, maps: [{model, layer, "
                                                     "projection, x, y, axis_labels, source, placement, note, segment_seconds, n_segments, "
                                                     "segments: {x, y, start}, neighbours: [{track_id, similarity, title, artist}]}]}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "400": ERROR, "404": ERROR, "409": ERROR, "413": ERROR, "422": ERROR, "503": ERROR},
            }},
            "/api/place/{token}": {
                "get": {"summary": "A kept placement's answer, as the POST gave it.", "parameters": [PLACEMENT],
                        "responses": {"200": {"description": "placement", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": ERROR}},
                "delete": {"summary": "Forget a placement now (its audio is removed).", "parameters": [PLACEMENT],
                           "responses": {"204": {"description": "forgotten"}, "404": ERROR}},
            },
            "/api/place/{token}/audio": {"get": {
                "summary": "A placed file's audio: whole with HTTP Range (formats browsers play), or with start and end a 16-bit WAV clip.",
                "parameters": [PLACEMENT, _q("start", "Clip start, seconds.", {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}),
                               _q("end", "Clip end, seconds (at most 60 s after start).", {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}),
                               {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "audio", "content": {"audio/*": {}}}, "206": {"description": "part of the file"},
                              "400": ERROR, "404": ERROR, "416": ERROR, "422": ERROR},
            }},
            "/api/clusters": {"get": {
                "summary": "Clusters of one map's points (HDBSCAN), each named by the tags most over-represented in it, for every extracted tagger.",
                "description": "The map is named as for /api/points; `labels[i]` is the cluster of that answer's i-th point (-1: noise). "
                "By default the 2D map as shown is clustered (`space=map`: the groups the user sees); `space=layer` clusters the layer's "
                f"vectors by cosine (at most {LAYER_LIMIT:,} points). HDBSCAN runs on a seeded sample of at most {FIT_SAMPLE:,} points "
                f"({LAYER_FIT_SAMPLE:,} on the layer); every other point joins the cluster of its nearest sampled point when within that "
                "cluster's reach (the largest core distance of its sampled members), else it is noise. A tag's lift in a cluster is the "
                "cluster's mean activation minus the whole map's; a cluster's labels are its `top` tags of highest lift, at least `min_lift`. "
                "A model without tags (VGGish) is named by the other extracted taggers over the same time spans; every cluster also "
                "carries its most frequent genre and artist, its name when no tagger names it. Cached and revalidated (ETag) as /api/points.",
                "parameters": [*MAP, CLIENT, *SELECTION, *[_setting(p) for p in CLUSTER_PARAMETERS]],
                "responses": {"200": {"description": "clusters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Clusters"}}}},
                              "304": {"description": "not modified"}, "400": ERROR, "404": ERROR, "409": ERROR},
            }},
            "/api/path": {"get": {
                "summary": "The smoothest path of n items between two tracks (their means) or two segments: the largest step through the layer's "
                           "k-nearest-neighbour graph (cosine distance) is as small as it can be.",
                "description": "The minimax path inside the graph's minimum spanning tree, then `n` of its items evenly along it (or, when it is "
                "shorter, the items that best smooth its largest step inserted); `distinct_artists` is a stated heuristic (`note`). "
                "`format=m3u`: a playlist of this server's audio URLs (segment clips at the segment level); `csv`: position, track_id, "
                f"segment, start, end, step, artist, title. A graph is built over at most {MAX_GRAPH_NODES:,} tracks or segments.",
                "parameters": [
                    _q("model", "Model id.", MODEL_IDS, required=True),
                    _q("layer", "Layer (default: taggrams; embeddings for a model without tags).", {"enum": ["taggrams", "embeddings"]}),
                    _q("from", "Start track id.", INT64, required=True), _q("to", "End track id.", INT64, required=True),
                    _q("level", "Whole tracks or segments.", {"enum": ["track", "segment"], "default": "track"}),
                    _q("from_segment", "level=segment: the start track's segment (default 0).", INT64),
                    _q("to_segment", "level=segment: the end track's segment (default 0).", INT64),
                    _q("n", "Items on the path, start and end included.", {"type": "integer", "minimum": 2, "maximum": MAX_PATH_ITEMS, "default": 10}),
                    _q("distinct_artists", "Each artist at most once (start and end excepted).", {"type": "boolean", "default": False}),
                    _q("format", "json, csv or m3u.", {"enum": ["json", "csv", "m3u"], "default": "json"}),
                ],
                "responses": {"200": {"description": "{model, layer, level, n, distinct_artists, bottleneck (the largest step), minimax_length, note, "
                                                     "items: [{track_id, segment, start, end, step (cosine distance from the item before; null first), "
                                                     "title, artist, duration}]}",
                                      "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {}, "audio/x-mpegurl": {}}},
                              "400": ERROR, "404": ERROR},
            }},
            "/api/trust": {"get": {
                "summary": "How far the map can be trusted, for its title: trustworthiness (Venna and Kaski) and k-NN kept (Euclidean in the layer), "
                           "and the hubness (skewness of the k-occurrence) of the layer (cosine) and of the map, on a seeded sample of at most 2,000 points.",
                "parameters": [*MAP, *SELECTION, _q("k", "Neighbours per point.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10})],
                "responses": {"200": {"description": "{k, n_points, sample, trustworthiness, knn_kept, hubness_layer, hubness_map} (null where undefined)",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "304": {"description": "not modified"},
                              "400": ERROR, "404": ERROR, "409": ERROR},
            }},
            "/api/preservation": {"get": {
                "summary": "Each point's neighbourhood preservation, in /api/points order: the share of its k nearest neighbours in the layer "
                           "(cosine) that are among its k nearest on the map. At most 20,000 points (400 beyond).",
                "parameters": [*MAP, *SELECTION, _q("k", "Neighbours per point.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10})],
                "responses": {"200": {"description": "{k, n_points, mean, preservation: [per point, 0..1]}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "304": {"description": "not modified"},
                              "400": ERROR, "404": ERROR, "409": ERROR},
            }},
            "/api/neighbours": {"get": {
                "summary": "One point's k true nearest neighbours in the layer (cosine, among the map's points) beside its k nearest on the map, "
                           "each as `point` (its index in /api/points' answer), `track_id` and `segment`; `preserved` is the share in both.",
                "description": "Maps of every segment of a large layer ask the similarity search (its HNSW index when built: `method`). "
                               "In averages mode a point is a track (no `segment`).",
                "parameters": [*MAP, *SELECTION, _q("k", "Neighbours per point.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}), _q("track", "The point's track id.", INT64, required=True),
                               _q("segment", "The point's segment index within its track (not in averages mode).", INT64)],
                "responses": {"200": {"description": "{point, k, method, layer_neighbours: [{point, track_id, segment, similarity}], map_neighbours: [{point, track_id, segment, distance}], preserved}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR, "409": ERROR},
            }},
            "/api/study/{token}": {"get": {
                "summary": "A listening study as its raters see it (the page /study/{token} reads it): name, clip length, and per trial its "
                           "candidates' labels. No track, artist, model or time: candidates are shuffled and anonymised.",
                "parameters": [STUDY, _q("rater", "A rater's pseudonym: adds the trials they answered (`answered`).", {"type": "string", "maxLength": 200})],
                "responses": {"200": {"description": "{name, clip_seconds, n_trials, trials: [{trial, candidates: [label]}], answered: [trial]}",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/study/{token}/clip/{trial}/{label}": {"get": {
                "summary": "A trial's reference (`ref`) or candidate clip as a 16-bit WAV (no name, no track id).",
                "parameters": [STUDY, _path("trial", "The trial's number (from 0)."),
                               {"name": "label", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 100}, "description": "ref, or a candidate's letter"}],
                "responses": {"200": {"description": "clip", "content": {"audio/wav": {}}}, "404": ERROR},
            }},
            "/api/study/{token}/answers": {"post": {
                "summary": "A rater's choice in one trial, stored with their pseudonym and the time (a later answer to the same trial replaces it). "
                           "A read-only server answers 409.",
                "parameters": [STUDY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["rater", "trial", "choice"], "properties": {
                    "rater": {"type": "string", "minLength": 1, "maxLength": 64, "description": "a pseudonym"}, "trial": INT64,
                    "choice": {"type": "string", "description": "a candidate's label"}}}}}},
                "responses": {"200": {"description": "{answered: trials this rater answered, n_trials}", "content": {"application/json": {"schema": {"type": "object"}}}},
                              "400": ERROR, "404": ERROR, "409": ERROR, "413": ERROR},
            }},
            "/api/studies": {"get": {
                "summary": "The collection's listening studies (made with `tagscape study create`): id, raters' token, name, layer, models, trials, answers, raters.",
                "responses": {"200": {"description": "{studies: [...]}", "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
            "/api/studies/{study_id}/results": {"get": {
                "summary": "A study's results: each model's (and the random control's) preference rate, the share of answers choosing its "
                           "candidate, with a 95 % Wilson score interval; inter-rater agreement as Krippendorff's alpha (nominal: trials are "
                           "units, the chosen candidate the value; null when undefined).",
                "parameters": [_path("study_id", "A study's id (from /api/studies)."), _q("format", "json or csv.", {"enum": ["json", "csv"], "default": "json"})],
                "responses": {"200": {"description": "{study, n_answers, n_raters, confidence, interval, rates: [{source, chosen, answers, rate, ci_low, ci_high}], "
                                                     "agreement: {measure, alpha, units}}",
                                      "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {}}}, "400": ERROR, "404": ERROR},
            }},
            "/api/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/api/docs": {"get": {"summary": "This document as a page to read (Swagger UI, served with the package).",
                                  "responses": {"200": {"description": "an HTML page", "content": {"text/html": {}}}}}},
        },
        "components": {
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
                "Track": {"type": "object", "properties": {name: {"type": ["string", "number", "integer", "null"]} for name in
                          ("track_id", "key", "title", "artist", "album", "genre", "year", "tracknumber", "duration")}},
                "About": {"type": "object", "required": ["name", "kind", "tracks", "hours", "sources", "licences", "unlicensed_tracks", "unsourced_tracks"],
                          "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string", "description": "folder or jamendo"},
                    "tracks": {"type": "integer"}, "hours": {"type": "number"},
                    "sources": {"type": "array", "description": "most tracks first", "items": {"type": "object", "properties": {
                        "source": {"type": "string", "description": "e.g. a Debian package's name"},
                        "versions": {"type": "array", "items": {"type": "string"}}, "url": {"type": ["string", "null"]},
                        "tracks": {"type": "integer"}, "hours": {"type": "number"},
                        "licences": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "tracks": {"type": "integer"}}}},
                        "styles": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "tracks": {"type": "integer"}}}},
                        "copyright": {"type": "array", "items": {"type": "string"}, "description": "distinct copyright lines (at most 50)"},
                        "copyright_more": {"type": "integer", "description": "lines beyond those listed"}}}},
                    "licences": {"type": "array", "description": "most tracks first", "items": {"type": "object", "properties": {
                        "licence": {"type": "string", "description": "as the tracks name it (an SPDX expression for the demo)"},
                        "name": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]},
                        "requires": {"type": ["string", "null"], "description": "what reusing the music requires, for licences tagscape knows"},
                        "tracks": {"type": "integer"}, "hours": {"type": "number"}, "sources": {"type": "array", "items": {"type": "string"}}}}},
                    "unlicensed_tracks": {"type": "integer"}, "unsourced_tracks": {"type": "integer"}}},
                "TrackPage": {"type": "object", "properties": {"total": {"type": "integer"}, "collection_tracks": {"type": "integer"}, "offset": {"type": "integer"},
                              "tracks": {"type": "array", "items": {"$ref": "#/components/schemas/Track"}}}},
                "Models": {"type": "object", "properties": {
                    "collection": {"type": "object"}, "architectures": {"type": "array"}, "datasets": {"type": "array"}, "projections": {"type": "array"},
                    "models": {"type": "array", "items": {"type": "object", "properties": {
                        "model_id": {"type": "string"}, "architecture": {"type": "string"}, "dataset": {"type": "string"}, "extracted": {"type": "boolean"},
                        "segment_seconds": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}},
                        "layers": {"type": "array", "items": {"type": "object", "properties": {
                            "name": {"type": "string"}, "size": {"type": "integer"}, "labels": {"type": ["array", "null"]},
                            "node": {"type": "string", "description": "the original TensorFlow graph's node this layer equals (under model/), e.g. dense/BiasAdd"},
                            "description": {"type": "string", "description": "what the layer is, in words"},
                            "projections": {"type": "object", "description": "method -> {offline: fresh|stale|missing|null, on_demand: bool, components?, on_demand_limit?}"}}}},
                    }}},
                }},
                "Clusters": {"type": "object", "required": ["labels", "clusters", "named_by", "settings"], "properties": {
                    "model": {"type": "string"}, "layer": {"type": "string"}, "projection": {"type": "string"}, "mode": {"type": "string"},
                    "settings": {"type": "object", "description": "the clustering settings used (defaults filled in)"},
                    "named_by": {"type": ["string", "null"], "description": "the tagger whose tags make the names (null: metadata)"},
                    "n_points": {"type": "integer"}, "n_clusters": {"type": "integer"}, "noise": {"type": "integer"}, "fit_points": {"type": "integer"},
                    "labels": {"type": "array", "items": {"type": "integer", "minimum": -1}, "description": "per point, in /api/points order; -1: noise"},
                    "clusters": {"type": "array", "description": "largest first; id = the label", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "size": {"type": "integer"}, "name": {"type": "string"},
                        "centroid": {"type": "array", "items": {"type": "number"}, "description": "mean x, y of its points"},
                        "anchor": {"type": "array", "items": {"type": "number"}, "description": "the member nearest the centroid: where to draw the name"},
                        "labels": {"type": "object", "description": "tagger -> [{tag, lift, mean}], highest lift first"},
                        "metadata": {"type": "object", "description": "genre / artist -> {value, share} or null"}}}},
                    "seconds": {"type": "number"}, "server_seconds": {"type": "number"}}},
                "PointsHeader": {"type": "object", "properties": {
                    "model": {"type": "string"}, "layer": {"type": "string"}, "projection": {"type": "string"}, "mode": {"type": "string"},
                    "axis_labels": {"type": "array", "items": {"type": "string"}}, "explained_variance": {"type": ["array", "null"]},
                    "source": {"type": "string"}, "segment_seconds": {"type": "number"}, "n_points": {"type": "integer"}, "n_tracks": {"type": "integer"},
                    "n_segments": {"type": "integer"}, "tracks_selected": {"type": "integer"}, "tracks_total": {"type": "integer"},
                    "bounds": {"type": ["object", "null"]}, "server_seconds": {"type": "number"},
                    "tracks": {"type": "object", "description": "columns: track_id, title, artist, album, genre, duration, n_segments"},
                    "arrays": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "dtype": {"type": "string"}, "offset": {"type": "integer"}, "count": {"type": "integer"}}}},
                    "points": {"type": "object", "description": "format=json only: the arrays as lists"},
                }},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
