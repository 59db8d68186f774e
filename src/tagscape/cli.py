"""The ``tagscape`` command line: a thin adapter over the Python API.

Commands parse their arguments, call one function, and print the result. Every
:class:`~tagscape.errors.TagscapeError` becomes one readable line and its exit code.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from tagscape.errors import TagscapeError

#: Jamendo's public MP3 stream of a track by its numeric id (what MTG-Jamendo's TRACK_ID
#: ``track_0000214`` names as ``214``), as MTG's own listening tools use it.
JAMENDO_AUDIO_URL = "https://mp3d.jamendo.com/?trackid={id}&format=mp32"

MODEL_HELP = "Model id (repeatable): musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt, vggish-audioset. Default: all whose weights are installed."


class TagscapeGroup(click.Group):
    """Turns tagscape's own errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TagscapeError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=TagscapeGroup)
@click.version_option(package_name="tagscape", prog_name="tagscape")
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
@click.option("--device", default="cpu", show_default=True, help="Where the networks run: cpu, cuda or cuda:N (needs onnxruntime-gpu).")
def analyze(file: Path, models: tuple[str, ...], output: str, threads: int | None, device: str):
    """Tag one FILE: per-segment taggrams and embeddings for each model."""
    import numpy as np

    from tagscape.pipeline import analyze as run_analysis

    result = run_analysis(file, models or None, threads=threads, device=device)
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

    table = Table("model", "dataset", "layers", "segment", "to 16 kHz", "weights")
    for row in rows:
        layers = ", ".join(f"{name} ({size}{', ' + row['layer_nodes'][name] if name != 'taggrams' else ''})" for name, size in row["layers"].items())
        table.add_row(row["model_id"], row["dataset"], layers, f"{row['segment_seconds']:.3f} s", row["resampler"], row["weights_status"])
    Console(width=160).print(table)


@models.command("add")
@click.argument("model_id", metavar="MODEL", type=_model_choice())
@click.argument("file", type=click.Path(path_type=Path))
def models_add(model_id: str, file: Path):
    """Convert downloaded weights for MODEL from FILE and keep them (vggish-audioset: the release's
    vggish_model.ckpt, or Essentia's audioset-vggish-3.pb)."""
    from tagscape.models.added import add_weights
    from tagscape.models.registry import get_model

    click.echo(f"Reading {file} ...", err=True)
    report = add_weights(get_model(model_id), file)
    click.echo(f"{report.model_id}: {report.n_variables} variables ({report.n_parameters:,} parameters) read from {report.source} ({report.source_format}), names and shapes checked.")
    click.echo(f"Weights stored in {report.weights_dir}")
    click.echo(f"Converted graph: {report.converted}")


