"""Clusters of a map's points, named by the tags the model hears in them.

**Where clustering happens.** By default on the 2D map (``space="map"``): the groups a user is
told about are the groups the user sees, and two columns make HDBSCAN's kd-tree fast. On the
layer (``space="layer"``) the clusters follow the model's own geometry (cosine: rows scaled to
unit length, as the similar-music search compares them), which a 2D map may have torn or merged;
it costs more and is bounded (:data:`LAYER_LIMIT` points in a request).

**HDBSCAN on a sample, the rest assigned.** scikit-learn's HDBSCAN takes 42 s for 100k 2-D points
on 2 cores (0.7 s for 10k; fast_hdbscan took 6-8 s for 100k and 133 s for 1 M after a 100 s
first compile: measured here, see ``bench/clusters.py``). So at most :data:`FIT_SAMPLE` points
(a seeded random sample; :data:`LAYER_FIT_SAMPLE` on the layer) are clustered; every other point
takes the label of its nearest sampled point when that point is in a cluster and it lies within
the cluster's *reach* (the largest core distance of its sampled members: the distance to their
``min_samples``-th neighbour in the sample, the sparsest scale at which HDBSCAN still kept them),
and is noise (-1) otherwise.

**Naming rule.** For each tagger, a cluster's *lift* of a tag is the cluster's mean activation
minus the whole map's mean activation (both over the points whose segments that tagger has). A
cluster is named by its ``top`` tags of highest lift, among those with a lift of at least
``min_lift``; a cluster where no tag stands out that much has no tag label. The map's own model
names its clusters when it has tags; a model without tags (VGGish) borrows every other extracted
tagger's activations over the same time spans (the segment of that tagger that holds the
middle of the point's segment). Each cluster also gets its most frequent genre and artist (share
of its points), the name when no tagger has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tagscape.errors import UsageError

SPACES = ("map", "layer")
#: HDBSCAN's cluster selection. ``leaf`` (the default): the finest clusters of its tree, the groups
#: a reader names. ``eom`` (excess of mass, HDBSCAN's own default) merged 95 % of the real-music
#: demo's t-SNE map (MusiCNN-MSD taggrams, 2,218 segments) into one cluster (style purity 0.42);
#: ``leaf`` found 29 clusters of 0.76 purity, leaving 35 % of the points as noise.
SELECTIONS = ("leaf", "eom")
#: Most points HDBSCAN itself clusters (map space: 0.7 s for 10k on 2 busy cores); the others are assigned.
FIT_SAMPLE = 10_000
#: The same on the layer (brute force over up to 200-d rows: 1.3 s for 5k; the kd-tree is slower there).
LAYER_FIT_SAMPLE = 5_000
#: Most points a request clusters on the layer (assigning each to its nearest sampled row is n x 5k x d).
LAYER_LIMIT = 100_000
#: Fewer points than this are all noise (a map of a handful of tracks in averages mode has no groups to name).
MIN_POINTS = 10


@dataclass(frozen=True)
class Parameter:
    """A setting of clustering that users may change: the request parameter, the CLI option and
    the OpenAPI entry are made from this one row."""

    name: str
    kind: type  # int, float or str
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


PARAMETERS = (
    Parameter("space", str, "map", "Cluster the 2D map as shown (map) or the layer's vectors by cosine (layer, at most 100k points).", choices=SPACES),
    Parameter("selection", str, "leaf", "HDBSCAN's cluster selection: leaf (the finest groups) or eom (excess of mass: fewer, larger clusters).",
              choices=SELECTIONS),
    Parameter("min_share", float, 0.02, "Smallest cluster, as a share of the points.", 0.0005, 0.5),
    Parameter("min_samples", int, 10, "HDBSCAN's min_samples: higher calls more points noise.", 1, 100),
    Parameter("top", int, 3, "Tags per cluster name.", 1, 10),
    Parameter("min_lift", float, 0.05, "A tag names a cluster when its mean activation there exceeds the map's by at least this.", 0.0, 1.0),
)
DEFAULTS = {p.name: p.default for p in PARAMETERS}


@dataclass
class Cluster:
    """One cluster: its points' share of the map, where to write its name, and what names it."""

    id: int
    size: int
    centroid: tuple[float, float]
    anchor: tuple[float, float]  # the member nearest the centroid: a name drawn there sits on points
    name: str
    labels: dict[str, list[dict]] = field(default_factory=dict)  # tagger -> [{tag, lift, mean}]
    metadata: dict[str, dict | None] = field(default_factory=dict)  # genre / artist -> {value, share}

    def to_json(self) -> dict:
        return {"id": self.id, "size": self.size, "centroid": list(self.centroid), "anchor": list(self.anchor), "name": self.name,
                "labels": self.labels, "metadata": self.metadata}


