"""The log-mel front end against librosa, and its streaming and patching rules."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from tagscape.audio.mel import MUSICNN_MEL, PatchStream, log_compress, log_mel, patches_from_frames, slaney_filterbank


def librosa_log_mel(y: np.ndarray) -> np.ndarray:
    """What musicnn 0.1.0 computes (with numpy 1.x promotion after the float16 rounding)."""
    mel = librosa.feature.melspectrogram(y=y, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    return np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)


def test_filterbank_equals_librosa_and_peaks_at_its_centres():
    ours = slaney_filterbank(sr=16000, n_fft=512, n_mels=96)
    np.testing.assert_allclose(ours, librosa.filters.mel(sr=16000, n_fft=512, n_mels=96), atol=1e-7)
    centres = librosa.mel_frequencies(n_mels=98, fmin=0, fmax=8000, htk=False)[1:-1]
    peaks = ours.argmax(axis=1) * 16000 / 512
    assert np.all(np.abs(peaks - centres) <= 16000 / 512)


@pytest.mark.parametrize("kind", ["music-like", "noise", "loud", "silence", "click"])
def test_log_mel_matches_librosa_on_identical_samples(rng, kind):
    n = 16000 * 7 + 123
    t = np.arange(n) / 16000
    y = {
        "music-like": 0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) + 0.05 * rng.standard_normal(n),
        "noise": 0.1 * rng.standard_normal(n),
        "loud": np.clip(3 * np.sin(2 * np.pi * 100 * t), -1, 1),  # float16 overflow of 10000 * mel if done in float16
        "silence": np.zeros(n),
        "click": np.where(np.arange(n) % 4000 == 0, 1.0, 0.0),
    }[kind].astype(np.float32)
    ours = log_mel(y)
    reference = librosa_log_mel(y)
    assert ours.shape == reference.shape == (1 + n // 256, 96)
    assert np.isfinite(ours).all()
    assert np.abs(ours - reference).max() <= 1e-3


def test_streaming_equals_whole_signal(rng):
    y = (0.1 * rng.standard_normal(16000 * 20)).astype(np.float32)
    whole = patches_from_frames(log_mel(y), patch_frames=187)
    stream = PatchStream()
    parts = [stream.push(chunk) for chunk in np.array_split(y, 37)] + [stream.finish()]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert whole.shape == ((1 + y.size // 256) // 187, 187, 96)


def test_final_partial_patch_is_dropped_and_short_signals_are_repeat_padded(rng):
    frames = rng.standard_normal((187 * 3 + 100, 96)).astype(np.float32)
    assert patches_from_frames(frames, patch_frames=187).shape == (3, 187, 96)
    short = frames[:50]
    padded = patches_from_frames(short, patch_frames=187)
    assert padded.shape == (1, 187, 96)
    np.testing.assert_array_equal(padded[0, :50], short)
    np.testing.assert_array_equal(padded[0, 50:100], short)
    np.testing.assert_array_equal(padded[0, 150:187], short[:37])
    stream = PatchStream()
    assert stream.push(np.zeros(16000, np.float32)).shape[0] == 0
    assert stream.finish().shape == (1, 187, 96)


def test_segment_times_come_from_frames():
    assert MUSICNN_MEL.patch_seconds == 187 * 256 / 16000 == 2.992


def test_log_compress_rounds_through_float16():
    mel = np.array([[1.0001, 123.456, 0.0]], np.float32)
    expected = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)
    np.testing.assert_array_equal(log_compress(mel), expected)
