"""/api/docs: the OpenAPI document rendered by the viewer bundled from npm, in real Chromium."""

from __future__ import annotations

import re

from tagscape.web.apidocs import VIEWER, VIEWER_FILES, viewer_built
from tagscape.web.openapi import app_routes


def test_the_docs_page_loads_the_bundled_viewer(app, client):
    assert viewer_built(app.static_folder), "the API viewer is not built: run make frontend (npm ci && npm run build in frontend/)"
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert 'data-spec="/api/openapi.json"' in html and "<script>" not in html  # no inline script
    for name in VIEWER_FILES:
        url = re.search(rf'"(/static/{VIEWER}/{re.escape(name)}[^"]*)"', html).group(1)
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.data) > 100, url
        asset.close()


def test_without_the_viewer_the_page_says_how_to_build_it(collection_dir, tmp_path):
    from tagscape.web import create_app

    app = create_app(str(collection_dir), {"TESTING": True})
    app.static_folder = str(tmp_path)  # an empty static folder: nothing built
    page = app.test_client().get("/api/docs")
    assert page.status_code == 200 and b"make frontend" in page.data and b'href="/api/openapi.json"' in page.data


def test_api_docs_lists_every_route_in_chromium(page, app):
    assert viewer_built(app.static_folder), "the API viewer is not built: run make frontend (npm ci && npm run build in frontend/)"
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{page.base_url}/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=60_000)
    shown = page.evaluate("""() => [...document.querySelectorAll('.opblock')].map((block) => [
        block.querySelector('.opblock-summary-method').textContent.trim(),
        block.querySelector('.opblock-summary-path').dataset.path])""")
    shown = {(method.lower(), path) for method, path in shown}
    routes = app_routes(app)
    assert len(routes) >= 15
    assert routes <= shown, f"routes missing from /api/docs: {sorted(routes - shown)}"
    assert page.locator(".info .title").inner_text().startswith("tagscape")
    # Everything came from this server (no CDN), data: URIs aside.
    outside = [url for url in requested if not url.startswith(page.base_url) and not url.startswith(("data:", "blob:"))]
    assert not outside, outside


def test_the_explorer_links_to_the_api_docs(client):
    assert b'href="/api/docs"' in client.get("/").data


