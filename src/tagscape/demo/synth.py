"""Render a tagged demo music collection offline, with nothing but numpy, PyAV and mutagen.

:func:`render_demo_collection` synthesises ``n_per_style`` tracks for each style in
:data:`STYLES` (solo piano, string ensemble, rock band, techno, ambient, vocals, jazz trio
and acoustic folk), encodes them with PyAV in a rotation of formats (FLAC, MP3, Ogg
Vorbis, AAC in M4A, WAV, Ogg Opus: whichever encoders the bundled FFmpeg has) and writes
title, artist, album, genre, date, track number and a comment into each file's own tags
with mutagen. Everything is seeded, so a seed always gives the same samples.

Layout: ``out_dir/<style>/<artist> - <title>.<ext>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import mutagen.id3 as id3
import numpy as np
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from tagscape.demo.styles import RENDERERS

#: The styles, in collection order; each names a folder and a renderer.
STYLES: tuple[str, ...] = tuple(RENDERERS)
#: Genre tag written for each style.
GENRES = {"piano": "Solo Piano", "strings": "Classical", "rock": "Rock", "techno": "Techno",
          "ambient": "Ambient", "vocals": "Vocal", "jazz": "Jazz", "folk": "Folk"}
#: The comment tag every demo file carries.
COMMENT = "tagscape demo"
SAMPLE_RATE = 44100
PEAK_DBFS = -1.0

#: Per style: two (artist, album, year) and the track titles (cycled, with "(Take k)" beyond).
CATALOG = {
    "piano": ((("Clara Wendt", "Rooms of Glass", 2019), ("Søren Ivarsson", "Nattlys", 2021)),
              ("Étude nº 2 – Pluie", "Nocturne for an Empty Hall", "Little Clockwork Waltz", "Morning, Again",
               "Paper Lanterns", "Slow Thaw")),
    "strings": ((("The Aldgate Consort", "Long Shadows", 2017), ("Quartetto Brina", "Inverno", 2020)),
                ("Adagio in Grey", "Cathedral Air", "The Long Room", "Lament for Small Boats", "Sarabande Nova",
                 "Winter Light")),
    "rock": ((("Static Horses", "Burn the Map", 2014), ("Nightline Riot", "Concrete Summer", 2018)),
             ("Gasoline Halo", "Ninety Miles of Bad Road", "Break the Signal", "Red Line Fever", "Iron Weather",
              "Overdrive City")),
    "techno": ((("Kessler Unit", "Substation", 2016), ("Mira Kōno", "Lumen Loop", 2022)),
               ("Acid Relay 303", "Nachtbus", "Concrete Pulse", "Warehouse Logic", "Strobe Theory", "Interchange")),
    "ambient": ((("Tidal Drift", "Slow Weather", 2015), ("Hollow Atlas", "Mapping Fog", 2023)),
                ("Glacier Hours", "Under Still Water", "The Quiet Orbit", "Salt Flats at Dusk", "Far Harbour",
                 "Breathing Room")),
    "vocals": ((("Ada Vesper", "Open Vowels", 2020), ("Lior & the Choir Machine", "Hum", 2012)),
               ("Aria of Vowels", "Ooh-Aah Lullaby", "Song Without Words", "Canção do Mar", "Evening Hymn",
                "The Singing Wire")),
    "jazz": ((("Monk Street Trio", "After Hours at the Blue Door", 1998),
              ("Inés Caldera Quartet", "Late Train Standards", 2008)),
             ("Blue Door Walk", "Two-Five Shuffle", "Café Noir", "Rainy Sidecar", "Saturday Ride",
              "Mr. Lowry's Step")),
    "folk": ((("Hazel & Pine", "Porchlight Songs", 2011), ("Ewan McCrae", "Wide Fields", 2013)),
             ("Over the Ridge", "Barley Road", "Kitchen Waltz", "Goodnight, Loughmore", "The Ferryman's Tune",
              "Lantern Creek")),
}

#: Output formats: extension -> (container, encoder candidates, bit rate, encoder options).
FORMATS = {
    "flac": ("flac", ("flac",), None, {}),
    "mp3": ("mp3", ("libmp3lame", "mp3"), 128_000, {"compression_level": "7"}),
    "ogg": ("ogg", ("libvorbis", "vorbis"), 128_000, {"strict": "experimental"}),
    "m4a": ("ipod", ("aac",), 128_000, {}),
    "wav": ("wav", ("pcm_s16le",), None, {}),
    "opus": ("ogg", ("libopus", "opus"), 96_000, {"compression_level": "6", "strict": "experimental"}),
}
#: Encoders that only take 48 kHz input.
_RATE_48K = {"libopus", "opus"}
_LOSSLESS = {"flac", "wav"}
#: Lossy files whose decoded peak exceeds this are encoded again, quieter.
_MAX_DECODED_PEAK = 0.99


@dataclass(frozen=True)
class DemoTrack:
    """One rendered file and the metadata written into its tags."""

    path: Path
    style: str
    title: str
    artist: str
    album: str
    genre: str
    year: int
    track_number: int
    duration: float  # seconds of audio encoded (before any codec padding)
    format: str  # file extension without the dot
    seed: int  # the collection seed; with ``style`` and ``index`` it fixes the audio
    index: int  # position of the track within its style


def track_seconds(*, seed: int, style: str, index: int) -> float:
    """Length of a track in seconds (20-60, on a 0.1 s grid), fixed by its seed."""
    return float(np.round(_rng(seed, style, index, "length").uniform(20.0, 60.0), 1))


def render_audio(style: str, *, seed: int = 0, index: int = 0, sr: int = SAMPLE_RATE,
                 seconds: float | None = None) -> np.ndarray:
    """Synthesise one track, normalised to a -1 dBFS peak.

    Parameters
    ----------
    style : one of :data:`STYLES`.
    seed, index : the collection seed and the track's index within its style; together
        they seed the track's own generator, so tracks do not depend on each other.
    sr : sample rate in Hz.
    seconds : length; defaults to :func:`track_seconds`.

    Returns
    -------
    ndarray, shape ``(2, round(seconds * sr))``, float32, stereo.
    """
    if style not in RENDERERS:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    if seconds is None:
        seconds = track_seconds(seed=seed, style=style, index=index)
    mix = RENDERERS[style](rng=_rng(seed, style, index, "audio"), sr=sr, seconds=seconds)
    return master(mix, sr=sr)


def master(mix: np.ndarray, *, sr: int, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Remove DC, soften peaks (``tanh``), fade the edges and scale to a ``peak_dbfs`` peak; shape kept ``(2, n)``."""
    x = mix.astype(np.float64) - mix.mean(axis=-1, keepdims=True)
    x /= max(float(np.abs(x).max()), 1e-9)
    x = np.tanh(1.5 * x)
    n = x.shape[-1]
    fade_in, fade_out = min(n, int(0.005 * sr)), min(n, int(0.3 * sr))
    x[:, :fade_in] *= np.linspace(0.0, 1.0, fade_in)
    x[:, n - fade_out:] *= np.linspace(1.0, 0.0, fade_out) ** 2
    x *= 10 ** (peak_dbfs / 20) / max(float(np.abs(x).max()), 1e-9)
    return x.astype(np.float32)