@dataclass
class MapClusters:
    """Clusters of a map: ``labels`` per point in the map's point order (-1: noise)."""

    labels: np.ndarray  # (n,) int32
    clusters: list[Cluster]
    settings: dict
    named_by: str | None  # the tagger whose tags make the names (None: metadata)
    fit_points: int
    seconds: float = 0.0

    @property
    def noise(self) -> int:
        return int((self.labels < 0).sum())

    def lines(self, *, limit: int = 30) -> list[str]:
        """The clusters as text, largest first (what ``tagscape project --clusters`` prints)."""
        n = max(len(self.labels), 1)
        out = [f"{len(self.clusters)} clusters ({self.settings['space']} space), noise {self.noise:,} points ({self.noise / n:.0%}), "
               f"named by {self.named_by or 'genre / artist'}"]
        for c in self.clusters[:limit]:
            genre = c.metadata.get("genre")
            extra = f"  [genre {genre['value']} {genre['share']:.0%}]" if genre else ""
            out.append(f"{c.id:>3}  {c.size:>9,} ({c.size / n:4.0%})  {c.name}{extra}")
        if len(self.clusters) > limit:
            out.append(f"... and {len(self.clusters) - limit} smaller clusters")
        return out

    def to_json(self) -> dict:
        return {"settings": self.settings, "named_by": self.named_by, "n_points": int(len(self.labels)), "n_clusters": len(self.clusters),
                "noise": self.noise, "fit_points": self.fit_points, "seconds": round(self.seconds, 4),
                "clusters": [c.to_json() for c in self.clusters], "labels": self.labels.tolist()}


def check_settings(**given) -> dict:
    """The clustering settings: defaults for what is not given (None counts as not given), each
    value checked against :data:`PARAMETERS` (a :class:`UsageError` names a bad one)."""
    out = dict(DEFAULTS)
    known = {p.name: p for p in PARAMETERS}
    for name, value in given.items():
        if name not in known:
            raise UsageError(f"unknown clustering setting {name!r}; known: {', '.join(known)}")
        if value is None:
            continue
        p = known[name]
        if p.choices:
            if value not in p.choices:
                raise UsageError(f"{name} must be one of {', '.join(p.choices)}, got {str(value)[:80]!r}")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
                raise UsageError(f"{name} must be a number, got {str(value)[:80]!r}")
            if p.kind is int and int(value) != value:
                raise UsageError(f"{name} must be an integer, got {value!r}")
            if not p.minimum <= value <= p.maximum:
                raise UsageError(f"{name} must be between {p.minimum:g} and {p.maximum:g}, got {value:g}")
            value = p.kind(value)
        out[name] = value
    return out


# -- clustering --------------------------------------------------------------------------


