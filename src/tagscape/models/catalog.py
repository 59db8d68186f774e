"""What ``tagscape models list`` and ``/api/models`` say about each model."""

from __future__ import annotations

from tagscape.audio.resample import DESCRIPTIONS
from tagscape.errors import TagscapeError, WeightsMissingError
from tagscape.models.registry import ADDED_MANIFEST_FILE, MODELS, added_weights_root
from tagscape.models.session import cached_path


def weights_stamp() -> tuple:
    """When each added model's weights were stored (None: not added): changes when
    ``tagscape models add`` runs, so a server shows weights added while it runs."""
    stamps = []
    for spec in MODELS.values():
        if spec.weights_source == "added":
            manifest = added_weights_root() / spec.model_id / ADDED_MANIFEST_FILE
            stamps.append(manifest.stat().st_mtime_ns if manifest.is_file() else None)
    return tuple(stamps)


def model_status() -> list[dict]:
    """One dict per model: ids, dataset, layers with sizes, segment length, weights state."""
    rows = []
    for spec in MODELS.values():
        try:
            weights = str(spec.weights_dir())
            converted = cached_path(spec)
            status = f"found in {weights}; " + (f"converted: {converted}" if converted else "not converted yet (converted on first use)")
            available = True
        except WeightsMissingError as exc:
            weights, converted, available = None, None, False
            if spec.weights_source == "added":  # the one thing to do, first
                status = f"weights missing: download {spec.download} and run: {spec.add_command}"
            else:
                status = f"missing: {exc.message}"
        except TagscapeError as exc:
            weights, converted, status, available = None, None, f"missing: {exc.message}", False
        rows.append(
            {
                "model_id": spec.model_id,
                "architecture": spec.architecture,
                "dataset": spec.dataset,
                "layers": {layer.name: layer.size for layer in spec.layers},
                "layer_tensors": {layer.name: layer.tensor for layer in spec.layers},
                "layer_nodes": {layer.name: layer.node for layer in spec.layers},
                "tags": list(spec.tags or ()),
                "segment_seconds": spec.segment_seconds,
                "resampler": spec.mel.resampler,
                "resampler_description": DESCRIPTIONS[spec.mel.resampler],
                "weights_source": spec.weights_source,
                "download": spec.download,
                "add_command": spec.add_command or None,
                "available": available,
                "weights": weights,
                "converted": str(converted) if converted else None,
                "weights_status": status,
            }
        )
    return rows
