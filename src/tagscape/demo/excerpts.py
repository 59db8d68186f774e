"""Cutting the demo's tracks out of packaged files, and tagging them.

One fixed rule picks what a demo track holds (:func:`excerpt_window`): :data:`EXCERPT_SECONDS`
from the middle of the original, or all of a shorter one. A file in Ogg Vorbis or Ogg Opus (all
of the demo's sources) is cut by copying its compressed packets into a new Ogg file: nothing is
decoded or encoded again, so an excerpt sounds exactly as the package's file does, and cutting
takes milliseconds. Songs that come as separate stems (Frets on Fire: backing track, guitar,
rhythm) are decoded with tagscape's own decoder, summed, and encoded once as Ogg Opus.

Files are opened through :func:`tagscape.audio.decode.open_audio`, with its bounds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import av
import mutagen
import numpy as np
import soxr

from tagscape import files
from tagscape.audio.clips import MAX_CLIP_SECONDS, decode_range
from tagscape.audio.decode import open_audio, probe
from tagscape.errors import AudioError, UsageError

#: How long an excerpt is, in seconds: 15 segments of the taggers.
EXCERPT_SECONDS = 45.0
#: Codecs whose packets are copied as they are into an Ogg file.
COPIED_CODECS = {"vorbis": ".ogg", "opus": ".opus"}
#: Ogg Opus for what has to be encoded (mixed stems): its only rate, and a bit rate that keeps
#: music transparent for listening.
OPUS_RATE = 48_000
OPUS_BIT_RATE = 160_000
#: A mix whose peak would exceed this is scaled down to it (a sum of stems can clip).
MIX_PEAK = 0.98


def excerpt_window(duration: float, *, seconds: float = EXCERPT_SECONDS) -> tuple[float, float]:
    """The part of a track the demo keeps: ``seconds`` from its middle, or all of a shorter one.

    Parameters
    ----------
    duration : float
        The track's length in seconds.
    seconds : float
        The excerpt's length.

    Returns
    -------
    (start, end) : seconds, rounded to milliseconds.
    """
    if not duration > 0:
        raise UsageError(f"a track to cut must have a positive duration, got {duration!r}")
    if duration <= seconds:
        return 0.0, round(duration, 3)
    start = round((duration - seconds) / 2, 3)
    return start, round(start + seconds, 3)


def duration_of(path: Path) -> float:
    """A file's length in seconds as its header declares it (Ogg: from its last granule)."""
    seconds = probe(path).declared_seconds
    if not seconds:
        raise AudioError(path, "its length is unknown")
    return float(seconds)


