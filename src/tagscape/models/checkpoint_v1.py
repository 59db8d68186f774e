"""Reader for TensorFlow 1's original checkpoint format (``V1``), without TensorFlow.

A V1 checkpoint is a single file (the official ``vggish_model.ckpt`` is one, restored in
``vggish_slim.py`` with ``write_version=1``). It is an SSTable, the same container as a V2
``.index`` (see :mod:`tagscape.models.checkpoint`), whose values are ``SavedTensorSlices``
messages (tensorflow/core/util/saved_tensor_slice.proto):

- the entry with the empty key holds ``meta``: per variable its name, shape, dtype and the
  slices it was saved in;
- every other entry holds ``data``: one ``SavedSlice`` = variable name, the slice's extent
  per dimension (start, length; a missing length means the whole dimension) and a
  ``TensorProto`` whose repeated value field (``float_val`` ...) holds the slice's values in
  row-major order.

A variable saved whole is one slice; a partitioned one is several, assembled here.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from tagscape.errors import CheckpointError
from tagscape.models.checkpoint import _DTYPES, _fields, _varint, table_entries

# TensorProto field holding the values for each dtype code (tensorflow/core/framework/tensor.proto).
_VALUE_FIELDS = {1: 5, 2: 6, 3: 7, 4: 7, 5: 7, 6: 7, 9: 10, 10: 11, 19: 13}


def _shape(message) -> tuple[int, ...]:
    """A ``TensorShapeProto`` as a tuple (field 2: repeated Dim, whose field 1 is the size)."""
    dims = []
    for number, _, dim in _fields(message):
        if number == 2:
            sizes = [value for n, _, value in _fields(dim) if n == 1]
            dims.append(_signed(sizes[0]) if sizes else 0)
    return tuple(dims)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _extents(message, shape: tuple[int, ...]) -> tuple[slice, ...]:
    """A ``TensorSliceProto`` (repeated Extent{start=1, length=2}) as index slices into ``shape``."""
    extents = [extent for number, _, extent in _fields(message) if number == 1]
    if len(extents) != len(shape):
        raise CheckpointError(f"a slice has {len(extents)} extents for a tensor of rank {len(shape)}")
    slices = []
    for extent, size in zip(extents, shape):
        start, length = 0, None
        for number, _, value in _fields(extent):
            if number == 1:
                start = _signed(value)
            elif number == 2:
                length = _signed(value)
        slices.append(slice(start, size if length is None else start + length))
    return tuple(slices)


def _values(tensor, dtype_code: int, count: int) -> np.ndarray:
    """The values of a ``TensorProto``: packed or unpacked repeated field, or ``tensor_content``."""
    dtype = _DTYPES[dtype_code]
    wanted = _VALUE_FIELDS[dtype_code]
    chunks: list[np.ndarray] = []
    for number, wire, value in _fields(tensor):
        if number == 4:  # tensor_content: raw little-endian bytes
            chunks.append(np.frombuffer(value, dtype=dtype))
        elif number != wanted:
            continue
        elif wire == 2 and number in (5, 6):  # packed float / double
            chunks.append(np.frombuffer(value, dtype="<f4" if number == 5 else "<f8"))
        elif wire == 2:  # packed varints
            ints, pos = [], 0
            while pos < len(value):
                item, pos = _varint(value, pos)
                ints.append(_signed(item))
            chunks.append(np.array(ints, dtype=np.int64))
        elif wire == 5:
            chunks.append(np.array(struct.unpack("<f", value), dtype=np.float32))
        elif wire == 1:
            chunks.append(np.array(struct.unpack("<d", value), dtype=np.float64))
        else:
            chunks.append(np.array([_signed(value)], dtype=np.int64))
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype)
    if dtype_code == 19:  # half_val holds float16 bit patterns in int32s
        flat = flat.astype(np.uint16).view(np.float16)
    if flat.size != count:
        raise CheckpointError(f"a slice holds {flat.size} values where its extent needs {count}")
    return flat.astype(dtype, copy=False)


def is_v1_checkpoint(path: Path) -> bool:
    """Whether ``path`` is a single-file SSTable (a V1 checkpoint, or a V2 ``.index``)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-8, 2)
            return struct.unpack("<Q", fh.read(8))[0] == 0xDB4775248B80FB57
    except OSError:
        return False


def load_checkpoint_v1(path: Path) -> dict[str, np.ndarray]:
    """Read every variable of a V1 checkpoint file.

    Returns
    -------
    dict of str to ndarray
        Variable name to array, with the checkpoint's dtype and shape.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    data = path.read_bytes()
    meta: dict[str, tuple[tuple[int, ...], int]] = {}
    slices: list[memoryview] = []
    for key, value in table_entries(data, str(path)):
        for number, _, field in _fields(value):
            if number == 1 and not key:  # SavedTensorSliceMeta: repeated SavedSliceMeta tensor = 1
                for tensor_number, _, tensor in _fields(field):
                    if tensor_number != 1:
                        continue
                    name, shape, dtype_code = "", (), 1
                    for n, _, item in _fields(tensor):
                        if n == 1:
                            name = bytes(item).decode()
                        elif n == 2:
                            shape = _shape(item)
                        elif n == 3:
                            dtype_code = item
                    meta[name] = (shape, dtype_code)
            elif number == 2:  # SavedSlice
                slices.append(field)
    if not meta:
        raise CheckpointError(f"{path}: an SSTable without checkpoint metadata (a V2 .index? pass the prefix without .index)")
    variables: dict[str, np.ndarray] = {}
    filled: dict[str, int] = {}
    for message in slices:
        name, extent, tensor = "", None, b""
        for number, _, item in _fields(message):
            if number == 1:
                name = bytes(item).decode()
            elif number == 2:
                extent = item
            elif number == 3:
                tensor = item
        if name not in meta:
            raise CheckpointError(f"{path}: data for {name!r}, which the metadata does not list")
        shape, dtype_code = meta[name]
        if dtype_code not in _VALUE_FIELDS:
            raise CheckpointError(f"{name}: unsupported dtype code {dtype_code}")
        index = _extents(extent if extent is not None else b"", shape) if shape else ()
        target = variables.setdefault(name, np.zeros(shape, dtype=_DTYPES[dtype_code]))
        region_shape = np.shape(target[index])
        size = int(np.prod(region_shape, dtype=np.int64))
        target[index] = _values(tensor, dtype_code, size).reshape(region_shape)
        filled[name] = filled.get(name, 0) + size
    for name, (shape, _) in meta.items():
        if filled.get(name, 0) != int(np.prod(shape, dtype=np.int64)):
            raise CheckpointError(f"{path}: variable {name!r} is incomplete ({filled.get(name, 0)} of {int(np.prod(shape))} values)")
    return variables
