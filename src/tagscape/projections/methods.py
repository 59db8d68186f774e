"""Dimensionality reducers with a common fit/transform interface.

Every reducer is seeded (``random_state``), takes ``(n, d)`` float arrays and returns
``(n, k)`` float32 coordinates. ``fit`` may be given a ``cancel`` callable: long optimisations
check it and stop with :class:`Cancelled` when it returns True.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tagscape.errors import TagscapeError, UsageError

Cancel = Callable[[], bool] | None


class Cancelled(TagscapeError):
    """The caller asked for something else while this was being computed."""

    http_status = 409
    exit_code = 1


def _threads() -> int:
    return max(1, os.cpu_count() or 1)


class _CancelCheck:
    """An openTSNE callback that stops the optimisation when ``cancel()`` says so."""

    def __init__(self, cancel: Cancel):
        self.cancel = cancel

    def __call__(self, iteration, error, embedding) -> bool:
        return bool(self.cancel is not None and self.cancel())


@dataclass
class PCAReducer:
    """PCA (optionally of standardised dimensions), keeping ``n_components`` components.

    Fitted from the covariance matrix, accumulated in float64 over chunks of rows: a float16
    memory-mapped layer of millions of segments is read chunk by chunk and never copied whole
    (4.5 M x 200 in about 35 s and 2.6 GiB, against 63 s and 5.5 GiB for scikit-learn's PCA on
    a float32 copy, and 12 GiB for standardised PCA: ``bench/projections.py``). The components
    equal scikit-learn's ``covariance_eigh`` solver's, signs included (``svd_flip``).
    """

    n_components: int = 10
    standardize: bool = False
    random_state: int = 0  # unused: the solution is exact; kept so every reducer takes a seed
    chunk_rows: int = 262_144
    mean_: np.ndarray | None = field(default=None, repr=False)
    scale_: np.ndarray | None = field(default=None, repr=False)
    components_: np.ndarray | None = field(default=None, repr=False)
    explained_variance_ratio_: np.ndarray | None = field(default=None, repr=False)

    def fit(self, X: np.ndarray, *, cancel: Cancel = None) -> PCAReducer:
        n, d = X.shape
        if n < 2:
            raise UsageError(f"PCA needs at least 2 points, got {n}")
        # Rows are shifted by the first chunk's mean, so the sums of squares are of nearly
        # centred values and a chunk's product can be float32 (7x faster than float64 here)
        # without losing the variance to cancellation; chunks are summed in float64.
        shift = np.asarray(X[: self.chunk_rows], np.float32).mean(axis=0, dtype=np.float64)
        shift32 = shift.astype(np.float32)
        total, products = np.zeros(d), np.zeros((d, d))
        for start in range(0, n, self.chunk_rows):
            block = np.array(X[start : start + self.chunk_rows], np.float32)  # a copy: shifted in place
            block -= shift32
            total += block.sum(axis=0, dtype=np.float64)
            products += block.T @ block
            if cancel is not None and cancel():
                raise Cancelled("PCA cancelled")
        offset = total / n
        cov = (products - n * np.outer(offset, offset)) / (n - 1)
        scale = np.ones(d)
        if self.standardize:  # population standard deviation, as scikit-learn's StandardScaler
            std = np.sqrt(np.clip(np.diag(cov) * (n - 1) / n, 0.0, None))
            scale = np.where(std > 1e-8, std, 1.0)
            cov = cov / np.outer(scale, scale)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
        k = min(self.n_components, n, d)
        components = vectors[:, :k].T
        signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
        signs[signs == 0] = 1.0
        self.components_ = (components * signs[:, None]).astype(np.float32)
        self.mean_ = (shift + offset).astype(np.float32)
        self.scale_ = scale.astype(np.float32)
        total_variance = values.sum()
        self.explained_variance_ratio_ = values[:k] / total_variance if total_variance > 0 else np.zeros(k)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        weights = (self.components_ / self.scale_).T  # (d, k): standardising folded in
        offset = self.mean_ @ weights
        out = np.empty((X.shape[0], weights.shape[1]), np.float32)
        for start in range(0, X.shape[0], self.chunk_rows):
            out[start : start + self.chunk_rows] = np.asarray(X[start : start + self.chunk_rows], np.float32) @ weights - offset
        return out

    @property
    def explained_variance_ratio(self) -> list[float]:
        return [float(v) for v in self.explained_variance_ratio_]


@dataclass
class TSNEReducer:
    """t-SNE with openTSNE (FFT-accelerated gradients), on PCA-reduced input.

    ``pca_dims`` reduces the input first (the neighbour search is the slow part in high
    dimensions); ``n_iter`` is the number of iterations after early exaggeration.
    """

    perplexity: float = 30.0
    n_iter: int = 500
    early_exaggeration_iter: int = 250
    ints_in_interval: float = 1.0  # FFT grid: larger is coarser and faster
    transform_n_iter: int = 250  # iterations placing new points (openTSNE's default)
    pca_dims: int = 50
    random_state: int = 0
    n_jobs: int = field(default_factory=_threads)
    pca_: PCAReducer | None = field(default=None, repr=False)
    embedding_: object = field(default=None, repr=False)

    def fit(self, X: np.ndarray, *, cancel: Cancel = None) -> TSNEReducer:
        from openTSNE import TSNE

        X = np.asarray(X, dtype=np.float32)
        if X.shape[0] < 4:
            raise UsageError(f"t-SNE needs at least 4 points, got {X.shape[0]}")
        self.pca_ = PCAReducer(n_components=self.pca_dims, random_state=self.random_state).fit(X) if X.shape[1] > self.pca_dims else None
        Z = self.pca_.transform(X) if self.pca_ else X
        perplexity = min(self.perplexity, max(1.0, (X.shape[0] - 1) / 3))

        check = _CancelCheck(cancel)
        # openTSNE's parallel loops crawl on small inputs when the cores are busy (0.1 s vs 20 s
        # for 40 points, measured by the web tests); one thread is enough below 10k points.
        n_jobs = self.n_jobs if X.shape[0] >= 10_000 else 1
        tsne = TSNE(
            perplexity=perplexity,
            n_iter=self.n_iter,
            early_exaggeration_iter=self.early_exaggeration_iter,
            ints_in_interval=self.ints_in_interval,
            negative_gradient_method="auto",  # Barnes-Hut below 10k points, FFT above
            neighbors="auto",
            n_jobs=n_jobs,
            random_state=self.random_state,
            callbacks=check,
            callbacks_every_iters=25,
            verbose=False,
        )
        self.embedding_ = tsne.fit(Z)
        check.cancel = None  # the embedding keeps its callbacks; they must pickle
        if cancel is not None and cancel():
            raise Cancelled("t-SNE cancelled")
        return self

    def fitted_coords(self) -> np.ndarray:
        return np.asarray(self.embedding_, dtype=np.float32)

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        Z = self.pca_.transform(X) if self.pca_ else X
        return np.asarray(self.embedding_.transform(Z, n_iter=self.transform_n_iter), dtype=np.float32)


@dataclass
class UMAPReducer:
    """UMAP (umap-learn), started from PCA rather than the spectral layout (much faster at scale)."""

    n_neighbors: int = 15
    min_dist: float = 0.1
    random_state: int = 0
    umap_: object = field(default=None, repr=False)

    def fit(self, X: np.ndarray, *, cancel: Cancel = None) -> UMAPReducer:
        import umap

        X = np.asarray(X, dtype=np.float32)
        if X.shape[0] < 4:
            raise UsageError(f"UMAP needs at least 4 points, got {X.shape[0]}")
        self.umap_ = umap.UMAP(
            n_neighbors=min(self.n_neighbors, X.shape[0] - 1),
            min_dist=self.min_dist,
            init="pca",
            random_state=self.random_state,
            n_jobs=1,  # a fixed seed makes umap-learn single-threaded anyway
        ).fit(X)
        if cancel is not None and cancel():
            raise Cancelled("UMAP cancelled")
        return self

    def fitted_coords(self) -> np.ndarray:
        return np.asarray(self.umap_.embedding_, dtype=np.float32)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.umap_.transform(np.asarray(X, dtype=np.float32)), dtype=np.float32)


_warm_up_lock = threading.Lock()
_warmed_up = False


def warm_up_umap() -> float:
    """Compile umap-learn's numba code now, so that no request waits for it (about 40 s on 2
    cores, and not saved by numba's on-disk cache for the fit: ``bench/projections.py``).

    Fits both of umap-learn's neighbour paths (exact below 4,096 rows, NN-descent above) on
    random data; not ``transform``, which only offline maps use. Runs once per process;
    returns the seconds it took.
    """
    global _warmed_up
    started = time.perf_counter()
    with _warm_up_lock:
        if _warmed_up:
            return 0.0
        rng = np.random.default_rng(0)
        for n in (300, 5_000):
            X = rng.normal(size=(n, 16)).astype(np.float32)
            UMAPReducer().fit(X)
        _warmed_up = True
    return time.perf_counter() - started


def warm_up_in_background(log: Callable[[str], None] | None = None, *, first: Callable[[], float] | None = None) -> threading.Thread:
    """:func:`warm_up_umap` in a daemon thread (a server starts answering meanwhile), after
    ``first`` (the server's data: :func:`tagscape.web.warm_up_data`)."""

    def run():
        if first is not None:
            seconds = first()
            if log:
                log(f"the collection's tracks and layers are read ({seconds:.1f} s)")
        seconds = warm_up_umap()
        if log:
            log(f"UMAP is compiled ({seconds:.0f} s)")

    thread = threading.Thread(target=run, name="tagscape-umap-warm-up", daemon=True)
    thread.start()
    return thread


def make_reducer(method: str, *, random_state: int = 0, **params):
    """A reducer for ``pca``, ``std-pca``, ``tsne`` or ``umap``."""
    if method == "pca":
        return PCAReducer(random_state=random_state, **params)
    if method == "std-pca":
        return PCAReducer(standardize=True, random_state=random_state, **params)
    if method == "tsne":
        return TSNEReducer(random_state=random_state, **params)
    if method == "umap":
        return UMAPReducer(random_state=random_state, **params)
    raise UsageError(f"unknown projection {method!r}; known: original, pca, std-pca, tsne, umap")


def fit_coords(reducer, X: np.ndarray, *, fit_rows: np.ndarray | None = None, cancel: Cancel = None, batch_rows: int = 200_000, progress=None) -> np.ndarray:
    """Fit on ``X[fit_rows]`` (all rows by default) and place every row; returns ``(n, k)`` float32.

    For t-SNE and UMAP the fitted rows keep their optimised positions and the others are
    placed with ``transform`` in batches: how whole collections are mapped in bounded time.
    """
    n = X.shape[0]
    if fit_rows is None or len(fit_rows) >= n:
        reducer.fit(X, cancel=cancel)
        return reducer.fitted_coords() if hasattr(reducer, "fitted_coords") else reducer.transform(X)
    reducer.fit(X[fit_rows], cancel=cancel)
    out = None
    others = np.setdiff1d(np.arange(n), fit_rows)
    for start in range(0, len(others), batch_rows):
        rows = others[start : start + batch_rows]
        placed = reducer.transform(X[rows])
        if out is None:
            out = np.zeros((n, placed.shape[1]), np.float32)
        out[rows] = placed
        if cancel is not None and cancel():
            raise Cancelled("projection cancelled")
        if progress:
            progress(min(start + batch_rows, len(others)), len(others))
    fitted = reducer.fitted_coords() if hasattr(reducer, "fitted_coords") else reducer.transform(X[fit_rows])
    out[fit_rows] = fitted
    return out
