"""tagscape export-site: a static export of a real collection, served by Python's plain static
file server (no tagscape process) from a sub-path whose name holds # ? % and non-ASCII, read by
the real explorer in headless Chromium; what it shows is checked against the real app's answers.

One export (4 short tracks, MusiCNN-MTT, PCA and t-SNE, 9 s clips) serves the whole module.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from click.testing import CliRunner
from test_explorer import isolated_point, lasso, plot_box, points

from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.demo.excerpts import write_opus, write_tags
from tagscape.export_site import answer_file, canonical_url, fnv1a64
from tagscape.extract import extract_collection
from tagscape.web import create_app
from tagscape.web.points import parse_binary

pytestmark = pytest.mark.browser

SR = 22050
SEGMENT = 2.992
CLIP = 9.0
IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"
#: The export's folder: served from a sub-path that must be percent-encoded.
FOLDER = "shared map #1 ?% ü"
FILES = {  # name: (tags, seconds, frequency)
    "ça #1 ?%.opus": ({"title": "Alpha", "artist": "Ann", "licence": "CC-BY-SA-3.0", "source": "pkg-one", "source_version": "1.0-1",
                       "source_url": "https://packages.debian.org/pkg-one"}, 12.5, 220.0),
    "b c.opus": ({"title": "Beta", "artist": "Bob", "licence": "GPL-2.0-or-later", "source": "pkg-one", "source_version": "1.0-1"}, 7.0, 880.0),
    "ü ñ #?%.opus": ({"title": "Gamma", "artist": "Cy"}, 7.0, 3520.0),
    "d.opus": ({"title": "Delta", "artist": "Ann", "genre": "techno"}, 7.0, 1760.0),
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(the collection's folder, the export's folder, the CLI's output, the URL of the page)."""
    root = tmp_path_factory.mktemp("to-share")
    for name, (tags, seconds, freq) in FILES.items():
        t = np.arange(int(seconds * SR)) / SR
        wave = 0.3 * np.sign(np.sin(2 * np.pi * freq * t)) * np.exp(-((t % 0.5) * 6))
        write_opus(np.stack([wave, wave]).astype(np.float32), SR, root / name)
        write_tags(root / name, tags)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, ["musicnn-mtt"], workers=1)
    runner = CliRunner()
    projected = runner.invoke(main, ["project", "-c", str(root), "--method", "pca"])
    assert projected.exit_code == 0, projected.output
    site = tmp_path_factory.mktemp("site")
    out = site / FOLDER
    result = runner.invoke(main, ["export-site", "-c", str(root), str(out), "--method", "pca", "--method", "tsne",
                                  "--clip-seconds", str(CLIP), "--bitrate", "32"])
    assert result.exit_code == 0, result.output
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, out, result.output, f"http://127.0.0.1:{server.server_address[1]}/{quote(FOLDER)}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def client(exported):
    return create_app(str(exported[0]), {"TESTING": True}).test_client()