def _unit(rows: np.ndarray) -> np.ndarray:
    out = np.array(rows, np.float32, copy=True, ndmin=2)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def cluster_points(*, points: np.ndarray, space: str = "map", min_share: float = DEFAULTS["min_share"], min_samples: int = DEFAULTS["min_samples"],
                   selection: str = DEFAULTS["selection"], fit_sample: int | None = None, random_state: int = 0) -> tuple[np.ndarray, int]:
    """HDBSCAN labels of every point (-1: noise), fitted on a sample and assigned (see the module).

    Parameters
    ----------
    points : ndarray [shape=(n, d)]
        Map coordinates (``space="map"``, d = 2) or layer rows (``space="layer"``; compared by cosine).
    min_share : float
        Smallest cluster as a share of the points (HDBSCAN's ``min_cluster_size`` in the sample).
    fit_sample : int, optional
        Most points clustered by HDBSCAN itself; :data:`FIT_SAMPLE` (map) or :data:`LAYER_FIT_SAMPLE` (layer).

    Returns
    -------
    labels : ndarray [shape=(n,), dtype=int32]
        Cluster ids 0..c-1 numbered by decreasing size, or -1.
    fit_points : int
        How many points HDBSCAN clustered.
    """
    from sklearn.cluster import HDBSCAN
    from sklearn.neighbors import NearestNeighbors

    if space not in SPACES:
        raise UsageError(f"space must be one of {', '.join(SPACES)}, got {space!r}")
    if selection not in SELECTIONS:
        raise UsageError(f"selection must be one of {', '.join(SELECTIONS)}, got {selection!r}")
    n = len(points)
    if n < MIN_POINTS:
        return np.full(n, -1, np.int32), 0
    X = _unit(points) if space == "layer" else np.asarray(points, np.float32)
    if not np.isfinite(X).all():
        raise UsageError("the points hold NaN or infinite coordinates; they cannot be clustered")
    limit = fit_sample or (LAYER_FIT_SAMPLE if space == "layer" else FIT_SAMPLE)
    sampled = n > limit
    fit_rows = np.sort(np.random.default_rng(random_state).choice(n, size=limit, replace=False)) if sampled else np.arange(n)
    fit = X[fit_rows]
    min_samples = min(min_samples, len(fit) - 1)
    min_cluster_size = max(2, int(round(min_share * len(fit))))
    # kd-tree in 2D; brute force on the layer (a kd-tree in 50-200 dimensions visits every leaf anyway).
    algorithm = "kd_tree" if space == "map" else "brute"
    fit_labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, algorithm=algorithm, cluster_selection_method=selection,
                         copy=True).fit(fit).labels_

    if sampled:
        index = NearestNeighbors(n_neighbors=min_samples, algorithm="kd_tree" if space == "map" else "brute").fit(fit)
        core = index.kneighbors(fit, n_neighbors=min_samples)[0][:, -1]  # as HDBSCAN counts: the point itself first
        labels = np.full(n, -1, np.int64)
        labels[fit_rows] = fit_labels
        rest = np.setdiff1d(np.arange(n), fit_rows, assume_unique=True)
        distance, nearest = index.kneighbors(X[rest], n_neighbors=1)
        nearest, distance = nearest[:, 0], distance[:, 0]
        # A cluster's reach: the largest core distance among its sampled members (the sparsest
        # part HDBSCAN still kept in it). Each sampled point's own core distance would call half
        # of the points noise on a 50-200-d layer, where all distances are much alike.
        member = fit_labels >= 0
        reach = np.zeros(int(fit_labels.max()) + 1 if member.any() else 0)
        np.maximum.at(reach, fit_labels[member], core[member])
        found = fit_labels[nearest]
        labels[rest] = np.where((found >= 0) & (distance <= reach[np.maximum(found, 0)] if len(reach) else False), found, -1)
    else:
        labels = fit_labels.astype(np.int64)
    return _by_size(labels), int(len(fit_rows))


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0.. by decreasing size (ties: the old order), noise kept at -1."""
    found = labels >= 0
    if not found.any():
        return np.full(len(labels), -1, np.int32)
    counts = np.bincount(labels[found])
    order = np.argsort(-counts, kind="stable")
    new = np.full(len(counts), -1, np.int64)
    new[order[counts[order] > 0]] = np.arange(int((counts > 0).sum()))
    out = np.full(len(labels), -1, np.int32)
    out[found] = new[labels[found]]
    return out


# -- naming ------------------------------------------------------------------------------


def cluster_means(*, labels: np.ndarray, values: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster mean of ``values`` and the mean over every point, ignoring rows with a NaN.

    Parameters
    ----------
    labels : ndarray [shape=(n,)]
    values : ndarray [shape=(n, t)]
        Rows of NaN are points without values (a tagger that lacks their track).

    Returns
    -------
    means : ndarray [shape=(n_clusters, t), dtype=float64]  (NaN for a cluster with no valued point)
    overall : ndarray [shape=(t,), dtype=float64]
    """
    values = np.asarray(values)
    valued = ~np.isnan(values).any(axis=1) if values.dtype.kind == "f" else np.ones(len(values), bool)
    everything = bool(valued.all())
    # float64 sums straight from the stored dtype (float16 for 1 M x 50: no float64 copy of the block)
    overall = (values if everything else values[valued]).mean(axis=0, dtype=np.float64) if valued.any() else np.full(values.shape[1], np.nan)
    rows = np.flatnonzero(valued & (labels >= 0))
    means = np.full((n_clusters, values.shape[1]), np.nan)
    if len(rows):
        order = rows[np.argsort(labels[rows], kind="stable")]  # members grouped by cluster
        sorted_labels = labels[order]
        starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
        sums = np.add.reduceat(values[order], starts, axis=0, dtype=np.float64)
        counts = np.diff(np.r_[starts, len(order)])
        means[sorted_labels[starts]] = sums / counts[:, None]
    return means, overall


