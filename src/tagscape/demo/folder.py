"""The demo folder's manifest: which demo was built there and which files it wrote.

``tagscape demo`` may build the real-music demo (excerpts or whole tracks) or the synthesised one
into the same folder. The manifest (``.tagscape-demo.json``) names the variant and lists every
file the build wrote, so that a later build of the same variant is skipped and a build of another
one removes exactly the files of the previous build, and never anything else in the folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from tagscape import files

MANIFEST = ".tagscape-demo.json"
#: The stamp of tagscape 0.2's synthesised demo ("seed=0 per_style=4"), which listed no files.
LEGACY_STAMP = ".tagscape-demo"


def read_manifest(folder: Path) -> dict | None:
    """The manifest of the last demo built in ``folder``, or None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        manifest = None
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), list):
        return manifest
    legacy = folder / LEGACY_STAMP
    if legacy.is_file():  # tagscape 0.2: the synthesised demo, one folder per style
        from tagscape.demo.synth import STYLES
        from tagscape.store.tracks import AUDIO_EXTENSIONS

        listed = [path.relative_to(folder).as_posix() for style in STYLES if (folder / style).is_dir()
                  for path in sorted((folder / style).iterdir()) if path.suffix.lower() in AUDIO_EXTENSIONS]
        return {"variant": {"kind": "synthetic", "legacy": legacy.read_text().strip()}, "files": listed}
    return None


def is_current(folder: Path, variant: dict) -> bool:
    """Whether ``folder`` holds a complete build of ``variant``."""
    manifest = read_manifest(folder)
    return bool(manifest and manifest.get("variant") == variant and manifest["files"]
                and all((folder / name).is_file() for name in manifest["files"]))


def write_manifest(folder: Path, variant: dict, written: Iterable[str], **extra) -> None:
    """Record a finished build, and remove the files of the previous one that it did not write."""
    names = sorted(set(written))
    previous = read_manifest(folder)
    if previous:
        remove_files(folder, set(previous["files"]) - set(names))
    target = folder / MANIFEST
    tmp = files.temp_path(target)
    tmp.write_text(json.dumps({"variant": variant, **extra, "files": names}, indent=1, ensure_ascii=False))
    os.replace(tmp, target)
    (folder / LEGACY_STAMP).unlink(missing_ok=True)


def remove_files(folder: Path, names: Iterable[str]) -> int:
    """Remove listed files (relative names inside ``folder`` only) and the folders they leave empty."""
    root = folder.resolve()
    removed = 0
    for name in names:
        path = (folder / name).resolve()
        if not path.is_relative_to(root) or path == root:
            continue  # a manifest naming something outside the folder is not obeyed
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        parent = path.parent
        while parent != root and parent.is_relative_to(root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return removed
