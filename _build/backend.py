"""tagscape's build backend: setuptools, after making sure the explorer's JavaScript is built.

The explorer (``frontend/``) is bundled by vite into ``src/tagscape/web/static/dist/``, which
is not in git. ``pip install .``, ``pip install git+URL`` and ``python -m build`` call this
backend, which builds the bundle with npm when it is missing or older than its sources, then
hands over to setuptools; the sdist carries the built bundle, so installing from it needs no
Node. Without Node and without a bundle the build stops with one line saying what to install.
Editable installs (``pip install -e .``, what ``make`` does) leave the bundle to ``make``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403  (every hook setuptools offers)

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
BUNDLE = ROOT / "src" / "tagscape" / "web" / "static" / "dist" / "explorer.js"


def _sources() -> list[Path]:
    if not FRONTEND.is_dir():  # an sdist without the front end's sources
        return []
    files = [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return files + [FRONTEND / name for name in ("package.json", "package-lock.json", "vite.config.js") if (FRONTEND / name).is_file()]


def ensure_bundle() -> None:
    """Build the explorer's bundle unless a current one is there."""
    sources = _sources()
    if BUNDLE.is_file() and all(p.stat().st_mtime <= BUNDLE.stat().st_mtime for p in sources):
        return
    npm = shutil.which("npm")
    if npm is None or not sources:
        what = "Node.js 20 and npm (https://nodejs.org, or: apt-get install nodejs npm)" if sources else "a tagscape release (wheel or sdist)"
        sys.exit(f"tagscape: the explorer's JavaScript is not built and cannot be: install {what}, then build again")
    print("tagscape: building the explorer's JavaScript (npm ci && npm run build in frontend/)", file=sys.stderr)
    env = {**os.environ, "npm_config_audit": "false", "npm_config_fund": "false"}
    for command in ([npm, "ci", "--loglevel=error"], [npm, "run", "build"]):
        result = subprocess.run(command, cwd=FRONTEND, env=env, stdout=sys.stderr)
        if result.returncode != 0:
            sys.exit(f"tagscape: `{' '.join(command[1:])}` failed in {FRONTEND} (exit {result.returncode}); see the lines above")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    ensure_bundle()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    ensure_bundle()
    return _setuptools.build_sdist(sdist_directory, config_settings)

