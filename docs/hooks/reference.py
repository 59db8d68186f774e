"""MkDocs hook: the HTTP API and settings references, generated from the code at every build.

``reference/http.md`` comes from the OpenAPI document the server serves
(:func:`tagscape.web.openapi.spec`), ``reference/settings.md`` from the table of
:mod:`tagscape.settings`. Nothing of either is written by hand, so neither can drift from the code.
"""

from __future__ import annotations

import json

from mkdocs.structure.files import File

METHODS = ("get", "post", "put", "patch", "delete")


def _prose(text) -> str:
    """The spec's text as Markdown: brackets outside code spans escaped (``values [n][m]`` is no link)."""
    parts = str(text).split("`")
    return "`".join(part if i % 2 else part.replace("[", "\\[").replace("]", "\\]") for i, part in enumerate(parts))


def _cell(text) -> str:
    """Text for one cell of a Markdown table: one line, pipes escaped."""
    return " ".join(_prose(text).split()).replace("|", "\\|")


def anchor(method: str, path: str) -> str:
    """The id of an operation's heading: ``get-api-tracks-track_id``."""
    return "-".join([method, *(part.strip("{}") for part in path.split("/") if part)]).replace(".", "-")


def schema_text(schema: dict) -> str:
    """A parameter's schema in a few words: type or choices, bounds, pattern."""
    if "anyOf" in schema:  # an optional parameter that may also be empty: describe the real type
        real = [option for option in schema["anyOf"] if option != {"const": ""}]
        return schema_text({**real[0], **({"default": schema["default"]} if "default" in schema else {})}) if len(real) == 1 else "any of several"
    if "enum" in schema:
        words = "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    else:
        kind = schema.get("type", "any")
        words = "/".join(kind) if isinstance(kind, list) else kind
        if "minimum" in schema or "maximum" in schema:
            words += f" {schema.get('minimum', '')}..{schema.get('maximum', '')}"
        if "maxLength" in schema and kind == "string":
            words += f", at most {schema['maxLength']} characters"
        if "pattern" in schema:
            words += f", matching `{schema['pattern']}`"
    if "default" in schema:
        words += f"; default `{schema['default']}`"
    return words


def _operation(path: str, method: str, operation: dict) -> list[str]:
    lines = [f"### {method.upper()} `{path}` {{ #{anchor(method, path)} }}", "", _prose(operation.get("summary", "")), ""]
    if operation.get("description"):
        lines += [_prose(operation["description"]), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | required | schema | description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            lines.append(f"| `{parameter['name']}` | {parameter['in']} | {'yes' if parameter.get('required') else 'no'} "
                         f"| {_cell(schema_text(parameter.get('schema', {})))} | {_cell(parameter.get('description', ''))} |")
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            lines += [f"Request body (`{media}`{', required' if body.get('required') else ''}): {body.get('description', '')}", "",
                      "```json", json.dumps(content.get("schema", {}), indent=2), "```", ""]
    responses = operation.get("responses", {})
    if responses:
        lines += ["| status | answer |", "|---|---|"]
        for status, response in responses.items():
            if "$ref" in response:
                text = "an error: JSON `{\"error\": ..., \"message\": ...}`"
            else:
                media = ", ".join(f"`{name}`" for name in response.get("content", {}))
                text = response.get("description", "") + (f" ({media})" if media else "")
            lines.append(f"| {status} | {_cell(text)} |")
        lines.append("")
    return lines


def http_reference(spec: dict) -> str:
    """The HTTP API reference in Markdown, from an OpenAPI 3 document."""
    info = spec["info"]
    lines = [
        "# HTTP API",
        "",
        f"*Generated from the OpenAPI {spec['openapi']} document of tagscape {info['version']}; a running server "
        "serves the same document at `/api/openapi.json` and renders it at `/api/docs`.*",
        "",
        _prose(info.get("description", "")),
        "",
        "| method | path | what |",
        "|---|---|---|",
    ]
    operations = [(path, method, item[method]) for path, item in spec["paths"].items() for method in METHODS if method in item]
    for path, method, operation in operations:
        lines.append(f"| {method.upper()} | [`{path}`](#{anchor(method, path)}) | {_cell(operation.get('summary', '').split('. ')[0])} |")
    lines.append("")
    for path, method, operation in operations:
        lines += _operation(path, method, operation)
    schemas = spec.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", "", "The bodies that the operations above name (`#/components/schemas/...`).", ""]
        for name, schema in schemas.items():
            lines += [f"### {name} {{ #schema-{name.lower()} }}", "", "```json", json.dumps(schema, indent=2), "```", ""]
    return "\n".join(lines) + "\n"


def settings_reference(settings) -> str:
    """The settings reference in Markdown, from :data:`tagscape.settings.SETTINGS`."""
    from tagscape.settings import ENVIRONMENT, SERVER

    lines = ["# Settings", "", "*Generated from the table in `tagscape/settings.py`; a test fails when the code reads a "
             "setting that is not in it.* Command-line options are in the [command line reference](cli.md), "
             "request parameters in the [HTTP API reference](http.md).", ""]
    titles = {ENVIRONMENT: ("Environment variables", "Read by the command line, the server and the Python API alike."),
              SERVER: ("Server configuration", "Keys of the Flask app's `config`: `tagscape serve` sets them from its options; "
                       "a program that builds the app with `tagscape.web.create_app(collection, config)` may pass them.")}
    for kind, (title, intro) in titles.items():
        lines += [f"## {title}", "", intro, "", "| name | default | what it does |", "|---|---|---|"]
        lines += [f"| `{s.name}` | {_cell(s.default)} | {_cell(s.help)} |" for s in settings if s.kind == kind]
        lines.append("")
    return "\n".join(lines)


def on_files(files, config):
    from tagscape.settings import SETTINGS
    from tagscape.web.openapi import spec

    files.append(File.generated(config, "reference/http.md", content=http_reference(spec())))
    files.append(File.generated(config, "reference/settings.md", content=settings_reference(SETTINGS)))
    return files
