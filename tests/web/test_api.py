"""The HTTP API over a real collection (Flask's test client): every endpoint and its errors."""

from __future__ import annotations

import io
import json
import struct
import wave

import av
import numpy as np
import pytest

from tagscape.collection import index_folder, open_collection
from tagscape.models.registry import MODELS
from tagscape.web import create_app
from tagscape.web.openapi import app_routes, spec
from tagscape.web.points import Generations, parse_binary
from webdata import XSS_TITLE, write_tone



def tracks_by_key(client) -> dict[str, dict]:
    return {t["key"]: t for t in client.get("/api/tracks").get_json()["tracks"]}


# -- models, tracks, facets ---------------------------------------------------------------


def test_models_say_what_is_extracted_and_which_projections_exist(client):
    body = client.get("/api/models").get_json()
    rows = {row["model_id"]: row for row in body["models"]}
    assert set(rows) == set(MODELS)
    assert rows["musicnn-mtt"]["extracted"] and rows["vgg-msd"]["extracted"] and not rows["vgg-mtt"]["extracted"]
    assert rows["musicnn-mtt"]["tracks_done"] == 10
    assert rows["musicnn-mtt"]["tags"][:2] == ["guitar", "classical"] and rows["musicnn-mtt"]["segment_seconds"] == pytest.approx(2.992)
    layers = {layer["name"]: layer for layer in rows["vgg-msd"]["layers"]}
    assert layers["taggrams"]["size"] == 50 and layers["taggrams"]["labels"][0] == "rock"
    assert layers["embeddings"]["size"] == 256 and layers["embeddings"]["labels"] is None
    projections = layers["embeddings"]["projections"]
    assert projections["pca"]["components"] == 10 and projections["pca"]["offline"] in ("fresh", "missing")
    assert projections["tsne"]["on_demand"] and not projections["pca"]["on_demand"]
    assert {a["id"] for a in body["architectures"]} >= {"musicnn", "vgg"}
    assert [p["id"] for p in body["projections"]] == ["original", "pca", "std-pca", "tsne", "umap"]
    assert body["collection"]["tracks"] == 10


def test_tracks_filters_and_paging(client):
    everything = client.get("/api/tracks").get_json()
    assert everything["total"] == everything["collection_tracks"] == 10
    assert "path" not in everything["tracks"][0]
    by_key = tracks_by_key(client)
    rock = by_key["rock/Static Horses - Gasoline Halo.ogg"]
    assert [t["track_id"] for t in client.get("/api/tracks?artist=Static Horses").get_json()["tracks"]] == [rock["track_id"]]
    assert client.get("/api/tracks?album=Injected").get_json()["tracks"][0]["title"] == XSS_TITLE
    assert client.get("/api/tracks?genre=Rock").get_json()["total"] == 1
    assert client.get("/api/tracks?q=gasoline").get_json()["tracks"][0]["track_id"] == rock["track_id"]
    assert client.get("/api/tracks?q=static horses").get_json()["total"] == 1  # artist too
    commented = next(f["tracks"] for f in client.get("/api/facets").get_json()["tag"] if f == {**f, "kind": "comment", "value": "tagscape demo"})
    assert 4 <= commented <= 8
    assert client.get("/api/tracks?tag=comment:tagscape demo").get_json()["total"] == commented
    assert client.get("/api/tracks?tag=tagscape demo").get_json()["total"] >= commented
    assert client.get("/api/tracks?tag=comment:no such thing").get_json()["total"] == 0
    short = client.get("/api/tracks?max_duration=10").get_json()
    assert {t["key"] for t in short["tracks"]} == {"odd/xss.flac", "odd/tone.aiff"}
    assert all(t["duration"] >= 20 for t in client.get("/api/tracks?min_duration=20").get_json()["tracks"])
    ids = [t["track_id"] for t in everything["tracks"]]
    assert [t["track_id"] for t in client.get(f"/api/tracks?ids={ids[3]},{ids[1]}").get_json()["tracks"]] == [ids[1], ids[3]]
    many = ",".join(map(str, [ids[1]] + list(range(10_000, 10_400))))  # 401 ids: far more than 500 characters
    assert [t["track_id"] for t in client.get(f"/api/tracks?ids={many}").get_json()["tracks"]] == [ids[1]]
    assert [t["track_id"] for t in client.get("/api/tracks?limit=3").get_json()["tracks"]] == ids[:3]
    page = client.get("/api/tracks?offset=2&page_size=3").get_json()
    assert page["total"] == 10 and [t["track_id"] for t in page["tracks"]] == ids[2:5]


