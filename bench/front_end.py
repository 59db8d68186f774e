"""The audio front end on long files of each common format: decode, downmix, resample.

Usage::

    python bench/front_end.py [--seconds 240] [--repeats 3]

A ~4-minute recording is built from the music excerpts in tests/data/music (looped), then
encoded as MP3 and Vorbis at 44.1 kHz, Opus at 48 kHz and FLAC at 22.05, 44.1 and 48 kHz
with PyAV. For each file it times, best of ``--repeats``:

* ``raw decode``: PyAV's decoder alone, frames touched but never converted (the floor any
  front end built on FFmpeg pays; the baseline of every ratio below, measured in the same run);
* ``mono, native rate``: tagscape's decode + checks + downmix, no resampling;
* ``soxr HQ 16 kHz``: what the MusiCNN/VGG taggers read;
* ``kaiser_best 16 kHz``: what VGGish reads.

Every figure is x real time, with the share of the raw decode in parentheses, and the load
average: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.audio.decode import stream_audio  # noqa: E402
from tagscape.audio.resample import RESAMPY_KAISER_BEST, SOXR_HQ  # noqa: E402

# Vorbis needs libvorbis in PyAV's FFmpeg (FFmpeg's own encoder is experimental and asserts).
FORMATS = [("mp3", "libmp3lame", 44100), ("ogg", "libvorbis", 44100), ("opus", "libopus", 48000),
           ("flac", "flac", 22050), ("flac", "flac", 44100), ("flac", "flac", 48000)]


def source_signal(seconds: float, sr: int) -> np.ndarray:
    """Stereo float32 ``(2, n)``: the test excerpts decoded at ``sr``, looped to ``seconds``."""
    parts = []
    for path in sorted((ROOT / "tests" / "data" / "music").iterdir()):
        with av.open(str(path)) as container:
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sr)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray())
    signal = np.concatenate(parts, axis=1)
    n = int(seconds * sr)
    return np.tile(signal, (1, -(-n // signal.shape[1])))[:, :n].astype(np.float32)


def encode(path: Path, signal: np.ndarray, sr: int, codec: str) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sr, layout="stereo")
        fmt = stream.codec_context.format.name
        size = stream.codec_context.frame_size or 4096
        for start in range(0, signal.shape[1], size):
            block = signal[:, start : start + size]
            data = block if fmt.endswith("p") else block.T.reshape(1, -1)
            if fmt.startswith("s16"):
                data = (np.clip(data, -1, 1) * 32767).astype(np.int16)
            elif fmt.startswith("s32"):
                data = (np.clip(data, -1, 1).astype(np.float64) * 2147483647).astype(np.int32)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt, layout="stereo")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def raw_decode(path: Path) -> int:
    n = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            n += frame.samples
    return n


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tagscape-front-end-") as tmp:
        print(f"{args.seconds:.0f} s of music per file; x real time (share of the raw decode); best of {args.repeats}")
        print(f"{'file':<18} {'raw decode':>11} {'mono, native rate':>22} {'soxr HQ 16 kHz':>22} {'kaiser_best 16 kHz':>22}  load")
        signals: dict[int, np.ndarray] = {}
        for suffix, codec, sr in FORMATS:
            if codec not in av.codecs_available:
                print(f"{suffix} at {sr} Hz: skipped ({codec} is not in this PyAV's FFmpeg)")
                continue
            signal = signals.setdefault(sr, source_signal(args.seconds, sr))
            path = Path(tmp) / f"music-{sr}.{suffix}"
            encode(path, signal, sr, codec)
            raw = best(lambda: raw_decode(path), args.repeats)
            cells = [f"{args.seconds / raw:9.0f} x"]
            for kind, rate in ((SOXR_HQ, sr), (SOXR_HQ, 16000), (RESAMPY_KAISER_BEST, 16000)):
                seconds = best(lambda: sum(c.size for c in stream_audio(path, sr=rate, resampler=kind)), args.repeats)
                cells.append(f"{args.seconds / seconds:9.0f} x ({raw / seconds * 100:3.0f} %)")
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{path.name:<18} {cells[0]:>11} {cells[1]:>22} {cells[2]:>22} {cells[3]:>22}  {load}", flush=True)


if __name__ == "__main__":
    main()