def _progress_bar(description: str):
    """A rich progress bar as a ``progress(done, total)`` callback, with its context."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[rate]}"), transient=False)
    task = bar.add_task(description, total=None, rate="")

    def update(done: int, total: int, rate: str = "") -> None:
        bar.update(task, completed=done, total=total, rate=rate)

    return bar, update


collection_option = click.option(
    "--collection", "-c", "collection_path", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
    help="The collection folder (or its data folder).",
)


@main.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), help="Keep tagscape's data here instead of FOLDER/.tagscape.")
@click.option("--jamendo", "jamendo_tsv", type=click.Path(dir_okay=False, path_type=Path), help="Index an MTG-Jamendo TSV list instead of a folder.")
@click.option("--audio-root", type=click.Path(file_okay=False, path_type=Path), help="With --jamendo: folder holding the dataset's audio (PATH column).")
@click.option("--audio-url", help="With --jamendo: URL template, e.g. 'https://host/{id}.mp3' ({track_id}, {id}, {path}).")
@click.option("--jamendo-audio", is_flag=True, help=f"With --jamendo: stream each track from Jamendo's public MP3 server ({JAMENDO_AUDIO_URL}).")
@click.option("--follow-symlinks", is_flag=True, help="Also index links to files outside FOLDER (and serve them).")
def index(folder: Path | None, data_dir: Path | None, jamendo_tsv: Path | None, audio_root: Path | None, audio_url: str | None,
          jamendo_audio: bool, follow_symlinks: bool):
    """Record the tracks of FOLDER (or of an MTG-Jamendo list) and their metadata."""
    from tagscape.collection import index_folder, index_jamendo

    if jamendo_tsv:
        if folder:
            raise click.UsageError("give either FOLDER or --jamendo, not both")
        if not data_dir:
            raise click.UsageError("--jamendo needs --data DIR: where to keep the collection's data")
        if jamendo_audio:
            if audio_root or audio_url:
                raise click.UsageError("give one of --jamendo-audio, --audio-url and --audio-root")
            audio_url = JAMENDO_AUDIO_URL
        bar, update = _progress_bar("Indexing")
        with bar:
            report = index_jamendo(jamendo_tsv, data_dir=data_dir, audio_root=audio_root, audio_url=audio_url, progress=update)
        where = data_dir
    else:
        if folder is None:
            raise click.UsageError("give the FOLDER to index (or --jamendo TSV)")
        if audio_root or audio_url or jamendo_audio:
            raise click.UsageError("--audio-root, --audio-url and --jamendo-audio go with --jamendo")
        bar, update = _progress_bar("Indexing")
        with bar:
            report = index_folder(folder, data_dir=data_dir, progress=update, follow_symlinks=follow_symlinks)
        where = data_dir or folder
        for key, reason in report.skipped[:20]:
            click.echo(f"  left out: {key}: {reason}")
        if len(report.skipped) > 20:
            click.echo(f"  ... and {len(report.skipped) - 20} more left out")
    click.echo(f"{report.total} tracks: {report.added} new, {report.changed} changed, {report.unchanged} unchanged, {report.removed} removed. Next: tagscape extract -c {where}")


@main.command()
@collection_option
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP)
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True, help="Files analysed in parallel (processes).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="ONNX Runtime threads per model and worker (default: cores / workers).")
@click.option("--retry-failed", is_flag=True, help="Try again the tracks that failed before.")
@click.option("--scheduler", help="Run on a Dask cluster: tcp://HOST:8786 (a running scheduler) or local:N (N worker processes here).")
@click.option("--device", default="cpu", show_default=True, help="Where the networks run: cpu, cuda or cuda:N (needs onnxruntime-gpu).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Patches per network call (default: 1 on cpu, 64 on cuda).")
def extract(collection_path: Path, models: tuple[str, ...], workers: int, threads: int | None, retry_failed: bool,
            scheduler: str | None, device: str, batch_size: int | None):
    """Run the models on every track that lacks their results (resumes where it stopped)."""
    from tagscape.collection import open_collection
    from tagscape.extract import extract_collection

    collection = open_collection(collection_path)
    bar, update = _progress_bar("Extracting")
    started = time.monotonic()

    def progress(done: int, total: int, audio_seconds: float) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        update(done, total, f"{audio_seconds / 3600 / elapsed:.4f} h of audio/s ({audio_seconds / elapsed:.0f}x real time)")

    def on_connect(description: str) -> None:
        bar.update(bar.task_ids[0], description=f"Extracting on {description}")

    from tagscape.models.registry import MODELS

    for model_id in models or MODELS:
        outdated, _ = collection.store.outdated(model_id)
        if outdated:
            click.echo(f"{model_id}: {outdated} tracks are analysed again: {MODELS[model_id].revision_note}")
    with collection, bar:
        report = extract_collection(collection, models or None, workers=workers, threads=threads, retry_failed=retry_failed, progress=progress,
                                    scheduler=scheduler, device=device, batch_size=batch_size, on_connect=on_connect)
    click.echo(f"{report.done} tracks extracted ({report.audio_seconds / 3600:.2f} h of audio), {report.failed} failed.")
    for key, reason in report.failures[:20]:
        click.echo(f"  failed: {key}: {reason}")
    if len(report.failures) > 20:
        click.echo(f"  ... and {len(report.failures) - 20} more (tagscape status)")


def _weights_note(spec) -> str:
    """For a model whose weights the user adds (VGGish) and has not: what to do."""
    from tagscape.errors import WeightsMissingError

    if spec.weights_source != "added":
        return ""
    try:
        spec.weights_dir()
    except WeightsMissingError:
        return f"  weights missing: download {spec.download} and run: {spec.add_command}"
    return ""


@main.command()
@collection_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(collection_path: Path, as_json: bool):
    """Per model: tracks done, pending and failed (and why)."""
    from tagscape.collection import open_collection
    from tagscape.models.registry import MODELS

    with open_collection(collection_path) as collection:
        counts = [collection.store.counts(model_id) for model_id in MODELS]
        n_tracks = collection.store.count_tracks()
    if as_json:
        click.echo(json.dumps({"tracks": n_tracks, "models": [c.__dict__ for c in counts]}, indent=2))
        return
    click.echo(f"{n_tracks} tracks in {collection.data_dir}")
    for c in counts:
        click.echo(f"{c.model_id:<14} done {c.done:>6}  pending {c.pending:>6}  failed {c.failed:>6}{_weights_note(MODELS[c.model_id])}")
        if c.outdated:
            click.echo(f"    outdated {c.outdated} ({_upgrade_note(c, collection.data_dir)})")
        for key, reason in c.failures:
            click.echo(f"    {key}: {reason}")


#: Re-extraction speed of one MusiCNN model, decode included, in x real time on 2 cores:
#: Extractor(["musicnn-msd"]).analyze of bench/extract.py's 4-minute MP3 took 1.97 s (122 x;
#: both MusiCNN models 3.44 s, 70 x). Only used to say roughly how long an upgrade takes.
REEXTRACT_X_REAL_TIME = 120.0


def _upgrade_note(counts, data_dir) -> str:
    """Why a model's results are outdated, what to run, and roughly how long it takes."""
    from tagscape.models.registry import get_model

    spec = get_model(counts.model_id)
    hours = counts.outdated_seconds / 3600
    minutes = counts.outdated_seconds / REEXTRACT_X_REAL_TIME / 60
    return (f"{spec.revision_note}; {hours:.1f} h of audio to analyse again, about {max(minutes, 1):.0f} min on 2 cores: "
            f"tagscape extract -c {data_dir} -m {counts.model_id}")


