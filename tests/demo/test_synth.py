"""The demo collection synthesizer: files, formats, tags, durations, and that styles differ."""

from __future__ import annotations

import av
import mutagen
import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from tagscape.demo import instruments as ins
from tagscape.demo.synth import (
    COMMENT,
    FORMATS,
    STYLES,
    available_formats,
    render_audio,
    render_demo_collection,
)


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """One track per style (8 tracks, every available format), rendered once for the module.

    22.05 kHz halves the work; the code path is the one the default 44.1 kHz takes.
    """
    calls = []
    tracks = render_demo_collection(tmp_path_factory.mktemp("demo"), seed=0, n_per_style=1, sr=22050,
                                    progress=lambda done, total: calls.append((done, total)))
    return tracks, calls


@pytest.fixture(scope="module")
def decoded(collection):
    """style -> (mono float64 samples, sample rate, samples decoded), read back with PyAV."""
    out = {}
    for track in collection[0]:
        chunks, rate = [], None
        with av.open(str(track.path)) as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            for frame in container.decode(stream):
                arr = frame.to_ndarray().astype(np.float64)
                if frame.format.is_packed:
                    arr = arr.reshape(-1, len(frame.layout.channels)).T
                if frame.format.name.startswith("s16"):
                    arr /= 32768.0
                elif frame.format.name.startswith("s32"):
                    arr /= 2147483648.0
                chunks.append(arr)
        audio = np.concatenate(chunks, axis=1)
        out[track.style] = (audio, rate)
    return out


def read_tags(path) -> dict[str, str]:
    """Title, artist, album, genre, date, track number and comment, whatever the tag format."""
    f = mutagen.File(path)
    tags = f.tags
    if isinstance(tags, ID3):
        return {"title": tags["TIT2"].text[0], "artist": tags["TPE1"].text[0], "album": tags["TALB"].text[0],
                "genre": tags["TCON"].text[0], "date": str(tags["TDRC"].text[0]), "track": tags["TRCK"].text[0],
                "comment": tags.getall("COMM")[0].text[0]}
    if isinstance(f, MP4):
        return {"title": tags["\xa9nam"][0], "artist": tags["\xa9ART"][0], "album": tags["\xa9alb"][0],
                "genre": tags["\xa9gen"][0], "date": tags["\xa9day"][0], "track": str(tags["trkn"][0][0]),
                "comment": tags["\xa9cmt"][0]}
    return {"title": tags["title"][0], "artist": tags["artist"][0], "album": tags["album"][0],
            "genre": tags["genre"][0], "date": tags["date"][0], "track": tags["tracknumber"][0],
            "comment": tags["comment"][0]}


