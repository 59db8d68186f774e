"""GET /api/points?preview=N: a first frame of a large map (issue 16, progressive loading)."""

from __future__ import annotations

import numpy as np
import pytest

from tagscape.web.points import parse_binary

MAP = "/api/points?model=musicnn-mtt&projection=pca"


# a stored map, the layer's own columns (with a tag's values and ranks), and a selection of tracks:
# each is sampled before its points are gathered, and must still be a cut of the whole answer
MAPS = [MAP, "/api/points?model=musicnn-mtt&projection=original&x=guitar&y=piano&value=rock&rank=techno",
        f"{MAP}&limit=2", "/api/points?model=musicnn-mtt&projection=original&x=3&y=7&limit=2&value=guitar"]


@pytest.mark.parametrize("url", MAPS)
def test_a_preview_is_a_seeded_sample_of_the_map_with_its_tracks_and_bounds(client, url):
    whole = parse_binary(client.get(url).data)
    first = parse_binary(client.get(f"{url}&preview=7").data)
    again = parse_binary(client.get(f"{url}&preview=7").data)
    assert first.n == 7 and first.meta["preview"] == {"n": 7, "of": whole.n} and first.meta["n_points"] == 7
    assert first.meta["bounds"] == whole.meta["bounds"] and first.meta["tracks"] == whole.meta["tracks"]
    # each sampled point is the map's point of that track and segment, in the map's order
    index = {(int(t), int(s)): i for i, (t, s) in enumerate(zip(whole.arrays["track"], whole.arrays["segment"], strict=True))}
    rows = [index[(int(t), int(s))] for t, s in zip(first.arrays["track"], first.arrays["segment"], strict=True)]
    assert rows == sorted(rows) and len(set(rows)) == 7
    for name in whole.arrays:  # x, y, and value / rank where asked: the same numbers as in the whole answer
        if name not in ("track",):
            assert np.array_equal(first.arrays[name], whole.arrays[name][rows]), name
    assert first.meta["n_segments"] == whole.meta["n_segments"] and first.meta["n_tracks"] == whole.meta["n_tracks"]
    assert np.array_equal(first.arrays["x"], again.arrays["x"])  # seeded: the same frame every time
    # as many as the map or more: the whole map, said so
    everything = parse_binary(client.get(f"{url}&preview={whole.n + 5}").data)
    assert everything.n == whole.n and everything.meta["preview"] == {"n": whole.n, "of": whole.n}
    averages = parse_binary(client.get(f"{url}&mode=averages&preview=3").data)
    n_tracks = whole.meta["n_tracks"]
    assert averages.n == min(3, n_tracks) and len(averages.arrays["spread"]) == min(3, n_tracks)


def test_a_bad_preview_is_a_400(client):
    for value in ("0", "-1", "abc", "1e9", "2000000"):
        response = client.get(f"{MAP}&preview={value}")
        assert response.status_code == 400 and "preview" in response.get_json()["message"], value


def test_a_starting_server_reads_the_track_table_before_the_first_map_asks(collection_dir):
    from tagscape.web import create_app, warm_up_data

    app = create_app(str(collection_dir), {"TESTING": True})  # tests start no warm-up thread
    tracks = app.extensions["tagscape.tracks"]
    assert tracks._table is None
    warm_up_data(app)
    table = tracks._table
    assert table is not None and len(table) > 0
    with app.app_context():
        from tagscape.web.api import tables

        assert tables() is table  # the first request finds it read