@main.command()
@collection_option
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP + " Default: all extracted.")
@click.option("--layer", "layers", multiple=True, type=click.Choice(["taggrams", "embeddings"]), help="Layer (repeatable). Default: both.")
@click.option("--method", "methods", multiple=True, type=click.Choice(["pca", "std-pca", "tsne", "umap"]), help="Method (repeatable). Default: all four.")
@click.option("--seed", default=0, show_default=True, help="Random state of the maps.")
@click.option("--refit", is_flag=True, help="Fit again from scratch instead of placing new tracks into the existing maps.")
@click.option("--report", is_flag=True, help="Print each map's trustworthiness, kept 10-NN and hubness (skewness of the 10-occurrence) of the layer and the map, on a sample.")
@click.option("--clusters", "show_clusters", is_flag=True, help="Print each map's clusters (HDBSCAN), named by the tags most over-represented in them.")
@click.option("--cluster-space", type=click.Choice(["map", "layer"]), default="map", show_default=True,
              help="Cluster the 2D map as drawn, or the layer's vectors (cosine).")
@click.option("--cluster-selection", type=click.Choice(["leaf", "eom"]), default="leaf", show_default=True,
              help="HDBSCAN's selection: leaf (the finest groups) or eom (fewer, larger clusters).")
@click.option("--cluster-min-share", type=click.FloatRange(0.0005, 0.5), default=0.02, show_default=True, help="Smallest cluster, as a share of the points.")
def project(collection_path: Path, models: tuple[str, ...], layers: tuple[str, ...], methods: tuple[str, ...], seed: int, refit: bool, report: bool,
            show_clusters: bool, cluster_space: str, cluster_selection: str, cluster_min_share: float):
    """Compute the whole collection's 2D maps (new tracks are placed into existing maps)."""
    from tagscape.collection import open_collection
    from tagscape.models.registry import get_model
    from tagscape.analysis.trust import map_trust
    from tagscape.projections.maps import MapStore

    with open_collection(collection_path) as collection:
        model_ids = list(models) or collection.store.result_models()
        if not model_ids:
            raise click.UsageError("nothing extracted yet; run: tagscape extract")
        maps = MapStore(collection)
        rows = []
        for model_id in model_ids:
            for layer in layers or [layer.name for layer in get_model(model_id).layers]:
                for method in methods or ("pca", "std-pca", "tsne", "umap"):
                    fresh = maps.load(model_id, layer, method) is not None and not refit
                    started = time.monotonic()
                    if not fresh:
                        bar, update = _progress_bar(f"{model_id} {layer} {method}")
                        with bar:
                            update(0, 1)
                            maps.compute(model_id, layer, method, random_state=seed, refit=refit, progress=update)
                            update(1, 1)
                    line = f"{model_id:<14} {layer:<10} {method:<8} {'up to date' if fresh else f'{time.monotonic() - started:.1f} s'}"
                    if report:
                        values = collection.layer(model_id, layer).values
                        coords = maps.load(model_id, layer, method)["coords"][:, :2]
                        trust = map_trust(high=values, low=coords, k=10, sample=5000)
                        line += (f"  trustworthiness {trust['trustworthiness']:.3f}  10-NN kept {trust['knn_kept']:.3f}  "
                                 f"hubness {trust['hubness_layer']:.2f} (layer) {trust['hubness_map']:.2f} (map)  (sample {trust['sample']})")
                    rows.append(line)
                    click.echo(line)
                    if show_clusters:
                        from tagscape.analysis.clusters import projection_clusters

                        found = projection_clusters(collection, collection.projection(model_id, layer, method), space=cluster_space,
                                                    selection=cluster_selection, min_share=cluster_min_share, random_state=seed, max_layer_points=None)
                        for text in found.lines():
                            click.echo(f"    {text}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@collection_option
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP + " Default: all extracted.")
@click.option("--layer", type=click.Choice(["taggrams", "embeddings"]), help="Layer (default: taggrams; embeddings for a model without tags).")
@click.option("--projection", "projections", multiple=True, type=click.Choice(["original", "pca", "std-pca", "tsne", "umap"]),
              help="Map (repeatable). Default: pca.")
