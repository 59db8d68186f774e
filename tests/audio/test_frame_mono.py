"""The downmix of decoded frames without PyAV's copies equals numpy's mean of the planes, bit for bit."""

from __future__ import annotations

import av
import numpy as np
import pytest

from conftest import MUSIC
from tagscape.audio.decode import frame_mono, frame_planes


def frames_of(path):
    with av.open(str(path)) as container:
        yield from container.decode(audio=0)


@pytest.mark.parametrize("name", ["metal.mp3", "choir.ogg", "ambient.flac", "techno.mp3"])
def test_the_downmix_equals_the_mean_of_the_planes(name):
    n = 0
    for frame in frames_of(MUSIC / name):
        np.testing.assert_array_equal(frame_mono(frame), frame_planes(frame).mean(axis=0, dtype=np.float32))
        n += 1
    assert n > 100


@pytest.mark.parametrize("channels", [1, 3, 6])
def test_more_channels_and_odd_counts_too(tmp_path, rng, channels):
    """Opus decodes to planar float; 3 and 6 channels divide by counts that are not powers of two."""
    samples = (0.3 * rng.standard_normal((channels, 48000))).astype(np.float32)
    layout = {1: "mono", 3: "3.0", 6: "5.1"}[channels]
    path = tmp_path / f"c{channels}.opus"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libopus", rate=48000, layout=layout)
        for start in range(0, samples.shape[1], 960):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start : start + 960]), format="fltp", layout=layout)
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    checked = 0
    for frame in frames_of(path):
        assert frame.format.name == "fltp" and frame.layout.nb_channels == channels
        np.testing.assert_array_equal(frame_mono(frame), frame_planes(frame).mean(axis=0, dtype=np.float32))
        checked += 1
    assert checked > 10
