"""Where the networks run: ONNX Runtime's CPU provider (the default) or CUDA.

``--device cuda`` needs ``onnxruntime-gpu`` (``pip install 'tagscape[gpu]'``), which ships the
CUDA execution provider; the plain ``onnxruntime`` package has none. The device is checked
twice: before loading (is the provider there at all?) and after (did ONNX Runtime really put
the graph on the GPU, or did it fall back to the CPU because CUDA could not start?), so a
run never goes on silently on the wrong device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

import onnxruntime as ort

from tagscape.errors import DeviceError, UsageError

#: Patches per ONNX Runtime call on each kind of device. CPU: measured by bench/extract.py on
#: 2 cores (batch 1 is the fastest and keeps the memory arena small; see session.py). CUDA:
#: a GPU needs many patches per call to be busy; 64 patches (3.2 minutes of audio for
#: MusiCNN/VGG, about 5 MB of input) fill one call for a typical track while bounding GPU
#: memory. Not measured here (no GPU on the machine this was written on).
BATCH_SIZES = {"cpu": 1, "cuda": 64}

GPU_INSTALL = "pip uninstall -y onnxruntime && pip install 'tagscape[gpu]'"
_DEVICE = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


@dataclass(frozen=True)
class Device:
    """A parsed ``--device``: ``cpu``, ``cuda`` or ``cuda:N``."""

    kind: str
    index: int = 0

    def __str__(self) -> str:
        return self.kind if self.kind == "cpu" else f"cuda:{self.index}"

    @property
    def batch_size(self) -> int:
        """Patches per network call that suit this device."""
        return BATCH_SIZES[self.kind]

    def providers(self) -> list:
        """ONNX Runtime execution providers, most preferred first."""
        if self.kind == "cpu":
            return ["CPUExecutionProvider"]
        return [("CUDAExecutionProvider", {"device_id": self.index}), "CPUExecutionProvider"]


def parse_device(value: str | Device | None) -> Device:
    """``cpu`` (default), ``cuda`` or ``cuda:N``; anything else is a usage error."""
    if isinstance(value, Device):
        return value
    match = _DEVICE.match((value or "cpu").strip().lower())
    if not match:
        raise UsageError(f"--device must be cpu, cuda or cuda:N, got {value!r}")
    if match[1] == "cpu" and match[2] is not None:
        raise UsageError(f"--device cpu takes no index, got {value!r}")
    return Device(match[1], int(match[2] or 0))


def _distribution(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def check_available(device: Device) -> None:
    """Raise :class:`DeviceError` with what to do when ``device`` cannot be used at all."""
    if device.kind == "cpu" or "CUDAExecutionProvider" in ort.get_available_providers():
        return
    gpu, cpu = _distribution("onnxruntime-gpu"), _distribution("onnxruntime")
    if gpu is None:
        raise DeviceError(f"--device {device} needs onnxruntime-gpu, which is not installed (onnxruntime {cpu or '?'} runs on the CPU only); install it with: {GPU_INSTALL}")
    if cpu is not None:
        raise DeviceError(
            f"--device {device}: onnxruntime-gpu {gpu} is installed, but so is the CPU-only onnxruntime {cpu}, which hides it; "
            f"fix it with: pip uninstall -y onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu=={gpu}"
        )
    raise DeviceError(f"--device {device}: onnxruntime-gpu {gpu} offers no CUDA provider (only {', '.join(ort.get_available_providers())})")


def check_session(device: Device, session: ort.InferenceSession) -> None:
    """Raise :class:`DeviceError` if ONNX Runtime fell back to the CPU for a CUDA session."""
    if device.kind == "cuda" and session.get_providers()[:1] != ["CUDAExecutionProvider"]:
        raise DeviceError(
            f"--device {device}: CUDA could not start (no GPU {device.index}, no NVIDIA driver, or CUDA/cuDNN libraries that do not "
            "match onnxruntime-gpu); see nvidia-smi, or run on the CPU (the default)"
        )
