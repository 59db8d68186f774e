#!/usr/bin/env python
"""Regenerate the tutorial's screenshots (docs/images/*.png) from a real-music demo collection.

Usage::

    .venv/bin/python docs/screenshots.py --collection demo-collection [--static DIR]

The collection is what ``make demo`` builds (``tagscape demo --no-serve DIR``: 149 excerpts of
freely licensed game music, all four taggers extracted). The explorer is served in this process
and shown in headless Chromium (as the browser tests run it); each view is set by its URL, the
way a user shares one. ``--static DIR`` serves the explorer's built JavaScript from ``DIR/dist``
instead of the package's (to shoot a given commit's front end).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tagscape.web import create_app
from tagscape.web.devserver import serving

HERE = Path(__file__).parent
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--mute-audio", "--hide-scrollbars"]
READY = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"

#: name -> (URL query, what to wait for after the map is drawn, or None)
SHOTS = {
    "pca-taggrams": ("model=musicnn-mtt&layer=taggrams&proj=pca&color=genre", None),
    "original-tags": ("model=musicnn-mtt&layer=taggrams&proj=original&x=piano&y=techno&color=genre", None),
    "tsne-embeddings-averages": ("model=musicnn-mtt&layer=embeddings&proj=tsne&mode=averages&color=genre", None),
    "compare-models": ("model=musicnn-mtt&layer=taggrams&proj=tsne&color=genre&compare=1&model2=vgg-msd&layer2=taggrams&proj2=tsne", None),
    "tag-view": ("model=musicnn-mtt&layer=taggrams&proj=tsne&color=tag&ctag=piano&pane=tag&ptag=piano&pmodel=musicnn-mtt",
                 "document.querySelectorAll('#dock button, #dock li, #dock tr').length > 5"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collection", default="demo-collection")
    parser.add_argument("--out", default=str(HERE / "images"))
    parser.add_argument("--static", default=None, help="a folder holding dist/explorer.js to serve instead of the package's")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--only", nargs="*", default=list(SHOTS))
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    app = create_app(args.collection)
    if args.static:
        app.static_folder = str(Path(args.static).resolve())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for name in args.only:
            query, wait = SHOTS[name]
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/?{query}")
            page.wait_for_function(READY, timeout=600_000)
            if wait:
                page.wait_for_function(wait, timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out / f"{name}.png"))
            page.close()
            print(f"wrote {out / name}.png", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
