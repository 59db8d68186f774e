"""Axis expressions over tag names: each equals the numpy expression on the same columns; synonyms
map MSD and MTT names onto each other; anything else is a UsageError (a 400) that says why."""

from __future__ import annotations

import numpy as np
import pytest

from tagscape.errors import UsageError
from tagscape.models.registry import MSD_TAGS, MTT_TAGS
from tagscape.projections.expressions import MAX_DEPTH, MAX_LENGTH, parse


@pytest.fixture
def block(rng):
    return rng.uniform(0.01, 1.0, size=(500, len(MSD_TAGS)))


def col(block, name, tags=MSD_TAGS):
    return block[:, tags.index(name)]


CASES = [
    ("rock - pop", lambda b: col(b, "rock") - col(b, "pop")),
    ("(guitar + rock) / 2", lambda b: (col(b, "guitar") + col(b, "rock")) / 2),
    ("0.5*happy - sad", lambda b: 0.5 * col(b, "happy") - col(b, "sad")),
    ("-rock", lambda b: -col(b, "rock")),
    ("- -rock * +2", lambda b: -(-col(b, "rock")) * 2),
    ("female vocalists - male vocalists", lambda b: col(b, "female vocalists") - col(b, "male vocalists")),
    ('"Hip-Hop" * 2 + \'indie rock\'', lambda b: col(b, "Hip-Hop") * 2 + col(b, "indie rock")),
    ("80s + 00s - 1e-1", lambda b: col(b, "80s") + col(b, "00s") - 0.1),
    ("mellow / .5", lambda b: col(b, "Mellow") / 0.5),  # any case
    ("rock - pop - jazz", lambda b: (col(b, "rock") - col(b, "pop")) - col(b, "jazz")),  # left to right
    ("rock / pop / jazz", lambda b: (col(b, "rock") / col(b, "pop")) / col(b, "jazz")),
    ("rock - (pop - jazz) * 3", lambda b: col(b, "rock") - (col(b, "pop") - col(b, "jazz")) * 3),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0] for c in CASES])
def test_an_expression_equals_numpy_on_the_columns(block, text, expected):
    expression = parse(text, tags=MSD_TAGS, dataset="MSD")
    values = expression.evaluate(block[:, list(expression.columns)])
    # the same float64 operations in the same order
    np.testing.assert_allclose(values, expected(block), rtol=1e-12, atol=0)


def test_the_label_writes_it_back_with_the_models_names():
    assert parse("rock-(pop-jazz)", tags=MSD_TAGS).label == "rock - (pop - jazz)"
    assert parse("(rock+pop)*2", tags=MSD_TAGS).label == "(rock + pop) * 2"
    assert parse("mellow", tags=MSD_TAGS).label == "Mellow"


def test_division_by_zero_is_nan_for_that_point():
    expression = parse("rock / pop", tags=MSD_TAGS)
    block = np.array([[1.0, 2.0], [1.0, 0.0]])  # columns in expression.columns order: rock, pop
    assert expression.columns == (MSD_TAGS.index("rock"), MSD_TAGS.index("pop"))
    values = expression.evaluate(block)
    assert values[0] == 0.5 and np.isnan(values[1])


@pytest.mark.parametrize("name, tags, dataset, stands_for", [
    ("female vocalists", MTT_TAGS, "MTT", "female vocal"),
    ("female vocal", MSD_TAGS, "MSD", "female vocalists"),
    ("woman", MSD_TAGS, "MSD", "female vocalists"),
    ("male vocalists", MTT_TAGS, "MTT", "male vocal"),
    ("instrumental", MTT_TAGS, "MTT", "no vocals"),
    ("no voice", MSD_TAGS, "MSD", "instrumental"),
    ("heavy metal", MTT_TAGS, "MTT", "metal"),
    ("techno", MSD_TAGS, "MSD", "House"),
])
def test_synonyms_let_one_axis_work_on_msd_and_mtt(name, tags, dataset, stands_for):
    expression = parse(name, tags=tags, dataset=dataset)
    assert expression.columns == (tags.index(stands_for),) and expression.label == stands_for


def test_the_same_named_axis_on_both_datasets():
    text = "female vocalists - male vocalists"
    assert parse(text, tags=MSD_TAGS, dataset="MSD").label == "female vocalists - male vocalists"
    assert parse(text, tags=MTT_TAGS, dataset="MTT").label == "female vocal - male vocal"


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("   ", "empty"),
    ("rock +", "ends too early"), ("(rock", "ends too early"), ("(rock - pop", "ends too early"),
    ("rock)", "unexpected"), ("rock pop", "several words is one tag"), ("rock 2", "unexpected"),
    ("piano", "unknown tag"), ("__import__('os')", "unknown tag"), ("rock ** 2", "unexpected"),
    ("rock; pop", "cannot read"), ("rock # x", "cannot read"), ("rock ? pop", "cannot read"), ("50 %", "cannot read"),
    ("1e400 * rock", "at most"), ("2e6 * rock", "at most"), ("rôck", "unknown tag"), ("\"unterminated", "cannot read"),
    ("(" * (MAX_DEPTH + 2) + "rock" + ")" * (MAX_DEPTH + 2), "nested"), ("-" * 40 + "rock", "nested"),
    ("rock+" * 70 + "rock", "at most"), ("r" * (MAX_LENGTH + 1), "at most"), ("()", "unexpected"), ("rock\x00", "cannot read"),
])
def test_bad_expressions_say_why(text, message):
    with pytest.raises(UsageError, match=message):
        parse(text, tags=MSD_TAGS, dataset="MSD")


def test_a_layer_without_tags_has_no_expressions():
    with pytest.raises(UsageError, match="no tags"):
        parse("rock", tags=(), dataset=None)
