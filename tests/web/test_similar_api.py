"""``GET /api/similar`` on the real test collection (demo music, real models): results are the
nearest by cosine, playable, with exclusions; the index path; every bad input a JSON 4xx."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.similarity.search import normalise
from tagscape.web import create_app

MODEL = "musicnn-mtt"
SEGMENT = 2.992


def longest_track(collection) -> int:
    layer = collection.layer(MODEL, "embeddings")
    return int(layer.track_ids[np.argmax(np.diff(layer.offsets))])


def cosine_ranking(collection, track_id: int, segment: int, *, exclude_track: bool):
    """(track, segment, cosine) of every other segment, best first, computed here with numpy."""
    layer = collection.layer(MODEL, "embeddings")
    unit = normalise(layer.values)
    query = unit[layer.rows_for([track_id])[0][segment]]
    sims = unit @ query
    tracks = np.repeat(layer.track_ids, np.diff(layer.offsets))
    index = layer.segment_index()
    order = [i for i in np.argsort(-sims, kind="stable") if not (tracks[i] == track_id and (exclude_track or index[i] == segment))]
    return [(int(tracks[i]), int(index[i]), float(sims[i])) for i in order]


def test_similar_segments_are_the_nearest_by_cosine_and_playable(client, collection):
    track_id = longest_track(collection)
    body = client.get(f"/api/similar?model={MODEL}&track={track_id}&segment=2&k=5").get_json()
    assert body["method"] == "exact" and body["index"] == "not-needed" and body["level"] == "segment"
    assert body["query"]["track_id"] == track_id and body["query"]["segment"] == 2
    assert body["query"]["start"] == pytest.approx(2 * SEGMENT) and body["query"]["end"] == pytest.approx(3 * SEGMENT)
    expected = cosine_ranking(collection, track_id, 2, exclude_track=True)[:5]
    got = body["results"]
    assert [r["rank"] for r in got] == [1, 2, 3, 4, 5]
    assert [(r["track_id"], r["segment"]) for r in got] == [(t, s) for t, s, _ in expected]
    assert [r["similarity"] for r in got] == pytest.approx([c for _, _, c in expected], abs=1e-4)
    for r in got:
        assert r["track_id"] != track_id
        assert r["start"] == pytest.approx(r["segment"] * SEGMENT) and r["end"] == pytest.approx((r["segment"] + 1) * SEGMENT)
        assert r["title"] == collection.track(r["track_id"])["title"]
    # every result plays: the clip of exactly that segment
    first = got[0]
    audio = client.get(f"/api/audio/{first['track_id']}?start={first['start']}&end={first['end']}")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"


def test_the_own_track_can_be_kept_and_the_query_itself_never_comes_back(client, collection):
    track_id = longest_track(collection)
    body = client.get(f"/api/similar?model={MODEL}&track={track_id}&segment=2&k=8&exclude_track=false").get_json()
    expected = cosine_ranking(collection, track_id, 2, exclude_track=False)[:8]
    assert [(r["track_id"], r["segment"]) for r in body["results"]] == [(t, s) for t, s, _ in expected]
    assert (track_id, 2) not in [(r["track_id"], r["segment"]) for r in body["results"]]
    assert any(r["track_id"] == track_id for r in body["results"])  # its own neighbours in time are near


def test_similar_tracks_by_their_mean_embedding(client, collection):
    track_id = longest_track(collection)
    body = client.get(f"/api/similar?model={MODEL}&track={track_id}&level=track&k=50").get_json()
    layer = collection.layer(MODEL, "embeddings")
    means = normalise(np.stack([np.asarray(layer.track(t), np.float32).mean(axis=0) for t in layer.track_ids]))
    sims = means @ means[list(layer.track_ids).index(track_id)]
    order = [int(layer.track_ids[i]) for i in np.argsort(-sims, kind="stable") if layer.track_ids[i] != track_id]
    assert body["query"]["segment"] is None and body["level"] == "track"
    assert [r["track_id"] for r in body["results"]] == order  # all 9 other tracks, k is an upper bound
    assert all(r["segment"] is None and r["start"] == 0 and r["end"] == pytest.approx(r["duration"]) for r in body["results"])
    # a track as the query at the segment level: segments nearest to the track's mean
    body = client.get(f"/api/similar?model={MODEL}&track={track_id}&k=3").get_json()
    assert body["query"]["segment"] is None and len(body["results"]) == 3 and all(r["segment"] is not None for r in body["results"])


def test_excluding_the_artist(remote_client):
    ids = [t["track_id"] for t in remote_client.get("/api/tracks").get_json()["tracks"]]  # two tracks, one artist
    kept = remote_client.get(f"/api/similar?model={MODEL}&track={ids[0]}&level=track").get_json()
    assert [r["track_id"] for r in kept["results"]] == [ids[1]]
    gone = remote_client.get(f"/api/similar?model={MODEL}&track={ids[0]}&level=track&exclude_artist=1").get_json()
    assert gone["results"] == [] and gone["excluded"] == {"track": True, "artist": True, "tracks": 2}


def test_the_index_gives_the_same_neighbours(collection_dir, collection, client):
    indexed = create_app(str(collection_dir), {"TESTING": True, "SIMILARITY_EXACT_LIMIT": 0}).test_client()
    track_id = longest_track(collection)
    url = f"/api/similar?model={MODEL}&track={track_id}&segment=1&k=10"
    # One thread builds the same graph on every run. With several, the graph depends on their
    # timing: one full run of the suite got only 7 of the exact ten here (an HNSW graph can
    # leave near-duplicate segments out of reach); 380 builds under load never did again.
    # Multi-threaded builds are measured for recall in bench/similar.py, not here.
    result = CliRunner().invoke(main, ["index-similarity", "-c", str(collection_dir), "-m", MODEL, "--force", "--threads", "1"])
    assert result.exit_code == 0, result.output
    body = indexed.get(url).get_json()
    assert body["method"] == "index" and body["index"] == "fresh"
    exact = client.get(url).get_json()
    assert exact["method"] == "exact"
    assert len(body["results"]) == len(exact["results"]) == 10
    # The index holds float16 vectors (cosines off by up to about 1e-3), so a neighbour about as
    # near as the tenth may take its place: each segment the index gives must be as near, by
    # the exact cosine, as the exact search's tenth, within 2e-3.
    cosine = {(t, s): sim for t, s, sim in cosine_ranking(collection, track_id, 1, exclude_track=True)}
    tenth = exact["results"][-1]["similarity"]
    found = [(r["track_id"], r["segment"], cosine[(r["track_id"], r["segment"])]) for r in body["results"]]
    assert all(c >= tenth - 2e-3 for _, _, c in found), ([(t, s, round(c, 4)) for t, s, c in found],
                                                         [(r["track_id"], r["segment"], r["similarity"]) for r in exact["results"]])
    track_body = indexed.get(f"/api/similar?model={MODEL}&track={track_id}&level=track").get_json()
    assert track_body["method"] == "index" and len(track_body["results"]) == 9


@pytest.mark.parametrize("query, status, words", [
    ("track=1", 400, "parameter 'model' is required"),
    (f"model={MODEL}", 400, "parameter 'track' is required"),
    (f"model={MODEL}&track=abc", 400, "must be an integer, got 'abc'"),
    (f"model={MODEL}&track=1&k=0", 400, "between 1 and 200, got 0"),
    (f"model={MODEL}&track=1&k=201", 400, "between 1 and 200, got 201"),
    (f"model={MODEL}&track=1&level=album", 400, "must be one of segment, track, got 'album'"),
    (f"model={MODEL}&track=1&exclude_artist=maybe", 400, "must be true or false"),
    (f"model={MODEL}&track=1&segment=-1", 400, "'segment' must be at least 0"),
    ("model=nope&track=1", 404, "nope"),
    (f"model={MODEL}&track=1&layer=pool5", 404, "no layer 'pool5'"),
    (f"model={MODEL}&track=999999", 404, "no track 999999"),
    (f"model={MODEL}&track=1&segment=9999", 404, "no segment 9999"),
    ("model=vgg-mtt&track=1", 404, "vgg-mtt"),
])
def test_bad_requests_are_one_json_error(client, query, status, words):
    response = client.get(f"/api/similar?{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error", "message"} and words in body["message"]
