"""Expression axes of the original projection through /api/points on the web tests' real collection:
the axes equal the numpy expression on the layer's columns, r and rho come with them, synonyms
work across datasets, bad expressions are 400s, and clusters take the same map."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest
from scipy import stats

from tagscape.models.registry import MSD_TAGS, MTT_TAGS


def points(client, query: str) -> dict:
    response = client.get(f"/api/points?{query}&format=json")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def columns(collection, model_id: str, body: dict) -> np.ndarray:
    """The taggram rows of the answer's points, as stored (float16 -> float64)."""
    array = collection.layer(model_id, "taggrams")
    starts = {int(t): int(array.offsets[i]) for i, t in enumerate(array.track_ids)}
    tracks = np.array(body["tracks"]["track_id"])[body["points"]["track"]]
    return np.asarray(array.values[[starts[int(t)] + int(s) for t, s in zip(tracks, body["points"]["segment"], strict=True)]], np.float64)


def test_expression_axes_equal_numpy_and_carry_r_and_rho(client, collection):
    x, y = "(guitar + rock) / 2", "0.5*piano - drums"
    body = points(client, f"model=musicnn-mtt&projection=original&x_expr={quote(x)}&y_expr={quote(y)}")
    block = columns(collection, "musicnn-mtt", body)
    c = {name: block[:, MTT_TAGS.index(name)] for name in ("guitar", "rock", "piano", "drums")}
    # float64 arithmetic on the float16 activations, sent as float32: equal within float32 rounding
    np.testing.assert_allclose(body["points"]["x"], (c["guitar"] + c["rock"]) / 2, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(body["points"]["y"], 0.5 * c["piano"] - c["drums"], rtol=1e-6, atol=1e-7)
    assert body["axis_labels"] == ["(guitar + rock) / 2", "0.5 * piano - drums"] and body["axis_expressions"] == [x, y]
    xs, ys = np.array(body["points"]["x"], np.float64), np.array(body["points"]["y"], np.float64)
    assert body["correlation"]["n"] == len(xs)
    assert body["correlation"]["pearson"] == pytest.approx(stats.pearsonr(xs, ys)[0], abs=1e-5)
    assert body["correlation"]["spearman"] == pytest.approx(stats.spearmanr(xs, ys)[0], abs=1e-5)


def test_one_expression_beside_a_plain_axis_and_averages(client, collection):
    body = points(client, f"model=vgg-msd&projection=original&x_expr={quote('rock - pop')}&y={quote('female vocalists')}")
    block = columns(collection, "vgg-msd", body)
    np.testing.assert_allclose(body["points"]["x"], block[:, MSD_TAGS.index("rock")] - block[:, MSD_TAGS.index("pop")], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(body["points"]["y"], block[:, MSD_TAGS.index("female vocalists")], rtol=1e-6, atol=1e-7)
    averages = points(client, f"model=vgg-msd&projection=original&x_expr={quote('rock - pop')}&mode=averages")
    assert averages["n_points"] == averages["n_tracks"] and averages["correlation"]["n"] == averages["n_points"]


def test_a_synonym_makes_one_axis_work_on_msd_and_mtt(client):
    axis = quote("female vocalists - male vocalists")
    msd = points(client, f"model=vgg-msd&projection=original&x_expr={axis}&y_expr={axis}")
    mtt = points(client, f"model=musicnn-mtt&projection=original&x_expr={axis}&y_expr={axis}")
    assert msd["axis_labels"][0] == "female vocalists - male vocalists" and mtt["axis_labels"][0] == "female vocal - male vocal"


def test_clusters_of_an_expression_map(client):
    query = f"model=musicnn-mtt&projection=original&x_expr={quote('rock - pop')}&y_expr=piano"
    response = client.get(f"/api/clusters?{query}")
    assert response.status_code == 200 and len(response.get_json()["labels"]) == points(client, query)["n_points"]


@pytest.mark.parametrize("expression", ["rock +", "(rock", "rock pop", "no-such-tag", "__import__('os')", "rock ** 2", "1e999*rock",
                                        "rock # %3F", "(" * 30 + "rock" + ")" * 30, "r" * 400, "rock; pop", "caf\u00e9"])
def test_bad_expressions_are_400(client, expression):
    response = client.get(f"/api/points?model=musicnn-mtt&projection=original&x_expr={quote(expression)}")
    assert response.status_code == 400, response.get_json()
    assert set(response.get_json()) == {"error", "message"}


def test_expressions_are_for_the_original_projection_and_taggrams(client):
    response = client.get(f"/api/points?model=musicnn-mtt&projection=pca&x_expr={quote('rock - pop')}")
    assert response.status_code == 400 and "original" in response.get_json()["message"]
    response = client.get(f"/api/points?model=musicnn-mtt&layer=embeddings&projection=original&x_expr={quote('rock - pop')}")
    assert response.status_code == 400
    # an empty selection does not skip the check
    response = client.get("/api/points?model=musicnn-mtt&projection=original&x_expr=nope&q=no-such-track-anywhere")
    assert response.status_code == 400
