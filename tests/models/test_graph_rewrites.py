"""The MusiCNN and VGG graphs pool before their ReLU and batch norm: the same outputs, less work.

``build_*(pool_first=False)`` builds each network as written (convolution, ReLU, batch norm,
max-pool); the graphs tagscape runs move the ReLU and the normalisation after the pool, negating
the channels whose normalisation has a negative scale (see tagscape.models.graphs).
"""

from __future__ import annotations

import zlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import REFERENCE
from tagscape.audio.mel import patches_from_frames
from tagscape.models.graphs import BUILDERS
from tagscape.models.registry import DEFAULT_MODELS, MODELS
from tagscape.models.session import load_variables, session_options


@pytest.fixture(scope="module")
def patches():
    """Log-mel patches of the real recordings the fidelity tests use."""
    chunks = []
    for path in sorted(REFERENCE.glob("*.npz"))[:3]:
        with np.load(path) as npz:
            chunks.append(patches_from_frames(npz["mel"].astype(np.float32), patch_frames=187))
    return np.concatenate(chunks)


def _session(model: onnx.ModelProto) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), session_options(1), providers=["CPUExecutionProvider"])


def _signed_scales(variables: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The same weights with every batch norm's gamma of magnitude 0.5-1.5 and a random sign.

    In the released VGGs almost no channel with a negative scale gets past its ReLU on real
    music, so pooling those channels the wrong way moves their outputs by 0 (vgg-msd) to 2e-6
    (vgg-mtt): with these weights every sign counts.
    """
    rng = np.random.default_rng(seed)
    out = dict(variables)
    for name, value in variables.items():
        if name.endswith("/gamma") and name.split("/")[0] != "batch_normalization":  # not the input's
            out[name] = (rng.uniform(0.5, 1.5, value.shape) * rng.choice([-1.0, 1.0], value.shape)).astype(np.float32)
    return out


@pytest.mark.parametrize("weights", ["released", "signed"])
@pytest.mark.parametrize("model_id", DEFAULT_MODELS)
def test_pooling_first_gives_the_network_as_written(model_id, weights, patches):
    spec = MODELS[model_id]
    variables = load_variables(spec, spec.weights_dir())
    if weights == "signed":
        variables = _signed_scales(variables, seed=zlib.crc32(model_id.encode()))
    written = _session(BUILDERS[spec.architecture](variables, pool_first=False))
    pooled_first = _session(BUILDERS[spec.architecture](variables))
    for batch in (1, 4):
        for start in range(0, len(patches), batch):
            x = patches[start : start + batch]
            for name, a, b in zip(("taggrams", "embeddings"), written.run(["taggrams", "embeddings"], {"mel": x}), pooled_first.run(["taggrams", "embeddings"], {"mel": x})):
                # Equal in exact arithmetic (rounding is monotone; negation is exact), and to the
                # bit on the CPUs measured. Not asserted equal: ONNX Runtime picks its kernels per
                # CPU and could fuse one graph's multiply and add but not the other's; a rounding
                # step apart in every pooled layer moves these outputs by up to about 2e-6. A
                # channel pooled the wrong way moves them by 1e-2 to 1 and more, so 1e-4 of their
                # scale separates the two.
                assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(a).max()), (model_id, name, start)


@pytest.mark.parametrize("architecture", ["musicnn", "vgg"])
def test_every_pool_reads_a_convolution_directly(architecture):
    spec = MODELS[next(m for m in DEFAULT_MODELS if MODELS[m].architecture == architecture)]
    graph = BUILDERS[architecture](load_variables(spec, spec.weights_dir())).graph
    convs = {node.output[0]: node for node in graph.node if node.op_type == "Conv"}
    pools = [node for node in graph.node if node.op_type == "MaxPool"]
    assert len(pools) == 5  # MusiCNN: five front-end branches; VGG: five blocks
    # Nothing elementwise touches a convolution's whole output, and its channels fill whole
    # blocks: ONNX Runtime then keeps it in its blocked layout from the convolution through the pool.
    assert all(node.input[0] in convs for node in pools)
    for pool in pools:
        weights = next(i for i in graph.initializer if i.name == convs[pool.input[0]].input[1])
        assert weights.dims[0] % 16 == 0  # ONNX Runtime's blocks: 8 or 16 channels, by CPU
