"""Decoding real files of many formats to 16 kHz mono, and the errors for bad ones."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import chord, write_audio
from tagscape.audio.decode import load_audio, probe, stream_audio
from tagscape.errors import AudioError


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".opus", ".flac", ".wav", ".m4a"])
def test_formats_decode_to_16k_mono_with_the_right_length_and_pitch(tmp_path, suffix):
    sr = 48000 if suffix == ".opus" else 44100
    path = write_audio(tmp_path / f"tone{suffix}", chord(4.0, sr, freqs=(1000.0,)), sr, bit_rate=128000)
    y = load_audio(path)
    assert y.dtype == np.float32 and y.ndim == 1
    # Lossy codecs add priming/padding of some milliseconds; the length stays within 0.1 s.
    assert abs(y.size / 16000 - 4.0) < 0.1
    spectrum = np.abs(np.fft.rfft(y[8000:24000]))
    assert abs(np.argmax(spectrum) * 16000 / 16000 - 1000) <= 2  # 1 Hz bins over one second


def test_stereo_is_averaged_like_librosa(tmp_path):
    sr = 16000
    left = chord(2.0, sr, freqs=(500.0,))
    path = write_audio(tmp_path / "lr.wav", np.stack([left, np.zeros_like(left)]), sr)
    y = load_audio(path)
    np.testing.assert_allclose(y, left / 2, atol=1e-4)  # 16-bit quantisation only


def test_resampling_keeps_a_tone_in_band_and_stays_streaming(tmp_path):
    sr = 44100
    path = write_audio(tmp_path / "long.flac", chord(30.0, sr, freqs=(3000.0,)), sr)
    chunks = list(stream_audio(path, chunk_samples=8192))
    assert len(chunks) > 10  # many chunks, never the whole file at once
    y = np.concatenate(chunks)
    assert abs(y.size - 30 * 16000) <= 16
    rms = np.sqrt(np.mean(y[16000:-16000] ** 2))
    assert abs(rms - 0.3 / np.sqrt(2)) < 0.01


def test_digital_silence_is_valid(tmp_path):
    path = write_audio(tmp_path / "silence.wav", np.zeros(16000 * 3, np.float32), 16000)
    y = load_audio(path)
    assert y.size == 48000 and not y.any()


def test_probe_reads_the_header(tmp_path):
    path = write_audio(tmp_path / "x.flac", np.stack([chord(2.0, 22050)] * 2), 22050)
    info = probe(path)
    assert (info.codec, info.native_sr, info.channels) == ("flac", 22050, 2)
    assert abs(info.declared_seconds - 2.0) < 0.01


def test_bad_files_raise_one_typed_error_naming_file_and_reason(tmp_path):
    cases = {}
    cases["missing.mp3"] = tmp_path / "missing.mp3"
    (tmp_path / "empty.mp3").write_bytes(b"")
    cases["empty"] = tmp_path / "empty.mp3"
    (tmp_path / "text.mp3").write_text("this is not audio\n" * 100)
    cases["not audio"] = tmp_path / "text.mp3"
    good = write_audio(tmp_path / "good.wav", chord(10.0, 16000), 16000)
    data = good.read_bytes()
    (tmp_path / "truncated.wav").write_bytes(data[: len(data) // 3])
    cases["truncated"] = tmp_path / "truncated.wav"
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC" + bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8)))
    cases["corrupt"] = tmp_path / "corrupt.flac"
    (tmp_path / "folder.mp3").mkdir()
    cases["folder"] = tmp_path / "folder.mp3"
    reasons = {}
    for name, path in cases.items():
        with pytest.raises(AudioError) as info:
            load_audio(path)
        assert str(path) in info.value.message
        reasons[name] = info.value.reason
    assert reasons["missing.mp3"] == "file not found"
    assert reasons["empty"] == "empty file"
    assert reasons["truncated"].startswith("truncated")
    assert "folder" in reasons["folder"]


def test_unreadable_file_is_reported(tmp_path):
    path = write_audio(tmp_path / "locked.wav", chord(1.0, 16000), 16000)
    path.chmod(0)
    code = (
        "from tagscape.audio.decode import load_audio\nfrom tagscape.errors import AudioError\n"
        f"try:\n    load_audio({str(path)!r})\nexcept AudioError as e:\n    print(e.reason)\n"
    )
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == "permission denied", out.stderr
