"""Decoding: any file FFmpeg reads -> mono float32 at a target rate, streamed in chunks.

All file I/O for audio lives here. FFmpeg (through PyAV) decodes; channels are averaged to
mono as librosa does; ``soxr`` resamples in streaming mode with the same "HQ" quality that
librosa's default resampler (``soxr_hq``) uses, so our samples stay close to the ones the
models were trained on. Memory is bounded by the chunk size, not by the file's length.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import mutagen
import numpy as np
import soxr

from tagscape.errors import AudioError

#: Decoded chunks are gathered to about this many input samples before resampling.
CHUNK_SAMPLES = 1 << 16

#: A file whose decoded audio falls this much short of its declared length is truncated.
TRUNCATION_TOLERANCE_SECONDS = 1.0
TRUNCATION_TOLERANCE_FRACTION = 0.05


@dataclass(frozen=True)
class AudioInfo:
    """What the container says about a file, before decoding it."""

    codec: str
    native_sr: int
    channels: int
    declared_seconds: float | None


def is_url(source: str | os.PathLike) -> bool:
    """True for ``http://...``-style sources that FFmpeg streams instead of a local file."""
    return "://" in str(source)


def _open(path: Path | str):
    if is_url(path):
        try:
            container = av.open(str(path), mode="r", timeout=(30.0, 60.0))
        except av.error.FFmpegError as exc:
            raise AudioError(path, f"cannot fetch ({_ffmpeg_reason(exc)})") from None
        if not container.streams.audio:
            container.close()
            raise AudioError(path, "no audio stream")
        return container
    if not path.exists():
        raise AudioError(path, "file not found")
    if path.is_dir():
        raise AudioError(path, "is a folder, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file")
    try:
        container = av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise AudioError(path, f"not a readable audio file ({_ffmpeg_reason(exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AudioError(path, f"cannot open ({exc})") from None
    if not container.streams.audio:
        container.close()
        raise AudioError(path, "no audio stream")
    return container


def _ffmpeg_reason(exc: Exception) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror or str(exc)


def _header_seconds(path: Path) -> float | None:
    """The length a file's header declares, read with mutagen (FFmpeg clips it to the file size)."""
    try:
        info = getattr(mutagen.File(path), "info", None)
    except Exception:  # mutagen raises many types on broken headers; FFmpeg reports those
        return None
    length = getattr(info, "length", None)
    return float(length) if length else None


def _declared_seconds(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe(path: str | os.PathLike) -> AudioInfo:
    """Read a file's header: codec, native sample rate, channels and declared duration."""
    path = str(path) if is_url(path) else Path(path)
    container = _open(path)
    with container:
        stream = container.streams.audio[0]
        return AudioInfo(
            codec=stream.codec_context.name,
            native_sr=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
            declared_seconds=_declared_seconds(container, stream),
        )


def _mono_frames(path: Path | str, container) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(samples, native_sr)`` per decoded frame, averaged to mono float32."""
    stream = container.streams.audio[0]
    to_float = av.AudioResampler(format="fltp")
    try:
        for frame in container.decode(stream):
            for converted in to_float.resample(frame):
                planes = converted.to_ndarray()  # shape=(channels, n)
                yield planes.mean(axis=0, dtype=np.float32), converted.sample_rate
    except av.error.FFmpegError as exc:
        raise AudioError(path, f"corrupt audio data ({_ffmpeg_reason(exc)})") from None


def stream_audio(
    path: str | os.PathLike, *, sr: int = 16000, chunk_samples: int = CHUNK_SAMPLES
) -> Iterator[np.ndarray]:
    """Decode a file to mono float32 at ``sr``, yielding chunks as they are ready.

    Parameters
    ----------
    path : path-like or str
        Any file FFmpeg can read, or a URL it can stream (``http://``, ``https://``).
    sr : int
        Target sample rate in Hz.
    chunk_samples : int
        Roughly how many native-rate samples are resampled at a time.

    Yields
    ------
    ndarray [shape=(n,), dtype=float32]
        Consecutive chunks of the resampled signal.

    Raises
    ------
    AudioError
        The file is missing, empty, unreadable, not audio, corrupt, truncated or silent
        in the sense of containing no samples at all. Digital silence is valid.
    """
    path = str(path) if is_url(path) else Path(path)
    container = _open(path)
    with container:
        stream = container.streams.audio[0]
        declared = (None if is_url(path) else _header_seconds(path)) or _declared_seconds(container, stream)
        resampler = None
        native_sr = None
        pending: list[np.ndarray] = []
        n_pending = n_native = 0
        for samples, frame_sr in _mono_frames(path, container):
            if native_sr is None:
                native_sr = frame_sr
                if native_sr != sr:
                    resampler = soxr.ResampleStream(native_sr, sr, 1, dtype="float32", quality="HQ")
            elif frame_sr != native_sr:
                raise AudioError(path, f"sample rate changes mid-stream ({native_sr} -> {frame_sr} Hz)")
            pending.append(samples)
            n_pending += samples.size
            n_native += samples.size
            if n_pending >= chunk_samples:
                block = np.concatenate(pending)
                pending, n_pending = [], 0
                yield block if resampler is None else resampler.resample_chunk(block)
        if native_sr is None or n_native == 0:
            raise AudioError(path, "no audio samples could be decoded")
        block = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        if resampler is not None:
            block = resampler.resample_chunk(block, last=True)
        if block.size:
            yield block
        decoded_seconds = n_native / native_sr
        if declared is not None and declared - decoded_seconds > max(
            TRUNCATION_TOLERANCE_SECONDS, TRUNCATION_TOLERANCE_FRACTION * declared
        ):
            raise AudioError(
                path, f"truncated: decoded {decoded_seconds:.1f} s of {declared:.1f} s declared"
            )


def load_audio(path: str | os.PathLike, *, sr: int = 16000) -> np.ndarray:
    """Decode a whole file to mono float32 at ``sr``. Shape ``(n_samples,)``."""
    chunks = list(stream_audio(path, sr=sr))
    return np.concatenate(chunks).astype(np.float32, copy=False)
