"""A new file on the map in real headless Chromium: a real music file dropped on the explorer is
uploaded to the real server, analysed by the real models, drawn as its own trajectory with its
nearest tracks listed and ringed, and its segments play; hostile files get a clear message."""

from __future__ import annotations

import base64
import gc
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tagscape.web import create_app
from tagscape.web.devserver import serving
from test_explorer import open_explorer, wait_idle

MUSIC = Path(__file__).parents[1] / "data" / "music"
SEGMENT = 2.992
SHOTS = Path("/tmp/shots")


def drop_file(page, data: bytes, name: str, mime: str = "audio/mpeg") -> None:
    """Drop a file made of ``data`` on the first map, as a user dragging it from their desktop does
    (dragenter, dragover, drop with a DataTransfer holding the file)."""
    page.evaluate(
        """([b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            const target = window.tagscape.plots[0].frame;
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
            }
        }""",
        [base64.b64encode(data).decode(), name, mime],
    )


def placed_screen(page, plot: int = 0) -> list[list[float]]:
    """The placed file's segments on a map, page coordinates."""
    return page.evaluate(
        """(index) => {
            const plot = window.tagscape.plots[index];
            const box = plot.canvas.getBoundingClientRect();
            const m = window.tagscape.place.mapOn(plot);
            return m.segments.x.map((_, s) => { const [x, y] = window.tagscape.place.position(plot, s); return [box.left + x, box.top + y]; });
        }""",
        plot,
    )


