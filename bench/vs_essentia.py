"""tagscape against Essentia on the same 16 kHz samples: the taggrams and embeddings of the
four musicnn models, as the paper's system (MTG's music-explore) extracted them with Essentia.

Two throwaway environments, never tagscape dependencies:

* frozen graphs, made from the `musicnn` checkpoints by TensorFlow as Essentia's published
  ``*-musicnn-1.pb`` / ``*-vgg-1.pb`` were (see tests/data/reference/make_reference.py)::

      /tmp/tfenv/bin/python tests/data/reference/make_reference.py --freeze /tmp/frozen

* Essentia with TensorFlow::

      python3 -m venv /tmp/esenv && /tmp/esenv/bin/pip install essentia-tensorflow 'numpy<2'

Then, from the repository root::

      .venv/bin/python bench/vs_essentia.py --graphs /tmp/frozen --essentia-python /tmp/esenv/bin/python

``--timing FILE`` times instead, on one recording (a 4-minute track, say), tagscape against
Essentia in the same run, alternating, best of ``--repeats`` (``bench/extract.py --vs-essentia``
calls this): whole processes (start, imports, model loading, decoding, every patch:
``tagscape analyze`` against an Essentia script with MonoLoader at 16 kHz and
TensorflowPredictMusiCNN, patchHopSize 187) and the steady state inside a process (models
loaded, the file analysed again), for musicnn-msd alone and for all four models (Essentia: one
loader, four predictors). Ratios are Essentia's time over tagscape's.

Every file (default: the six recordings of tests/data/music) is decoded and resampled once by
tagscape; both sides read exactly those samples. Essentia computes its own log-mel (frames
not centred), so the agreement to expect is that of VGG's embeddings, which were always the
right node. For each model and layer it prints: the mean and max |difference| over the
patches both produce, both divided by the largest |value| of Essentia's output ("of scale"),
the relative Frobenius difference, and the share of negative values on each side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("musicnn-msd", "musicnn-mtt", "vgg-msd", "vgg-mtt")
EMBEDDING_NODE = {"musicnn": "model/dense/BiasAdd", "vgg": "model/flatten/Reshape"}


def essentia_worker(samples_path: str, out_path: str, graphs: str) -> None:
    """In the Essentia environment: both outputs of every model for every signal."""
    import essentia.standard as es

    signals = dict(np.load(samples_path))
    out = {}
    for model_id in MODELS:
        graph = str(Path(graphs) / f"{model_id}.pb")
        nodes = {"taggrams": "model/Sigmoid", "embeddings": EMBEDDING_NODE[model_id.split("-")[0]]}
        for layer, node in nodes.items():
            predict = es.TensorflowPredictMusiCNN(graphFilename=graph, output=node, patchHopSize=187, isTrainingName="model/Placeholder_1")
            for name, y in signals.items():
                out[f"{name}|{model_id}|{layer}"] = np.asarray(predict(y.astype(np.float32)), np.float32)
    np.savez(out_path, **out)


def essentia_timing_worker(path: str, graphs: str, model_ids: list[str], repeats: int) -> None:
    """In the Essentia environment: analyse ``path`` with the models; print the steady-state time."""
    import json
    import time as clock

    import essentia.standard as es

    predictors = [es.TensorflowPredictMusiCNN(graphFilename=str(Path(graphs) / f"{m}.pb"), output="model/Sigmoid", patchHopSize=187,
                                              isTrainingName="model/Placeholder_1") for m in model_ids]
    best = None
    for _ in range(repeats):
        started = clock.perf_counter()
        audio = es.MonoLoader(filename=path, sampleRate=16000)()
        taggrams = [predict(audio) for predict in predictors]
        elapsed = clock.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(json.dumps({"steady": best, "patches": len(taggrams[0]), "taggram_means": [t.mean(axis=0).tolist() for t in taggrams]}))


def tagscape_timing_worker(path: str, model_ids: list[str], repeats: int) -> None:
    import json
    import time as clock

    from tagscape.pipeline import Extractor

    extractor = Extractor(model_ids)
    best = None
    for _ in range(repeats):
        started = clock.perf_counter()
        analysis = extractor.analyze(path)
        elapsed = clock.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    layers = [analysis.models[m].layers["taggrams"] for m in model_ids]
    print(json.dumps({"steady": best, "patches": len(layers[0]), "taggram_means": [t.mean(axis=0).tolist() for t in layers]}))


def timing(path: Path, *, graphs: str, essentia_python: str, repeats: int = 3, say=print) -> dict:
    """Whole-process and steady-state times of tagscape and Essentia on ``path`` (see the module's doc)."""
    import json
    import os
    import time as clock

    here = str(Path(__file__).resolve())
    results = {}
    for label, model_ids in (("one model (musicnn-msd)", ["musicnn-msd"]), ("four models", list(MODELS))):
        whole = {"tagscape": [], "essentia": []}
        steady = {}
        for _ in range(repeats):  # alternating, so both see the same load
            for side in ("tagscape", "essentia"):
                if side == "tagscape":
                    command = [sys.executable, here, "--graphs", graphs, "--time-tagscape", str(path), *model_ids]
                else:
                    command = [essentia_python, here, "--graphs", graphs, "--time-essentia", str(path), *model_ids]
                started = clock.perf_counter()
                run = subprocess.run(command + ["--repeats", "1"], capture_output=True, text=True, check=True)
                whole[side].append(clock.perf_counter() - started)
                steady.setdefault(side, json.loads(run.stdout.strip().splitlines()[-1]))
        for side, python, flag in (("tagscape", sys.executable, "--time-tagscape"), ("essentia", essentia_python, "--time-essentia")):
            run = subprocess.run([python, here, "--graphs", graphs, flag, str(path), *model_ids, "--repeats", str(repeats)],
                                 capture_output=True, text=True, check=True)
            steady[side] = {**steady[side], **json.loads(run.stdout.strip().splitlines()[-1])}
        agreement = max(abs(a - b) for ours, theirs in zip(steady["tagscape"]["taggram_means"], steady["essentia"]["taggram_means"])
                        for a, b in zip(ours, theirs))
        row = {"whole": {k: min(v) for k, v in whole.items()}, "whole_all": whole, "steady": {k: v["steady"] for k, v in steady.items()},
               "patches": {k: v["patches"] for k, v in steady.items()}, "max_mean_taggram_difference": agreement,
               "load": os.getloadavg()}
        results[label] = row
        say(f"{label}: whole process tagscape {row['whole']['tagscape']:.2f} s, Essentia {row['whole']['essentia']:.2f} s "
            f"(Essentia / tagscape {row['whole']['essentia'] / row['whole']['tagscape']:.2f}x); steady state tagscape "
            f"{row['steady']['tagscape']:.2f} s, Essentia {row['steady']['essentia']:.2f} s "
            f"({row['steady']['essentia'] / row['steady']['tagscape']:.2f}x); patches {row['patches']}; "
            f"mean taggrams agree within {agreement:.4f}; load {' '.join(f'{x:.2f}' for x in row['load'])}")
        say(f"    all whole-process runs: tagscape {', '.join(f'{t:.2f}' for t in whole['tagscape'])}; "
            f"Essentia {', '.join(f'{t:.2f}' for t in whole['essentia'])}")
    return results


def tagscape_outputs(signals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from tagscape.audio.mel import log_mel, patches_from_frames
    from tagscape.models.registry import MODELS as SPECS
    from tagscape.models.session import load_tagger

    out = {}
    for model_id in MODELS:
        tagger = load_tagger(SPECS[model_id], threads=2)
        for name, y in signals.items():
            result = tagger(patches_from_frames(log_mel(y), patch_frames=187))
            for layer in ("taggrams", "embeddings"):
                out[f"{name}|{model_id}|{layer}"] = result[layer]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--graphs", required=True, help="folder of <model>.pb frozen graphs (make_reference.py --freeze)")
    parser.add_argument("--essentia-python", default="/tmp/esenv/bin/python", help="a Python with essentia-tensorflow")
    parser.add_argument("--timing", type=Path, metavar="FILE", help="time tagscape against Essentia on FILE instead")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=2, metavar=("SAMPLES", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--time-essentia", nargs="+", metavar=("FILE", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--time-tagscape", nargs="+", metavar=("FILE", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        essentia_worker(*args.worker, args.graphs)
        return
    if args.time_essentia:
        essentia_timing_worker(args.time_essentia[0], args.graphs, args.time_essentia[1:], args.repeats)
        return
    if args.time_tagscape:
        tagscape_timing_worker(args.time_tagscape[0], args.time_tagscape[1:], args.repeats)
        return
    if args.timing:
        timing(args.timing, graphs=args.graphs, essentia_python=args.essentia_python, repeats=args.repeats)
        return

    from tagscape.audio.decode import load_audio

    files = args.files or sorted(p for p in (ROOT / "tests" / "data" / "music").iterdir() if p.suffix in {".mp3", ".ogg", ".flac"})
    signals = {path.stem: np.asarray(load_audio(path), np.float32) for path in files}
    with tempfile.TemporaryDirectory() as tmp:
        samples, essentia_out = Path(tmp) / "samples.npz", Path(tmp) / "essentia.npz"
        np.savez(samples, **signals)
        subprocess.run([args.essentia_python, __file__, "--graphs", args.graphs, "--worker", str(samples), str(essentia_out)],
                       check=True, stderr=subprocess.DEVNULL)
        theirs = dict(np.load(essentia_out))
    ours = tagscape_outputs(signals)

    print(f"{len(signals)} files, {sum(y.size for y in signals.values()) / 16000:.0f} s of audio at 16 kHz, the same samples on both sides")
    print(f"{'model':<12} {'layer':<10} {'patches':>7} {'mean|d|/scale':>13} {'max|d|/scale':>12} {'rel. Frob.':>10} {'neg. ours':>9} {'neg. Essentia':>13}")
    for model_id in MODELS:
        for layer in ("taggrams", "embeddings"):
            a, b = [], []
            for name in signals:
                x, y = ours[f"{name}|{model_id}|{layer}"], theirs[f"{name}|{model_id}|{layer}"]
                n = min(len(x), len(y))
                a.append(x[:n]), b.append(y[:n])
            a, b = np.concatenate(a), np.concatenate(b)
            scale = float(np.abs(b).max())
            diff = np.abs(a - b)
            print(f"{model_id:<12} {layer:<10} {len(a):>7} {diff.mean() / scale:>13.2e} {diff.max() / scale:>12.2e} "
                  f"{np.linalg.norm(a - b) / np.linalg.norm(b):>10.2e} {(a < 0).mean():>9.2f} {(b < 0).mean():>13.2f}")


if __name__ == "__main__":
    sys.exit(main())
