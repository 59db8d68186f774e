"""Named validators for query parameters: the value, or a 400 that names the parameter and its bad value."""

from __future__ import annotations

import math

from flask import request

from tagscape.errors import UsageError

MAX_TEXT = 500


def str_arg(name: str, default: str | None = None, *, max_length: int = MAX_TEXT) -> str | None:
    """A text parameter; an empty value counts as absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if len(raw) > max_length:
        raise UsageError(f"parameter {name!r} is longer than {max_length} characters")
    return raw


def int_arg(name: str, default: int | None, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"parameter {name!r} must be an integer, got {raw[:80]!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise UsageError(f"parameter {name!r} must be {bounds}, got {value}")
    return value


def float_arg(name: str, default: float | None, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"parameter {name!r} must be a number, got {raw[:80]!r}") from None
    if not math.isfinite(value):
        raise UsageError(f"parameter {name!r} must be a finite number, got {raw[:80]!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"at least {minimum:g}" if maximum is None else f"at most {maximum:g}" if minimum is None else f"between {minimum:g} and {maximum:g}"
        raise UsageError(f"parameter {name!r} must be {bounds}, got {value:g}")
    return value


def choice_arg(name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = str_arg(name, default)
    if value is None:
        raise UsageError(f"parameter {name!r} is required; one of: {', '.join(choices)}")
    if value not in choices:
        raise UsageError(f"parameter {name!r} must be one of {', '.join(choices)}, got {value[:80]!r}")
    return value


def required_arg(name: str) -> str:
    value = str_arg(name)
    if value is None:
        raise UsageError(f"parameter {name!r} is required")
    return value
