"""The taggers as ONNX graphs, built from checkpoint variables.

Input ``mel``: ``(batch, 187, 96)`` float32 log-mel patches, time-major as the original feeds
them (VGGish: ``(batch, 96, 64)``). Outputs ``taggrams`` ``(batch, 50)`` and ``embeddings``
``(batch, 200 | 256)``; VGGish has only ``embeddings`` ``(batch, 128)``.

The original networks are TensorFlow NHWC graphs (time = height, mel = width); here they are
NCHW. Batch normalisation (inference mode, epsilon 1e-3) is rewritten where that is exact:

- an input normalisation followed by zero padding and a convolution is folded into the
  convolution, padding the raw input with ``-shift / scale`` (which normalises to zero);
- a ReLU and a normalisation followed by a max-pool move after the pool (fewer values to
  touch, and the pool runs on the convolution's own blocked layout). Rounding is monotone, so
  ``max(relu(z) * s + b) = relu(max(z)) * s + b`` exactly where ``s >= 0``; where ``s < 0`` the max
  is taken at the smallest ``z``, so the convolution computes ``-z`` for that channel (its weights
  and bias negated: exact), the pool takes ``max(-z)``, and a multiplication by -1 (exact) gives
  ``min(z)`` back;
- a normalisation followed directly by a dense layer is folded into the dense weights.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tagscape.errors import CheckpointError

BN_EPSILON = 1e-3
OPSET = 18
#: On x86 CPUs with AVX2 or AVX-512, ONNX Runtime runs convolutions in a blocked layout (8 or 16
#: channels a block). A max-pool after one stays in that layout only when its channels fill whole
#: blocks; otherwise the convolution's whole output is reordered first. Pooled convolutions get zero
#: channels up to a multiple of this (no extra work: the blocked convolution padded them anyway).
CHANNEL_BLOCK = 16


class _Graph:
    """Accumulates ONNX nodes and initialisers with unique names."""

    def __init__(self, variables: dict[str, np.ndarray]):
        self.variables = variables
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def var(self, name: str) -> np.ndarray:
        try:
            return np.asarray(self.variables[name], dtype=np.float32)
        except KeyError:
            raise CheckpointError(f"checkpoint lacks variable {name!r}") from None

    def const(self, value: np.ndarray, hint: str = "c") -> str:
        self._count += 1
        name = f"{hint}_{self._count}"
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, **attrs) -> str:
        self._count += 1
        out = f"{hint or op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def bn(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Inference batch norm as ``x * scale + shift``."""
        gamma, beta = self.var(f"{name}/gamma"), self.var(f"{name}/beta")
        mean, variance = self.var(f"{name}/moving_mean"), self.var(f"{name}/moving_variance")
        scale = gamma / np.sqrt(variance + BN_EPSILON)
        return scale.astype(np.float32), (beta - mean * scale).astype(np.float32)

    def affine(self, x: str, scale: np.ndarray, shift: np.ndarray, shape: tuple[int, ...]) -> str:
        """Per-channel ``x * scale + shift``, with parameters broadcast as ``shape``."""
        y = self.op("Mul", [x, self.const(scale.reshape(shape), "scale")])
        return self.op("Add", [y, self.const(shift.reshape(shape), "shift")])

    def conv(self, x: str, kernel_nhwc: np.ndarray, bias: np.ndarray, pads: list[int]) -> str:
        """2-D convolution from a TF ``(kh, kw, in, out)`` kernel; ``pads`` as ONNX orders them."""
        w = np.ascontiguousarray(kernel_nhwc.transpose(3, 2, 0, 1))
        return self.op("Conv", [x, self.const(w, "w"), self.const(bias, "b")], pads=pads)

    def dense(self, x: str, kernel: np.ndarray, bias: np.ndarray) -> str:
        y = self.op("MatMul", [x, self.const(kernel, "w")])
        return self.op("Add", [y, self.const(bias, "b")])

    def model(self, inputs, outputs, name: str) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def _input_info(n_frames: int, n_mels: int):
    return helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", n_frames, n_mels])


def _outputs(n_tags: int, n_embed: int):
    return [
        helper.make_tensor_value_info("taggrams", TensorProto.FLOAT, ["batch", n_tags]),
        helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", n_embed]),
    ]


