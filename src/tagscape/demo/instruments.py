"""Sound sources and effects for the demo synthesizer, in plain vectorised numpy.

Every function but :func:`place` (which adds into a buffer) is pure: parameters are
keyword-only, randomness comes only from the ``rng`` (a :class:`numpy.random.Generator`)
passed in, and a new ``float32`` array is returned. Mono signals have shape ``(n,)``, stereo ones ``(2, n)``; ``sr`` is the sample
rate in Hz. Recursive structures (plucked strings, the reverb) are computed a whole delay
period at a time, so no Python loop ever runs per sample.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

F32 = np.float32
TAU = 2.0 * np.pi


# --------------------------------------------------------------------------- basics


def midi_hz(note):
    """Frequency in Hz of a MIDI note number (scalar or array; A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=np.float64) - 69.0) / 12.0)


def n_of(seconds: float, sr: int) -> int:
    """Number of samples (at least 1) in ``seconds`` at rate ``sr``."""
    return max(int(round(seconds * sr)), 1)


def times(n: int, sr: int) -> np.ndarray:
    """Sample times in seconds, shape ``(n,)`` float32."""
    return np.arange(n, dtype=F32) / F32(sr)


def phase_of(freq, *, sr: int, n: int, phase0: float = 0.0) -> np.ndarray:
    """Running phase in cycles, shape ``(n,)`` float64, for a constant or per-sample frequency."""
    if np.ndim(freq) == 0:
        return phase0 + np.arange(n) * (float(freq) / sr)
    return phase0 + np.cumsum(np.asarray(freq, dtype=np.float64) / sr) - freq[0] / sr


def wrap(phase: np.ndarray) -> np.ndarray:
    """Fractional part of a float64 phase in cycles, as float32 in [0, 1)."""
    return (phase - np.floor(phase)).astype(F32)


def sine(phase: np.ndarray) -> np.ndarray:
    """``sin(2 pi phase)`` for a phase in cycles (float64, any shape), as float32."""
    return np.sin(wrap(phase) * F32(TAU))