@click.option("-x", "x", default="0", show_default=True, help="X axis (a dimension, component or tag name).")
@click.option("-y", "y", default="1", show_default=True, help="Y axis.")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50), help="Nearest tracks listed per map.")
@click.option("--add", is_flag=True, help="Also add the file to the collection (copied to its audio folder's added/).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (every segment's position).")
def place(file: Path, collection_path: Path, models: tuple[str, ...], layer: str | None, projections: tuple[str, ...], x: str, y: str,
          k: int, add: bool, as_json: bool):
    """Place a new audio FILE on the collection's maps: where its segments land and its nearest tracks."""
    from tagscape.collection import open_collection
    from tagscape.place import MapSpec, Placer

    with open_collection(collection_path) as collection:
        model_ids = list(models) or collection.store.result_models()
        if not model_ids:
            raise click.UsageError("nothing extracted yet; run: tagscape extract")
        specs = [MapSpec(model_id, layer, projection, x, y) for model_id in model_ids for projection in projections or ("pca",)]
        result = Placer().place(collection, file, specs, k=k, add=add)
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    click.echo(f"{result.name}: {result.duration_seconds:.1f} s")
    for placed in result.maps:
        centre = placed.coords.mean(axis=0)
        click.echo(f"{placed.spec.model_id} {placed.layer} {placed.spec.projection} ({placed.axis_labels[0]}, {placed.axis_labels[1]}): "
                   f"{len(placed.coords)} segments around ({centre[0]:.3f}, {centre[1]:.3f}), by {placed.placement}")
        if placed.placement == "nearest-neighbours":
            click.echo(f"  {placed.note}")
        for rank, item in enumerate(placed.neighbours, 1):
            click.echo(f"  {rank}. {item['similarity']:.3f}  {item['artist'] or '?'} - {item['title']}  (track {item['track_id']})")
    if result.added_track_id is not None:
        click.echo(f"Added as track {result.added_track_id}; other models: tagscape extract -c {collection_path}; maps: tagscape project -c {collection_path}")