@pytest.fixture
def static_page(browser, exported):
    """A tab on the export; every failed request and page error is kept (and fails the test)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    problems: list[str] = []
    missing: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("response", lambda response: response.status >= 400 and missing.append(f"{response.status} {response.url}"))
    tab.base_url = exported[3]
    tab.missing = missing
    yield tab
    context.close()
    assert not problems, problems


def open_page(tab, query: str = "") -> None:
    tab.goto(tab.base_url + ("?" + query if query else ""))
    tab.wait_for_function(IDLE, timeout=60_000)
    tab.wait_for_timeout(50)


# -- the folder -----------------------------------------------------------------------


def test_the_names_of_answers_are_the_ones_the_page_computes():
    vectors = json.loads((Path(__file__).parents[2] / "frontend" / "test" / "static-keys.json").read_text())
    assert fnv1a64("a") == "af63dc4c8601ec8c"  # the published FNV-1a 64 test vector
    for case in vectors["cases"]:
        assert canonical_url(path=case["path"], params=case["params"]) == case["canonical"]
        assert answer_file(path=case["path"], params=case["params"]) == case["file"]
    assert canonical_url(path="/api/tag", params={"tag": "hip hop", "model": "m"}) == "/api/tag?model=m&tag=hip%20hop"


def test_the_export_is_self_contained_with_relative_urls_and_a_size_report(exported, client):
    root, out, output, _ = exported
    page = (out / "index.html").read_text()
    assert 'src="dist/explorer.js"' in page and 'href="/' not in page and 'src="/' not in page
    manifest = json.loads((out / "data" / "manifest.json").read_text())
    assert manifest["audio"]["kind"] == "clips" and manifest["tracks"] == len(FILES)
    # one Opus file per track, holding the first CLIP seconds; the size report counts every byte
    spans = manifest["audio"]["tracks"]
    assert sorted(int(t) for t in spans) == sorted(t["track_id"] for t in client.get("/api/tracks").get_json()["tracks"])
    for track_id, (start, end) in spans.items():
        assert (out / "audio" / f"{track_id}.opus").read_bytes()[:4] == b"OggS"
        assert start == 0 and end == pytest.approx(min(CLIP, 12.5 if end > 7.5 else 7.0), abs=0.05)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert f"total: {total / 1e6:8.2f} MB" in output
    # an answer is stored as the app gave it (but for the time it took)
    ask = {"model": "musicnn-mtt", "layer": "taggrams", "projection": "pca", "x": "1", "y": "0", "mode": "averages"}
    stored, fresh = parse_binary((out / answer_file(path="/api/points", params=ask)).read_bytes()), parse_binary(client.get("/api/points", query_string=ask).data)
    assert {**stored.meta, "server_seconds": 0} == {**fresh.meta, "server_seconds": 0}
    assert all(np.array_equal(stored.arrays[name], fresh.arrays[name]) for name in fresh.arrays)


# -- the page -------------------------------------------------------------------------


def test_maps_and_modes_come_from_the_files_with_the_servers_points(static_page, client):
    tab = static_page
    open_page(tab)
    assert tab.is_visible("#static-note") and not tab.is_visible("#limit") and not tab.is_visible("#export-m3u")
    assert tab.eval_on_selector_all("#proj option", "os => os.map((o) => o.value)") == ["pca", "tsne"]
    assert tab.eval_on_selector_all("#x option", "os => os.map((o) => o.value)") == ["0", "1"]  # only the exported axes
    server = client.get("/api/points", query_string={"model": "musicnn-mtt", "layer": "taggrams", "projection": "pca", "x": "0", "y": "1", "format": "json"}).get_json()
    shown = tab.evaluate("(() => { const d = window.tagscape.plots[0].data; return { x: Array.from(d.x), ids: d.meta.tracks.track_id }; })()")
    assert np.allclose(shown["x"], server["points"]["x"], atol=1e-6) and shown["ids"] == server["tracks"]["track_id"]
    for patch, check in [({"mode": "averages"}, "d.meta.mode === 'averages' && d.length === 4"),
                         ({"mode": "trajectories"}, "d.meta.mode === 'segments' && d.length > 4"),
                         ({"layer": "embeddings", "y": "0"}, "d.meta.layer === 'embeddings' && d.meta.axes[1] === '0'"),
                         ({"proj": "tsne", "y": "1"}, "d.meta.projection === 'tsne'"),
                         ({"color": "tag", "ctag": "techno"}, "d.value !== null && d.meta.value.tag === 'techno'")]:
        tab.evaluate("(patch) => window.tagscape.explorer.update(patch)", patch)
        tab.wait_for_function(f"(() => {{ const d = window.tagscape.plots[0].data; return {check}; }})() && document.body.dataset.loading === '0'", timeout=30_000)
    # the colour values are the app's, in the map's point order
    value = client.get("/api/points", query_string={"model": "musicnn-mtt", "layer": "embeddings", "projection": "tsne", "x": "0", "y": "1",
                                                      "value": "techno", "format": "json"}).get_json()["points"]["value"]
    assert np.allclose(tab.evaluate("Array.from(window.tagscape.plots[0].data.value)"), value, atol=1e-6)
    assert tab.evaluate("document.getElementById('error').hidden")
    # the view is in the address, and the address restores it
    assert "proj=tsne" in tab.url and "color=tag" in tab.url
    open_page(tab, tab.url.split("?", 1)[1])
    assert tab.evaluate("window.tagscape.plots[0].data.meta.projection") == "tsne"
    assert tab.input_value("#color") == "tag"
    assert not tab.missing, tab.missing


def test_hover_plays_the_segment_from_the_tracks_clip_and_says_when_it_is_beyond(static_page):
    tab = static_page
    open_page(tab)
    pts = points(tab)
    target = isolated_point([p for p in pts if 0 < p["segment"] and (p["segment"] + 1) * SEGMENT <= CLIP], plot_box(tab))
    tab.mouse.move(target["x"], target["y"])
    start = target["segment"] * SEGMENT
    # (a loaded machine may see it only once it has played to the segment's end and paused)
    tab.wait_for_function(f"(() => {{ const a = document.getElementById('player'); return a.dataset.track === '{target['track']}' && a.currentTime >= {start - 0.05}; }})()", timeout=15_000)
    player = tab.evaluate("(() => { const a = document.getElementById('player'); return { src: a.src, t: a.currentTime, ...a.dataset }; })()")
    assert player["src"].endswith(f"/{quote(FOLDER)}/audio/{target['track']}.opus")
    assert start - 0.05 <= player["t"] <= start + SEGMENT + 0.6 and int(player["segment"]) == target["segment"]
    tab.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length === 5")  # the segment's top tags, from the files
    tab.wait_for_selector("#now-playing .np-licence")
    # it stops at the segment's end
    tab.wait_for_function("document.getElementById('player').paused", timeout=10_000)
    # (timeupdate comes every 250 ms or so, later on a loaded machine)
    assert tab.evaluate("document.getElementById('player').currentTime") == pytest.approx(start + SEGMENT, abs=0.6)
    # a segment past the clip: said, not played
    beyond = next(p for p in pts if (p["segment"] + 1) * SEGMENT > CLIP + 0.05)
    tab.evaluate("(i) => window.tagscape.explorer.playPoint(window.tagscape.plots[0], i)", beyond["i"])
    assert "no audio of this part" in tab.text_content("#now-playing .np-range")
    assert not tab.missing, tab.missing


def test_track_view_similar_music_and_about_panel_read_the_export(static_page, client):
    tab = static_page
    track = client.get("/api/tracks").get_json()["tracks"][0]
    open_page(tab, f"pane=track&ptrack={track['track_id']}&pmodel=musicnn-mtt")
    tab.wait_for_function("document.querySelector('#dock') && !document.querySelector('#dock').hidden")
    tab.wait_for_selector("#agreement .tag, #agreement li, #agreement span")
    assert track["title"] in tab.text_content("#dock") and not tab.query_selector("#dock .error-text")
    # similar music: the neighbours the app finds, cut to the panel's k
    target = isolated_point(points(tab), plot_box(tab))
    tab.check("input[name=listen][value=off]")
    tab.mouse.click(target["x"], target["y"])
    tab.fill("#similar-k", "2")
    tab.click("#similar-find")
    tab.wait_for_selector("#similar-results li")
    shown = tab.eval_on_selector_all("#similar-results li", "items => items.map((li) => [Number(li.dataset.track), li.dataset.segment])")
    expected = client.get("/api/similar", query_string={"model": "musicnn-mtt", "track": target["track"], "segment": target["segment"], "k": 2}).get_json()["results"]
    assert shown == [[r["track_id"], str(r["segment"])] for r in expected]
    # what was not exported says so (same-track neighbours were not stored)
    tab.uncheck("#similar-other-tracks")
    tab.click("#similar-find")
    tab.wait_for_function("document.getElementById('similar-info').textContent.includes('not part of this static export')")
    # the about panel lists the licences and sources of the exported audio
    tab.click("#about-open")
    tab.wait_for_selector("#about .about-licence")
    licences = tab.eval_on_selector_all("#about .about-licence", "rows => rows.map((r) => r.dataset.licence)")
    assert sorted(licences) == ["CC-BY-SA-3.0", "GPL-2.0-or-later"]
    assert tab.is_visible("#about .about-source[data-source='pkg-one']")
    assert len(tab.missing) == 1 and tab.missing[0].startswith("404 ") and "/data/" in tab.missing[0], tab.missing  # that one question


def test_a_lasso_on_the_static_map_selects_its_tracks(static_page):
    tab = static_page
    open_page(tab)
    left, top, width, height = plot_box(tab)
    tab.check("input[name=tool][value=lasso]")
    lasso(tab, [(left + 2, top + 2), (left + width - 2, top + 2), (left + width - 2, top + height - 2), (left + 2, top + height - 2)])
    tab.wait_for_function("window.tagscape.selection.points.length > 0")
    assert tab.evaluate("window.tagscape.selection.points.length") == tab.evaluate("window.tagscape.plots[0].data.length")


# -- the notebook widget ----------------------------------------------------------------

#: anywidget's side of a widget in the page: the model a widget's render() gets, whose messages
#: and saved changes go to the Python widget (exposed functions), and the ESM loaded from a blob
#: URL, as anywidget loads it.
WIDGET_HOST = """async ({ code, view, height }) => {
  const values = { view, height, selection: [], status: '' };
  const listeners = {};
  const fire = (event, ...args) => (listeners[event] || []).forEach((cb) => cb(...args));
  const model = {
    get: (name) => values[name],
    set: (name, value) => { values[name] = value; fire(`change:${name}`); },
    save_changes: () => window.widgetSync(JSON.stringify({ selection: values.selection, status: values.status })),
    on: (event, cb) => { (listeners[event] ||= []).push(cb); },
    off: () => {},
    send: async (content) => {
      const { reply, data } = await window.widgetMessage(content);
      const buffers = data === null ? [] : [new DataView(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer)];
      fire('msg:custom', reply, buffers);
    },
  };
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  const widget = (await import(url)).default;
  const host = document.getElementById('host');
  await widget.render({ model, el: host });
}"""


def test_the_notebook_widget_plays_on_hover_and_reads_back_a_lasso_selection(browser, exported, client):
    import base64

    notebook = pytest.importorskip("tagscape.notebook")
    if notebook.MapWidget is None:
        pytest.skip("pip install 'tagscape[widget]'")
    view = {"model": "musicnn-mtt", "layer": "taggrams", "projection": "pca", "mode": "segments"}
    w = notebook.MapWidget(exported[1], view=view, height=420)
    # what the front end may ask for: the export's files, nothing outside it
    (exported[1].parent / "secret.txt").write_text("not part of the export")
    assert w.answer({"type": "file", "id": 1, "path": "../secret.txt"})[0]["status"] == 404
    assert w.answer({"type": "file", "id": 1, "path": "index.html"})[1][0] == (exported[1] / "index.html").read_bytes()
    assert w.answer({"type": "file", "id": 2, "path": "/etc/passwd"})[0]["status"] == 404

    def message(content):
        reply, data = w.answer(content)
        return {"reply": reply, "data": base64.b64encode(data[0]).decode() if data else None}

    context = browser.new_context(viewport={"width": 1000, "height": 700})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.expose_function("widgetMessage", message)
    tab.expose_function("widgetSync", lambda state: w.set_state(json.loads(state)))
    tab.goto(exported[3] + "index.html")  # any page of the same origin; the widget replaces nothing of it
    tab.evaluate("document.body.innerHTML = '<div id=\"host\" style=\"width: 900px\"></div>'")
    tab.evaluate(WIDGET_HOST, {"code": notebook.BUNDLE.read_text(), "view": view, "height": 420})
    tab.wait_for_function("document.getElementById('host').tagscape?.plot.drawnData", timeout=30_000)
    assert w.status.endswith("points"), w.status
    served = client.get("/api/points", query_string={**{k: view[k] for k in ("model", "layer", "projection")}, "x": "0", "y": "1", "format": "json"}).get_json()
    everything = [{"track_id": served["tracks"]["track_id"][t], "segment": s} for t, s in zip(served["points"]["track"], served["points"]["segment"])]

    # hover: the segment's sound, from the track's file sent through the kernel
    pts = tab.evaluate("""(() => { const p = document.getElementById('host').tagscape.plot; const box = p.canvas.getBoundingClientRect();
        return Array.from(p.data.x, (_, i) => { const [x, y] = p.screenPosition(i);
          return { i, x: box.left + x, y: box.top + y, track: p.data.trackIdOf(i), segment: p.data.segment[i] }; }); })()""")
    box = tab.evaluate("(() => { const r = document.getElementById('host').tagscape.plot.canvas.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")
    target = isolated_point([p for p in pts if 0 < p["segment"] and (p["segment"] + 1) * SEGMENT <= CLIP], box)
    tab.mouse.move(target["x"], target["y"])
    start = target["segment"] * SEGMENT
    tab.wait_for_function(f"(() => {{ const a = document.getElementById('host').tagscape.player.audio; return a.dataset.track === '{target['track']}' && a.currentTime >= {start - 0.05}; }})()", timeout=15_000)

    # a lasso around the whole map selects every point, and Python reads them
    left, top, width, height = box
    lasso(tab, [(left + 2, top + 2), (left + width - 2, top + 2), (left + width - 2, top + height - 2), (left + 2, top + height - 2)])
    tab.wait_for_timeout(200)
    assert w.selection == everything
    assert w.track_ids == list(dict.fromkeys(p["track_id"] for p in everything))
    context.close()
    assert not problems, problems


def test_the_cli_refuses_what_it_cannot_export_in_one_line(exported, tmp_path):
    root, out = exported[0], exported[1]
    runner = CliRunner()
    cases = [([str(out)], "is not an empty folder"),
             ([str(tmp_path / "a"), "--tracks", "0"], "neither 'all' nor a number"),
             ([str(tmp_path / "b"), "-m", "vgg-mtt"], "no results for vgg-mtt"),
             ([str(tmp_path / "c"), "--method", "std-pca"], "tagscape project")]
    for args, message in cases:
        result = runner.invoke(main, ["export-site", "-c", str(root), *args])
        assert result.exit_code in (1, 2) and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []  # a failed export leaves nothing behind


def test_an_export_of_some_tracks_holds_only_them_their_neighbours_and_licences(exported, client, tmp_path):
    root = exported[0]
    result = CliRunner().invoke(main, ["export-site", "-c", str(root), str(tmp_path / "two"), "--tracks", "2", "--method", "pca", "--audio", "none"])
    assert result.exit_code == 0, result.output
    site = tmp_path / "two"
    kept = [t["track_id"] for t in client.get("/api/tracks", query_string={"limit": 2}).get_json()["tracks"]]
    manifest = json.loads((site / "data" / "manifest.json").read_text())
    assert manifest["tracks"] == 2 and manifest["audio"]["tracks"] == {} and not (site / "audio").exists()
    about = json.loads((site / answer_file(path="/api/collection")).read_text())
    tags = {t["track_id"]: client.get(f"/api/tracks/{t['track_id']}").get_json() for t in client.get("/api/tracks").get_json()["tracks"]}
    assert about["tracks"] == 2
    assert sorted(lic["licence"] for lic in about["licences"]) == sorted({tags[t]["credits"]["licence"] for t in kept if tags[t]["credits"].get("licence")})
    params = {"model": "musicnn-mtt", "layer": "embeddings", "track": str(kept[0]), "level": "segment", "exclude_track": "1", "exclude_artist": "0", "segment": "0"}
    similar = json.loads((site / answer_file(path="/api/similar", params=params)).read_text())
    assert similar["results"] and {r["track_id"] for r in similar["results"]} <= set(kept) - {kept[0]}


def test_the_widget_in_a_real_kernel_sends_files_and_takes_a_selection(exported):
    """Through Jupyter's own protocol: a kernel makes the widget, the client speaks its comm as the
    front end does (custom messages out, binary buffers back; a state update in)."""
    manager = pytest.importorskip("jupyter_client.manager")
    pytest.importorskip("ipykernel")
    km, kc = manager.start_new_kernel(kernel_name="python3")
    try:
        def run(code: str) -> str:
            msg_id = kc.execute(code)
            out = []
            while True:
                msg = kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                if msg["msg_type"] == "error":
                    raise AssertionError("\n".join(msg["content"]["traceback"]))
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(out)

        view = {"model": "musicnn-mtt", "layer": "taggrams", "projection": "pca", "mode": "segments"}
        comm_id = run(f"from tagscape.notebook import MapWidget\nw = MapWidget({str(exported[1])!r}, view={view!r})\nprint(w.comm.comm_id)").strip()

        def comm(data: dict) -> None:
            kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))

        comm({"method": "custom", "content": {"type": "file", "id": 7, "path": "data/manifest.json"}})
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["msg_type"] == "comm_msg" and msg["content"]["data"].get("method") == "custom":
                break
        assert msg["content"]["data"]["content"] == {"type": "file", "id": 7, "status": 200}
        assert bytes(msg["buffers"][0]) == (exported[1] / "data" / "manifest.json").read_bytes()

        chosen = [{"track_id": 1, "segment": 0}, {"track_id": 1, "segment": 1}, {"track_id": 2, "segment": 0}]
        comm({"method": "update", "state": {"selection": chosen}, "buffer_paths": []})
        assert json.loads(run("import json; print(json.dumps([w.selection, w.track_ids]))")) == [chosen, [1, 2]]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