def name_clusters(*, labels: np.ndarray, activations: np.ndarray, tags, top: int = DEFAULTS["top"], min_lift: float = DEFAULTS["min_lift"]) -> list[list[dict]]:
    """For each cluster 0..max(labels), its ``top`` tags by lift (see the module), best first.

    Parameters
    ----------
    labels : ndarray [shape=(n,)]
    activations : ndarray [shape=(n, len(tags))]
        Each point's tag activations (NaN rows: no values for that point).

    Returns
    -------
    list (one per cluster) of list of ``{"tag", "lift", "mean"}``
    """
    n_clusters = int(labels.max()) + 1 if len(labels) else 0
    if n_clusters == 0:
        return []
    means, overall = cluster_means(labels=labels, values=activations, n_clusters=n_clusters)
    lift = means - overall[None, :]
    out = []
    for c in range(n_clusters):
        row = np.nan_to_num(lift[c], nan=-np.inf)
        order = np.argsort(-row, kind="stable")[:top]
        out.append([{"tag": tags[i], "lift": round(float(row[i]), 4), "mean": round(float(means[c, i]), 4)} for i in order if row[i] >= min_lift])
    return out


def most_frequent(*, labels: np.ndarray, codes: np.ndarray, names) -> list[dict | None]:
    """For each cluster, its most frequent non-empty value and that value's share of the cluster's points.

    Parameters
    ----------
    labels : ndarray [shape=(n,)]
    codes : ndarray [shape=(n,), dtype=int]
        Each point's value as an index into ``names`` (coded per track, not per point: 1 M
        strings would take seconds to sort).
    names : sequence of str
        The values; an empty one is unknown and never names a cluster.
    """
    n_clusters = int(labels.max()) + 1 if len(labels) else 0
    if n_clusters == 0:
        return []
    names = np.asarray(names, dtype=object)
    member = labels >= 0
    sizes = np.bincount(labels[member], minlength=n_clusters)
    flat = labels[member].astype(np.int64) * len(names) + np.asarray(codes)[member]
    counts = np.bincount(flat, minlength=n_clusters * len(names)).reshape(n_clusters, len(names))
    counts[:, [i for i, name in enumerate(names) if not name]] = 0
    best = counts.argmax(axis=1)
    return [{"value": str(names[best[c]]), "share": round(float(counts[c, best[c]] / sizes[c]), 4)} if counts[c, best[c]] > 0 else None
            for c in range(n_clusters)]


def describe(*, coords: np.ndarray, labels: np.ndarray, activations: dict[str, tuple[tuple[str, ...], np.ndarray]], metadata: dict[str, tuple[list[str], np.ndarray]],
             primary: str | None, top: int = DEFAULTS["top"], min_lift: float = DEFAULTS["min_lift"]) -> list[Cluster]:
    """Every cluster's size, centroid, anchor, tag labels per tagger and most frequent metadata.

    Parameters
    ----------
    coords : ndarray [shape=(n, 2)]
        Where the points are drawn (centroids and anchors are in these coordinates).
    labels : ndarray [shape=(n,)]
    activations : dict
        tagger id -> (its tags, activations [shape=(n, n_tags)], NaN rows where it has none).
    metadata : dict
        field (``genre``, ``artist``) -> (values, each point's code into them [shape=(n,)]); see :func:`most_frequent`.
    primary : str or None
        The tagger whose labels make each cluster's ``name``; the metadata name it otherwise.
    """
    n_clusters = int(labels.max()) + 1 if len(labels) else 0
    if n_clusters == 0:
        return []
    member = labels >= 0
    centroids, _ = cluster_means(labels=labels, values=np.asarray(coords, np.float64), n_clusters=n_clusters)
    # The anchor: the member nearest its centroid (a ring-shaped cluster's mean lies off its points).
    distance = np.full(len(labels), np.inf)
    distance[member] = ((coords[member] - centroids[labels[member]]) ** 2).sum(axis=1)
    order = np.lexsort((distance, labels))
    first = np.searchsorted(labels[order], np.arange(n_clusters))
    anchors = coords[order[first]]
    sizes = np.bincount(labels[member], minlength=n_clusters)
    names = {model: name_clusters(labels=labels, activations=values, tags=tags, top=top, min_lift=min_lift) for model, (tags, values) in activations.items()}
    frequent = {name: most_frequent(labels=labels, codes=codes, names=names) for name, (names, codes) in metadata.items()}
    out = []
    for c in range(n_clusters):
        meta = {name: rows[c] for name, rows in frequent.items()}
        tags = names.get(primary, [[]] * n_clusters)[c] if primary else []
        if tags:
            name = " · ".join(item["tag"] for item in tags)
        else:
            known = [item for item in (meta.get("genre"), meta.get("artist")) if item]
            name = known[0]["value"] if known else f"cluster {c + 1}"
        out.append(Cluster(c, int(sizes[c]), (float(centroids[c, 0]), float(centroids[c, 1])), (float(anchors[c, 0]), float(anchors[c, 1])), name,
                           {model: rows[c] for model, rows in names.items()}, meta))
    return out


