"""``tagscape doctor``: what a bug report needs to know about this installation, read-only.

Every check reads; nothing is written or converted (a collection is opened read-only, its
arrays are not rebuilt). A check that fails says so in its line instead of stopping the report.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from pathlib import Path

from tagscape import __version__

Section = tuple[str, list[tuple[str, str]]]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment() -> Section:
    import numpy as np

    rows = [
        ("tagscape", f"{__version__} ({Path(__file__).parent})"),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", f"{platform.platform()}, {os.cpu_count()} CPUs"),
        ("numpy", np.__version__),
    ]
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        rows.append(("BLAS", "; ".join(blas) or "not found"))
    except Exception as exc:  # threadpoolctl reads native libraries: report, never stop
        rows.append(("BLAS", f"unknown ({exc})"))
    try:
        import onnxruntime as ort

        rows.append(("onnxruntime", f"{ort.__version__}, providers: {', '.join(ort.get_available_providers())}"))
    except Exception as exc:
        rows.append(("onnxruntime", f"cannot be imported ({exc})"))
    try:
        import av

        ffmpeg = av.library_versions.get("libavformat") if hasattr(av, "library_versions") else None
        rows.append(("PyAV / FFmpeg", f"{av.__version__}; libavformat {'.'.join(map(str, ffmpeg)) if ffmpeg else 'unknown'}"))
    except Exception as exc:
        rows.append(("PyAV / FFmpeg", f"cannot be imported ({exc})"))
    for package in ("soxr", "resampy", "scikit-learn", "openTSNE", "umap-learn", "usearch", "flask", "dask"):
        rows.append((package, _version(package)))
    return "environment", rows


def models() -> Section:
    from tagscape.models.catalog import model_status

    rows = []
    for row in model_status():
        rows.append((row["model_id"], f"{'ready' if row['available'] else 'MISSING'}: {row['weights_status']}; to 16 kHz by {row['resampler']}"))
    return "models", rows


def places() -> Section:
    from tagscape.collection import user_cache_root
    from tagscape.models.registry import added_weights_root
    from tagscape.models.session import cache_dir
    from tagscape.projections import signed
    from tagscape.web import pages

    bundle = Path(pages.__file__).parent / "static" / "dist" / "explorer.js"
    return "places", [
        ("converted graphs", str(cache_dir())),
        ("added weights", str(added_weights_root())),
        ("read-only caches", str(user_cache_root() / "read-only")),
        ("map signing key", f"{signed.key_path()} ({'present' if signed.key_path().is_file() else 'not made yet'})"),
        ("explorer bundle", f"{bundle} ({'present' if bundle.is_file() else 'MISSING: install from a release or build with Node (make frontend)'})"),
    ]


def collection(path: str | os.PathLike) -> Section:
    """Counts and map state of a collection, opened read-only."""
    from tagscape.collection import open_collection
    from tagscape.errors import TagscapeError
    from tagscape.models.registry import MODELS
    from tagscape.projections.maps import MapStore

    try:
        opened = open_collection(path, readonly=True)
        with opened:
            rows = [("data folder", str(opened.data_dir)), ("audio", str(opened.audio_root or opened.config.get("audio_url") or "none")),
                    ("tracks", str(opened.store.count_tracks())), ("store version", str(opened.store.schema_version()))]
            maps = MapStore(opened)
            for model_id in MODELS:
                counts = opened.store.counts(model_id)
                if not (counts.done or counts.failed or counts.outdated):
                    continue
                state = ", ".join(f"{layer.name}: " + " ".join(f"{m} {s}" for m, s in maps.status(model_id, layer.name).items())
                                  for layer in MODELS[model_id].layers)
                rows.append((model_id, f"done {counts.done}, pending {counts.pending}, failed {counts.failed}, outdated {counts.outdated}; maps {state}"))
    except TagscapeError as exc:
        rows = [("collection", f"cannot be read: {exc.message}")]
    return "collection", rows


def report(collection_path: str | os.PathLike | None = None) -> list[Section]:
    sections = [environment(), models(), places()]
    if collection_path is not None:
        sections.append(collection(collection_path))
    return sections


def format_report(sections: list[Section]) -> str:
    width = max(len(name) for _, rows in sections for name, _ in rows)
    lines = []
    for title, rows in sections:
        lines.append(f"## {title}")
        lines.extend(f"{name:<{width}}  {value}" for name, value in rows)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
