"""The ``tagscape`` command line: a thin adapter over the Python API.

Commands parse their arguments, call one function, and print the result. Every
:class:`~tagscape.errors.TagscapeError` becomes one readable line and its exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tagscape.errors import TagscapeError

MODEL_HELP = "Model id (repeatable): musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt. Default: all."


class TagscapeGroup(click.Group):
    """Turns tagscape's own errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TagscapeError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=TagscapeGroup)
@click.version_option(package_name="tagscape")
def main():
    """Explore the latent and tag spaces of music auto-tagging models."""


def _model_choice():
    from tagscape.models.registry import MODELS

    return click.Choice(list(MODELS))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP)
@click.option("--output", "-o", required=True, help="OUT.npz, OUT.json, or '-' / '-.json' for JSON on stdout.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="ONNX Runtime threads per model.")
def analyze(file: Path, models: tuple[str, ...], output: str, threads: int | None):
    """Tag one FILE: per-segment taggrams and embeddings for each model."""
    import numpy as np

    from tagscape.pipeline import analyze as run_analysis

    result = run_analysis(file, models or None, threads=threads)
    if output in ("-", "-.json"):
        json.dump(result.to_json_dict(), sys.stdout)
        sys.stdout.write("\n")
        return
    out = Path(output)
    if out.suffix == ".json":
        out.write_text(json.dumps(result.to_json_dict()))
    elif out.suffix == ".npz":
        np.savez(out, **result.to_npz_dict())
    else:
        raise click.BadParameter("must end in .npz or .json (or be '-')", param_hint="--output")
    counts = ", ".join(f"{model_id}: {o.n_segments} segments" for model_id, o in result.models.items())
    click.echo(f"Wrote {out} ({result.duration_seconds:.1f} s of audio; {counts})", err=True)


@main.group()
def models():
    """Models: which exist, where their weights are."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def models_list(as_json: bool):
    """List models, their datasets, layers, segment length, and the state of their weights."""
    from tagscape.models.catalog import model_status

    rows = model_status()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "dataset", "layers", "segment", "weights")
    for row in rows:
        layers = ", ".join(f"{name} ({size})" for name, size in row["layers"].items())
        table.add_row(row["model_id"], row["dataset"], layers, f"{row['segment_seconds']:.3f} s", row["weights_status"])
    Console(width=160).print(table)


if __name__ == "__main__":  # pragma: no cover
    main()
