"""Clusters of a map and their names, on data with planted structure: groups of points placed apart
on the map (or in a layer), each with its own tags turned up. The clusters must be found where they
were planted and named by the planted tags; the helpers must agree with brute force."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from tagscape.analysis import clusters
from tagscape.errors import UsageError
from tagscape.store.layers import LayerArray

TAGS = tuple(f"tag{i}" for i in range(12))
#: Each planted group's tags (two per group, disjoint): its name must be these.
PLANTED = {0: ("tag1", "tag2"), 1: ("tag4", "tag5"), 2: ("tag7", "tag8"), 3: ("tag10", "tag11")}


def planted(*, n_per_group: int, dims: int = 2, noise_points: int = 0, seed: int = 0):
    """Four tight groups far apart (on a square's corners in 2D, on distinct axes otherwise), a few
    uniform noise points, and taggrams: a base of 0.1-0.3 everywhere, the group's two tags at 0.7-0.9."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(4), n_per_group)
    if dims == 2:
        centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float64)
        points = centres[group] + rng.normal(scale=0.5, size=(len(group), 2))
    else:
        centres = np.zeros((4, dims))
        centres[np.arange(4), np.arange(4)] = 1.0
        points = centres[group] + rng.normal(scale=0.03, size=(len(group), dims)) + 0.2
    activations = rng.uniform(0.1, 0.3, size=(len(group), len(TAGS)))
    for g, names in PLANTED.items():
        for name in names:
            activations[group == g, TAGS.index(name)] = rng.uniform(0.7, 0.9, size=int((group == g).sum()))
    if noise_points:
        span = (-20, 30) if dims == 2 else (-1, 1)
        points = np.vstack([points, rng.uniform(*span, size=(noise_points, dims))])
        activations = np.vstack([activations, rng.uniform(0.1, 0.3, size=(noise_points, len(TAGS)))])
        group = np.r_[group, np.full(noise_points, -1)]
    return points.astype(np.float32), activations.astype(np.float32), group


def check_found(labels: np.ndarray, group: np.ndarray, *, min_ari: float = 0.95) -> dict[int, int]:
    """Each planted group is (mostly) one cluster of its own; returns planted group -> cluster id."""
    planted_points = group >= 0
    assert adjusted_rand_score(group[planted_points], labels[planted_points]) >= min_ari
    mapping = {}
    for g in PLANTED:
        values, counts = np.unique(labels[group == g], return_counts=True)
        mapping[g] = int(values[np.argmax(counts)])
        assert mapping[g] >= 0 and counts.max() / counts.sum() >= 0.95, (g, values, counts)
    assert len(set(mapping.values())) == len(PLANTED)
    return mapping


@pytest.mark.parametrize("fit_sample", [None, 400])
def test_planted_groups_are_found_on_the_map_and_named_by_their_tags(fit_sample):
    # None: every point through HDBSCAN; 400 of 2,040 points: the sample-and-assign path.
    points, activations, group = planted(n_per_group=500, noise_points=40)
    labels, fit_points = clusters.cluster_points(points=points, fit_sample=fit_sample, min_share=0.05)
    assert fit_points == (len(points) if fit_sample is None else fit_sample)
    mapping = check_found(labels, group)
    # the scattered points far from every group stay noise (a few may fall near a group)
    assert (labels[group == -1] == -1).mean() >= 0.8
    names = clusters.name_clusters(labels=labels, activations=activations, tags=TAGS, top=3, min_lift=0.2)
    for g, cluster in mapping.items():
        assert {item["tag"] for item in names[cluster]} == set(PLANTED[g])
        for item in names[cluster]:  # lift = the cluster's mean minus the map's: 0.8 - (0.8 + 3 x 0.2) / 4 = 0.45
            assert item["lift"] == pytest.approx(0.45, abs=0.05)


def test_planted_groups_are_found_on_the_layer():
    points, activations, group = planted(n_per_group=300, dims=50)
    labels, _ = clusters.cluster_points(points=points, space="layer", min_share=0.05, fit_sample=600)
    check_found(labels, group)


def test_labels_are_numbered_by_size_and_noise_is_minus_one():
    points, _, group = planted(n_per_group=200, noise_points=30)
    keep = np.r_[np.flatnonzero(group != 1), np.flatnonzero(group == 1)[:60]]  # group 1 is the smallest now
    labels, _ = clusters.cluster_points(points=points[keep], min_share=0.05)
    sizes = np.bincount(labels[labels >= 0])
    assert (np.diff(sizes) <= 0).all() and labels.min() == -1
    assert np.unique(labels[group[keep] == 1]).tolist() == [len(sizes) - 1]


