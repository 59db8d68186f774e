"""``tagscape demo``'s collection: real music where Debian packages can be had, else synthesised music.

:func:`prepare_demo` builds (or finds already built) one of three variants in a folder: excerpts
of real recordings (the default), whole real tracks (``full``), or the synthesised collection
(``synthetic``, and the fallback when no package can be downloaded: no apt, no network). The
folder's manifest (:mod:`tagscape.demo.folder`) makes a rebuild of the same variant free and a
switch of variant replace only the demo's own files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tagscape.demo.folder import is_current, write_manifest
from tagscape.errors import DownloadError, UsageError


@dataclass(frozen=True)
class DemoResult:
    kind: str  # "real" or "synthetic"
    tracks: int  # written now (0 when the folder already held this demo)
    reused: bool
    #: Why the real-music demo was not built, when it fell back to the synthesised one.
    fallback_reason: str | None = None
    #: Files or packages left out, as ``(what, why)``.
    skipped: tuple[tuple[str, str], ...] = ()
    fetched_bytes: int = 0
    seconds: float = 0.0


def synthetic_variant(*, seed: int, per_style: int) -> dict:
    return {"kind": "synthetic", "seed": seed, "per_style": per_style}


def build_synthetic(folder: Path, *, seed: int = 0, per_style: int = 4, progress=None) -> DemoResult:
    """The synthesised demo (see :mod:`tagscape.demo.synth`) in ``folder``, unless it is there already."""
    from tagscape.demo.synth import render_demo_collection

    wanted = synthetic_variant(seed=seed, per_style=per_style)
    if is_current(folder, wanted):
        return DemoResult("synthetic", 0, True)
    tracks = render_demo_collection(folder, seed=seed, n_per_style=per_style, progress=progress)
    write_manifest(folder, wanted, [track.path.relative_to(folder).as_posix() for track in tracks])
    return DemoResult("synthetic", len(tracks), False, seconds=sum(track.duration for track in tracks))


def prepare_demo(folder: Path, *, synthetic: bool = False, full: bool = False, seed: int = 0, per_style: int = 4,
                 cache_dir: Path | None = None, say: Callable[[str], None] = lambda message: None,
                 progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Build the demo collection's audio in ``folder`` (see the module's docstring).

    Parameters
    ----------
    synthetic : bool
        The synthesised collection, without trying packages.
    full : bool
        Whole real tracks instead of excerpts; never falls back to synthesised music.
    seed, per_style : the synthesised collection's seed and tracks per style.
    cache_dir : Path, optional
        Where packages are kept (default ``~/.cache/tagscape/demo``).
    say, progress : callables for one-line messages and for files written.

    Raises
    ------
    UsageError
        ``synthetic`` and ``full`` together.
    DownloadError
        ``full``, and no package could be had.
    """
    folder = Path(folder)
    if synthetic and full:
        raise UsageError("--full takes the whole real tracks; it does not go with --synthetic")
    reason = None
    if not synthetic:
        from tagscape.demo.realmusic import build_real_demo

        try:
            report = build_real_demo(folder, full=full, cache_dir=cache_dir, say=say, progress=progress)
        except DownloadError as exc:
            if full:
                raise
            reason = exc.message
            say(f"No real music for the demo here ({reason}); using the synthesised demo instead (tagscape demo --synthetic).")
        else:
            return DemoResult("real", len(report.tracks), report.reused, skipped=tuple(report.skipped),
                              fetched_bytes=report.fetched_bytes, seconds=report.seconds)
    result = build_synthetic(folder, seed=seed, per_style=per_style, progress=progress)
    return DemoResult(result.kind, result.tracks, result.reused, fallback_reason=reason, seconds=result.seconds)
