"""The VGGish ONNX graph against two references, with random full-size weights.

1. An independent numpy VGGish written here, the way TF-slim works (NHWC, 'SAME' padding,
   flatten in (time, mel, channel) order); it shares no code with tagscape.models.graphs,
   which works in NCHW and permutes the first dense layer's rows instead of transposing.
2. TensorFlow itself (tests/data/vggish/network_reference.npz, made by make_fixtures.py in a
   throwaway environment): the same weights, regenerated here from the stored seed.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from conftest import DATA
from tagscape.models.graphs import build_vggish, vggish_variable_shapes
from tfformats import vggish_random_weights

TF_REFERENCE = DATA / "vggish" / "network_reference.npz"


def conv3x3_same_relu(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x`` (B, H, W, C) * ``kernel`` (3, 3, C, K), 'SAME', as a sum of nine shifted matmuls."""
    b, h, w, _ = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).astype(np.float64)
    out = np.zeros((b, h, w, kernel.shape[3]))
    for dy in range(3):
        for dx in range(3):
            out += padded[:, dy : dy + h, dx : dx + w, :] @ kernel[dy, dx].astype(np.float64)
    return np.maximum(out + bias, 0.0)


def max_pool_2x2(x: np.ndarray) -> np.ndarray:
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def numpy_vggish(mel: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    x = mel[..., None].astype(np.float64)  # (B, 96, 64, 1)
    for layer, pool in (("conv1", True), ("conv2", True), ("conv3/conv3_1", False), ("conv3/conv3_2", True),
                        ("conv4/conv4_1", False), ("conv4/conv4_2", True)):
        x = conv3x3_same_relu(x, weights[f"vggish/{layer}/weights"], weights[f"vggish/{layer}/biases"])
        if pool:
            x = max_pool_2x2(x)
    x = x.reshape(x.shape[0], -1)
    for layer in ("fc1/fc1_1", "fc1/fc1_2"):
        x = np.maximum(x @ weights[f"vggish/{layer}/weights"] + weights[f"vggish/{layer}/biases"], 0.0)
    return x @ weights["vggish/fc2/weights"] + weights["vggish/fc2/biases"]


@pytest.fixture(scope="module")
def tf_reference():
    with np.load(TF_REFERENCE) as npz:
        return {name: npz[name] for name in npz.files}


@pytest.fixture(scope="module")
def weights(tf_reference):
    return vggish_random_weights(seed=int(tf_reference["seed"]))


@pytest.fixture(scope="module")
def session(weights):
    model = build_vggish(weights)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"])


def test_random_weights_have_the_release_shapes(weights):
    assert {name: value.shape for name, value in weights.items()} == vggish_variable_shapes()
    assert sum(value.size for value in weights.values()) == 72_141_184  # VGGish's parameter count


def test_graph_equals_numpy_vggish_on_random_input(weights, session, rng):
    # Log-mel-like input: VGGish's log(mel + 0.01) lies in about [-4.6, 5].
    mel = rng.uniform(-4.6, 3.0, size=(3, 96, 64)).astype(np.float32)
    (ours,) = session.run(["embeddings"], {"mel": mel})
    reference = numpy_vggish(mel, weights)
    assert ours.shape == (3, 128) and ours.dtype == np.float32
    assert np.abs(reference).max() > 0.1  # the random network does not collapse to zero
    assert np.abs(ours - reference).max() <= 1e-4


def test_graph_equals_tensorflow_on_its_stored_patches(weights, session, tf_reference):
    # The weights regenerated here are the ones TensorFlow used (numpy's PCG64 stream is the same
    # under numpy 1.26 there and 2.x here; the checksum would say otherwise).
    checksum = sum(float(np.sum(v, dtype=np.float64)) for v in weights.values())
    assert checksum == pytest.approx(float(tf_reference["weights_checksum"]), rel=1e-12)
    (ours,) = session.run(["embeddings"], {"mel": tf_reference["mel"]})
    expected = tf_reference["embeddings"]
    assert ours.shape == expected.shape == (3, 128) and np.abs(expected).max() > 0.1
    assert np.abs(ours - expected).max() <= 1e-4
    np.testing.assert_allclose(ours, numpy_vggish(tf_reference["mel"], weights), atol=1e-4)


def test_batches_are_independent(session, rng):
    mel = rng.uniform(-4.6, 3.0, size=(4, 96, 64)).astype(np.float32)
    (together,) = session.run(["embeddings"], {"mel": mel})
    (alone,) = session.run(["embeddings"], {"mel": mel[2:3]})
    np.testing.assert_allclose(alone[0], together[2], atol=1e-5)
    assert not np.allclose(together[0], together[1])


def test_the_graph_has_only_the_embedding_output(session):
    assert [o.name for o in session.get_outputs()] == ["embeddings"]
    assert session.get_inputs()[0].shape == ["batch", 96, 64]