def test_too_few_points_are_all_noise_and_bad_points_are_refused():
    labels, fit = clusters.cluster_points(points=np.zeros((5, 2), np.float32))
    assert labels.tolist() == [-1] * 5 and fit == 0
    bad = np.zeros((50, 2), np.float32)
    bad[3, 0] = np.nan
    with pytest.raises(UsageError, match="NaN"):
        clusters.cluster_points(points=bad)


def test_cluster_means_equal_a_loop(rng):
    labels = rng.integers(-1, 5, size=1000)
    values = rng.random((1000, 7))
    values[::17] = np.nan  # points a tagger has no values for
    means, overall = clusters.cluster_means(labels=labels, values=values, n_clusters=5)
    valued = ~np.isnan(values).any(axis=1)
    # float64 sums in another order (grouped reduceat against boolean masks): equal to ~1e-15 relative
    np.testing.assert_allclose(overall, values[valued].mean(axis=0), rtol=1e-12)
    for c in range(5):
        np.testing.assert_allclose(means[c], values[valued & (labels == c)].mean(axis=0), rtol=1e-12)


def test_most_frequent_value_and_its_share():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, -1, -1])
    names = ["", "jazz", "rock"]
    codes = np.array([1, 1, 2, 0, 0, 0, 0, 2, 2])  # cluster 1 knows no genre; noise is not counted
    assert clusters.most_frequent(labels=labels, codes=codes, names=names) == [{"value": "jazz", "share": 0.5}, None]


def test_describe_names_by_the_primary_tagger_else_metadata():
    points, activations, group = planted(n_per_group=100)
    labels, _ = clusters.cluster_points(points=points, min_share=0.05)
    codes = np.where(group == 0, 1, 0)  # group 0's tracks are all "jazz", the others unknown
    metadata = {"genre": (["", "jazz"], codes)}
    named = clusters.describe(coords=points, labels=labels, activations={"m": (TAGS, activations)}, metadata=metadata, primary="m", min_lift=0.2)
    found = check_found(labels, group)
    for g, c in found.items():
        cluster = named[c]
        assert set(cluster.name.split(" · ")) == set(PLANTED[g])
        members = points[labels == c]
        np.testing.assert_allclose(cluster.centroid, members.mean(axis=0), atol=1e-4)  # float32 points, float64 means
        assert any(np.allclose(cluster.anchor, p) for p in members)  # the anchor is one of its points
    unnamed = clusters.describe(coords=points, labels=labels, activations={}, metadata=metadata, primary=None)
    assert unnamed[found[0]].name == "jazz" and unnamed[found[1]].name == f"cluster {found[1] + 1}"


def test_point_rows_align_another_models_segments():
    # A tagger of 2.992 s segments for points of a 0.96 s model: the segment holding the middle.
    array = LayerArray("m", "taggrams", np.zeros((7, 2), np.float16), np.array([0, 4, 7]), np.array([10, 20]))
    tracks = np.array([10, 10, 10, 20, 20, 30])
    segments = np.array([0, 3, 40, 6, 0, 0])
    rows = clusters.point_rows(array, point_tracks=tracks, point_segments=segments, segment_seconds=2.992, own_seconds=0.96)
    # (3 + 0.5) * 0.96 = 3.36 s -> segment 1; 40 -> past the end: the last (3); track 30 is missing
    assert rows.tolist() == [0, 1, 3, 4 + 2, 4, -1]
    same = clusters.point_rows(array, point_tracks=tracks[:5], point_segments=np.array([0, 3, 1, 2, 0]), segment_seconds=2.992, own_seconds=2.992)
    assert same.tolist() == [0, 3, 1, 6, 4]


@pytest.mark.parametrize("given, message", [
    ({"space": "moon"}, "space"), ({"min_share": 0.0}, "min_share"), ({"min_samples": 2.5}, "integer"),
    ({"top": float("nan")}, "number"), ({"min_lift": "x"}, "number"), ({"colour": 1}, "unknown"),
])
def test_bad_settings_are_usage_errors(given, message):
    with pytest.raises(UsageError, match=message):
        clusters.check_settings(**given)


# -- a collection with planted structure: real SQLite, real layers, real PCA maps ---------------

#: Three groups of four tracks: VGGish embeddings near the group's centre, MusiCNN-MSD taggrams
#: with the group's tags turned up and genres in the metadata.
GROUP_TAGS = {0: ("jazz", "blues"), 1: ("metal", "hard rock"), 2: ("ambient", "chillout")}
GROUP_GENRES = {0: "jazz", 1: "metal", 2: "ambient"}


