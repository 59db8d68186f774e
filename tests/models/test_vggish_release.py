"""VGGish from an audio file as Google's release computes it (``vggish_input.wavfile_to_examples``
then ``vggish_slim``): WAV read as int16 / 32768, channels averaged, ``resampy.resample`` to
16 kHz, 25 ms / 10 ms periodic-Hann frames, magnitude of a 512-point FFT, 64 HTK-mel bands
125-7500 Hz without DC, ``log(mel + 0.01)``, 96-frame examples, then the network.

The release's steps are written here in numpy (no TensorFlow), from its published code's
behaviour, sharing nothing with tagscape's front end; the network is the float64 numpy VGGish of
test_vggish_graph.py on random weights of the release's shapes.
"""

from __future__ import annotations

import wave

import numpy as np
import onnxruntime as ort
import pytest
import resampy

from tagscape.audio.decode import stream_audio
from tagscape.audio.mel import VGGISH_MEL, PatchStream
from tagscape.audio.resample import SOXR_HQ
from tagscape.models.graphs import build_vggish
from test_vggish_graph import numpy_vggish
from tfformats import vggish_random_weights


def write_wav_int16(path, samples: np.ndarray, sr: int) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes(pcm.tobytes())


def release_examples(path) -> np.ndarray:
    """``vggish_input.wavfile_to_examples`` in numpy: ``(n, 96, 64)``."""
    with wave.open(str(path), "rb") as source:
        sr, channels = source.getframerate(), source.getnchannels()
        data = np.frombuffer(source.readframes(source.getnframes()), "<i2").reshape(-1, channels) / 32768.0
    data = data.mean(axis=1)
    data = resampy.resample(data, sr, 16000)
    frames = np.lib.stride_tricks.sliding_window_view(data, 400)[::160]
    window = 0.5 - 0.5 * np.cos(2 * np.pi / 400 * np.arange(400))
    magnitude = np.abs(np.fft.rfft(frames * window, 512))
    hz_to_mel = lambda hz: 1127.0 * np.log(1.0 + hz / 700.0)  # noqa: E731
    bins_mel = hz_to_mel(np.linspace(0.0, 8000.0, 257))
    edges = np.linspace(hz_to_mel(125.0), hz_to_mel(7500.0), 66)
    matrix = np.empty((257, 64))
    for i in range(64):
        lower, centre, upper = edges[i : i + 3]
        matrix[:, i] = np.maximum(0.0, np.minimum((bins_mel - lower) / (centre - lower), (upper - bins_mel) / (upper - centre)))
    matrix[0, :] = 0.0
    log_mel = np.log(magnitude @ matrix + 0.01)
    n = 1 + (len(log_mel) - 96) // 96
    return np.stack([log_mel[i * 96 : i * 96 + 96] for i in range(n)])


@pytest.fixture(scope="module")
def network():
    weights = vggish_random_weights(seed=11)
    session = ort.InferenceSession(build_vggish(weights).SerializeToString(), providers=["CPUExecutionProvider"])
    return weights, session


def tagscape_embeddings(path, session, *, resampler: str) -> np.ndarray:
    stream = PatchStream(params=VGGISH_MEL)
    patches = [stream.push(chunk) for chunk in stream_audio(path, sr=16000, resampler=resampler)] + [stream.finish()]
    return session.run(["embeddings"], {"mel": np.concatenate(patches)})[0]


@pytest.mark.parametrize("sr", [44100, 48000, 22050])
def test_embeddings_from_a_file_equal_the_release_pipelines(tmp_path, rng, network, sr):
    weights, session = network
    t = np.arange(int(sr * 4.1)) / sr
    music = 0.2 * np.sin(2 * np.pi * 330 * t) * (1 + np.sin(2 * np.pi * 2 * t)) + 0.1 * rng.standard_normal(t.size)
    stereo = np.stack([music, 0.5 * music + 0.05 * rng.standard_normal(t.size)], axis=1)
    path = tmp_path / f"song-{sr}.wav"
    write_wav_int16(path, stereo, sr)

    expected = numpy_vggish(release_examples(path), weights)
    ours = tagscape_embeddings(path, session, resampler=VGGISH_MEL.resampler)
    assert ours.shape == expected.shape == (4, 128)
    scale = np.abs(expected).max()
    # 1e-3 of the embedding scale: float32 front end and network against float64 (measured 5-6e-7).
    assert np.abs(ours - expected).max() <= 1e-3 * scale
    # soxr HQ (what tagscape used before) moves them by about 1 % of their scale here.
    assert np.abs(tagscape_embeddings(path, session, resampler=SOXR_HQ) - expected).max() > 3e-3 * scale