# -- a collection's map --------------------------------------------------------------------


def point_rows(array, *, point_tracks: np.ndarray, point_segments: np.ndarray, segment_seconds: float, own_seconds: float) -> np.ndarray:
    """Each point's row in ``array`` (a :class:`~tagscape.store.layers.LayerArray`), -1 where its track is missing.

    A point is the segment ``point_segments`` of its track for a model of ``own_seconds``
    segments; its row is the segment of ``array``'s model (``segment_seconds`` long) that holds
    the middle of that time span, the track's last one at most.
    """
    tracks = np.asarray(point_tracks, np.int64)
    if not array.n_tracks:
        return np.full(len(tracks), -1, np.int64)
    position = np.minimum(np.searchsorted(array.track_ids, tracks), array.n_tracks - 1)
    present = array.track_ids[position] == tracks
    segments = np.asarray(point_segments, np.int64)
    if not np.isclose(segment_seconds, own_seconds):  # another model's segments: the one holding the middle
        segments = np.floor((segments + 0.5) * own_seconds / segment_seconds).astype(np.int64)
    lengths = array.offsets[position + 1] - array.offsets[position]
    rows = array.offsets[position] + np.minimum(segments, lengths - 1)
    return np.where(present & (lengths > 0), rows, -1)


def _read_rows(array, rows: np.ndarray) -> np.ndarray:
    """``array.values[rows]`` as float32, NaN rows where ``rows`` is -1."""
    out = np.full((len(rows), array.values.shape[1]), np.nan, np.float32)
    valid = rows >= 0
    if valid.any():
        wanted = rows[valid]
        order = np.argsort(wanted, kind="stable")  # a memory map reads sorted rows fastest
        block = np.empty((len(wanted), array.values.shape[1]), np.float32)
        block[order] = array.values[wanted[order]]
        out[valid] = block
    return out


def _track_means(array, *, point_tracks: np.ndarray) -> np.ndarray:
    """Each point's track mean of ``array`` (maps of track averages), NaN where the track is missing."""
    ids = np.unique(point_tracks)
    rows, row_tracks = array.rows_for(ids)
    means = np.full((len(ids), array.values.shape[1]), np.nan, np.float32)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, row_tracks[1:] != row_tracks[:-1]])
        sums = np.add.reduceat(np.asarray(array.values[rows], np.float64), starts, axis=0)
        means[np.searchsorted(ids, row_tracks[starts])] = sums / np.diff(np.r_[starts, len(rows)])[:, None]
    return means[np.searchsorted(ids, point_tracks)]


def point_values(collection, model_id: str, layer: str, *, point_tracks, point_segments, own_seconds: float, averages: bool) -> np.ndarray:
    """Each point's row of a model's layer (float32, NaN where missing), aligned in time (see
    :func:`point_rows`); with ``averages``, each point's track mean. ``(n, layer size)``."""
    from tagscape.models.registry import get_model

    array = collection.layer(model_id, layer)
    if averages:
        return _track_means(array, point_tracks=np.asarray(point_tracks, np.int64))
    rows = point_rows(array, point_tracks=point_tracks, point_segments=point_segments, segment_seconds=get_model(model_id).segment_seconds,
                      own_seconds=own_seconds)
    return _read_rows(array, rows)


