"""Log-mel front ends of the taggers, and a streaming version of them.

MusiCNN and VGG were trained on librosa 0.6-style features: 512-point STFT with a periodic
Hann window, hop 256, frames centred (zero padding of ``n_fft // 2`` on both sides), the power
spectrum through 96 Slaney mel filters (area normalised), then ``log10(10000 * mel + 1)``
after rounding the mel to float16 (the original stores it so).

VGGish (AudioSet) was trained on different features (``mel_features.py`` and
``vggish_params.py`` of its release): 25 ms frames (400 samples, periodic Hann) every 10 ms
(160), **not** centred (frame ``t`` starts at sample ``160 t``, an incomplete last frame is
dropped), each zero-padded to a 512-point FFT, the **magnitude** (not power) spectrum through
64 triangular filters that are linear on the **HTK** mel scale (``1127 ln(1 + f / 700)``)
between 125 and 7500 Hz, unnormalised, with the DC bin's weights set to zero, then the
natural ``log(mel + 0.01)``. Examples are 96 frames (0.96 s), not overlapping.

Everything here is a pure function on arrays; :class:`MelPatcher` keeps the state needed to
do it chunk by chunk.
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
    #: Samples per frame (the window), zero-padded to ``n_fft``; None: ``n_fft``.
    win_length: int | None = None
    #: Centred frames (librosa's ``center=True``, zero padding of ``n_fft // 2``) or frames from sample 0.
    center: bool = True
    #: ``"slaney"`` (area-normalised, librosa's default) or ``"htk"`` (VGGish's: linear in HTK mel, zero DC row).
    mel_scale: str = "slaney"
    fmin: float = 0.0
    fmax: float | None = None
    #: Exponent of the spectrum: 2 for power, 1 for magnitude.
    power: float = 2.0
    #: ``"musicnn"`` (float16 rounding, ``log10(10000 mel + 1)``) or ``"log"`` (``ln(mel + log_offset)``).
    compression: str = "musicnn"
    log_offset: float = 0.0
    #: How audio at another rate becomes ``sr`` (see :mod:`tagscape.audio.resample`).
    resampler: str = "soxr_hq"

    @property
    def patch_seconds(self) -> float:
        """Length of one patch (segment) in seconds, derived from frames."""
        return self.patch_frames * self.hop_length / self.sr

    @property
    def frame_length(self) -> int:
        return self.win_length or self.n_fft


MUSICNN_MEL = MelParams()

#: VGGish's front end (AudioSet release, ``vggish_params.py``).
VGGISH_MEL = MelParams(
    sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=64, patch_frames=96, center=False,
    mel_scale="htk", fmin=125.0, fmax=7500.0, power=1.0, compression="log", log_offset=0.01, resampler="resampy_kaiser_best",
)


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


def hz_to_mel_htk(hz: np.ndarray) -> np.ndarray:
    """The HTK mel scale: ``1127 ln(1 + f / 700)``."""
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


def htk_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """VGGish's mel filters: triangles linear on the HTK mel scale, peak 1, DC weights zero.

    Returns
    -------
    ndarray [shape=(n_mels, 1 + n_fft // 2), dtype=float32]
    """
    if not 0 <= fmin < fmax <= sr / 2:
        raise ValueError(f"mel band edges must satisfy 0 <= fmin < fmax <= sr / 2, got fmin={fmin}, fmax={fmax}, sr={sr}")
    bins_mel = hz_to_mel_htk(np.linspace(0.0, sr / 2, 1 + n_fft // 2))
    edges = np.linspace(hz_to_mel_htk(fmin), hz_to_mel_htk(fmax), n_mels + 2)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins_mel[None, :] - lower) / (centre - lower)
    down = (upper - bins_mel[None, :]) / (upper - centre)
    weights = np.clip(np.minimum(up, down), 0.0, None)
    weights[:, 0] = 0.0  # the DC bin feeds no band (as HTK)
    return weights.astype(np.float32)


def filterbank(params: MelParams) -> np.ndarray:
    """The mel filters of a front end, ``(n_mels, 1 + n_fft // 2)``."""
    if params.mel_scale == "htk":
        fmax = params.sr / 2 if params.fmax is None else params.fmax
        return htk_filterbank(sr=params.sr, n_fft=params.n_fft, n_mels=params.n_mels, fmin=params.fmin, fmax=fmax)
    if params.mel_scale == "slaney":
        return slaney_filterbank(sr=params.sr, n_fft=params.n_fft, n_mels=params.n_mels, fmin=params.fmin, fmax=params.fmax)
    raise ValueError(f"unknown mel scale {params.mel_scale!r} (slaney or htk)")


def periodic_hann(n: int) -> np.ndarray:
    """Periodic (DFT-even) Hann window of length ``n``, float32."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def power_spectrogram_frames(frames: np.ndarray, window: np.ndarray, *, n_fft: int | None = None, power: float = 2.0) -> np.ndarray:
    """Spectrum of windowed frames, zero-padded to ``n_fft``, to the given power (2: power, 1: magnitude).

    ``[shape=(t, frame_length)] -> [shape=(t, 1 + n_fft // 2)]``
    """
    spectrum = np.fft.rfft(frames * window, n=n_fft, axis=1)
    squared = spectrum.real**2 + spectrum.imag**2
    if power == 2.0:
        return squared.astype(np.float32)
    return np.sqrt(squared).astype(np.float32) if power == 1.0 else (squared ** (power / 2)).astype(np.float32)


def log_compress(mel: np.ndarray) -> np.ndarray:
    """The original's compression: round the mel to float16, then ``log10(10000 * mel + 1)``.

    The float16 rounding is kept for fidelity; the arithmetic after it is float32 (as numpy 1.x
    promoted it), so loud input does not overflow float16.
    """
    return np.log10(10000.0 * mel.astype(np.float16).astype(np.float32) + 1.0, dtype=np.float32)


def compress(mel: np.ndarray, params: MelParams) -> np.ndarray:
    """A front end's log compression of mel energies."""
    if params.compression == "musicnn":
        return log_compress(mel)
    if params.compression == "log":
        return np.log(mel + np.float32(params.log_offset), dtype=np.float32)
    raise ValueError(f"unknown compression {params.compression!r} (musicnn or log)")


def log_mel(y: np.ndarray, *, params: MelParams = MUSICNN_MEL) -> np.ndarray:
    """Log-mel spectrogram of a whole signal.

    Parameters
    ----------
    y : ndarray [shape=(n,)]
        Mono signal at ``params.sr``.

    Returns
    -------
    ndarray [shape=(n_frames, n_mels), dtype=float32]
        Time-major, as the networks take it. Centred front ends give ``1 + n // hop_length``
        frames, the others ``1 + (n - frame_length) // hop_length`` (none for a shorter signal).
    """
    patcher = MelPatcher(params=params)
    frames = [patcher.push(y), patcher.finish()]
    return np.concatenate(frames, axis=0)


#: Frames per block of the spectrum and mel product. The product is always taken over whole blocks
#: of this many frames, aligned to absolute frame numbers (a final partial block is zero-padded),
#: so every frame meets the same BLAS call whatever the chunking of the stream: BLAS picks its
#: kernel, and so its order of summation, by matrix shape and CPU, and a 1-ulp float32 difference
#: can flip the float16 rounding of the musicnn front end (4e-4 after the log). 64 frames (about
#: 1 s at hop 256) keeps the call overhead under 5 % of the front end's time.
BLOCK_FRAMES = 64


class MelPatcher:
    """Turns a stream of sample chunks into log-mel frames, exactly as :func:`log_mel` would.

    Centred (``params.center``): frame ``t`` covers samples ``[t * hop - n_fft / 2, t * hop +
    n_fft / 2)`` of the signal padded with zeros at both ends (librosa's ``center=True``).
    Otherwise frame ``t`` covers ``[t * hop, t * hop + frame_length)`` and only whole frames count.

    Frames are computed in blocks of :data:`BLOCK_FRAMES` aligned to frame 0, so the output is
    bit-identical for any split of the signal into chunks, on any CPU (the same block, the same
    call, the same kernel).
    """

    def __init__(self, *, params: MelParams = MUSICNN_MEL):
        self.params = params
        self._window = periodic_hann(params.frame_length)
        self._filters = filterbank(params).T.copy()
        self._buffer = np.zeros(params.n_fft // 2 if params.center else 0, dtype=np.float32)
        self.n_samples = 0

    def _complete_frames(self) -> int:
        length, hop = self.params.frame_length, self.params.hop_length
        return 0 if self._buffer.size < length else 1 + (self._buffer.size - length) // hop

    def _blocks(self, n_frames: int) -> np.ndarray:
        """Log-mel of the first ``n_frames`` frames of the buffer, computed block by block, then drop them."""
        length, hop = self.params.frame_length, self.params.hop_length
        n_blocks = -(-n_frames // BLOCK_FRAMES)
        needed = (n_blocks * BLOCK_FRAMES - 1) * hop + length
        padded = self._buffer if self._buffer.size >= needed else np.concatenate(
            [self._buffer, np.zeros(needed - self._buffer.size, np.float32)])
        frames = np.lib.stride_tricks.sliding_window_view(padded, length)[::hop]
        out = np.empty((n_blocks * BLOCK_FRAMES, self.params.n_mels), dtype=np.float32)
        for start in range(0, n_blocks * BLOCK_FRAMES, BLOCK_FRAMES):
            block = frames[start:start + BLOCK_FRAMES]
            spectrum = power_spectrogram_frames(block, self._window, n_fft=self.params.n_fft, power=self.params.power)
            out[start:start + BLOCK_FRAMES] = spectrum @ self._filters
        self._buffer = self._buffer[n_frames * hop:]
        return compress(out[:n_frames], self.params)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Add samples; return the log-mel frames of the blocks now complete. Shape ``(t, n_mels)``."""
        samples = np.asarray(samples, dtype=np.float32)
        self.n_samples += samples.size
        self._buffer = np.concatenate([self._buffer, samples])
        n_frames = self._complete_frames() // BLOCK_FRAMES * BLOCK_FRAMES
        if n_frames == 0:
            return np.zeros((0, self.params.n_mels), dtype=np.float32)
        return self._blocks(n_frames)

    def finish(self) -> np.ndarray:
        """Pad the end as librosa does (centred front ends only) and return the remaining frames."""
        if self.params.center:
            self._buffer = np.concatenate([self._buffer, np.zeros(self.params.n_fft // 2, np.float32)])
        n_frames = self._complete_frames()
        frames = self._blocks(n_frames) if n_frames else np.zeros((0, self.params.n_mels), dtype=np.float32)
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
