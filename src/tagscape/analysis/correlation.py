"""Correlations between tags: one pair over chosen segments, and the whole matrix of a model
over the collection, ordered by hierarchical clustering so that related tags sit together."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
from scipy.spatial.distance import squareform
from scipy.stats import kendalltau, rankdata

from tagscape.errors import UsageError

METHODS = ("pearson", "spearman")
#: Stored layers are float16: their ranks come from counting bit patterns (no sort), so Spearman
#: uses every row. For other data, above this many rows the Spearman matrix is computed on a
#: seeded random sample of rows.
SPEARMAN_MAX_ROWS = 200_000
CHUNK_ROWS = 1 << 18
#: Bit patterns of finite non-negative float16 values: 0x0000 (0.0) to 0x7BFF (65504), ordered as the values.
_HALF_FINITE = 0x7C00


def _constant(x: np.ndarray) -> bool:
    return len(x) < 2 or bool(np.all(x == x[0]))


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r of two equally long vectors; None when either is constant (r is undefined)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    if _constant(x) or _constant(y):
        return None
    dx, dy = x - x.mean(), y - y.mean()
    r = float(np.dot(dx, dy) / np.sqrt(np.dot(dx, dx) * np.dot(dy, dy)))
    return max(-1.0, min(1.0, r))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (as ``scipy.stats.rankdata``), float64.

    Non-negative finite float16 values (what the store holds) are ranked in linear time: their
    bit patterns sort as the values, so counting each pattern gives every rank.
    """
    x = np.asarray(x)
    if x.dtype == np.float16:
        bits = x.view(np.uint16)
        if not len(bits) or int(bits.max()) < _HALF_FINITE:
            counts = np.bincount(bits, minlength=_HALF_FINITE)
            table = np.cumsum(counts) - (counts - 1) / 2.0
            return table[bits]
    return rankdata(np.asarray(x, np.float64))


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rho: Pearson's r of the ranks (ties get their average rank)."""
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    if _constant(np.asarray(x)) or _constant(np.asarray(y)):
        return None
    return pearson(average_ranks(x), average_ranks(y))


def kendall(x: np.ndarray, y: np.ndarray) -> float | None:
    """Kendall's tau-b; None when either is constant."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if _constant(x) or _constant(y):
        return None
    return float(kendalltau(x, y).statistic)


def pair(x: np.ndarray, y: np.ndarray) -> dict:
    """Pearson and Spearman correlation of two tags' activations over the same points."""
    return {"n": int(len(x)), "pearson": pearson(x, y), "spearman": spearman(x, y)}


def _pearson_matrix(values: np.ndarray, transform=None) -> np.ndarray:
    """Correlation matrix of the columns (each chunk of rows through ``transform`` first), in float64."""
    n, m = values.shape
    transform = transform or (lambda block: np.asarray(block, np.float64))
    total = np.zeros(m, np.float64)
    products = np.zeros((m, m), np.float64)
    shift = transform(values[: min(n, 1024)]).mean(axis=0) if n else np.zeros(m)  # centring first keeps the sums exact
    for start in range(0, n, CHUNK_ROWS):
        block = transform(values[start : start + CHUNK_ROWS]) - shift
        total += block.sum(axis=0)
        products += block.T @ block
    if n < 2:
        return np.full((m, m), np.nan)
    covariance = (products - np.outer(total, total) / n) / (n - 1)
    scale = np.sqrt(np.clip(np.diag(covariance), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = covariance / np.outer(scale, scale)
    r[(scale == 0)[:, None] | (scale == 0)[None, :]] = np.nan
    np.fill_diagonal(r, np.where(scale > 0, 1.0, np.nan))
    return np.clip(r, -1.0, 1.0)


def correlation_matrix(values: np.ndarray, *, method: str = "pearson", max_rows: int = SPEARMAN_MAX_ROWS, random_state: int = 0) -> tuple[np.ndarray, int]:
    """The ``(n_cols, n_cols)`` correlation matrix of the columns of ``values`` [shape=(n_rows, n_cols)].

    Returns the matrix (NaN where a column is constant) and how many rows it used: all for
    Pearson, and for Spearman of stored (non-negative float16) values; for Spearman of other
    values at most ``max_rows``, a seeded random sample (sorted row order).
    """
    if method not in METHODS:
        raise UsageError(f"unknown correlation method {method!r}; one of: {', '.join(METHODS)}")
    if method == "pearson":
        return _pearson_matrix(values), int(values.shape[0])
    n = values.shape[0]
    tables = _half_rank_tables(values)
    if tables is not None:  # every row, each value replaced by its column's average rank
        offsets = (np.arange(values.shape[1]) * _HALF_FINITE).astype(np.int64)
        flat = tables.ravel()
        return _pearson_matrix(values, lambda block: flat[np.asarray(block).view(np.uint16) + offsets]), int(n)
    rows = np.sort(np.random.default_rng(random_state).choice(n, max_rows, replace=False)) if n > max_rows else slice(None)
    block = np.asarray(values[rows], np.float64)
    ranks = rankdata(block, axis=0) if len(block) else block
    return _pearson_matrix(ranks), int(len(block))


def _half_rank_tables(values: np.ndarray) -> np.ndarray | None:
    """Per column, the average rank of every float16 bit pattern ``(n_cols, 0x7C00)``; None when the
    values are not non-negative finite float16 (then ranks need a sort)."""
    if values.dtype != np.float16:
        return None
    m = values.shape[1]
    offsets = (np.arange(m) * _HALF_FINITE).astype(np.int64)
    counts = np.zeros(m * _HALF_FINITE, np.int64)
    for start in range(0, values.shape[0], CHUNK_ROWS):
        bits = np.asarray(values[start : start + CHUNK_ROWS]).view(np.uint16)
        if bits.size and int(bits.max()) >= _HALF_FINITE:
            return None
        counts += np.bincount((bits + offsets).ravel(), minlength=m * _HALF_FINITE)
    counts = counts.reshape(m, _HALF_FINITE)
    return np.cumsum(counts, axis=1) - (counts - 1) / 2.0


def cluster_order(matrix: np.ndarray) -> np.ndarray:
    """An order of the tags in which correlated tags sit together.

    Average-linkage clustering on the distance ``1 - r`` (anti-correlated tags are the
    farthest apart; an undefined r counts as 0), leaves in optimal order.
    """
    m = matrix.shape[0]
    if m < 3:
        return np.arange(m)
    distance = 1.0 - np.nan_to_num(matrix, nan=0.0)
    distance = np.clip((distance + distance.T) / 2, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    condensed = squareform(distance, checks=False)
    tree = linkage(condensed, method="average")
    return leaves_list(optimal_leaf_ordering(tree, condensed)).astype(np.int64)
