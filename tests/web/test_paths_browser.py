"""Paths between tracks in real headless Chromium: a start and an end clicked on the map, the
server's smoothest path listed and drawn, heard with the continuous audition (the ring on each
stop in turn), and exported as the server's CSV and M3U."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_explorer import download, isolated_point, open_explorer, plot_box, points, wait_idle

SHOTS = Path("/tmp/shots")


def click_point(page, exclude_track=None) -> dict:
    """Click an isolated point (of another track than ``exclude_track``) and let the page settle."""
    target = isolated_point([p for p in points(page) if p["track"] != exclude_track], plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(150)
    page.mouse.click(target["x"], target["y"])
    wait_idle(page)
    return target


def test_a_path_between_two_tracks_is_listed_drawn_heard_and_exported(page, client):
    SHOTS.mkdir(exist_ok=True)
    open_explorer(page, "listen=off")
    start = click_point(page)
    page.click("#path-set-from")
    end = click_point(page, exclude_track=start["track"])
    page.click("#path-set-to")
    assert page.text_content("#path-from") != "not chosen" and page.text_content("#path-to") != "not chosen"
    page.fill("#path-n", "5")
    page.click("#path-find")
    query = f"model=musicnn-mtt&layer=taggrams&from={start['track']}&to={end['track']}&n=5&level=track"
    api = client.get(f"/api/path?{query}").get_json()
    items = api["items"]
    assert items[0]["track_id"] == start["track"] and items[-1]["track_id"] == end["track"]
    page.wait_for_function(f"document.querySelectorAll('#path-items li').length === {len(items)}", timeout=30_000)
    assert page.evaluate("Array.from(document.querySelectorAll('#path-items li'), (li) => Number(li.dataset.track))") == [i["track_id"] for i in items]
    assert f"largest step {api['bottleneck']:.3f}" in page.text_content("#path-info")
    page.wait_for_function(f"window.tagscape.plots[0].pathDrawn === {len(items)}")

    # The exports are the server's own, for this path.
    assert download(page, "#path-csv") == client.get(f"/api/path?{query}&format=csv").get_data(as_text=True)
    m3u = download(page, "#path-m3u").splitlines()
    assert m3u[0] == "#EXTM3U" and len([line for line in m3u if line.startswith("#EXTINF")]) == len(items)
    assert all(line.startswith(f"{page.base_url}/api/audio/") for line in m3u[2::2])

    # Heard stop by stop: the ring sits on each stop of the path as drawn, in order.
    page.click("#path-play")
    page.wait_for_function("window.tagscape.audition.report().rings.length >= 2", timeout=60_000)
    page.screenshot(path=str(SHOTS / "path.png"))
    got = page.evaluate("window.tagscape.audition.report()")
    stops = page.evaluate("""() => { const plot = window.tagscape.plots[0];
        return window.tagscape.paths.body.items.map((item) => window.tagscape.paths.position(plot, item)); }""")
    for ring in got["rings"][:2]:
        assert ring["ring"][0] == pytest.approx(stops[ring["index"]], abs=0.5)
    assert [r["index"] for r in got["rings"][:2]] == [0, 1]
    assert got["entries"][1]["when"] - (got["entries"][0]["when"] + got["entries"][0]["duration"]) < 0.02
    page.click("#audition-stop")
    page.click("#path-clear")
    page.wait_for_function("window.tagscape.plots[0].pathDrawn === 0")
