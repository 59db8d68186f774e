"""Decoding: any file FFmpeg reads -> mono float32 at a target rate, streamed in chunks.

The audio package owns all audio file I/O: this module opens and validates files for
extraction, :mod:`tagscape.audio.clips` reuses :func:`open_audio` and :func:`decoded_frames` for
the browser. FFmpeg (through PyAV) decodes; channels are averaged to mono as librosa and
VGGish's release do; each model's front end resamples as its reference did (soxr HQ for the
musicnn models, resampy's kaiser_best for VGGish; :mod:`tagscape.audio.resample`), streamed.

Files are hostile until proven otherwise: a header may claim any sample rate or channel count,
and a "file" may be a playlist that names other files. Rates and channel counts are bounded
when a file is opened and again per decoded frame, every frame is downmixed as it comes, and
FFmpeg may neither use protocols beyond the file (or HTTP for a URL) nor demuxers that open
other inputs, so memory is bounded by the chunk size whatever a file claims.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import mutagen
import numpy as np

from tagscape.audio.resample import SOXR_HQ, make_stream
from tagscape.errors import AudioError

#: Decoded chunks are gathered to about this many samples (input or output, whichever is more)
#: before resampling.
CHUNK_SAMPLES = 1 << 16

#: A file whose decoded audio falls this much short of its declared length is truncated.
TRUNCATION_TOLERANCE_SECONDS = 1.0
TRUNCATION_TOLERANCE_FRACTION = 0.05

#: Sample rates a file may have: telephone speech to DXD-class recordings. Outside this, a
#: header lies (1 Hz made soxr emit 16,000 samples per input sample) or is broken (0 Hz).
MIN_SAMPLE_RATE = 4_000
MAX_SAMPLE_RATE = 768_000
#: More channels than any real recording (22.2 surround has 24); a frame holds all of them.
MAX_CHANNELS = 32

#: Demuxers that open other inputs named inside the file (playlists, file lists, session
#: descriptions, scripts): even with only the file protocol allowed, an ``ffconcat`` list or an
#: ``.m3u8`` would read any local file it names, outside the collection included.
_REFERENCING_FORMATS = frozenset(
    "concat hls applehttp dash imf sdp rtp rtsp sap image2 lavfi avisynth vapoursynth webm_dash_manifest".split()
)


def _readable_formats() -> str:
    """FFmpeg's ``format_whitelist``: every demuxer of this build that reads from the file alone."""
    names = set()
    for name in av.formats_available:
        container_format = av.ContainerFormat(name)
        if container_format.input is None or container_format.no_file:
            continue  # devices, and demuxers opening inputs of their own (HLS, RTSP)
        if _REFERENCING_FORMATS.isdisjoint(container_format.input.name.split(",")):
            names.add(container_format.input.name)
    return ",".join(sorted(names))


_FORMAT_WHITELIST = _readable_formats()
_FILE_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": _FORMAT_WHITELIST}
_URL_OPTIONS = {"protocol_whitelist": "http,https,tls,tcp", "format_whitelist": _FORMAT_WHITELIST}


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


def check_format(path: Path | str, *, rate: int | None, channels: int | None) -> None:
    """Refuse a sample rate or channel count no real recording has.

    Raises
    ------
    AudioError
        With the rate or channel count and the bounds as the reason.
    """
    if not MIN_SAMPLE_RATE <= (rate or 0) <= MAX_SAMPLE_RATE:
        raise AudioError(path, f"sample rate {rate or 0} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")
    if not channels:
        raise AudioError(path, "the audio stream has no channels")
    if channels > MAX_CHANNELS:
        raise AudioError(path, f"{channels} audio channels, more than the {MAX_CHANNELS} supported")


def open_audio(path: Path | str):
    """Open a local file or a URL for decoding, with its first audio stream checked.

    Parameters
    ----------
    path : Path or str
        A local file (``Path``), or a URL (``str``, see :func:`is_url`).

    Returns
    -------
    av.container.InputContainer
        Open; the caller closes it (``with``).

    Raises
    ------
    AudioError
        Missing, not a regular readable file, empty, not audio, a playlist or list of other
        files, or a sample rate or channel count outside the bounds of :func:`check_format`.
    """
    if is_url(path):
        try:
            container = av.open(str(path), mode="r", timeout=(30.0, 60.0), container_options=_URL_OPTIONS)
        except av.error.FFmpegError as exc:
            raise AudioError(path, f"cannot fetch ({_open_reason(exc, url=True)})") from None
    else:
        container = _open_file(path)
    try:
        if not container.streams.audio:
            raise AudioError(path, "no audio stream")
        context = container.streams.audio[0].codec_context
        check_format(path, rate=context.sample_rate, channels=context.channels)
    except BaseException:
        container.close()
        raise
    return container


