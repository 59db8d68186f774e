"""Fixtures of the web tests: a small real collection (synthesised demo music, real models), the
Flask app over it, a real server on 127.0.0.1 in a thread, and real headless Chromium.

Building the collection (9 tracks, two models) takes about 20 s once per session.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from mutagen.flac import FLAC

from tagscape.collection import index_folder, index_jamendo, open_collection
from tagscape.demo.synth import render_demo_collection
from tagscape.extract import extract_collection
from tagscape.web import create_app
from tagscape.web.devserver import serving
from webdata import XSS_TITLE, write_tone

MODELS = ("musicnn-mtt", "vgg-msd")
#: Debian's Chromium, or the one named by $CHROMIUM (as `make test CHROMIUM=/path` passes it).
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]
BUNDLE = Path(__file__).parents[2] / "src" / "tagscape" / "web" / "static" / "dist" / "explorer.js"


@pytest.fixture(scope="session")
def collection_dir(tmp_path_factory) -> Path:
    """Eight demo tracks (one per style, six formats), a track whose title is HTML, and an AIFF file."""
    root = tmp_path_factory.mktemp("webcollection")
    render_demo_collection(root, n_per_style=1)
    (root / "odd").mkdir()
    xss = write_tone(root / "odd" / "xss.flac", seconds=7.0, sr=22050, freqs=(330.0, 440.0))
    tags = FLAC(xss)
    tags["title"], tags["artist"], tags["album"], tags["genre"] = XSS_TITLE, "Mallory", "Injected", "Test"
    tags.save()
    write_tone(root / "odd" / "tone.aiff", seconds=5.0, sr=22050, codec="pcm_s16be")
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, list(MODELS), workers=2)
    return root


@pytest.fixture(scope="session")
def app(collection_dir):
    return create_app(str(collection_dir), {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def collection(collection_dir):
    with open_collection(collection_dir) as opened:
        yield opened


@pytest.fixture(scope="session")
def remote_dir(tmp_path_factory) -> Path:
    """An MTG-Jamendo style collection: two remote tracks with stored (synthetic) results."""
    folder = tmp_path_factory.mktemp("jamendo")
    tsv = folder / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000214\tartist_000014\talbum_000031\t14/214.mp3\t124.6\tgenre---rock\tinstrument---guitar\n"
                   "track_0000215\tartist_000014\talbum_000031\t15/215.mp3\t98.0\tgenre---pop\n")
    index_jamendo(tsv, data_dir=folder / "data", audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(0)
    with open_collection(folder / "data") as collection:
        for track in collection.tracks():
            n = int(track["duration"] // 2.992)
            collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": rng.random((n, 50)).astype(np.float16), "embeddings": rng.random((n, 200)).astype(np.float16)})
    return folder / "data"


@pytest.fixture
def remote_client(remote_dir):
    return create_app(str(remote_dir), {"TESTING": True}).test_client()


# -- a real server and a real browser ------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app):
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (make install does)")
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.skip("no Chromium: apt-get install -y chromium (make install does)")
    assert BUNDLE.is_file(), "the explorer's JavaScript is not built: run make install (npm ci && npm run build in frontend/)"
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh tab (1280x800) that fails the test on any JavaScript error or alert()."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.base_url = live_server
    tab.problems = problems
    yield tab
    context.close()
    assert not problems, problems
