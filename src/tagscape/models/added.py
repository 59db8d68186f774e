"""Weights the user downloads and adds: ``tagscape models add MODEL FILE``.

VGGish's weights are in no package. The official release is a TF1 checkpoint
(``vggish_model.ckpt``, the V1 single-file format); Essentia publishes a frozen graph
(``audioset-vggish-3.pb``) whose ``Const`` nodes hold weights of the same architecture. A V2
checkpoint (``PREFIX.index`` + ``PREFIX.data-*``) with the same names is read too. Whatever
the source, the variables are matched by their ``vggish/...`` names, checked against the
architecture's shapes, stored as one ``weights.npz`` with a ``source.json`` beside it, and
converted to the cached ONNX graph at once.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tagscape.errors import CheckpointError, NotFoundError, UsageError, WeightsMissingError
from tagscape.models.checkpoint import load_checkpoint
from tagscape.models.checkpoint_v1 import is_v1_checkpoint, load_checkpoint_v1
from tagscape.models.graphdef import load_graph_constants
from tagscape.models.graphs import vggish_variable_shapes
from tagscape.models.registry import ADDED_MANIFEST_FILE, ADDED_WEIGHTS_ENV, ADDED_WEIGHTS_FILE, MODELS, ModelSpec, added_weights_root

#: The variables each added architecture needs, name -> shape.
EXPECTED = {"vggish": vggish_variable_shapes}


@dataclass
class AddReport:
    model_id: str
    source: Path
    source_format: str
    n_variables: int
    n_parameters: int
    weights_dir: Path
    converted: Path


def read_weights_file(path: Path) -> tuple[dict[str, np.ndarray], str]:
    """Every tensor of a checkpoint or frozen graph, and the format's name.

    ``path`` is a V1 checkpoint file, a frozen ``GraphDef`` (``.pb``), or a V2 checkpoint (its
    prefix, its ``.index`` file, or a folder holding ``.index``).
    """
    path = Path(path)
    v2_index = next((p for p in (path.with_name(path.name + ".index"), path / ".index") if p.is_file()), None)
    if path.suffix == ".index" and path.is_file():
        return load_checkpoint(path.with_suffix("")), "TensorFlow checkpoint (V2 tensor bundle)"
    if v2_index is not None and not path.is_file():
        return load_checkpoint(path), "TensorFlow checkpoint (V2 tensor bundle)"
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the checkpoint file (vggish_model.ckpt) or the frozen graph (.pb)")
    if is_v1_checkpoint(path):
        return load_checkpoint_v1(path), "TensorFlow 1 checkpoint (V1, single file)"
    constants = load_graph_constants(path)
    if not constants:
        raise CheckpointError(f"{path}: neither a TensorFlow checkpoint nor a frozen graph with constants")
    return constants, "frozen TensorFlow graph (GraphDef constants)"


def _canonical(name: str) -> str | None:
    """``model/vggish/conv1/weights:0`` -> ``vggish/conv1/weights``; None without ``vggish/``."""
    name = name.split(":")[0]
    if name.startswith("vggish/"):
        return name
    at = name.find("/vggish/")
    return name[at + 1 :] if at >= 0 else None


def match_variables(found: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]], *, what: str) -> dict[str, np.ndarray]:
    """Pick the expected variables out of ``found`` by name and check their shapes and values.

    Raises
    ------
    CheckpointError
        Naming every missing variable (and a few names the file does hold), or every shape
        that differs, or a variable with non-finite values.
    """
    by_name: dict[str, list[str]] = {}
    for name in found:
        canonical = _canonical(name)
        if canonical in expected:
            by_name.setdefault(canonical, []).append(name)
    missing = [name for name in expected if name not in by_name]
    if missing:
        sample = ", ".join(sorted(found)[:6]) or "nothing"
        raise CheckpointError(
            f"{what} lacks {len(missing)} of the {len(expected)} VGGish variables "
            f"({', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}); it holds {len(found)} tensors: {sample}"
            f"{' ...' if len(found) > 6 else ''}"
        )
    ambiguous = {name: sources for name, sources in by_name.items() if len(sources) > 1}
    if ambiguous:
        name, sources = next(iter(ambiguous.items()))
        raise CheckpointError(f"{what} holds {name} more than once: {', '.join(sources)}")
    variables, wrong = {}, []
    for name, shape in expected.items():
        value = found[by_name[name][0]]
        if tuple(value.shape) != shape:
            wrong.append(f"{name} is {tuple(value.shape)}, expected {shape}")
            continue
        if value.dtype.kind != "f":
            wrong.append(f"{name} has dtype {value.dtype}, expected floats")
            continue
        value = np.ascontiguousarray(value, dtype=np.float32)
        if not np.isfinite(value).all():
            raise CheckpointError(f"{what}: {name} holds NaN or infinite values")
        variables[name] = value
    if wrong:
        more = f"; and {len(wrong) - 3} more" if len(wrong) > 3 else ""
        raise CheckpointError(f"{what} does not have VGGish's shapes: " + "; ".join(wrong[:3]) + more)
    return variables


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def add_weights(spec: ModelSpec, path: Path) -> AddReport:
    """Read, check, store and convert the weights of an added model.

    The previous weights of the model, if any, are replaced only once the new ones are
    complete on disk.
    """
    from tagscape.models.session import converted_path

    if spec.weights_source != "added":
        raise UsageError(
            f"{spec.model_id}'s weights come with the musicnn package, not from a file; "
            f"models add takes: {', '.join(m for m, s in MODELS.items() if s.weights_source == 'added')}"
        )
    path = Path(path)
    found, source_format = read_weights_file(path)
    variables = match_variables(found, EXPECTED[spec.architecture](), what=str(path))
    folder = added_weights_root() / spec.model_id
    tmp = folder / f".{ADDED_WEIGHTS_FILE}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            np.savez(fh, **variables)
    except OSError as exc:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write the weights to {folder} ({exc.strerror or exc}); set {ADDED_WEIGHTS_ENV} to a writable folder") from None
    weights_sha = _sha256(tmp)
    source = path.resolve()
    manifest = {
        "model_id": spec.model_id,
        "source": str(source),
        "source_format": source_format,
        "source_sha256": _sha256(source) if source.is_file() else None,
        "weights_sha256": weights_sha,
        "variables": {name: list(value.shape) for name, value in variables.items()},
        "added": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    # Without its source.json a folder counts as missing, so a crash in between never pairs new
    # weights with an old manifest (whose hash names the converted graph).
    (folder / ADDED_MANIFEST_FILE).unlink(missing_ok=True)
    os.replace(tmp, folder / ADDED_WEIGHTS_FILE)
    tmp_manifest = folder / f".{ADDED_MANIFEST_FILE}.{os.getpid()}.tmp"
    tmp_manifest.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp_manifest, folder / ADDED_MANIFEST_FILE)
    converted = converted_path(spec)
    return AddReport(
        model_id=spec.model_id, source=path, source_format=source_format, n_variables=len(variables),
        n_parameters=int(sum(v.size for v in variables.values())), weights_dir=folder, converted=converted,
    )


def added_source(spec: ModelSpec) -> dict | None:
    """What ``models add`` recorded about an added model's weights, or None."""
    try:
        folder = spec.weights_dir()
    except WeightsMissingError:
        return None
    try:
        return json.loads((folder / ADDED_MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None