def _open_file(path: Path):
    if not path.exists():
        raise AudioError(path, "file not found")
    if path.is_dir():
        raise AudioError(path, "is a folder, not an audio file")
    if not path.is_file():  # FFmpeg would wait forever on a FIFO, or read a device
        raise AudioError(path, "not a regular file")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty file")
    try:
        # An absolute name: a relative one like "concat:a.wav|b.wav" would name a protocol.
        return av.open(os.path.abspath(path), mode="r", container_options=_FILE_OPTIONS)
    except av.error.FFmpegError as exc:
        raise AudioError(path, f"not a readable audio file ({_open_reason(exc, url=False)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AudioError(path, f"cannot open ({exc})") from None


def _open_reason(exc: Exception, *, url: bool) -> str:
    if getattr(exc, "errno", None) != errno.EINVAL:
        return _ffmpeg_reason(exc)
    # FFmpeg's answer to a protocol or a format off the whitelists (or to a bad header)
    if url:
        return "only http:// and https:// URLs of audio files are read"
    return "a playlist or list of other files, which are not followed, or an invalid header"


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
    with open_audio(path) as container:
        stream = container.streams.audio[0]
        return AudioInfo(
            codec=stream.codec_context.name,
            native_sr=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
            declared_seconds=_declared_seconds(container, stream),
        )


#: Integer sample formats and the factor to [-1, 1): FFmpeg's own (libswresample) conversion.
_INT_SCALES = {"u8": 1.0 / (1 << 7), "s16": 1.0 / (1 << 15), "s32": 1.0 / (1 << 31), "s64": 1.0 / (1 << 63)}


#: PyAV reads the planes of a planar frame from ``AVFrame.data``, which holds 8: a frame with
#: more channels (Vorbis, Opus and AAC decode to planar) crashes it with a segmentation fault.
_PYAV_MAX_PLANES = 8


def _packed_samples(frame) -> np.ndarray:
    """A planar frame's samples interleaved by libswresample, ``(1, n * channels)``: one plane."""
    packer = av.AudioResampler(format=frame.format.packed.name, layout=frame.layout, rate=frame.sample_rate)
    return np.concatenate([out.to_ndarray() for out in [*packer.resample(frame), *packer.resample(None)]], axis=1)


def frame_planes(frame) -> np.ndarray:
    """A decoded audio frame as float32 samples.

    Parameters
    ----------
    frame : av.AudioFrame
        In any of FFmpeg's sample formats, packed or planar.

    Returns
    -------
    ndarray [shape=(channels, n), dtype=float32]
        The same values libswresample's conversion to ``fltp`` gives, bit for bit.
    """
    planar = frame.format.is_planar and frame.layout.nb_channels <= _PYAV_MAX_PLANES
    data = frame.to_ndarray() if planar or not frame.format.is_planar else _packed_samples(frame)
    if not planar:
        data = data.reshape(-1, frame.layout.nb_channels).T
    name = frame.format.name.rstrip("p")
    # C order: channel means then sum in the same order as over libswresample's planes.
    if name == "u8":
        return (data.astype(np.float32, order="C") - np.float32(128.0)) * np.float32(_INT_SCALES["u8"])
    if name in _INT_SCALES:
        return data.astype(np.float32, order="C") * np.float32(_INT_SCALES[name])
    return np.ascontiguousarray(data, dtype=np.float32)


def frame_mono(frame) -> np.ndarray:
    """The frame averaged over its channels, float32 ``(n,)``: bit for bit
    ``frame_planes(frame).mean(axis=0, dtype=np.float32)``, without its copies where the frame is
    planar float (what MP3, Vorbis, Opus and AAC decode to): PyAV's ``to_ndarray`` stacks the
    planes into a new array and ``mean`` adds Python-level work per frame, together about half
    of the front end's time on an MP3 (bench/front_end.py)."""
    channels = frame.layout.nb_channels
    if not (frame.format.name == "fltp" and channels <= _PYAV_MAX_PLANES):
        return frame_planes(frame).mean(axis=0, dtype=np.float32)
    planes = [np.frombuffer(plane, np.float32, frame.samples) for plane in frame.planes[:channels]]
    total = planes[0].copy()  # the decoder reuses the frame's memory
    for plane in planes[1:]:
        total += plane  # numpy's mean sums the rows in this order
    # As mean divides: by the count as an intp, which numpy computes in float64, then casts back.
    return np.true_divide(total, np.intp(channels), out=total, casting="unsafe")


def decoded_frames(path: Path | str, container, *, planes: bool = True) -> Iterator[tuple[np.ndarray | None, av.AudioFrame]]:
    """Decode the first audio stream frame by frame, checking each frame as it comes.

    Parameters
    ----------
    path : Path or str
        Names the file in errors.
    container : av.container.InputContainer
        From :func:`open_audio`.

    planes : bool
        Convert each frame with :func:`frame_planes` (False: yield None; the caller converts).

    Yields
    ------
    planes : ndarray [shape=(channels, n), dtype=float32] or None
        The frame's samples (see :func:`frame_planes`); ``channels`` may change between frames.
    frame : av.AudioFrame
        The frame itself, for its ``sample_rate`` (the same for every frame) and ``time``.

    Raises
    ------
    AudioError
        Corrupt data, or a frame whose rate or channel count is out of bounds (the header
        checked at open need not match what the decoder finds) or whose rate changed.
    """
    stream = container.streams.audio[0]
    rate = None
    try:
        for frame in container.decode(stream):
            check_format(path, rate=frame.sample_rate, channels=frame.layout.nb_channels)
            if rate is None:
                rate = frame.sample_rate
            elif frame.sample_rate != rate:
                raise AudioError(path, f"sample rate changes mid-stream ({rate} -> {frame.sample_rate} Hz)")
            yield (frame_planes(frame) if planes else None), frame
    except av.error.FFmpegError as exc:
        raise AudioError(path, f"corrupt audio data ({_ffmpeg_reason(exc)})") from None


def stream_audio(
    path: str | os.PathLike, *, sr: int = 16000, chunk_samples: int = CHUNK_SAMPLES, resampler: str = SOXR_HQ
) -> Iterator[np.ndarray]:
    """Decode a file to mono float32 at ``sr``, yielding chunks as they are ready.

    Parameters
    ----------
    path : path-like or str
        Any file FFmpeg can read, or a URL it can stream (``http://``, ``https://``).
    sr : int
        Target sample rate in Hz.
    chunk_samples : int
        Roughly how many samples are resampled at a time, counted at the native rate or at
        ``sr``, whichever is higher: a chunk's memory does not grow with the resampling ratio.
    resampler : str
        ``soxr_hq`` (librosa's default) or ``resampy_kaiser_best`` (VGGish's release); see
        :mod:`tagscape.audio.resample`.

    Yields
    ------
    ndarray [shape=(n,), dtype=float32]
        Consecutive chunks of the resampled signal.

    Raises
    ------
    AudioError
        The file is missing, empty, unreadable, not audio, corrupt, truncated or silent
        in the sense of containing no samples at all, or its sample rate or channel count is
        out of bounds (see :func:`check_format`). Digital silence is valid.
    """
    for chunks in stream_audio_multi(path, sr=sr, chunk_samples=chunk_samples, resamplers=(resampler,)):
        yield chunks[resampler]


def stream_audio_multi(
    path: str | os.PathLike, *, sr: int = 16000, chunk_samples: int = CHUNK_SAMPLES, resamplers: tuple[str, ...] = (SOXR_HQ,)
) -> Iterator[dict[str, np.ndarray]]:
    """Decode once, resample with each of ``resamplers``: yields ``{resampler: chunk}``
    (chunks of the streams need not have equal lengths). See :func:`stream_audio`."""
    path = str(path) if is_url(path) else Path(path)
    with open_audio(path) as container:
        stream = container.streams.audio[0]
        declared = (None if is_url(path) else _header_seconds(path)) or _declared_seconds(container, stream)
        streams = None
        native_sr = None
        chunk_native = chunk_samples
        pending: list[np.ndarray] = []
        n_pending = n_native = 0
        for _, frame in decoded_frames(path, container, planes=False):
            if native_sr is None:
                native_sr = frame.sample_rate
                chunk_native = max(1, chunk_samples * native_sr // max(sr, native_sr))
                streams = {kind: make_stream(kind, native_sr, sr) for kind in resamplers}
            samples = frame_mono(frame)
            pending.append(samples)
            n_pending += samples.size
            n_native += samples.size
            if n_pending >= chunk_native:
                block = np.concatenate(pending)
                pending, n_pending = [], 0
                yield {kind: resampling.push(block) for kind, resampling in streams.items()}
        if native_sr is None or n_native == 0:
            raise AudioError(path, "no audio samples could be decoded")
        block = np.concatenate(pending) if pending else np.zeros(0, np.float32)
        yield {kind: np.concatenate([resampling.push(block), resampling.finish()]) for kind, resampling in streams.items()}
        decoded_seconds = n_native / native_sr
        if declared is not None and declared - decoded_seconds > max(
            TRUNCATION_TOLERANCE_SECONDS, TRUNCATION_TOLERANCE_FRACTION * declared
        ):
            raise AudioError(
                path, f"truncated: decoded {decoded_seconds:.1f} s of {declared:.1f} s declared"
            )


def load_audio(path: str | os.PathLike, *, sr: int = 16000, resampler: str = SOXR_HQ) -> np.ndarray:
    """Decode a whole file to mono float32 at ``sr``. Shape ``(n_samples,)``."""
    chunks = list(stream_audio(path, sr=sr, resampler=resampler))
    return np.concatenate(chunks).astype(np.float32, copy=False)
