"""Map axes as arithmetic over tag names: ``rock - pop``, ``(guitar + rock) / 2``, ``0.5*happy - sad``.

Syntax (parsed by recursive descent; nothing is ever evaluated as Python)::

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := ("+" | "-") factor | number | tag | "(" expression ")"
    number     := 12 | 0.5 | .5 | 1e-3          (not followed by a letter: ``80s`` is a tag)
    tag        := words separated by spaces      (``female vocalists``: one tag of two words)
                | "any text" | 'any text'        (for names with other characters: ``"Hip-Hop"``)

A word is letters, digits and ``_``. Tag names match exactly, else without regard to case
(``mellow`` is MSD's ``Mellow``), else through :data:`SYNONYMS`: a tag of the other dataset's list
stands for its equivalent here (on an MTT model ``female vocalists`` is ``female vocal``), so one
named axis works on MSD and MTT models side by side. Division by zero gives NaN for that point.

Limits: at most :data:`MAX_LENGTH` characters, :data:`MAX_NODES` numbers, tags and operators,
nesting :data:`MAX_DEPTH` deep, numbers of at most 1e6 in size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tagscape.errors import UsageError

MAX_LENGTH = 300
MAX_NODES = 64
MAX_DEPTH = 16
MAX_NUMBER = 1e6

#: Equivalent tags of the MSD and MTT taggers' lists, most equivalent first. A name from any
#: group member stands, on a model of the other dataset, for that dataset's first member.
#: Chosen by reading the two lists (tagscape.models.registry): same meaning, different words.
SYNONYMS: tuple[dict[str, tuple[str, ...]], ...] = (
    {"MSD": ("female vocalists", "female vocalist"), "MTT": ("female vocal", "female voice", "female", "woman")},
    {"MSD": ("male vocalists",), "MTT": ("male vocal", "male voice", "male", "man")},
    {"MSD": ("instrumental",), "MTT": ("no vocals", "no vocal", "no voice")},
    {"MSD": ("heavy metal",), "MTT": ("metal",)},
    {"MSD": ("hard rock",), "MTT": ("rock",)},
    {"MSD": ("electronica", "electro"), "MTT": ("electronic", "synth")},
    {"MSD": ("House",), "MTT": ("techno",)},
    {"MSD": ("chillout", "chill"), "MTT": ("ambient", "new age")},
    {"MSD": ("Mellow", "easy listening"), "MTT": ("soft", "quiet")},
)

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?![\w.])
  | (?P<word>\w+)
  | (?P<quoted>"[^"]*"|'[^']*')
  | (?P<op>[-+*/()])
""", re.VERBOSE)


@dataclass(frozen=True)
class Expression:
    """A parsed axis: ``tree`` of ``("num", v)``, ``("tag", column)``, ``("neg", a)``, ``(op, a, b)``."""

    text: str
    tree: tuple
    columns: tuple[int, ...]  # the tag columns it reads, each once
    label: str  # the tags as this model names them, e.g. "female vocal - male vocal"

    def evaluate(self, block: np.ndarray) -> np.ndarray:
        """The axis for rows whose ``columns`` are ``block`` [shape=(n, len(columns))]; float64 ``(n,)``."""
        where = {c: i for i, c in enumerate(self.columns)}
        block = np.asarray(block, np.float64)

        def value(node):
            kind = node[0]
            if kind == "num":
                return np.full(len(block), node[1])
            if kind == "tag":
                return block[:, where[node[1]]]
            if kind == "neg":
                return -value(node[1])
            a, b = value(node[1]), value(node[2])
            if kind == "+":
                return a + b
            if kind == "-":
                return a - b
            if kind == "*":
                return a * b
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)

        return value(self.tree)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise UsageError(f"cannot read the expression {text!r} at {text[position:position + 10]!r}: "
                             "use tag names, numbers, + - * / and parentheses (quote a tag with other characters: \"Hip-Hop\")")
        kind = match.lastgroup
        if kind != "space":
            out.append((kind, match.group()))
        position = match.end()
    # Consecutive words are one tag of several words.
    merged: list[tuple[str, str]] = []
    for kind, value in out:
        if kind == "word" and merged and merged[-1][0] == "word":
            merged[-1] = ("word", merged[-1][1] + " " + value)
        else:
            merged.append((kind, value))
    return merged


