"""Tag-expression axes (issue 16) in real headless Chromium: from the address and typed in the
panel, the server's r and rho in the title, and a bad expression dropped with the server's message
while the map is still drawn."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlparse

import pytest
from test_explorer import open_explorer, wait_idle

pytestmark = pytest.mark.browser


def test_expression_axes_from_the_address_typed_and_refused(page, client):
    open_explorer(page, f"proj=original&xexpr={quote('guitar - piano')}&yexpr={quote('(rock + pop) / 2')}&listen=off")
    params = page.evaluate("window.tagscape.plots[0].data.requestParams")
    assert params["x_expr"] == "guitar - piano" and params["y_expr"] == "(rock + pop) / 2"
    api = client.get("/api/points?model=musicnn-mtt&projection=original&format=json&x_expr=" + quote("guitar - piano") + "&y_expr=" + quote("(rock + pop) / 2")).get_json()
    assert page.text_content(".axis-title.x") == api["axis_labels"][0] and page.text_content(".axis-title.y") == api["axis_labels"][1]
    page.wait_for_function("window.tagscape.plots[0].pairStats && !window.tagscape.plots[0].pairStats.hidden")
    stats = page.evaluate("({...window.tagscape.plots[0].pairStats.dataset})")
    assert float(stats["pearson"]) == api["correlation"]["pearson"] and float(stats["spearman"]) == api["correlation"]["spearman"]
    assert f"Pearson r = {api['correlation']['pearson']:.3f}" in page.text_content(".plot-title")
    assert page.input_value("#xexpr") == "guitar - piano"

    # typed in the panel: drawn, and kept in the address
    page.fill("#xexpr", "0.5*fast - slow")
    page.press("#xexpr", "Enter")
    wait_idle(page)
    assert parse_qs(urlparse(page.url).query)["xexpr"] == ["0.5*fast - slow"]
    assert page.text_content(".axis-title.x") == client.get("/api/points?model=musicnn-mtt&projection=original&format=json&x_expr=" + quote("0.5*fast - slow")).get_json()["axis_labels"][0]

    # a bad one: the server's message in a notice, the map drawn on the tag axes, the address without it
    page.fill("#xexpr", "rock - (")
    page.press("#xexpr", "Enter")
    message = client.get("/api/points?model=musicnn-mtt&projection=original&x_expr=" + quote("rock - (")).get_json()["message"]
    page.wait_for_function("!document.getElementById('notice').hidden")
    wait_idle(page)
    assert message in page.text_content("#notice") and "rock - (" in page.text_content("#notice")
    assert "xexpr" not in parse_qs(urlparse(page.url).query) and "yexpr" in parse_qs(urlparse(page.url).query)
    assert page.evaluate("window.tagscape.plots[0].data.x.length") > 0
    assert "x_expr" not in page.evaluate("window.tagscape.plots[0].data.requestParams")

    # other projections take no expressions: hidden, not sent
    page.select_option("#proj", "pca")
    wait_idle(page)
    assert page.is_hidden(".expr-box[data-plot='0']")
    assert "y_expr" not in page.evaluate("window.tagscape.plots[0].data.requestParams")

    # an unknown tag in the address: the same fallback, before anything is drawn
    open_explorer(page, f"proj=original&yexpr={quote('rok + <b>')}&listen=off")
    page.wait_for_function("!document.getElementById('notice').hidden && document.getElementById('notice').textContent.includes('cannot be drawn')")
    wait_idle(page)
    assert page.evaluate("window.tagscape.plots[0].data.x.length") > 0 and page.evaluate("window.tagscape.state().yexpr") == ""