@main.command()
@collection_option
@click.option("--model", "-m", "model_id", required=True, type=_model_choice(), help="Model whose layer the path goes through.")
@click.option("--layer", default="taggrams", show_default=True, type=click.Choice(["taggrams", "embeddings"]))
@click.option("--from", "start", required=True, type=click.IntRange(0, 2**63 - 1), help="Start track id.")
@click.option("--to", "end", required=True, type=click.IntRange(0, 2**63 - 1), help="End track id.")
@click.option("-n", "n", default=10, show_default=True, type=click.IntRange(2, 200), help="Items on the path, start and end included.")
@click.option("--level", default="track", show_default=True, type=click.Choice(["track", "segment"]), help="Whole tracks (means) or segments.")
@click.option("--from-segment", type=click.IntRange(0, 2**63 - 1), help="With --level segment: the start track's segment (default 0).")
@click.option("--to-segment", type=click.IntRange(0, 2**63 - 1), help="With --level segment: the end track's segment (default 0).")
@click.option("--distinct-artists", is_flag=True, help="Each artist at most once (start and end excepted).")
@click.option("--m3u", "m3u", type=click.Path(dir_okay=False, path_type=Path), help="Write the path as an M3U playlist.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the path as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def path(collection_path: Path, model_id: str, layer: str, start: int, end: int, n: int, level: str, from_segment: int | None,
         to_segment: int | None, distinct_artists: bool, m3u: Path | None, csv_path: Path | None, as_json: bool):
    """The smoothest path between two tracks: the largest step through the layer's neighbour graph is as small as it can be."""
    from tagscape.collection import open_collection
    from tagscape.paths import CLI_GRAPH_NODES, path_between
    from tagscape.web.audio import remote_url

    with open_collection(collection_path) as collection:
        result = path_between(collection, model_id, layer, start_track=start, end_track=end, start_segment=from_segment, end_segment=to_segment,
                              n=n, level=level, distinct_artists=distinct_artists, max_nodes=CLI_GRAPH_NODES)

        def location(item: dict) -> str:
            track = collection.track(item["track_id"])
            where = remote_url(track) or str(collection.local_audio_path(track))
            return where if item["segment"] is None else f"#EXTVLCOPT:start-time={item['start']:g}\n#EXTVLCOPT:stop-time={item['end']:g}\n{where}"

        if m3u:
            m3u.write_text(result.to_m3u(location))
    if csv_path:
        csv_path.write_text(result.to_csv())
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    for i, item in enumerate(result.items, 1):
        where = "" if item["segment"] is None else f" [{item['start']:g}-{item['end']:g} s]"
        step = "" if item["step"] is None else f"{item['step']:.4f}"
        click.echo(f"{i:>3}. {step:>7}  {item['artist'] or '?'} - {item['title']}{where}  (track {item['track_id']})")
    click.echo(f"largest step {result.bottleneck:.4f} (cosine distance); {result.note}")


@main.group()
def study():
    """Listening studies: do listeners agree with the models' nearest neighbours?"""


@study.command("create")
@collection_option
@click.option("--model", "-m", "models", multiple=True, required=True, type=_model_choice(), help="A model to compare (repeatable, 1 to 4).")
@click.option("--layer", default="embeddings", show_default=True, type=click.Choice(["embeddings", "taggrams"]))
@click.option("--trials", default=20, show_default=True, type=click.IntRange(1, 500), help="Trials (a reference and its candidates each).")
@click.option("--name", help="What raters see as the study's title (default: 'Listening study'; do not name the models).")
@click.option("--seed", default=0, show_default=True, help="Seeds the references, the controls and the candidates' order.")
@click.option("--control/--no-control", default=True, show_default=True, help="Add a random segment of another artist to each trial.")
def study_create(collection_path: Path, models: tuple[str, ...], layer: str, trials: int, name: str | None, seed: int, control: bool):
    """Draw a study's trials and print the raters' link."""
    from tagscape.collection import open_collection
    from tagscape.study import create_study

    with open_collection(collection_path) as collection:
        made = create_study(collection, models=models, layer=layer, n_trials=trials, name=name, seed=seed, control=control)
    click.echo(f"study {made['study_id']}: {made['n_trials']} trials of {', '.join(made['models'])} ({layer})")
    click.echo(f"raters open: http://HOST:PORT/study/{made['token']}  (tagscape serve -c {collection_path})")
    click.echo(f"results: tagscape study results -c {collection_path} {made['study_id']}")


