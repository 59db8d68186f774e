"""Similar music: exact search against brute force, the HNSW index against exact search (200k
segments), and a collection's indexes (version stamps, exclusions, the CLI, errors)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.collection import index_jamendo, open_collection
from tagscape.errors import NotFoundError, UsageError
from tagscape.similarity.index import SimilarityStore
from tagscape.similarity.search import AnnIndex, exact_search, normalise

MODEL = "musicnn-mtt"


def walks(n_segments: int, dim: int, rng, *, mean_length: int = 75) -> tuple[np.ndarray, np.ndarray]:
    """Tracks as slow random walks around a few centres (float16 rows), and their offsets."""
    lengths = rng.integers(mean_length // 2, mean_length * 3 // 2, n_segments // (mean_length // 2) + 2)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    offsets = offsets[offsets < n_segments]
    offsets = np.append(offsets, n_segments)
    n_tracks = len(offsets) - 1
    latent = 24
    centres = rng.normal(0, 1, (12, latent))
    origin = centres[rng.integers(0, 12, n_tracks)] + rng.normal(0, 0.6, (n_tracks, latent))
    steps = rng.standard_normal((n_segments, latent), dtype=np.float32) * 0.05
    steps[offsets[:-1]] = 0
    walk = np.cumsum(steps, axis=0)
    walk -= np.repeat(walk[offsets[:-1]], np.diff(offsets), axis=0)
    z = np.repeat(origin, np.diff(offsets), axis=0).astype(np.float32) + walk
    projection = rng.normal(0, 1 / np.sqrt(latent), (latent, dim)).astype(np.float32)
    values = z @ projection + rng.standard_normal((n_segments, dim), dtype=np.float32) * 0.1
    return values.astype(np.float16), offsets


def brute_force(vectors, query, k, excluded=()):
    sims = normalise(vectors) @ normalise(query)[0]
    for lo, hi in excluded:
        sims[lo:hi] = -np.inf
    order = np.argsort(-sims, kind="stable")[:k]
    return order, sims[order]


# -- exact search ---------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [True, False])
def test_exact_search_is_brute_force_across_chunks_with_exclusions(rng, unit):
    values = rng.normal(size=(1000, 16)).astype(np.float16)
    vectors = normalise(values) if unit else values
    queries = normalise(values[[3, 500, 999]])
    excluded = [(0, 10), (495, 520), (990, 1000)]
    rows, sims = exact_search(vectors, queries, 7, excluded=excluded, unit=unit, chunk_rows=128)
    for q in range(3):
        want_rows, want_sims = brute_force(values, queries[q][None], 7, excluded)
        np.testing.assert_allclose(sims[q], want_sims, rtol=1e-5, atol=1e-6)
        assert set(rows[q].tolist()) == set(want_rows.tolist())
        assert all(not lo <= r < hi for r in rows[q] for lo, hi in excluded)
    assert (np.diff(sims, axis=1) <= 0).all()


def test_exact_search_with_fewer_rows_than_k_returns_what_is_left(rng):
    values = normalise(rng.normal(size=(5, 8)))
    rows, sims = exact_search(values, values[:1], 10, excluded=[(0, 2)])
    assert sorted(rows[0].tolist()) == [2, 3, 4] and sims.shape == (1, 3)


def test_normalise_keeps_zero_rows_and_makes_unit_rows(rng):
    out = normalise(np.vstack([np.zeros(4), rng.normal(size=(3, 4))]).astype(np.float16))
    assert out.dtype == np.float32 and (out[0] == 0).all()
    np.testing.assert_allclose(np.linalg.norm(out[1:], axis=1), 1, rtol=1e-6)


# -- the approximate index --------------------------------------------------------------------


def test_the_index_agrees_with_exact_search_on_the_top_10_of_200k_segments():
    rng = np.random.default_rng(7)
    values, offsets = walks(200_000, 200, rng)
    started = time.perf_counter()
    index = AnnIndex.build(values)
    built = time.perf_counter() - started
    queries = rng.choice(len(values), 200, replace=False)
    unit_queries = normalise(values[queries])
    truth, _ = exact_search(values, unit_queries, 10, unit=False)
    found, sims = index.search(unit_queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found.tolist(), truth.tolist())])
    assert recall >= 0.95, f"recall@10 {recall:.3f} (build {built:.1f} s)"
    # similarities are cosines of the stored (float16) vectors: close to the exact ones
    exact_sims = np.einsum("qd,qd->q", normalise(values[found[:, 0]]), unit_queries)
    np.testing.assert_allclose(sims[:, 0], exact_sims, atol=2e-3)
    assert index.size == len(values)


def test_an_index_is_saved_and_opened_memory_mapped(tmp_path, rng):
    values = rng.normal(size=(2000, 32)).astype(np.float32)
    AnnIndex.build(values).save(tmp_path / "x.usearch")
    opened = AnnIndex.load(tmp_path / "x.usearch")
    rows, sims = opened.search(normalise(values[[5]]), 3)
    assert rows[0, 0] == 5 and sims[0, 0] == pytest.approx(1.0, abs=1e-3)


# -- a collection -----------------------------------------------------------------------------


def _write(collection, rng, tracks, *, scale: float = 1.0):
    """Synthetic results: each track a walk; artist_0 tracks near one another."""
    for i, track in enumerate(tracks):
        n = 20 + i % 7
        base = rng.normal(0, 1, 200) + (3.0 if track["artist"] == "artist_0" else 0.0)
        emb = (base + np.cumsum(rng.normal(0, 0.05, (n, 200)), axis=0)) * scale
        collection.store.write_result(track["track_id"], MODEL, content_hash=track["content_hash"], segment_seconds=2.992,
                                      layers={"taggrams": rng.random((n, 50)).astype(np.float16), "embeddings": emb.astype(np.float16)})


@pytest.fixture
def synthetic(tmp_path, rng):
    """An MTG-Jamendo style collection: 40 tracks by 8 artists, with synthetic results."""
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    for i in range(40):
        lines.append(f"track_{i:07d}\tartist_{i % 8}\talbum_{i % 8}\t{i:02d}/{i}.mp3\t80.0\tgenre---rock")
    (tmp_path / "tracks.tsv").write_text("\n".join(lines) + "\n")
    index_jamendo(tmp_path / "tracks.tsv", data_dir=tmp_path / "data", audio_url="https://audio.example.org/{id}.mp3")
    collection = open_collection(tmp_path / "data")
    _write(collection, rng, collection.tracks())
    yield collection
    collection.close()


def _pairs(result):
    return [(item.track_id, item.segment) for item in result.items]


def test_index_results_match_exact_search_and_the_index_goes_stale_when_the_layer_changes(synthetic, rng):
    exact = SimilarityStore(synthetic)  # ~920 segments: searched exactly
    indexed = SimilarityStore(synthetic, exact_limit=0)  # everything through the index
    track = synthetic.tracks()[3]
    assert exact.status(MODEL, "embeddings", "segment") == "not-needed"
    assert indexed.status(MODEL, "embeddings", "segment") == "missing"
    before_index = indexed.similar(MODEL, "embeddings", track["track_id"], 4, k=10)
    assert before_index.method == "exact" and before_index.index == "missing"

    for level in ("segment", "track"):
        assert indexed.build(MODEL, "embeddings", level)["status"] == "built"
        assert indexed.status(MODEL, "embeddings", level) == "fresh"
        assert indexed.build(MODEL, "embeddings", level)["status"] == "fresh"
    from_index = indexed.similar(MODEL, "embeddings", track["track_id"], 4, k=10)
    from_exact = exact.similar(MODEL, "embeddings", track["track_id"], 4, k=10)
    assert from_index.method == "index" and from_exact.method == "exact" and from_exact.index == "not-needed"
    assert len(set(_pairs(from_index)) & set(_pairs(from_exact))) >= 9
    assert _pairs(from_exact) == _pairs(before_index)
    # exact similarities are the cosines of the stored vectors, best first
    layer = synthetic.layer(MODEL, "embeddings")
    query = np.asarray(layer.track(track["track_id"])[4], np.float64)
    for item in from_exact.items:
        other = np.asarray(layer.track(item.track_id)[item.segment], np.float64)
        assert item.similarity == pytest.approx(query @ other / np.linalg.norm(query) / np.linalg.norm(other), abs=1e-4)
        assert item.track_id != track["track_id"]
    assert [i.similarity for i in from_exact.items] == sorted((i.similarity for i in from_exact.items), reverse=True)

    # a track's results change: the layer's version moves on and the index is stale until rebuilt
    _write(synthetic, rng, [track], scale=-1.0)
    assert indexed.status(MODEL, "embeddings", "segment") == "stale"
    stale = indexed.similar(MODEL, "embeddings", track["track_id"], 4, k=10)
    assert stale.method == "exact" and stale.index == "stale"
    assert indexed.build(MODEL, "embeddings", "segment")["status"] == "built"
    assert indexed.similar(MODEL, "embeddings", track["track_id"], 4, k=10).method == "index"


@pytest.mark.parametrize("exact_limit", [None, 0])
def test_exclusions_track_level_and_track_means(synthetic, exact_limit):
    store = SimilarityStore(synthetic) if exact_limit is None else SimilarityStore(synthetic, exact_limit=exact_limit)
    if exact_limit == 0:
        store.build(MODEL, "embeddings", "segment")
        store.build(MODEL, "embeddings", "track")
    tracks = {t["track_id"]: t for t in synthetic.tracks()}
    query = next(t for t in tracks.values() if t["artist"] == "artist_0")
    same = store.similar(MODEL, "embeddings", query["track_id"], 2, k=5, exclude_track=False)
    assert same.items[0].track_id == query["track_id"] and abs(same.items[0].segment - 2) == 1  # its neighbour in time
    assert (query["track_id"], 2) not in _pairs(same)  # never the query itself
    others = store.similar(MODEL, "embeddings", query["track_id"], 2, k=5)
    assert all(i.track_id != query["track_id"] for i in others.items)
    assert {tracks[i.track_id]["artist"] for i in others.items} == {"artist_0"}  # its artist's tracks are nearest
    no_artist = store.similar(MODEL, "embeddings", query["track_id"], 2, k=5, exclude_artist=True)
    assert len(no_artist.items) == 5 and all(tracks[i.track_id]["artist"] != "artist_0" for i in no_artist.items)
    assert no_artist.excluded_tracks == 5

    by_track = store.similar(MODEL, "embeddings", query["track_id"], k=39, level="track")
    assert len(by_track.items) == 39 and all(i.segment is None for i in by_track.items)
    assert query["track_id"] not in {i.track_id for i in by_track.items}
    assert {tracks[i.track_id]["artist"] for i in by_track.items[:4]} == {"artist_0"}
    layer = synthetic.layer(MODEL, "embeddings")
    mean = lambda t: normalise(np.asarray(layer.track(t), np.float32).mean(axis=0))[0]  # noqa: E731
    top = by_track.items[0]
    assert top.similarity == pytest.approx(float(mean(query["track_id"]) @ mean(top.track_id)), abs=2e-3)


def test_bad_queries_are_one_clear_error(synthetic):
    store = SimilarityStore(synthetic)
    track = synthetic.tracks()[0]["track_id"]
    with pytest.raises(UsageError, match="k must be between 1 and 200"):
        store.similar(MODEL, "embeddings", track, k=0)
    with pytest.raises(UsageError, match="level must be one of segment, track"):
        store.similar(MODEL, "embeddings", track, level="album")
    with pytest.raises(NotFoundError, match="no track 999999"):
        store.similar(MODEL, "embeddings", 999999)
    with pytest.raises(NotFoundError, match="no segment 500"):
        store.similar(MODEL, "embeddings", track, 500)
    with pytest.raises(NotFoundError, match="has no layer 'pool5'"):
        store.similar(MODEL, "pool5", track)
    with pytest.raises(NotFoundError, match="vgg-msd"):
        store.similar("vgg-msd", "embeddings", track)
    empty = synthetic.tracks()[1]  # shorter than one segment: no rows
    synthetic.store.write_result(empty["track_id"], MODEL, content_hash=empty["content_hash"], segment_seconds=2.992,
                                 layers={"taggrams": np.zeros((0, 50), np.float16), "embeddings": np.zeros((0, 200), np.float16)})
    with pytest.raises(NotFoundError, match="no segments"):
        store.similar(MODEL, "embeddings", empty["track_id"])
    tracks = store.similar(MODEL, "embeddings", track, level="track", k=50)
    assert len(tracks.items) == 39 and np.isfinite([i.similarity for i in tracks.items]).all()


def test_the_cli_builds_reports_and_keeps_indexes_up_to_date(synthetic):
    runner = CliRunner()
    folder = str(synthetic.data_dir)
    small = runner.invoke(main, ["index-similarity", "-c", folder])
    assert small.exit_code == 0, small.output
    assert "no index needed" in small.output and "musicnn-mtt" in small.output
    forced = runner.invoke(main, ["index-similarity", "-c", folder, "-m", MODEL, "--level", "segment", "--force"])
    assert forced.exit_code == 0 and "built in" in forced.output
    assert (synthetic.data_dir / "similarity" / f"{MODEL}.embeddings.segment.usearch").is_file()
    assert SimilarityStore(synthetic, exact_limit=0).status(MODEL, "embeddings", "segment") == "fresh"
    bad = runner.invoke(main, ["index-similarity", "-c", folder, "--level", "album"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    unknown = runner.invoke(main, ["index-similarity", "-c", folder, "-m", "vgg-msd"])
    assert unknown.exit_code == 2 and "vgg-msd" in unknown.output and "Traceback" not in unknown.output


def test_a_read_only_collection_answers_without_writing(synthetic):
    synthetic.layer(MODEL, "embeddings")  # the arrays exist; nothing else does
    with open_collection(synthetic.data_dir, readonly=True) as readonly:
        track = readonly.tracks()[0]["track_id"]
        result = SimilarityStore(readonly).similar(MODEL, "embeddings", track, level="track", k=3)
        assert len(result.items) == 3 and result.method == "exact"
    assert not (synthetic.data_dir / "similarity").exists()
    written = SimilarityStore(synthetic).similar(MODEL, "embeddings", track, level="track", k=3)
    assert [i.track_id for i in written.items] == [i.track_id for i in result.items]
    assert (synthetic.data_dir / "similarity" / f"{MODEL}.embeddings.track-means.npy").is_file()
