"""The Flask app over a real collection: JSON API, one error shape, audio with HTTP Range."""

from __future__ import annotations

import pytest

from conftest import chord, write_audio
from tagscape.collection import index_folder, open_collection
from tagscape.extract import extract_collection
from tagscape.web import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    write_audio(root / "low.wav", chord(7.0, 16000, freqs=(110.0, 165.0)), 16000)
    write_audio(root / "high.flac", chord(4.0, 22050, freqs=(1760.0,)), 22050)
    index_folder(root)
    collection = open_collection(root)
    extract_collection(collection, ["musicnn-mtt"])
    app = create_app(collection, {"TESTING": True})
    return app.test_client()


def test_models_say_which_are_extracted(client):
    rows = {row["model_id"]: row for row in client.get("/api/models").get_json()}
    assert rows["musicnn-mtt"]["extracted"] and not rows["vgg-msd"]["extracted"]
    assert rows["musicnn-mtt"]["tags"][:2] == ["guitar", "classical"]


def test_tracks_and_their_top_tags_and_layers(client):
    payload = client.get("/api/tracks").get_json()
    assert payload["total"] == 2
    low = next(t for t in payload["tracks"] if t["key"] == "low.wav")
    top = client.get(f"/api/tracks/{low['track_id']}/top-tags?k=3").get_json()
    assert list(top) == ["musicnn-mtt"] and len(top["musicnn-mtt"]) == 3
    activations = [t["activation"] for t in top["musicnn-mtt"]]
    assert activations == sorted(activations, reverse=True)
    layer = client.get(f"/api/tracks/{low['track_id']}/layers/musicnn-mtt/embeddings").get_json()
    assert len(layer["values"]) == 2 and len(layer["values"][0]) == 200
    assert layer["segment_starts"] == [0.0, 2.992]


@pytest.mark.parametrize(
    "url, status, words",
    [
        ("/api/tracks?limit=abc", 400, "'limit' must be an integer"),
        ("/api/tracks?limit=0", 400, "between 1"),
        ("/api/tracks/999", 404, "no track 999"),
        ("/api/tracks/1/layers/nope/taggrams", 404, "unknown model"),
        ("/api/tracks/1/layers/musicnn-mtt/pool9", 404, "no layer"),
        ("/api/tracks/1/layers/vgg-msd/taggrams", 404, "has no vgg-msd taggrams yet"),
        ("/api/nothing-here", 404, "not found"),
        ("/audio/999", 404, "no track 999"),
    ],
)
def test_errors_have_one_json_shape(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert words in body["message"] or words in body["message"].lower()


def test_audio_is_served_with_range_requests(client):
    with client.get("/audio/1") as whole, client.get("/audio/1", headers={"Range": "bytes=100-199"}) as part:
        assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
        assert part.status_code == 206 and part.data == whole.data[100:200]
        assert part.headers["Content-Range"].startswith("bytes 100-199/")


def test_the_page_lists_the_collection(client):
    page = client.get("/")
    assert page.status_code == 200 and b"tagscape" in page.data and b"2 tracks" in page.data
