"""How the explorer reads (issue 14, items 3-7), in real headless Chromium: the correlation
matrix's labels beside its cells and its hover text in step with the method; averages fitted to
their circles; a legend of every category, in distinct colours; the dock resized and collapsed
without squashing the map; a missing map's panel line gone once it is drawn; panels in named slots.
"""

from __future__ import annotations

import pytest
from test_explorer import open_explorer, wait_idle

MAX_ASPECT = 2.2  # frontend/src/dock.js: the widest map shape the dock may cause

# -- the correlation matrix ----------------------------------------------------------------

# Pixels of the matrix canvas: whether each of the first `rows` rows of cells is one flat colour
# (text drawn over a cell breaks that), and whether the label band above each column has ink.
MATRIX_PIXELS = """(rows) => {
    const m = window.tagscape.analysis.matrixView;
    const canvas = m.canvas;
    const scale = canvas.width / parseFloat(canvas.style.width); // device pixels per CSS pixel
    const ctx = canvas.getContext('2d');
    const n = m.data.tags.length;
    const px = (v) => Math.round(v * scale);
    const flat = [];
    for (let r = 0; r < rows; r++) {
        for (let c = 0; c < n; c++) {
            // the cell less a 1-pixel rim (edges fall between device pixels when scale is not whole)
            const x0 = px(m.band + c * m.cell) + 1, y0 = px(m.band + r * m.cell) + 1;
            const size = px(m.cell) - 2;
            const data = ctx.getImageData(x0, y0, size, size).data;
            let same = true;
            for (let k = 4; k < data.length; k += 4) {
                if (data[k] !== data[0] || data[k + 1] !== data[1] || data[k + 2] !== data[2]) { same = false; break; }
            }
            flat.push(same);
        }
    }
    const background = [16, 21, 27];
    const inked = [];
    for (let c = 0; c < n; c++) {
        const data = ctx.getImageData(px(m.band + c * m.cell), 0, Math.max(1, px(m.cell)), px(m.band) - 1).data;
        let ink = false;
        for (let k = 0; k < data.length; k += 4) {
            if (Math.abs(data[k] - background[0]) + Math.abs(data[k + 1] - background[1]) + Math.abs(data[k + 2] - background[2]) > 60) { ink = true; break; }
        }
        inked.push(ink);
    }
    return { flat, inked, n };
}"""


def test_matrix_column_labels_sit_above_the_cells_and_hover_follows_the_method(page, client):
    open_explorer(page, "pane=matrix")
    page.wait_for_function("window.tagscape.analysis.matrixView.data && !document.getElementById('matrix').hidden")
    pixels = page.evaluate(MATRIX_PIXELS, 4)
    # no label over the top rows of cells (they were drawn downwards into them), and every
    # column's label in the band above it
    assert all(pixels["flat"]), [i for i, f in enumerate(pixels["flat"]) if not f]
    assert all(pixels["inked"]), [i for i, f in enumerate(pixels["inked"]) if not f]

    pearson = client.get("/api/correlations/matrix?model=musicnn-mtt&method=pearson").get_json()
    spearman = client.get("/api/correlations/matrix?model=musicnn-mtt&method=spearman").get_json()
    row, col = 3, 7
    x, y = page.evaluate(f"window.tagscape.analysis.matrixView.cellCenter({row}, {col})")
    page.mouse.move(x, y)
    expected = f"{pearson['tags'][col]} × {pearson['tags'][row]}: r = {pearson['matrix'][row][col]:.2f}"
    assert expected in page.text_content(".mx-info")
    # Spearman, the pointer where it was: the text is Spearman's for the cell under it, never
    # the Pearson value left over
    page.select_option("#matrix-method", "spearman")
    page.wait_for_function("window.tagscape.analysis.matrixView.data && window.tagscape.analysis.matrixView.data.method === 'spearman'")
    x2, y2 = page.evaluate(f"window.tagscape.analysis.matrixView.cellCenter({row}, {col})")
    assert (x2, y2) == pytest.approx((x, y), abs=0.01)
    info = page.text_content(".mx-info")
    assert "r =" not in info, info
    assert f"{spearman['tags'][col]} × {spearman['tags'][row]}: ρ = {spearman['matrix'][row][col]:.2f}" in info