def _folded_input(
    g: _Graph, x: str, conv: str, in_scale: float, in_shift: float, pads_hw: tuple[int, int, int, int]
) -> tuple[str, np.ndarray, np.ndarray]:
    """``conv(pad0(bn(x)))`` as ``conv'(pad_c(x))``, the same at the borders too.

    Returns ``(pad_c(x), kernel', bias')``: the padded input's name and the folded TF kernel and bias.
    """
    kernel, bias = g.var(f"{conv}/kernel"), g.var(f"{conv}/bias")
    folded_bias = (bias + in_shift * kernel.sum(axis=(0, 1, 2))).astype(np.float32)
    top, bottom, left, right = pads_hw
    if any(pads_hw):
        pad_value = g.const(np.array(-in_shift / in_scale, np.float32), "pad_value")
        pads = g.const(np.array([0, 0, top, left, 0, 0, bottom, right], np.int64), "pads")
        x = g.op("Pad", [x, pads, pad_value], mode="constant")
    return x, kernel * in_scale, folded_bias


def _conv_relu_bn_pool(
    g: _Graph, x: str, kernel: np.ndarray, bias: np.ndarray, bn: str, *, pads: list[int], pool: list[int], strides: list[int], pool_first: bool
) -> str:
    """``maxpool(bn(relu(conv(x))))`` for a TF ``(kh, kw, in, out)`` kernel.

    With ``pool_first`` the ReLU and the normalisation move after the pool, exactly, as the
    module's docstring says. ``pool_first=False`` builds the network as written, for
    tests/models/test_graph_rewrites.py.
    """
    scale, shift = g.bn(bn)
    channels = scale.size
    shape = (1, channels, 1, 1)
    if not pool_first:  # the network as written
        z = g.op("Relu", [g.conv(x, kernel, bias, pads=pads)])
        return g.op("MaxPool", [g.affine(z, scale, shift, shape)], kernel_shape=pool, strides=strides)
    sign = np.where(scale < 0, -1.0, 1.0).astype(np.float32)
    kernel, bias = kernel * sign, bias * sign
    n_zero_channels = -channels % CHANNEL_BLOCK
    if n_zero_channels:  # cut off after the pool
        kernel = np.concatenate([kernel, np.zeros(kernel.shape[:-1] + (n_zero_channels,), np.float32)], axis=-1)
        bias = np.concatenate([bias, np.zeros(n_zero_channels, np.float32)])
    pooled = g.op("MaxPool", [g.conv(x, kernel, bias, pads=pads)], kernel_shape=pool, strides=strides)
    if n_zero_channels:
        starts, ends, axes = (g.const(np.array([v], np.int64), name) for v, name in ((0, "starts"), (channels, "ends"), (1, "axes")))
        pooled = g.op("Slice", [pooled, starts, ends, axes])
    if np.any(sign < 0):
        pooled = g.op("Mul", [pooled, g.const(sign.reshape(shape), "sign")])
    return g.affine(g.op("Relu", [pooled]), scale, shift, shape)


