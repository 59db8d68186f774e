"""Shared fixtures: real components only (files on disk, SQLite in tmp_path, real models)."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
MUSIC = DATA / "music"
REFERENCE = DATA / "reference"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def write_audio(path: Path, samples: np.ndarray, sr: int, *, codec: str | None = None, bit_rate: int | None = None) -> Path:
    """Encode ``samples`` (``(n,)`` mono or ``(channels, n)``) with PyAV; the codec follows the suffix."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    codec = codec or {".mp3": "libmp3lame", ".ogg": "libvorbis", ".opus": "libopus", ".flac": "flac", ".wav": "pcm_s16le", ".m4a": "aac"}[path.suffix]
    if codec == "libvorbis" and codec not in av.codecs_available:
        codec = "vorbis"
    options = {}
    if codec == "vorbis":  # FFmpeg's own Vorbis encoder: experimental, stereo only
        options = {"strict": "-2"}
        samples = np.repeat(samples[:1], 2, axis=0) if samples.shape[0] == 1 else samples
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sr, layout=layout, options=options)
        if bit_rate:
            stream.bit_rate = bit_rate
        fmt = stream.codec_context.format.name
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, samples.shape[1], frame_size):
            block = samples[:, start : start + frame_size]
            if fmt.endswith("p"):
                data = block
            else:
                data = block.T.reshape(1, -1)
            if fmt.startswith("s16"):
                data = (np.clip(data, -1, 1) * 32767).astype(np.int16)
            elif fmt.startswith("s32"):
                data = (np.clip(data, -1, 1) * 2147483647).astype(np.int32)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout=layout)
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def chord(seconds: float, sr: int, freqs=(220.0, 277.2, 329.6), amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude / len(freqs) * sum(np.sin(2 * np.pi * f * t) for f in freqs)).astype(np.float32)


@pytest.fixture(scope="session")
def music_files() -> list[Path]:
    """The real recordings (excerpts) committed under tests/data/music."""
    files = sorted(p for p in MUSIC.iterdir() if p.suffix in {".mp3", ".ogg", ".flac", ".wav", ".opus", ".m4a"})
    assert len(files) >= 5, "tests/data/music should hold at least 5 real recordings"
    return files


@pytest.fixture
def music_folder(tmp_path, music_files) -> Path:
    """A collection folder: the real recordings in two subfolders."""
    root = tmp_path / "music"
    for i, path in enumerate(music_files):
        target = root / ("a" if i % 2 else "b") / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


# -- markers: `make test-fast` leaves out the browser and the cluster ---------------------------

#: Folders whose tests compare arrays computed along different paths (streaming vs whole signal,
#: our graphs vs the original's outputs, chunked vs one-shot PCA ...): `.ci/run` reruns them under
#: other BLAS kernels (OPENBLAS_CORETYPE), as a user's CPU would pick them.
NUMERIC_FOLDERS = ("audio", "models", "projections", "analysis", "similarity")


def pytest_collection_modifyitems(config, items):
    tests_root = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests_root).parts[0] if item.path.is_relative_to(tests_root) else ""
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if folder == "distributed":
            item.add_marker(pytest.mark.cluster)
        if folder in NUMERIC_FOLDERS:
            item.add_marker(pytest.mark.numeric)
