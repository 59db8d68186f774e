#!/usr/bin/env python
"""Regenerate the README's screenshot (docs/screenshot.png, 1280x860) from the demo collection.

Usage::

    python scripts/screenshot.py [--collection demo-collection] [--out docs/screenshot.png]

The collection is the one ``make demo`` builds (it is built here the same way when missing).
The explorer is served on 127.0.0.1 in this process and shown in headless Chromium: the t-SNE
map of MusiCNN-MTT taggrams, coloured by genre with its legend, one point clicked and hovered (its
segment playing, its top tags in the now-playing panel, its track's taggram and path below and on
the map).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.collection import index_folder, open_collection  # noqa: E402
from tagscape.web import create_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--hide-scrollbars"]
VIEW = "model=musicnn-mtt&layer=taggrams&proj=tsne&color=genre&mode=segments"


def ensure_demo(folder: Path) -> None:
    """What ``tagscape demo --no-serve`` does, when the folder is not an extracted demo yet."""
    if (folder / ".tagscape" / "collection.json").is_file():
        with open_collection(folder) as collection:
            if "musicnn-mtt" in collection.store.result_models() and not collection.store.pending("musicnn-mtt"):
                return
    from tagscape.demo.build import prepare_demo
    from tagscape.extract import extract_collection

    print(f"building the demo collection in {folder} (a few minutes)", flush=True)
    prepare_demo(folder, say=print)
    index_folder(folder)
    with open_collection(folder) as collection:
        extract_collection(collection, workers=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collection", default=str(ROOT / "demo-collection"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    folder = Path(args.collection)
    ensure_demo(folder)

    from playwright.sync_api import sync_playwright
    from tagscape.web.devserver import serving

    with serving(create_app(str(folder))) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{base}/?{VIEW}")
        page.wait_for_function("window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'", timeout=600_000)
        # Hover a point near the middle of the map: its clip plays, the panel shows its top tags.
        x, y = page.evaluate("""() => {
            const p = window.tagscape.plots[0];
            const box = p.canvas.getBoundingClientRect();
            let best = 0, bestDistance = Infinity;
            for (let i = 0; i < p.data.x.length; i++) {
                const [px, py] = p.screenPosition(i);
                const d = (px - box.width * 0.45) ** 2 + (py - box.height * 0.55) ** 2;
                if (d < bestDistance) { best = i; bestDistance = d; }
            }
            const [px, py] = p.screenPosition(best);
            return [box.left + px, box.top + py];
        }""")
        page.mouse.move(x, y)
        page.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length > 0", timeout=30_000)
        # ... and a click opens its track view: the taggram under the map, the track's path on it.
        page.mouse.click(x, y)
        page.wait_for_function("window.tagscape.analysis.trackView.data", timeout=30_000)
        page.mouse.move(x, y)
        page.wait_for_timeout(800)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
