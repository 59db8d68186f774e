"""Contiguous, memory-mapped arrays of a layer, derived from the database.

For each (model, layer) the segments of all tracks are stored one after another in track
order, in ``arrays/<model>.<layer>.values.<version>-<random>.npy`` (float16,
``(n_segments, n_cols)``), with ``arrays/<model>.<layer>.index.npz`` holding ``track_ids``,
``offsets`` (``n_tracks + 1``; track ``i``'s rows are ``offsets[i]:offsets[i + 1]``), the
model version they were built from and the name of the values file. They are a cache: when the
database's version for the model moves on, they are rebuilt (see :func:`build_layer`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tagscape.errors import NotFoundError
from tagscape import files
from tagscape.store.db import STORE_DTYPE, Store

#: 2: the index names its values file, written under a name of its own (1: fixed names, rebuilt in place).
ARRAYS_FORMAT = 2


@dataclass
class LayerArray:
    """All segments of one layer, with per-track offsets.

    Attributes
    ----------
    values : ndarray [shape=(n_segments, n_cols), dtype=float16]
        Memory-mapped, read-only.
    offsets : ndarray [shape=(n_tracks + 1,), dtype=int64]
    track_ids : ndarray [shape=(n_tracks,), dtype=int64]
    """

    model_id: str
    layer: str
    values: np.ndarray
    offsets: np.ndarray
    track_ids: np.ndarray

    @property
    def n_tracks(self) -> int:
        return len(self.track_ids)

    def position(self, track_id: int) -> int | None:
        """The track's index in ``track_ids`` (kept in increasing order by ``build_layer``), or None."""
        i = int(np.searchsorted(self.track_ids, int(track_id)))
        return i if i < self.n_tracks and int(self.track_ids[i]) == int(track_id) else None

    def track(self, track_id: int) -> np.ndarray:
        """The rows of one track, ``(n_segments_of_track, n_cols)``."""
        i = self.position(track_id)
        if i is None:
            raise NotFoundError(f"track {track_id} has no {self.model_id} {self.layer}")
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def rows_for(self, track_ids) -> tuple[np.ndarray, np.ndarray]:
        """Row indices of the given tracks' segments, and each row's track id, in the given order."""
        wanted = np.asarray(list(track_ids), np.int64)
        found = np.minimum(np.searchsorted(self.track_ids, wanted), max(self.n_tracks - 1, 0))
        positions = found[self.track_ids[found] == wanted] if self.n_tracks else found[:0]
        if not len(positions):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        starts, ends = self.offsets[positions], self.offsets[positions + 1]
        lengths = ends - starts
        rows = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        return rows, np.repeat(self.track_ids[positions], lengths)

    def selection(self, track_ids=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, row_tracks, segments)`` of the given tracks (all, in stored order, when None):
        row indices, each row's track id and each row's index within its track."""
        if track_ids is None:
            rows, row_tracks = np.arange(self.values.shape[0]), np.repeat(self.track_ids, np.diff(self.offsets))
        else:
            rows, row_tracks = self.rows_for(track_ids)
        segments = self.segment_index()[rows] if len(rows) else np.zeros(0, np.int32)
        return rows, row_tracks, segments

    def segment_index(self) -> np.ndarray:
        """Each row's index within its track, ``(n_segments,)`` int32."""
        lengths = np.diff(self.offsets)
        return (np.arange(self.offsets[-1]) - np.repeat(self.offsets[:-1], lengths)).astype(np.int32)


def _index_path(arrays_dir: Path, model_id: str, layer: str) -> Path:
    return arrays_dir / f"{model_id}.{layer}.index.npz"


def _values_stem(model_id: str, layer: str) -> str:
    return f"{model_id}.{layer}.values"


def build_layer(store: Store, arrays_dir: Path, model_id: str, layer: str) -> None:
    """Write the contiguous arrays of a layer from the database, unless another thread or
    process did it meanwhile (one rebuild at a time per layer).

    The values go to a file of their own (``<model>.<layer>.values.<version>-<random>.npy``)
    and the index, which names that file, is replaced last: a reader holds either the old pair
    or the new one. Values files the new index does not name are then removed (a reader that
    mapped one keeps its pages). A rebuild killed midway leaves only a temporary file, swept by
    the next one, and the old arrays in use.
    """
    index_path = _index_path(arrays_dir, model_id, layer)
    with files.exclusive(index_path.with_suffix(".lock")):
        if _fresh_index(store, index_path, model_id) is not None:
            return
        files.sweep_temporaries(index_path)
        for leftover in arrays_dir.glob(f"{_values_stem(model_id, layer)}.*{files.TMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
        with store.snapshot():  # one consistent view, while extraction may go on writing
            version = store.model_version(model_id)
            n_tracks, n_rows, n_cols = store.layer_shape(model_id, layer)
            values_path = files.temp_path(arrays_dir / f"{_values_stem(model_id, layer)}.{version}")
            values = np.lib.format.open_memmap(values_path, mode="w+", dtype=STORE_DTYPE, shape=(n_rows, n_cols))
            offsets = np.zeros(n_tracks + 1, np.int64)
            track_ids = np.zeros(n_tracks, np.int64)
            position = 0
            for i, (track_id, rows, cols, data) in enumerate(store.iter_layer(model_id, layer)):
                values[position : position + rows] = np.frombuffer(data, dtype=STORE_DTYPE).reshape(rows, cols)
                position += rows
                offsets[i + 1] = position
                track_ids[i] = track_id
            values.flush()
            del values
        final_values = values_path.with_name(values_path.name[: -len(files.TMP_SUFFIX)] + ".npy")
        os.replace(values_path, final_values)
        tmp_index = files.temp_path(index_path)
        with open(tmp_index, "wb") as out:
            np.savez(out, offsets=offsets, track_ids=track_ids, version=np.int64(version), format=np.int64(ARRAYS_FORMAT),
                     values=np.array(final_values.name))
        os.replace(tmp_index, index_path)
        for old in [*arrays_dir.glob(f"{_values_stem(model_id, layer)}.*.npy"), arrays_dir / f"{model_id}.{layer}.npy"]:  # + format 1's
            if old != final_values:
                old.unlink(missing_ok=True)


def _read_index(index_path: Path):
    try:
        with np.load(index_path) as index:
            return int(index["version"]), int(index["format"]), index["offsets"], index["track_ids"], str(index["values"])
    except (OSError, KeyError, ValueError, EOFError):
        return None


def _fresh_index(store: Store, index_path: Path, model_id: str):
    """The index if it matches the database's version of the model and this format, else None."""
    index = _read_index(index_path) if index_path.is_file() else None
    if index and index[0] == store.model_version(model_id) and index[1] == ARRAYS_FORMAT:
        return index
    return None


def load_layer(store: Store, arrays_dir: Path, model_id: str, layer: str, *, rebuild: bool = True) -> LayerArray:
    """The layer's arrays, rebuilt first if missing or older than the database."""
    index_path = _index_path(arrays_dir, model_id, layer)
    for _ in range(3):
        index = _fresh_index(store, index_path, model_id)
        if index is not None:
            _, _, offsets, track_ids, values_name = index
            try:
                values = np.load(arrays_dir / values_name, mmap_mode="r")
            except (OSError, ValueError):  # replaced by a newer rebuild between the two reads
                values = None
            if values is not None and values.shape[0] == offsets[-1]:
                return LayerArray(model_id, layer, values, offsets, track_ids)
        if not rebuild:
            break
        build_layer(store, arrays_dir, model_id, layer)
    raise NotFoundError(f"no arrays for {model_id} {layer} in {arrays_dir}")
