"""Tag analysis on a real collection (the real recordings of tests/data/music, with genres written
into the files, through the real MusiCNN-MTT and VGG-MSD models): the numbers must agree with
brute force, numpy, scipy and scikit-learn on the same data."""

from __future__ import annotations

import shutil

import mutagen
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from tagscape.analysis import agreement, correlation, groundtruth, tags
from tagscape.collection import index_folder, open_collection
from tagscape.errors import NotFoundError, UsageError
from tagscape.extract import extract_collection
from tagscape.models.registry import MODELS, MSD_TAGS, MTT_TAGS, Layer, ModelSpec
from tagscape.store.layers import LayerArray

MODELS_USED = ("musicnn-mtt", "vgg-msd")
#: Genres written into the copies' tags (the piano piece gets none: it is unknown, not a negative).
GENRES = {"ambient": "Ambient", "choir": "Choir", "metal": "Heavy Metal; Metal", "orchestral": "Classical", "techno": "Techno / Electronic"}


@pytest.fixture(scope="module")
def collection(tmp_path_factory, music_files):
    root = tmp_path_factory.mktemp("tags")
    for path in music_files:
        copy = shutil.copy(path, root / path.name)
        if path.stem in GENRES:
            audio = mutagen.File(copy, easy=True)
            if audio.tags is None:
                audio.add_tags()
            audio["genre"] = GENRES[path.stem]
            audio.save()
    index_folder(root)
    opened = open_collection(root)
    extract_collection(opened, list(MODELS_USED), workers=2)
    yield opened
    opened.close()


def all_segments(collection, model_id):
    """(track id, segment, activations) of every segment, read track by track from the database."""
    rows = []
    for track in collection.tracks():
        values = collection.store.track_layer(track["track_id"], model_id, "taggrams")
        rows += [(track["track_id"], s, np.asarray(v, np.float32)) for s, v in enumerate(values)]
    return rows


@pytest.mark.parametrize("tag", ["piano", "metal", "choir", "techno"])
def test_top_segments_are_sorted_and_really_the_highest(collection, tag):
    column = MTT_TAGS.index(tag)
    everything = all_segments(collection, "musicnn-mtt")
    activation = {(t, s): float(v[column]) for t, s, v in everything}
    result = tags.tag_segments(collection, "musicnn-mtt", tag, k=7, bins=20)
    top = list(zip(result["track_ids"].tolist(), result["segments"].tolist(), result["activations"].tolist(), strict=True))
    assert len(top) == 7 and len(set((t, s) for t, s, _ in top)) == 7
    assert all(activation[(t, s)] == a for t, s, a in top)  # the right segment of the right track
    got = [a for _, _, a in top]
    assert got == sorted(got, reverse=True)
    rest = [a for key, a in activation.items() if key not in {(t, s) for t, s, _ in top}]
    assert max(rest) <= min(got)
    assert got == sorted(activation.values(), reverse=True)[:7]
    expected_counts, _ = np.histogram(list(activation.values()), bins=20, range=(0, 1))
    np.testing.assert_array_equal(result["counts"], expected_counts)
    assert result["counts"].sum() == result["n_segments"] == len(everything)


def test_asking_for_more_segments_than_there_are_gives_all_of_them(collection):
    result = tags.tag_segments(collection, "musicnn-mtt", "guitar", k=1000)
    assert len(result["rows"]) == result["n_segments"]
    assert np.all(np.diff(result["activations"]) <= 0)


def test_top_k_breaks_ties_by_position(rng):
    values = rng.integers(0, 5, 500).astype(np.float32)  # many ties
    for k in (1, 3, 50, 499, 500):
        np.testing.assert_array_equal(tags.top_k(values, k), np.argsort(-values, kind="stable")[:k])
    assert len(tags.top_k(values[:0], 5)) == 0


