"""What the web tests share besides fixtures: the HTML title of the XSS test, a tone writer."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
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


# -- a real server in a subprocess -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """``(status, headers, body)`` of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_up(base: str, process, seconds: float = 60) -> None:
    """Until ``base``/api/models answers 200; fails if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if fetch(f"{base}/api/models")[0] == 200:
                return
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)
