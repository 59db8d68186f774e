"""``/api/clusters`` on the web tests' real collection (MusiCNN-MTT and VGG-MSD extracted from
synthesised demo music): labels line up with /api/points, sizes, centroids and tag lifts agree
with numpy on the same points, every extracted tagger names the clusters, bad settings are 400s."""

from __future__ import annotations

import numpy as np
import pytest

from tagscape.models.registry import MODELS

MAP = "model=musicnn-mtt&layer=embeddings&projection=pca"


def points_json(client, query: str) -> dict:
    response = client.get(f"/api/points?{query}&format=json")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def clusters_json(client, query: str) -> dict:
    response = client.get(f"/api/clusters?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_labels_follow_the_points_and_clusters_agree_with_numpy(client, collection):
    # a low min_share so that the 9 small tracks' map has several clusters
    body = clusters_json(client, MAP + "&min_share=0.05")
    pts = points_json(client, MAP)
    x, y = np.array(pts["points"]["x"]), np.array(pts["points"]["y"])
    labels = np.array(body["labels"])
    assert len(labels) == pts["n_points"] == body["n_points"] and body["n_clusters"] >= 2
    assert body["noise"] == int((labels == -1).sum()) and set(labels.tolist()) <= {-1, *range(body["n_clusters"])}
    assert body["named_by"] == "musicnn-mtt" and set(body["clusters"][0]["labels"]) == {"musicnn-mtt", "vgg-msd"}

    # each point's MusiCNN-MTT taggram, read from the store's layer, in the points' order
    taggrams = collection.layer("musicnn-mtt", "taggrams")
    track_ids = np.array(pts["tracks"]["track_id"])[pts["points"]["track"]]
    starts = {int(t): int(taggrams.offsets[i]) for i, t in enumerate(taggrams.track_ids)}
    rows = np.array([starts[int(t)] + s for t, s in zip(track_ids, pts["points"]["segment"], strict=True)])
    values = np.asarray(taggrams.values[rows], np.float64)
    tags = MODELS["musicnn-mtt"].tags
    for cluster in body["clusters"]:
        members = labels == cluster["id"]
        assert cluster["size"] == int(members.sum())
        # float32 coordinates, float64 means in another order, rounded by JSON's float32 -> float64
        np.testing.assert_allclose(cluster["centroid"], [x[members].mean(), y[members].mean()], rtol=1e-5, atol=1e-5)
        assert any(np.allclose(cluster["anchor"], [a, b]) for a, b in zip(x[members], y[members], strict=True))
        lift = values[members].mean(axis=0) - values.mean(axis=0)
        for item in cluster["labels"]["musicnn-mtt"]:
            # the server rounds lifts to 4 decimals; the sums differ only in order
            assert item["lift"] == pytest.approx(lift[tags.index(item["tag"])], abs=6e-5)
            assert item["lift"] >= body["settings"]["min_lift"]
        named = cluster["labels"]["musicnn-mtt"]
        assert [i["lift"] for i in named] == sorted((i["lift"] for i in named), reverse=True)
        if named:
            assert cluster["name"] == " · ".join(i["tag"] for i in named)
            best = int(np.argmax(lift))
            assert named[0]["tag"] == tags[best]


def test_averages_and_the_layer_space(client):
    averages = clusters_json(client, MAP + "&mode=averages")
    assert len(averages["labels"]) == points_json(client, MAP + "&mode=averages")["n_points"]
    layer = clusters_json(client, MAP + "&space=layer&min_share=0.05")
    assert layer["settings"]["space"] == "layer" and len(layer["labels"]) == layer["n_points"] and layer["n_clusters"] >= 1


def test_a_selection_and_an_empty_one(client):
    some = clusters_json(client, MAP + "&limit=3")
    assert len(some["labels"]) == points_json(client, MAP + "&limit=3")["n_points"]
    empty = clusters_json(client, MAP + "&q=no-such-title-anywhere")
    assert empty["labels"] == [] and empty["clusters"] == []


def test_answers_revalidate(client):
    first = client.get(f"/api/clusters?{MAP}")
    again = client.get(f"/api/clusters?{MAP}", headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and again.status_code == 304


@pytest.mark.parametrize("query", [
    "space=moon", "min_share=0", "min_share=1e309", "min_samples=abc", "min_samples=101", "top=0", "min_lift=nan", "min_lift=-1",
    "projection=nope", "x=%C2%B2", "mode=%00",
])
def test_bad_parameters_are_400(client, query):
    response = client.get(f"/api/clusters?model=musicnn-mtt&{query}")  # the first of a repeated parameter counts
    assert response.status_code == 400, response.get_json()
    assert set(response.get_json()) == {"error", "message"}


def test_a_missing_model_is_404(client):
    response = client.get("/api/clusters?model=vgg-mtt")
    assert response.status_code == 404 and "vgg-mtt" in response.get_json()["message"]
