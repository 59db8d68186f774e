"""Projection methods on synthetic data: real PCA / openTSNE / umap-learn, no mocks.

The data are well-separated Gaussian clusters in 200 dims (centres on a circle in a random
plane, so that PCA's first two components see them apart too). A good map keeps each point's
2D neighbours in its own cluster; tests check that, plus seeding, placing rows that were not
fitted, PCA's variance ratios and std-PCA. Coordinates are never compared with stored values.

t-SNE runs with ``n_jobs=1`` here: on 2 busy cores, openTSNE's OpenMP threads wait on each
other at every iteration (50 points took 24 s with 2 threads under load, 1 s with one).
UMAP is one test: its first call in a fresh process compiles numba code (~20-30 s on 2 cores).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from tagscape.errors import UsageError
from tagscape.projections.methods import Cancelled, PCAReducer, TSNEReducer, UMAPReducer, fit_coords, make_reducer
from tagscape.projections.quality import knn_kept, map_quality

DIMS = 200
FAST = {"pca": {}, "std-pca": {}, "tsne": {"n_jobs": 1}}


def make_clusters(seed: int = 0, n_clusters: int = 6, sizes: tuple[int, int] = (100, 300), noise: float = 0.3, dims: int = DIMS):
    """``(X, labels)``: ``n_clusters`` Gaussian clusters of ``sizes[0]..sizes[1]`` points each."""
    rng = np.random.default_rng(seed)
    plane = np.linalg.qr(rng.normal(size=(dims, 2)))[0]  # (dims, 2), orthonormal
    angles = 2 * np.pi * np.arange(n_clusters) / n_clusters
    centres = 12.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1) @ plane.T + rng.normal(0.0, 0.2, (n_clusters, dims))
    counts = rng.integers(sizes[0], sizes[1] + 1, n_clusters)
    labels = np.repeat(np.arange(n_clusters), counts)
    X = centres[labels] + rng.normal(0.0, noise, (len(labels), dims))
    order = rng.permutation(len(labels))  # clusters interleaved, as segments of many tracks would be
    return X[order].astype(np.float32), labels[order]


def neighbour_purity(Y: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's ``k`` nearest 2D neighbours that carry its own label."""
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y, return_distance=False)[:, 1:]
    return float((labels[nn] == labels[:, None]).mean())


def assert_clusters_apart(X: np.ndarray, Y: np.ndarray, labels: np.ndarray, *, min_trust: float) -> None:
    assert Y.shape == (X.shape[0], 2) and Y.dtype == np.float32
    assert np.isfinite(Y).all()
    assert neighbour_purity(Y, labels) > 0.9
    assert silhouette_score(Y, labels) > 0.5
    assert trustworthiness(X, Y, n_neighbors=10) > min_trust


@pytest.fixture(scope="module")
def clusters():
    return make_clusters()


@pytest.fixture(scope="module")
def small():
    return make_clusters(seed=1, sizes=(40, 60))


# ---------------------------------------------------------------------------------- maps


@pytest.mark.parametrize(("method", "min_trust"), [("pca", 0.85), ("std-pca", 0.85), ("tsne", 0.9)])
def test_map_keeps_clusters_apart(clusters, method, min_trust):
    X, labels = clusters
    coords = fit_coords(make_reducer(method, random_state=0, **FAST[method]), X)
    assert_clusters_apart(X, coords[:, :2], labels, min_trust=min_trust)


@pytest.mark.slow  # ~20 s in a fresh process on 2 busy cores: numba compiles UMAP's code first
def test_umap_keeps_clusters_apart_and_is_seeded():
    """One UMAP test (the numba compile dominates): small clusters, a seeded repeat, too few points."""
    X, labels = make_clusters(seed=2, sizes=(60, 90))
    first = fit_coords(UMAPReducer(random_state=3), X)
    assert_clusters_apart(X, first, labels, min_trust=0.9)
    again = fit_coords(UMAPReducer(random_state=3), X)
    np.testing.assert_array_equal(first, again)
    with pytest.raises(UsageError, match="at least 4 points"):
        UMAPReducer().fit(X[:3])


# ------------------------------------------------------------------------------ seeding


