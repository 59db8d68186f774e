"""One track's work, as every kind of worker runs it: the process pool of :mod:`tagscape.extract`
and the Dask workers of :mod:`tagscape.distributed` both call :func:`analyze_item` (so neither
module imports the other)."""

from __future__ import annotations

from dataclasses import dataclass

from tagscape.errors import TagscapeError
from tagscape.pipeline import Analysis, Extractor


@dataclass
class WorkItem:
    track_id: int
    key: str
    source: str
    content_hash: str | None
    models: tuple[str, ...]
    duration: float | None
    #: Why the track's audio cannot be opened at all (found when the work was listed), or None.
    unavailable: str | None = None


def analyze_item(extractor: Extractor, item: WorkItem) -> tuple[WorkItem, Analysis | None, str | None]:
    """Analyse one track in a worker; a bad file comes back as a reason, not an exception."""
    if item.unavailable:
        return item, None, item.unavailable
    try:
        return item, extractor.analyze(item.source, models=item.models), None
    except TagscapeError as exc:
        return item, None, exc.message
    except Exception as exc:  # a bug or an unforeseen library error must not stop the run
        return item, None, f"internal error: {type(exc).__name__}: {exc}"