# -- averages --------------------------------------------------------------------------------

CIRCLES = """() => {
    const p = window.tagscape.plots[0];
    const d = p.data;
    return { width: p.width, height: p.height, drawn: p.overlayStats.circles, circles: Array.from(d.x, (_, i) => {
        const cx = p.xScale(p.axes.x.toNorm(d.x[i])), cy = p.yScale(p.axes.y.toNorm(d.y[i]));
        const rx = Math.abs(p.xScale(p.axes.x.toNorm(d.x[i] + d.spread[i])) - cx);
        const ry = Math.abs(p.yScale(p.axes.y.toNorm(d.y[i] + d.spread[i])) - cy);
        return [cx - rx, cx + rx, cy - ry, cy + ry];
    }) };
}"""


@pytest.mark.parametrize("query", ["mode=averages", "mode=averages&layer=embeddings&proj=std-pca", "mode=averages&proj=original&x=guitar&y=piano"])
def test_averages_fit_the_view_to_their_circles(page, query):
    open_explorer(page, query)
    shown = page.evaluate(CIRCLES)
    assert shown["drawn"] == len(shown["circles"]) > 1
    # half a pixel: the circles' screen positions come from float32 coordinates
    for left, right, top, bottom in shown["circles"]:
        assert left >= -0.5 and right <= shown["width"] + 0.5 and top >= -0.5 and bottom <= shown["height"] + 0.5, (left, right, top, bottom, shown["width"], shown["height"])
    # fitted, not shrunk: some circle reaches within 10 % of an edge on each axis
    assert min(c[0] for c in shown["circles"]) < 0.1 * shown["width"] or min(c[2] for c in shown["circles"]) < 0.1 * shown["height"]


# -- colours and legend ----------------------------------------------------------------------

LEGEND = """() => {
    const p = window.tagscape.plots[0];
    return {
        title: p.legend.querySelector('.legend-title').textContent,
        rows: Array.from(p.legend.querySelectorAll('.legend-body .legend-item'), (row) => ({
            label: row.querySelector('.legend-label').textContent,
            count: row.querySelector('.legend-count').textContent,
            color: getComputedStyle(row.querySelector('.swatch')).backgroundColor,
        })),
        palette: p.colors.palette,
        z: Array.from(p.colors.z),
        track: Array.from(p.data.track),
    };
}"""


def test_each_track_has_its_own_colour_and_a_legend_row_with_its_segments(page, client):
    open_explorer(page, "color=track")
    legend = page.evaluate(LEGEND)
    api = client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=pca&format=json").get_json()
    tracks = api["tracks"]
    assert legend["title"] == f"track ({len(tracks['track_id'])})"
    assert [r["label"] for r in legend["rows"]] == [t or str(i) for t, i in zip(tracks["title"], tracks["track_id"])]
    assert [r["count"] for r in legend["rows"]] == [str(n) for n in tracks["n_segments"]]
    assert len({r["color"] for r in legend["rows"]}) == len(legend["rows"])  # no two tracks share a colour
    # each point is drawn in its track's colour, the one its legend row shows
    assert legend["z"] == legend["track"]


def test_genre_legend_lists_every_genre_with_its_tracks(page, client):
    open_explorer(page, "color=genre")
    legend = page.evaluate(LEGEND)
    tracks = client.get("/api/points?model=musicnn-mtt&layer=taggrams&projection=pca&format=json").get_json()["tracks"]
    counts = {}
    for genre in tracks["genre"]:
        counts[genre or "(unknown)"] = counts.get(genre or "(unknown)", 0) + 1
    assert {r["label"]: int(r["count"]) for r in legend["rows"]} == counts
    assert len({r["color"] for r in legend["rows"]}) == len(counts)


