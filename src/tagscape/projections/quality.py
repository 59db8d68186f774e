"""How faithful a 2D map is to its input: trustworthiness and kept nearest neighbours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MapQuality:
    trustworthiness: float
    knn_kept: float
    n_points: int
    k: int


def knn_kept(X: np.ndarray, Y: np.ndarray, *, k: int = 10) -> float:
    """Mean fraction of each point's ``k`` nearest neighbours in ``X`` that stay among its ``k`` in ``Y``."""
    from sklearn.neighbors import NearestNeighbors

    high = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    low = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y, return_distance=False)[:, 1:]
    kept = [len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(high, low)]
    return float(np.mean(kept) / k)


def map_quality(X: np.ndarray, Y: np.ndarray, *, k: int = 10, sample: int = 5000, random_state: int = 0) -> MapQuality:
    """Trustworthiness (k) and kNN kept, on a random sample of at most ``sample`` points."""
    from sklearn.manifold import trustworthiness

    n = X.shape[0]
    rows = np.random.default_rng(random_state).choice(n, size=min(n, sample), replace=False) if n > sample else np.arange(n)
    Xs, Ys = np.asarray(X[rows], np.float32), np.asarray(Y[rows], np.float32)
    k = min(k, len(rows) // 2 - 1)
    if k < 1:
        return MapQuality(float("nan"), float("nan"), len(rows), k)
    return MapQuality(float(trustworthiness(Xs, Ys, n_neighbors=k)), knn_kept(Xs, Ys, k=k), len(rows), k)
