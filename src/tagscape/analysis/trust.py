"""How far a 2D map can be trusted, point by point and as a whole.

- **Neighbourhood preservation** of a point: the share of its ``k`` nearest neighbours in the
  layer that are also among its ``k`` nearest neighbours on the map (0: the map put it among
  strangers; 1: its neighbourhood survived). The mean over all points is the map's "k-NN kept".
- **Hubness** of a space: the skewness of the k-occurrence ``N_k`` (how many points have a given
  point among their ``k`` nearest neighbours). High-dimensional spaces grow *hubs* that are
  everyone's neighbour (Radovanović et al., JMLR 2010); MTG's music-explore studied them in
  these models' embeddings. 0 for a space without hubs, above 1 for a strongly hubby one.
- The map's **trustworthiness** (Venna and Kaski) is scikit-learn's, via
  :func:`tagscape.projections.quality.map_quality`.

Layer neighbours are by cosine (rows scaled to unit length, then Euclidean, which ranks the same):
the neighbours the similar-music search returns and the explorer rings on hover. Map neighbours
are Euclidean in 2D. A point is never its own neighbour.
"""

from __future__ import annotations

import numpy as np

from tagscape.errors import UsageError

METRICS = ("cosine", "euclidean")
#: Most points whose preservation a request computes: exact layer neighbours of n points cost
#: n^2 x d (20k x 200-d: about 2 s on 2 cores).
PRESERVATION_LIMIT = 20_000
MAX_K = 100


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise UsageError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    return min(int(k), max(n - 1, 0))


def nearest(*, points: np.ndarray, k: int, metric: str = "euclidean") -> np.ndarray:
    """Each point's ``k`` nearest other points, nearest first.

    Parameters
    ----------
    points : ndarray [shape=(n, d)]
    metric : str
        ``euclidean`` or ``cosine``.

    Returns
    -------
    ndarray [shape=(n, min(k, n - 1)), dtype=int64]
    """
    from sklearn.neighbors import NearestNeighbors

    if metric not in METRICS:
        raise UsageError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    k = _check_k(k, len(points))
    X = np.asarray(points, np.float32)
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms == 0, 1, norms)
    if k == 0:
        return np.zeros((len(X), 0), np.int64)
    # kd-tree in 2D; brute force (BLAS, chunked by scikit-learn) in 50-200 dimensions.
    algorithm = "kd_tree" if X.shape[1] <= 3 else "brute"
    found = NearestNeighbors(n_neighbors=k + 1, algorithm=algorithm).fit(X).kneighbors(X, return_distance=False)
    # Drop the point itself: usually first, but a duplicate point may come before it.
    own = found == np.arange(len(X))[:, None]
    keep = ~own
    keep[~own.any(axis=1), -1] = False  # the point was pushed out by duplicates: drop the farthest instead
    return found[keep].reshape(len(X), k)


def preservation(*, high: np.ndarray, low: np.ndarray, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """Each point's neighbourhood preservation (see the module).

    Parameters
    ----------
    high : ndarray [shape=(n, d)]
        The points in the layer.
    low : ndarray [shape=(n, 2)]
        The same points on the map.

    Returns
    -------
    ndarray [shape=(n,), dtype=float32]
        In [0, 1], multiples of 1 / min(k, n - 1).
    """
    if len(high) != len(low):
        raise UsageError(f"the layer has {len(high)} points and the map {len(low)}")
    k = _check_k(k, len(high))
    if k == 0:
        return np.zeros(len(high), np.float32)
    high_nn = nearest(points=high, k=k, metric=metric)
    low_nn = nearest(points=low, k=k, metric="euclidean")
    shared = (high_nn[:, :, None] == low_nn[:, None, :]).any(axis=2).sum(axis=1)
    return (shared / k).astype(np.float32)


def k_occurrence(*, points: np.ndarray, k: int = 10, metric: str = "cosine") -> np.ndarray:
    """``N_k``: how many points have each point among their ``k`` nearest neighbours, ``(n,)`` int64."""
    found = nearest(points=points, k=k, metric=metric)
    return np.bincount(found.ravel(), minlength=len(points))


def hubness(*, points: np.ndarray, k: int = 10, metric: str = "cosine") -> float:
    """The skewness of the k-occurrence (NaN for fewer than 3 points or when every N_k is equal)."""
    from scipy.stats import skew

    if len(points) < 3:
        return float("nan")
    counts = k_occurrence(points=points, k=k, metric=metric).astype(np.float64)
    return float(skew(counts)) if counts.std() > 0 else float("nan")


def map_trust(*, high: np.ndarray, low: np.ndarray, k: int = 10, sample: int = 2000, random_state: int = 0) -> dict:
    """A map's trustworthiness, k-NN kept (Euclidean, as ``tagscape project --report``) and the
    hubness of the layer and of the map (cosine / Euclidean), on a seeded sample of at most ``sample`` points."""
    from tagscape.projections.quality import map_quality

    n = len(high)
    rows = np.sort(np.random.default_rng(random_state).choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    quality = map_quality(np.asarray(high[rows], np.float32), np.asarray(low[rows], np.float32), k=k, sample=sample, random_state=random_state)
    hub_k = min(k, max(len(rows) - 1, 1))
    return {"k": quality.k, "n_points": int(n), "sample": int(len(rows)),
            "trustworthiness": quality.trustworthiness, "knn_kept": quality.knn_kept,
            "hubness_layer": hubness(points=high[rows], k=hub_k), "hubness_map": hubness(points=low[rows], k=hub_k, metric="euclidean")}
