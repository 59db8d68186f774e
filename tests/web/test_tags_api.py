"""The tag analysis API over the web tests' real collection (demo music through MusiCNN-MTT and
VGG-MSD): every number is checked against numpy, scipy or scikit-learn on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from tagscape.analysis.groundtruth import MAPPINGS
from tagscape.models.registry import MODELS, MSD_TAGS, MTT_TAGS, Layer, ModelSpec

SEGMENT = 2.992


def layer_values(collection, model_id):
    layer = collection.layer(model_id, "taggrams")
    return layer, np.asarray(layer.values, np.float64)


def test_a_tracks_taggram_orders_its_tags_by_mean_activation(client, collection):
    track_id = collection.tracks()[2]["track_id"]
    body = client.get(f"/api/tracks/{track_id}/taggram?model=musicnn-mtt").get_json()
    stored = np.asarray(collection.store.track_layer(track_id, "musicnn-mtt", "taggrams"), np.float32)
    assert body["n_segments"] == len(stored) and body["segment_seconds"] == pytest.approx(SEGMENT)
    assert body["tags"] == [MTT_TAGS[i] for i in body["columns"]] and sorted(body["tags"]) == sorted(MTT_TAGS)
    assert body["mean"] == sorted(body["mean"], reverse=True)
    np.testing.assert_allclose(np.array(body["values"]), stored[:, body["columns"]].T, atol=6e-6)
    assert body["segment_starts"][1] == pytest.approx(SEGMENT) and body["title"] == collection.track(track_id)["title"]


def test_the_tag_view_lists_the_truly_highest_segments(client, collection):
    layer, values = layer_values(collection, "vgg-msd")
    column = MSD_TAGS.index("rock")
    body = client.get("/api/tag?model=vgg-msd&tag=rock&k=12&bins=10").get_json()
    top = body["top"]
    assert [row["rank"] for row in top] == list(range(1, 13))
    activations = [row["activation"] for row in top]
    assert activations == sorted(activations, reverse=True)
    assert activations == pytest.approx(np.sort(values[:, column])[::-1][:12], abs=1e-5)
    segment_index = layer.segment_index()
    for row in top:
        position = list(layer.track_ids).index(row["track_id"])
        assert values[layer.offsets[position] + row["segment"], column] == pytest.approx(row["activation"], abs=1e-5)
        assert row["start"] == pytest.approx(row["segment"] * SEGMENT) and row["end"] == pytest.approx((row["segment"] + 1) * SEGMENT)
        assert row["title"] == collection.track(row["track_id"])["title"]
    assert segment_index.max() >= max(row["segment"] for row in top)
    assert sum(body["histogram"]["counts"]) == body["n_segments"] == len(values)
    assert body["histogram"]["counts"] == np.histogram(values[:, column].astype(np.float32), bins=10, range=(0, 1))[0].tolist()
    assert body["summary"]["max"] == pytest.approx(values[:, column].max(), abs=1e-5)


def test_tag_pair_correlations_over_the_selection_match_scipy(client, collection):
    layer, values = layer_values(collection, "musicnn-mtt")
    x, y = MTT_TAGS.index("vocal"), MTT_TAGS.index("no vocals")
    chosen = [int(t) for t in layer.track_ids[:5]]
    body = client.get("/api/correlations?model=musicnn-mtt&x=vocal&y=no+vocals&limit=5").get_json()
    rows, _ = layer.rows_for(chosen)
    assert body["n"] == len(rows) and body["n_tracks"] == 5 and body["mode"] == "segments"
    assert body["pearson"] == pytest.approx(stats.pearsonr(values[rows, x], values[rows, y]).statistic, abs=1e-6)
    assert body["spearman"] == pytest.approx(stats.spearmanr(values[rows, x], values[rows, y]).statistic, abs=1e-6)

    means = np.array([values[layer.offsets[i] : layer.offsets[i + 1]].mean(axis=0) for i in range(layer.n_tracks)])
    body = client.get("/api/correlations?model=musicnn-mtt&x=vocal&y=no+vocals&mode=averages").get_json()
    assert body["n"] == layer.n_tracks
    assert body["pearson"] == pytest.approx(stats.pearsonr(means[:, x], means[:, y]).statistic, abs=1e-6)
    assert body["spearman"] == pytest.approx(stats.spearmanr(means[:, x], means[:, y]).statistic, abs=1e-6)
    empty = client.get("/api/correlations?model=musicnn-mtt&x=vocal&y=piano&artist=nobody").get_json()
    assert empty["n"] == 0 and empty["pearson"] is None and empty["spearman"] is None


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_the_correlation_matrix_is_numpys_in_clustered_order(client, collection, method):
    _, values = layer_values(collection, "musicnn-mtt")
    body = client.get(f"/api/correlations/matrix?model=musicnn-mtt&method={method}").get_json()
    order = body["order"]
    assert sorted(order) == list(range(50)) and body["tags"] == [MTT_TAGS[i] for i in order]
    assert body["n_used"] == body["n_segments"] == len(values) and body["sampled"] is False
    expected = np.corrcoef(values.T) if method == "pearson" else stats.spearmanr(values).statistic
    got = np.array([[np.nan if v is None else v for v in row] for row in body["matrix"]])
    np.testing.assert_allclose(got, expected[np.ix_(order, order)], atol=1e-4)
    # the clustering keeps the strongest partner of most tags next to them
    strongest = {i: max((j for j in range(50) if j != i), key=lambda j: np.nan_to_num(expected[i, j], nan=-2)) for i in range(50)}
    position = {tag: p for p, tag in enumerate(order)}
    near = sum(abs(position[i] - position[strongest[i]]) <= 2 for i in range(50))
    assert near >= 30, near


def test_agreement_lists_every_models_top_tags_and_compares_them(client, collection):
    track_id = collection.tracks()[0]["track_id"]
    body = client.get(f"/api/agreement?track={track_id}&k=5").get_json()
    assert [m["model"] for m in body["models"]] == ["musicnn-mtt", "vgg-msd"]
    for model in body["models"]:
        spec = MODELS[model["model"]]
        mean = np.asarray(collection.store.track_layer(track_id, model["model"], "taggrams"), np.float64).mean(axis=0)
        assert [t["tag"] for t in model["top"]] == [spec.tags[i] for i in np.argsort(-mean, kind="stable")[:5]]
    (pair,) = body["pairs"]
    assert pair["a"] == "musicnn-mtt" and pair["b"] == "vgg-msd" and pair["k"] == 5
    assert set(pair["shared"]) == {"rock", "pop", "electronic", "dance", "metal", "ambient", "guitar", "country"}
    assert -1 <= pair["spearman"] <= 1 and -1 <= pair["kendall"] <= 1 and 0 <= pair["top_overlap"] <= 1


def test_ground_truth_from_file_genres_matches_sklearn(client, collection):
    body = client.get("/api/ground-truth?model=vgg-msd").get_json()
    layer, values = layer_values(collection, "vgg-msd")
    genre = {t["track_id"]: (t["genre"] or "").casefold().replace(" ", "") for t in collection.tracks()}
    annotated = [i for i, t in enumerate(layer.track_ids) if genre[int(t)]]
    assert len(annotated) == 9  # every track but the AIFF tone has a genre
    means = np.array([values[layer.offsets[i] : layer.offsets[i + 1]].mean(axis=0) for i in annotated])
    rows = {row["tag"]: row for row in body["tags"]}
    assert {tag for tag, row in rows.items() if row["roc_auc"] is not None} == {"rock", "jazz", "folk", "ambient"}
    for tag, row in rows.items():
        truth = np.array([genre[int(layer.track_ids[i])] in {label.split(":")[1] for label in MAPPINGS["MSD"][tag]} for i in annotated])
        assert row["n_tracks"] == 9 and row["n_positive"] == truth.sum()
        if row["roc_auc"] is not None:
            scores = means[:, MSD_TAGS.index(tag)]
            assert row["roc_auc"] == pytest.approx(roc_auc_score(truth, scores), abs=1e-4)
            assert row["pr_auc"] == pytest.approx(average_precision_score(truth, scores), abs=1e-4)
            assert row["positive_rate"] == pytest.approx(1 / 9, abs=1e-4)
    assert "guitar" in body["unlabelled"] and "female vocalists" in body["unmapped"]


def test_ground_truth_from_jamendo_tags(remote_client):
    body = remote_client.get("/api/ground-truth?model=musicnn-mtt").get_json()
    rows = {row["tag"]: row for row in body["tags"]}
    assert rows["rock"]["n_tracks"] == 2 and rows["rock"]["n_positive"] == 1 and rows["rock"]["roc_auc"] is not None
    assert rows["guitar"]["n_tracks"] == 1 and rows["guitar"]["roc_auc"] is None  # one annotated track: no AUC
    assert body["annotated_tracks"] == {"genre": 2, "instrument": 1, "mood": 0}


def test_a_model_without_taggrams_gets_a_clear_400(client, monkeypatch):
    monkeypatch.setitem(MODELS, "embedder", ModelSpec("embedder", "vggish", "AudioSet", "none", (Layer("embeddings", 128, "fc2"),)))
    for url in ("/api/tracks/1/taggram?model=embedder", "/api/tag?model=embedder&tag=rock", "/api/correlations?model=embedder&x=a&y=b",
                "/api/correlations/matrix?model=embedder", "/api/ground-truth?model=embedder"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.get_json() == {"error": "UsageError", "message": response.get_json()["message"]}
        assert "embedder has no taggrams layer" in response.get_json()["message"]


@pytest.mark.parametrize("url, status, words", [
    ("/api/tag?tag=rock", 400, "'model' is required"),
    ("/api/tag?model=vgg-msd", 400, "'tag' is required"),
    ("/api/tag?model=vgg-msd&tag=banjo", 400, "unknown tag 'banjo'"),
    ("/api/tag?model=vgg-msd&tag=rock&k=5000", 400, "'k' must be between 1 and 1000"),
    ("/api/tag?model=vgg-msd&tag=rock&bins=x", 400, "'bins' must be an integer"),
    ("/api/tag?model=vgg-mtt&tag=rock", 404, "no vgg-mtt results"),
    ("/api/tag?model=nope&tag=rock", 404, "unknown model 'nope'"),
    ("/api/tracks/99999/taggram?model=vgg-msd", 404, "no track 99999"),
    ("/api/tracks/1/taggram", 400, "'model' is required"),
    ("/api/correlations?model=vgg-msd&x=rock", 400, "'y' is required"),
    ("/api/correlations?model=vgg-msd&x=rock&y=pop&mode=lines", 400, "'mode' must be one of segments, averages"),
    ("/api/correlations?model=vgg-msd&x=rock&y=pop&limit=0", 400, "'limit' must be at least 1"),
    ("/api/correlations/matrix?model=vgg-msd&method=kendall", 400, "'method' must be one of pearson, spearman"),
    ("/api/agreement", 400, "'track' is required"),
    ("/api/agreement?track=abc", 400, "'track' must be an integer"),
    ("/api/agreement?track=99999", 404, "no track 99999"),
    ("/api/agreement?track=1&k=99", 400, "'k' must be between 1 and 50"),
    ("/api/ground-truth", 400, "'model' is required"),
    ("/api/ground-truth?model=vgg-mtt", 404, "no vgg-mtt results"),
])
def test_bad_requests_get_one_clear_json_error(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error", "message"} and words in body["message"]
