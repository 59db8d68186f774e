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
    parser.add_argument("--worker", nargs=2, metavar=("SAMPLES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        essentia_worker(*args.worker, args.graphs)
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
