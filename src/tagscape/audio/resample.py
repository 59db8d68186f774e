"""Resamplers of the models' front ends, streamed: soxr's HQ preset, and resampy's
``kaiser_best`` filter as VGGish's release uses it.

MusiCNN and VGG were trained on librosa's default resampler (``soxr_hq``), VGGish on
``resampy.resample(x, sr, 16000)`` (``vggish_input.py``). The two differ where it shows:
from 44.1 kHz, kaiser_best is 3 dB down near 7.2 kHz and 8.6 dB at 7.4 kHz, soxr HQ near
7.6 kHz, and VGGish's top mel bands reach 7.5 kHz.

:class:`KaiserBestStream` computes exactly resampy's arithmetic (its filter table, its integer
tap step, its linear interpolation between table entries) as a polyphase filter: the output
samples of one period of the rational ratio ``M / L`` (``M`` outputs per ``L`` inputs) are one
row of a matrix product of the input window with a weight matrix built once. resampy's own
loop runs at 75 x real time from 44.1 kHz on one core; the product takes a fraction of that
(``bench/extract.py --vggish-only``). Rows are computed in fixed blocks aligned to the start of
the signal, so any chunking of a stream gives the same samples as the whole signal, bit for
bit, on every CPU (BLAS picks its kernel by matrix shape).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np
import soxr

#: Resampler names, as ``MelParams.resampler`` and ``tagscape models list`` give them.
SOXR_HQ = "soxr_hq"
RESAMPY_KAISER_BEST = "resampy_kaiser_best"
RESAMPLERS = (SOXR_HQ, RESAMPY_KAISER_BEST)
DESCRIPTIONS = {
    SOXR_HQ: "soxr HQ (librosa's default, as the musicnn reference)",
    RESAMPY_KAISER_BEST: "resampy kaiser_best (as VGGish's release)",
}

#: Periods of the ratio computed per matrix product (zero-padded at the end of the signal).
BLOCK_ROWS = 256


@lru_cache(maxsize=16)
def _polyphase(sr_in: int, sr_out: int) -> tuple[np.ndarray, int, int, int]:
    """Weights ``(width, M)`` of one period, the period's ``L`` and ``M``, and how many input
    samples the window starts before the period (``lead``).

    Output ``j = q M + p`` is ``x[q L - lead : q L - lead + width] @ W[:, p]``, with ``x`` zero
    outside the signal (resampy skips those taps; a zero adds nothing).
    """
    table, num_table = _kaiser_best_table()
    ratio = sr_out / sr_in
    if ratio < 1:
        table = ratio * table
    delta = np.diff(table, append=table[-1])
    scale = min(1.0, ratio)
    step = int(scale * num_table)
    g = gcd(sr_in, sr_out)
    L, M = sr_in // g, sr_out // g
    wings = []
    for p in range(M):
        n, r = divmod(p * L, M)  # output p sits at input time n + r / M
        frac = scale * (r / M)
        left = _wing(table, delta, frac * num_table, step)  # applied to x[n - i]
        right = _wing(table, delta, (scale - frac) * num_table, step)  # applied to x[n + 1 + k]
        wings.append((n, left, right))
    lead = max(len(left) - 1 - n for n, left, _ in wings)
    width = max(n + 1 + len(right) for n, _, right in wings) + lead
    weights = np.zeros((width, M), np.float64)
    for p, (n, left, right) in enumerate(wings):
        weights[lead + n - np.arange(len(left)), p] = left
        weights[lead + n + 1 + np.arange(len(right)), p] = right
    return weights, L, M, lead


def _kaiser_best_table() -> tuple[np.ndarray, int]:
    """resampy's precomputed ``kaiser_best`` filter (its right wing, and samples per zero crossing),
    read from the package's data file: importing resampy itself would import numba (about a
    second at start-up) for a table of numbers."""
    spec = importlib.util.find_spec("resampy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("VGGish's front end needs resampy's filter: pip install resampy")
    with np.load(Path(list(spec.submodule_search_locations)[0]) / "data" / "kaiser_best.npz") as data:
        return np.asarray(data["half_window"], np.float64), int(data["precision"])


def _wing(table: np.ndarray, delta: np.ndarray, index_frac: float, step: int) -> np.ndarray:
    offset = int(index_frac)
    eta = index_frac - offset
    taps = offset + step * np.arange((table.shape[0] - offset) // step)
    return table[taps] + eta * delta[taps]


def output_length(n_in: int, sr_in: int, sr_out: int) -> int:
    """Samples that resampy gives for ``n_in`` input samples."""
    return int(n_in * float(sr_out) / float(sr_in))


class KaiserBestStream:
    """Push chunks at ``sr_in``, get float32 chunks at ``sr_out`` equal to
    ``resampy.resample(x, sr_in, sr_out)`` of the whole signal (in float64, as the release's
    int16 / 32768 input is)."""

    def __init__(self, sr_in: int, sr_out: int):
        self.sr_in, self.sr_out = sr_in, sr_out
        self.weights, self.L, self.M, self.lead = _polyphase(sr_in, sr_out)
        self.width = self.weights.shape[0]
        self._buffer = np.zeros(self.lead, np.float64)  # starts at input index -lead (zeros before the signal)
        self._next_row = 0  # first period not yet computed
        self._n_in = 0
        self._n_out = 0

    def _rows(self, n_rows: int) -> np.ndarray:
        """Outputs of the next ``n_rows`` periods, whose windows the buffer holds (zero-padded)."""
        n_blocks = -(-n_rows // BLOCK_ROWS)
        needed = (n_blocks * BLOCK_ROWS - 1) * self.L + self.width
        buffer = self._buffer if self._buffer.size >= needed else np.concatenate([self._buffer, np.zeros(needed - self._buffer.size)])
        windows = np.lib.stride_tricks.sliding_window_view(buffer, self.width)[:: self.L]
        out = np.empty((n_blocks * BLOCK_ROWS, self.M), np.float64)
        for start in range(0, n_blocks * BLOCK_ROWS, BLOCK_ROWS):
            out[start : start + BLOCK_ROWS] = np.ascontiguousarray(windows[start : start + BLOCK_ROWS]) @ self.weights
        self._buffer = self._buffer[n_rows * self.L :]
        self._next_row += n_rows
        return out[:n_rows].ravel()

    def _complete_rows(self) -> int:
        return 0 if self._buffer.size < self.width else 1 + (self._buffer.size - self.width) // self.L

    def push(self, samples: np.ndarray) -> np.ndarray:
        self._n_in += samples.size
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, np.float64)])
        n_rows = self._complete_rows() // BLOCK_ROWS * BLOCK_ROWS
        if n_rows == 0:
            return np.zeros(0, np.float32)
        out = self._rows(n_rows)
        self._n_out += out.size
        return out.astype(np.float32)

    def finish(self) -> np.ndarray:
        total = output_length(self._n_in, self.sr_in, self.sr_out)
        remaining = max(0, total - self._n_out)
        n_rows = -(-remaining // self.M)
        out = self._rows(n_rows)[:remaining] if n_rows else np.zeros(0)
        self._n_out += out.size
        return out.astype(np.float32)


class SoxrStream:
    """soxr's streaming resampler with the HQ preset (librosa's ``soxr_hq``), float32."""

    def __init__(self, sr_in: int, sr_out: int):
        self._stream = soxr.ResampleStream(sr_in, sr_out, 1, dtype="float32", quality="HQ")

    def push(self, samples: np.ndarray) -> np.ndarray:
        return self._stream.resample_chunk(np.asarray(samples, np.float32))

    def finish(self) -> np.ndarray:
        return self._stream.resample_chunk(np.zeros(0, np.float32), last=True)


class Unchanged:
    """The signal is at the target rate already."""

    def push(self, samples: np.ndarray) -> np.ndarray:
        return np.asarray(samples, np.float32)

    def finish(self) -> np.ndarray:
        return np.zeros(0, np.float32)


def make_stream(kind: str, sr_in: int, sr_out: int):
    """A streaming resampler: ``push(chunk) -> chunk``, then ``finish() -> last chunk``."""
    if kind not in RESAMPLERS:
        raise ValueError(f"unknown resampler {kind!r}; known: {', '.join(RESAMPLERS)}")
    if sr_in == sr_out:
        return Unchanged()
    return KaiserBestStream(sr_in, sr_out) if kind == RESAMPY_KAISER_BEST else SoxrStream(sr_in, sr_out)