@pytest.mark.parametrize("method", ["pca", "std-pca", "tsne"])
def test_same_input_and_seed_give_identical_coordinates(small, method):
    X, _ = small
    a = fit_coords(make_reducer(method, random_state=7, **FAST[method]), X)
    b = fit_coords(make_reducer(method, random_state=7, **FAST[method]), X.copy())
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ fit on rows, place the rest


def test_tsne_fit_rows_places_other_rows_near_their_cluster(clusters):
    X, labels = clusters
    fit_rows = np.arange(0, len(X), 3)
    others = np.setdiff1d(np.arange(len(X)), fit_rows)
    reducer = TSNEReducer(random_state=0, n_jobs=1)
    coords = fit_coords(reducer, X, fit_rows=fit_rows, batch_rows=300)  # several batches

    assert coords.shape == (len(X), 2) and np.isfinite(coords).all()
    np.testing.assert_array_equal(coords[fit_rows], reducer.fitted_coords())
    assert_clusters_apart(X[fit_rows], coords[fit_rows], labels[fit_rows], min_trust=0.9)
    # each placed row's nearest fitted rows are from its own cluster
    nn = NearestNeighbors(n_neighbors=5).fit(coords[fit_rows]).kneighbors(coords[others], return_distance=False)
    assert (labels[fit_rows][nn] == labels[others][:, None]).mean() > 0.95
    # and the whole map still keeps the clusters apart
    assert neighbour_purity(coords, labels) > 0.9

    # a pickled reducer (offline maps store them) places rows the same way
    again = pickle.loads(pickle.dumps(reducer))
    np.testing.assert_allclose(again.transform(X[others[:50]]), reducer.transform(X[others[:50]]), atol=1e-4)


def test_pca_fit_rows_equals_full_projection_of_the_fitted_basis(clusters):
    X, _ = clusters
    fit_rows = np.arange(0, len(X), 2)
    reducer = PCAReducer(n_components=5)
    coords = fit_coords(reducer, X, fit_rows=fit_rows)
    np.testing.assert_allclose(coords, reducer.transform(X), rtol=1e-5, atol=1e-4)


# -------------------------------------------------------------------------------------- PCA


@pytest.mark.parametrize("standardize", [False, True])
def test_pca_explained_variance_ratios_are_sorted_and_bounded(clusters, standardize):
    X, _ = clusters
    reducer = PCAReducer(n_components=10, standardize=standardize).fit(X)
    ratios = np.array(reducer.explained_variance_ratio)
    assert len(ratios) == 10
    assert (ratios >= 0).all()
    assert (np.diff(ratios) <= 1e-7).all()
    assert ratios.sum() <= 1 + 1e-6
    assert ratios[:2].sum() > 0.5  # the clusters lie in a plane


def test_pca_components_are_capped_by_the_data():
    X = np.random.default_rng(0).normal(size=(5, 20)).astype(np.float32)
    reducer = PCAReducer(n_components=10).fit(X)
    assert reducer.transform(X).shape == (5, 5)
    assert sum(reducer.explained_variance_ratio) == pytest.approx(1.0, abs=1e-5)


def test_std_pca_equals_pca_of_standardised_data(clusters):
    X, _ = clusters
    rng = np.random.default_rng(3)
    X = X * rng.uniform(0.1, 10.0, X.shape[1]).astype(np.float32) + rng.normal(0, 5, X.shape[1]).astype(np.float32)  # unequal scales
    X[:, 0] = 1.0  # a constant column must not divide by zero
    std = make_reducer("std-pca", n_components=4).fit(X)
    got = std.transform(X)
    Z = StandardScaler().fit_transform(X.astype(np.float64))
    reference = PCA(n_components=4, svd_solver="full").fit(Z)
    want = reference.transform(Z)
    signs = np.sign((got * want).sum(axis=0))  # a component's sign is arbitrary
    np.testing.assert_allclose(got * signs, want, rtol=0, atol=1e-3 * np.abs(want).max())
    np.testing.assert_allclose(std.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-4)
    # and it differs from plain PCA on data of unequal scales
    plain = make_reducer("pca", n_components=4).fit(X)
    assert not np.allclose(plain.explained_variance_ratio, std.explained_variance_ratio, rtol=0.05)


