"""Audio for the browser: segment clips as WAV, and whole tracks in formats browsers cannot
play transcoded to FLAC (once, then cached on disk).

Files are opened and checked by :func:`tagscape.audio.decode.open_audio` and decoded frame by
frame by :func:`tagscape.audio.decode.decoded_frames`, as for extraction: the same bounds on
sample rate and channels, the same error messages. Each frame is cut to the clip, downmixed
and resampled as it comes, so a clip holds at most its own length at <= 48 kHz in <= 2
channels, whatever the file claims.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import wave
from pathlib import Path

import av
import numpy as np
import soxr

from tagscape import files
from tagscape.audio.decode import decoded_frames, open_audio
from tagscape.errors import AudioError, UsageError

#: What Chromium and Firefox play natively (by file extension); anything else is transcoded.
BROWSER_EXTENSIONS = frozenset(".mp3 .ogg .oga .opus .flac .wav .wave .m4a .mp4 .aac .webm".split())
#: The longest clip a request may ask for, in seconds.
MAX_CLIP_SECONDS = 60.0
MAX_CLIP_RATE = 48_000

#: Bytes of transcoded files kept per collection (least recently played go first).
TRANSCODE_CACHE_BYTES = 2 << 30


def browser_can_play(path: Path) -> bool:
    """True for files a browser plays as they are (by extension)."""
    return path.suffix.lower() in BROWSER_EXTENSIONS


def clip_rate(native_rate: int) -> int:
    """The rate of a clip: the file's own, or an integer fraction of it at most 48 kHz."""
    if native_rate <= MAX_CLIP_RATE:
        return native_rate
    return native_rate // math.ceil(native_rate / MAX_CLIP_RATE)


def _downmix(planes: np.ndarray, channels: int) -> np.ndarray:
    """``(c, n)`` samples as ``(channels, n)``, ``channels`` 1 or 2; more than two alternate left/right."""
    if planes.shape[0] == channels:
        return planes
    if channels == 1:
        return planes.mean(axis=0, keepdims=True, dtype=np.float32)
    if planes.shape[0] == 1:  # a stream that turns mono mid-way
        return np.repeat(planes, 2, axis=0)
    return np.stack([planes[0::2].mean(axis=0, dtype=np.float32), planes[1::2].mean(axis=0, dtype=np.float32)])


def decode_range(path: Path, *, start: float, end: float) -> tuple[np.ndarray, int]:
    """Samples of ``[start, end)`` seconds of a file, at most 48 kHz and 2 channels.

    Times count from the first decoded sample, as extraction counts them (a stream whose
    timestamps start late, e.g. after an MP3 encoder delay, is shifted accordingly). A file
    that breaks off within the range gives what could be decoded.

    Parameters
    ----------
    path : Path
        A local audio file.
    start, end : float
        Seconds, ``0 <= start < end``, at most :data:`MAX_CLIP_SECONDS` apart.

    Returns
    -------
    samples : ndarray [shape=(channels, n), dtype=float32]
        ``channels`` is 1 for a mono file, else 2; ``n`` is at most ``(end - start) * rate``.
    rate : int
        :func:`clip_rate` of the file's rate.

    Raises
    ------
    AudioError
        The file cannot be opened or decoded, or is out of bounds (see
        :func:`tagscape.audio.decode.check_format`).
    UsageError
        A range that is empty, negative or longer than :data:`MAX_CLIP_SECONDS`.
    """
    if not 0.0 <= start < end or end - start > MAX_CLIP_SECONDS:
        raise UsageError(f"a clip starts at 0 s or later and lasts at most {MAX_CLIP_SECONDS:g} s, asked for {start:g}-{end:g} s")
    pieces: list[np.ndarray] = []
    with open_audio(path) as container:
        stream = container.streams.audio[0]
        rate = clip_rate(stream.codec_context.sample_rate)
        offset = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        if start > 0 and stream.time_base:
            try:
                container.seek(int((start + offset) / stream.time_base), stream=stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                pass  # not seekable: decode from the beginning, the cut below still holds
        resampler = native = None
        channels = 1
        position = begin = stop = 0  # native samples since the first decoded one
        try:
            for planes, frame in decoded_frames(path, container):
                if native is None:
                    native = frame.sample_rate
                    rate = clip_rate(native)
                    channels = min(planes.shape[0], 2)
                    if rate != native:
                        resampler = soxr.ResampleStream(native, rate, channels, dtype="float32", quality="HQ")
                    first_time = float(frame.time) - offset if frame.time is not None else 0.0
                    first_time = min(first_time, start)  # a seek may land late only for broken indexes
                    begin = max(0, int(round((start - first_time) * native)))
                    stop = begin + int(round((end - start) * native))
                n = planes.shape[1]
                low, high = max(begin - position, 0), min(stop - position, n)
                position += n
                if low < high:
                    piece = _downmix(planes[:, low:high], channels)
                    if resampler is not None:
                        piece = resampler.resample_chunk(np.ascontiguousarray(piece.T)).T
                    pieces.append(piece)
                if position >= stop:
                    break
        except AudioError:
            if not pieces:
                raise
    if resampler is not None:
        pieces.append(resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True).T)
    if not pieces:
        return np.zeros((channels, 0), np.float32), rate
    return np.concatenate(pieces, axis=1)[:, : int(round((end - start) * rate))], rate


