"""Fixtures of the documentation tests: the site built once, and a lean real collection for the
examples (the six recordings of tests/data/music, indexed and tagged by one model: a few seconds)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
MUSIC = ROOT / "tests" / "data" / "music"
#: The one model the examples' collection is extracted with.
EXAMPLE_MODEL = "musicnn-mtt"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The documentation site, built as `make docs` builds it (warnings are errors) into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


@pytest.fixture(scope="session")
def collection_dir(tmp_path_factory) -> Path:
    """A collection folder of real music, indexed and extracted with one model (what examples open)."""
    from tagscape.collection import index_folder, open_collection
    from tagscape.extract import extract_collection

    root = tmp_path_factory.mktemp("docs-collection") / "music"
    root.mkdir()
    for path in sorted(MUSIC.iterdir()):
        if path.suffix in {".mp3", ".ogg", ".flac"}:
            shutil.copy(path, root / path.name)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, [EXAMPLE_MODEL], workers=1)
    return root