def test_chunked_pca_of_a_float16_memmap_equals_scikit_learn_pca(tmp_path):
    """PCA reads a layer chunk by chunk (here 1,000 rows at a time, of 5,000 rows of float16 on
    disk, offset far from the origin) and gets scikit-learn's components, signs included."""
    rng = np.random.default_rng(7)
    X = (rng.normal(size=(5_000, 30)) @ rng.normal(size=(30, 30)) * 0.5 + 40.0).astype(np.float16)
    np.save(tmp_path / "layer.npy", X)
    mapped = np.load(tmp_path / "layer.npy", mmap_mode="r")
    ours = PCAReducer(n_components=6, chunk_rows=1_000).fit(mapped)
    reference = PCA(n_components=6, svd_solver="full").fit(X.astype(np.float64))
    np.testing.assert_allclose(ours.components_, reference.components_, atol=2e-4)
    np.testing.assert_allclose(ours.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-5)
    want = reference.transform(X.astype(np.float64))
    np.testing.assert_allclose(ours.transform(mapped), want, rtol=0, atol=1e-3 * np.abs(want).max())


def test_pca_cancel_stops_between_chunks():
    X = np.random.default_rng(0).normal(size=(3_000, 8)).astype(np.float32)
    calls = []
    with pytest.raises(Cancelled):
        PCAReducer(chunk_rows=1_000).fit(X, cancel=lambda: calls.append(1) or len(calls) >= 2)
    assert len(calls) == 2


def test_on_demand_tsne_of_many_segments_is_fitted_on_every_third_segment_of_each_track():
    from tagscape.projections.maps import ON_DEMAND_FIT_ABOVE, ON_DEMAND_PARAMS, on_demand_plan

    small = np.concatenate([np.arange(50)] * 10)  # 500 segments: fitted whole
    settings, rows = on_demand_plan("tsne", small, {"perplexity": 10})
    assert rows is None and settings == {**ON_DEMAND_PARAMS["tsne"], "perplexity": 10}
    index = np.concatenate([np.arange(n) for n in np.random.default_rng(0).integers(40, 110, ON_DEMAND_FIT_ABOVE // 50)])
    assert len(index) > ON_DEMAND_FIT_ABOVE
    _, rows = on_demand_plan("tsne", index, {})
    assert (index[rows] % 3 == 0).all()
    assert len(rows) == (index % 3 == 0).sum()
    assert on_demand_plan("umap", index, {})[1] is None  # UMAP fits every segment


def test_a_server_compiles_umap_in_the_background_when_it_starts(music_folder):
    """``create_app`` (outside tests) starts the warm-up thread; once it is done UMAP is compiled
    and a second warm-up does nothing."""
    import threading

    from tagscape.collection import index_folder, open_collection
    from tagscape.projections.methods import warm_up_umap
    from tagscape.web import create_app

    index_folder(music_folder)
    with open_collection(music_folder) as collection:
        create_app(collection, {"TAGSCAPE_WARM_UP": True})
        threads = [t for t in threading.enumerate() if t.name == "tagscape-umap-warm-up"]
        assert threads
        for thread in threads:
            thread.join(timeout=300)
        assert warm_up_umap() == 0.0


# ------------------------------------------------------------------------- t-SNE edge cases


def test_tsne_small_inputs(small):
    X, labels = small
    coords = fit_coords(TSNEReducer(n_jobs=1), X[:12])  # perplexity is lowered to fit 12 points
    assert coords.shape == (12, 2) and np.isfinite(coords).all()
    with pytest.raises(UsageError, match="at least 4 points"):
        TSNEReducer().fit(X[:3])


def test_tsne_cancel_stops_the_optimisation(small):
    X, _ = small
    calls = []

    def cancel():
        calls.append(1)
        return True

    with pytest.raises(Cancelled):
        TSNEReducer(n_jobs=1).fit(X, cancel=cancel)
    assert calls


def test_unknown_method_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown projection"):
        make_reducer("mds")


# ----------------------------------------------------------------------------------- quality


def test_map_quality_of_a_perfect_and_a_random_map():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(400, 2)).astype(np.float32)
    perfect = map_quality(Y, Y, k=10)
    assert perfect.trustworthiness == pytest.approx(1.0) and perfect.knn_kept == pytest.approx(1.0)
    X = rng.normal(size=(400, 50)).astype(np.float32)
    assert knn_kept(X, Y, k=10) < 0.1
    sampled = map_quality(X, Y, k=10, sample=100)
    assert sampled.n_points == 100 and sampled.trustworthiness < 0.8
