"""What the web tests share besides fixtures: the HTML title of the XSS test, a tone writer."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

XSS_TITLE = "<img src=x onerror=alert(1)>"


def write_tone(path: Path, *, seconds: float, sr: int, freqs=(220.0,), codec: str = "flac") -> Path:
    """A mono sum of sines, encoded with PyAV (16-bit)."""
    t = np.arange(int(seconds * sr)) / sr
    samples = (0.3 / len(freqs) * sum(np.sin(2 * np.pi * f * t) for f in freqs) * 32767).astype(np.int16)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sr, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
