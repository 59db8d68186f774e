#!/usr/bin/env python
"""Regenerate the README's screenshot (docs/screenshot.png, 1280x860) from the demo collection.

Usage::

    python scripts/screenshot.py [--collection demo-collection] [--out docs/screenshot.png] [--all DIR]

The collection is the one ``make demo`` builds (it is built here the same way when missing).
The explorer is served on 127.0.0.1 in this process and shown in headless Chromium: the t-SNE
map of MusiCNN-MTT taggrams, coloured by genre with its legend, one point clicked and hovered (its
segment playing, its top tags in the now-playing panel, its track's taggram and path below and on
the map). ``--all DIR`` also shoots every drawing mode and every pane of the dock into DIR
(one PNG each, named in ``VIEWS``), to look at after a change of the front end.
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
READY = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"

#: name -> (URL query, what else to wait for, or None): each drawing mode and pane (--all)
VIEWS = {
    "segments-genre": (VIEW, None),
    "segments-track": ("model=musicnn-mtt&layer=taggrams&proj=tsne&color=track", None),
    "trajectories": ("model=musicnn-mtt&layer=embeddings&proj=pca&mode=trajectories&color=track&limit=12", None),
    "averages": ("model=musicnn-mtt&layer=embeddings&proj=std-pca&mode=averages&color=genre", None),
    "tag-gradient": ("model=musicnn-mtt&layer=taggrams&proj=original&x=guitar&y=piano&color=tag&ctag=piano", None),
    "compare": ("model=musicnn-mtt&proj=tsne&color=genre&compare=1&model2=vgg-msd&proj2=tsne", None),
    "pane-track": ("model=musicnn-mtt&proj=tsne&color=genre&pane=track&ptrack=1", "window.tagscape.analysis.trackView.data"),
    "pane-tag": ("model=musicnn-mtt&proj=tsne&color=tag&ctag=piano&pane=tag&ptag=piano", "document.querySelectorAll('#top-segments li').length > 0"),
    "pane-matrix": ("model=musicnn-mtt&proj=tsne&color=genre&pane=matrix", "window.tagscape.analysis.matrixView.data"),
    "pane-truth": ("model=musicnn-mtt&proj=tsne&color=genre&pane=truth", "document.querySelectorAll('#ground-truth tr').length > 1"),
    "averages-compare-dock": ("model=musicnn-mtt&mode=averages&color=album&compare=1&model2=vgg-mtt&pane=matrix&pmethod=spearman",
                              "window.tagscape.analysis.matrixView.data"),
}


def shoot_all(browser, base: str, folder: Path) -> None:
    """One screenshot per entry of VIEWS into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (query, wait) in VIEWS.items():
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{base}/?{query}")
        page.wait_for_function(READY, timeout=600_000)
        if wait:
            page.wait_for_function(wait, timeout=120_000)
            page.wait_for_function(READY, timeout=600_000)
        page.wait_for_timeout(400)  # the overlay's animation frame
        page.screenshot(path=str(folder / f"{name}.png"))
        page.close()
        print(f"wrote {folder / name}.png")


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
    parser.add_argument("--all", metavar="DIR", help="also shoot every mode and pane into DIR")
    args = parser.parse_args()
    folder = Path(args.collection)
    ensure_demo(folder)

    from playwright.sync_api import sync_playwright

    from tagscape.web.devserver import serving

    with serving(create_app(str(folder))) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{base}/?{VIEW}")
        page.wait_for_function(READY, timeout=600_000)
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
        if args.all:
            shoot_all(browser, base, Path(args.all))
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
