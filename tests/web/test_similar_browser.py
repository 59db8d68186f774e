"""Similar music in real headless Chromium: click a point, ask for similar segments and tracks,
see the API's answer as a list and as rings on the map, and play a result."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from test_explorer import isolated_point, open_explorer, plot_box, points, wait_idle

SEGMENT = 2.992


def test_similar_segments_from_a_point_are_listed_ringed_on_the_map_and_play(page, client):
    open_explorer(page, "layer=embeddings&listen=off")
    target = isolated_point(points(page), plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(150)
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function("!document.getElementById('similar-find').disabled")
    assert "from" in page.text_content("#similar-source")
    page.fill("#similar-k", "6")
    page.click("#similar-find")
    page.wait_for_function("document.querySelectorAll('#similar-results li[data-track]').length === 6")
    api = client.get(f"/api/similar?model=musicnn-mtt&track={target['track']}&segment={target['segment']}&k=6").get_json()
    shown = page.evaluate("Array.from(document.querySelectorAll('#similar-results li'), (li) => [Number(li.dataset.track), Number(li.dataset.segment)])")
    assert shown == [[r["track_id"], r["segment"]] for r in api["results"]]
    assert all(track != target["track"] for track, _ in shown)  # other tracks only, by default
    assert page.text_content("#similar-results li .sim-title") == api["results"][0]["title"]
    assert "exact search" in page.text_content("#similar-info")

    # every result and the query are ringed on the map (the dock may have resized it: redrawn)
    wait_idle(page)
    page.wait_for_function("window.tagscape.plots[0].similarMarked === 6")

    # a result's play button plays exactly that segment
    third = api["results"][2]
    page.click("#similar-results li:nth-child(3) .sim-play")
    page.wait_for_function("document.getElementById('player').currentTime > 0.05", timeout=15_000)
    player = page.evaluate("(() => { const a = document.getElementById('player'); return { src: a.src, paused: a.paused, ...a.dataset }; })()")
    query = parse_qs(urlparse(player["src"]).query)
    assert urlparse(player["src"]).path == f"/api/audio/{third['track_id']}" and int(player["segment"]) == third["segment"]
    assert float(query["start"][0]) == pytest.approx(third["segment"] * SEGMENT, abs=1e-3)
    assert float(query["end"][0]) == pytest.approx((third["segment"] + 1) * SEGMENT, abs=1e-3)
    assert page.text_content("#now-playing .np-title") == third["title"]

    # whole tracks instead, other artists only: nine tracks (every other one), ringed on the map
    page.select_option("#similar-level", "track")
    page.fill("#similar-k", "10")
    page.check("#similar-other-artists")
    page.click("#similar-find")
    page.wait_for_function("document.querySelectorAll('#similar-results li[data-track]').length === 9")
    tracks = client.get(f"/api/similar?model=musicnn-mtt&track={target['track']}&segment={target['segment']}&k=10&level=track&exclude_artist=1").get_json()
    assert page.evaluate("Array.from(document.querySelectorAll('#similar-results li'), (li) => Number(li.dataset.track))") == [r["track_id"] for r in tracks["results"]]
    page.wait_for_function("window.tagscape.plots[0].similarMarked === 9")

    page.click("#similar-clear")
    page.wait_for_function("window.tagscape.plots[0].similarMarked === 0")
    assert page.evaluate("document.querySelectorAll('#similar-results li').length") == 0


def test_a_bad_k_is_corrected_and_errors_are_shown(page):
    open_explorer(page, "layer=embeddings&listen=off")
    target = isolated_point(points(page), plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(150)
    page.mouse.click(target["x"], target["y"])
    page.fill("#similar-k", "5000")
    page.click("#similar-find")
    page.wait_for_function("document.querySelectorAll('#similar-results li[data-track]').length > 0")
    assert page.input_value("#similar-k") == "200"
    page.route("**/api/similar*", lambda route: route.fulfill(status=404, content_type="application/json",
                                                               body='{"error": "NotFoundError", "message": "no track 7 in this collection"}'))
    page.click("#similar-find")
    page.wait_for_function("document.getElementById('similar-info').textContent.includes('no track 7')")