@study.command("results")
@collection_option
@click.argument("study_id", type=click.IntRange(0, 2**63 - 1))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the rates as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def study_results_command(collection_path: Path, study_id: int, csv_path: Path | None, as_json: bool):
    """Each model's preference rate (95 % Wilson interval) and the raters' agreement (Krippendorff's alpha)."""
    from tagscape.collection import open_collection
    from tagscape.study import study_results

    with open_collection(collection_path, readonly=True) as collection:
        result = study_results(collection, study_id)
    if csv_path:
        csv_path.write_text(result.to_csv())
    if as_json:
        click.echo(json.dumps(result.to_json()))
        return
    click.echo(f"{result.study['name']}: {result.n_answers} answers from {result.n_raters} raters over {result.study['n_trials']} trials")
    for row in result.rates:
        rate = "-" if row["rate"] is None else f"{row['rate']:.3f}  [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        click.echo(f"  {row['source']:<16} chosen {row['chosen']:>4} of {row['answers']:<4} {rate}")
    alpha = "undefined (no trial has two answers that vary)" if result.alpha is None else f"{result.alpha:.3f}"
    click.echo(f"  agreement: Krippendorff's alpha (nominal) {alpha} over {result.n_units} trials")


@main.command("index-similarity")
@collection_option
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP + " Default: all extracted.")
@click.option("--layer", "layers", multiple=True, type=click.Choice(["embeddings", "taggrams"]), help="Layer (repeatable). Default: embeddings.")
@click.option("--level", "levels", multiple=True, type=click.Choice(["segment", "track"]), help="Segments, track means, or both (default).")
@click.option("--force", is_flag=True, help="Build even when the index is up to date or exact search needs none.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads (default: all cores).")
def index_similarity(collection_path: Path, models: tuple[str, ...], layers: tuple[str, ...], levels: tuple[str, ...], force: bool, threads: int | None):
    """Build the nearest-neighbour indexes of "similar music" (stale ones are rebuilt)."""
    from tagscape.collection import open_collection
    from tagscape.similarity.index import LEVELS, SimilarityStore

    with open_collection(collection_path) as collection:
        model_ids = list(models) or collection.store.result_models()
        if not model_ids:
            raise click.UsageError("nothing extracted yet; run: tagscape extract")
        store = SimilarityStore(collection)
        for model_id in model_ids:
            for layer in layers or ("embeddings",):
                for level in levels or LEVELS:
                    bar, update = _progress_bar(f"{model_id} {layer} {level}")
                    with bar:
                        done = store.build(model_id, layer, level, force=force, threads=threads or 0, progress=update)
                    what = {"built": f"built in {done['seconds']:.1f} s ({done['bytes'] / 2**20:,.1f} MiB)", "fresh": "up to date",
                            "not-needed": f"exact search (at most {store.exact_limit:,}): no index needed"}[done["status"]]
                    click.echo(f"{model_id:<14} {layer:<10} {level:<8} {done['vectors']:>10,} vectors  {what}")


