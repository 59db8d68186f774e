"""Smoothest paths (tagscape.paths): the minimax path against brute force on planted graphs, the
k-NN graph, resampling to N items, and paths through a real SQLite collection of planted vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from tagscape.cli import main
from tagscape.collection import index_jamendo, open_collection
from tagscape.errors import NotFoundError, UsageError
from tagscape.paths import minimax_path, neighbour_graph, path_between, resample_path

MODEL = "musicnn-mtt"


def _brute_force(weights: dict, n: int, start: int, end: int) -> list[int]:
    """Among all simple paths, the one whose steps sorted from the largest are smallest (lexicographically)."""
    best, best_key = None, None
    stack = [(start, [start])]
    while stack:
        node, path = stack.pop()
        if node == end:
            key = sorted((weights[frozenset(pair)] for pair in zip(path, path[1:])), reverse=True)
            if best_key is None or key < best_key:
                best, best_key = path, key
            continue
        for other in range(n):
            if frozenset((node, other)) in weights and other not in path:
                stack.append((other, path + [other]))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_minimax_path_equals_the_brute_force_path_on_planted_graphs(seed):
    rng = np.random.default_rng(seed)
    n = 9
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = [pairs[i] for i in rng.choice(len(pairs), 18, replace=False)] + [(i, i + 1) for i in range(n - 1)]  # a chain: connected
    weights = {frozenset(p): w for p, w in zip(dict.fromkeys(chosen), rng.permutation(100)[: len(set(chosen))] + 1.0)}  # distinct
    rows, cols = zip(*[tuple(sorted(p)) for p in weights])
    graph = csr_matrix((list(weights.values()), (rows, cols)), shape=(n, n))  # one triangle: undirected as documented
    for start in range(n):
        for end in range(n):
            if start != end:
                assert minimax_path(graph=graph, start=start, end=end).tolist() == _brute_force(weights, n, start, end), (start, end)


def test_unconnected_nodes_have_no_path():
    graph = csr_matrix(([1.0, 2.0], ([0, 2], [1, 3])), shape=(4, 4))
    with pytest.raises(NotFoundError):
        minimax_path(graph=graph, start=0, end=3)


def _arc(angles) -> np.ndarray:
    angles = np.asarray(angles, np.float64)
    return np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=1).astype(np.float32)


def test_neighbour_graph_is_symmetric_cosine_and_joins_far_clusters():
    near = _arc(np.linspace(0, 0.2, 6))
    far = np.array([[0, 0, 1], [0, 0.05, 0.9987]], np.float32)
    vectors = np.vstack([near, far / np.linalg.norm(far, axis=1, keepdims=True)])
    graph = neighbour_graph(vectors=vectors, k=2)
    assert connected_components(graph, directed=False)[0] == 1
    dense = graph.toarray()
    np.testing.assert_allclose(dense, dense.T, atol=1e-6)
    i, j = np.nonzero(dense)
    # Weights are 1 - cos (+1e-9 so that equal vectors keep their edge); float32 products: 1e-6.
    np.testing.assert_allclose(dense[i, j], 1.0 - np.einsum("ij,ij->i", vectors[i], vectors[j]), atol=1e-6)


def test_a_path_along_an_arc_walks_it_in_order_and_resamples_to_n():
    rng = np.random.default_rng(1)
    angles = rng.permutation(np.linspace(0, np.pi / 2, 40))
    vectors = _arc(angles)
    graph = neighbour_graph(vectors=vectors, k=4)
    chunked = neighbour_graph(vectors=vectors, k=4, chunk_rows=7)  # blocks of rows: the same graph
    np.testing.assert_allclose(chunked.toarray(), graph.toarray(), atol=1e-6)
    start, end = int(np.argmin(angles)), int(np.argmax(angles))
    path = minimax_path(graph=graph, start=start, end=end)
    assert len(path) == 40 and np.all(np.diff(angles[path]) > 0)  # every point, in order of angle
    short = resample_path(path=path, vectors=vectors, n=5)
    assert len(short) == 5 and short[0] == start and short[-1] == end and np.all(np.diff(angles[short]) > 0)
    # Evenly spread: each of the 4 steps is about a quarter of the arc (points are 1/39 apart).
    assert np.allclose(np.diff(angles[short]), np.pi / 8, atol=np.pi / 2 / 39)
    longer = resample_path(path=np.array([start, end]), vectors=vectors, n=4)
    assert len(longer) == 4 and longer[0] == start and longer[-1] == end and np.all(np.diff(angles[longer]) > 0)


@pytest.fixture(scope="module")
def arc_collection(tmp_path_factory):
    """A real collection (SQLite, arrays) of 24 tracks whose vectors lie on an arc; 6 artists,
    each holding 4 neighbouring tracks, so that the smoothest path meets artists again."""
    folder = tmp_path_factory.mktemp("paths")
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    for i in range(24):
        lines.append(f"track_{i:07d}\tartist_{i // 4:06d}\talbum_000001\t{i}.mp3\t9.0\tgenre---ambient")
    (folder / "tracks.tsv").write_text("\n".join(lines) + "\n")
    index_jamendo(folder / "tracks.tsv", data_dir=folder / "data", audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(0)
    with open_collection(folder / "data") as collection:
        for i, track in enumerate(collection.tracks()):
            centre = np.zeros(50)
            centre[0], centre[1] = np.cos(i * np.pi / 46), np.sin(i * np.pi / 46)
            taggrams = (centre + rng.normal(scale=0.002, size=(3, 50))).astype(np.float16)  # 3 segments near the track's point
            collection.store.write_result(track["track_id"], MODEL, content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": taggrams, "embeddings": rng.random((3, 200)).astype(np.float16)})
        yield collection


def test_path_between_tracks_follows_the_arc(arc_collection):
    ids = [t["track_id"] for t in arc_collection.tracks()]
    result = path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[-1], n=6)
    got = [item["track_id"] for item in result.items]
    assert len(got) == 6 and got[0] == ids[0] and got[-1] == ids[-1] and got == sorted(got)
    assert result.minimax_length == 24 and result.items[0]["step"] is None
    assert result.bottleneck == pytest.approx(max(item["step"] for item in result.items[1:]), abs=1e-6)  # steps are rounded to 6 places
    distinct = path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[-1], n=6, distinct_artists=True)
    artists = [item["artist"] for item in distinct.items]
    assert len(set(artists)) == len(artists) == 6 and "heuristic" in distinct.note


def test_path_between_segments_and_bad_requests(arc_collection):
    ids = [t["track_id"] for t in arc_collection.tracks()]
    result = path_between(arc_collection, MODEL, "taggrams", start_track=ids[2], end_track=ids[5], start_segment=1, end_segment=2,
                          n=4, level="segment")
    assert (result.items[0]["track_id"], result.items[0]["segment"]) == (ids[2], 1)
    assert (result.items[-1]["track_id"], result.items[-1]["segment"]) == (ids[5], 2)
    assert result.items[1]["start"] == pytest.approx(result.items[1]["segment"] * 2.992)
    with pytest.raises(UsageError):
        path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[0])
    with pytest.raises(UsageError):
        path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[1], n=1)
    with pytest.raises(NotFoundError):
        path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[1], start_segment=9, level="segment")
    with pytest.raises(NotFoundError):
        path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=10**12)
    with pytest.raises(UsageError, match="72 segments are more than"):  # 24 tracks x 3 segments over a bound of 50
        path_between(arc_collection, MODEL, "taggrams", start_track=ids[0], end_track=ids[1], level="segment", max_nodes=50)


def test_cli_path_prints_and_exports_m3u_and_csv(arc_collection, tmp_path):
    ids = [t["track_id"] for t in arc_collection.tracks()]
    m3u, table = tmp_path / "way home.m3u", tmp_path / "way.csv"
    result = CliRunner().invoke(main, ["path", "-c", str(arc_collection.data_dir), "-m", MODEL, "--from", str(ids[0]), "--to", str(ids[-1]),
                                       "-n", "5", "--m3u", str(m3u), "--csv", str(table)])
    assert result.exit_code == 0, result.output
    assert "largest step" in result.output
    lines = m3u.read_text().splitlines()
    assert lines[0] == "#EXTM3U" and sum(line.startswith("https://audio.example.org/") for line in lines) == 5
    rows = table.read_text().splitlines()
    assert rows[0].startswith("position,track_id,segment") and len(rows) == 6
    as_json = CliRunner().invoke(main, ["path", "-c", str(arc_collection.data_dir), "-m", MODEL, "--from", str(ids[0]), "--to", str(ids[3]), "--json"])
    assert json.loads(as_json.output)["items"][0]["track_id"] == ids[0]
    bad = CliRunner().invoke(main, ["path", "-c", str(arc_collection.data_dir), "-m", MODEL, "--from", str(ids[0]), "--to", "999999"])
    assert bad.exit_code == 2 and "999999" in bad.output
