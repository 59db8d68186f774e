"""Converted graphs on disk and ONNX Runtime sessions over them.

A model's graph is built from its checkpoint once and cached as
``<cache>/<model_id>-<hash>.onnx``, where the hash covers the checkpoint files and the
converter's version, so new weights or a changed converter make a new file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from tagscape import files
from tagscape.errors import CacheError, WeightsMissingError
from tagscape.models.checkpoint import load_checkpoint
from tagscape.models.devices import Device, check_available, check_session, parse_device
from tagscape.models.registry import ADDED_MANIFEST_FILE, ADDED_WEIGHTS_FILE, ModelSpec

#: Bump when graphs.py changes what it builds.
CONVERTER_VERSION = 3  # 3: every ReLU and batch norm before a max-pool moves after it (exact; see graphs.py)

CACHE_ENV = "TAGSCAPE_CACHE"

#: Patches per ONNX Runtime call. bench/extract.py on 2 cores: batch 1 is the fastest for all four
#: models (MusiCNN 56 vs 51 patches/s at 16, VGG 100 vs 81) and keeps the memory arena small
#: (peak RSS 2.7 GiB at 16 for all four models, 0.8 GiB at 4). Re-measured with the pool-first
#: graphs (converter 3) on 32 real patches of tests/data/reference, `load_tagger(spec, threads=t,
#: batch_size=b)` timed by hand, best of 3: on one thread, as each model runs when the
#: models are at least as many as the cores, batch 1 is still the fastest (MusiCNN 26.6 ms a patch
#: against 27.2-28.0 at 2-16, VGG 16.2 against 16.3-17.5). One model on two threads gains from
#: batches (MusiCNN 14.0 against 16.1 ms, VGG 9.2 at 16 against 10.7), but MusiCNN's outputs then
#: change in their last bits (ONNX Runtime's dense kernels depend on the batch; VGG's do not).
DEFAULT_BATCH_SIZE = 1

#: VGGish on the CPU wants larger batches: its dense layers hold 67 M weights (268 MB), read once
#: per call, so small batches are bound by memory bandwidth. Measured on 2 cores (random weights,
#: 2 threads, best of 5 interleaved rounds): 62 patches/s at batch 1, 106 at 4, 119 at 8, 123 at
#: 16, 127 at 32, 126 at 64; peak RSS 605 MiB whatever the batch (the weights dominate).
VGGISH_BATCH_SIZE = 32

#: Patches per call on the CPU for architectures that differ from the device's default.
CPU_BATCH_SIZES = {"vggish": VGGISH_BATCH_SIZE}


def cache_dir() -> Path:
    """Where converted graphs live: ``$TAGSCAPE_CACHE`` or ``~/.cache/tagscape``."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "tagscape")
    return Path(root) / "models"


def weights_hash(folder: Path) -> str:
    """Hash of a checkpoint folder's index and data files plus the converter version.

    For weights added with ``models add``, the small ``source.json`` stands for the large
    ``weights.npz``: it records that file's SHA-256.
    """
    digest = hashlib.sha256(f"converter-{CONVERTER_VERSION}".encode())
    for path in sorted(folder.glob(".index")) + sorted(folder.glob(".data-*")) + sorted(folder.glob(ADDED_MANIFEST_FILE)):
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def load_variables(spec: ModelSpec, folder: Path) -> dict[str, np.ndarray]:
    """A model's variables from its weights folder (a checkpoint, or the ``weights.npz`` of ``models add``)."""
    if spec.weights_source == "added":
        with np.load(folder / ADDED_WEIGHTS_FILE) as npz:
            return {name: npz[name] for name in npz.files}
    return load_checkpoint(folder)


def converted_path(spec: ModelSpec) -> Path:
    """The cached ONNX file for ``spec``, converting it first if needed."""
    folder = spec.weights_dir()
    path = cache_dir() / f"{spec.model_id}-{weights_hash(folder)}.onnx"
    if not path.is_file():
        # onnx (and its ml_dtypes) takes 0.7-2 s to import: only a conversion needs it, not a run.
        from tagscape.models.graphs import BUILDERS

        model = BUILDERS[spec.architecture](load_variables(spec, folder))
        tmp = None
        try:
            tmp = files.temp_path(path)  # a name of its own: threads and processes may convert at once
            tmp.write_bytes(model.SerializeToString())
            os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
        except OSError as exc:
            with contextlib.suppress(OSError):
                if tmp is not None:
                    tmp.unlink(missing_ok=True)
            raise CacheError(
                f"cannot write the converted {spec.model_id} graph to {path.parent} ({exc.strerror or exc}); "
                f"make it writable or point {CACHE_ENV} at a writable folder"
            ) from None
    return path


def cached_path(spec: ModelSpec) -> Path | None:
    """The converted file if it exists already (no conversion), else None."""
    try:
        folder = spec.weights_dir()
    except WeightsMissingError:
        return None
    path = cache_dir() / f"{spec.model_id}-{weights_hash(folder)}.onnx"
    return path if path.is_file() else None


@dataclass
class Tagger:
    """A loaded model: run it on log-mel patches."""

    spec: ModelSpec
    session: ort.InferenceSession
    batch_size: int = DEFAULT_BATCH_SIZE

    def __call__(self, patches: np.ndarray) -> dict[str, np.ndarray]:
        """Run on patches.

        Parameters
        ----------
        patches : ndarray [shape=(n, patch_frames, n_mels), dtype=float32]
            ``(n, 187, 96)`` for MusiCNN and VGG, ``(n, 96, 64)`` for VGGish.

        Returns
        -------
        dict
            One array per layer of the model: ``taggrams`` ``(n, 50)`` (not for VGGish) and
            ``embeddings`` ``(n, dims)``, float32.
        """
        names = [layer.name for layer in self.spec.layers]
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        for start in range(0, len(patches), self.batch_size):
            batch = np.ascontiguousarray(patches[start : start + self.batch_size], dtype=np.float32)
            for name, value in zip(names, self.session.run(names, {"mel": batch})):
                parts[name].append(value)
        return {
            layer.name: np.concatenate(parts[layer.name]) if parts[layer.name] else np.zeros((0, layer.size), np.float32)
            for layer in self.spec.layers
        }


def session_options(threads: int | None) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    # Threads that spin after a run fight the next model's threads and the mel front end for
    # the same cores: without spinning, the four taggers on a 4-minute MP3 took 7.7-8.8 s
    # instead of 16-17 s on 2 cores, and one model alone 2.9 s instead of 4.5 s (musicnn-msd).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def default_batch_size(spec: ModelSpec, device: Device) -> int:
    """Patches per call for a model on a device: the device's, except where :data:`CPU_BATCH_SIZES` says."""
    if device.kind == "cpu":
        return CPU_BATCH_SIZES.get(spec.architecture, device.batch_size)
    return device.batch_size


def load_tagger(spec: ModelSpec, *, threads: int | None = None, batch_size: int | None = None, device: str | Device | None = None) -> Tagger:
    """Convert (once) and load a model on ``device`` (``cpu``, the default, or ``cuda[:N]``).

    ``batch_size`` defaults to :func:`default_batch_size` (the device's; VGGish's own on the CPU).
    """
    device = parse_device(device)
    check_available(device)
    path = converted_path(spec)
    session = ort.InferenceSession(str(path), sess_options=session_options(threads), providers=device.providers())
    check_session(device, session)
    return Tagger(spec, session, batch_size or default_batch_size(spec, device))