def tone(freq: float, *, sr: int, n: int, phase0: float = 0.0) -> np.ndarray:
    """Constant-frequency sine, shape ``(n,)``, built as an outer product of two rotations (fast)."""
    block = 512
    w = TAU * freq / sr
    inner = np.exp(1j * (w * np.arange(block) + TAU * phase0)).astype(np.complex64)
    outer = np.exp(1j * w * block * np.arange(-(-n // block))).astype(np.complex64)
    return (outer[:, None] * inner).imag.ravel()[:n]


def damped_partials(*, freqs, taus, amps, phases, sr: int, n: int) -> np.ndarray:
    """Sum of exponentially decaying sines ``sum_j a_j exp(-t/tau_j) sin(2 pi f_j t + 2 pi p_j)``.

    All four parameters have shape ``(J,)``. Each term is a complex geometric sequence, so
    the sum over ``J`` terms for a block of samples is one complex matrix product
    ``(blocks, J) @ (J, block)``, which is much faster than ``J`` separate sines.
    Returns shape ``(n,)`` float32.
    """
    block = 256
    rate = -1.0 / (np.asarray(taus, dtype=np.float64) * sr) + 1j * TAU * np.asarray(freqs) / sr
    inner = np.exp(rate[:, None] * np.arange(block)[None, :]).astype(np.complex64)
    start = np.exp(1j * TAU * np.asarray(phases)) * np.asarray(amps)
    outer = (start * np.exp(rate[None, :] * block * np.arange(-(-n // block))[:, None])).astype(np.complex64)
    return (outer @ inner).imag.ravel()[:n].astype(F32)


def saw(freq, *, sr: int, n: int, phase0: float = 0.0) -> np.ndarray:
    """Band-limited (PolyBLEP) sawtooth in [-1, 1], shape ``(n,)``; ``freq`` scalar or ``(n,)``."""
    inc = np.broadcast_to(np.asarray(freq, dtype=F32) / F32(sr), (n,))
    ph = wrap(phase_of(freq, sr=sr, n=n, phase0=phase0))
    out = F32(2.0) * ph - F32(1.0)
    lo = ph < inc
    t = ph[lo] / inc[lo]
    out[lo] -= 2.0 * t - t * t - 1.0
    hi = ph > 1.0 - inc
    t = (ph[hi] - 1.0) / inc[hi]
    out[hi] -= t * t + 2.0 * t + 1.0
    return out


def square(freq, *, sr: int, n: int, width: float = 0.5) -> np.ndarray:
    """Band-limited pulse wave (difference of two saws), shape ``(n,)``."""
    return (saw(freq, sr=sr, n=n) - saw(freq, sr=sr, n=n, phase0=width)) * F32(0.5)


def envelope(n: int, *, sr: int, attack: float, release: float, decay: float = 0.0,
             sustain: float = 1.0, gate: float | None = None) -> np.ndarray:
    """Piecewise-linear ADSR, shape ``(n,)``; the gate closes at ``gate`` s (default: end - release)."""
    a, d, r = attack * sr, decay * sr, release * sr
    g = n - r if gate is None else min(gate * sr, n - r)
    g = max(g, 1.0)
    a = min(a, g)
    xs = [0.0, a, min(a + d, g), g, g + r]
    ys = [0.0, 1.0, sustain, sustain, 0.0]
    return np.interp(np.arange(n), xs, ys).astype(F32)


def decay_env(n: int, *, sr: int, tau: float) -> np.ndarray:
    """``exp(-t / tau)``, shape ``(n,)``."""
    return np.exp(-times(n, sr) / F32(tau))


def pan(x: np.ndarray, *, position: float) -> np.ndarray:
    """Constant-power pan of mono ``(n,)`` to stereo ``(2, n)``; position in [-1 (L), 1 (R)]."""
    ang = (position + 1.0) * np.pi / 4.0
    return np.stack([x * F32(np.cos(ang)), x * F32(np.sin(ang))])


def place(buf: np.ndarray, x: np.ndarray, *, start: int, gain: float = 1.0) -> None:
    """Add ``x`` (shape ``(..., m)``) into ``buf`` (shape ``(..., n)``) at sample ``start``, clipped."""
    if start >= buf.shape[-1] or start + x.shape[-1] <= 0:
        return
    lo = max(start, 0)
    hi = min(start + x.shape[-1], buf.shape[-1])
    buf[..., lo:hi] += gain * x[..., lo - start:hi - start]


def ring(x: np.ndarray, *, sr: int, seconds: float, release: float = 0.1) -> np.ndarray:
    """Cut a ringing note ``(m,)`` to ``seconds`` plus a linear ``release`` fade (a damper), shape ``(k,)``."""
    k = min(x.shape[-1], n_of(seconds + release, sr))
    r = min(k, n_of(release, sr))
    y = x[:k].copy()
    y[k - r:] *= np.linspace(1.0, 0.0, r, dtype=F32)
    return y


# --------------------------------------------------------------------------- filters


def lowpass_gain(f, *, fc, q: float = 0.707, order: float = 2.0):
    """Magnitude of a resonant low-pass (2nd order per ``order`` 2), broadcast over f and fc."""
    r = f / fc
    return ((1.0 - r * r) ** 2 + (r / q) ** 2) ** (-order / 4.0)


def highpass_gain(f, *, fc, order: float = 2.0):
    """Magnitude of a Butterworth-like high-pass, broadcast over f and fc."""
    r = np.asarray(f, dtype=np.float64) / fc
    return r ** order / np.sqrt(1.0 + r ** (2 * order))


def bell_gain(f, *, fc, db: float, octaves: float = 1.0):
    """A peaking bump of ``db`` decibels, Gaussian in log-frequency, width in octaves."""
    z = np.log2(np.maximum(f, 1.0) / fc) / octaves
    return 1.0 + (10 ** (db / 20.0) - 1.0) * np.exp(-0.5 * z * z)


def fft_filter(x: np.ndarray, *, sr: int, gain: Callable) -> np.ndarray:
    """Zero-phase static filter of a short signal ``(..., n)``: multiply its spectrum by ``gain(freqs)``."""
    n = x.shape[-1]
    nfft = 1 << int(np.ceil(np.log2(n + 2048)))
    spec = np.fft.rfft(x.astype(F32), nfft)
    spec *= gain(np.fft.rfftfreq(nfft, 1.0 / sr)).astype(F32)
    return np.fft.irfft(spec, nfft)[..., :n].astype(F32)


def stft_filter(x: np.ndarray, *, sr: int, gain: Callable, n_fft: int = 1024) -> np.ndarray:
    """Time-varying filter of mono ``(n,)`` by short-time spectral multiplication.

    ``gain(t, f)`` receives frame times ``(frames, 1)`` in seconds and bin frequencies
    ``(1, bins)`` in Hz and returns magnitudes broadcastable to ``(frames, bins)``. Sine
    windows at 50 % overlap (applied before and after) add back to exactly ``x`` for a
    gain of 1. Returns shape ``(n,)`` float32.
    """
    n, hop = x.shape[-1], n_fft // 2
    xp = np.pad(x.astype(F32), (n_fft, n_fft + hop))
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft)[::hop]
    n_frames = frames.shape[0]
    win = np.sin(np.pi * (np.arange(n_fft) + 0.5) / n_fft).astype(F32)
    spec = np.fft.rfft(frames * win, axis=-1)
    t = ((np.arange(n_frames) * hop + hop - n_fft) / sr)[:, None]
    spec *= np.asarray(gain(t, np.fft.rfftfreq(n_fft, 1.0 / sr).astype(F32)[None, :]), dtype=F32)
    y = np.fft.irfft(spec, n_fft, axis=-1).astype(F32) * win
    out = np.zeros((n_frames + 1, hop), F32)
    out[:n_frames] += y[:, :hop]
    out[1:] += y[:, hop:]
    return out.ravel()[n_fft:n_fft + n]


def highpass_noise(*, n: int, sr: int, rng: np.random.Generator, fc: float) -> np.ndarray:
    """White noise high-passed at ``fc`` Hz, shape ``(n,)``."""
    return fft_filter(rng.standard_normal(n), sr=sr, gain=lambda f: highpass_gain(f, fc=fc, order=3))


def reverb(x: np.ndarray, *, sr: int, rng: np.random.Generator, t60: float,
           damping: float = 0.35, predelay: float = 0.015) -> np.ndarray:
    """Wet stereo reverb ``(2, n)`` of mono ``x`` ``(n,)``: diffusion taps into an 8-line feedback delay network.

    The network runs a block of ``min(delays)`` samples at a time (each block only reads
    samples written in earlier blocks), with an orthogonal Householder feedback matrix,
    per-line gains for the requested ``t60`` (seconds) and a 2-tap low-pass for damping.
    """
    n = x.shape[-1]
    taps = rng.uniform(0.002, 0.05, 12)
    signs = rng.choice([-1.0, 1.0], 12) * np.exp(-taps / 0.04) * 0.5
    diffused = x.astype(F32).copy()
    for tap, g in zip(taps, signs, strict=True):
        place(diffused, x, start=int(tap * sr), gain=float(g))
    delays = (np.array([1117, 1277, 1423, 1559, 1693, 1847, 1997, 2137])
              * rng.uniform(0.97, 1.03, 8) * sr / 44100.0).astype(int)
    block, off = int(delays.min()), int(delays.max()) + 2
    gains = (10.0 ** (-3.0 * delays / (t60 * sr)))[:, None].astype(F32)
    house = (np.eye(8) - 2.0 / 8.0).astype(F32)
    lines = np.zeros((8, off + n), F32)
    src = np.zeros(n, F32)
    place(src, diffused, start=int(predelay * sr))
    in_gain = (rng.choice([-1.0, 1.0], 8) / np.sqrt(8.0))[:, None].astype(F32)
    outs = np.array([[1, 1, -1, -1, 1, -1, 1, -1], [1, -1, 1, -1, -1, 1, 1, -1]], F32) / F32(2.0)
    wet = np.zeros((2, n), F32)
    a = F32(damping)
    for b in range(0, n, block):
        e = min(b + block, n)
        taps_now = np.stack([lines[i, off + b - d - 1:off + e - d] for i, d in enumerate(delays)])
        read = (1 - a) * taps_now[:, 1:] + a * taps_now[:, :-1]
        lines[:, off + b:off + e] = in_gain * src[b:e] + house @ (gains * read)
        wet[:, b:e] = outs @ read
    return wet


# --------------------------------------------------------------------------- pitched voices


def piano_note(*, freq: float, seconds: float, sr: int, rng: np.random.Generator,
               inharmonicity: float = 3e-4, brightness: float = 1.0) -> np.ndarray:
    """A struck piano string left to ring, shape ``(n,)``.

    Additive partials ``k f sqrt(1 + B k^2)`` (stretched, inharmonic), each a pair of
    slightly detuned strings (beating), with a two-stage decay that is faster for high
    partials and high notes, plus a short low-passed hammer thump.
    """
    n = n_of(seconds, sr)
    tau1 = float(np.clip(2.6 * (262.0 / freq) ** 0.7, 0.35, 7.0))
    k = np.arange(1, 17)
    fk = k * freq * np.sqrt(1.0 + inharmonicity * k * k)
    k, fk = k[fk < 0.42 * sr], fk[fk < 0.42 * sr]
    tau = tau1 / (1.0 + 0.45 * (k - 1) ** 1.15)
    amp = np.exp(-(k - 1) * 0.33 / brightness) / k ** 0.6
    detuned = fk * (1.0 + rng.normal(0.0, 0.0006, k.size))
    # two strings per partial (beating), each with a fast and a slow decay stage
    out = damped_partials(freqs=np.concatenate([fk, fk, detuned, detuned]),
                          taus=np.concatenate([0.2 * tau, tau, 0.2 * tau, tau]),
                          amps=np.concatenate([0.6 * amp, 0.4 * amp, 0.6 * amp, 0.4 * amp]),
                          phases=np.concatenate([np.zeros(2 * k.size), np.tile(rng.random(k.size), 2)]),
                          sr=sr, n=n)
    out *= np.minimum(1.0, times(n, sr) / F32(0.002))
    hn = min(n, n_of(0.05, sr))
    thump = rng.standard_normal(hn) * np.exp(-np.arange(hn) / (0.004 * sr))
    thump = fft_filter(thump, sr=sr, gain=lambda f: lowpass_gain(f, fc=min(3 * freq + 800, 6000)))
    out[:hn] += F32(0.15) * thump
    return out * F32(0.5)


def pluck(*, freq: float, seconds: float, sr: int, rng: np.random.Generator,
          t60: float = 2.5, brightness: float = 0.5, position: float = 0.2) -> np.ndarray:
    """Karplus-Strong plucked string, shape ``(n,)``, tuned exactly with a fractional delay.

    The loop is ``y[i] = g * sum_j h[j] y[i - p - j]``, a smoothing kernel (darker for
    low ``brightness``) convolved with a linear-interpolation fractional delay; every term
    lies at least one period back, so a whole period is computed per step. The noise burst
    is low-passed by ``brightness`` in [0, 1] and comb-filtered by the pluck ``position``.
    """
    n = n_of(seconds, sr)
    period = sr / freq
    p = int(np.floor(period - 1.0))
    d = period - 1.0 - p
    s = 0.5 - 0.25 * brightness
    h = np.convolve([s / 2, 1.0 - s, s / 2], [1.0 - d, d]) * 10.0 ** (-3.0 / (t60 * freq))
    width = 1 + int((1.0 - brightness) * p / 4)
    burst = np.convolve(rng.uniform(-1.0, 1.0, p + width), np.ones(width) / width, mode="valid")[:p]
    burst -= np.roll(burst, max(1, int(position * p))) * 0.9
    burst -= burst.mean()
    burst /= max(np.abs(burst).max(), 1e-9)
    y = np.zeros(n + 3)
    y[3:3 + min(p, n)] = burst[:n]
    for i in range(p + 3, n + 3, p):
        e = min(i + p, n + 3)
        y[i:e] = (h[0] * y[i - p:e - p] + h[1] * y[i - p - 1:e - p - 1]
                  + h[2] * y[i - p - 2:e - p - 2] + h[3] * y[i - p - 3:e - p - 3])
    return y[3:].astype(F32)


def bowed(*, freq: np.ndarray, sr: int, rng: np.random.Generator, vibrato_rate: float = 5.5,
          vibrato_depth: float = 0.004, detune_cents: float = 7.0) -> np.ndarray:
    """A bowed-string tone following a per-sample frequency ``(n,)``: two detuned saws with vibrato."""
    n = freq.shape[0]
    out = np.zeros(n, F32)
    for c in (-detune_cents, detune_cents):
        lfo = tone(vibrato_rate * rng.uniform(0.9, 1.1), sr=sr, n=n, phase0=rng.random())
        wobble = 1.0 + vibrato_depth * lfo.astype(np.float64)
        out += saw(freq * wobble * 2 ** (c / 1200.0), sr=sr, n=n, phase0=rng.random())
    return out * F32(0.5)


def pad_voice(*, freq: float, seconds: float, sr: int, rng: np.random.Generator, attack: float,
              release: float, detune_cents: float = 9.0) -> np.ndarray:
    """A soft synth-pad note: two detuned saws and a sine, slow attack and release, shape ``(n,)``."""
    n = n_of(seconds, sr)
    out = tone(freq, sr=sr, n=n) * F32(0.8)
    for c in (-detune_cents, detune_cents):
        out += saw(freq * 2 ** ((c + rng.normal(0, 1.5)) / 1200.0), sr=sr, n=n, phase0=rng.random()) * F32(0.4)
    return out * envelope(n, sr=sr, attack=attack, release=release)


def bell(*, freq: float, seconds: float, sr: int) -> np.ndarray:
    """A glassy bell: sine partials at inharmonic ratios with long, staggered decays, shape ``(n,)``."""
    n = n_of(seconds, sr)
    out = damped_partials(freqs=freq * np.array([1.0, 2.76, 5.4, 8.93]), taus=[2.5, 1.2, 0.6, 0.3],
                          amps=[1.0, 0.35, 0.15, 0.06], phases=np.zeros(4), sr=sr, n=n)
    return out * np.minimum(1.0, times(n, sr) / F32(0.004))


def bass_note(*, freq: float, seconds: float, sr: int, cutoff: float = 700.0, square_wave: bool = False) -> np.ndarray:
    """An electric-bass-like note: saw (or pulse) plus sine sub, low-passed, plucked envelope, shape ``(n,)``."""
    n = n_of(seconds, sr)
    osc = square(freq, sr=sr, n=n, width=0.4) if square_wave else saw(freq, sr=sr, n=n)
    x = F32(0.6) * osc + tone(freq, sr=sr, n=n)
    x = fft_filter(x, sr=sr, gain=lambda f: lowpass_gain(f, fc=cutoff, q=0.9))
    return x * envelope(n, sr=sr, attack=0.004, release=0.03, decay=0.3, sustain=0.7)


def power_chord(*, freq: float, seconds: float, sr: int, rng: np.random.Generator, muted: bool,
                drive: float = 10.0) -> np.ndarray:
    """Distorted power chord (root, fifth, octave saws through ``tanh``), shape ``(n,)``.

    A palm-muted chug has a short decay and a darker input, so it saturates into a dull
    thud; an open chord rings with a slow decay.
    """
    n = n_of(seconds, sr)
    x = np.zeros(n, F32)
    for ratio in (1.0, 1.4983, 2.0):
        x += saw(freq * ratio * (1 + rng.normal(0, 0.0015)), sr=sr, n=n, phase0=rng.random())
    cut = 700.0 if muted else 3000.0
    x = fft_filter(x, sr=sr, gain=lambda f: lowpass_gain(f, fc=cut) * highpass_gain(f, fc=70.0))
    env = decay_env(n, sr=sr, tau=0.09 if muted else 1.8)
    y = np.tanh(F32(drive) * x * env)
    return y * envelope(n, sr=sr, attack=0.002, release=0.03) * F32(0.7 if muted else 1.0)


#: Soprano formants per vowel: centre frequencies (Hz), bandwidths (Hz), levels (dB).
FORMANTS = {
    "a": ((800, 1150, 2900, 3900, 4950), (80, 90, 120, 130, 140), (0, -6, -32, -20, -50)),
    "e": ((350, 2000, 2800, 3600, 4950), (60, 100, 120, 150, 200), (0, -20, -15, -40, -56)),
    "i": ((270, 2140, 2950, 3900, 4950), (60, 90, 100, 120, 120), (0, -12, -26, -26, -44)),
    "o": ((450, 800, 2830, 3800, 4950), (70, 80, 100, 130, 135), (0, -11, -22, -22, -50)),
    "u": ((325, 700, 2700, 3800, 4950), (50, 60, 170, 180, 200), (0, -16, -35, -40, -60)),
}


def sing(*, f0: np.ndarray, amp: np.ndarray, vowels: list[tuple[float, str]], sr: int,
         rng: np.random.Generator, vibrato_rate: float = 5.6, vibrato_depth: float = 0.012,
         formant_shift: float = 1.0) -> np.ndarray:
    """A sung line, shape ``(n,)``: a glottal pulse train through moving vowel formants.

    ``f0`` ``(n,)`` is the melody in Hz, ``amp`` ``(n,)`` its loudness, ``vowels`` a
    time-sorted list of ``(seconds, vowel)`` anchors between which the formants glide.
    The source is a band-limited pulse train with vibrato, slight jitter and breath noise;
    each short-time frame is multiplied by the sum of five resonance curves.
    """
    n = f0.shape[0]
    t = np.arange(n) / sr
    knots = np.arange(0.0, t[-1] + 0.05, 0.05)
    jitter = np.interp(t, knots, rng.standard_normal(knots.size))
    pitch = f0 * (1.0 + vibrato_depth * tone(vibrato_rate, sr=sr, n=n) + 0.002 * jitter)
    src = saw(pitch, sr=sr, n=n) + F32(0.03) * rng.standard_normal(n).astype(F32)
    src *= amp.astype(F32)
    anchor_t = np.array([a for a, _ in vowels])
    table = np.array([np.concatenate(FORMANTS[v]) for _, v in vowels], dtype=np.float64)

    def gain(tt, f):
        p = np.stack([np.interp(tt[:, 0], anchor_t, table[:, j]) for j in range(15)], axis=1).astype(F32)
        f = f.astype(F32)
        out = np.zeros((tt.shape[0], f.shape[1]), F32)
        for j in range(5):
            centre, width = p[:, j:j + 1] * formant_shift, p[:, 5 + j:6 + j]
            out += F32(10) ** (p[:, 10 + j:11 + j] / 20) / (1 + ((f - centre) / (F32(0.5) * width)) ** 2)
        return out / np.sqrt(1 + (f / F32(500)) ** 2)

    return stft_filter(src, sr=sr, gain=gain)


# --------------------------------------------------------------------------- drums


def kick(*, sr: int, rng: np.random.Generator, f_hi: float = 150.0, f_lo: float = 48.0,
         tau: float = 0.3, click: float = 0.25) -> np.ndarray:
    """Bass drum, shape ``(n,)``: a sine whose pitch falls from ``f_hi`` to ``f_lo`` Hz, plus a click."""
    n = n_of(4 * tau + 0.05, sr)
    t = np.arange(n) / sr
    freq = f_lo + (f_hi - f_lo) * np.exp(-t / 0.035)
    body = sine(phase_of(freq, sr=sr, n=n)) * decay_env(n, sr=sr, tau=tau)
    cn = n_of(0.01, sr)
    body[:cn] += F32(click) * rng.standard_normal(cn).astype(F32) * decay_env(cn, sr=sr, tau=0.002)
    return np.tanh(F32(1.6) * body)


def snare(*, sr: int, rng: np.random.Generator, tone_hz: float = 185.0, tau: float = 0.16) -> np.ndarray:
    """Snare drum, shape ``(n,)``: a short pitched body plus band-passed noise (the wires)."""
    n = n_of(5 * tau, sr)
    t = np.arange(n) / sr
    body = sine(phase_of(tone_hz * (1 + 0.4 * np.exp(-t / 0.01)), sr=sr, n=n)) * decay_env(n, sr=sr, tau=0.05)
    wires = fft_filter(rng.standard_normal(n), sr=sr,
                       gain=lambda f: highpass_gain(f, fc=1200.0) * lowpass_gain(f, fc=9000.0))
    return F32(0.7) * body + F32(0.9) * wires * decay_env(n, sr=sr, tau=tau)


def hihat(*, sr: int, rng: np.random.Generator, tau: float = 0.04) -> np.ndarray:
    """Hi-hat, shape ``(n,)``: six clashing square waves plus noise, high-passed; long ``tau`` = open."""
    n = n_of(6 * tau + 0.01, sr)
    clang = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)  # Hz, the classic drum-machine ratios
    metal = sum(np.sign(tone(f * rng.uniform(0.98, 1.02), sr=sr, n=n)) for f in clang)
    x = F32(0.5) * metal + rng.standard_normal(n).astype(F32)
    x = fft_filter(x, sr=sr, gain=lambda f: highpass_gain(f, fc=7000.0, order=3))
    return x * decay_env(n, sr=sr, tau=tau) * F32(0.5)


def clap(*, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Hand clap, shape ``(n,)``: three quick noise bursts and a short tail, band-passed near 1.5 kHz."""
    n = n_of(0.3, sr)
    env = np.zeros(n, F32)
    for k in range(3):
        place(env, decay_env(n_of(0.012, sr), sr=sr, tau=0.003), start=n_of(0.011 * k, sr))
    place(env, decay_env(n_of(0.25, sr), sr=sr, tau=0.06) * F32(0.7), start=n_of(0.033, sr))
    x = fft_filter(rng.standard_normal(n) * env, sr=sr, gain=lambda f: bell_gain(f, fc=1500, db=0, octaves=1)
                   * highpass_gain(f, fc=800.0) * lowpass_gain(f, fc=4000.0))
    return x


def cymbal(*, sr: int, rng: np.random.Generator, tau: float = 1.0, ping: float = 0.3) -> np.ndarray:
    """Ride or crash cymbal, shape ``(n,)``: inharmonic high partials and hissing noise, slow decay."""
    n = n_of(4 * tau, sr)
    partials = sum(tone(f, sr=sr, n=n) / F32(1 + i) for i, f in enumerate(rng.uniform(2500, 9000, 10)))
    hiss = highpass_noise(n=n, sr=sr, rng=rng, fc=5000.0)
    x = F32(ping) * partials * decay_env(n, sr=sr, tau=0.6 * tau) + hiss * decay_env(n, sr=sr, tau=tau)
    return x * np.minimum(1.0, times(n, sr) / F32(0.001)) * F32(0.4)