def build_musicnn(variables: dict[str, np.ndarray], *, n_frames: int = 187, n_mels: int = 96, pool_first: bool = True) -> onnx.ModelProto:
    """MusiCNN (Pons & Serra 2019): timbral + temporal front end, dense mid end, pooling back end.

    ``pool_first=False`` keeps each ReLU and batch norm before its max-pool (see the module's doc).
    """
    g = _Graph(variables)
    in_scale, in_shift = (float(v[0]) for v in g.bn("batch_normalization"))
    x = g.op("Unsqueeze", ["mel", g.const(np.array([1], np.int64), "axes")])  # (B, 1, T, F)

    # Front end: two timbral (7 x 38, 7 x 67) and three temporal (128, 64, 32 x 1) filters, each
    # max-pooled over all frequencies. TF "same" padding of an even kernel k puts (k-1)//2 first.
    branches = [("conv2d", "batch_normalization_1", (3, 3)), ("conv2d_1", "batch_normalization_2", (3, 3))]
    for conv, bn, k in (("conv2d_2", "batch_normalization_3", 128), ("conv2d_3", "batch_normalization_4", 64), ("conv2d_4", "batch_normalization_5", 32)):
        branches.append((conv, bn, ((k - 1) // 2, k - 1 - (k - 1) // 2)))
    features = []
    freq_axis = g.const(np.array([3], np.int64), "axes")
    for conv, bn, (top, bottom) in branches:
        padded, kernel, bias = _folded_input(g, x, conv, in_scale, in_shift, (top, bottom, 0, 0))
        # Max over every frequency as a max-pool (not ReduceMax), which ONNX Runtime runs on the
        # convolution's blocked layout without reordering its output.
        width = n_mels - kernel.shape[1] + 1
        pooled = _conv_relu_bn_pool(g, padded, kernel, bias, bn, pads=[0, 0, 0, 0], pool=[1, width], strides=[1, 1], pool_first=pool_first)
        features.append(g.op("Squeeze", [pooled, freq_axis]))
    front = g.op("Concat", features, axis=1)  # (B, 561, T)

    # Mid end: three 1-D convolutions over time (kernel 7, "same" by explicit zero padding),
    # the second and third with residual connections; all four outputs are concatenated.
    mid = [front]
    previous = front
    for i, (conv, bn) in enumerate((("conv2d_5", "batch_normalization_6"), ("conv2d_6", "batch_normalization_7"), ("conv2d_7", "batch_normalization_8"))):
        kernel = g.var(f"{conv}/kernel")[:, :, 0, :]  # (7, in, out)
        w = np.ascontiguousarray(kernel.transpose(2, 1, 0))
        z = g.op("Conv", [previous, g.const(w, "w"), g.const(g.var(f"{conv}/bias"), "b")], pads=[3, 3])
        scale, shift = g.bn(bn)
        y = g.affine(g.op("Relu", [z]), scale, shift, (1, scale.size, 1))
        previous = y if i == 0 else g.op("Add", [y, previous])
        mid.append(previous)
    mid_features = g.op("Concat", mid, axis=1)  # (B, 753, T)

    # Back end: max and mean over time, interleaved per feature as TF's flatten of (753, 2).
    time_axis = g.const(np.array([2], np.int64), "axes")
    pooled = g.op("Concat", [g.op("ReduceMax", [mid_features, time_axis], keepdims=1), g.op("ReduceMean", [mid_features, time_axis], keepdims=1)], axis=2)
    flat = g.op("Flatten", [pooled], axis=1)  # (B, 1506)
    scale, shift = g.bn("batch_normalization_9")
    kernel, bias = g.var("dense/kernel"), g.var("dense/bias")
    # The embedding is the penultimate dense layer's output before its ReLU and batch norm: the
    # node `model/dense/BiasAdd` that the paper's system and Essentia read. (musicnn's own
    # "penultimate" feature is batch_norm(relu(dense)), a per-dimension map of this one that
    # sets every negative value to one constant per dimension.)
    y = g.op("MatMul", [flat, g.const(kernel * scale[:, None], "w")])
    g.nodes.append(helper.make_node("Add", [y, g.const(bias + shift @ kernel, "b")], ["embeddings"]))
    scale, shift = g.bn("batch_normalization_10")  # folded into the output layer
    kernel, bias = g.var("dense_1/kernel"), g.var("dense_1/bias")
    logits = g.dense(g.op("Relu", ["embeddings"]), kernel * scale[:, None], bias + shift @ kernel)
    g.nodes.append(helper.make_node("Sigmoid", [logits], ["taggrams"]))
    return g.model([_input_info(n_frames, n_mels)], _outputs(g.var("dense_1/bias").size, 200), "musicnn")


def build_vgg(variables: dict[str, np.ndarray], *, n_frames: int = 187, n_mels: int = 96, pool_first: bool = True) -> onnx.ModelProto:
    """The VGG-like baseline of musicnn: five 3x3 conv / max-pool blocks, a dense output.

    ``pool_first=False`` keeps each ReLU and batch norm before its max-pool (see the module's doc).
    """
    g = _Graph(variables)
    in_scale, in_shift = (float(v[0]) for v in g.bn("batch_normalization"))
    x = g.op("Unsqueeze", ["mel", g.const(np.array([1], np.int64), "axes")])  # (B, 1, T, F)
    pools = [([4, 1], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2]), ([2, 2], [2, 2]), ([4, 4], [4, 4])]
    for i, (kernel_shape, strides) in enumerate(pools, start=1):
        conv, bn = f"{i}CNN", f"batch_normalization_{i}"
        if i == 1:
            x, kernel, bias = _folded_input(g, x, conv, in_scale, in_shift, (1, 1, 1, 1))
            pads = [0, 0, 0, 0]
        else:
            kernel, bias, pads = g.var(f"{conv}/kernel"), g.var(f"{conv}/bias"), [1, 1, 1, 1]
        x = _conv_relu_bn_pool(g, x, kernel, bias, bn, pads=pads, pool=kernel_shape, strides=strides, pool_first=pool_first)
    # pool5 is (B, 128, 2, 1) here; TF flattens (B, 2, 1, 128) in that order.
    nhwc = g.op("Transpose", [x], perm=[0, 2, 3, 1])
    g.nodes.append(helper.make_node("Flatten", [nhwc], ["embeddings"], axis=1))
    logits = g.dense("embeddings", g.var("dense/kernel"), g.var("dense/bias"))
    g.nodes.append(helper.make_node("Sigmoid", [logits], ["taggrams"]))
    return g.model([_input_info(n_frames, n_mels)], _outputs(g.var("dense/bias").size, 256), "vgg")


#: VGGish's variables as ``vggish_slim.py`` names them, in network order, with their shapes.
VGGISH_CONVS = (("conv1", 1, 64), ("conv2", 64, 128), ("conv3/conv3_1", 128, 256), ("conv3/conv3_2", 256, 256),
                ("conv4/conv4_1", 256, 512), ("conv4/conv4_2", 512, 512))
VGGISH_DENSES = (("fc1/fc1_1", 12288, 4096), ("fc1/fc1_2", 4096, 4096), ("fc2", 4096, 128))
VGGISH_POOL_AFTER = {"conv1", "conv2", "conv3/conv3_2", "conv4/conv4_2"}


def vggish_variable_shapes() -> dict[str, tuple[int, ...]]:
    """``vggish/<layer>/weights`` and ``/biases`` of every layer, with the release's shapes."""
    shapes: dict[str, tuple[int, ...]] = {}
    for layer, n_in, n_out in VGGISH_CONVS:
        shapes[f"vggish/{layer}/weights"] = (3, 3, n_in, n_out)
        shapes[f"vggish/{layer}/biases"] = (n_out,)
    for layer, n_in, n_out in VGGISH_DENSES:
        shapes[f"vggish/{layer}/weights"] = (n_in, n_out)
        shapes[f"vggish/{layer}/biases"] = (n_out,)
    return shapes


def build_vggish(variables: dict[str, np.ndarray], *, n_frames: int = 96, n_mels: int = 64) -> onnx.ModelProto:
    """VGGish (Hershey et al. 2017, AudioSet release): the 128-d ``fc2`` embedding, no taggrams.

    Six 3x3 "same" convolutions with ReLU, 2x2 max-pools (stride 2) after the 1st, 2nd, 4th
    and 6th, then three dense layers (ReLU, ReLU, linear). The embedding is ``fc2``'s output as
    ``vggish_slim.py`` defines it: before the release's PCA and 8-bit quantisation.
    """
    if n_frames % 16 or n_mels % 16:
        raise CheckpointError(f"VGGish needs patches whose sides divide by 16, got {n_frames} x {n_mels}")
    g = _Graph(variables)
    x = g.op("Unsqueeze", ["mel", g.const(np.array([1], np.int64), "axes")])  # (B, 1, T, F)
    for layer, _, _ in VGGISH_CONVS:
        x = g.op("Relu", [g.conv(x, g.var(f"vggish/{layer}/weights"), g.var(f"vggish/{layer}/biases"), pads=[1, 1, 1, 1])])
        if layer in VGGISH_POOL_AFTER:  # 'SAME' pooling adds nothing: every side is even here
            x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    # TF flattens (B, T/16, F/16, C); this graph holds (B, C, T/16, F/16). Permuting fc1_1's rows
    # into that order replaces a transpose of every activation by one of the weights.
    height, width = n_frames // 16, n_mels // 16
    x = g.op("Flatten", [x], axis=1)
    for i, (layer, _, _) in enumerate(VGGISH_DENSES):
        kernel, bias = g.var(f"vggish/{layer}/weights"), g.var(f"vggish/{layer}/biases")
        if i == 0:
            channels = kernel.shape[0] // (height * width)
            kernel = np.ascontiguousarray(kernel.reshape(height, width, channels, -1).transpose(2, 0, 1, 3).reshape(kernel.shape[0], -1))
        if i < len(VGGISH_DENSES) - 1:
            x = g.op("Relu", [g.dense(x, kernel, bias)])
        else:
            y = g.op("MatMul", [x, g.const(kernel, "w")])
            g.nodes.append(helper.make_node("Add", [y, g.const(bias, "b")], ["embeddings"]))
    outputs = [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", g.var("vggish/fc2/biases").size])]
    return g.model([_input_info(n_frames, n_mels)], outputs, "vggish")


BUILDERS = {"musicnn": build_musicnn, "vgg": build_vgg, "vggish": build_vggish}