@pytest.fixture(scope="module")
def planted_collection(tmp_path_factory):
    from tagscape.collection import index_jamendo, open_collection
    from tagscape.models.registry import MODELS

    folder = tmp_path_factory.mktemp("planted-clusters")
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    for i in range(12):
        lines.append(f"track_{i:07d}\tartist_{i:06d}\talbum_{i:06d}\t{i:02d}/{i}.mp3\t30.0\tgenre---{GROUP_GENRES[i % 3]}")
    (folder / "tracks.tsv").write_text("\n".join(lines) + "\n")
    index_jamendo(folder / "tracks.tsv", data_dir=folder / "data", audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 1, (3, 128)) * 4
    msd_tags = MODELS["musicnn-msd"].tags
    with open_collection(folder / "data") as collection:
        for track in collection.tracks():
            g = int(track["key"].split("_")[1]) % 3
            vggish = centres[g] + rng.normal(0, 1, (31, 128))
            taggrams = rng.uniform(0.05, 0.25, (10, len(msd_tags)))
            for tag in GROUP_TAGS[g]:
                taggrams[:, msd_tags.index(tag)] = rng.uniform(0.7, 0.9, 10)
            collection.store.write_result(track["track_id"], "vggish-audioset", content_hash=track["content_hash"], segment_seconds=0.96,
                                          layers={"embeddings": vggish.astype(np.float16)})
            collection.store.write_result(track["track_id"], "musicnn-msd", content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": taggrams.astype(np.float16), "embeddings": rng.normal(0, 1, (10, 200)).astype(np.float16)})
    return folder / "data"


def track_groups(collection, track_ids):
    keys = {t["track_id"]: t["key"] for t in collection.tracks()}
    return np.array([int(keys[int(t)].split("_")[1]) % 3 for t in track_ids])


def test_a_vggish_map_is_named_by_another_taggers_tags(planted_collection):
    from tagscape.collection import open_collection

    with open_collection(planted_collection) as collection:
        projection = collection.projection("vggish-audioset", "embeddings", "pca")
        found = clusters.projection_clusters(collection, projection, min_share=0.05)
        group = track_groups(collection, projection.track_ids)
        assert found.named_by == "musicnn-msd" and len(found.clusters) == 3
        for g in range(3):
            values, counts = np.unique(found.labels[group == g], return_counts=True)
            cluster = found.clusters[int(values[np.argmax(counts)])]
            assert counts.max() / counts.sum() >= 0.95
            assert set(cluster.name.split(" · ")) == set(GROUP_TAGS[g])
            assert cluster.metadata["genre"] == {"value": GROUP_GENRES[g], "share": 1.0}
        # one point per track: the same groups
        averages = clusters.projection_clusters(collection, projection, averages=True, min_share=0.2, min_samples=3)
        assert len(averages.labels) == 12 and adjusted_rand_score(track_groups(collection, np.unique(projection.track_ids)), averages.labels) == 1.0


def test_project_prints_the_clusters(planted_collection):
    from click.testing import CliRunner

    from tagscape.cli import main

    result = CliRunner().invoke(main, ["project", "-c", str(planted_collection), "-m", "vggish-audioset", "--layer", "embeddings",
                                       "--method", "pca", "--clusters", "--report"])
    assert result.exit_code == 0, result.output
    assert "trustworthiness" in result.output and "hubness" in result.output and " (layer) " in result.output
    assert "clusters (map space)" in result.output and "named by musicnn-msd" in result.output
    # leaf selection (the default) may split a planted group in two; every cluster is still named
    # by its group's two tags first, and every group names one
    names = [line.split(")  ")[-1].split("  [")[0].split(" · ") for line in result.output.splitlines() if "[genre" in line]
    assert names and all(set(name[:2]) in [set(tags) for tags in GROUP_TAGS.values()] for name in names)
    assert {frozenset(name[:2]) for name in names} == {frozenset(tags) for tags in GROUP_TAGS.values()}
    # excess of mass with a larger smallest cluster: exactly the three planted groups
    eom = CliRunner().invoke(main, ["project", "-c", str(planted_collection), "-m", "vggish-audioset", "--layer", "embeddings",
                                    "--method", "pca", "--clusters", "--cluster-selection", "eom", "--cluster-min-share", "0.2"])
    assert eom.exit_code == 0 and "3 clusters (map space)" in eom.output, eom.output
