"""Audio for the browser, decoded with FFmpeg (PyAV): segment clips as WAV, and whole tracks in
formats browsers cannot play transcoded to FLAC (once, then cached on disk).

All audio file I/O of the web server lives here.
"""

from __future__ import annotations

import io
import os
import threading
import wave
from pathlib import Path

import av
import numpy as np

from tagscape.errors import AudioError

#: What Chromium and Firefox play natively (by file extension); anything else is transcoded.
BROWSER_EXTENSIONS = frozenset(".mp3 .ogg .oga .opus .flac .wav .wave .m4a .mp4 .aac .webm".split())
#: The longest clip a request may ask for, in seconds.
MAX_CLIP_SECONDS = 60.0
MAX_CLIP_RATE = 48_000

_transcode_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def browser_can_play(path: Path) -> bool:
    return path.suffix.lower() in BROWSER_EXTENSIONS


def _frame_samples(frame) -> np.ndarray:
    """A decoded frame as float32 ``(channels, samples)``."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        data = data.reshape(-1, channels).T
    name = frame.format.name.rstrip("p")
    if name == "s16":
        return data.astype(np.float32) / 32768.0
    if name == "s32":
        return data.astype(np.float32) / 2147483648.0
    if name == "u8":
        return (data.astype(np.float32) - 128.0) / 128.0
    return data.astype(np.float32)


def _open(path: Path):
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError) as exc:
        raise AudioError(path, f"cannot open ({exc})") from None
    if not container.streams.audio:
        container.close()
        raise AudioError(path, "no audio stream")
    return container


def decode_range(path: Path, start: float, end: float) -> tuple[np.ndarray, int]:
    """Samples of ``[start, end)`` seconds as float32 ``(channels <= 2, n)`` and their rate.

    Times count from the first decoded sample, as extraction counts them (a stream whose
    timestamps start late, e.g. after an MP3 encoder delay, is shifted accordingly).
    """
    with _open(path) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate
        offset = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        if start > 0 and stream.time_base:
            container.seek(int((start + offset) / stream.time_base), stream=stream, backward=True, any_frame=False)
        chunks: list[np.ndarray] = []
        first_time: float | None = None
        decoded = 0
        try:
            for frame in container.decode(stream):
                samples = _frame_samples(frame)
                if first_time is None:
                    first_time = float(frame.time) - offset if frame.time is not None else 0.0
                    first_time = min(first_time, start)  # a seek may land late only for broken indexes
                chunks.append(samples)
                decoded += samples.shape[1]
                if first_time + decoded / rate >= end:
                    break
        except av.error.FFmpegError as exc:
            if not chunks:
                raise AudioError(path, f"cannot decode ({exc})") from None
    if not chunks:
        return np.zeros((1, 0), np.float32), rate
    channels = min(chunk.shape[0] for chunk in chunks)
    audio = np.concatenate([chunk[:channels] for chunk in chunks], axis=1)
    if channels > 2:
        audio = np.stack([audio[0::2].mean(axis=0), audio[1::2].mean(axis=0)])
    begin = max(0, int(round((start - (first_time or 0.0)) * rate)))
    stop = begin + int(round((end - start) * rate))
    return audio[:, begin:stop], rate


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of float32 ``(channels, n)`` samples."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").T.copy()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def clip_wav(path: Path, start: float, end: float) -> bytes:
    """The WAV of ``[start, end)`` seconds of a file (at its own rate, at most 48 kHz, mono or stereo)."""
    samples, rate = decode_range(path, start, end)
    if rate > MAX_CLIP_RATE:
        step = int(np.ceil(rate / MAX_CLIP_RATE))
        samples, rate = samples[:, ::step], rate // step
    return wav_bytes(samples, rate)


def transcoded(path: Path, cache_dir: Path, key: str) -> Path:
    """A FLAC copy of ``path`` in ``cache_dir`` (made on first use; ``key`` names the version)."""
    target = cache_dir / f"{key}.flac"
    if target.is_file():
        return target
    with _locks_guard:
        lock = _transcode_locks.setdefault(str(target), threading.Lock())
    with lock:
        if target.is_file():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            _transcode_flac(path, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _transcode_flac(source: Path, target: Path) -> None:
    with _open(source) as container, av.open(str(target), mode="w", format="flac") as out:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate or 44100
        channels = stream.codec_context.channels or 2
        layout = "mono" if channels == 1 else "stereo"
        encoder = out.add_stream("flac", rate=rate, layout=layout)
        resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for converted in resampler.resample(frame):
                    for packet in encoder.encode(converted):
                        out.mux(packet)
        except av.error.FFmpegError as exc:
            raise AudioError(source, f"cannot decode ({exc})") from None
        for converted in resampler.resample(None):
            for packet in encoder.encode(converted):
                out.mux(packet)
        for packet in encoder.encode(None):
            out.mux(packet)
