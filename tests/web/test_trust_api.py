"""Trust endpoints on the web tests' real collection: per-point preservation and one point's true
and map neighbours against brute force over the same points, the map's trust figures against
scikit-learn, bounds and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from tagscape.web import trust as trust_web

MAP = "model=musicnn-mtt&layer=embeddings&projection=pca"
K = 5


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def map_data(client, collection, query: str = MAP):
    """The map's points as /api/points gives them, and each point's layer row (float64)."""
    pts = get_json(client, f"/api/points?{query}&format=json")
    coords = np.column_stack([pts["points"]["x"], pts["points"]["y"]]).astype(np.float64)
    layer = collection.layer("musicnn-mtt", "embeddings")
    starts = {int(t): int(layer.offsets[i]) for i, t in enumerate(layer.track_ids)}
    tracks = np.array(pts["tracks"]["track_id"])[pts["points"]["track"]]
    segments = np.array(pts["points"]["segment"])
    high = np.asarray(layer.values[[starts[int(t)] + int(s) for t, s in zip(tracks, segments, strict=True)]], np.float64)
    return coords, high, tracks, segments


def brute(points: np.ndarray, k: int, *, cosine: bool) -> list[list[int]]:
    X = points / np.linalg.norm(points, axis=1, keepdims=True) if cosine else points
    distance = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(distance, np.inf)
    return [np.argsort(row, kind="stable")[:k].tolist() for row in distance]


def test_preservation_of_every_point_equals_brute_force(client, collection):
    body = get_json(client, f"/api/preservation?{MAP}&k={K}")
    coords, high, _, _ = map_data(client, collection)
    expected = np.array([len(set(a) & set(b)) / K for a, b in zip(brute(high, K, cosine=True), brute(coords, K, cosine=False), strict=True)])
    ours = np.array(body["preservation"])
    assert body["k"] == K and len(ours) == len(coords) == body["n_points"]
    # scikit-learn ranks by float32 distances, this loop by float64: a near-tie at the k-th
    # neighbour may swap one neighbour (1/k) for a few points
    assert (np.abs(ours - expected) <= 1 / K + 1e-6).all() and (np.abs(ours - expected) > 1e-6).mean() <= 0.03
    assert body["mean"] == pytest.approx(ours.mean(), abs=1e-4)


def test_trust_figures_agree_with_scikit_learn(client, collection):
    body = get_json(client, f"/api/trust?{MAP}&k={K}")
    coords, high, _, _ = map_data(client, collection)
    assert body["sample"] == body["n_points"] == len(coords)  # a small map: every point
    # the same function on the same float32 rows
    assert body["trustworthiness"] == pytest.approx(trustworthiness(high.astype(np.float32), coords.astype(np.float32), n_neighbors=K), abs=1e-4)
    assert 0 <= body["knn_kept"] <= 1 and body["hubness_layer"] is not None


def test_a_points_neighbours_in_the_layer_and_on_the_map(client, collection):
    coords, high, tracks, segments = map_data(client, collection)
    preserved = get_json(client, f"/api/preservation?{MAP}&k={K}")["preservation"]
    for point in (0, len(coords) // 2, len(coords) - 1):
        body = get_json(client, f"/api/neighbours?{MAP}&k={K}&track={tracks[point]}&segment={segments[point]}")
        assert body["point"]["point"] == point
        layer = [item["point"] for item in body["layer_neighbours"]]
        on_map = [item["point"] for item in body["map_neighbours"]]
        # float16 unit vectors in the server against float64 here: allow one swap at a near-tie
        assert len(set(layer) & set(brute(high, K, cosine=True)[point])) >= K - 1
        assert set(on_map) == set(brute(coords, K, cosine=False)[point])
        sims = [item["similarity"] for item in body["layer_neighbours"]]
        assert sims == sorted(sims, reverse=True)
        assert body["preserved"] == pytest.approx(len(set(layer) & set(on_map)) / K)
        assert abs(body["preserved"] - preserved[point]) <= 1 / K + 1e-6
        for item in body["layer_neighbours"]:
            assert (item["track_id"], item["segment"]) == (int(tracks[item["point"]]), int(segments[item["point"]]))


def test_a_whole_layer_map_asks_the_similarity_search(client, collection, monkeypatch):
    coords, _, tracks, segments = map_data(client, collection)
    point = 3
    query = f"/api/neighbours?{MAP}&k={K}&track={tracks[point]}&segment={segments[point]}"
    in_memory = get_json(client, query)
    monkeypatch.setattr(trust_web, "NEIGHBOURS_IN_MEMORY", 10)  # as if the map were larger than the server keeps
    searched = get_json(client, query)
    assert searched["method"] in ("exact", "index")
    assert len({i["point"] for i in searched["layer_neighbours"]} & {i["point"] for i in in_memory["layer_neighbours"]}) >= K - 1
    # a selection too large to keep in memory is a clear 400
    response = client.get(f"/api/neighbours?{MAP}&limit=5&k={K}&track={tracks[0]}&segment={segments[0]}")
    assert response.status_code == 400 and "at most" in response.get_json()["message"]


def test_averages_mode_neighbours_are_tracks(client):
    pts = get_json(client, f"/api/points?{MAP}&mode=averages&format=json")
    track = pts["tracks"]["track_id"][0]
    body = get_json(client, f"/api/neighbours?{MAP}&mode=averages&k=3&track={track}")
    assert body["point"] == {"point": 0, "track_id": track, "segment": None} and len(body["layer_neighbours"]) == 3
    assert all(item["segment"] is None for item in body["map_neighbours"])


@pytest.mark.parametrize("path, query, status", [
    ("neighbours", "segment=0", 400),                 # no track
    ("neighbours", "track=1", 400),                   # no segment in segments mode
    ("neighbours", "track=99999&segment=0", 404),      # not a point of this map
    ("neighbours", "track=1&segment=100000", 404),
    ("neighbours", "track=abc&segment=0", 400),
    ("neighbours", "track=1&segment=0&k=0", 400),
    ("trust", "k=101", 400),
    ("preservation", "k=-1", 400),
    ("preservation", "projection=nope", 400),
])
def test_bad_parameters(client, path, query, status):
    response = client.get(f"/api/{path}?model=musicnn-mtt&layer=embeddings&{query}")
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()) == {"error", "message"}


def test_too_many_points_for_preservation_is_a_400(client, monkeypatch):
    monkeypatch.setattr(trust_web, "PRESERVATION_LIMIT", 10)
    response = client.get(f"/api/preservation?{MAP}&k=3&seed=7")  # another map: not a cached answer
    assert response.status_code == 400 and "at most 10" in response.get_json()["message"]