def test_a_long_legend_scrolls_through_every_category(page):
    open_explorer(page)
    # the plot's own legend component, given 2,000 categories (more than any collection here has)
    shown = page.evaluate("""async () => {
        const view = window.tagscape.plots[0].legendView;
        const items = Array.from({ length: 2000 }, (_, k) => ({ color: '#ff8800', label: `category ${k}`, count: 2000 - k }));
        view.show({ kind: 'categories', title: 'many', items }, null);
        const body = view.body;
        const before = body.querySelectorAll('.legend-item').length;
        const seen = new Set();
        for (let top = 0; top <= body.scrollHeight; top += body.clientHeight) {
            body.scrollTop = top;
            body.dispatchEvent(new Event('scroll'));
            for (const row of body.querySelectorAll('.legend-item')) {
                const r = row.getBoundingClientRect(), b = body.getBoundingClientRect();
                if (r.bottom > b.top && r.top < b.bottom) seen.add(row.dataset.index);
            }
        }
        return { before, seen: seen.size, scrolls: body.scrollHeight > body.clientHeight, last: body.querySelector('.legend-item:last-child .legend-label').textContent };
    }""")
    assert shown["scrolls"] and shown["before"] < 200  # only the rows in sight are in the page
    assert shown["seen"] == 2000 and shown["last"] == "category 1999"


# -- the dock --------------------------------------------------------------------------------

FRAME = "(() => { const r = window.tagscape.plots[0].frame.getBoundingClientRect(); return [r.width, r.height]; })()"
DOCK = "document.getElementById('dock').getBoundingClientRect().height"


def test_the_dock_resizes_and_collapses_and_the_map_keeps_its_shape(page):
    page.set_viewport_size({"width": 1280, "height": 1000})  # at 800 px the default 300 px dock is already the most
    open_explorer(page, "pane=tag&ptag=guitar&pk=60")
    page.wait_for_function("document.querySelectorAll('#top-segments li').length === 60")
    width, height = page.evaluate(FRAME)
    assert width / height <= MAX_ASPECT * 1.01, (width, height)
    # what the dock cannot show at once scrolls (nothing is cut off)
    # (the list of top segments scrolls on its own too)
    body = page.evaluate("""(() => { const b = document.querySelector('.dock-body'), list = document.getElementById('top-segments');
        list.scrollTop = list.scrollHeight; b.scrollTop = b.scrollHeight;
        const last = list.lastElementChild.getBoundingClientRect(), box = b.getBoundingClientRect(), inner = list.getBoundingClientRect();
        return { overflow: getComputedStyle(b).overflowY, fits: last.bottom <= Math.min(box.bottom, inner.bottom) + 1 && last.top >= Math.max(box.top, inner.top) - 1, scrolls: b.scrollHeight > b.clientHeight }; })()""")
    assert body["overflow"] == "auto" and body["fits"], body

    # dragged up a long way: the dock grows only as far as the map keeps its shape
    dock_before = page.evaluate(DOCK)
    handle = page.locator("#dock-handle").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 150, steps=5)
    page.mouse.move(x, 5, steps=5)
    page.mouse.up()
    wait_idle(page)
    dock_after = page.evaluate(DOCK)
    width, height = page.evaluate(FRAME)
    assert dock_after > dock_before + 20, (dock_before, dock_after)
    assert width / height <= MAX_ASPECT * 1.01, (width, height)

    # and down: smaller
    handle = page.locator("#dock-handle").bounding_box()
    page.mouse.move(x, handle["y"] + 3)
    page.mouse.down()
    page.mouse.move(x, handle["y"] + 120, steps=5)
    page.mouse.up()
    assert page.evaluate(DOCK) == pytest.approx(dock_after - 117, abs=4)

    # collapsed: its tab row only, the map gets the room; expanded: as it was
    expanded = page.evaluate(DOCK)
    map_height = page.evaluate(FRAME)[1]
    page.click("#collapse-dock")
    wait_idle(page)
    assert page.evaluate(DOCK) < 50
    assert not page.is_visible(".dock-body")
    assert page.evaluate(FRAME)[1] > map_height + 100
    assert page.is_visible(".dock-tabs")
    page.click("#collapse-dock")
    assert page.evaluate(DOCK) == pytest.approx(expanded, abs=1)

    # two maps side by side let the dock grow; back to one map twice as wide, it gives way again
    page.click("#compare")
    wait_idle(page)
    handle = page.locator("#dock-handle").bounding_box()
    page.mouse.move(x, handle["y"] + 3)
    page.mouse.down()
    page.mouse.move(x, 5, steps=5)
    page.mouse.up()
    with_two = page.evaluate(DOCK)
    assert with_two > expanded + 20, (expanded, with_two)
    page.click("#compare")
    wait_idle(page)
    width, height = page.evaluate(FRAME)
    assert width / height <= MAX_ASPECT * 1.01 and page.evaluate(DOCK) < with_two, (width, height)