def resolve_tag(name: str, *, tags: tuple[str, ...], dataset: str | None) -> int:
    """The column of ``name`` among ``tags``: exact, then any case, then through :data:`SYNONYMS`."""
    if name in tags:
        return tags.index(name)
    folded = [i for i, tag in enumerate(tags) if tag.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    for group in SYNONYMS:
        if dataset in group and any(name.casefold() == member.casefold() for members in group.values() for member in members):
            for member in group[dataset]:
                if member in tags:
                    return tags.index(member)
    raise UsageError(f"unknown tag {name!r} in the expression; tags: {', '.join(tags)}"
                     + (" (a name of several words is one tag: put an operator between tags)" if " " in name else ""))


class _Parser:
    def __init__(self, text: str, tags: tuple[str, ...], dataset: str | None):
        self.text, self.tags, self.dataset = text, tags, dataset
        self.tokens = _tokens(text)
        self.position = 0
        self.columns: dict[int, None] = {}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise UsageError(f"the expression {self.text!r} ends too early")
        self.position += 1
        return token

    def fail(self, what: str):
        raise UsageError(f"the expression {self.text!r}: {what}")

    def expression(self, depth: int) -> tuple:
        if depth > MAX_DEPTH:
            self.fail(f"nested more than {MAX_DEPTH} deep")
        node = self.term(depth)
        while (token := self.peek()) is not None and token[1] in "+-" and token[0] == "op":
            self.take()
            node = (token[1], node, self.term(depth))
        return node

    def term(self, depth: int) -> tuple:
        node = self.factor(depth)
        while (token := self.peek()) is not None and token[1] in "*/" and token[0] == "op":
            self.take()
            node = (token[1], node, self.factor(depth))
        return node

    def factor(self, depth: int) -> tuple:
        kind, value = self.take()
        if kind == "op" and value in "+-":
            if depth > MAX_DEPTH:
                self.fail(f"nested more than {MAX_DEPTH} deep")
            inner = self.factor(depth + 1)
            return ("neg", inner) if value == "-" else inner
        if kind == "op" and value == "(":
            node = self.expression(depth + 1)
            if self.take() != ("op", ")"):
                self.fail("a parenthesis is not closed")
            return node
        if kind == "number":
            number = float(value)
            if not np.isfinite(number) or abs(number) > MAX_NUMBER:
                self.fail(f"numbers are at most {MAX_NUMBER:g} in size, got {value}")
            return ("num", number)
        if kind in ("word", "quoted"):
            name = value[1:-1] if kind == "quoted" else value
            column = resolve_tag(name, tags=self.tags, dataset=self.dataset)
            self.columns[column] = None
            return ("tag", column)
        self.fail(f"unexpected {value!r}")


def _count(node: tuple) -> int:
    return 1 + sum(_count(child) for child in node[1:] if isinstance(child, tuple))


def _label(node: tuple, tags: tuple[str, ...], parent: int = 0) -> str:
    """The expression written back with this model's tag names (minimal parentheses)."""
    precedence = {"+": 1, "-": 1, "*": 2, "/": 2}
    kind = node[0]
    if kind == "num":
        return f"{node[1]:g}"
    if kind == "tag":
        return tags[node[1]]
    if kind == "neg":
        return f"-{_label(node[1], tags, 3)}"
    mine = precedence[kind]
    text = f"{_label(node[1], tags, mine)} {kind} {_label(node[2], tags, mine + (kind in '-/'))}"
    return f"({text})" if mine < parent else text


def parse(text: str, *, tags: tuple[str, ...], dataset: str | None = None) -> Expression:
    """Parse an axis expression over a model's ``tags`` (``dataset``: MSD / MTT, for synonyms).

    Raises :class:`~tagscape.errors.UsageError` (a 400) for anything that is not a well-formed
    expression over known tags, with the reason.
    """
    if not isinstance(text, str) or not text.strip():
        raise UsageError("an axis expression is empty")
    if len(text) > MAX_LENGTH:
        raise UsageError(f"an axis expression is at most {MAX_LENGTH} characters, got {len(text)}")
    if not tags:
        raise UsageError("this layer has no tags to write an axis expression with (choose taggrams of a tagger)")
    parser = _Parser(text, tuple(tags), dataset)
    if len(parser.tokens) > 2 * MAX_NODES:
        raise UsageError(f"an axis expression holds at most {MAX_NODES} numbers, tags and operators")
    tree = parser.expression(0)
    if parser.peek() is not None:
        parser.fail(f"unexpected {parser.peek()[1]!r} (an operator between tags is missing, or a parenthesis is not opened)")
    if _count(tree) > MAX_NODES:
        raise UsageError(f"an axis expression holds at most {MAX_NODES} numbers, tags and operators")
    return Expression(text, tree, tuple(parser.columns), _label(tree, tuple(tags)))


# -- the original projection with expression axes ------------------------------------------------


def _axis(*, text: str, expression: bool, labels: tuple[str, ...] | None, size: int, dataset: str | None):
    """An axis: a parsed expression, or (a plain axis) ``("dim", index)`` for ASCII digits, else a tag by name."""
    if expression:
        return parse(text, tags=labels or (), dataset=dataset)
    if text.isascii() and text.isdecimal():
        index = int(text)
        if not 0 <= index < size:
            raise UsageError(f"dimension {index} is out of range 0..{size - 1}")
        return ("dim", index)
    if not labels:
        raise UsageError(f"unknown axis {text!r}: give a dimension 0..{size - 1}")
    return ("dim", resolve_tag(text, tags=labels, dataset=dataset))


def axes_of(*, model_id: str, layer: str, x: str, y: str, x_is_expression: bool, y_is_expression: bool) -> list:
    """Both axes parsed (a :class:`UsageError` for a bad one, before any data is read)."""
    from tagscape.models.registry import get_model

    spec = get_model(model_id)
    layer_spec = spec.layer(layer)
    return [_axis(text=text, expression=flag, labels=layer_spec.labels, size=layer_spec.size, dataset=spec.dataset)
            for text, flag in ((x, x_is_expression), (y, y_is_expression))]


def expression_projection(collection, *, model_id: str, layer: str, x: str, y: str, x_is_expression: bool, y_is_expression: bool, tracks=None):
    """The ``original`` map whose axes are expressions over the layer's tags (or plain dimensions / tags).

    Returns a :class:`~tagscape.projections.maps.Projection`; its axis labels are the expressions
    written with this model's tag names (a synonym shows the tag it stands for).
    """
    from tagscape.models.registry import get_model
    from tagscape.projections.maps import Projection

    layer_spec = get_model(model_id).layer(layer)
    axes = axes_of(model_id=model_id, layer=layer, x=x, y=y, x_is_expression=x_is_expression, y_is_expression=y_is_expression)
    array = collection.layer(model_id, layer)
    rows, row_tracks, segment_index = array.selection(tracks)
    needed = sorted({c for axis in axes for c in (axis.columns if isinstance(axis, Expression) else (axis[1],))})
    if tracks is None:  # every row: read just the needed columns
        block = np.asarray(array.values[:, needed], np.float64)
    else:
        block = np.asarray(array.values[rows][:, needed], np.float64) if len(rows) else np.zeros((0, len(needed)))
    where = {c: i for i, c in enumerate(needed)}
    coords = np.zeros((len(rows), 2), np.float32)
    labels = []
    for i, axis in enumerate(axes):
        if isinstance(axis, Expression):
            coords[:, i] = axis.evaluate(block[:, [where[c] for c in axis.columns]])
            labels.append(axis.label)
        else:
            coords[:, i] = block[:, where[axis[1]]]
            labels.append(layer_spec.labels[axis[1]] if layer_spec.labels else f"dim {axis[1]}")
    return Projection(model_id, layer, "original", coords, row_tracks.astype(np.int64), segment_index.astype(np.int32), tuple(labels))
