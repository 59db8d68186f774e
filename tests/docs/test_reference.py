"""The generated references are complete: every CLI command and option, every API route and every
setting the code reads appears in the built site; and the site builds with warnings as errors."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import click

from tagscape.cli import main
from tagscape.settings import SETTINGS
from tagscape.web.openapi import app_routes

SRC = Path(__file__).parents[2] / "src" / "tagscape"


def _text(site: Path, page: str) -> str:
    """A page of the built site as text (tags dropped, entities decoded)."""
    raw = (site / page / "index.html").read_text("utf8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def _commands(command: click.Command, path: tuple[str, ...] = ("tagscape",)):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_strict_build_has_every_page(site):
    for page in ("", "tutorial", "reference/cli", "reference/python", "reference/http", "reference/settings",
                 "how-to/own-collection", "explanation/security"):
        assert (site / page / "index.html").is_file(), page


def test_every_command_and_option_is_in_the_cli_reference(site):
    text = _text(site, "reference/cli")
    commands = list(_commands(main))
    assert len(commands) >= 12
    for path, command in commands:
        assert re.search(r"Usage:\s+" + r"\s+".join(path) + r"\b", text), f"{' '.join(path)} is missing from the CLI reference"
        for param in command.params:
            for flag in param.opts if isinstance(param, click.Option) and not param.hidden else ():
                assert flag in text, f"{' '.join(path)} {flag} is missing from the CLI reference"


def test_every_api_route_is_in_the_http_reference(site, collection_dir):
    from tagscape.web import create_app

    page = (site / "reference" / "http" / "index.html").read_text("utf8")
    routes = app_routes(create_app(str(collection_dir), {"TESTING": True}))
    assert len(routes) >= 15
    for method, path in sorted(routes):
        heading = "-".join([method.lower(), *(part.strip("{}") for part in path.split("/") if part)]).replace(".", "-")
        assert f'id="{heading}"' in page, f"{method} {path} is missing from the HTTP reference"


def _settings_in_code() -> set[str]:
    """Environment variables the code reads, and every TAGSCAPE_*/XDG_* name it mentions."""
    names = set()
    for path in SRC.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"(TAGSCAPE|XDG)_[A-Z_]+", node.value):
                names.add(node.value)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                func = ast.unparse(node.func)
                if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                    names.add(node.args[0].value)
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ") and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def test_every_setting_the_code_reads_is_in_the_table():
    documented = {setting.name for setting in SETTINGS}
    in_code = _settings_in_code()
    assert {"TAGSCAPE_MUSICNN_WEIGHTS", "TAGSCAPE_ALLOWED_HOSTS", "XDG_CACHE_HOME"} <= in_code  # the scan finds them
    assert not in_code - documented, f"settings read by the code but missing from tagscape/settings.py: {sorted(in_code - documented)}"
    assert not documented - in_code, f"settings in the table that the code never reads: {sorted(documented - in_code)}"


def test_every_setting_is_in_the_settings_reference(site):
    text = _text(site, "reference/settings")
    for setting in SETTINGS:
        assert setting.name in text, f"{setting.name} is missing from the settings reference"