def available_formats() -> tuple[str, ...]:
    """The keys of :data:`FORMATS` whose encoder this PyAV build has, in rotation order."""
    return tuple(ext for ext, (_, encoders, _, _) in FORMATS.items() if _encoder(encoders))


def encode(audio: np.ndarray, path: Path, *, sr: int, fmt: str) -> float:
    """Encode stereo ``audio`` ``(2, n)`` float32 into ``path`` as ``fmt`` (a :data:`FORMATS` key).

    Lossy codecs can overshoot the input's peak (ringing, and the odd bad block from
    FFmpeg's own AAC encoder), so a lossy file is decoded again and, if its peak is
    above 0.99, re-encoded with less gain. Returns the gain finally applied (1.0 mostly).
    """
    gain = 1.0
    for _ in range(3):
        _encode_once(audio * np.float32(gain) if gain != 1.0 else audio, path, sr=sr, fmt=fmt)
        if fmt in _LOSSLESS:
            break
        peak = decoded_peak(path)
        if peak <= _MAX_DECODED_PEAK:
            break
        gain *= 0.97 * _MAX_DECODED_PEAK / peak
    return gain


def decoded_peak(path: Path) -> float:
    """Largest absolute sample of a file as FFmpeg decodes it (full scale = 1.0)."""
    peak = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            arr = frame.to_ndarray()
            scale = float(np.iinfo(arr.dtype).max) + 1.0 if arr.dtype.kind in "iu" else 1.0
            peak = max(peak, float(np.abs(arr).max()) / scale)
    return peak


def _encode_once(audio: np.ndarray, path: Path, *, sr: int, fmt: str) -> None:
    container, encoders, bit_rate, options = FORMATS[fmt]
    codec = _encoder(encoders)
    if codec is None:
        raise ValueError(f"no encoder for {fmt} in this FFmpeg build")
    with av.open(str(path), mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=48000 if codec in _RATE_48K else sr, layout="stereo")
        if bit_rate:
            stream.bit_rate = bit_rate
        if options:
            stream.codec_context.options = dict(options)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio, dtype=np.float32), format="fltp",
                                           layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, Fraction(1, sr)
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_tags(track: DemoTrack, *, total: int) -> None:
    """Write the track's metadata into its file with mutagen (ID3 for MP3/WAV, MP4 atoms, Vorbis comments)."""
    path, fmt = track.path, track.format
    if fmt in ("mp3", "wav"):
        frames = [id3.TIT2(encoding=3, text=track.title), id3.TPE1(encoding=3, text=track.artist),
                  id3.TALB(encoding=3, text=track.album), id3.TCON(encoding=3, text=track.genre),
                  id3.TDRC(encoding=3, text=str(track.year)),
                  id3.TRCK(encoding=3, text=f"{track.track_number}/{total}"),
                  id3.COMM(encoding=3, lang="eng", desc="", text=COMMENT)]
        holder = MP3(path) if fmt == "mp3" else WAVE(path)
        if holder.tags is None:
            holder.add_tags()
        for frame in frames:
            holder.tags.add(frame)
        holder.save()
    elif fmt == "m4a":
        mp4 = MP4(path)
        if mp4.tags is None:
            mp4.add_tags()
        mp4.tags.update({"\xa9nam": [track.title], "\xa9ART": [track.artist], "\xa9alb": [track.album],
                         "\xa9gen": [track.genre], "\xa9day": [str(track.year)], "trkn": [(track.track_number, total)],
                         "\xa9cmt": [COMMENT]})
        mp4.save()
    else:
        audio = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
        if audio.tags is None:
            audio.add_tags()
        audio.tags.update({"title": track.title, "artist": track.artist, "album": track.album, "genre": track.genre,
                      "date": str(track.year), "tracknumber": str(track.track_number), "tracktotal": str(total),
                      "comment": COMMENT})
        audio.save()


