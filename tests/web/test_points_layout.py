"""The binary points layout: every array is read back from its own bytes whatever the header's
length (the offsets written in the header depend on that length, and the length on the offsets)."""

from __future__ import annotations

import numpy as np

from tagscape.web.points import HEADER, Points, parse_binary


def test_arrays_read_back_for_every_header_length():
    arrays = {"x": np.linspace(-1, 1, 5, dtype=np.float32), "y": np.linspace(2, 3, 5, dtype=np.float32),
              "track": np.arange(5, dtype=np.uint32), "segment": np.arange(5, 10, dtype=np.uint32)}
    # Header sizes across the offsets' digit changes (offsets pass 100, 1,000 and 10,000 bytes):
    # three fixed layout passes got 12 of these wrong.
    for pad in range(12_000):
        body = Points({"pad": "x" * pad}, arrays).to_binary()
        back = parse_binary(body)
        for name, values in arrays.items():
            np.testing.assert_array_equal(back.arrays[name], values, err_msg=f"{name} with a {pad}-character field")
        assert back.meta["pad"] == "x" * pad
        assert min(a.ctypes.data for a in back.arrays.values()) - np.frombuffer(body, np.uint8).ctypes.data >= HEADER.size