def wav_bytes(samples: np.ndarray, *, rate: int) -> bytes:
    """16-bit PCM WAV of float32 samples of shape ``(channels, n)``."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").T.copy()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(samples.shape[0])
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def clip_wav(path: Path, *, start: float, end: float) -> bytes:
    """The WAV of ``[start, end)`` seconds of a file (see :func:`decode_range`)."""
    samples, rate = decode_range(path, start=start, end=end)
    return wav_bytes(samples, rate=rate)


def transcoded(path: Path, *, cache_dir: Path, key: str) -> Path:
    """A FLAC copy of ``path`` in ``cache_dir`` (made on first use; ``key`` names the version).

    One transcoding per file at a time across threads and processes; the folder keeps at most
    ``TRANSCODE_CACHE_BYTES``, least recently played files going first.
    """
    target = cache_dir / f"{key}.flac"
    if target.is_file():
        files.touch(target)
        return target
    stripe = int(hashlib.blake2b(key.encode(), digest_size=1).hexdigest(), 16)
    with files.exclusive(cache_dir / "locks" / f"{stripe}.lock"):
        if target.is_file():
            return target
        tmp = files.temp_path(target)
        try:
            _transcode_flac(path, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    files.evict(cache_dir, max_bytes=TRANSCODE_CACHE_BYTES, pattern="*.flac")
    return target


def _transcode_flac(source: Path, target: Path) -> None:
    """16-bit FLAC at the file's rate, mono or stereo (more channels alternate left/right)."""
    with open_audio(source) as container, av.open(str(target), mode="w", format="flac") as out:
        encoder = None
        channels = 1
        try:
            for planes, frame in decoded_frames(source, container):
                if encoder is None:
                    channels = min(planes.shape[0], 2)
                    layout = "mono" if channels == 1 else "stereo"
                    encoder = out.add_stream("flac", rate=frame.sample_rate, layout=layout)
                    encoder.codec_context.format = "s16"
                converted = av.AudioFrame.from_ndarray(np.ascontiguousarray(_downmix(planes, channels)), format="fltp", layout=layout)
                converted.sample_rate = frame.sample_rate
                for packet in encoder.encode(converted):
                    out.mux(packet)
            if encoder is None:
                raise AudioError(source, "no audio samples could be decoded")
            for packet in encoder.encode(None):
                out.mux(packet)
        except av.error.FFmpegError as exc:  # the encoder's: a rate FLAC cannot store, a full disk
            raise AudioError(source, f"cannot transcode to FLAC ({getattr(exc, 'strerror', None) or exc})") from None