def render_demo_collection(out_dir: Path, *, seed: int = 0, n_per_style: int = 4,
                           progress: Callable[[int, int], None] | None = None,
                           styles: tuple[str, ...] = STYLES, sr: int = SAMPLE_RATE,
                           workers: int = 2) -> list[DemoTrack]:
    """Synthesise, encode and tag a demo collection under ``out_dir``.

    Parameters
    ----------
    out_dir : folder to write into (created); files go to ``<style>/<artist> - <title>.<ext>``.
    seed : collection seed; the same seed gives the same audio, names and formats.
    n_per_style : tracks per style (the default gives 8 x 4 = 32 tracks, 20-60 s each).
    progress : called as ``progress(done, total)`` (from the calling thread) after each file.
    styles : which of :data:`STYLES` to render.
    sr : sample rate in Hz (Opus files are resampled to 48 kHz by the encoder).
    workers : tracks made at once, in threads (numpy and FFmpeg release the GIL).

    Returns
    -------
    list of DemoTrack, one per file, style by style. Formats rotate through
    :func:`available_formats` so that every format appears once ``styles`` has as many
    entries as there are formats; a track's ``duration`` is the length synthesised.
    """
    formats = available_formats()
    if not formats:
        raise RuntimeError("this PyAV build has none of the demo encoders")
    unknown = set(styles) - set(STYLES)
    if unknown:
        raise ValueError(f"unknown styles {sorted(unknown)}; choose from {', '.join(STYLES)}")
    out_dir = Path(out_dir)
    plan = [_describe(out_dir, style, i, seed=seed, sr=sr, formats=formats) for style in styles
            for i in range(n_per_style)]
    totals = {}
    for track in plan:
        totals[track.album] = totals.get(track.album, 0) + 1
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_make, track, sr=sr, total=totals[track.album]) for track in plan]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            if progress is not None:
                progress(done, len(plan))
    return plan


def _describe(out_dir: Path, style: str, i: int, *, seed: int, sr: int, formats: tuple[str, ...]) -> DemoTrack:
    """The metadata and path of track ``i`` of ``style`` (no audio yet)."""
    (artist, album, year), titles = CATALOG[style][0][i % 2], CATALOG[style][1]
    title = titles[i % len(titles)] + (f" (Take {i // len(titles) + 1})" if i >= len(titles) else "")
    fmt = formats[(STYLES.index(style) + i) % len(formats)]
    seconds = track_seconds(seed=seed, style=style, index=i)
    return DemoTrack(path=out_dir / style / f"{_safe(artist)} - {_safe(title)}.{fmt}", style=style, title=title,
                     artist=artist, album=album, genre=GENRES[style], year=year, track_number=i // 2 + 1,
                     duration=round(seconds * sr) / sr, format=fmt, seed=seed, index=i)


def _make(track: DemoTrack, *, sr: int, total: int) -> None:
    """Render, encode and tag one planned track."""
    audio = render_audio(track.style, seed=track.seed, index=track.index, sr=sr)
    track.path.parent.mkdir(parents=True, exist_ok=True)
    encode(audio, track.path, sr=sr, fmt=track.format)
    write_tags(track, total=total)


def _rng(seed: int, style: str, index: int, purpose: str) -> np.random.Generator:
    """A generator of its own for each (seed, style, track, purpose)."""
    words = [seed, STYLES.index(style), index, {"audio": 0, "length": 1}[purpose]]
    return np.random.default_rng(np.random.SeedSequence(words))


def _encoder(candidates: tuple[str, ...]) -> str | None:
    """The first of ``candidates`` this FFmpeg build can encode with, or None."""
    for name in candidates:
        try:
            av.Codec(name, "w")
        except Exception:  # PyAV raises different error types across versions
            continue
        return name
    return None


def _safe(name: str) -> str:
    """A file-name-safe version of a title (Unicode kept; path separators and reserved characters dropped)."""
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]', "", name).strip(" .") or "untitled"
