"""The track selection of a request: its query parameters read into a :class:`tagscape.selection.Selection`.

Every endpoint that takes a track selection (``/api/tracks``, ``/api/points``, ``/api/facets``,
the tag analyses) reads the same parameters here; what they select is decided in
:mod:`tagscape.selection`. ``artist``, ``album``, ``genre`` and ``tag`` may be repeated
(``genre=rock&genre=jazz``: either).
"""

from __future__ import annotations

from flask import request

from tagscape.errors import UsageError
from tagscape.selection import (
    MAX_VALUES,
    MULTI_FIELDS,
    SAMPLES,
    TRACK_FIELDS,
    Selection,
)
from tagscape.web.params import MAX_TEXT, float_arg, ids_arg, int_arg, str_arg

MAX_IDS = 1_000_000


def values_arg(name: str) -> tuple[str, ...]:
    """Every non-empty value of a repeatable text parameter, each at most MAX_TEXT characters."""
    given = request.args.getlist(name)
    if len(given) > MAX_VALUES:  # empty ones count too: the bound is on the request's size
        raise UsageError(f"parameter {name!r} is given {len(given)} times; at most {MAX_VALUES}")
    if any(len(value) > MAX_TEXT for value in given):
        raise UsageError(f"parameter {name!r} is longer than {MAX_TEXT} characters")
    return tuple(value for value in given if value.strip())


def fields_arg(name: str) -> tuple[str, ...] | None:
    """Track columns named comma-separated (``track_id,title``), each one of TRACK_FIELDS; None when absent."""
    raw = str_arg(name)
    if raw is None:
        return None
    fields = tuple(dict.fromkeys(raw.split(",")))
    if any(field not in TRACK_FIELDS for field in fields):
        raise UsageError(f"parameter {name!r} takes track fields among {', '.join(TRACK_FIELDS)}; got {raw[:80]!r}")
    return fields


def selection_from_args() -> Selection:
    """The track selection of the current request's query parameters (400 on bad values)."""
    sample = str_arg("sample", "first")
    if sample not in SAMPLES:
        raise UsageError(f"parameter 'sample' must be one of {', '.join(SAMPLES)}, got {sample!r}")
    return Selection(
        limit=int_arg("limit", None, minimum=1),
        sample=sample,
        seed=int_arg("seed", 0, minimum=0, maximum=2**32 - 1),
        min_duration=float_arg("min_duration", None, minimum=0.0),
        max_duration=float_arg("max_duration", None, minimum=0.0),
        q=str_arg("q"),
        ids=ids_arg("ids", max_count=MAX_IDS),
        **{name: values_arg(name) for name in MULTI_FIELDS},
    )
