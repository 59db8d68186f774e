"""The explorer in real headless Chromium (Playwright) against a real server over a real collection."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, quote, urlparse

import pytest

from webdata import XSS_TITLE

SEGMENT = 2.992
IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"


def open_explorer(page, query: str = "") -> None:
    page.goto(f"{page.base_url}/{'?' + query if query else ''}")
    wait_idle(page)


def wait_idle(page) -> None:
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(50)  # let the overlay's animation frame run


def points(page, plot: int = 0) -> list[dict]:
    """Every point of a plot: page coordinates, track id, segment."""
    return page.evaluate(
        """(index) => {
            const p = window.tagscape.plots[index];
            const box = p.canvas.getBoundingClientRect();
            const ids = p.data.meta.tracks.track_id;
            return Array.from(p.data.x, (_, i) => {
                const [x, y] = p.screenPosition(i);
                return { i, x: box.left + x, y: box.top + y, track: ids[p.data.track[i]], segment: p.data.segment[i] };
            });
        }""",
        plot,
    )


def plot_box(page, plot: int = 0) -> tuple[float, float, float, float]:
    return tuple(page.evaluate("(i) => { const r = window.tagscape.plots[i].canvas.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }", plot))


def isolated_point(pts: list[dict], box, gap: float = 9.0) -> dict:
    """A point well inside the plot with no other point within ``gap`` pixels (so hovering finds it)."""
    left, top, width, height = box
    for p in pts:
        if not (left + 30 < p["x"] < left + width - 30 and top + 30 < p["y"] < top + height - 30):
            continue
        if all((q["x"] - p["x"]) ** 2 + (q["y"] - p["y"]) ** 2 > gap * gap for q in pts if q is not p):
            return p
    raise AssertionError("no isolated point to hover")


def inside(polygon, x, y) -> bool:
    result = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


def edge_distance(polygon, x, y) -> float:
    best = float("inf")
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1]):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        best = min(best, ((x1 + t * dx - x) ** 2 + (y1 + t * dy - y) ** 2) ** 0.5)
    return best


def drag(page, path, *, shift: bool) -> None:
    if shift:
        page.keyboard.down("Shift")
    page.mouse.move(*path[0])
    page.mouse.down()
    page.mouse.move(path[0][0] + 0.5, path[0][1] + 0.5)  # a selection starts where the pointer first moves
    page.wait_for_timeout(20)
    for (x1, y1), (x2, y2) in zip(path, path[1:]):
        for k in range(1, 9):
            page.mouse.move(x1 + (x2 - x1) * k / 8, y1 + (y2 - y1) * k / 8)
            page.wait_for_timeout(12)
    page.wait_for_timeout(40)  # the library extends a selection at most every 10 ms
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")
    page.wait_for_timeout(300)


def lasso(page, polygon) -> None:
    """Shift+drag along a closed polygon (ending a little before its start, as people do)."""
    (x0, y0), (x1, y1) = polygon[0], polygon[1]
    drag(page, [*polygon, polygon[0], (x0 + (x1 - x0) * 0.02, y0 + (y1 - y0) * 0.02)][:-1], shift=True)


def expected_selection(pts, polygon, margin: float = 3.0) -> tuple[set, set]:
    """(surely inside, inside or on the edge) as sets of point indices."""
    sure = {p["i"] for p in pts if inside(polygon, p["x"], p["y"]) and edge_distance(polygon, p["x"], p["y"]) > margin}
    maybe = {p["i"] for p in pts if inside(polygon, p["x"], p["y"]) or edge_distance(polygon, p["x"], p["y"]) <= margin}
    return sure, maybe


def download(page, selector: str) -> str:
    with page.expect_download() as info:
        page.click(selector)
    with open(info.value.path(), encoding="utf-8") as handle:
        return handle.read()


def test_the_explorer_draws_the_collection_and_switches_layer_projection_and_mode(page, client):
    open_explorer(page)
    api = client.get("/api/points?model=musicnn-mtt&format=json").get_json()
    status = page.text_content("#status")
    assert f"10 tracks · {api['n_segments']} segments" in status
    assert page.evaluate("window.tagscape.plots[0].data.x.length") == api["n_points"]
    assert page.text_content(".axis-title.x").startswith("PC 1 (") and page.text_content(".axis-title.y").startswith("PC 2 (")
    assert page.evaluate("document.querySelector('.legend').textContent").startswith("track")

    page.select_option("#layer", "embeddings")
    wait_idle(page)
    assert page.evaluate("window.tagscape.plots[0].data.meta.layer") == "embeddings"
    page.select_option("#proj", "tsne")
    wait_idle(page)
    assert page.text_content(".axis-title.x") == "t-SNE 1" and page.text_content(".axis-title.y") == "t-SNE 2"
    assert "proj=tsne" in page.url and "layer=embeddings" in page.url

    page.check("input[name=mode][value=trajectories]")
    wait_idle(page)
    # every track with two or more segments gets a line (the AIFF and the XSS track are shorter than 9 s: 1-2 segments)
    multi = sum(1 for n in api["tracks"]["n_segments"] if n > 1)
    assert page.evaluate("window.tagscape.plots[0].overlayStats.trajectories") == multi

    page.check("input[name=mode][value=averages]")
    wait_idle(page)
    assert page.evaluate("window.tagscape.plots[0].data.x.length") == 10
    assert page.evaluate("window.tagscape.plots[0].overlayStats.circles") == 10
    assert "averages" in page.text_content("#status")

    page.check("input[name=mode][value=segments]")
    page.select_option("#layer", "taggrams")
    page.select_option("#proj", "original")
    wait_idle(page)
    page.fill("#x", "piano")
    page.press("#x", "Enter")
    wait_idle(page)
    page.fill("#y", "techno")
    page.press("#y", "Enter")
    wait_idle(page)
    assert page.text_content(".axis-title.x") == "piano" and page.text_content(".axis-title.y") == "techno"
    page.check("#logy")
    wait_idle(page)
    assert page.text_content(".axis-title.y") == "techno (log)"


def test_hovering_a_point_plays_exactly_that_segment(page):
    open_explorer(page, "layer=embeddings")
    target = isolated_point(points(page), plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_function("document.getElementById('player').dataset.track !== undefined && document.getElementById('player').currentTime > 0.05", timeout=10_000)
    player = page.evaluate("(() => { const a = document.getElementById('player'); return { src: a.src, t: a.currentTime, paused: a.paused, duration: a.duration, ...a.dataset }; })()")
    query = parse_qs(urlparse(player["src"]).query)
    assert urlparse(player["src"]).path == f"/api/audio/{target['track']}"
    assert float(query["start"][0]) == pytest.approx(target["segment"] * SEGMENT, abs=1e-3)
    assert float(query["end"][0]) == pytest.approx((target["segment"] + 1) * SEGMENT, abs=1e-3)
    assert not player["paused"] and player["duration"] == pytest.approx(SEGMENT, abs=0.01) and 0 < player["t"] <= SEGMENT
    assert int(player["segment"]) == target["segment"]
    title = page.evaluate("(id) => { const t = window.tagscape.plots[0].data.meta.tracks; return t.title[t.track_id.indexOf(id)]; }", target["track"])
    page.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length === 5")
    assert page.text_content("#now-playing .np-title") == title
    start = target["segment"] * SEGMENT
    assert page.text_content("#now-playing .np-range") == f"{int(start // 60)}:{start % 60:05.2f} – {int((start + SEGMENT) // 60)}:{(start + SEGMENT) % 60:05.2f}"

    # moving to another point replaces the sound: one <audio>, never two
    other = next(p for p in points(page) if p["track"] != target["track"] and abs(p["x"] - target["x"]) > 40)
    page.mouse.move(other["x"], other["y"])
    page.wait_for_function(f"document.getElementById('player').dataset.track !== '{target['track']}'", timeout=10_000)
    assert page.evaluate("document.querySelectorAll('audio').length") == 1

    # listening off: hovering plays nothing new
    page.check("input[name=listen][value=off]")
    before = page.evaluate("document.getElementById('player').src")
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(300)
    assert page.evaluate("document.getElementById('player').src") == before


def test_a_lasso_selection_exports_exactly_its_tracks(page):
    open_explorer(page)
    pts = points(page)
    left, top, width, height = plot_box(page)
    polygon = [(left + width * 0.25, top + height * 0.25), (left + width * 0.62, top + height * 0.2),
               (left + width * 0.7, top + height * 0.62), (left + width * 0.3, top + height * 0.72)]
    lasso(page, polygon)
    selected = set(page.evaluate("window.tagscape.plots[0].selected"))
    sure, maybe = expected_selection(pts, polygon)
    assert len(sure) >= 5 and sure <= selected <= maybe
    tracks = {pts[i]["track"] for i in selected}
    word = "track" if len(tracks) == 1 else "tracks"
    assert page.text_content(".sel-summary") == f"{len(tracks)} {word}, {len(selected)} segments selected"

    playlist = download(page, "#export-m3u")
    urls = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert playlist.startswith("#EXTM3U") and len(urls) == len(tracks)
    assert {int(re.fullmatch(rf"{re.escape(page.base_url)}/api/audio/(\d+)", url).group(1)) for url in urls} == tracks

    rows = list(csv.DictReader(io.StringIO(download(page, "#export-csv"))))
    assert len(rows) == len(selected)
    assert {(int(r["track_id"]), int(r["segment"])) for r in rows} == {(pts[i]["track"], pts[i]["segment"]) for i in selected}
    assert all(float(r["end"]) - float(r["start"]) == pytest.approx(SEGMENT, abs=1e-3) for r in rows)

    page.click("#clear-selection")
    assert page.evaluate("window.tagscape.plots[0].selected.length") == 0


def test_a_box_selection_selects_the_points_in_the_rectangle(page):
    open_explorer(page, "layer=embeddings")
    pts = points(page)
    left, top, width, height = plot_box(page)
    x0, y0, x1, y1 = left + width * 0.1, top + height * 0.1, left + width * 0.55, top + height * 0.6
    page.check("input[name=tool][value=box]")
    drag(page, [(x0, y0), (x1, y0), (x1, y1)], shift=False)
    rectangle = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    sure, maybe = expected_selection(pts, rectangle)
    selected = set(page.evaluate("window.tagscape.plots[0].selected"))
    assert len(sure) >= 5 and sure <= selected <= maybe


def test_compare_links_hover_and_selection_between_the_two_maps(page):
    open_explorer(page, "layer=embeddings&compare=1&model2=vgg-msd&proj2=pca")
    assert page.evaluate("window.tagscape.plots.length") == 2
    assert page.evaluate("window.tagscape.plots[1].data.meta.model") == "vgg-msd"
    first = points(page, 0)
    second = points(page, 1)
    target = isolated_point(first, plot_box(page, 0))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_function("window.tagscape.plots[1].linkedHover !== null && window.tagscape.plots[1].linkedHover !== undefined")
    linked = second[page.evaluate("window.tagscape.plots[1].linkedHover")]
    assert (linked["track"], linked["segment"]) == (target["track"], target["segment"])
    page.mouse.move(5, 5)

    left, top, width, height = plot_box(page, 0)
    polygon = [(left + width * 0.15, top + height * 0.15), (left + width * 0.8, top + height * 0.2), (left + width * 0.6, top + height * 0.8)]
    lasso(page, polygon)
    selected = page.evaluate("window.tagscape.plots[0].selected")
    assert len(selected) >= 5
    mirrored = page.evaluate("window.tagscape.plots[1].selected")
    assert {(second[j]["track"], second[j]["segment"]) for j in mirrored} == {(first[i]["track"], first[i]["segment"]) for i in selected}


def test_a_title_made_of_html_is_shown_as_text(page):
    open_explorer(page, "q=" + quote("<img"))
    assert page.evaluate("window.tagscape.plots[0].data.meta.tracks.title") == [XSS_TITLE]
    assert XSS_TITLE in page.text_content(".legend")
    target = points(page)[0]
    page.mouse.move(target["x"], target["y"])
    page.wait_for_function("document.querySelector('#now-playing .np-title').textContent !== 'Nothing playing'")
    assert page.text_content("#now-playing .np-title") == XSS_TITLE
    assert page.text_content(".tooltip b") == XSS_TITLE
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    # the page fixture fails the test if alert() ran


def test_the_url_holds_the_view_and_restores_it(page, browser):
    open_explorer(page)
    page.select_option("#proj", "std-pca")
    page.select_option("#color", "genre")
    page.fill("#limit", "6")
    page.press("#limit", "Enter")
    page.select_option("#sample", "random")
    page.fill("#seed", "4")
    page.press("#seed", "Enter")
    page.check("input[name=mode][value=trajectories]")
    wait_idle(page)
    left, top, width, height = plot_box(page)
    page.mouse.move(left + width * 0.4, top + height * 0.4)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(600)
    view = page.evaluate("window.tagscape.plots[0].getView()")
    assert view != "0.0000,0.0000,1.0000"
    page.wait_for_function(f"location.search.includes('view={quote(view)}')")
    shown = page.evaluate("Array.from(window.tagscape.plots[0].data.meta.tracks.track_id)")
    url = page.url

    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        other.base_url = page.base_url
        other.goto(url)
        wait_idle(other)
        assert other.evaluate("Array.from(window.tagscape.plots[0].data.meta.tracks.track_id)") == shown and len(shown) == 6
        assert other.input_value("#proj") == "std-pca" and other.input_value("#color") == "genre"
        assert other.input_value("#seed") == "4" and other.input_value("#sample") == "random"
        assert other.is_checked("input[name=mode][value=trajectories]")
        assert other.text_content(".legend-title").startswith("genre (")  # "genre (N)": N genres listed
        assert other.evaluate("window.tagscape.plots[0].getView()") == view
    finally:
        other.context.close()


def test_highlight_greys_out_the_rest(page, client):
    api = client.get("/api/points?model=musicnn-mtt&format=json&genre=Rock").get_json()
    open_explorer(page, "color=genre&hl=genre&hlv=Rock")
    kept = page.evaluate("Array.from(window.tagscape.plots[0].mask).reduce((a, b) => a + b, 0)")
    assert kept == api["n_points"] > 0
    grey = page.evaluate("(() => { const p = window.tagscape.plots[0]; return Array.from(p.colors.z).filter((z) => z === p.colors.grey).length; })()")
    assert grey == page.evaluate("window.tagscape.plots[0].data.x.length") - kept
    assert "not highlighted" in page.text_content(".legend")


def test_colour_by_a_tags_activation(page, client):
    open_explorer(page, "color=tag&ctag=piano")
    api = client.get("/api/points?model=musicnn-mtt&format=json&value=piano").get_json()
    z = page.evaluate("Array.from(window.tagscape.plots[0].colors.z)")
    assert z == [max(0, min(255, round(v * 255))) for v in api["points"]["value"]]
    assert page.text_content(".legend-title") == "piano (activation)"


def test_errors_are_shown_in_the_page_and_slow_work_shows_a_spinner(page):
    open_explorer(page, "proj=original&x=banjo")
    assert "unknown axis 'banjo'" in page.text_content(".plot .message.error")
    assert page.is_visible("#error") and "banjo" in page.text_content("#error")

    release = []
    page.route("**/api/points*", lambda route: release.append(route))
    page.select_option("#proj", "pca")
    page.wait_for_function("document.querySelector('.plot .message.loading') !== null")
    assert page.is_visible(".plot .message.loading .spinner") and page.evaluate("document.body.dataset.loading") == "1"
    page.wait_for_timeout(100)
    for route in release:
        route.continue_()
    page.unroute("**/api/points*")
    wait_idle(page)
    assert not page.is_visible(".plot .message") and not page.is_visible("#error")
