"""Tags of one model over a collection: a track's taggram, a tag's top segments and its
distribution, and track-level activations (the mean over a track's segments)."""

from __future__ import annotations

import numpy as np

from tagscape.errors import NotFoundError, UsageError
from tagscape.models.registry import MODELS, ModelSpec, get_model
from tagscape.store.layers import LayerArray

#: Rows read from a memory-mapped layer at a time (bounds the temporary float32 copies).
CHUNK_ROWS = 1 << 19
MAX_K = 1000
MAX_BINS = 200


def tagger(model_id: str) -> ModelSpec:
    """The model, which must have a taggrams layer (tag activations)."""
    spec = get_model(model_id)
    if not spec.tags:
        with_tags = ", ".join(m.model_id for m in MODELS.values() if m.tags)
        raise UsageError(f"model {model_id} has no taggrams layer, so no tag activations to analyse (models with tags: {with_tags})")
    return spec


def tag_column(spec: ModelSpec, tag: str) -> int:
    """The taggram column of ``tag`` (its exact name)."""
    if tag not in spec.tags:
        raise UsageError(f"unknown tag {tag!r} for {spec.model_id}; its tags: {', '.join(spec.tags)}")
    return spec.tags.index(tag)


def taggrams(collection, model_id: str) -> LayerArray:
    """The model's taggrams over the collection (memory-mapped), or a clear error."""
    spec = tagger(model_id)
    if model_id not in collection.store.result_models():
        raise NotFoundError(f"no {model_id} results in this collection yet; run: tagscape extract -m {model_id}")
    return collection.layer(spec.model_id, "taggrams")


def track_taggram(collection, model_id: str, track_id: int) -> dict:
    """One track's taggram with its tags ordered by mean activation (highest first).

    Returns
    -------
    dict
        ``tags`` (ordered), ``columns`` (each ordered tag's column in the model's tag list),
        ``mean`` per ordered tag, ``values`` [shape=(n_tags, n_segments)] in that order,
        ``segment_seconds``.
    """
    spec = tagger(model_id)
    collection.track(track_id)
    values = collection.store.track_layer(int(track_id), model_id, "taggrams")
    if values is None:
        raise NotFoundError(f"track {track_id} has no {model_id} results yet")
    values = np.asarray(values, np.float32)
    mean = values.mean(axis=0) if len(values) else np.zeros(len(spec.tags), np.float32)
    order = np.argsort(-mean, kind="stable")
    return {
        "tags": [spec.tags[i] for i in order],
        "columns": order.tolist(),
        "mean": mean[order],
        "values": values[:, order].T,
        "segment_seconds": spec.segment_seconds,
    }


def read_column(values: np.ndarray, column: int) -> np.ndarray:
    """One column of a (memory-mapped) ``(n_rows, n_cols)`` array as float32, read in chunks."""
    return read_columns(values, (column,), np.float32)[:, 0]


def read_columns(values: np.ndarray, columns, dtype=None) -> np.ndarray:
    """Some columns of a (memory-mapped) ``(n_rows, n_cols)`` array, ``(n_rows, len(columns))``,
    in one chunked pass over the rows (the file is read once, whatever the number of columns)."""
    columns = list(columns)
    out = np.empty((values.shape[0], len(columns)), dtype or values.dtype)
    for start in range(0, values.shape[0], CHUNK_ROWS):
        out[start : start + CHUNK_ROWS] = values[start : start + CHUNK_ROWS][:, columns]
    return out


def top_k(activations: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest values, highest first (ties: lower index first).

    ``np.argpartition`` finds them in linear time; only those ``k`` are sorted.
    """
    n = len(activations)
    k = min(int(k), n)
    if k <= 0:
        return np.zeros(0, np.int64)
    if k < n:
        candidates = np.argpartition(-activations, k - 1)[:k]
        # Values tied with the k-th may sit outside the partition; take the lowest indices among them.
        threshold = activations[candidates].min()
        above = np.flatnonzero(activations > threshold)
        tied = np.flatnonzero(activations == threshold)[: k - len(above)]
        candidates = np.concatenate([above, tied])
    else:
        candidates = np.arange(n)
    order = np.lexsort((candidates, -activations[candidates]))
    return candidates[order].astype(np.int64)


def histogram(activations: np.ndarray, *, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of activations in ``bins`` equal bins over [0, 1] (sigmoid outputs)."""
    counts, edges = np.histogram(activations, bins=bins, range=(0.0, 1.0))
    return counts.astype(np.int64), edges


def summary(activations: np.ndarray) -> dict:
    if not len(activations):
        return {"mean": None, "median": None, "p90": None, "p99": None, "max": None}
    q = np.quantile(activations, [0.5, 0.9, 0.99])
    return {"mean": float(activations.mean(dtype=np.float64)), "median": float(q[0]), "p90": float(q[1]),
            "p99": float(q[2]), "max": float(activations.max())}


def tag_segments(collection, model_id: str, tag: str, *, k: int, bins: int = 50, activations: np.ndarray | None = None) -> dict:
    """The ``k`` segments of the collection with the highest activation of ``tag``, and its distribution.

    ``activations``: the tag's column of the taggrams as float32, when the caller has it already.
    """
    spec = tagger(model_id)
    column = tag_column(spec, tag)
    if not 1 <= k <= MAX_K:
        raise UsageError(f"k must be between 1 and {MAX_K}, got {k}")
    if not 2 <= bins <= MAX_BINS:
        raise UsageError(f"bins must be between 2 and {MAX_BINS}, got {bins}")
    array = taggrams(collection, model_id)
    activations = read_column(array.values, column) if activations is None else activations
    if len(activations) != array.values.shape[0]:
        raise ValueError(f"{len(activations)} activations for {array.values.shape[0]} segments")
    rows = top_k(activations, k)
    positions = np.searchsorted(array.offsets, rows, side="right") - 1
    counts, edges = histogram(activations, bins=bins)
    return {
        "rows": rows,
        "activations": activations[rows],
        "track_ids": array.track_ids[positions],
        "segments": rows - array.offsets[positions],
        "counts": counts,
        "edges": edges,
        "summary": summary(activations),
        "n_segments": int(len(activations)),
        "n_tracks": array.n_tracks,
        "segment_seconds": spec.segment_seconds,
    }


def track_means(array: LayerArray) -> np.ndarray:
    """Each track's mean over its segments, ``(n_tracks, n_cols)`` float32, in ``array.track_ids`` order.

    A track without segments gets NaN. Reads the memory-mapped values in chunks of whole tracks.
    """
    n_tracks = array.n_tracks
    out = np.full((n_tracks, array.values.shape[1]), np.nan, np.float32)
    lengths = np.diff(array.offsets)
    first = 0
    while first < n_tracks:
        # as many whole tracks as fit in a chunk (at least one)
        last = int(np.searchsorted(array.offsets, array.offsets[first] + CHUNK_ROWS, side="right")) - 1
        last = min(max(last, first + 1), n_tracks)
        start, end = int(array.offsets[first]), int(array.offsets[last])
        block = np.asarray(array.values[start:end])
        present = np.flatnonzero(lengths[first:last] > 0)
        if len(present):
            sums = np.add.reduceat(block, array.offsets[first:last][present] - start, axis=0, dtype=np.float64)
            out[first + present] = (sums / lengths[first:last][present, None]).astype(np.float32)
        first = last
    return out
