"""The explorer never falls out of step with its controls (issue 14), in real headless Chromium.

However fast the controls change, once the page is idle the map shows exactly what the controls
say: the points, title, axis titles, colours and status of the latest state, as the API answers
for that state, and no error from our own order of requests and draws (regl-scatterplot refuses
a draw while one is running: "Ignoring draw call ..."). Also: the layout does not move when a
sound starts, unknown URL values fall back with a notice, an empty map keeps its axis titles.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from urllib.parse import quote

import pytest

IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"
CATEGORIES = 256  # distinct colours before they repeat (colors.js MAX_CATEGORY_COLORS); the test collection has fewer tracks
TOP = 255  # the last of the 256 colours of a gradient (colors.js)


# Every text the page ever shows that says a draw was refused (in the error bar or over the map),
# recorded as it appears: a later successful draw must not hide that one was refused on the way.
WATCH = """(() => {
    window.__refusals = [];
    new MutationObserver((mutations) => {
        for (const m of mutations) {
            const text = m.target.textContent || '';
            if (text.includes('Ignoring draw call') || text.includes('has not yet finished')) window.__refusals.push(text.slice(0, 200));
        }
    }).observe(document, { subtree: true, childList: true, characterData: true });
})()"""


def open_explorer(page, query: str = "") -> None:
    page.add_init_script(WATCH)
    page.goto(f"{page.base_url}/{'?' + query if query else ''}")
    wait_idle(page)


def wait_idle(page) -> None:
    page.wait_for_function(IDLE, timeout=120_000)
    page.wait_for_timeout(100)  # let the overlay's animation frame run


# What the page shows, read in one go: the map's points as regl-scatterplot holds them (what it
# drew), the points the plot was given, its titles, legend, messages and the controls.
SHOWN = """() => {
    const hook = window.tagscape;
    const p = hook.plots[0];
    const title = p.title.firstChild ? p.title.firstChild.nodeValue : '';
    const mode = document.querySelector('input[name=mode]:checked');
    return {
        state: hook.state(),
        controls: { arch: document.getElementById('arch').value, dataset: document.getElementById('dataset').value,
                    layer: document.getElementById('layer').value, proj: document.getElementById('proj').value,
                    color: document.getElementById('color').value, mode: mode ? mode.value : null,
                    limit: document.getElementById('limit').value },
        title,
        xTitle: p.xLabel.textContent, yTitle: p.yLabel.textContent,
        legendTitle: p.legend.querySelector('.legend-title')?.textContent ?? null,
        status: document.getElementById('status').textContent,
        message: p.message.hidden ? '' : p.message.textContent,
        errorBar: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
        errors: hook.errors.slice(),
        meta: { model: p.data.meta.model, layer: p.data.meta.layer, projection: p.data.meta.projection, mode: p.data.meta.mode },
        plotMode: p.mode,
        x: Array.from(p.data.x), y: Array.from(p.data.y), track: Array.from(p.data.track),
        nx: Array.from(p.nx), ny: Array.from(p.ny), z: Array.from(p.colors.z),
        palette: p.colors.palette, legendItems: p.colors.legend.items || null,
        drawn: p.scatterplot.get('points').map((q) => [q[0], q[1], q[2]]),
        isDrawing: p.scatterplot.get('isDrawing'),
        trajectories: p.overlayStats.trajectories,
    };
}"""


def js_round(x: float) -> int:
    """JavaScript's Math.round (halves up; Python's round() takes halves to even)."""
    return math.floor(x + 0.5)


def expected_z(api: dict, color: str) -> list[int] | None:
    """The colour index of every point for the continuous and per-track encodings (colors.js)."""
    tracks, pts = api["tracks"], api["points"]
    n = api["n_points"]
    if color == "track":
        return [t % CATEGORIES for t in pts["track"]]
    if color == "time":
        if api["mode"] == "averages":
            return [0] * n
        out = []
        for t, s in zip(pts["track"], pts["segment"]):
            total = tracks["n_segments"][t]
            out.append(0 if total < 2 else js_round(s / (total - 1) * TOP))
        return out
    if color == "tag" and "value" in pts:
        return [max(0, min(TOP, js_round(v * TOP))) for v in pts["value"]]
    return None


def assert_in_step(page, client) -> dict:
    """The map, its titles, colours and status are those of the controls, as the API answers them."""
    wait_idle(page)
    shown = page.evaluate(SHOWN)
    state = shown["state"]
    catalog = client.get("/api/models").get_json()
    model = next(m for m in catalog["models"] if m["model_id"] == state["model"])

    # the controls show the state
    mode = state["mode"]
    assert shown["controls"] == {"arch": model["architecture"], "dataset": model["dataset"], "layer": state["layer"],
                                 "proj": state["proj"], "color": state["color"], "mode": mode, "limit": str(state["limit"])}

    # the API's answer for that state
    params = {"model": state["model"], "layer": state["layer"], "projection": state["proj"], "x": state["x"], "y": state["y"], "format": "json"}
    if state["limit"]:
        params["limit"] = state["limit"]
    if mode == "averages":
        params["mode"] = "averages"
    if state["color"] == "tag" and state["ctag"]:
        params["value"] = state["ctag"]
    api = client.get("/api/points", query_string=params).get_json()
    assert api["n_points"] > 0

    # nothing went wrong on the way
    assert shown["errors"] == [] and shown["errorBar"] == "" and shown["message"] == "", shown
    assert not shown["isDrawing"]

    # title, axes and status
    assert shown["title"] == f"{api['model']} · {api['layer']} · {api['projection']}"
    assert shown["meta"] == {"model": api["model"], "layer": api["layer"], "projection": api["projection"], "mode": api["mode"]}
    assert [shown["xTitle"], shown["yTitle"]] == api["axis_labels"]
    if mode == "averages":
        assert f"{api['n_tracks']} tracks (averages of {api['n_segments']} segments)" in shown["status"]
    else:
        assert f"{api['n_tracks']} tracks · {api['n_segments']} segments" in shown["status"]

    # the points: the API's, normalised, and exactly those regl-scatterplot drew, with their colours
    assert len(shown["x"]) == api["n_points"]
    assert shown["x"] == pytest.approx(api["points"]["x"], rel=1e-6, abs=1e-6)
    assert shown["y"] == pytest.approx(api["points"]["y"], rel=1e-6, abs=1e-6)
    assert shown["track"] == api["points"]["track"]
    assert [q[:2] for q in shown["drawn"]] == [list(p) for p in zip(shown["nx"], shown["ny"])]
    assert [q[2] for q in shown["drawn"]] == shown["z"]

    color = state["color"]
    wanted = expected_z(api, color)
    if wanted is not None:
        assert shown["z"] == wanted
    if color in ("artist", "album", "genre"):
        # one colour per value (fewer values than colours here): the same partition of the points
        by_value, by_colour = defaultdict(set), defaultdict(set)
        for i, t in enumerate(api["points"]["track"]):
            by_value[api["tracks"][color][t]].add(i)
            by_colour[shown["z"][i]].add(i)
        assert sorted(map(sorted, by_value.values())) == sorted(map(sorted, by_colour.values()))
        assert shown["legendTitle"] == f"{color} ({len(by_value)})"
        # each point in the colour its category's legend row shows
        row_colour = {item["label"]: item["color"] for item in shown["legendItems"]}
        for i, t in enumerate(api["points"]["track"]):
            assert shown["palette"][shown["z"][i]] == row_colour[api["tracks"][color][t] or "(unknown)"]
    elif color == "track":
        assert shown["legendTitle"] == f"track ({api['n_tracks']})"
        assert [item["color"] for item in shown["legendItems"]] == shown["palette"][:api["n_tracks"]]
        assert len(set(shown["palette"][:api["n_tracks"]])) == api["n_tracks"]  # no two tracks alike
    elif color == "time":
        assert shown["legendTitle"] == "time within the track"
    elif color == "tag":
        assert shown["legendTitle"] == (f"{state['ctag']} (activation)" if state["ctag"] else "choose a tag to colour by")

    # the drawing mode
    assert shown["plotMode"] == mode
    if mode == "trajectories":
        assert shown["trajectories"] == sum(1 for n in api["tracks"]["n_segments"] if n > 1)
    return shown


def options_of(page, selector: str) -> list[str]:
    return page.evaluate("(s) => Array.from(document.querySelector(s).options).filter((o) => !o.hidden && !o.disabled).map((o) => o.value)", selector)


def no_draw_refusal(page) -> None:
    text = page.evaluate("document.body.innerText")
    assert "Ignoring draw call" not in text and "has not yet finished" not in text
    assert page.evaluate("window.__refusals") == []


# The projections the random walk picks from: UMAP is left out (its first fit is slow while numba
# compiles, which tests patience, not sequencing); t-SNE of this small collection takes a moment.
PROJECTIONS = ["original", "pca", "std-pca", "tsne"]


# How often each control is changed: the draw settings (colour, mode) most, as they redraw without
# a request and so race the draws of the answers that are still arriving. (Each architecture has
# one dataset in the test collection: a "dataset" change re-reports the same model.)
WEIGHTS = {"proj": 2, "layer": 1, "model": 1, "dataset": 1, "color": 3, "mode": 2, "limit": 1}


def random_change(page, rng: random.Random) -> str:
    """One change of a control, chosen by ``rng`` among the options the controls offer now."""
    control = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    if control == "proj":
        value = rng.choice(PROJECTIONS)
        page.select_option("#proj", value)
    elif control in ("layer", "dataset", "color"):
        value = rng.choice(options_of(page, f"#{control}"))
        page.select_option(f"#{control}", value)
    elif control == "model":
        value = rng.choice(options_of(page, "#arch"))
        page.select_option("#arch", value)
    elif control == "mode":
        value = rng.choice(["segments", "trajectories", "averages"])
        page.check(f"input[name=mode][value={value}]")
    else:
        value = rng.choice(["", "3", "6", "9"])
        page.fill("#limit", value)
        page.press("#limit", "Enter")
    return f"{control}={value}"


def test_random_fast_changes_end_with_the_map_of_the_controls(page, client):
    open_explorer(page)
    rng = random.Random(7)
    done = []
    for _ in range(5):  # five bursts of 12 changes, each followed by idle and a check
        for _ in range(12):
            done.append(random_change(page, rng))
            page.wait_for_timeout(rng.randint(20, 250))
        shown = assert_in_step(page, client)
        no_draw_refusal(page)
    # the walk really changed things (a regression of the test itself would show here)
    assert len({d.split("=")[0] for d in done}) == len(WEIGHTS), done
    assert shown["state"]["proj"] != "pca" or shown["state"]["color"] != "track" or shown["state"]["mode"] != "segments"


def test_projection_changes_60_ms_apart(page, client):
    open_explorer(page)
    for proj in ["std-pca", "original", "pca", "std-pca", "tsne", "pca", "original", "std-pca", "pca", "std-pca"] * 2:
        page.select_option("#proj", proj)
        page.wait_for_timeout(60)
    shown = assert_in_step(page, client)
    assert shown["state"]["proj"] == "std-pca"
    no_draw_refusal(page)


def test_projection_stepped_with_the_arrow_keys(page, client):
    open_explorer(page)
    assert options_of(page, "#proj")[:4] == ["original", "pca", "std-pca", "tsne"]
    page.focus("#proj")
    # From PCA (1), one option at a time between original (0) and t-SNE (3), never UMAP (see
    # PROJECTIONS), ending on STD-PCA (2).
    path = [2, 3, 2, 1, 0, 1, 2, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 2, 3, 2]
    for before, after in zip([1, *path], path):
        page.keyboard.press("ArrowDown" if after > before else "ArrowUp")
        page.wait_for_timeout(250)
    shown = assert_in_step(page, client)
    assert shown["state"]["proj"] == "std-pca"
    no_draw_refusal(page)


def test_colour_changes_60_ms_apart(page, client):
    open_explorer(page)
    for color in ["artist", "genre", "time", "album", "track", "genre", "time", "artist", "album", "genre"] * 2:
        page.select_option("#color", color)
        page.wait_for_timeout(60)
    shown = assert_in_step(page, client)
    assert shown["state"]["color"] == "genre"
    no_draw_refusal(page)


def test_the_second_map_toggled_quickly(page, client):
    # A map removed while its points are on their way or being drawn: nothing of it may keep the
    # page busy (the draw of a destroyed renderer never ends) or draw into the map that stays.
    open_explorer(page, "model2=vgg-msd")
    for k in range(9):
        page.click("#compare")
        page.wait_for_timeout(60 + 40 * (k % 3))
        page.select_option("#color", ["genre", "time", "artist"][k % 3])
    wait_idle(page)
    assert page.evaluate("window.tagscape.plots.length") == 2 and page.is_checked("#compare")
    assert page.evaluate("window.tagscape.plots[1].title.firstChild.nodeValue") == "vgg-msd · taggrams · pca"
    assert page.evaluate("window.tagscape.plots[1].legend.querySelector('.legend-title').textContent").startswith("artist (")
    page.click("#compare")
    shown = assert_in_step(page, client)
    assert shown["state"]["color"] == "artist" and page.evaluate("window.tagscape.plots.length") == 1
    no_draw_refusal(page)


# -- layout --------------------------------------------------------------------------------


def canvas_box(page) -> list[float]:
    return page.evaluate("(() => { const r = window.tagscape.plots[0].canvas.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")


def test_the_map_does_not_move_when_a_sound_starts(page):
    open_explorer(page, "layer=embeddings")
    before = canvas_box(page)
    bar = page.evaluate("document.querySelector('.player-bar').getBoundingClientRect().height")
    # the point nearest the middle (hover finds the nearest within a few pixels)
    x, y = page.evaluate("""() => {
        const p = window.tagscape.plots[0];
        const box = p.canvas.getBoundingClientRect();
        let best = 0, bestDistance = Infinity;
        for (let i = 0; i < p.data.x.length; i++) {
            const [px, py] = p.screenPosition(i);
            const d = (px - box.width / 2) ** 2 + (py - box.height / 2) ** 2;
            if (d < bestDistance) { best = i; bestDistance = d; }
        }
        const [px, py] = p.screenPosition(best);
        return [box.left + px, box.top + py];
    }""")
    page.mouse.move(x, y)
    page.wait_for_function("document.getElementById('player').currentTime > 0.05", timeout=10_000)
    # the tags of the playing segment arrive a moment later and fill the bar
    page.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length === 5", timeout=10_000)
    page.wait_for_timeout(100)
    after = canvas_box(page)
    assert page.text_content("#now-playing .np-title") != "Nothing playing"
    assert after == pytest.approx(before, abs=0.5), (before, after)
    assert page.evaluate("document.querySelector('.player-bar').getBoundingClientRect().height") == pytest.approx(bar, abs=0.5)


def test_a_long_title_is_cut_not_wrapped(page):
    open_explorer(page, "layer=embeddings")
    before = canvas_box(page)
    page.evaluate("""() => {
        const long = 'A very long title '.repeat(20);
        window.tagscape.player.showInfo({ title: long, artist: long, album: long }, 0, 2.992);
        window.tagscape.player.hint.hidden = false; // "Your browser blocked sound ...": over the audio controls
    }""")
    page.wait_for_timeout(50)
    assert canvas_box(page) == pytest.approx(before, abs=0.5)
    assert page.is_visible("#now-playing .np-hint")
    assert page.evaluate("(() => { const t = document.querySelector('#now-playing .np-title'); return t.scrollWidth > t.clientWidth && getComputedStyle(t).textOverflow; })()") == "ellipsis"


# -- what the URL may say ------------------------------------------------------------------


@pytest.mark.parametrize(("query", "key", "default"), [
    ("color=qq", "color", "track"),
    ("proj=qq", "proj", "pca"),
    ("mode=qq", "mode", "segments"),
    ("model=qq", "model", "musicnn-mtt"),
    ("layer=qq", "layer", "taggrams"),
    ("hl=qq&hlv=x", "hl", ""),
])
def test_unknown_url_values_fall_back_with_a_notice(page, client, query, key, default):
    open_explorer(page, query)
    state = page.evaluate("window.tagscape.state()")
    assert state[key] == default
    notice = page.text_content("#notice")
    assert page.is_visible("#notice") and "qq" in notice, notice
    assert page.evaluate("window.tagscape.errors") == []
    assert not page.is_visible("#error")
    assert_in_step(page, client)
    assert "qq" not in page.url


def test_an_empty_map_keeps_its_axis_titles(page):
    open_explorer(page, "q=" + quote("no track is called this"))
    assert page.evaluate("window.tagscape.plots[0].data.x.length") == 0
    assert page.text_content(".axis-title.x") == "PC 1" and page.text_content(".axis-title.y") == "PC 2"
    assert "No points" in page.text_content(".plot .message")
    page.select_option("#proj", "original")
    wait_idle(page)
    tags = page.evaluate("(() => window.tagscape.plots[0] && document.querySelector('#x').value)()")
    assert page.text_content(".axis-title.x") == tags and tags not in ("", "0")
    page.select_option("#proj", "tsne")
    wait_idle(page)
    assert page.text_content(".axis-title.x") == "t-SNE 1" and page.text_content(".axis-title.y") == "t-SNE 2"
    assert page.evaluate("window.tagscape.errors") == []


def test_one_track_is_a_track_and_the_header_has_single_spaces(page):
    open_explorer(page, "q=" + quote("<img"))
    status = page.text_content("#status")
    assert status.startswith("1 track · ") and "1 tracks" not in status, status
    header = page.text_content("header.top")
    assert "  " not in header, repr(header)
    page.check("input[name=mode][value=averages]")
    wait_idle(page)
    assert page.text_content("#status").startswith("1 track (average of ")