# -- the side panel ------------------------------------------------------------------------------


def test_an_on_demand_map_no_longer_says_it_is_not_computed(page, client):
    layer = next(m for m in client.get("/api/models").get_json()["models"] if m["model_id"] == "vgg-msd")["layers"]
    embeddings = next(entry for entry in layer if entry["name"] == "embeddings")
    # the precondition: no stored t-SNE map of this layer (the page would say so before it is drawn)
    assert embeddings["projections"]["tsne"]["offline"] == "missing"
    open_explorer(page, "model=vgg-msd&layer=embeddings&proj=tsne")
    assert page.evaluate("window.tagscape.plots[0].data.meta.source") == "on-demand"
    assert "not computed yet" not in page.text_content(".map-status"), page.text_content(".map-status")


def test_panels_are_in_their_named_slots(page):
    open_explorer(page)
    slots = page.evaluate("Array.from(document.querySelectorAll('.panel > .slot'), (s) => [s.dataset.slot, s.firstElementChild && s.firstElementChild.id])")
    names = [name for name, _ in slots]
    assert names.index("controls") < names.index("analyse") < names.index("similar"), names
    assert dict(slots)["analyse"] == "analyse" and dict(slots)["similar"] == "similar"


def test_hovering_while_the_map_redraws_reads_only_points_on_screen(page):
    # The renderer reports indices of the points it holds; while new points are being drawn
    # those are the old ones. The page must neither fail nor show a tooltip of another point.
    open_explorer(page, "limit=4")
    # a probe on each new set of points as it arrives: what the tooltip and player read of it
    page.evaluate("""() => { window.__stale = []; window.__reads = 0;
        const p = window.tagscape.plots[0];
        window.__probe = setInterval(() => {
            const d = p.data;
            if (!d || d.__probed) return;
            d.__probed = true;
            const info = d.info.bind(d);
            d.info = (i) => { window.__reads += 1; if (p.drawnData !== d || !(i < d.length)) window.__stale.push(i); return info(i); };
        }, 2); }""")
    box = page.locator(".plot .frame").first.bounding_box()
    for k, (proj, limit) in enumerate([("original", "9"), ("pca", "3"), ("std-pca", "9"), ("pca", "4")]):
        page.select_option("#proj", proj)
        page.fill("#limit", limit)
        page.press("#limit", "Enter")
        for j in range(12):
            page.mouse.move(box["x"] + box["width"] * (0.1 + 0.07 * j), box["y"] + box["height"] * (0.2 + 0.05 * ((j + k) % 12)))
    wait_idle(page)
    assert page.evaluate("window.__stale") == []
    assert page.evaluate("window.__reads") > 0  # the pointer did hover points on the way
    assert page.evaluate("window.tagscape.errors") == []
    # and after the last draw, hovering works on the new points
    x, y = page.evaluate("""() => { const p = window.tagscape.plots[0]; const box = p.canvas.getBoundingClientRect();
        const [px, py] = p.screenPosition(0); return [box.left + px, box.top + py]; }""")
    page.mouse.move(x + 30, y + 30)
    page.mouse.move(x, y)
    page.wait_for_function("window.tagscape.hovered && window.tagscape.hovered.index < window.tagscape.plots[0].data.length")
    assert page.is_visible(".tooltip")
