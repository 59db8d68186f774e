"""Reader for TensorFlow's tensor-bundle checkpoints (``V2`` format), without TensorFlow.

A checkpoint with prefix ``P`` is two files:

``P.index``
    An SSTable (the LevelDB table format, uncompressed). Its empty key holds a
    ``BundleHeaderProto``; every other key is a variable name whose value is a
    ``BundleEntryProto``: dtype, shape, shard id, byte offset and size in the data file.
``P.data-00000-of-0000N``
    The tensors' raw little-endian bytes, concatenated.

Only the few protobuf fields needed are decoded, with a small wire-format reader.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tagscape.errors import CheckpointError

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_TRAILER_SIZE = 5  # compression type (1 byte) + masked crc32c (4 bytes)

# tensorflow/core/framework/types.proto -> numpy
_DTYPES = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i2"),
    6: np.dtype("i1"),
    9: np.dtype("<i8"),
    10: np.dtype("?"),
    19: np.dtype("<f2"),
}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes):
    """Yield ``(field_number, wire_type, value)`` for each field of a protobuf message."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


@dataclass(frozen=True)
class TensorEntry:
    """Where one variable lives in the data file."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int


def _parse_entry(name: str, value: bytes) -> TensorEntry:
    dtype_code, shape, shard_id, offset, size = 0, [], 0, 0, 0
    for number, _, field in _fields(value):
        if number == 1:
            dtype_code = field
        elif number == 2:
            for dim_number, _, dim in _fields(field):
                if dim_number == 2:
                    size_field = [v for n, _, v in _fields(dim) if n == 1]
                    shape.append(size_field[0] if size_field else 0)
        elif number == 3:
            shard_id = field
        elif number == 4:
            offset = field
        elif number == 5:
            size = field
        elif number == 7:
            raise CheckpointError(f"{name}: partitioned (sliced) variables are not supported")
    if dtype_code not in _DTYPES:
        raise CheckpointError(f"{name}: unsupported dtype code {dtype_code}")
    return TensorEntry(name, _DTYPES[dtype_code], tuple(shape), shard_id, offset, size)


def _read_block(data, offset: int, size: int) -> list[tuple[bytes, memoryview]]:
    """Decode one SSTable block into its (key, value) pairs; values are views into ``data``."""
    if offset + size + _BLOCK_TRAILER_SIZE > len(data):
        raise CheckpointError("index block runs past the end of the file")
    if data[offset + size] != 0:
        raise CheckpointError("compressed index blocks are not supported")
    block = memoryview(data)[offset : offset + size]
    (n_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * n_restarts
    entries, key, pos = [], b"", 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_length, pos = _varint(block, pos)
        key = key[:shared] + bytes(block[pos : pos + unshared])
        pos += unshared
        entries.append((key, block[pos : pos + value_length]))
        pos += value_length
    return entries


def table_entries(data, what: str):
    """Yield every ``(key, value)`` of an SSTable (LevelDB table format, uncompressed) held in ``data``.

    ``what`` names the file in error messages.
    """
    if len(data) < _FOOTER_SIZE:
        raise CheckpointError(f"{what}: too short to be a TensorFlow checkpoint")
    footer = memoryview(data)[len(data) - _FOOTER_SIZE :]
    (magic,) = struct.unpack_from("<Q", footer, _FOOTER_SIZE - 8)
    if magic != _TABLE_MAGIC:
        raise CheckpointError(f"{what}: not a TensorFlow checkpoint (bad magic)")
    _, pos = _varint(footer, 0)  # metaindex offset
    _, pos = _varint(footer, pos)  # metaindex size
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)
    for _, handle in _read_block(data, index_offset, index_size):
        block_offset, pos = _varint(handle, 0)
        block_size, _ = _varint(handle, pos)
        yield from _read_block(data, block_offset, block_size)


def read_index(index_path: Path) -> dict[str, TensorEntry]:
    """Parse a checkpoint's ``.index`` file into ``{variable name: TensorEntry}``."""
    data = Path(index_path).read_bytes()
    entries = {}
    for key, value in table_entries(data, str(index_path)):
        if key:  # the empty key is the BundleHeaderProto
            name = key.decode()
            entries[name] = _parse_entry(name, value)
    return entries


def load_checkpoint(prefix: Path) -> dict[str, np.ndarray]:
    """Read every variable of the checkpoint with the given prefix.

    Parameters
    ----------
    prefix : Path
        The path without ``.index``; for a prefix that ends in a folder separator (as in
        the ``musicnn`` package), pass the folder and an empty name: ``folder / ""`` is
        not expressible, so a folder path means "the files ``.index`` and ``.data-*`` in it".

    Returns
    -------
    dict of str to ndarray
        Variable name to array, with the checkpoint's dtype and shape.
    """
    prefix = Path(prefix)
    if prefix.is_dir():
        index_path = prefix / ".index"
        data_glob = (prefix, ".data-*")
    else:
        index_path = prefix.with_name(prefix.name + ".index")
        data_glob = (prefix.parent, prefix.name + ".data-*")
    if not index_path.is_file():
        raise CheckpointError(f"{index_path}: checkpoint index not found")
    entries = read_index(index_path)
    shards = sorted(data_glob[0].glob(data_glob[1]))
    if not shards:
        raise CheckpointError(f"{index_path}: no data file beside it")
    sizes = [shard.stat().st_size for shard in shards]
    variables = {}
    handles = [open(shard, "rb") for shard in shards]
    try:
        for name, entry in entries.items():
            if entry.shard_id >= len(handles):
                raise CheckpointError(f"{name}: shard {entry.shard_id} is missing")
            expected = entry.dtype.itemsize * int(np.prod(entry.shape, dtype=np.int64))
            if entry.size != expected or entry.offset + entry.size > sizes[entry.shard_id]:
                raise CheckpointError(f"{name}: size {entry.size} does not fit shape {entry.shape} in the data file")
            handle = handles[entry.shard_id]
            handle.seek(entry.offset)
            variables[name] = np.frombuffer(handle.read(entry.size), dtype=entry.dtype).reshape(entry.shape)
    finally:
        for handle in handles:
            handle.close()
    return variables
