#!/usr/bin/env python
"""Web explorer benchmark: the API and the page in headless Chromium, from 10k to 4.5 M segments.

Usage::

    python bench/web.py [--sizes 10000,100000,1000000,4500000] [--data DIR] [--keep]

A synthetic store is built once (and reused from ``--data``): the real MTG-Jamendo track list
(55,525 tracks, their real durations: 4.5 M segments of 2.992 s) indexed with the real
``index_jamendo``, and for every track a ``musicnn-mtt`` taggram written with the real
``Store.write_result`` (smooth random walks, float16; only the taggrams layer, which is what
these maps read). Every track's audio is one shared 10-minute MP3 (symbolic links), so that
hovering plays a real clip decoded by the server.

Each size N is the first tracks of the list holding about N segments (``limit=`` on the API),
the largest is the whole collection. For each size it measures:

* ``/api/points`` server time (the server's own clock) and bytes, binary layout, ``original``
  axes and ``pca`` components (of the whole-collection PCA map, fitted before serving as
  ``tagscape project`` does: a request fits at most 1 M segments);
* in Chromium (SwiftShader WebGL, as the tests run it): request to first drawn frame
  (API + transfer + decode + normalise + draw), a zoom redraw, switching to trajectories
  (up to 150k segments: the most the page draws at once), and hover to first sound (``playing``);
* progressive loading (issue 16): page loads alternating ``preview=auto`` (a first frame of a
  50,000-point sample, then the whole map) and ``preview=off`` (the whole map only, the
  baseline), ``--repeats`` of each: request to the first frame, and to the whole map drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import time
import urllib.request
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.collection import index_jamendo, open_collection  # noqa: E402
from tagscape.models.registry import get_model  # noqa: E402
from tagscape.web import create_app  # noqa: E402

MODEL = "musicnn-mtt"
SEGMENT_SECONDS = get_model(MODEL).segment_seconds
TSV = Path("/work/shared/data/mtg-jamendo/tracks.tsv")
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--autoplay-policy=no-user-gesture-required"]
SHARED_AUDIO_SECONDS = 600
IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"


def say(*args) -> None:
    print(*args, flush=True)


def segments_of(duration) -> int:
    return int((duration or 0.0) * 16000 / 256 / 187)


# -- the synthetic store ----------------------------------------------------------------------


def write_chords(path: Path, seconds: int) -> None:
    """``seconds`` of chords changing every 5 s (mono 22.05 kHz MP3 at 64 kb/s): audio to serve."""
    import av

    sr = 22050
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=sr, layout="mono")
        stream.bit_rate = 64000
        block = sr * 5
        for k in range(seconds // 5):
            t = (np.arange(block) + k * block) / sr
            f = 110.0 * 2 ** ((k % 12) / 12)
            samples = (0.2 * (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(2 * np.pi * 1.5 * f * t))).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = sr, k * block, Fraction(1, sr)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def build_store(data_dir: Path, tsv: Path) -> None:
    audio_root = data_dir.parent / "audio"
    # inside the audio folder: the server plays a linked file only if its real path is in there
    shared = audio_root / "shared.mp3"
    audio_root.mkdir(parents=True, exist_ok=True)
    if not shared.is_file():
        write_chords(shared, SHARED_AUDIO_SECONDS)
    index_jamendo(tsv, data_dir=data_dir, audio_root=audio_root)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    with open_collection(data_dir) as collection:
        store = collection.store
        tracks = store.tracks()
        done = set(store.result_hashes(MODEL))
        segments = 0
        for i, track in enumerate(tracks):
            link = audio_root / track["path"]
            if link.is_symlink() and link.readlink() != shared:  # a store built when the audio lay outside the folder
                link.unlink()
            if not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(shared)
            n = max(1, segments_of(track["duration"]))
            segments += n
            if track["track_id"] in done:
                continue
            base = rng.beta(0.6, 4.0, 50)
            walk = np.cumsum(rng.normal(0, 0.02, (n, 50)), axis=0)
            taggrams = np.clip(base + walk, 0, 1).astype(np.float16)
            store.write_result(track["track_id"], MODEL, content_hash=track["content_hash"], segment_seconds=SEGMENT_SECONDS, layers={"taggrams": taggrams})
            if (i + 1) % 5000 == 0:
                say(f"  {i + 1} tracks, {segments:,} segments, {time.perf_counter() - started:.0f} s")
    (data_dir / "bench-complete").write_text("ok")


# -- measuring -----------------------------------------------------------------------------


def fetch(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    return time.perf_counter() - started, body


def header_of(body: bytes) -> dict:
    length = int.from_bytes(body[12:16], "little")
    return json.loads(body[16 : 16 + length])


def limits(data_dir: Path, sizes: list[int]) -> list[tuple[int, int | None, int]]:
    """For each size: (size, the track limit to ask for or None for all, the segments that gives)."""
    with open_collection(data_dir) as collection:
        counts = np.array([max(1, segments_of(t["duration"])) for t in collection.tracks()])
    cumulative = np.cumsum(counts)
    out = []
    for size in sizes:
        if size >= cumulative[-1]:
            out.append((size, None, int(cumulative[-1])))
        else:
            k = int(np.searchsorted(cumulative, size) + 1)
            out.append((size, k, int(cumulative[k - 1])))
    return out


def api_figures(base: str, limit: int | None) -> dict:
    suffix = f"&limit={limit}" if limit else ""
    out = {}
    for name, query in (("original", "projection=original&x=guitar&y=piano"), ("pca", "projection=pca&x=0&y=1")):
        url = f"{base}/api/points?model={MODEL}&layer=taggrams&{query}{suffix}"
        first_wall, body = fetch(url)
        first_server = header_of(body)["server_seconds"]
        walls, servers = [], []
        for _ in range(3):
            wall, body = fetch(url)
            walls.append(wall)
            servers.append(header_of(body)["server_seconds"])
        out[name] = {"first_server": first_server, "first_wall": first_wall, "server": statistics.median(servers), "wall": statistics.median(walls), "bytes": len(body)}
    return out


WAIT_IDLE_JS = """() => new Promise((resolve) => {
    const check = () => (document.body.dataset.loading === '0' ? resolve() : requestAnimationFrame(check));
    requestAnimationFrame(check);
})"""


def browser_figures(page, base: str, limit: int | None, segments: int, *, preview: str = "off", interact: bool = True) -> dict:
    """``preview``: the explorer's progressive loading (``off``: the whole map only, as before it;
    ``auto``: a first frame of a sample of a large map, then the whole map)."""
    suffix = f"&limit={limit}" if limit else ""
    out = {}
    navigation = time.perf_counter()
    page.goto(f"{base}/?model={MODEL}&layer=taggrams&proj=original&x=guitar&y=piano&preview={preview}{suffix}")
    page.wait_for_function(IDLE, timeout=600_000, polling=100)
    timing = page.evaluate("window.tagscape.timings[0]")
    out["page_to_drawn"] = time.perf_counter() - navigation
    out["first_frame"] = (timing["drawn"] - timing["started"]) / 1000
    out["api_transfer_decode"] = (timing["received"] - timing["started"]) / 1000
    out["normalise_draw"] = (timing["drawn"] - timing["received"]) / 1000
    out["points"] = timing["points"]
    shown = page.evaluate("(() => { const p = window.tagscape.plots[0].preview; return p ? {asked: p.asked, drawn: p.drawn, points: p.points, of: p.of} : null; })()")
    if shown and shown["drawn"] is not None:  # request -> the sample drawn, on the same clock as the map's timings
        out["preview_frame"] = (shown["drawn"] - shown["asked"]) / 1000
        out["preview_points"] = shown["points"]
    if not interact:
        return out
    zooms = page.evaluate("""async () => {
        const plot = window.tagscape.plots[0];
        const out = [];
        for (const [x, y, d] of [[0.2, 0.1, 0.5], [-0.3, 0.2, 0.25], [0, 0, 1]]) {
            const t = performance.now();
            await plot.scatterplot.zoomToLocation([x, y], d);
            await new Promise((r) => requestAnimationFrame(() => r()));
            out.push(performance.now() - t);
        }
        return out;
    }""")
    out["zoom"] = statistics.median(zooms) / 1000
    out["hover_to_sound"] = hover_to_sound(page)
    if segments <= 150_000:
        out["trajectories"] = page.evaluate("""async (waitIdle) => {
            const t = performance.now();
            document.querySelector('input[name=mode][value=trajectories]').click();
            await (${WAIT})();
            const switched = performance.now() - t;
            const plot = window.tagscape.plots[0];
            const t2 = performance.now();
            plot.drawOverlayNow();
            return [switched, performance.now() - t2, plot.overlayStats.trajectories];
        }""".replace("${WAIT}", WAIT_IDLE_JS))
    return out


def hover_to_sound(page) -> list[float]:
    """Median ms from the pointer reaching an isolated point to the clip playing, over a few points."""
    targets = page.evaluate("""() => {
        const p = window.tagscape.plots[0];
        const box = p.canvas.getBoundingClientRect();
        const n = p.data.x.length;
        const seconds = p.data.meta.segment_seconds;
        const picks = [];
        const step = Math.max(1, Math.floor(n / 4000));
        for (let i = 0; i < n && picks.length < 8; i += step) {
            if ((p.data.segment[i] + 1) * seconds > 590) continue;
            const [x, y] = p.screenPosition(i);
            if (x < 40 || y < 40 || x > box.width - 40 || y > box.height - 40) continue;
            picks.push([box.left + x, box.top + y, i]);
        }
        return picks;
    }""")
    delays = []
    for x, y, _ in targets:
        page.mouse.move(5, 5)
        page.wait_for_timeout(150)
        page.evaluate("""() => {
            const audio = document.getElementById('player');
            audio.pause();
            window.__hover = { moved: null, playing: null };
            const canvas = window.tagscape.plots[0].canvas;
            canvas.addEventListener('pointermove', () => { if (window.__hover.moved === null) window.__hover.moved = performance.now(); }, { once: true });
            audio.addEventListener('playing', () => { window.__hover.playing = performance.now(); }, { once: true });
        }""")
        page.mouse.move(x, y)
        try:
            page.wait_for_function("window.__hover.playing !== null", timeout=10_000, polling=10)
        except Exception:  # a point under another one, or nothing hovered: skip it
            continue
        delays.append(page.evaluate("window.__hover.playing - window.__hover.moved"))
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000,4500000")
    parser.add_argument("--data", default="/tmp/tagscape-bench-web", help="where the synthetic store is built (and reused)")
    parser.add_argument("--keep", action="store_true", help="keep the store (default: removed at the end unless --data was given)")
    parser.add_argument("--tsv", default=str(TSV))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--repeats", type=int, default=2, help="page loads with and without progressive loading, alternating")
    args = parser.parse_args()
    work = Path(args.data)
    data_dir = work / "data"
    sizes = [int(s) for s in args.sizes.split(",")]
    if (data_dir / "bench-complete").is_file() and not (work / "audio" / "shared.mp3").is_file():
        (data_dir / "bench-complete").unlink()  # built when the shared audio lay outside the audio folder: link again
    if not (data_dir / "bench-complete").is_file():
        say(f"building the synthetic store in {work} (once; a few minutes for 4.5 M segments)")
        started = time.perf_counter()
        build_store(data_dir, Path(args.tsv))
        say(f"built in {time.perf_counter() - started:.0f} s")
    with open_collection(data_dir) as collection:  # the whole-collection PCA map, as `tagscape project` makes it
        started = time.perf_counter()
        collection.projection(MODEL, "taggrams", "pca")  # (a request fits PCA of at most 1 M segments: 409 beyond)
        say(f"PCA map of the whole layer ready in {time.perf_counter() - started:.1f} s")
    from tagscape.web.devserver import serving

    server = contextlib.ExitStack()
    base = server.enter_context(serving(create_app(str(data_dir))))
    from tagscape.projections.methods import warm_up_umap

    started = time.perf_counter()
    warm_up_umap()  # the server's own warm-up (tracks, layers, then UMAP's compile): measure after it
    say(f"server warmed up ({time.perf_counter() - started:.0f} s)")
    results = []
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            for size, limit, segments in limits(data_dir, sizes):
                say(f"\n== {segments:,} segments ({'all tracks' if limit is None else f'{limit:,} tracks'}) ==")
                api = api_figures(base, limit)
                for name, f in api.items():
                    say(f"  /api/points {name:8s}: server {f['server']:.3f} s (first use {f['first_server']:.3f} s), "
                        f"round trip {f['wall']:.3f} s, {f['bytes'] / 2**20:.1f} MiB")
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                try:
                    web = browser_figures(page, base, limit, segments)
                finally:
                    context.close()
                # progressive loading (issue 16) against the whole map alone (above), alternating
                progressive = []
                for _ in range(args.repeats):
                    for mode in ("auto", "off"):
                        context = browser.new_context(viewport={"width": 1280, "height": 800})
                        try:
                            progressive.append((mode, browser_figures(context.new_page(), base, limit, segments, preview=mode, interact=False)))
                        finally:
                            context.close()
                web["progressive"] = progressive
                for mode, figures in progressive:
                    first = f"first frame ({figures['preview_points']:,} points) {figures['preview_frame']:.2f} s, " if "preview_frame" in figures else ""
                    say(f"  browser, preview={mode}: {first}whole map drawn {figures['first_frame']:.2f} s after the request")
                say(f"  browser: request -> first drawn frame {web['first_frame']:.2f} s (API+transfer+decode {web['api_transfer_decode']:.2f} s, "
                    f"normalise+draw {web['normalise_draw']:.2f} s); page open -> drawn {web['page_to_drawn']:.2f} s")
                say(f"  browser: zoom redraw {web['zoom'] * 1000:.0f} ms; hover -> first sound {', '.join(f'{d:.0f}' for d in web['hover_to_sound'])} ms")
                if "trajectories" in web:
                    switched, overlay, drawn = web["trajectories"]
                    say(f"  browser: trajectories on {switched / 1000:.2f} s ({drawn} tracks; overlay redraw {overlay:.0f} ms)")
                results.append((segments, api, web))
            browser.close()
    finally:
        server.close()
        if not args.keep and args.data == parser.get_default("data"):
            shutil.rmtree(work, ignore_errors=True)
    say("\n== summary (targets: 1M on screen < 3 s, 4.5M < 15 s, trajectories 100k < 2 s, hover to sound < 150 ms, /api/points 1M < 0.5 s) ==")
    say(f"{'segments':>10} {'api orig s':>10} {'api pca s':>9} {'MiB':>6} {'first frame s':>13} {'zoom ms':>8} {'hover ms':>9} {'traj s':>7} "
        f"{'preview s':>9} {'whole, progressive s':>20} {'whole, off s':>12}")
    for segments, api, web in results:
        hover = f"{statistics.median(web['hover_to_sound']):.0f}" if web["hover_to_sound"] else "-"
        traj = f"{web['trajectories'][0] / 1000:.2f}" if "trajectories" in web else "-"
        runs = web["progressive"]
        previews = sorted(f["preview_frame"] for m, f in runs if m == "auto" and "preview_frame" in f)
        with_preview = sorted(f["first_frame"] for m, f in runs if m == "auto")
        without = sorted(f["first_frame"] for m, f in runs if m == "off")
        say(f"{segments:>10,} {api['original']['server']:>10.3f} {api['pca']['server']:>9.3f} {api['original']['bytes'] / 2**20:>6.1f} "
            f"{web['first_frame']:>13.2f} {web['zoom'] * 1000:>8.0f} {hover:>9} {traj:>7} "
            f"{(f'{min(previews):.2f}-{max(previews):.2f}' if previews else '-'):>9} "
            f"{min(with_preview):>9.2f}-{max(with_preview):<10.2f} {min(without):>5.2f}-{max(without):<6.2f}")
        if with_preview and without:
            say(f"    medians: first frame {statistics.median(previews) if previews else float('nan'):.2f} s (of {len(previews)} of "
                f"{len(with_preview)} loads); whole map {statistics.median(with_preview):.2f} s with progressive loading against "
                f"{statistics.median(without):.2f} s without (ratio {statistics.median(with_preview) / statistics.median(without):.2f})")


if __name__ == "__main__":
    main()