def test_a_tracks_taggram_is_ordered_by_mean_activation(collection):
    track_id = collection.tracks()[0]["track_id"]
    stored = np.asarray(collection.store.track_layer(track_id, "musicnn-mtt", "taggrams"), np.float32)
    result = tags.track_taggram(collection, "musicnn-mtt", track_id)
    assert np.all(np.diff(result["mean"]) <= 0)
    assert sorted(result["tags"]) == sorted(MTT_TAGS)
    np.testing.assert_array_equal(result["values"], stored[:, result["columns"]].T)
    np.testing.assert_allclose(result["mean"], stored.mean(axis=0)[result["columns"]], rtol=1e-6)


def test_pair_correlations_match_scipy(collection):
    layer = collection.layer("musicnn-mtt", "taggrams")
    values = np.asarray(layer.values, np.float64)
    for a, b in [("vocal", "vocals"), ("vocal", "no vocals"), ("piano", "techno"), ("guitar", "metal")]:
        x, y = values[:, MTT_TAGS.index(a)], values[:, MTT_TAGS.index(b)]
        result = correlation.pair(x, y)
        assert result["n"] == len(x)
        assert result["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
        assert result["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert correlation.kendall(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    constant = np.full(len(values), 0.5)
    assert correlation.pair(constant, values[:, 0]) == {"n": len(values), "pearson": None, "spearman": None}


def test_the_correlation_matrix_matches_numpy_and_scipy(collection):
    values = np.asarray(collection.layer("musicnn-mtt", "taggrams").values, np.float64)
    matrix, n_used = correlation.correlation_matrix(collection.layer("musicnn-mtt", "taggrams").values, method="pearson")
    assert n_used == len(values)
    np.testing.assert_allclose(matrix, np.corrcoef(values.T), atol=1e-9)
    rho, n_used = correlation.correlation_matrix(values, method="spearman")
    np.testing.assert_allclose(rho, stats.spearmanr(values).statistic, atol=1e-9)
    sampled, n_used = correlation.correlation_matrix(values, method="spearman", max_rows=20, random_state=3)
    rows = np.sort(np.random.default_rng(3).choice(len(values), 20, replace=False))
    assert n_used == 20
    np.testing.assert_allclose(sampled, stats.spearmanr(values[rows]).statistic, atol=1e-9)
    with pytest.raises(UsageError, match="kendall"):
        correlation.correlation_matrix(values, method="kendall")


def test_stored_float16_values_are_ranked_exactly_without_a_sort(collection, rng):
    halves = rng.random(5000).astype(np.float16)  # about 3,000 distinct values: many ties
    halves[:50] = 0.0
    np.testing.assert_array_equal(correlation.average_ranks(halves), stats.rankdata(halves.astype(np.float64)))
    signed = (rng.random(100) - 0.5).astype(np.float16)  # negative values: ranked by sorting
    np.testing.assert_array_equal(correlation.average_ranks(signed), stats.rankdata(signed.astype(np.float64)))
    stored = collection.layer("musicnn-mtt", "taggrams").values  # float16, memory-mapped
    assert stored.dtype == np.float16
    x, y = stored[:, MTT_TAGS.index("guitar")], stored[:, MTT_TAGS.index("rock")]
    assert correlation.spearman(x, y) == pytest.approx(stats.spearmanr(x.astype(np.float64), y.astype(np.float64)).statistic, abs=1e-12)
    old = correlation.CHUNK_ROWS
    try:
        correlation.CHUNK_ROWS = 7  # the rank tables are counted chunk by chunk
        rho, n_used = correlation.correlation_matrix(stored, method="spearman", max_rows=10)
    finally:
        correlation.CHUNK_ROWS = old
    assert n_used == len(stored)  # every row, however small max_rows is
    np.testing.assert_allclose(rho, stats.spearmanr(np.asarray(stored, np.float64)).statistic, atol=1e-9)


def test_a_constant_tag_has_no_correlation_and_is_still_ordered(rng):
    values = rng.random((200, 4))
    values[:, 2] = 0.25
    matrix, _ = correlation.correlation_matrix(values)
    assert np.isnan(matrix[2]).all() and np.isnan(matrix[:, 2]).all()
    assert sorted(correlation.cluster_order(matrix).tolist()) == [0, 1, 2, 3]


def test_clustering_puts_related_tags_together(rng):
    # three groups of tags, each driven by its own hidden factor, with the columns shuffled
    factors = rng.random((3000, 3))
    group = np.repeat([0, 1, 2], 6)
    values = factors[:, group] + 0.3 * rng.standard_normal((3000, 18))
    shuffle = rng.permutation(18)
    values, group = values[:, shuffle], group[shuffle]
    matrix, _ = correlation.correlation_matrix(values)
    order = correlation.cluster_order(matrix)
    runs = 1 + np.count_nonzero(np.diff(group[order]))
    assert runs == 3  # each group is one contiguous block


def test_track_means_are_the_mean_of_each_tracks_segments(collection):
    layer = collection.layer("vgg-msd", "taggrams")
    means = tags.track_means(layer)
    for i, track_id in enumerate(layer.track_ids):
        stored = np.asarray(collection.store.track_layer(int(track_id), "vgg-msd", "taggrams"), np.float64)
        np.testing.assert_allclose(means[i], stored.mean(axis=0), rtol=1e-6)
    # an empty track gets NaN, its neighbours their own means; chunks of whole tracks
    values = np.arange(24, dtype=np.float32).reshape(12, 2)
    array = LayerArray("m", "taggrams", values, np.array([0, 5, 5, 12]), np.array([1, 2, 3]))
    expected = np.array([values[:5].mean(0), [np.nan, np.nan], values[5:].mean(0)])
    old = tags.CHUNK_ROWS
    try:
        for chunk in (1, 4, 1 << 19):
            tags.CHUNK_ROWS = chunk
            np.testing.assert_allclose(tags.track_means(array), expected)
    finally:
        tags.CHUNK_ROWS = old


def test_agreement_compares_rankings_over_the_shared_tags(collection):
    track = next(t for t in collection.tracks() if t["path"].startswith("metal"))
    result = agreement.track_agreement(collection, track["track_id"], k=5)
    assert [m["model"] for m in result["models"]] == sorted(MODELS_USED)
    means = {m: np.asarray(collection.store.track_layer(track["track_id"], m, "taggrams"), np.float64).mean(axis=0) for m in MODELS_USED}
    (pair,) = result["pairs"]
    shared = [t for t in MTT_TAGS if t.casefold() in {s.casefold() for s in MSD_TAGS}]
    assert set(pair["shared"]) == set(shared) and len(shared) >= 5
    mtt = np.array([means["musicnn-mtt"][MTT_TAGS.index(t)] for t in pair["shared"]])
    msd = np.array([means["vgg-msd"][[s.casefold() for s in MSD_TAGS].index(t.casefold())] for t in pair["shared"]])
    a, b = (msd, mtt) if pair["a"] == "vgg-msd" else (mtt, msd)
    assert pair["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-9)
    assert pair["kendall"] == pytest.approx(stats.kendalltau(a, b).statistic, abs=1e-9)
    top_a, top_b = set(np.argsort(-a)[:5]), set(np.argsort(-b)[:5])
    assert pair["top_overlap"] == len(top_a & top_b) / 5
    top = {m["model"]: [t["tag"] for t in m["top"]] for m in result["models"]}
    assert top["musicnn-mtt"] == [MTT_TAGS[i] for i in np.argsort(-means["musicnn-mtt"], kind="stable")[:5]]
    assert "metal" in top["musicnn-mtt"][:3] and "metal" in top["vgg-msd"][:3]  # the models hear the metal


def test_same_dataset_models_compare_all_their_tags(rng):
    a, b = rng.random(50), rng.random(50)
    result = agreement.compare(MSD_TAGS, a, MSD_TAGS, b, k=10)
    assert result["shared"] == list(MSD_TAGS)
    assert result["spearman"] == pytest.approx(stats.spearmanr(a, b).statistic)
    assert agreement.compare(MSD_TAGS, a, MSD_TAGS, a, k=10)["top_overlap"] == 1.0
    assert agreement.compare(("x", "y"), a[:2], ("x", "y"), b[:2], k=10)["spearman"] is None  # too few shared tags


def test_labels_from_jamendo_and_file_genres_meet_in_one_vocabulary():
    assert groundtruth.normalise_label("genre", "Hip-Hop") == "genre:hiphop"
    assert groundtruth.normalise_label("genre", "hiphop") == "genre:hiphop"
    assert groundtruth.normalise_label("genre", "New Age") == "genre:newage"
    assert groundtruth.normalise_label("genre", "R&B") == "genre:rnb"
    assert groundtruth.normalise_label("mood/theme", "happy") == "mood:happy"
    assert groundtruth.normalise_label("comment", "rock") is None
    assert groundtruth.normalise_label("genre", " - ") is None
    for dataset, tag_list in (("MSD", MSD_TAGS), ("MTT", MTT_TAGS)):
        assert set(groundtruth.MAPPINGS[dataset]) <= set(tag_list)


@pytest.mark.parametrize("model_id", MODELS_USED)
def test_ground_truth_aucs_match_sklearn(collection, model_id):
    result = groundtruth.ground_truth(collection, model_id)
    spec = MODELS[model_id]
    # the expected labels, derived here from GENRES (the file each track came from)
    labels = {}
    for track in collection.tracks():
        stem = track["path"].rsplit(".", 1)[0]
        if stem in GENRES:
            labels[track["track_id"]] = {"genre:" + "".join(ch for ch in part.casefold() if ch.isalnum()) for part in GENRES[stem].replace("/", ";").split(";")}
    means = {t: np.asarray(collection.store.track_layer(t, model_id, "taggrams"), np.float64).mean(axis=0) for t in labels}
    evaluated = [row for row in result["tags"] if row["roc_auc"] is not None]
    assert evaluated, result
    for row in result["tags"]:
        ids = sorted(labels)  # every track with a genre; the piano piece has none and is left out
        truth = np.array([bool(labels[t] & set(row["labels"])) for t in ids])
        scores = np.array([means[t][spec.tags.index(row["tag"])] for t in ids])
        assert row["n_tracks"] == len(ids) == 5 and row["n_positive"] == truth.sum()
        if 0 < truth.sum() < len(truth):
            assert row["roc_auc"] == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
            assert row["pr_auc"] == pytest.approx(average_precision_score(truth, scores), abs=1e-12)
        else:
            assert row["roc_auc"] is None and row["pr_auc"] is None
    by_tag = {row["tag"]: row for row in result["tags"]}
    assert by_tag["metal"]["n_positive"] == 1 and by_tag["metal"]["roc_auc"] == 1.0  # the metal excerpt scores highest
    assert by_tag["electronic"]["n_positive"] == 1 and by_tag["ambient"]["n_positive"] == 1
    # tags mapped to instruments or moods: no track carries one, so they are listed, not scored
    assert "guitar" in result["unlabelled"] and all(row["labels"][0].startswith("genre:") for row in result["tags"])
    assert set(result["unmapped"]) == set(spec.tags) - set(groundtruth.MAPPINGS[spec.dataset])


def test_a_model_without_tags_is_refused_with_a_reason(collection, monkeypatch):
    spec = ModelSpec("embedder", "vggish", "AudioSet", "none", (Layer("embeddings", 128, "fc2"),))
    monkeypatch.setitem(MODELS, "embedder", spec)
    for call in (lambda: tags.tag_segments(collection, "embedder", "rock", k=5),
                 lambda: tags.track_taggram(collection, "embedder", 1),
                 lambda: groundtruth.ground_truth(collection, "embedder")):
        with pytest.raises(UsageError, match="embedder has no taggrams layer"):
            call()
    with pytest.raises(NotFoundError, match="run: tagscape extract -m vgg-mtt"):
        tags.tag_segments(collection, "vgg-mtt", "rock", k=5)
    with pytest.raises(UsageError, match="unknown tag 'banjo'"):
        tags.tag_segments(collection, "musicnn-mtt", "banjo", k=5)
