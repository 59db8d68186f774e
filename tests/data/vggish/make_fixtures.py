"""Make the small VGGish test files in the real formats, with TensorFlow's own writers.

Run once in a throwaway environment (never a tagscape dependency)::

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.15.1 numpy==1.26.4
    /tmp/tfenv/bin/python tests/data/vggish/make_fixtures.py

It writes, next to itself:

``tiny_v1.ckpt``
    A TF1 "V1" checkpoint (one SSTable file of ``SavedTensorSlices``), written by
    ``tf.compat.v1.train.Saver(write_version=V1)`` - the format of the official
    ``vggish_model.ckpt``, whose loader in ``vggish_slim.py`` restores with ``write_version=1``.
    It holds the 18 VGGish variable names with tiny shapes and known values, an ``int64``
    ``global_step``, and ``extra/partitioned``, a variable saved as three slices.
``tiny_frozen.pb``
    A frozen ``GraphDef`` whose ``Const`` nodes hold the same tiny weights under ``model/``
    (Essentia's ``audioset-vggish-3.pb`` names its input ``model/Placeholder`` and its
    output ``model/vggish/embeddings``), made with ``convert_variables_to_constants``.
``tiny_expected.npz``
    The values both files must decode to.
``network_reference.npz``
    VGGish's embeddings computed by TensorFlow ops (as ``vggish_slim.py`` defines the network)
    for three random patches, with full-size random weights regenerated from ``seed``.
``logmel_reference.npz``
    A 1.5 s signal (``y16``: int16 samples, divide by 32768) and its VGGish log-mel computed with ``tf.signal`` from the published
    parameters (16 kHz, 400-sample periodic Hann window, hop 160, FFT 512, 64 HTK mel bands
    125-7500 Hz built in the mel domain with a zero DC row, magnitude spectrum,
    ``log(mel + 0.01)``).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
HERE = Path(__file__).parent

# Name -> tiny shape (the real ones are 3x3 kernels with 64..512 channels and 4096-wide dense layers).
TINY = {
    "vggish/conv1/weights": (3, 3, 1, 2), "vggish/conv1/biases": (2,),
    "vggish/conv2/weights": (3, 3, 2, 2), "vggish/conv2/biases": (2,),
    "vggish/conv3/conv3_1/weights": (3, 3, 2, 3), "vggish/conv3/conv3_1/biases": (3,),
    "vggish/conv3/conv3_2/weights": (3, 3, 3, 3), "vggish/conv3/conv3_2/biases": (3,),
    "vggish/conv4/conv4_1/weights": (3, 3, 3, 4), "vggish/conv4/conv4_1/biases": (4,),
    "vggish/conv4/conv4_2/weights": (3, 3, 4, 4), "vggish/conv4/conv4_2/biases": (4,),
    "vggish/fc1/fc1_1/weights": (96, 5), "vggish/fc1/fc1_1/biases": (5,),
    "vggish/fc1/fc1_2/weights": (5, 5), "vggish/fc1/fc1_2/biases": (5,),
    "vggish/fc2/weights": (5, 3), "vggish/fc2/biases": (3,),
}  # fmt: skip


def tiny_values() -> dict[str, np.ndarray]:
    values = {}
    for i, (name, shape) in enumerate(TINY.items()):
        n = int(np.prod(shape))
        values[name] = (np.arange(n, dtype=np.float32) * 0.25 - i).reshape(shape)
    return values


def _rows_of(array: np.ndarray):
    def initializer(shape, dtype=None, partition_info=None):
        start = partition_info.var_offset[0] if partition_info else 0
        return tf.constant(array[start : start + shape[0]])

    return initializer


def write_v1(values: dict[str, np.ndarray]) -> None:
    graph = tf.Graph()
    with graph.as_default():
        variables = [tf1.get_variable(name, initializer=value) for name, value in values.items()]
        variables.append(tf1.get_variable("global_step", initializer=np.int64(1234)))
        partitioned = tf1.get_variable(
            "extra/partitioned", shape=(6, 2), dtype=tf.float32,
            initializer=_rows_of(np.arange(12, dtype=np.float32).reshape(6, 2)),
            partitioner=tf1.fixed_size_partitioner(3),
        )
        saver = tf1.train.Saver(write_version=tf1.train.SaverDef.V1)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            saver.save(session, str(HERE / "tiny_v1.ckpt"), write_meta_graph=False, write_state=False)
            assert list(session.run(tf.concat(list(partitioned), axis=0)).ravel()) == list(range(12))


def write_frozen(values: dict[str, np.ndarray]) -> None:
    graph = tf.Graph()
    with graph.as_default():
        with tf1.variable_scope("model"):
            x = tf1.placeholder(tf.float32, (None, 96, 64), name="Placeholder")
            variables = {name: tf1.get_variable(name, initializer=value) for name, value in values.items()}
            # A graph that uses every variable, so that freezing keeps them all.
            total = tf.reduce_sum(x)
            for variable in variables.values():
                total = total + tf.reduce_sum(variable)
            tf.identity(total, name="vggish/embeddings")
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            frozen = tf1.graph_util.convert_variables_to_constants(session, graph.as_graph_def(), ["model/vggish/embeddings"])
    (HERE / "tiny_frozen.pb").write_bytes(frozen.SerializeToString())


def write_logmel_reference() -> None:
    rng = np.random.default_rng(6)
    sr = 16000
    t = np.arange(int(1.5 * sr) + 77) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t) * (t > 0.7) + 0.02 * rng.standard_normal(t.size)
    y16 = np.round(y * 32767).astype(np.int16)  # stored as 16-bit samples, as a WAV file holds them
    y = y16.astype(np.float32) / 32768
    stft = tf.signal.stft(y, frame_length=400, frame_step=160, fft_length=512, window_fn=tf.signal.hann_window, pad_end=False)
    matrix = tf.signal.linear_to_mel_weight_matrix(64, 257, sr, 125.0, 7500.0)
    log_mel = tf.math.log(tf.matmul(tf.abs(stft), matrix) + 0.01)
    np.savez_compressed(HERE / "logmel_reference.npz", y16=y16, log_mel=log_mel.numpy().astype(np.float32))


# The release's layer shapes, in vggish_slim.py's order (the same order as
# tagscape.models.graphs.vggish_variable_shapes, which tests/models/tfformats.py walks).
CONVS = (("conv1", 1, 64), ("conv2", 64, 128), ("conv3/conv3_1", 128, 256), ("conv3/conv3_2", 256, 256),
         ("conv4/conv4_1", 256, 512), ("conv4/conv4_2", 512, 512))
DENSES = (("fc1/fc1_1", 12288, 4096), ("fc1/fc1_2", 4096, 4096), ("fc2", 4096, 128))


def full_size_random_weights(seed: int) -> dict[str, np.ndarray]:
    """The same values as tests/models/tfformats.vggish_random_weights(seed)."""
    rng = np.random.default_rng(seed)
    shapes = {}
    for layer, n_in, n_out in CONVS:
        shapes[f"vggish/{layer}/weights"], shapes[f"vggish/{layer}/biases"] = (3, 3, n_in, n_out), (n_out,)
    for layer, n_in, n_out in DENSES:
        shapes[f"vggish/{layer}/weights"], shapes[f"vggish/{layer}/biases"] = (n_in, n_out), (n_out,)
    weights = {}
    for name, shape in shapes.items():
        if name.endswith("/biases"):
            weights[name] = (0.05 * rng.standard_normal(shape)).astype(np.float32)
        else:
            fan_in = int(np.prod(shape[:-1]))
            weights[name] = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
    return weights


def write_network_reference(seed: int = 11) -> None:
    """VGGish run by TensorFlow as vggish_slim.py defines it (conv 3x3 SAME + ReLU, max-pool 2x2
    SAME, flatten, fc1 x2 ReLU, fc2 linear) on full-size random weights and random patches.
    Only the patches, the outputs and a checksum of the weights are stored (the weights are
    regenerated from the seed by the test)."""
    weights = full_size_random_weights(seed)
    checksum = np.float64(sum(float(np.sum(v, dtype=np.float64)) for v in weights.values()))
    mel = np.random.default_rng(seed + 1).uniform(-4.6, 3.0, (3, 96, 64)).astype(np.float32)
    x = tf.reshape(tf.constant(mel), (-1, 96, 64, 1))
    for layer, _, _ in CONVS:
        x = tf.nn.relu(tf.nn.conv2d(x, weights[f"vggish/{layer}/weights"], 1, "SAME") + weights[f"vggish/{layer}/biases"])
        if layer in ("conv1", "conv2", "conv3/conv3_2", "conv4/conv4_2"):
            x = tf.nn.max_pool2d(x, 2, 2, "SAME")
    x = tf.reshape(x, (x.shape[0], -1))
    for i, (layer, _, _) in enumerate(DENSES):
        x = tf.matmul(x, weights[f"vggish/{layer}/weights"]) + weights[f"vggish/{layer}/biases"]
        if i < len(DENSES) - 1:
            x = tf.nn.relu(x)
    np.savez_compressed(HERE / "network_reference.npz", seed=np.int64(seed), weights_checksum=checksum, mel=mel,
                        embeddings=x.numpy().astype(np.float32))


if __name__ == "__main__":
    values = tiny_values()
    np.savez(HERE / "tiny_expected.npz", **values)
    write_v1(values)
    write_frozen(values)
    write_logmel_reference()
    write_network_reference()
    for path in sorted(HERE.iterdir()):
        print(path.name, path.stat().st_size)
