"""The smoothest path between two tracks (or segments): a walk through the collection whose
largest step, in a layer's space, is as small as it can be.

Between two nodes of a weighted graph, the path inside the graph's minimum spanning tree
minimises the largest edge (a minimax, or bottleneck, path); with distinct weights it is also
the one whose steps, sorted from the largest, are lexicographically smallest, so it is unique.
The graph is the symmetric k-nearest-neighbour graph of the layer's vectors (cosine distance of
track means, or of segments), with each connected component joined to its nearest other one, so
that every pair is connected. When the complete graph's minimum spanning tree is inside the k-NN
graph (its edges join near neighbours, as they almost always do) the path is the minimax path
among *all* tracks.

A path of exactly ``n`` items is made from it: a longer one keeps ``n`` of its items evenly
spread along its length (start and end kept); a shorter one gets, one at a time, the unused item
that makes the currently largest step smoothest (the ``x`` minimising ``max(d(a, x), d(x, b))``
between the step's ends ``a`` and ``b``). With ``distinct_artists``, items whose artist is
already on the path are dropped before that and never inserted: a heuristic (an exact minimax
path with distinct labels is a much harder problem), said so in the answer.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    minimum_spanning_tree,
)

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.registry import get_model

#: Neighbours per node of the graph.
PATH_K = 10
#: Most items a path may hold.
MAX_PATH_ITEMS = 200
#: Most vectors a request builds a path's graph over. Building it is an exact k-NN search, about
#: n^2 (d + log k) operations: 2.1 s for 5,000 random 200-d vectors, 36 s for 20,000 (the top-k
#: selection dominates) on 2 cores under a load average of 12 (measured with neighbour_graph).
MAX_GRAPH_NODES = 20_000
#: What the command line builds it over (every track of MTG-Jamendo: minutes, once).
CLI_GRAPH_NODES = 100_000
LEVELS = ("track", "segment")
#: Added to every distance: a zero-length edge (two equal vectors) is still an edge in a sparse graph.
EPSILON = 1e-9


# -- pure functions on graphs and vectors ------------------------------------------------------


def minimax_path(*, graph: csr_matrix, start: int, end: int) -> np.ndarray:
    """The path from ``start`` to ``end`` inside the graph's minimum spanning tree.

    Parameters
    ----------
    graph : sparse matrix [shape=(n, n)]
        Edge weights (> 0) of an undirected graph; either triangle or both may hold an edge.
    start, end : int

    Returns
    -------
    ndarray [shape=(m,), dtype=int64]
        Nodes from ``start`` to ``end``; :class:`NotFoundError` when they are not connected.
    """
    tree = minimum_spanning_tree(graph)
    tree = tree + tree.T
    _, predecessors = breadth_first_order(tree, start, directed=False, return_predecessors=True)
    if start != end and predecessors[end] < 0:
        raise NotFoundError("the start and the end are not connected in the neighbour graph")
    path = [end]
    while path[-1] != start:
        path.append(int(predecessors[path[-1]]))
    return np.array(path[::-1], np.int64)


#: Similarities computed at once while the graph is built: 16 M float32 (64 MB), whatever the number of nodes.
GRAPH_BLOCK = 1 << 24


def neighbour_graph(*, vectors: np.ndarray, k: int = PATH_K, chunk_rows: int | None = None) -> csr_matrix:
    """The symmetric k-NN graph of unit vectors, cosine distances as weights, made connected.

    Parameters
    ----------
    vectors : ndarray [shape=(n, d), dtype=float32]
        Unit rows.
    k : int
        Neighbours of each node (fewer when there are fewer nodes).
    chunk_rows : int, optional
        Rows compared with all others at once (default: :data:`GRAPH_BLOCK` similarities at a time).

    Returns
    -------
    csr_matrix [shape=(n, n)]
        ``1 - cos + EPSILON`` on each edge, both triangles. Each connected component but one is
        joined to the rest by its shortest edge to a node outside it.
    """
    n = vectors.shape[0]
    k = min(k, n - 1)
    chunk_rows = chunk_rows or max(1, GRAPH_BLOCK // max(n, 1))
    rows, cols, weights = [], [], []
    for start in range(0, n, chunk_rows):
        sims = vectors[start : start + chunk_rows] @ vectors.T
        block = np.arange(start, min(start + chunk_rows, n))
        sims[block - start, block] = -np.inf  # not its own neighbour
        if k > 0:
            best = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            rows.append(np.repeat(block, k))
            cols.append(best.ravel())
            weights.append(1.0 - np.take_along_axis(sims, best, axis=1).ravel())
    graph = _symmetric(n, rows, cols, weights)
    n_parts, labels = connected_components(graph, directed=False)
    while n_parts > 1:  # join the smallest component to its nearest node elsewhere, until one is left
        part = np.bincount(labels).argmin()
        inside, outside = np.flatnonzero(labels == part), np.flatnonzero(labels != part)
        sims = vectors[inside] @ vectors[outside].T
        i, j = np.unravel_index(np.argmax(sims), sims.shape)
        rows.append(np.array([inside[i]]))
        cols.append(np.array([outside[j]]))
        weights.append(np.array([1.0 - sims[i, j]]))
        graph = _symmetric(n, rows, cols, weights)
        n_parts, labels = connected_components(graph, directed=False)
    return graph


def _symmetric(n: int, rows, cols, weights) -> csr_matrix:
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    w = np.maximum(np.concatenate(weights).astype(np.float64), 0.0) + EPSILON if weights else np.zeros(0)
    graph = coo_matrix((np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(n, n)).tocsr()
    graph.sum_duplicates()
    # Duplicates (an edge found from both ends) were summed: halve them back to the one weight.
    counts = coo_matrix((np.ones(2 * len(w)), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(n, n)).tocsr()
    counts.sum_duplicates()
    graph.data /= counts.data
    return graph


def resample_path(*, path: np.ndarray, vectors: np.ndarray, n: int, allowed: np.ndarray | None = None,
                  groups: np.ndarray | None = None) -> np.ndarray:
    """A path of exactly ``n`` nodes from a minimax ``path`` (see the module's description).

    Parameters
    ----------
    path : ndarray [shape=(m,), dtype=int64]
    vectors : ndarray [shape=(N, d)]
        Unit rows of every node.
    n : int
        At least 2.
    allowed : ndarray [shape=(N,), dtype=bool], optional
        Nodes that may be inserted (default: all not on the path).
    groups : ndarray [shape=(N,), dtype=int64], optional
        A group per node (an artist; -1: none): once a node is inserted, no other of its group is.

    Returns
    -------
    ndarray [shape=(min(n, m + insertable),), dtype=int64]
    """
    path = np.asarray(path, np.int64)
    if len(path) >= n:
        steps = 1.0 - np.einsum("ij,ij->i", vectors[path[:-1]], vectors[path[1:]])
        along = np.concatenate([[0.0], np.cumsum(np.maximum(steps, 0.0))])
        targets = np.linspace(0.0, along[-1], n)
        chosen = [0]
        for target in targets[1:-1]:  # the nearest position along the path not yet taken, in order
            candidates = np.arange(chosen[-1] + 1, len(path) - (n - len(chosen) - 1))
            chosen.append(int(candidates[np.argmin(np.abs(along[candidates] - target))]))
        chosen.append(len(path) - 1)
        return path[chosen]
    free = np.ones(vectors.shape[0], bool) if allowed is None else np.asarray(allowed, bool).copy()
    free[path] = False
    path = list(path)
    while len(path) < n and free.any():
        steps = [1.0 - float(vectors[a] @ vectors[b]) for a, b in itertools.pairwise(path)]
        worst = int(np.argmax(steps))
        a, b = path[worst], path[worst + 1]
        candidates = np.flatnonzero(free)
        cost = np.maximum(1.0 - vectors[candidates] @ vectors[a], 1.0 - vectors[candidates] @ vectors[b])
        best = int(candidates[np.argmin(cost)])
        path.insert(worst + 1, best)
        free[best] = False
        if groups is not None and groups[best] >= 0:
            free[groups == groups[best]] = False
    return np.array(path, np.int64)


# -- a collection's paths ---------------------------------------------------------------------


@dataclass
class PathResult:
    """A path: its items in order, each with its step from the one before (cosine distance)."""

    model_id: str
    layer: str
    level: str
    items: list[dict]
    bottleneck: float  # the largest step
    n_requested: int
    distinct_artists: bool
    note: str
    minimax_length: int  # items on the minimax path before resampling
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"model": self.model_id, "layer": self.layer, "level": self.level, "n": self.n_requested, "distinct_artists": self.distinct_artists,
                "bottleneck": round(self.bottleneck, 6), "minimax_length": self.minimax_length, "note": self.note, "items": self.items}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["position", "track_id", "segment", "start", "end", "step", "artist", "title"])
        for i, item in enumerate(self.items, 1):
            writer.writerow([i, item["track_id"], "" if item["segment"] is None else item["segment"], item["start"],
                             "" if item["end"] is None else item["end"], item["step"], _cell(item["artist"]), _cell(item["title"])])
        return out.getvalue()


    def to_m3u(self, location) -> str:
        """An extended M3U playlist; ``location(item)`` gives each item's line (a URL or a path)."""
        lines = ["#EXTM3U"]
        for item in self.items:
            seconds = (item["end"] - item["start"]) if item["segment"] is not None else item.get("duration")
            name = " - ".join(" ".join(str(part).split()) for part in (item["artist"], item["title"]) if part)
            lines.append(f"#EXTINF:{int(round(seconds)) if seconds else -1},{name}")
            lines.append(location(item))
        return "\n".join(lines) + "\n"


def _cell(text) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def path_between(collection, model_id: str, layer: str, *, start_track: int, end_track: int, start_segment: int | None = None,
                 end_segment: int | None = None, n: int = 10, level: str = "track", distinct_artists: bool = False,
                 k: int = PATH_K, graphs=None, max_nodes: int = MAX_GRAPH_NODES) -> PathResult:
    """The smoothest path of ``n`` items between two tracks (``level="track"``: their means) or
    two segments (``level="segment"``; ``start_segment`` / ``end_segment`` index them in their
    tracks, default 0).

    ``graphs``: an optional cache with ``get(key, compute)`` (the web app's) for the graph and
    vectors of a layer, which only change with the collection. ``max_nodes`` bounds the graph
    (a request's :data:`MAX_GRAPH_NODES`; the command line's :data:`CLI_GRAPH_NODES`).
    """
    spec = get_model(model_id)
    spec.layer(layer)
    if level not in LEVELS:
        raise UsageError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if not 2 <= n <= MAX_PATH_ITEMS:
        raise UsageError(f"a path holds 2 to {MAX_PATH_ITEMS} items, got {n}")
    if level == "track" and (start_segment is not None or end_segment is not None):
        raise UsageError("segments are for level=segment")
    for track_id in (start_track, end_track):
        collection.track(track_id)
    array = collection.layer(model_id, layer)

    def build():
        from tagscape.similarity.index import SimilarityStore
        from tagscape.similarity.search import normalise

        size = array.n_tracks if level == "track" else array.values.shape[0]
        if size > max_nodes:
            hint = "use level=track" if level == "segment" else "use the command line: tagscape path"
            raise UsageError(f"{size:,} {level}s are more than a path's graph is built over here ({max_nodes:,}); {hint}")
        if size < 2:
            raise NotFoundError(f"a path needs at least 2 {level}s with {model_id} {layer}")
        vectors = SimilarityStore(collection).track_means(model_id, layer, array) if level == "track" else normalise(array.values)
        return vectors, neighbour_graph(vectors=vectors, k=k)

    key = ("path-graph", str(collection.data_dir), model_id, layer, level, k, collection.stamp())
    vectors, graph = graphs.get(key, build) if graphs is not None else build()

    def node(track_id: int, segment: int | None) -> int:
        position = array.position(track_id)
        if position is None:
            raise NotFoundError(f"track {track_id} has no {model_id} {layer} yet")
        if level == "track":
            return position
        first, stop = int(array.offsets[position]), int(array.offsets[position + 1])
        segment = segment or 0
        if not 0 <= segment < stop - first:
            raise NotFoundError(f"track {track_id} has {stop - first} segments for {model_id}; no segment {segment}")
        return first + segment

    start, end = node(start_track, start_segment), node(end_track, end_segment)
    if start == end:
        raise UsageError("the start and the end are the same")
    path = minimax_path(graph=graph, start=start, end=end)
    minimax_length = len(path)
    node_tracks = array.track_ids if level == "track" else np.repeat(array.track_ids, np.diff(array.offsets))
    allowed = groups = None
    note = "the minimax path through the layer's k-NN graph (its minimum spanning tree)"
    if distinct_artists:
        groups = _artist_groups(collection, node_tracks)
        seen: set[int] = set()
        kept = []
        for i, item in enumerate(path.tolist()):
            if i in (0, len(path) - 1) or groups[item] < 0 or groups[item] not in seen:
                kept.append(item)
                seen.add(int(groups[item]))
        path = np.array(kept, np.int64)
        allowed = ~np.isin(groups, list(seen)) | (groups < 0)
        note += "; each artist at most once (a heuristic: items of an artist already on the path are left out, and only new artists are inserted)"
    path = resample_path(path=path, vectors=vectors, n=n, allowed=allowed, groups=groups)
    if len(path) < n:
        note += f"; only {len(path)} items could be found"
    return PathResult(model_id, layer, level, _describe(collection, spec, array, vectors, path, level), _bottleneck(vectors, path), n,
                      distinct_artists, note, minimax_length)


def _artist_groups(collection, node_tracks: np.ndarray) -> np.ndarray:
    """Each node's artist as a number (same artist, trimmed and in any case: same number; none: -1)."""
    names = {int(t["track_id"]): (t.get("artist") or "").strip().lower() for t in collection.tracks()}
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(names[int(t)], len(codes)) if names.get(int(t)) else -1 for t in node_tracks], np.int64)


def _bottleneck(vectors: np.ndarray, path: np.ndarray) -> float:
    if len(path) < 2:
        return 0.0
    return float(np.max(1.0 - np.einsum("ij,ij->i", vectors[path[:-1]], vectors[path[1:]])))


def _describe(collection, spec, array, vectors: np.ndarray, path: np.ndarray, level: str) -> list[dict]:
    items = []
    for i, item in enumerate(path.tolist()):
        if level == "track":
            track_id, segment = int(array.track_ids[item]), None
        else:
            position = int(np.searchsorted(array.offsets, item, side="right") - 1)
            track_id, segment = int(array.track_ids[position]), int(item - array.offsets[position])
        track = collection.track(track_id)
        start = 0.0 if segment is None else round(segment * spec.segment_seconds, 6)
        end = track.get("duration") if segment is None else round(start + spec.segment_seconds, 6)
        step = None if i == 0 else round(float(1.0 - vectors[path[i - 1]] @ vectors[item]), 6)
        items.append({"track_id": track_id, "segment": segment, "start": start, "end": end, "step": step,
                      "title": track.get("title") or track.get("key"), "artist": track.get("artist"), "duration": track.get("duration")})
    return items
