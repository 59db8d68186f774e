"""``GET /api/collection`` (the about panel's sources and licences) and the credits in a segment's answer."""

from __future__ import annotations

import numpy as np
import pytest

from tagscape.collection import index_folder, open_collection
from tagscape.demo.excerpts import write_opus, write_tags
from tagscape.provenance import LICENCES
from tagscape.web import create_app

SR = 48000


@pytest.fixture(scope="module")
def credited(tmp_path_factory):
    """Three tracks: two from a (made-up) package with licence tags, one with only a file's LICENSE tag, one with none."""
    root = tmp_path_factory.mktemp("credited")
    t = np.arange(4 * SR) / SR
    for name, tags in {
        "a.opus": {"title": "A", "album": "First", "licence": "CC-BY-SA-3.0", "source": "pkg-one", "source_version": "1.0-1",
                   "source_url": "https://packages.debian.org/pkg-one", "copyright": "2007 Someone", "style": "metal"},
        "b.opus": {"title": "B", "album": "First", "licence": "CC-BY-SA-3.0", "source": "pkg-one", "source_version": "1.0-1", "style": "rock"},
        "c.opus": {"title": "C", "license": "Some-Licence", "licence_url": "https://example.org/licence"},
        "d.opus": {"title": "D"},
    }.items():
        write_opus(np.stack([0.2 * np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32), SR, root / name)
        write_tags(root / name, tags)
    index_folder(root)
    with open_collection(root) as collection:
        rng = np.random.default_rng(0)
        for track in collection.tracks():
            collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": rng.random((1, 50)).astype(np.float16), "embeddings": rng.random((1, 200)).astype(np.float16)})
        ids = {track["title"]: track["track_id"] for track in collection.tracks()}
    return create_app(str(root), {"TESTING": True}).test_client(), ids


def test_sources_and_licences_come_from_the_tracks_tags(credited):
    client, _ = credited
    body = client.get("/api/collection").get_json()
    assert body["tracks"] == 4 and body["hours"] == pytest.approx(4 * 4 / 3600, abs=1e-3)
    assert body["unlicensed_tracks"] == 1 and body["unsourced_tracks"] == 2
    (source,) = body["sources"]
    assert source["source"] == "pkg-one" and source["tracks"] == 2 and source["versions"] == ["1.0-1"]
    assert source["url"] == "https://packages.debian.org/pkg-one" and source["copyright"] == ["2007 Someone"]
    assert source["licences"] == [{"name": "CC-BY-SA-3.0", "tracks": 2}]
    assert sorted(s["name"] for s in source["styles"]) == ["metal", "rock"]
    known, other = body["licences"]
    assert known["licence"] == "CC-BY-SA-3.0" and known["url"] == LICENCES["CC-BY-SA-3.0"].url and "Credit" in known["requires"]
    assert known["sources"] == ["pkg-one"] and known["tracks"] == 2
    assert other == {"licence": "Some-Licence", "name": None, "url": "https://example.org/licence", "requires": None,
                     "tracks": 1, "hours": pytest.approx(4 / 3600, abs=1e-3), "sources": []}


def test_a_segment_names_its_tracks_licence_and_source(credited):
    client, ids = credited
    body = client.get(f"/api/tracks/{ids['A']}/segments/0?model=musicnn-mtt").get_json()
    assert body["licence"] == "CC-BY-SA-3.0" and body["licence_url"] == LICENCES["CC-BY-SA-3.0"].url
    assert body["source"] == "pkg-one" and body["source_version"] == "1.0-1" and body["copyright"] == "2007 Someone"
    assert body["album"] == "First" and "year" in body and "genre" in body
    bare = client.get(f"/api/tracks/{ids['D']}/segments/0?model=musicnn-mtt").get_json()
    assert bare["licence"] is None and bare["source"] is None and bare["licence_url"] is None


def test_a_collection_without_credits_says_so(client):
    body = client.get("/api/collection").get_json()
    assert body["sources"] == [] and body["licences"] == [] and body["unlicensed_tracks"] == body["tracks"] > 0
