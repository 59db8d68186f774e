"""Dimensionality reducers with a common fit/transform interface.

Every reducer is seeded (``random_state``), takes ``(n, d)`` float arrays and returns
``(n, k)`` float32 coordinates. ``fit`` may be given a ``cancel`` callable: long optimisations
check it and stop with :class:`Cancelled` when it returns True.
"""

from __future__ import annotations

import os
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
    """PCA (optionally of standardised dimensions), keeping ``n_components`` components."""

    n_components: int = 10
    standardize: bool = False
    random_state: int = 0
    mean_: np.ndarray | None = field(default=None, repr=False)
    scale_: np.ndarray | None = field(default=None, repr=False)
    pca_: object = field(default=None, repr=False)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if self.standardize:
            return (X - self.mean_) / self.scale_
        return X

    def fit(self, X: np.ndarray, *, cancel: Cancel = None) -> PCAReducer:
        from sklearn.decomposition import PCA

        X = np.asarray(X, dtype=np.float32)
        if self.standardize:
            self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
            std = X.std(axis=0, dtype=np.float64).astype(np.float32)
            self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        k = min(self.n_components, X.shape[0], X.shape[1])
        self.pca_ = PCA(n_components=k, svd_solver="auto", random_state=self.random_state).fit(self._prepare(X))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.pca_.transform(self._prepare(X)).astype(np.float32)

    @property
    def explained_variance_ratio(self) -> list[float]:
        return [float(v) for v in self.pca_.explained_variance_ratio_]


@dataclass
class TSNEReducer:
    """t-SNE with openTSNE (FFT-accelerated gradients), on PCA-reduced input.

    ``pca_dims`` reduces the input first (the neighbour search is the slow part in high
    dimensions); ``n_iter`` is the number of iterations after early exaggeration.
    """

    perplexity: float = 30.0
    n_iter: int = 500
    early_exaggeration_iter: int = 250
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
        return np.asarray(self.embedding_.transform(Z), dtype=np.float32)


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
