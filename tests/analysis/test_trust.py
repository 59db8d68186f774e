"""Trust in a map: neighbourhood preservation and hubness against brute force, and on maps whose
answer is known (a map equal to its layer keeps every neighbour; a planted hub is found)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import skew

from tagscape.analysis import trust
from tagscape.errors import UsageError


def brute_neighbours(points: np.ndarray, k: int, *, cosine: bool = False) -> list[set[int]]:
    X = np.asarray(points, np.float64)
    if cosine:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    distance = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distance, np.inf)
    return [set(np.argsort(row, kind="stable")[:k].tolist()) for row in distance]


@pytest.mark.parametrize("k", [1, 5, 10])
def test_preservation_equals_brute_force(rng, k):
    high = rng.normal(size=(300, 20))
    high[:, :2] *= 8  # two dimensions dominate: a map of them keeps many neighbourhoods, not all
    low = high[:, :2] + rng.normal(scale=0.5, size=(300, 2))
    ours = trust.preservation(high=high, low=low, k=k)
    high_nn, low_nn = brute_neighbours(high, k, cosine=True), brute_neighbours(low, k)
    expected = np.array([len(a & b) / k for a, b in zip(high_nn, low_nn, strict=True)])
    # Neighbour sets are discrete, but scikit-learn ranks by float32 distances computed another way
    # than this float64 loop: a near-tie at the k-th neighbour may swap. Allow it for 1 % of points.
    differ = np.abs(ours - expected) > 1e-6
    assert differ.mean() <= 0.01 and (np.abs(ours - expected) <= 1 / k + 1e-6).all()
    assert 0.05 < ours.mean() < 0.95  # neither trivially all kept nor all lost


def test_a_map_equal_to_its_layer_keeps_every_neighbour(rng):
    points = rng.normal(size=(200, 2))
    assert (trust.preservation(high=points, low=points, k=7, metric="euclidean") == 1).all()
    # cosine ignores each row's length: scaled rows keep the same layer neighbours
    high = rng.normal(size=(200, 8))
    scaled = high * rng.uniform(0.5, 3, size=(200, 1))
    low = rng.normal(size=(200, 2))
    np.testing.assert_array_equal(trust.preservation(high=high, low=low), trust.preservation(high=scaled, low=low))


def test_k_occurrence_and_hubness_equal_brute_force(rng):
    points = rng.normal(size=(250, 30))
    counts = trust.k_occurrence(points=points, k=10)
    expected = np.zeros(len(points), np.int64)
    for neighbours in brute_neighbours(points, 10, cosine=True):
        expected[list(neighbours)] += 1
    assert counts.sum() == 250 * 10
    # float32 near-ties again: a swap moves one count between two points
    assert np.abs(counts - expected).sum() <= 4
    assert trust.hubness(points=points, k=10) == pytest.approx(skew(expected.astype(float)), abs=0.1)


def test_hubness_grows_with_dimension_and_a_point_at_the_mean_is_a_hub(rng):
    # Radovanovic et al.: Gaussian data in 50 dimensions has a skewed k-occurrence, in 2 hardly;
    # the points nearest the data's mean are the hubs.
    low_dim, high_dim = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 50))
    assert trust.hubness(points=high_dim, k=10, metric="euclidean") > trust.hubness(points=low_dim, k=10, metric="euclidean") + 0.5
    occurrence = trust.k_occurrence(points=np.vstack([np.zeros((1, 50)), high_dim]), k=10, metric="euclidean")
    assert occurrence[0] >= np.percentile(occurrence, 99)


def test_duplicates_are_neighbours_not_themselves():
    points = np.zeros((6, 2))
    found = trust.nearest(points=points, k=3)
    assert found.shape == (6, 3) and not (found == np.arange(6)[:, None]).any()


def test_map_trust_figures(rng):
    high = rng.normal(size=(500, 16))
    low = high[:, :2]
    figures = trust.map_trust(high=high, low=low, k=10, sample=300)
    assert figures["sample"] == 300 and figures["n_points"] == 500
    assert 0.5 < figures["trustworthiness"] <= 1 and 0 < figures["knn_kept"] < 1
    assert np.isfinite(figures["hubness_layer"]) and np.isfinite(figures["hubness_map"])


@pytest.mark.parametrize("k", [0, 101, 2.5, True])
def test_bad_k_is_a_usage_error(k):
    with pytest.raises(UsageError, match="k must be"):
        trust.preservation(high=np.zeros((5, 3)), low=np.zeros((5, 2)), k=k)


def test_mismatched_points_and_bad_metric():
    with pytest.raises(UsageError, match="points"):
        trust.preservation(high=np.zeros((5, 3)), low=np.zeros((4, 2)))
    with pytest.raises(UsageError, match="metric"):
        trust.nearest(points=np.zeros((5, 3)), k=2, metric="manhattan")
