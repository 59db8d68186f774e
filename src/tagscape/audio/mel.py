"""Log-mel front end of the MusiCNN and VGG taggers, and a streaming version of it.

The models were trained on librosa 0.6-style features: 512-point STFT with a periodic Hann
window, hop 256, frames centred (zero padding of ``n_fft // 2`` on both sides), the power
spectrum through 96 Slaney mel filters (area normalised), then ``log10(10000 * mel + 1)``
after rounding the mel to float16 (the original stores it so). Everything here is a pure
function on arrays; :class:`MelPatcher` keeps the state needed to do it chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MelParams:
    """Parameters of a log-mel front end."""

    sr: int = 16000
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 96
    patch_frames: int = 187

    @property
    def patch_seconds(self) -> float:
        """Length of one patch (segment) in seconds, derived from frames."""
        return self.patch_frames * self.hop_length / self.sr


MUSICNN_MEL = MelParams()


def hz_to_mel_slaney(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    linear = hz / f_sp
    log = min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep
    return np.where(hz >= min_log_hz, log, linear)


def mel_to_hz_slaney(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel_slaney`."""
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def slaney_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular mel filters on the Slaney scale, each normalised to unit area.

    Returns
    -------
    ndarray [shape=(n_mels, 1 + n_fft // 2), dtype=float32]
    """
    fmax = sr / 2 if fmax is None else fmax
    fft_hz = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges_hz = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax), n_mels + 2))
    widths = np.diff(edges_hz)
    rising = (fft_hz[None, :] - edges_hz[:-2, None]) / widths[:-1, None]
    falling = (edges_hz[2:, None] - fft_hz[None, :]) / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights.astype(np.float32)


def periodic_hann(n: int) -> np.ndarray:
    """Periodic (DFT-even) Hann window of length ``n``, float32."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def power_spectrogram_frames(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Power spectrum of windowed frames. ``[shape=(t, n_fft)] -> [shape=(t, 1 + n_fft // 2)]``."""
    spectrum = np.fft.rfft(frames * window, axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def log_compress(mel: np.ndarray) -> np.ndarray:
    """The original's compression: round the mel to float16, then ``log10(10000 * mel + 1)``.

    The float16 rounding is kept for fidelity; the arithmetic after it is float32 (as numpy 1.x
    promoted it), so loud input does not overflow float16.
    """
    return np.log10(10000.0 * mel.astype(np.float16).astype(np.float32) + 1.0, dtype=np.float32)


def log_mel(y: np.ndarray, *, params: MelParams = MUSICNN_MEL) -> np.ndarray:
    """Log-mel spectrogram of a whole signal.

    Parameters
    ----------
    y : ndarray [shape=(n,)]
        Mono signal at ``params.sr``.

    Returns
    -------
    ndarray [shape=(1 + n // hop_length, n_mels), dtype=float32]
        Time-major, as the networks take it.
    """
    patcher = MelPatcher(params=params)
    frames = [patcher.push(y), patcher.finish()]
    return np.concatenate(frames, axis=0)


class MelPatcher:
    """Turns a stream of sample chunks into log-mel frames, exactly as :func:`log_mel` would.

    Frame ``t`` covers samples ``[t * hop - n_fft / 2, t * hop + n_fft / 2)`` of the signal
    padded with zeros at both ends (librosa's ``center=True``).
    """

    def __init__(self, *, params: MelParams = MUSICNN_MEL):
        self.params = params
        self._window = periodic_hann(params.n_fft)
        self._filters = slaney_filterbank(sr=params.sr, n_fft=params.n_fft, n_mels=params.n_mels).T.copy()
        self._buffer = np.zeros(params.n_fft // 2, dtype=np.float32)
        self.n_samples = 0

    def _frames_from_buffer(self) -> np.ndarray:
        n_fft, hop = self.params.n_fft, self.params.hop_length
        n_frames = 0 if self._buffer.size < n_fft else 1 + (self._buffer.size - n_fft) // hop
        if n_frames == 0:
            return np.zeros((0, self.params.n_mels), dtype=np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(self._buffer, n_fft)[::hop][:n_frames]
        mel = power_spectrogram_frames(frames, self._window) @ self._filters
        self._buffer = self._buffer[n_frames * hop :]
        return log_compress(mel)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Add samples; return the log-mel frames that are now complete. Shape ``(t, n_mels)``."""
        samples = np.asarray(samples, dtype=np.float32)
        self.n_samples += samples.size
        self._buffer = np.concatenate([self._buffer, samples])
        return self._frames_from_buffer()

    def finish(self) -> np.ndarray:
        """Pad the end as librosa does and return the remaining frames."""
        self._buffer = np.concatenate([self._buffer, np.zeros(self.params.n_fft // 2, np.float32)])
        frames = self._frames_from_buffer()
        self._buffer = np.zeros(0, np.float32)
        return frames


def patches_from_frames(frames: np.ndarray, *, patch_frames: int) -> np.ndarray:
    """Cut time-major frames into non-overlapping patches; drop a final partial one.

    A signal shorter than one patch is repeat-padded to one patch, as the models were trained.

    Returns
    -------
    ndarray [shape=(n_patches, patch_frames, n_mels)]
    """
    if frames.shape[0] == 0:
        return np.zeros((0, patch_frames, frames.shape[1]), dtype=frames.dtype)
    if frames.shape[0] < patch_frames:
        repeats = -(-patch_frames // frames.shape[0])
        return np.tile(frames, (repeats, 1))[None, :patch_frames]
    n = frames.shape[0] // patch_frames
    return frames[: n * patch_frames].reshape(n, patch_frames, frames.shape[1])


class PatchStream:
    """Push sample chunks in, get non-overlapping patches ``(n, patch_frames, n_mels)`` out.

    Only one patch worth of frames is held back at a time, so memory does not grow with the
    length of the signal. The patches equal ``patches_from_frames(log_mel(y))``.
    """

    def __init__(self, *, params: MelParams = MUSICNN_MEL):
        self.params = params
        self._patcher = MelPatcher(params=params)
        self._held = np.zeros((0, params.n_mels), dtype=np.float32)
        self.n_emitted = 0

    @property
    def n_samples(self) -> int:
        return self._patcher.n_samples

    def _take_full(self) -> np.ndarray:
        n = self._held.shape[0] // self.params.patch_frames
        patches = self._held[: n * self.params.patch_frames].reshape(n, self.params.patch_frames, self.params.n_mels)
        self._held = self._held[n * self.params.patch_frames :]
        self.n_emitted += n
        return patches

    def push(self, samples: np.ndarray) -> np.ndarray:
        self._held = np.concatenate([self._held, self._patcher.push(samples)])
        return self._take_full()

    def finish(self) -> np.ndarray:
        """The last full patches; or, if none was ever emitted, one repeat-padded patch."""
        self._held = np.concatenate([self._held, self._patcher.finish()])
        if self.n_emitted == 0 and 0 < self._held.shape[0] < self.params.patch_frames:
            self.n_emitted = 1
            return patches_from_frames(self._held, patch_frames=self.params.patch_frames)
        return self._take_full()
