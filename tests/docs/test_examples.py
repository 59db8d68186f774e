"""Every example in the documentation runs: Python blocks are executed (with the fixtures their
fence names, e.g. ``{.python fixture:collection_dir}``), and every ``tagscape`` command line of a
shell block is parsed by the real click commands (a renamed command or option fails here)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from markdown_it import MarkdownIt
from pytest_markdown_docs.plugin import FenceSyntax, extract_fence_tests

from tagscape.cli import main

ROOT = Path(__file__).parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]


def _python_examples():
    parser = MarkdownIt("commonmark")
    for page in PAGES:
        for example in extract_fence_tests(parser, page.read_text("utf8"), 0, page, fence_syntax=FenceSyntax.superfences):
            yield pytest.param(example, id=f"{page.relative_to(ROOT)}:{example.start_line}")


def _command_lines():
    """``(page:line, argv)`` of each ``tagscape ...`` line in sh/console/bash blocks (comments dropped)."""
    for page in PAGES:
        for token in MarkdownIt("commonmark").parse(page.read_text("utf8")):
            if token.type != "fence" or token.info.strip().strip("{}.").split(" ")[0] not in ("sh", "bash", "console", "shell"):
                continue
            for offset, line in enumerate(token.content.splitlines()):
                words = shlex.split(line, comments=True)
                if words and Path(words[0]).name == "tagscape":
                    yield pytest.param(words[1:], id=f"{page.relative_to(ROOT)}:{token.map[0] + 2 + offset}")


PYTHON = list(_python_examples())
COMMANDS = list(_command_lines())


def test_the_docs_have_examples():
    assert len(PYTHON) >= 2 and len(COMMANDS) >= 20, (len(PYTHON), len(COMMANDS))


@pytest.mark.parametrize("example", PYTHON)
def test_python_example_runs(example, request):
    namespace = {"__name__": "__docs_example__"}
    namespace.update({name: request.getfixturevalue(name) for name in example.fixture_names})
    exec(compile(example.source, str(example.source_path), "exec"), namespace)


def _parse(command: click.Command, name: str, argv: list[str]) -> None:
    """Parse ``argv`` as click would, down the groups; values are not checked (paths need not exist)."""
    if isinstance(command, click.Group) and argv and not argv[0].startswith("-"):
        sub = command.get_command(click.Context(command, info_name=name), argv[0])
        assert sub is not None, f"no command {argv[0]!r} under {name!r}"
        _parse(sub, argv[0], argv[1:])
        return
    ctx = click.Context(command, info_name=name)
    command.make_parser(ctx).parse_args(args=list(argv))  # unknown options raise; values are not converted


@pytest.mark.parametrize("argv", COMMANDS)
def test_command_line_parses(argv):
    _parse(main, "tagscape", argv)


@pytest.mark.parametrize("argv", [["extract", "--no-such-option"], ["no-such-command"], ["models", "remove", "x"]])
def test_a_wrong_command_line_is_caught(argv):
    with pytest.raises((click.UsageError, AssertionError)):
        _parse(main, "tagscape", argv)
