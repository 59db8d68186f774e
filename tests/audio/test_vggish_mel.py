"""VGGish's log-mel front end against two references computed from the published parameters.

1. ``tests/data/vggish/logmel_reference.npz``: TensorFlow's ``tf.signal`` (stft, abs,
   ``linear_to_mel_weight_matrix``, log) in a throwaway environment (make_fixtures.py there).
2. A numpy computation written here per frame and per band, from vggish_params.py's values:
   a DFT of each 400-sample frame (zero-padded to 512), magnitude, triangles on the HTK mel
   scale evaluated bin by bin, DC excluded, ``log(mel + 0.01)``.

librosa is no reference here: its HTK filters are triangles linear in Hz between mel-spaced
edges, VGGish's are linear in mel; for these parameters the weights differ by up to 4.4e-3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import DATA
from tagscape.audio.mel import VGGISH_MEL, PatchStream, htk_filterbank, log_mel, patches_from_frames

SR, WINDOW, HOP, FFT, BANDS, LOW, HIGH, OFFSET = 16000, 400, 160, 512, 64, 125.0, 7500.0, 0.01


def reference_log_mel(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    window = np.array([0.5 - 0.5 * math.cos(2 * math.pi * i / WINDOW) for i in range(WINDOW)])
    n_frames = (len(y) - WINDOW) // HOP + 1
    k = np.arange(FFT // 2 + 1)
    dft = np.exp(-2j * np.pi * np.outer(np.arange(WINDOW), k) / FFT)  # zero padding: samples 400..511 add nothing
    mel = lambda f: 1127.0 * math.log(1.0 + f / 700.0)  # noqa: E731
    edges = [mel(LOW) + i * (mel(HIGH) - mel(LOW)) / (BANDS + 1) for i in range(BANDS + 2)]
    weights = np.zeros((FFT // 2 + 1, BANDS))
    for b in range(1, FFT // 2 + 1):  # bin 0 (DC) stays out
        m = mel(b * SR / FFT)
        for j in range(BANDS):
            lo, mid, hi = edges[j : j + 3]
            if lo < m < hi:
                weights[b, j] = (m - lo) / (mid - lo) if m <= mid else (hi - m) / (hi - mid)
    out = np.empty((n_frames, BANDS))
    for t in range(n_frames):
        magnitude = np.abs((y[t * HOP : t * HOP + WINDOW] * window) @ dft)
        out[t] = np.log(magnitude @ weights + OFFSET)
    return out


def test_params_are_the_published_ones():
    p = VGGISH_MEL
    assert (p.sr, p.frame_length, p.hop_length, p.n_fft, p.n_mels, p.fmin, p.fmax) == (SR, WINDOW, HOP, FFT, BANDS, LOW, HIGH)
    assert (p.power, p.compression, p.log_offset, p.center, p.mel_scale) == (1.0, "log", OFFSET, False, "htk")
    assert p.patch_frames == 96 and p.patch_seconds == 0.96


def test_matches_tensorflow_signal_reference():
    with np.load(DATA / "vggish" / "logmel_reference.npz") as npz:
        y, expected = npz["y16"].astype(np.float32) / 32768, npz["log_mel"]
    ours = log_mel(y, params=VGGISH_MEL)
    assert ours.shape == expected.shape == (1 + (len(y) - 400) // 160, 64)
    assert np.abs(ours - expected).max() <= 1e-4


@pytest.mark.parametrize("kind", ["tones", "noise", "silence", "click"])
def test_matches_numpy_reference(rng, kind):
    n = 16000 + 431
    t = np.arange(n) / SR
    y = {
        "tones": 0.4 * np.sin(2 * np.pi * 523.25 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t),
        "noise": 0.2 * rng.standard_normal(n),
        "silence": np.zeros(n),
        "click": np.where(np.arange(n) % 3001 == 0, 1.0, 0.0),
    }[kind].astype(np.float32)
    ours = log_mel(y, params=VGGISH_MEL)
    reference = reference_log_mel(y)
    assert ours.shape == reference.shape == (101, 64)
    assert np.abs(ours - reference).max() <= 1e-4
    if kind == "silence":
        assert np.all(ours == np.float32(np.log(0.01)))


def test_filters_peak_at_their_centres_and_ignore_dc():
    weights = htk_filterbank(sr=SR, n_fft=FFT, n_mels=BANDS, fmin=LOW, fmax=HIGH)
    assert weights.shape == (64, 257)
    assert np.all(weights[:, 0] == 0)
    assert np.all(weights.max(axis=1) <= 1.0) and np.all(weights.max(axis=1) > 0.5)
    centres_mel = np.linspace(1127 * np.log1p(LOW / 700), 1127 * np.log1p(HIGH / 700), BANDS + 2)[1:-1]
    centres_hz = 700 * np.expm1(centres_mel / 1127)
    assert np.all(np.abs(weights.argmax(axis=1) * SR / FFT - centres_hz) <= SR / FFT)


def test_a_sine_lands_in_the_band_around_it():
    t = np.arange(SR) / SR
    frames = log_mel((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), params=VGGISH_MEL)
    band = int(frames.mean(axis=0).argmax())
    weights = htk_filterbank(sr=SR, n_fft=FFT, n_mels=BANDS, fmin=LOW, fmax=HIGH)
    assert weights[band, round(1000 * FFT / SR)] > 0.3


def test_frames_are_not_centred_and_patches_are_96_frames():
    # 2.5 s: 1 + (40000 - 400) // 160 = 248 frames -> 2 whole patches of 96 (0.96 s each).
    y = np.random.default_rng(0).standard_normal(40000).astype(np.float32) * 0.1
    frames = log_mel(y, params=VGGISH_MEL)
    assert frames.shape == (248, 64)
    # Frame t starts at sample 160 t: the frame at 1.0 s depends only on samples 16000..16399.
    changed = y.copy()
    changed[16400:] = 0
    changed[:16000] = 0
    np.testing.assert_array_equal(log_mel(changed, params=VGGISH_MEL)[100], frames[100])
    assert patches_from_frames(frames, patch_frames=96).shape == (2, 96, 64)


def test_streaming_in_odd_chunks_equals_whole(rng):
    y = (0.1 * rng.standard_normal(16000 * 3 + 999)).astype(np.float32)
    whole = patches_from_frames(log_mel(y, params=VGGISH_MEL), patch_frames=96)
    stream = PatchStream(params=VGGISH_MEL)
    parts = [stream.push(y[i : i + 1234]) for i in range(0, len(y), 1234)] + [stream.finish()]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert whole.shape == (3, 96, 64)


def test_a_signal_shorter_than_a_patch_gives_one_repeated_patch():
    y = (0.1 * np.sin(np.arange(8000) / 5)).astype(np.float32)  # 0.5 s: 48 frames
    stream = PatchStream(params=VGGISH_MEL)
    patches = np.concatenate([stream.push(y), stream.finish()])
    assert patches.shape == (1, 96, 64)
    np.testing.assert_array_equal(patches[0, 48:], patches[0, :48])
