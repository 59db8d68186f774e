"""Density and level of detail (issue 16) in real headless Chromium: a density layer under the
points, and the averages mode's semantic zoom (zooming in swaps the circles for the segments of the
tracks in view; zooming out brings the circles back; an opened segment is heard as a point is)."""

from __future__ import annotations

import pytest
from test_explorer import open_explorer, plot_box, wait_idle

pytestmark = pytest.mark.browser

PLOT = "window.tagscape.plots[0]"


def test_density_and_semantic_zoom_of_track_averages(page, client):
    open_explorer(page, "mode=averages&density=on&listen=off")
    page.wait_for_function(f"{PLOT}.densityLevels > 0")
    circles = page.evaluate(f"{PLOT}.overlayStats.circles")
    assert circles > 0 and page.evaluate(f"{PLOT}.opened.tracks") == 0

    # zoom in with the wheel: the circles in view open into their segments, asked of the server once
    zoom_into_averages(page)
    opened = page.evaluate(f"{PLOT}.opened")
    segments = map_segments(page, client)
    n_segments = dict(zip(segments["tracks"]["track_id"], segments["tracks"]["n_segments"], strict=True))
    assert opened["dots"] == sum(n_segments[t] for t in opened["trackIds"])
    assert opened["tracks"] <= circles
    assert "density=on" in page.url and "mode=averages" in page.url

    # zoomed out again: circles, no segments
    for _ in range(12):
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(60)
        if page.evaluate(f"{PLOT}.scatterplot.get('cameraDistance')") > 0.6:
            break
    page.wait_for_function(f"{PLOT}.opened.tracks === 0 && {PLOT}.overlayStats.circles > 0", timeout=30_000)

    # density off: no contours; segments mode: no semantic zoom
    page.select_option("#density", "off")
    wait_idle(page)
    page.wait_for_function(f"{PLOT}.densityLevels === 0")
    page.check("input[name=mode][value=segments]")
    wait_idle(page)
    assert page.evaluate(f"{PLOT}.opened.tracks") == 0 and page.evaluate(f"{PLOT}.densityLevels") == 0


def zoom_into_averages(page) -> None:
    """Zoom in with the wheel until the averages open into their segments."""
    left, top, width, height = plot_box(page)
    page.mouse.move(left + width / 2, top + height / 2)
    for _ in range(12):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(60)
        if page.evaluate(f"{PLOT}.scatterplot.get('cameraDistance')") < 0.3:
            break
    page.wait_for_function(f"{PLOT}.opened.tracks > 0 && {PLOT}.overlayStats.circles === 0", timeout=30_000)


def map_segments(page, client) -> dict:
    """The segments of the averages map on the page, as the server answers them (JSON)."""
    params = page.evaluate(f"{PLOT}.data.requestParams")
    return client.get("/api/points?" + "&".join(f"{k}={v}" for k, v in params.items() if k != "mode") + "&format=json").get_json()


def test_an_opened_segment_answers_the_pointer_with_its_tooltip_and_its_sound(page, client):
    open_explorer(page, "mode=averages&listen=hover")
    zoom_into_averages(page)
    segments = map_segments(page, client)
    left, top, width, height = plot_box(page)
    # an opened dot well inside the map, and where it was drawn
    found = page.evaluate(f"""(() => {{
        const h = {PLOT}.opened.hits;
        for (let k = 0; k < h.n; k++) if (h.x[k] > 30 && h.y[k] > 30 && h.x[k] < {width} - 30 && h.y[k] < {height} - 30) return [h.x[k], h.y[k], h.segment[k]];
        return null;
    }})()""")
    assert found, "no opened dot inside the map"
    x, y, _ = found
    page.mouse.move(left + x, top + y)
    page.wait_for_function("window.tagscape.hovered && window.tagscape.hovered.opened !== undefined", timeout=10_000)
    hovered = page.evaluate("window.tagscape.hovered")
    # the dot under the pointer (the same one, or one drawn at that very place), as the server has it
    k = page.evaluate(f"(() => {{ const h = {PLOT}.opened.hits; return h.segment.indexOf({hovered['opened']}); }})()")
    assert k >= 0 and page.evaluate(f"Math.hypot({PLOT}.opened.hits.x[{k}] - {x}, {PLOT}.opened.hits.y[{k}] - {y})") < 0.5
    points = segments["points"]
    assert hovered["trackId"] == segments["tracks"]["track_id"][points["track"][hovered["opened"]]]
    assert hovered["segment"] == points["segment"][hovered["opened"]]
    tooltip = page.locator("div.tooltip")
    assert tooltip.is_visible() and f"segment {hovered['segment'] + 1} ·" in tooltip.inner_text()
    player = page.evaluate("({...document.getElementById('player').dataset})")
    assert player["track"] == str(hovered["trackId"]) and player["segment"] == str(hovered["segment"])  # that segment, not the track's average
    # off the dots: the tooltip goes, and the points beneath answer again
    page.mouse.move(left + 2, top + 2)
    page.wait_for_function("document.querySelector('div.tooltip').hidden", timeout=10_000)


def test_a_first_frame_of_a_sample_before_the_whole_map_arrives(page, client):
    held = []
    released = []

    def hold(route):  # the whole map waits until the test has seen the first frame
        if "preview=" in route.request.url or released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/points?*", hold)
    page.goto(f"{page.base_url}/?preview=on&listen=off")
    page.wait_for_function(f"{PLOT}?.preview?.drawn > 0", timeout=60_000)
    assert held and page.evaluate(f"{PLOT}.data") is None  # drawn before the whole map came
    whole = client.get("/api/points?model=musicnn-mtt&projection=pca&format=json").get_json()
    first = page.evaluate(f"{PLOT}.preview")
    assert first["of"] == whole["n_points"] and 0 < first["points"] < whole["n_points"]
    # the sample is on the screen: pixels of the overlay that are not the map's background
    lit = page.evaluate(f"""(() => {{
        const c = {PLOT}.overlay; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = 0; for (let k = 0; k < d.length; k += 4) if (d[k] + d[k + 1] + d[k + 2] > 150) lit += 1; return lit; }})()""")
    assert lit >= first["points"]
    assert "A first look" in page.text_content(".plot .message")

    released.append(True)
    for route in held:
        route.continue_()
    wait_idle(page)
    assert page.evaluate(f"{PLOT}.data.x.length") == whole["n_points"]
    assert page.is_hidden(".plot .message")


def test_a_first_frame_that_comes_after_the_whole_map_is_drawn_is_not_shown(page, client):
    held = []

    def hold(route):  # the first frame waits until the whole map is on the screen
        if "preview=" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/points?*", hold)
    page.goto(f"{page.base_url}/?preview=on&listen=off")
    wait_idle(page)
    assert held and page.evaluate(f"{PLOT}.data.x.length") > 0
    for route in held:
        route.continue_()
    page.wait_for_timeout(500)  # the sample's answer arrives, and must change nothing
    assert page.evaluate(f"{PLOT}.preview.drawn") is None
    assert page.is_hidden(".plot .message")
