"""Install anywhere: a wheel and an sdist built from a clean copy of the repository by the standard
tools carry the explorer, install where there is no Node, and serve a map that draws; without
Node and without a built explorer the build stops with one line.

Slow (about two minutes: npm ci, two builds, two installs, a browser).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from conftest import chord, write_audio
from tagscape.collection import index_folder, open_collection
from tagscape.extract import extract_collection

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
BUNDLE = "tagscape/web/static/dist/explorer.js"
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")


def clean_copy(target: Path) -> Path:
    """The repository's tracked files only (what a fresh clone has: no node_modules, no bundle)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def without_node(tmp_path: Path) -> dict:
    """An environment whose PATH holds no node or npm (tools are called by absolute path)."""
    empty = tmp_path / "no-node-bin"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(empty)}


def build(source: Path, out: Path, *what: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "build", *what, "--outdir", str(out), str(source)], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("packaging")
    source = clean_copy(work / "tagscape")
    result = build(source, work / "dist", "--sdist", "--wheel")  # the wheel is built from the sdist
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"sdist": next((work / "dist").glob("tagscape-*.tar.gz")), "wheel": next((work / "dist").glob("tagscape-*.whl")), "work": work}


def test_the_wheel_and_the_sdist_carry_the_explorer_and_the_metadata(artifacts):
    with zipfile.ZipFile(artifacts["wheel"]) as wheel:
        names = wheel.namelist()
        assert BUNDLE in names
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata and "Requires-Python: >=3.11" in metadata
    assert "Classifier: Topic :: Multimedia :: Sound/Audio :: Analysis" in metadata and "Project-URL: " in metadata
    from tagscape import __version__

    assert f"Version: {__version__}" in metadata and artifacts["wheel"].name.startswith(f"tagscape-{__version__}-")
    with tarfile.open(artifacts["sdist"]) as sdist:
        members = sdist.getnames()
    assert any(m.endswith("src/" + BUNDLE) for m in members) and any(m.endswith("_build/backend.py") for m in members)
    assert not any("node_modules" in m for m in members)


def test_a_build_without_node_or_a_built_explorer_stops_with_one_line(tmp_path):
    source = clean_copy(tmp_path / "tagscape")
    result = build(source, tmp_path / "dist", "--wheel", env=without_node(tmp_path))
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("tagscape:")]
    assert lines == ["tagscape: the explorer's JavaScript is not built and cannot be: install Node.js 20 and npm "
                     "(https://nodejs.org, or: apt-get install nodejs npm), then build again"]


def venv_with(tmp_path: Path, name: str, package: Path) -> Path:
    """A fresh virtual environment with ``package`` installed by pip, no Node on PATH; the
    dependencies come from this test's environment (a .pth file), not from the network."""
    env_dir = tmp_path / name
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps-of-the-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-cache-dir", str(package)], capture_output=True, text=True,
                            env=without_node(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    where = subprocess.run([str(python), "-c", "import tagscape; print(tagscape.__file__)"], capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(env_dir)), where  # the installed copy, not this checkout
    return env_dir


@pytest.fixture(scope="module")
def small_collection(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pkgmusic")
    for i, freq in enumerate((220.0, 330.0)):
        write_audio(root / f"t{i}.wav", chord(7.0, 16000, freqs=(freq, freq * 1.5)), 16000)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, ["vgg-mtt"], threads=2)
    return root


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_an_installed_package_serves_a_map_that_draws(artifacts, small_collection, tmp_path, kind):
    if not CHROMIUM.is_file():
        pytest.skip("no Chromium (make install sets it up)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    env_dir = venv_with(tmp_path, f"venv-{kind}", artifacts[kind])
    port = _free_port()
    server = subprocess.Popen([str(env_dir / "bin" / "tagscape"), "serve", "-c", str(small_collection), "--port", str(port), "--no-warm-up"],
                              env=without_node(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/models", server)
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://127.0.0.1:{port}/?model=vgg-mtt&proj=pca")
            page.wait_for_function("window.tagscape && window.tagscape.ready && !window.tagscape.loading && window.tagscape.plots[0]?.data", timeout=60_000)
            assert page.evaluate("window.tagscape.plots[0].data.x.length") == 4  # two tracks of two 3 s segments
            assert "not built" not in page.content() and not errors
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=20)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"tagscape serve exited: {server.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")
