"""The constants of a frozen TensorFlow ``GraphDef`` (``.pb``), read without TensorFlow.

A frozen graph holds its weights as ``Const`` nodes. Only these protobuf fields are read
(tensorflow/core/framework/{graph,node_def,attr_value,tensor}.proto)::

    GraphDef      node = 1 (repeated NodeDef)
    NodeDef       name = 1, op = 2, attr = 5 (map<string, AttrValue>: key = 1, value = 2)
    AttrValue     tensor = 8 (TensorProto)
    TensorProto   dtype = 1, tensor_shape = 2, tensor_content = 4, float_val = 5, ...

The file may be larger than the 64 MB that protobuf's own parsers accept by default; this
reader has no such limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tagscape.errors import CheckpointError
from tagscape.models.checkpoint import _DTYPES, _fields
from tagscape.models.checkpoint_v1 import _VALUE_FIELDS, _shape, _values


def _tensor(message) -> np.ndarray:
    dtype_code, shape = 1, ()
    for number, _, value in _fields(message):
        if number == 1:
            dtype_code = value
        elif number == 2:
            shape = _shape(value)
    if dtype_code not in _DTYPES or dtype_code not in _VALUE_FIELDS:
        raise CheckpointError(f"unsupported dtype code {dtype_code}")
    count = int(np.prod(shape, dtype=np.int64))
    has_content = any(number == 4 for number, _, _ in _fields(message))
    values = _values(message, dtype_code, count) if has_content else _splat(message, dtype_code, count)
    return values.reshape(shape)


def _splat(message, dtype_code: int, count: int) -> np.ndarray:
    """Repeated values; TensorFlow stores a constant fill as a single value, repeated here."""
    try:
        return _values(message, dtype_code, count)
    except CheckpointError:
        one = _values(message, dtype_code, 1)
        return np.full(count, one[0], dtype=one.dtype)


def load_graph_constants(path: Path) -> dict[str, np.ndarray]:
    """Every ``Const`` node of a frozen graph: node name to array."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    data = memoryview(path.read_bytes())
    constants: dict[str, np.ndarray] = {}
    try:
        for number, wire, node in _fields(data):
            if number != 1 or wire != 2:
                continue
            name, op, tensor = "", "", None
            for field, _, value in _fields(node):
                if field == 1:
                    name = bytes(value).decode()
                elif field == 2:
                    op = bytes(value).decode()
                elif field == 5:
                    key, attr = "", None
                    for entry_field, _, entry in _fields(value):
                        if entry_field == 1:
                            key = bytes(entry).decode()
                        elif entry_field == 2:
                            attr = entry
                    if key == "value" and attr is not None:
                        tensor = next((v for n, _, v in _fields(attr) if n == 8), None)
            if op == "Const" and tensor is not None:
                constants[name] = _tensor(tensor)
    except (CheckpointError, IndexError, UnicodeDecodeError, ValueError, TypeError) as exc:
        reason = exc.message if isinstance(exc, CheckpointError) else type(exc).__name__
        raise CheckpointError(f"{path}: not a TensorFlow checkpoint or frozen graph (as a GraphDef: {reason})") from None
    return constants