def place_by_api(client, data: bytes, name: str, maps) -> dict:
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name), "maps": json.dumps(maps)})
    response = client.post("/api/place?k=10", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_dropped_file_is_drawn_as_a_trajectory_with_its_neighbours_and_its_segments_play(page, client):
    SHOTS.mkdir(exist_ok=True)
    open_explorer(page, "listen=hover")
    data = (MUSIC / "techno.mp3").read_bytes()
    drop_file(page, data, "techno (live) #1?.mp3")
    page.wait_for_function("window.tagscape.place.placement !== null", timeout=120_000)
    wait_idle(page)
    placement = page.evaluate("window.tagscape.place.placement")
    assert placement["name"] == "techno (live) #1?.mp3" and len(placement["maps"]) == 1
    placed = placement["maps"][0]
    assert placed["model"] == "musicnn-mtt" and placed["projection"] == "pca" and placed["n_segments"] == int(20.0 // SEGMENT)

    # The same file through the API lands where the page drew it, with the same neighbours, listed in order.
    api = place_by_api(client, data, "techno.mp3", [{"model": "musicnn-mtt", "layer": "taggrams", "projection": "pca", "x": "0", "y": "1"}])["maps"][0]
    assert placed["segments"]["x"] == pytest.approx(api["segments"]["x"], abs=1e-4)
    assert placed["segments"]["y"] == pytest.approx(api["segments"]["y"], abs=1e-4)
    listed = page.evaluate("Array.from(document.querySelectorAll('#place-neighbours li'), (li) => Number(li.dataset.track))")
    assert listed == [n["track_id"] for n in api["neighbours"]] and len(listed) == 10
    assert page.text_content("#place-neighbours li .sim-title") == api["neighbours"][0]["title"]

    # Drawn on the map: every segment of the trajectory, and every neighbour ringed.
    page.wait_for_function(f"window.tagscape.plots[0].placedDrawn === {placed['n_segments']} && window.tagscape.plots[0].placedNeighbours === 10")
    page.screenshot(path=str(SHOTS / "place-dropped.png"))

    # Hovering the third placed segment plays exactly that clip of the placed file, and says what it is.
    x, y = placed_screen(page)[2]
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=4)
    page.wait_for_function("document.getElementById('player').src.includes('/api/place/')")
    page.wait_for_function("document.getElementById('player').currentTime > 0.05", timeout=15_000)
    src = urlparse(page.evaluate("document.getElementById('player').src"))
    assert src.path == f"/api/place/{placement['token']}/audio"
    assert float(parse_qs(src.query)["start"][0]) == pytest.approx(2 * SEGMENT, abs=1e-3)
    assert float(parse_qs(src.query)["end"][0]) == pytest.approx(3 * SEGMENT, abs=1e-3)
    assert "segment 3" in page.text_content(".tooltip") and page.text_content("#now-playing .np-title") == "techno (live) #1?.mp3"
    page.screenshot(path=str(SHOTS / "place-hover.png"))

    # Played through: its segments back to back, the ring on each in turn.
    page.click("#place-play")
    page.wait_for_function("window.tagscape.audition.report().rings.length >= 2", timeout=60_000)
    rings = page.evaluate("window.tagscape.audition.report().rings")
    box = page.evaluate("(() => { const r = window.tagscape.plots[0].canvas.getBoundingClientRect(); return [r.left, r.top]; })()")
    where = placed_screen(page)
    for ring in rings[:2]:
        x, y = ring["ring"][0]
        assert (box[0] + x, box[1] + y) == pytest.approx(where[ring["index"]], abs=0.5)

    # Another map on screen: the kept file is placed there too (and the old placement's audition stops).
    page.select_option("#layer", "embeddings")
    page.wait_for_function("(() => { const m = window.tagscape.place.placement; return m && m.maps[0].layer === 'embeddings'; })()", timeout=60_000)
    wait_idle(page)
    page.wait_for_function(f"window.tagscape.plots[0].placedDrawn === {placed['n_segments']}")
    assert client.get(placement["url"]).status_code == 404  # the first placement was forgotten
    assert not page.evaluate("window.tagscape.audition.active")

    # Remove: gone from the map and from the server.
    token_url = page.evaluate("window.tagscape.place.placement.url")
    page.click("#place-remove")
    page.wait_for_function("window.tagscape.plots[0].placedDrawn === 0")
    assert page.evaluate("document.querySelectorAll('#place-neighbours li').length") == 0
    page.wait_for_timeout(200)
    assert client.get(token_url).status_code == 404


def test_hostile_files_get_a_clear_message_and_the_page_keeps_working(page, collection_dir):
    open_explorer(page, "listen=off")
    page.set_input_files("#place-file", files=[{"name": "empty.mp3", "mimeType": "audio/mpeg", "buffer": b""}])
    page.wait_for_function("document.getElementById('place-error').textContent.includes('empty.mp3 is empty')")
    page.set_input_files("#place-file", files=[{"name": "notes <b>.txt", "mimeType": "text/plain", "buffer": b"not music at all\n" * 100}])
    page.wait_for_function("document.getElementById('place-error').textContent.includes('Cannot place this file')", timeout=30_000)
    assert "notes <b>.txt" in page.text_content("#place-error")
    assert "Cannot place this file" in page.text_content("#error")  # also at the top of the page, whatever the panel's scroll
    assert page.evaluate("document.querySelectorAll('#place-error b').length") == 0  # the name is text, never HTML
    page.screenshot(path=str(SHOTS / "place-not-audio.png"))
    # A link dropped on the map is not followed: the browser stays on the explorer.
    assert page.evaluate("""() => { const t = new DataTransfer(); t.setData('text/uri-list', 'https://example.org/');
        return !window.tagscape.plots[0].frame.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: t })); }""")
    # A server that takes at most 100 kB: a 320 kB MP3 is refused, and the page says why.
    small = create_app(str(collection_dir), {"TESTING": True, "TAGSCAPE_PLACE_MAX_BYTES": 100_000})
    with serving(small) as url:
        page.goto(f"{url}/?listen=off")
        wait_idle(page)
        drop_file(page, (MUSIC / "metal.mp3").read_bytes(), "metal.mp3")
        page.wait_for_function("document.getElementById('place-error').textContent.length > 0", timeout=30_000)
        message = page.text_content("#place-error")
        assert "metal.mp3" in message and ("Too large" in message or "broke off" in message), message
        page.screenshot(path=str(SHOTS / "place-too-large.png"))
    assert page.evaluate("window.tagscape.place.placement") is None


# Werkzeug leaves the spooled file of a multipart body cut off by the client unclosed (it is
# garbage-collected, with a ResourceWarning): the server's side of a cancelled upload, not the page's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_slow_upload_can_be_cancelled_half_way(page):
    open_explorer(page, "listen=off")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 100_000})
    drop_file(page, (MUSIC / "ambient.flac").read_bytes(), "ambient.flac", "audio/flac")
    page.wait_for_function("document.getElementById('place-status').textContent.includes('Uploading ambient.flac:')")
    assert page.text_content("#place-remove") == "cancel" and page.is_disabled("#place-pick")
    page.click("#place-remove")
    assert page.is_enabled("#place-pick") and page.is_hidden("#place-progress") and page.text_content("#place-remove") == "remove"
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.wait_for_timeout(1000)  # the server sees the connection cut
    assert page.evaluate("window.tagscape.place.placement") is None and page.text_content("#place-error") == ""
    gc.collect()  # the cut-off request's leftovers, here rather than in another test
