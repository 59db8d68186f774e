#!/usr/bin/env python
"""MusiCNN's timbral convolutions in two layouts, one ONNX Runtime thread each (issue 22).

Usage::

    python bench/timbral_layout.py

MusiCNN spends about 80 % of its time (21.6 of 26.6 ms a patch with the pool-first graphs) in
two convolutions with one input channel (204 filters of 7x38 and 7x67 over a 187x96 log-mel
patch). This times them as the graph has them against the same
sums with the frequency offsets as input channels (38 or 67 channels, kernel 7x1: the layout
ONNX Runtime runs fastest for VGG), on random weights of the same shapes, and prints ms per
patch, GFLOP/s (a multiply-add counted as two) and the largest difference between the two.
Measured (idle 2 cores, AMD EPYC with AVX-512), two runs: the graph's layout 11.43-11.89 / 9.66-10.26
ms (101-111 GFLOP/s), offsets as channels 12.24-13.09 / 10.97-11.54 ms (0.88-0.93x): the graph's
own layout is faster, already near one core's peak, so no rewrite of these layers is shipped.
"""
import time
import numpy as np
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort

rng = np.random.default_rng(0)
T, F = 187, 96

def session(model):
    o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), o, providers=["CPUExecutionProvider"])

def timed(s, x, n=30):
    feeds = {"x": x}
    for _ in range(3): out = s.run(None, feeds)[0]
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n): s.run(None, feeds)
        best = min(best, (time.perf_counter() - t) / n)
    return best, out

for kf in (38, 67):
    W = rng.standard_normal((204, 1, 7, kf)).astype(np.float32) * 0.05
    B = rng.standard_normal(204).astype(np.float32) * 0.01
    nf = F - kf + 1
    # A: the graph's form; "same" padding in time (3 each side), valid in frequency
    a = helper.make_graph([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[3, 0, 3, 0]),
                           helper.make_node("Identity", ["y"], ["z"])],
                          "a", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, T, F])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(W, "w"), numpy_helper.from_array(B, "b")])
    A = helper.make_model(a, opset_imports=[helper.make_opsetid("", 13)])
    # B: unfold frequency offsets into channels: x (1,1,T,F) -> (1,kf,T,nf) by kf slices, then Conv (204,kf,7,1)
    nodes, names = [], []
    for d in range(kf):
        st = numpy_helper.from_array(np.array([d], np.int64), f"s{d}")
        en = numpy_helper.from_array(np.array([d + nf], np.int64), f"e{d}")
        nodes.append(helper.make_node("Slice", ["x", f"s{d}", f"e{d}", "ax"], [f"p{d}"]))
        names.append((st, en))
    nodes.append(helper.make_node("Concat", [f"p{d}" for d in range(kf)], ["u"], axis=1))
    W2 = np.transpose(W, (0, 3, 2, 1)).copy()  # (204, kf, 7, 1)
    nodes.append(helper.make_node("Conv", ["u", "w", "b"], ["z"], pads=[3, 0, 3, 0]))
    inits = [numpy_helper.from_array(W2, "w"), numpy_helper.from_array(B, "b"), numpy_helper.from_array(np.array([3], np.int64), "ax")]
    for st, en in names: inits += [st, en]
    b = helper.make_graph(nodes, "b", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, T, F])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)], inits)
    Bm = helper.make_model(b, opset_imports=[helper.make_opsetid("", 13)])
    x = rng.standard_normal((1, 1, T, F)).astype(np.float32)
    ta, ya = timed(session(A), x)
    tb, yb = timed(session(Bm), x)
    flops = 2 * 204 * 7 * kf * T * nf
    print(f"kernel 7x{kf}: as in the graph {ta*1000:.2f} ms ({flops/ta/1e9:.0f} GFLOP/s); offsets as channels {tb*1000:.2f} ms ({flops/tb/1e9:.0f} GFLOP/s); "
          f"x{ta/tb:.2f}; max |diff| {np.abs(ya - yb).max():.2e} of max |y| {np.abs(ya).max():.2f}")
