"""Named validators for query parameters: the value, or a 400 that names the parameter and its bad value.

Every number a request carries is bounded here, before it reaches SQLite or FFmpeg: an integer
beyond a signed 64-bit one makes SQLite raise ``OverflowError`` (a 500), and a seek to 1e300 s
overflows FFmpeg's timestamps.
"""

from __future__ import annotations

import math

from flask import request

from tagscape.errors import NotFoundError, UsageError

MAX_TEXT = 500
#: The longest name a path segment may hold (model ids and layer names are a few words).
MAX_NAME = 100
#: The largest integer SQLite stores (INTEGER is a signed 64-bit number): the bound of every id.
MAX_INT64 = 2**63 - 1
#: More digits than any integer we accept, so parsing never works on a huge string.
_MAX_DIGITS = 40


def shown(raw: str, limit: int = 80) -> str:
    """A bad value as a message quotes it: repr'd (control characters escaped) and truncated."""
    return repr(raw[:limit]) + (" (truncated)" if len(raw) > limit else "")


def str_arg(name: str, default: str | None = None, *, max_length: int = MAX_TEXT) -> str | None:
    """A text parameter; an empty value counts as absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if len(raw) > max_length:
        raise UsageError(f"parameter {name!r} is longer than {max_length} characters")
    return raw


def _integer(raw: str) -> int:
    """``int(raw)``, refusing overlong text first (``int`` is quadratic in the number of digits)."""
    if len(raw) > _MAX_DIGITS:
        raise ValueError(raw)
    return int(raw)


def path_name(what: str, value: str) -> str:
    """A name from the URL path (a model id, a layer): a longer one than any name is a 404 that
    quotes it truncated (the lookups' own messages quote the whole of it)."""
    if len(value) > MAX_NAME:
        raise NotFoundError(f"no {what} {shown(value, 40)}")
    return value


def parse_int(name: str, raw: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``raw`` as an integer in ``minimum..maximum`` (``None``: the largest 64-bit integer)."""
    maximum = MAX_INT64 if maximum is None else maximum
    try:
        value = _integer(raw)
    except ValueError:
        raise UsageError(f"parameter {name!r} must be an integer, got {shown(raw)}") from None
    if value < minimum or value > maximum:
        if maximum == MAX_INT64:  # no bound of its own: name the side that failed
            bounds = f"at least {minimum}" if value < minimum else f"at most {MAX_INT64}"
        else:
            bounds = f"between {minimum} and {maximum}"
        raise UsageError(f"parameter {name!r} must be {bounds}, got {value}")
    return value


def int_arg(name: str, default: int | None, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    """An integer parameter in ``minimum..maximum``; without ``maximum`` at most a signed 64-bit integer."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(name, raw, minimum=minimum, maximum=maximum)


def float_arg(name: str, default: float | None, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        if len(raw) > MAX_TEXT:
            raise ValueError(raw)
        value = float(raw)
    except ValueError:
        raise UsageError(f"parameter {name!r} must be a number, got {shown(raw)}") from None
    if not math.isfinite(value):
        raise UsageError(f"parameter {name!r} must be a finite number, got {shown(raw)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"at least {minimum:g}" if maximum is None else f"at most {maximum:g}" if minimum is None else f"between {minimum:g} and {maximum:g}"
        raise UsageError(f"parameter {name!r} must be {bounds}, got {value:g}")
    return value


def choice_arg(name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = str_arg(name, default)
    if value is None:
        raise UsageError(f"parameter {name!r} is required; one of: {', '.join(choices)}")
    if value not in choices:
        raise UsageError(f"parameter {name!r} must be one of {', '.join(choices)}, got {shown(value)}")
    return value


def required_arg(name: str) -> str:
    value = str_arg(name)
    if value is None:
        raise UsageError(f"parameter {name!r} is required")
    return value


def track_ids(name: str, values, *, max_count: int) -> list[int]:
    """Track ids from a JSON body (a list of integers) or from ``a,b,c`` text, each in 0..2**63-1."""
    if isinstance(values, str):
        parts = [part.strip() for part in values.split(",") if part.strip()]
        try:
            ids = [_integer(part) for part in parts[: max_count + 1]]
        except ValueError:
            raise UsageError(f"parameter {name!r} must be track ids separated by commas, got {shown(values)}") from None
    elif isinstance(values, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in values):
        ids = values
    else:
        raise UsageError(f'{name!r} must be a list of track ids, got {shown(str(values))}')
    if len(ids) > max_count:
        raise UsageError(f"{name!r} holds more than {max_count} ids")
    bad = next((i for i in ids if not 0 <= i <= MAX_INT64), None)
    if bad is not None:
        raise UsageError(f"{name!r}: a track id is between 0 and {MAX_INT64}, got {shown(str(bad), 40)}")
    return ids


def ids_arg(name: str, *, max_count: int) -> tuple[int, ...] | None:
    """A parameter of comma-separated track ids (``None`` when absent), each in 0..2**63-1."""
    raw = str_arg(name, max_length=max_count * 21)  # room for max_count ids of up to 20 characters
    return None if raw is None else tuple(track_ids(name, raw, max_count=max_count))


def axis_arg(name: str, default: str) -> str:
    """A map axis: a dimension index in ASCII digits, or a tag name.

    ``str.isdigit`` (which the projections test an axis with) also accepts digits that ``int``
    refuses, such as ``²``: those are a 400 here, before they reach the projection code.
    """
    value = str_arg(name, default)
    if value.isdigit() and not (value.isascii() and value.isdecimal()):
        raise UsageError(f"parameter {name!r} must be a dimension index (digits 0-9) or a tag name, got {shown(value)}")
    return value