def test_random_samples_are_seeded(client):
    def sample(seed):
        return [t["track_id"] for t in client.get(f"/api/tracks?limit=4&sample=random&seed={seed}").get_json()["tracks"]]

    assert sample(1) == sample(1)
    assert len(set(sample(1))) == 4 and sample(1) == sorted(sample(1))
    assert len({tuple(sample(s)) for s in range(6)}) > 1


def test_facets(client):
    body = client.get("/api/facets").get_json()
    assert {"value": "Rock", "tracks": 1} in body["genre"]
    assert any(a["value"] == "Mallory" for a in body["artist"])
    assert any(t["kind"] == "comment" and t["value"] == "tagscape demo" for t in body["tag"])
    assert not any(t["kind"] in ("title", "artist") for t in body["tag"])
    assert 4.5 < body["duration"][0] < 5.5 and body["duration"][1] > 20


def test_track_metadata_top_tags_segment_and_layer(client):
    rock = tracks_by_key(client)["rock/Static Horses - Gasoline Halo.ogg"]
    track_id = rock["track_id"]
    meta = client.get(f"/api/tracks/{track_id}").get_json()
    assert meta["artist"] == "Static Horses" and meta["tags"]["comment"] == ["tagscape demo"] and "path" not in meta
    top = client.get(f"/api/tracks/{track_id}/top-tags?k=3").get_json()
    assert set(top) == {"musicnn-mtt", "vgg-msd"} and len(top["musicnn-mtt"]) == 3
    activations = [t["activation"] for t in top["vgg-msd"]]
    assert activations == sorted(activations, reverse=True)
    segment = client.get(f"/api/tracks/{track_id}/segments/2?model=musicnn-mtt&k=4").get_json()
    assert segment["start"] == pytest.approx(2 * 2.992) and segment["end"] == pytest.approx(3 * 2.992)
    assert len(segment["top_tags"]) == 4 and segment["title"] == "Gasoline Halo"
    layer = client.get(f"/api/tracks/{track_id}/layers/musicnn-mtt/taggrams").get_json()
    row = np.array(layer["values"][2])
    assert segment["top_tags"][0]["tag"] == MODELS["musicnn-mtt"].tags[int(row.argmax())]
    assert layer["segment_starts"][:2] == [0.0, 2.992] and len(layer["labels"]) == 50


# -- points --------------------------------------------------------------------------------


def test_points_binary_layout_is_what_the_docs_say(client):
    response = client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=original&x=piano&y=techno")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    body = response.data
    magic, version, n, header_length = struct.unpack_from("<4sIII", body, 0)
    assert magic == b"TSPT" and version == 2 and header_length % 4 == 0
    header = json.loads(body[16 : 16 + header_length])
    arrays = {a["name"]: a for a in header["arrays"]}
    assert list(arrays) == ["x", "y", "track", "segment"]
    assert [arrays[k]["dtype"] for k in arrays] == ["float32", "float32", "uint32", "uint32"]
    assert all(a["offset"] % 4 == 0 and a["count"] == n for a in arrays.values())
    assert arrays["x"]["offset"] == 16 + header_length
    assert len(body) == arrays["segment"]["offset"] + 4 * n
    x = np.frombuffer(body, "<f4", n, arrays["x"]["offset"])
    track = np.frombuffer(body, "<u4", n, arrays["track"]["offset"])
    segment = np.frombuffer(body, "<u4", n, arrays["segment"]["offset"])
    assert header["axis_labels"] == ["piano", "techno"] and header["n_points"] == n == header["n_segments"]
    assert header["n_tracks"] == 10 == len(header["tracks"]["track_id"])
    # x is the piano activation of each segment, straight from the store
    first = header["tracks"]["track_id"][int(track[0])]
    taggram = client.get(f"/api/tracks/{first}/layers/musicnn-mtt/taggrams").get_json()
    piano = MODELS["musicnn-mtt"].tags.index("piano")
    k = int(np.sum(track == track[0]))
    assert np.allclose(x[:k], [row[piano] for row in taggram["values"]], atol=1e-4)
    assert segment[:k].tolist() == list(range(k)) and sum(header["tracks"]["n_segments"]) == n