def map_clusters(collection, *, model_id: str, layer: str, coords: np.ndarray, point_tracks: np.ndarray, point_segments: np.ndarray,
                 averages: bool = False, table=None, random_state: int = 0, max_layer_points: int | None = LAYER_LIMIT, cancel=None,
                 **settings) -> MapClusters:
    """Cluster a map's points and name the clusters (the Python API; the web and CLI call it).

    Parameters
    ----------
    coords : ndarray [shape=(n, 2)]
        The points as drawn, in the map's order (``labels`` come back in this order).
    point_tracks : ndarray [shape=(n,)]
        Each point's track id.
    point_segments : ndarray [shape=(n,)]
        Each point's segment index within its track (ignored when ``averages``: one point per track).
    table : TrackTable, optional
        The collection's track table (genre, artist); read when not given.
    max_layer_points : int or None
        Most points clustered on the layer (``space="layer"``); None: no bound (the command line).
    **settings
        See :data:`PARAMETERS`.
    """
    import time

    from tagscape.models.registry import MODELS, get_model
    from tagscape.selection import TrackTable

    started = time.perf_counter()
    options = check_settings(**settings)
    spec = get_model(model_id)
    coords = np.asarray(coords, np.float32).reshape(-1, 2)
    point_tracks = np.asarray(point_tracks, np.int64)
    point_segments = np.zeros(len(point_tracks), np.int64) if averages else np.asarray(point_segments, np.int64)
    if not len(coords) == len(point_tracks) == len(point_segments):
        raise UsageError(f"coords, point_tracks and point_segments differ in length: {len(coords)}, {len(point_tracks)}, {len(point_segments)}")
    if options["space"] == "layer":
        if max_layer_points is not None and len(coords) > max_layer_points:
            raise UsageError(f"clustering on the layer takes at most {max_layer_points:,} points here, and this map has {len(coords):,}: "
                             "cluster the map (space=map), choose fewer tracks, or use tagscape project --clusters")
        points = point_values(collection, model_id, layer, point_tracks=point_tracks, point_segments=point_segments, own_seconds=spec.segment_seconds,
                               averages=averages)
        points = np.nan_to_num(points)
    else:
        points = coords
    labels, fit_points = cluster_points(points=points, space=options["space"], min_share=options["min_share"], min_samples=options["min_samples"],
                                        selection=options["selection"], random_state=random_state)
    if cancel is not None and cancel():
        from tagscape.projections.methods import Cancelled

        raise Cancelled("a newer request replaced this one")

    extracted = set(collection.store.result_models())
    taggers = [m for m in ([model_id] + [m for m in MODELS if m != model_id]) if m in extracted and MODELS[m].tags]
    activations = {m: (tuple(MODELS[m].tags), point_values(collection, m, "taggrams", point_tracks=point_tracks, point_segments=point_segments,
                                                            own_seconds=spec.segment_seconds, averages=averages)) for m in taggers}
    table = table if table is not None else TrackTable(collection.tracks())
    ids = np.unique(point_tracks)
    track_of_point = np.searchsorted(ids, point_tracks)
    metadata = {}
    for name in ("genre", "artist"):
        per_track = [(table.row(int(t)) or {}).get(name) or "" for t in ids]
        names, codes = np.unique(np.asarray(per_track, dtype=object).astype(str), return_inverse=True) if len(ids) else (np.array([""]), np.zeros(0, np.int64))
        metadata[name] = (list(names), codes[track_of_point] if len(ids) else np.zeros(0, np.int64))
    clusters = describe(coords=coords, labels=labels, activations=activations, metadata=metadata, primary=taggers[0] if taggers else None,
                        top=options["top"], min_lift=options["min_lift"])
    return MapClusters(labels, clusters, options, taggers[0] if taggers else None, fit_points, time.perf_counter() - started)


def projection_clusters(collection, projection, *, averages: bool = False, **options) -> MapClusters:
    """Clusters of a :class:`~tagscape.projections.maps.Projection` (a notebook's one-liner).

    ``averages``: cluster one point per track (the mean of its points), as the explorer's averages mode draws them.
    """
    if averages:
        ids, means, _ = projection.track_averages()
        return map_clusters(collection, model_id=projection.model_id, layer=projection.layer, coords=means, point_tracks=ids,
                            point_segments=np.zeros(len(ids), np.int64), averages=True, **options)
    return map_clusters(collection, model_id=projection.model_id, layer=projection.layer, coords=projection.coords, point_tracks=projection.track_ids,
                        point_segments=projection.segment_index, **options)