def _serve(collection_path: Path, host: str, port: int, *, read_only: bool = False, warm_up: bool = True,
           allowed_hosts: tuple[str, ...] = ()) -> None:
    from tagscape.web import allowed_hosts as hosts_for, create_app

    hosts = hosts_for(host, allowed_hosts)
    app = create_app(str(collection_path), {"TAGSCAPE_WARM_UP": warm_up, "TAGSCAPE_ALLOWED_HOSTS": hosts}, read_only=read_only)
    from tagscape.web.devserver import development_server

    server = development_server(app, host, port)
    click.echo(f"tagscape is serving {collection_path} on http://{host}:{port}/  (Ctrl+C stops it)")
    click.echo(f"it answers to the host names {', '.join(hosts)}; --allowed-host NAME adds one")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@collection_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--production", is_flag=True, help="Serve many users: gunicorn with several worker processes (instead of Flask's development server).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None, help="With --production: worker processes (default: one per core, at least 2).")
@click.option("--threads", type=click.IntRange(min=1), default=8, show_default=True, help="With --production: threads per worker process.")
@click.option("--read-only", is_flag=True, help="Never write the collection's data folder (maps and arrays must be up to date: tagscape project).")
@click.option("--warm-up/--no-warm-up", default=True, show_default=True, help="Compile UMAP in the background at start (each worker process).")
@click.option("--access-log", is_flag=True, help="With --production: log every request on stdout.")
@click.option("--allowed-host", "allowed_host", multiple=True, metavar="NAME",
              help="Also answer requests for this host name (repeatable; '.example.org' takes its subdomains too; '*' any name, "
              "behind a reverse proxy that checks Host). Other names than those of --host are refused: a web page whose DNS name "
              "is rebound to this machine cannot read the collection.")
def serve(collection_path: Path, host: str, port: int, production: bool, workers: int | None, threads: int, read_only: bool, warm_up: bool,
          access_log: bool, allowed_host: tuple[str, ...]):
    """Open the explorer on a collection in the browser."""
    from tagscape.collection import open_collection

    open_collection(collection_path, readonly=read_only).close()  # a clear error before the server starts
    if not production:
        if workers is not None:
            raise click.UsageError("--workers goes with --production")
        _serve(collection_path, host, port, read_only=read_only, warm_up=warm_up, allowed_hosts=allowed_host)
        return
    from tagscape.web.serve import ServerOptions, serve_production

    options = ServerOptions(host=host, port=port, workers=workers or 0, threads=threads, read_only=read_only, warm_up=warm_up,
                            access_log=access_log, allowed_hosts=allowed_host)
    mode = ", read-only" if read_only else ""
    click.echo(f"tagscape is serving {collection_path} on http://{host}:{port}/ with gunicorn, {options.n_workers} workers x {threads} threads{mode}  (Ctrl+C stops it)")
    from tagscape.web import allowed_hosts

    click.echo(f"it answers to the host names {', '.join(allowed_hosts(host, allowed_host))}; --allowed-host NAME adds one")
    serve_production(str(collection_path), options)


def _default_workers() -> int:
    import os

    return max(1, min(os.cpu_count() or 1, 4))


@main.command()
@click.argument("folder", default="demo-collection", type=click.Path(file_okay=False, path_type=Path))
@click.option("--synthetic", is_flag=True, help="The synthesised collection (8 styles of sine-based instruments) instead of real music.")
@click.option("--full", is_flag=True, help="Whole tracks instead of 45 s excerpts (hours of audio; real music only).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Where Debian packages are kept (default ~/.cache/tagscape/demo).")
@click.option("--seed", default=0, show_default=True, help="With --synthetic: seed of the synthesised music.")
@click.option("--per-style", default=4, show_default=True, type=click.IntRange(1, 50), help="With --synthetic: tracks per style.")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=_default_workers, show_default="cores, at most 4", help="Files analysed in parallel.")
@click.option("--serve/--no-serve", default=True, help="Start the server when the collection is ready.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def demo(folder: Path, synthetic: bool, full: bool, cache_dir: Path | None, seed: int, per_style: int, workers: int, serve: bool,
         host: str, port: int):
    """Build the demo collection, extract it, serve it: excerpts of freely licensed music from Debian packages
    (downloaded once into the cache), or synthesised music where packages cannot be downloaded."""
    from tagscape.collection import index_folder, open_collection
    from tagscape.demo.build import prepare_demo
    from tagscape.extract import extract_collection

    bar, update = _progress_bar("Building the demo")
    with bar:
        result = prepare_demo(folder, synthetic=synthetic, full=full, seed=seed, per_style=per_style, cache_dir=cache_dir,
                              say=lambda line: bar.console.print(line, soft_wrap=True, highlight=False), progress=update)
    if result.reused:
        click.echo(f"{folder} already holds the {'real-music' if result.kind == 'real' else 'synthesised'} demo")
    else:
        what = "real music (see SOURCES.md)" if result.kind == "real" else "synthesised music"
        fetched = f", {result.fetched_bytes / 1e6:.0f} MB downloaded" if result.fetched_bytes else ""
        click.echo(f"{result.tracks} tracks of {what}, {result.seconds / 3600:.2f} h, written to {folder}{fetched}")
    for what, why in result.skipped:
        click.echo(f"  left out: {what}: {why}")
    report = index_folder(folder)
    click.echo(f"{report.total} tracks indexed ({report.added} new, {report.changed} changed, {report.removed} removed)")
    with open_collection(folder) as collection:
        bar, update = _progress_bar("Extracting")
        with bar:
            extracted = extract_collection(collection, workers=workers, progress=lambda d, t, s: update(d, t))
    click.echo(f"{extracted.done} tracks extracted, {extracted.failed} failed")
    if serve:
        _serve(folder, host, port)


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
@click.option("--collection", "-c", "collection_path", type=click.Path(file_okay=False, path_type=Path),
              help="Also report on this collection (opened read-only).")