def copy_packets(source: Path, target: Path, *, start: float = 0.0, end: float | None = None) -> str:
    """Copy the compressed audio packets of ``[start, end)`` seconds of ``source`` into an Ogg file.

    The first packet kept is the first that starts at or after ``start`` (``start=0``: every
    packet); the copy's timestamps count its samples from 0. ``end=None`` copies to the end.
    Returns the codec's name.

    Raises
    ------
    AudioError
        The file cannot be read, its codec is not one of :data:`COPIED_CODECS`, or no packet
        falls in the range.
    """
    tmp = files.temp_path(target)
    try:
        with open_audio(source) as container:
            stream = container.streams.audio[0]
            codec = stream.codec_context.name
            if codec not in COPIED_CODECS:
                raise AudioError(source, f"{codec} packets are not copied into Ogg (only {', '.join(COPIED_CODECS)})")
            base = stream.time_base
            if start > 0:
                try:
                    container.seek(int(start / base), stream=stream, backward=True, any_frame=False)
                except av.error.FFmpegError:
                    pass  # not seekable: read from the beginning, the test below still holds
            copied = 0
            with av.open(str(tmp), mode="w", format="ogg") as out:
                out_stream = out.add_stream_from_template(stream)
                first = shift = 0
                last = None  # (timestamp written, duration) of the previous packet
                for packet in container.demux(stream):
                    if packet.pts is None or packet.size == 0:
                        continue
                    at = float(packet.pts * base)
                    if start > 0 and at < start:
                        continue
                    if end is not None and at >= end:
                        break
                    if last is None:
                        first = packet.pts
                    stamp = packet.pts - first + shift
                    if last is not None and stamp <= last[0]:
                        # Timestamps that jump back (the first page of hyperrogue's hr-savino-palace.ogg
                        # is stamped 5,416 samples late), which the muxer refuses: go on from the last one.
                        stamp = last[0] + max(last[1], 1)
                        shift = stamp - (packet.pts - first)
                    last = (stamp, packet.duration or 0)
                    packet.pts = packet.dts = stamp
                    packet.stream = out_stream
                    out.mux(packet)
                    copied += 1
            if not copied:
                raise AudioError(source, f"no audio between {start:g} s and {end if end is not None else 'the end'}")
        os.replace(tmp, target)
        return codec
    except av.error.FFmpegError as exc:
        raise AudioError(source, f"cannot copy its packets ({getattr(exc, 'strerror', None) or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def decode_span(path: Path, *, start: float, end: float | None) -> tuple[np.ndarray, int]:
    """Samples of ``[start, end)`` seconds (to the end when None) at the file's rate, <= 2 channels.

    Returns
    -------
    samples : ndarray [shape=(channels, n), dtype=float32]
    rate : int
    """
    pieces, rate, at = [], None, start
    while end is None or at < end:
        stop = at + MAX_CLIP_SECONDS if end is None else min(at + MAX_CLIP_SECONDS, end)
        piece, rate = decode_range(path, start=at, end=stop)
        pieces.append(piece)
        if piece.shape[1] < int(round((stop - at) * rate)) - 1:
            break  # the file ended within this window
        at = stop
    channels = max(piece.shape[0] for piece in pieces)
    pieces = [np.repeat(piece, 2, axis=0) if piece.shape[0] < channels else piece for piece in pieces]
    return np.concatenate(pieces, axis=1), int(rate)


def mix_stems(stems: Sequence[Path], *, start: float = 0.0, end: float | None = None) -> tuple[np.ndarray, int, float]:
    """The sum of several stems over ``[start, end)``, scaled down only where it would clip.

    Returns
    -------
    samples : ndarray [shape=(2, n), dtype=float32]
    rate : int
    gain : float
        The factor applied to the sum (1.0 when it did not clip).
    """
    if not stems:
        raise UsageError("a mix needs at least one stem")
    decoded = [decode_span(path, start=start, end=end) for path in stems]
    rates = {rate for _, rate in decoded}
    if len(rates) != 1:
        raise AudioError(stems[0], f"its stems have different sample rates ({sorted(rates)})")
    n = max(samples.shape[1] for samples, _ in decoded)
    mix = np.zeros((2, n), np.float32)
    for samples, _ in decoded:
        mix[:, : samples.shape[1]] += samples if samples.shape[0] == 2 else np.repeat(samples, 2, axis=0)
    peak = float(np.abs(mix).max()) if n else 0.0
    gain = MIX_PEAK / peak if peak > MIX_PEAK else 1.0
    return mix * np.float32(gain), rates.pop(), gain


def write_opus(samples: np.ndarray, rate: int, target: Path, *, bit_rate: int = OPUS_BIT_RATE) -> None:
    """Encode ``(channels, n)`` float32 samples as Ogg Opus (resampled to 48 kHz with soxr HQ)."""
    if samples.ndim != 2 or samples.shape[0] not in (1, 2):
        raise UsageError(f"samples must be (1 or 2, n), got shape {samples.shape}")
    if rate != OPUS_RATE:
        samples = soxr.resample(np.ascontiguousarray(samples.T), rate, OPUS_RATE, quality="HQ").T
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    tmp = files.temp_path(target)
    try:
        with av.open(str(tmp), mode="w", format="ogg") as out:
            stream = out.add_stream("libopus", rate=OPUS_RATE, layout=layout)
            stream.bit_rate = bit_rate
            fmt = stream.codec_context.format.name
            frame_size = stream.codec_context.frame_size or 960
            for begin in range(0, samples.shape[1], frame_size):
                block = np.clip(samples[:, begin : begin + frame_size], -1.0, 1.0)
                data = block if fmt.endswith("p") else block.T.reshape(1, -1)
                if fmt.startswith("s16"):
                    data = np.round(data * 32767.0).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data, dtype=np.int16 if fmt.startswith("s16") else np.float32),
                                                   format=fmt, layout=layout)
                frame.sample_rate = OPUS_RATE
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_tags(path: Path, tags: Mapping[str, str | int | None]) -> None:
    """Replace an Ogg file's comments with ``tags`` (names upper-cased; empty values left out)."""
    audio = mutagen.File(path)
    if audio is None:
        raise AudioError(path, "mutagen cannot read the file it should tag")
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    for name, value in tags.items():
        if value is not None and str(value).strip():
            audio.tags[name.upper()] = [str(value)]
    audio.save()