def test_points_json_matches_binary(client):
    query = "model=vgg-msd&layer=embeddings&projection=pca&x=2&y=0&value=rock&rank=jazz&limit=4&sample=random&seed=3"
    binary = parse_binary(client.get(f"/api/points?{query}").data)
    as_json = client.get(f"/api/points?{query}&format=json").get_json()
    assert as_json["axis_labels"] == binary.meta["axis_labels"]
    assert as_json["axis_labels"][0].startswith("PC 3 (") and as_json["axis_labels"][1].startswith("PC 1 (")
    for name, values in binary.arrays.items():
        assert np.allclose(as_json["points"][name], values), name
    assert set(binary.arrays) == {"x", "y", "track", "segment", "value", "rank"}
    assert binary.meta["n_tracks"] == 4 == binary.meta["tracks_selected"]
    assert ((binary.arrays["value"] >= 0) & (binary.arrays["value"] <= 1)).all() and binary.arrays["rank"].max() < 50


def test_points_value_and_rank_are_the_tags_activation_and_rank(client, collection):
    points = parse_binary(client.get("/api/points?model=musicnn-mtt&layer=embeddings&projection=pca&value=piano&rank=techno").data)
    tags = MODELS["musicnn-mtt"].tags
    track_ids = points.meta["tracks"]["track_id"]
    for i in (0, 7, len(points.arrays["x"]) - 1):
        track_id = track_ids[points.arrays["track"][i]]
        row = collection.store.track_layer(track_id, "musicnn-mtt", "taggrams")[points.arrays["segment"][i]].astype(np.float32)
        assert points.arrays["value"][i] == pytest.approx(row[tags.index("piano")], abs=1e-3)
        assert points.arrays["rank"][i] == int((row > row[tags.index("techno")]).sum())


def test_points_averages_are_track_means_with_their_spread(client):
    segments = parse_binary(client.get("/api/points?model=musicnn-mtt&projection=pca").data)
    averages = parse_binary(client.get("/api/points?model=musicnn-mtt&projection=pca&mode=averages").data)
    assert averages.meta["mode"] == "averages" and len(averages.arrays["x"]) == 10 == averages.meta["n_tracks"]
    assert averages.meta["n_segments"] == len(segments.arrays["x"])
    for t in (0, 5):
        mine = segments.arrays["track"] == t
        xy = np.stack([segments.arrays["x"][mine], segments.arrays["y"][mine]], axis=1)
        assert averages.arrays["x"][t] == pytest.approx(xy[:, 0].mean(), abs=1e-5)
        rms = np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean())
        assert averages.arrays["spread"][t] == pytest.approx(rms, rel=1e-4)


def test_points_tsne_of_a_subset_is_computed_on_demand(client):
    query = "model=musicnn-mtt&layer=embeddings&projection=tsne&limit=3&sample=random&seed=5"
    points = parse_binary(client.get(f"/api/points?{query}").data)
    assert points.meta["source"] == "on-demand" and points.meta["axis_labels"] == ["t-SNE 1", "t-SNE 2"]
    assert points.meta["n_tracks"] == 3 and np.isfinite(points.arrays["x"]).all()
    again = parse_binary(client.get(f"/api/points?{query}&client=abc").data)  # cached: same map
    assert np.array_equal(points.arrays["x"], again.arrays["x"])