def doctor(collection_path: Path | None):
    """One screen for a bug report: versions, devices, model weights, places, the explorer, a collection."""
    from tagscape.doctor import format_report, report

    click.echo(format_report(report(collection_path)), nl=False)


class _TrackCount(click.ParamType):
    """``all`` or a positive number of tracks."""

    name = "N|all"

    def convert(self, value, param, ctx):
        if value is None or str(value).lower() == "all":
            return None
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{value!r} is neither 'all' nor a number of tracks >= 1", param, ctx)
        return number


@main.command("export-site")
@collection_option
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--model", "-m", "models", multiple=True, type=_model_choice(), help=MODEL_HELP + " Default: all extracted.")
@click.option("--layer", "layers", multiple=True, type=click.Choice(["taggrams", "embeddings"]), help="Layer (repeatable). Default: both.")
@click.option("--method", "methods", multiple=True, type=click.Choice(["pca", "std-pca", "tsne", "umap"]),
              help="Map (repeatable; t-SNE/UMAP not computed by tagscape project are computed now, within the on-demand limit). Default: pca, tsne.")
@click.option("--components", default=2, show_default=True, type=click.IntRange(2, 10), help="PCA maps offer every pair of their first N axes.")
@click.option("--tracks", default="all", show_default=True, type=_TrackCount(), help="The first N tracks, or all.")
@click.option("--audio", default="clips", show_default=True, type=click.Choice(["clips", "full", "none"]),
              help="clips: the first --clip-seconds of each track; full: whole tracks; none: no sound.")
@click.option("--bitrate", default=64, show_default=True, type=click.IntRange(6, 256), help="Ogg Opus bitrate, kbit/s.")
@click.option("--clip-seconds", default=30.0, show_default=True, type=click.FloatRange(3, 60), help="Length of a clip.")
def export_site_command(collection_path: Path, out: Path, models: tuple[str, ...], layers: tuple[str, ...], methods: tuple[str, ...],
                        components: int, tracks: int | None, audio: str, bitrate: int, clip_seconds: float):
    """Write the explorer of a collection as a static folder (OUT) for any static web server:
    the chosen maps, track views, similar music, tag views and audio, no tagscape process needed."""
    from tagscape.export_site import export_site

    report = export_site(collection_dir=collection_path, out=out, models=list(models) or None, layers=tuple(layers) or ("taggrams", "embeddings"),
                         projections=tuple(methods) or ("pca", "tsne"), components=components, tracks=tracks, audio=audio,
                         bitrate=bitrate, clip_seconds=clip_seconds, progress=lambda message: click.echo(message, err=True))
    for line in report.lines():
        click.echo(line)
    click.echo(f"Serve it with: python -m http.server -d {out}")