def power_spectrum(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin frequencies and power of the whole signal (zero-padded to a power of two)."""
    n = 1 << int(np.ceil(np.log2(x.size)))
    return np.fft.rfftfreq(n, 1.0 / sr), np.abs(np.fft.rfft(x, n)) ** 2


def band_ratio(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Share of a signal's energy between ``lo`` and ``hi`` Hz."""
    f, power = power_spectrum(x, sr)
    return float(power[(f >= lo) & (f < hi)].sum() / power.sum())


def centroid(x: np.ndarray, sr: int) -> float:
    """Spectral centroid in Hz."""
    f, power = power_spectrum(x, sr)
    return float((power * f).sum() / power.sum())


# --------------------------------------------------------------------------- collection


def test_collection_has_every_style_and_format(collection):
    tracks, calls = collection
    assert len(STYLES) >= 6
    assert [t.style for t in tracks] == list(STYLES)
    assert {t.format for t in tracks} == set(available_formats())
    assert {"flac", "mp3", "m4a", "wav"} <= set(available_formats())
    for t in tracks:
        assert t.path.is_file() and t.path.stat().st_size > 10_000
        assert t.path.parent.name == t.style
        assert t.path.suffix == f".{t.format}" and t.path.name.startswith(t.artist)
        assert 20.0 <= t.duration <= 60.0
    assert len({t.duration for t in tracks}) > 1
    assert calls == [(k, len(tracks)) for k in range(1, len(tracks) + 1)]


def test_files_decode_to_their_duration_and_are_neither_silent_nor_clipped(collection, decoded):
    for t in collection[0]:
        audio, rate = decoded[t.style]
        assert audio.shape[0] == 2
        assert abs(audio.shape[1] / rate - t.duration) <= 0.2, t.path.name
        peak, rms = np.abs(audio).max(), np.sqrt(np.mean(audio ** 2))
        assert 0.5 < peak < 1.0, (t.path.name, peak)
        assert np.mean(np.abs(audio) >= 0.999) == 0.0
        assert 20 * np.log10(rms) > -30.0, (t.path.name, rms)


def test_tags_round_trip_exactly(collection):
    tracks = collection[0]
    assert any(t.title == "Étude nº 2 – Pluie" for t in tracks)
    for t in tracks:
        tags = read_tags(t.path)
        assert (tags["title"], tags["artist"], tags["album"], tags["genre"]) == (t.title, t.artist, t.album, t.genre)
        assert tags["date"] == str(t.year)
        assert tags["track"].split("/")[0] == str(t.track_number) == "1"
        assert tags["comment"] == COMMENT


def test_styles_differ_spectrally(decoded):
    mono = {style: (audio.mean(axis=0), rate) for style, (audio, rate) in decoded.items()}
    low = {s: band_ratio(x, r, 20, 60) for s, (x, r) in mono.items()}
    high = {s: band_ratio(x, r, 2500, 12000) for s, (x, r) in mono.items()}
    # techno's kick (falling to ~50 Hz) puts most of its energy down low; piano and pads do not
    assert low["techno"] > 0.3 and low["techno"] > 4 * low["piano"] and low["techno"] > 4 * low["ambient"]
    # distorted guitars and cymbals are far brighter than bowed strings or ambient pads
    assert high["rock"] > 5 * high["strings"] and high["rock"] > 5 * high["ambient"]
    assert centroid(*mono["rock"]) > 1.5 * centroid(*mono["strings"])
    # ride cymbal and hi-hats: jazz is brighter than ambient
    assert high["jazz"] > 5 * high["ambient"]


def test_sung_vowels_show_their_formants():
    sr, n = 22050, 22050
    rng = np.random.default_rng(0)
    f0, amp = np.full(n, 220.0), np.ones(n, np.float32)
    spectra = {}
    for vowel in "aeiou":
        x = ins.sing(f0=f0, amp=amp, vowels=[(0.0, vowel)], sr=sr, rng=rng)[2000:]
        spectra[vowel] = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(n - 2000, 1.0 / sr)

    def level(vowel, lo, hi):
        return spectra[vowel][(f >= lo) & (f < hi)].sum()

    # front vowels (e, i) have a high second formant (~2 kHz); back vowels (a, o, u) do not
    f2_over_mid = {v: 10 * np.log10(level(v, 1900, 2600) / level(v, 600, 1300)) for v in "aeiou"}
    assert min(f2_over_mid["e"], f2_over_mid["i"]) > -12.0, f2_over_mid
    assert max(f2_over_mid["a"], f2_over_mid["o"], f2_over_mid["u"]) < -20.0, f2_over_mid
    # the loudest harmonic sits under the first formant: ~800 Hz for /a/, the fundamental for /i/ and /u/
    below = f < 1500
    peak = {v: f[below][np.argmax(spectra[v][below])] for v in "aiu"}
    assert 600 < peak["a"] < 1200 and peak["i"] < 400 and peak["u"] < 400, peak


def test_pluck_is_in_tune():
    sr = 44100
    for freq in (82.41, 246.9, 659.3):
        x = ins.pluck(freq=freq, seconds=1.0, sr=sr, rng=np.random.default_rng(1), brightness=0.5)
        spec = np.abs(np.fft.rfft(x * np.hanning(x.size), 8 * x.size))
        f = np.fft.rfftfreq(8 * x.size, 1.0 / sr)
        near = (f > 0.9 * freq) & (f < 1.1 * freq)
        assert f[near][np.argmax(spec[near])] == pytest.approx(freq, rel=0.002)


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("style", STYLES)
def test_render_is_deterministic_and_normalised(style):
    a = render_audio(style, seed=7, seconds=6.0, sr=22050)
    b = render_audio(style, seed=7, seconds=6.0, sr=22050)
    c = render_audio(style, seed=8, seconds=6.0, sr=22050)
    assert a.shape == (2, 6 * 22050) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.isfinite(a).all()
    assert np.abs(a).max() == pytest.approx(10 ** (-1 / 20), abs=1e-4)


def test_tracks_of_one_style_differ():
    a = render_audio("piano", seed=0, index=0, seconds=6.0, sr=22050)
    b = render_audio("piano", seed=0, index=1, seconds=6.0, sr=22050)
    assert not np.allclose(a, b)


def test_unknown_style_and_format_are_refused(tmp_path):
    with pytest.raises(ValueError):
        render_audio("polka", seconds=5.0)
    with pytest.raises(ValueError):
        render_demo_collection(tmp_path, styles=("polka",))
    assert set(available_formats()) <= set(FORMATS)