def test_points_of_an_empty_selection(client):
    points = parse_binary(client.get("/api/points?model=musicnn-mtt&projection=tsne&artist=Nobody").data)
    assert points.meta["n_points"] == 0 and points.meta["tracks_selected"] == 0 and len(points.arrays["x"]) == 0


def test_a_new_request_of_a_client_cancels_its_older_one():
    generations = Generations()
    first = generations.start("tab-1")
    other = generations.start("tab-2")
    assert not first() and not other()
    second = generations.start("tab-1")
    assert first() and not second() and not other()
    assert generations.start(None) is None


# -- audio ---------------------------------------------------------------------------------


def test_audio_is_served_with_range_requests(client):
    track_id = tracks_by_key(client)["jazz/Monk Street Trio - Blue Door Walk.flac"]["track_id"]
    with client.get(f"/api/audio/{track_id}") as whole, client.get(f"/api/audio/{track_id}", headers={"Range": "bytes=100-199"}) as part:
        assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes" and whole.mimetype == "audio/flac"
        assert part.status_code == 206 and part.data == whole.data[100:200]
        assert part.headers["Content-Range"].startswith("bytes 100-199/")
    with client.get(f"/api/audio/{track_id}", headers={"Range": "bytes=999999999-"}) as beyond:
        assert beyond.status_code == 416


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """The first channel of an encoded file, float32 in [-1, 1], and its rate."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", rate=stream.rate)
        chunks = [out.to_ndarray()[0] for frame in container.decode(stream) for out in resampler.resample(frame)]
        return np.concatenate(chunks), stream.rate


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".ogg", ".m4a", ".opus", ".wav"])
def test_a_segment_clip_is_exactly_that_stretch_of_the_track(client, collection, suffix):
    track = next(t for t in client.get("/api/tracks").get_json()["tracks"] if t["key"].endswith(suffix) and t["duration"] > 12)
    with client.get(f"/api/audio/{track['track_id']}?start=5.984&end=8.976") as clip:
        assert clip.status_code == 200 and clip.mimetype == "audio/wav"
        with wave.open(io.BytesIO(clip.data)) as wav:
            rate, channels, frames = wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes())
    clip_samples = np.frombuffer(frames, "<i2").reshape(-1, channels)[:, 0].astype(np.float32) / 32768
    with open(collection.audio_root / track["key"], "rb") as handle:
        full, full_rate = decode(handle.read())
    assert rate == full_rate and abs(len(clip_samples) - round(2.992 * rate)) <= 1
    start = round(5.984 * rate)
    expected = full[start : start + len(clip_samples)]
    assert np.abs(expected).max() > 0.05
    # the same samples as a decode from the start of the file (lossy decoders may differ a little after a seek)
    assert np.abs(clip_samples - expected).mean() < 0.005 and np.corrcoef(clip_samples, expected)[0, 1] > 0.99


def test_formats_browsers_cannot_play_are_transcoded(client):
    track_id = tracks_by_key(client)["odd/tone.aiff"]["track_id"]
    with client.get(f"/api/audio/{track_id}") as response:
        assert response.status_code == 200 and response.mimetype == "audio/flac"
        samples, rate = decode(response.data)
    assert rate == 22050 and abs(len(samples) - 5 * 22050) < 2048
    with client.get(f"/api/audio/{track_id}", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100


def test_remote_tracks_redirect_to_their_url(remote_client):
    tracks = remote_client.get("/api/tracks").get_json()["tracks"]
    track_id = tracks[0]["track_id"]
    response = remote_client.get(f"/api/audio/{track_id}")
    assert response.status_code == 302 and response.headers["Location"] == "https://audio.example.org/214.mp3"
    clip = remote_client.get(f"/api/audio/{track_id}?start=2.992&end=5.984")
    assert clip.status_code == 302 and clip.headers["Location"] == "https://audio.example.org/214.mp3#t=2.992,5.984"
    playlist = remote_client.get(f"/api/playlist.m3u?ids={track_id}").data.decode()
    assert "https://audio.example.org/214.mp3" in playlist
    assert remote_client.get("/api/tracks?tag=instrument:guitar").get_json()["total"] == 1
    points = parse_binary(remote_client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=original&x=rock&y=pop").data)
    assert points.meta["n_tracks"] == 2 and points.meta["n_points"] == 41 + 32


def test_audio_never_leaves_the_collection(client, tmp_path):
    (tmp_path / "music").mkdir()
    write_tone(tmp_path / "music" / "a.flac", seconds=1.0, sr=8000)
    index_folder(tmp_path / "music")
    with open_collection(tmp_path / "music") as small:
        outside = small.store.upsert_track({"key": "evil", "path": "../../../../etc/passwd", "content_hash": "x", "title": "evil"})
        response = create_app(small, {"TESTING": True}).test_client().get(f"/api/audio/{outside}")
        assert response.status_code == 404 and "inside the collection" in response.get_json()["message"]
    for url in ("/api/audio/..%2F..%2Fetc%2Fpasswd", "/api/audio/%2Fetc%2Fpasswd", "/api/audio/1/../../etc/passwd"):
        response = client.get(url)
        assert response.status_code == 404 and set(response.get_json()) == {"error", "message"}


# -- exports, documentation, pages -----------------------------------------------------------


def test_playlist_lists_exactly_the_given_tracks(client):
    tracks = client.get("/api/tracks").get_json()["tracks"]
    ids = [tracks[4]["track_id"], tracks[1]["track_id"], tracks[4]["track_id"]]
    for response in (client.get(f"/api/playlist.m3u?ids={','.join(map(str, ids))}"), client.post("/api/playlist.m3u", json={"ids": ids})):
        assert response.status_code == 200 and response.mimetype == "audio/x-mpegurl"
        lines = response.data.decode().splitlines()
        assert lines[0] == "#EXTM3U" and len(lines) == 5
        assert lines[2] == f"http://localhost/api/audio/{ids[0]}" and lines[4] == f"http://localhost/api/audio/{ids[1]}"
        assert lines[1].startswith("#EXTINF:") and tracks[4]["title"] in lines[1]


def test_openapi_documents_every_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document == json.loads(json.dumps(spec()))
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert app_routes(app) == documented
    assert "little-endian" in document["paths"]["/api/points"]["get"]["description"]


def test_the_page_loads_the_explorer_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and b"tagscape" in page.data and b"10 tracks" in page.data
    assert b"dist/explorer.js" in page.data or b"not built" in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


# -- one error shape -------------------------------------------------------------------------

ERRORS = [
    ("/api/tracks?limit=abc", 400, "'limit' must be an integer"),
    ("/api/tracks?limit=0", 400, "at least 1"),
    ("/api/tracks?sample=all", 400, "'sample' must be one of"),
    ("/api/tracks?min_duration=x", 400, "'min_duration' must be a number"),
    ("/api/tracks?min_duration=50&max_duration=10", 400, "is above max_duration"),
    ("/api/tracks?min_duration=nan", 400, "finite"),
    ("/api/tracks?ids=1,x", 400, "track ids"),
    ("/api/tracks?page_size=100001", 400, "between 1 and 100000"),
    ("/api/tracks?seed=-1", 400, "'seed'"),
    ("/api/tracks/999", 404, "no track 999"),
    ("/api/tracks/999/top-tags", 404, "no track 999"),
    ("/api/tracks/1/top-tags?k=51", 400, "'k'"),
    ("/api/tracks/1/segments/0", 400, "'model' is required"),
    ("/api/tracks/1/segments/0?model=nope", 404, "unknown model"),
    ("/api/tracks/1/segments/9999?model=musicnn-mtt", 404, "no segment 9999"),
    ("/api/tracks/1/segments/0?model=vgg-mtt", 404, "no vgg-mtt results"),
    ("/api/tracks/999/segments/0?model=musicnn-mtt", 404, "no track 999"),
    ("/api/tracks/1/layers/nope/taggrams", 404, "unknown model"),
    ("/api/tracks/1/layers/musicnn-mtt/pool9", 404, "no layer"),
    ("/api/tracks/1/layers/vgg-mtt/taggrams", 404, "has no vgg-mtt taggrams yet"),
    ("/api/points", 400, "'model' is required"),
    ("/api/points?model=nope", 404, "unknown model"),
    ("/api/points?model=vgg-mtt", 404, "no vgg-mtt results"),
    ("/api/points?model=musicnn-mtt&layer=pool9", 404, "no layer"),
    ("/api/points?model=musicnn-mtt&projection=lda", 400, "unknown projection"),
    ("/api/points?model=musicnn-mtt&projection=original&x=banjo", 400, "unknown axis 'banjo'"),
    ("/api/points?model=musicnn-mtt&projection=original&layer=embeddings&x=200", 400, "out of range"),
    ("/api/points?model=musicnn-mtt&projection=pca&x=10", 400, "out of range"),
    ("/api/points?model=musicnn-mtt&mode=lines", 400, "'mode' must be one of"),
    ("/api/points?model=musicnn-mtt&format=xml", 400, "'format' must be one of"),
    ("/api/points?model=musicnn-mtt&value=banjo", 400, "unknown tag 'banjo'"),
    ("/api/points?model=musicnn-mtt&rank=banjo", 400, "unknown tag 'banjo'"),
    ("/api/points?model=musicnn-mtt&limit=-3", 400, "'limit'"),
    ("/api/points?model=musicnn-mtt&projection=tsne&limit=1&layer=embeddings&max_duration=6", 400, "at least 4 points"),
    ("/api/audio/999", 404, "no track 999"),
    ("/api/audio/1?start=1", 400, "both 'start' and 'end'"),
    ("/api/audio/1?start=3&end=2", 400, "must be after"),
    ("/api/audio/1?start=0&end=61", 400, "at most 60 s"),
    ("/api/audio/1?start=-1&end=2", 400, "'start'"),
    ("/api/audio/1?start=9000&end=9002", 400, "past the end"),
    ("/api/playlist.m3u", 400, "'ids' is required"),
    ("/api/playlist.m3u?ids=1,a", 400, "track ids"),
    ("/api/playlist.m3u?ids=999", 404, "no track 999"),
    ("/api/nothing-here", 404, "not found"),
]


@pytest.mark.parametrize("url, status, words", ERRORS)
def test_errors_have_one_json_shape(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert words.lower() in body["message"].lower()
    assert "Traceback" not in body["message"]


def test_post_errors_and_wrong_methods_are_json_too(client):
    for body in ({"ids": "1,2"}, {"ids": [1, "2"]}, {"tracks": [1]}, [1, 2]):
        response = client.post("/api/playlist.m3u", json=body)
        assert response.status_code == 400 and set(response.get_json()) == {"error", "message"}
    response = client.post("/api/playlist.m3u", data="not json", content_type="application/json")
    assert response.status_code == 400
    response = client.delete("/api/tracks")
    assert response.status_code == 405 and set(response.get_json()) == {"error", "message"}


def test_weights_added_while_the_server_runs_show_at_once(client, tmp_path, monkeypatch):
    """``/api/models`` is cached, but not past a ``tagscape models add``."""
    monkeypatch.setenv("TAGSCAPE_WEIGHTS_DIR", str(tmp_path))

    def vggish_status():
        rows = client.get("/api/models").get_json()["models"]
        return next(row["weights_status"] for row in rows if row["model_id"] == "vggish-audioset")

    assert vggish_status().startswith("weights missing")
    folder = tmp_path / "vggish-audioset"
    folder.mkdir()
    (folder / "weights.npz").write_bytes(b"as models add leaves them")
    (folder / "source.json").write_text("{}")
    assert vggish_status().startswith(f"found in {folder}")
