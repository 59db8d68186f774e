"""Issue 16 in real headless Chromium: clusters named on the map (a name selects exactly its
cluster's points, as /api/clusters labels them), and trust (the title's trustworthiness, colour by
neighbourhood preservation, rings of the true neighbours on hover, as /api/neighbours answers)."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pytest
from test_explorer import isolated_point, open_explorer, plot_box, points, wait_idle

pytestmark = pytest.mark.browser

REQUEST = "window.tagscape.plots[0].data.requestParams"


def api(client, endpoint: str, params: dict) -> dict:
    response = client.get(f"/api/{endpoint}?{urlencode(params, doseq=True)}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def shown_labels(page) -> list[dict]:
    return page.evaluate("""Array.from(document.querySelectorAll('.plot[data-plot="0"] .cluster-label:not([hidden])'), (b) => {
        const r = b.getBoundingClientRect();
        return { id: Number(b.dataset.cluster), left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    })""")


def test_cluster_names_colour_and_select_their_points(page, client):
    open_explorer(page, "clusters=map&color=cluster&listen=off")
    page.wait_for_function("window.tagscape.plots[0].clusterLabels.some((l) => l.shown)")
    params = page.evaluate(REQUEST)
    answer = api(client, "clusters", {**params, "space": "map"})
    labels = answer["labels"]
    assert answer["n_clusters"] >= 2 and len(labels) == page.evaluate("window.tagscape.plots[0].data.x.length")

    # colours: one per cluster, the same within a cluster, noise grey
    z, palette = page.evaluate("[Array.from(window.tagscape.plots[0].colors.z), window.tagscape.plots[0].colors.palette]")
    colour_of = {}
    for i, label in enumerate(labels):
        colour_of.setdefault(label, set()).add(palette[z[i]])
    assert all(len(colours) == 1 for colours in colour_of.values())
    assert len({next(iter(c)) for c in colour_of.values()}) == len(colour_of)
    if -1 in colour_of:
        assert colour_of[-1] == {"#5b616b"}
    assert page.text_content(".legend").startswith(f"{answer['n_clusters']} clusters (map space")

    # names on the map: the API's, inside the map, none over another
    shown = shown_labels(page)
    names = {c["id"]: c["name"] for c in answer["clusters"]}
    for label in shown:
        assert page.text_content(f'.cluster-label[data-cluster="{label["id"]}"] .cl-name') == names[label["id"]]
    left, top, width, height = plot_box(page)
    for k, a in enumerate(shown):
        assert left - 1 <= a["left"] and a["right"] <= left + width + 1 and top - 1 <= a["top"] and a["bottom"] <= top + height + 1
        for b in shown[k + 1:]:
            assert a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"], (a, b)

    # a click on a name selects exactly that cluster's points (the selection panel says so); then another's
    for label in shown[:2]:
        page.click(f'.cluster-label[data-cluster="{label["id"]}"]')
        expected = [i for i, c in enumerate(labels) if c == label["id"]]
        page.wait_for_function(f"window.tagscape.plots[0].selected.length === {len(expected)}")
        assert sorted(page.evaluate("window.tagscape.plots[0].selected")) == expected
        assert f"{len(expected)} segment" in page.text_content(".sel-summary")

    # clusters of the layer instead: the URL keeps it, the map shows the layer's clustering
    page.select_option("#clusters", "layer")
    wait_idle(page)
    assert "clusters=layer" in page.url
    layer = api(client, "clusters", {**params, "space": "layer"})
    page.wait_for_function("window.tagscape.plots[0].colors.legend.title.includes('layer space')")
    z = page.evaluate("Array.from(window.tagscape.plots[0].colors.z)")
    groups = {}
    for i, label in enumerate(layer["labels"]):
        groups.setdefault(label, set()).add(z[i])
    assert all(len(codes) == 1 for codes in groups.values())

    # off: no names, and the colours go back to tracks
    page.select_option("#clusters", "")
    wait_idle(page)
    assert page.evaluate("document.querySelectorAll('.cluster-label:not([hidden])').length === 0 || document.querySelector('.cluster-labels').hidden")
    assert "clusters=" not in page.url and "color=cluster" not in page.url

    # a hostile address: the default, said in a notice, and a map
    open_explorer(page, "clusters=%3Cscript%3E&rings=x&listen=off")
    assert "Unknown clusters" in page.text_content("#notice")
    assert page.evaluate("window.tagscape.state().clusters") == "" and page.evaluate("window.tagscape.state().rings") == 0
    assert page.evaluate("window.tagscape.plots[0].data.x.length") > 0


def test_trust_title_preservation_colours_and_rings_of_the_true_neighbours(page, client):
    open_explorer(page, "layer=embeddings&rings=1&listen=off")
    params = page.evaluate(REQUEST)
    trust = api(client, "trust", {**params, "k": 10})
    page.wait_for_function("document.querySelector('.plot-title .trust-figure') !== null")
    assert f"trustworthiness {trust['trustworthiness']:.3f}" in page.text_content(".plot-title")

    # hover a point: its layer neighbours ringed solid, its map neighbours dashed, as the API says
    target = isolated_point(points(page), plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_function(f"window.tagscape.plots[0].trustRings?.point === {target['i']} && window.tagscape.plots[0].trustRinged !== undefined")
    near = api(client, "neighbours", {**params, "k": 10, "track": target["track"], "segment": target["segment"]})
    rings = page.evaluate("window.tagscape.plots[0].trustRings")
    assert rings["layer"] == [n["point"] for n in near["layer_neighbours"]] and len(rings["layer"]) == 10
    assert rings["map"] == [n["point"] for n in near["map_neighbours"]]
    assert target["i"] not in rings["layer"]
    page.wait_for_timeout(100)
    assert page.evaluate("window.tagscape.plots[0].trustRinged") == {"layer": 10, "map": 10}
    page.mouse.move(5, 5)
    page.wait_for_function("window.tagscape.plots[0].trustRings === null")

    # colour by neighbourhood preservation: each point's value from /api/preservation
    page.select_option("#color", "trust")
    wait_idle(page)
    page.wait_for_function("window.tagscape.plots[0].colors.legend.title.includes('kept')")
    values = api(client, "preservation", {**params, "k": 10})["preservation"]
    z = page.evaluate("Array.from(window.tagscape.plots[0].colors.z)")
    assert z == [min(255, max(0, math.floor(v * 255 + 0.5))) for v in values]  # Math.round
    assert len(set(z)) > 1  # not one colour for all
    assert "color=trust" in page.url and "rings=1" in page.url
