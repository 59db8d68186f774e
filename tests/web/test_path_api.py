"""``GET /api/path`` over the web tests' collection (real models): JSON, CSV and M3U; bad requests."""

from __future__ import annotations

import csv
import io

MODEL = "musicnn-mtt"


def _ids(client) -> list[int]:
    return [t["track_id"] for t in client.get("/api/tracks").get_json()["tracks"]]


def test_a_path_between_two_tracks_as_json_csv_and_m3u(client):
    ids = _ids(client)
    answer = client.get(f"/api/path?model={MODEL}&from={ids[0]}&to={ids[-1]}&n=4")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    items = body["items"]
    assert len(items) == 4 and items[0]["track_id"] == ids[0] and items[-1]["track_id"] == ids[-1]
    assert len({item["track_id"] for item in items}) == 4 and items[0]["step"] is None
    assert abs(body["bottleneck"] - max(item["step"] for item in items[1:])) <= 1e-6  # both rounded to 6 places, from einsum and dot
    table = list(csv.reader(io.StringIO(client.get(f"/api/path?model={MODEL}&from={ids[0]}&to={ids[-1]}&n=4&format=csv").get_data(as_text=True))))
    assert table[0][:3] == ["position", "track_id", "segment"] and [int(row[1]) for row in table[1:]] == [item["track_id"] for item in items]
    m3u = client.get(f"/api/path?model={MODEL}&from={ids[0]}&to={ids[-1]}&n=4&format=m3u").get_data(as_text=True).splitlines()
    assert m3u[0] == "#EXTM3U" and m3u[2] == f"http://localhost/api/audio/{ids[0]}"


def test_a_path_between_segments_plays_clips(client):
    ids = _ids(client)
    answer = client.get(f"/api/path?model={MODEL}&from={ids[1]}&to={ids[2]}&from_segment=1&level=segment&n=5&format=m3u")
    assert answer.status_code == 200
    urls = [line for line in answer.get_data(as_text=True).splitlines() if not line.startswith("#")]
    assert len(urls) == 5 and urls[0] == f"http://localhost/api/audio/{ids[1]}?start=2.992&end=5.984"
    assert client.get(urls[1].removeprefix("http://localhost")).mimetype == "audio/wav"


def test_bad_path_requests_are_4xx(client):
    ids = _ids(client)
    for query, status in [("", 400), (f"model={MODEL}&from={ids[0]}", 400), (f"model={MODEL}&from={ids[0]}&to={ids[0]}", 400),
                          (f"model={MODEL}&from={ids[0]}&to=99999999", 404), (f"model={MODEL}&from={ids[0]}&to={ids[1]}&n=1", 400),
                          (f"model={MODEL}&from={ids[0]}&to={ids[1]}&n=201", 400), (f"model=nope&from={ids[0]}&to={ids[1]}", 404),
                          (f"model={MODEL}&from={ids[0]}&to={ids[1]}&from_segment=3", 400),
                          (f"model={MODEL}&from={ids[0]}&to={ids[1]}&level=segment&from_segment=9999", 404),
                          (f"model={MODEL}&from=1{'0' * 30}&to={ids[1]}", 400), (f"model={MODEL}&from={ids[0]}&to={ids[1]}&format=xml", 400)]:
        answer = client.get(f"/api/path?{query}")
        assert answer.status_code == status, (query, answer.get_json())
        assert set(answer.get_json()) == {"error", "message"}
