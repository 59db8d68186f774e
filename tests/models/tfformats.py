"""Writers of TensorFlow's file formats for the tests, from their documented layouts (no TensorFlow).

- :func:`write_v1_checkpoint`: a TF1 "V1" checkpoint, one SSTable file whose entries are
  ``SavedTensorSlices`` messages (tensorflow/core/util/saved_tensor_slice.proto), keyed as
  ``TensorSliceWriter`` keys them (OrderedCode of ``0, name, rank, (start, length)*``).
- :func:`write_frozen_graph`: a ``GraphDef`` whose ``Const`` nodes hold the tensors.
- :func:`vggish_random_weights`: the 18 VGGish variables with the release's shapes.

They write whole, unpartitioned tensors. The small files TensorFlow itself wrote (tests/data/vggish)
check the reader against the real writer; these writers make full-size files (290 MB) that cannot be
committed. The SSTable block checksums (masked CRC-32C) are computed for blocks under 1 MB and left
zero above, where pure Python would take minutes: TensorFlow checks them, tagscape's reader does not.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from tagscape.models.graphs import vggish_variable_shapes

_TABLE_MAGIC = 0xDB4775248B80FB57
_DTYPE_CODES = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3, np.dtype("int64"): 9}


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + bytes(payload)


def _shape_proto(shape) -> bytes:
    return b"".join(_field(2, _field(1, int(size))) for size in shape)


def _crc32c(data: bytes) -> int:
    table = _crc32c.table
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_crc32c.table = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _crc32c.table.append(_c)


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(_varint(0) + _varint(len(key)) + _varint(len(value)) + key + value for key, value in entries)
    return body + struct.pack("<II", 0, 1)  # one restart point, at offset 0


def _trailer(block: bytes) -> bytes:
    if len(block) >= 1 << 20:
        return b"\0" * 5
    crc = _crc32c(block + b"\0")
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    return b"\0" + struct.pack("<I", masked)


def write_sstable(path: Path, entries: list[tuple[bytes, bytes]]) -> None:
    """An uncompressed LevelDB table: one data block per entry, an index block, a footer."""
    entries = sorted(entries)
    with open(path, "wb") as fh:
        handles = []
        for key, value in entries:
            block = _block([(key, value)])
            handles.append((key, fh.tell(), len(block)))
            fh.write(block + _trailer(block))
        meta_offset = fh.tell()
        meta = _block([])
        fh.write(meta + _trailer(meta))
        index_offset = fh.tell()
        index = _block([(key, _varint(offset) + _varint(size)) for key, offset, size in handles])
        fh.write(index + _trailer(index))
        footer = _varint(meta_offset) + _varint(len(meta)) + _varint(index_offset) + _varint(len(index))
        fh.write(footer.ljust(40, b"\0") + struct.pack("<Q", _TABLE_MAGIC))


def _ordered_string(text: str) -> bytes:
    return text.encode().replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff") + b"\x00\x01"


def _slice_key(name: str, rank: int) -> bytes:
    # OrderedCode: NumIncreasing(0), String(name), NumIncreasing(rank), then per dimension
    # SignedNumIncreasing(start = 0) -> 0x80 and SignedNumIncreasing(length = -1, the whole) -> 0x7f.
    return b"\x00" + _ordered_string(name) + (bytes([1, rank]) if rank else b"\x00") + b"\x80\x7f" * rank


def _tensor_values(value: np.ndarray) -> bytes:
    flat = np.ascontiguousarray(value).ravel()
    if flat.dtype == np.float32:
        return _field(5, flat.astype("<f4").tobytes())
    if flat.dtype == np.float64:
        return _field(6, flat.astype("<f8").tobytes())
    field = 10 if flat.dtype == np.int64 else 7
    return _field(field, b"".join(_varint(int(v)) for v in flat))


def write_v1_checkpoint(path: Path, variables: dict[str, np.ndarray]) -> Path:
    """A V1 checkpoint file holding ``variables`` whole (one slice each)."""
    metas = b""
    entries = []
    for name, value in variables.items():
        value = np.asarray(value)
        full_slice = b"".join(_field(1, b"") for _ in value.shape)
        metas += _field(1, _field(1, name.encode()) + _field(2, _shape_proto(value.shape)) + _field(3, _DTYPE_CODES[value.dtype]) + _field(4, full_slice))
        saved_slice = _field(1, name.encode()) + _field(2, full_slice) + _field(3, _tensor_values(value))
        entries.append((_slice_key(name, value.ndim), _field(2, saved_slice)))
    versions = _field(2, _field(1, 1))  # VersionDef{producer: 1}
    entries.append((b"", _field(1, metas + versions)))
    write_sstable(Path(path), entries)
    return Path(path)


def write_frozen_graph(path: Path, constants: dict[str, np.ndarray], *, prefix: str = "model/") -> Path:
    """A ``GraphDef`` with a placeholder and one ``Const`` node per tensor (``tensor_content``)."""
    float_type = _field(5, _field(1, b"dtype") + _field(2, _field(6, 1)))
    nodes = [_field(1, _field(1, f"{prefix}Placeholder".encode()) + _field(2, b"Placeholder") + float_type)]
    for name, value in constants.items():
        value = np.ascontiguousarray(value)
        tensor = _field(1, _DTYPE_CODES[value.dtype]) + _field(2, _shape_proto(value.shape)) + _field(4, value.astype(value.dtype.newbyteorder("<")).tobytes())
        attr_value = _field(1, b"value") + _field(2, _field(8, tensor))
        attr_dtype = _field(1, b"dtype") + _field(2, _field(6, _DTYPE_CODES[value.dtype]))
        nodes.append(_field(1, _field(1, f"{prefix}{name}".encode()) + _field(2, b"Const") + _field(5, attr_dtype) + _field(5, attr_value)))
    Path(path).write_bytes(b"".join(nodes))
    return Path(path)


def vggish_random_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """VGGish's variables with the release's shapes, He-scaled so activations stay of order one."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in vggish_variable_shapes().items():
        if name.endswith("/biases"):
            weights[name] = (0.05 * rng.standard_normal(shape)).astype(np.float32)
        else:
            fan_in = int(np.prod(shape[:-1]))
            weights[name] = (rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in)))
    return weights
