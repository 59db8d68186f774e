"""Nearest neighbours by cosine similarity: exact (numpy) and approximate (usearch HNSW).

Pure functions on arrays plus a thin wrapper of one usearch index; the collection-level
storage (files, version stamps) is :mod:`tagscape.similarity.index`.

Cosine similarity of unit vectors is their dot product, so exact search normalises the rows
once and multiplies chunk by chunk, keeping the best ``k`` of each chunk with
``argpartition``. The approximate index is an HNSW graph over the same unit vectors, stored
with 16-bit floats (``f16``): at MTG-Jamendo scale (4.5 M x 200) about half the size of
float32, memory-mapped when opened. 8-bit scalars (``i8``, faiss' SQ8) were measured too and
lose too much: recall@10 stays near 0.91-0.94 on segments as close as those of one track
(``bench/similar.py``; figures in the README).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Rows per chunk of exact search: 64k x 200 float32 is 51 MB of work memory per chunk.
CHUNK_ROWS = 65_536

#: HNSW parameters of the approximate index, chosen with ``bench/similar.py``.
ANN_DTYPE = "f16"
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 256

Progress = Callable[[int, int], None] | None


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero).

    Parameters
    ----------
    vectors : ndarray [shape=(n, d)]
        Any float dtype (the store's float16 included).

    Returns
    -------
    ndarray [shape=(n, d), dtype=float32]
    """
    out = np.array(vectors, dtype=np.float32, copy=True, ndmin=2)
    norms = np.sqrt(np.einsum("ij,ij->i", out, out))
    norms[norms == 0] = 1.0
    out /= norms[:, None]
    return out


def exact_search(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    *,
    excluded: list[tuple[int, int]] | None = None,
    unit: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``vectors`` most similar (cosine) to each query, best first.

    Parameters
    ----------
    vectors : ndarray [shape=(n, d)]
        Unit rows (float32) when ``unit`` is true; otherwise any float rows (e.g. a float16
        memory map), normalised chunk by chunk.
    queries : ndarray [shape=(q, d)]
        Unit query vectors.
    k : int
    excluded : list of (start, stop), optional
        Row ranges that never appear in the results (the query's own track, its artist...).

    Returns
    -------
    rows : ndarray [shape=(q, k'), dtype=int64]
    similarities : ndarray [shape=(q, k'), dtype=float32]
        ``k' = min(k, rows left)``; cosine similarities in [-1, 1], decreasing.
    """
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    n = vectors.shape[0]
    n_queries = queries.shape[0]
    best_rows = np.zeros((n_queries, 0), np.int64)
    best_sims = np.zeros((n_queries, 0), np.float32)
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        chunk = vectors[start:stop]
        chunk = np.asarray(chunk, np.float32) if unit else normalise(chunk)
        sims = chunk @ queries.T  # (rows, q)
        for lo, hi in excluded or ():
            lo, hi = max(lo, start), min(hi, stop)
            if lo < hi:
                sims[lo - start : hi - start] = -np.inf
        take = min(k, stop - start)
        if take < stop - start:
            part = np.argpartition(-sims, take - 1, axis=0)[:take]  # (take, q)
        else:
            part = np.broadcast_to(np.arange(stop - start)[:, None], (stop - start, n_queries))
        cand_sims = np.take_along_axis(sims, part, axis=0).T
        cand_rows = part.T.astype(np.int64) + start
        merged_rows = np.concatenate([best_rows, cand_rows], axis=1)
        merged_sims = np.concatenate([best_sims, cand_sims], axis=1)
        order = np.argsort(-merged_sims, axis=1, kind="stable")[:, :k]
        best_rows = np.take_along_axis(merged_rows, order, axis=1)
        best_sims = np.take_along_axis(merged_sims, order, axis=1)
    keep = np.isfinite(best_sims).all(axis=0)  # drop columns made only of excluded rows
    return best_rows[:, keep], best_sims[:, keep]


def _usearch_index():
    """usearch's ``Index``, with ONNX Runtime loaded first.

    With usearch 2.26.6 and onnxruntime 1.32 (both the newest wheels in December 2026), loading
    ONNX Runtime after usearch's compiled module kills the process (SIGSEGV inside
    onnxruntime's import); the other order works. A process that builds a similarity index and
    then analyses a file (a notebook, a benchmark) would die, so usearch is never loaded first.
    ``tests/similarity/test_import_order.py`` checks it in a fresh interpreter.
    """
    import onnxruntime  # noqa: F401  (see above: before usearch, always)
    from usearch.index import Index

    return Index


@dataclass
class AnnIndex:
    """An HNSW index over unit vectors whose keys are row numbers (usearch)."""

    index: object  # usearch.index.Index

    @property
    def size(self) -> int:
        return len(self.index)

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        *,
        dtype: str = ANN_DTYPE,
        connectivity: int = CONNECTIVITY,
        expansion_add: int = EXPANSION_ADD,
        expansion_search: int = EXPANSION_SEARCH,
        threads: int = 0,
        batch_rows: int = 100_000,
        progress: Progress = None,
    ) -> AnnIndex:
        """Add every row of ``vectors`` (any float dtype; normalised here, in batches).

        ``threads=0`` uses every core.
        """
        Index = _usearch_index()

        n, ndim = vectors.shape
        index = Index(ndim=ndim, metric="cos", dtype=dtype, connectivity=connectivity, expansion_add=expansion_add, expansion_search=expansion_search)
        for start in range(0, n, batch_rows):
            stop = min(start + batch_rows, n)
            index.add(np.arange(start, stop, dtype=np.uint64), normalise(vectors[start:stop]), threads=threads)
            if progress:
                progress(stop, n)
        return cls(index)

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    @classmethod
    def load(cls, path: Path, *, view: bool = True, expansion_search: int = EXPANSION_SEARCH) -> AnnIndex:
        """Open a saved index (``view``: memory-mapped, read-only, nearly instant)."""
        Index = _usearch_index()

        index = Index.restore(str(path), view=view)
        if index is None:
            raise ValueError(f"{path}: not a usearch index")
        index.expansion_search = expansion_search
        return cls(index)

    def search(self, queries: np.ndarray, k: int, *, expansion: int | None = None, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Approximate :func:`exact_search` (no exclusions): ``(rows, similarities)`` best first.

        Queries are unit vectors ``(q, d)``. ``expansion`` (HNSW's ``ef``; usearch uses at least
        ``k``) changes the index's setting: not for an index shared between threads. Rows with no match are dropped (an index smaller than ``k``).
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, self.size)
        if k <= 0:
            return np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32)
        if expansion is not None and self.index.expansion_search != expansion:
            self.index.expansion_search = expansion  # usearch searches at least `k` deep anyway
        matches = self.index.search(queries, k, threads=threads)
        keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
        distances = np.asarray(matches.distances, dtype=np.float32).reshape(len(queries), -1)
        # one query gives a Matches (as many keys as found), several a BatchMatches (padded; counts)
        counts = np.asarray(matches.counts).reshape(-1) if hasattr(matches, "counts") else np.array([keys.shape[1]])
        found = int(counts.min()) if len(counts) else 0
        return keys[:, :found], (1.0 - distances[:, :found]).astype(np.float32)
