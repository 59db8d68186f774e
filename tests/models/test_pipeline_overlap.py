"""The front end decodes ahead of the networks in a thread of its own, and several models run
side by side in lanes (a thread per core, each running some of the models); outputs must be
exactly those of the serial loop (same patches, same order, same batches, same threads per
model), and errors surface as before."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from conftest import MUSIC, chord, write_audio
from tagscape.audio.decode import stream_audio_multi
from tagscape.audio.mel import PatchStream
from tagscape.errors import AudioError
from tagscape.pipeline import BLAS_THREADS, Extractor, _Lanes, plan_lanes

MODELS = ("musicnn-msd", "vgg-mtt")


@pytest.fixture(scope="module")
def extractor():
    return Extractor(MODELS, threads=2, cores=2)  # two lanes, one model each, on any machine


def serial(extractor: Extractor, path, models=MODELS) -> dict[str, dict[str, np.ndarray]]:
    """What the pipeline computed before the front end had its thread: one loop, in order, with
    numpy's BLAS on as many threads as during an analysis (OpenBLAS's result for a block depends
    on how many threads split it: under Haswell kernels 1 and 2 threads differ in the last bit)."""
    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        return _serial(extractor, path, models)


def _serial(extractor: Extractor, path, models) -> dict[str, dict[str, np.ndarray]]:
    out = {model_id: {} for model_id in models}
    params = extractor.taggers[models[0]].spec.mel
    stream = PatchStream(params=params)

    def run(patches):
        if patches.size:
            for model_id in models:
                for name, value in extractor.taggers[model_id](patches).items():
                    out[model_id].setdefault(name, []).append(value)

    for chunks in stream_audio_multi(path, sr=params.sr, resamplers=(params.resampler,)):
        run(stream.push(chunks[params.resampler]))
    run(stream.finish())
    return {m: {name: np.concatenate(parts) for name, parts in layers.items()} for m, layers in out.items()}


@pytest.mark.parametrize("name", ["metal.mp3", "ambient.flac", "choir.ogg"])
def test_outputs_equal_the_serial_loop_bit_for_bit(extractor, name):
    assert extractor.side_by_side  # the models' lanes are what is compared with the serial loop
    path = MUSIC / name
    expected = serial(extractor, path)
    analysis = extractor.analyze(path)
    for model_id in MODELS:
        for layer, values in expected[model_id].items():
            np.testing.assert_array_equal(analysis.models[model_id].layers[layer], values, err_msg=f"{model_id} {layer}")


def test_a_truncated_file_still_fails_with_its_reason(extractor, tmp_path):
    path = write_audio(tmp_path / "cut.wav", chord(20.0, 16000), 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])  # the header still says 20 s
    with pytest.raises(AudioError, match="truncated"):
        extractor.analyze(path)
    assert extractor.analyze(MUSIC / "piano.mp3").models["vgg-mtt"].n_segments == 6  # the extractor is still usable


def test_a_lane_that_runs_two_models_keeps_each_models_outputs_bit_for_bit():
    three = Extractor(("musicnn-msd", "vgg-msd", "vgg-mtt"), cores=2)
    assert three.lanes == 2  # MusiCNN alone in one lane, both VGGs in the other
    path = MUSIC / "metal.mp3"
    expected = serial(three, path, ("musicnn-msd", "vgg-msd", "vgg-mtt"))
    analysis = three.analyze(path)
    for model_id, layers in expected.items():
        for layer, values in layers.items():
            np.testing.assert_array_equal(analysis.models[model_id].layers[layer], values, err_msg=f"{model_id} {layer}")


def test_several_models_share_the_cores_one_lane_per_core_one_thread_each():
    four = Extractor(("musicnn-msd", "musicnn-mtt", "vgg-msd", "vgg-mtt"), cores=2)
    assert four.side_by_side and four.lanes == 2
    # each lane gets one MusiCNN and one VGG: the work is balanced between the cores
    plan = plan_lanes(four.taggers, four.lanes)
    assert sorted(m for lane in plan for m in lane) == sorted(four.taggers)
    assert [sorted(m.split("-")[0] for m in lane) for lane in plan] == [["musicnn", "vgg"], ["musicnn", "vgg"]]
    assert Extractor(("musicnn-msd", "musicnn-mtt", "vgg-msd", "vgg-mtt"), cores=8).lanes == 4  # at most one lane per model
    assert Extractor(("musicnn-msd", "vgg-msd"), cores=1).lanes == 1  # one core: the caller's thread
    assert {t.session.get_session_options().intra_op_num_threads for t in four.taggers.values()} == {1}
    one = Extractor(("vgg-mtt",), cores=2)
    assert not one.side_by_side
    assert one.taggers["vgg-mtt"].session.get_session_options().intra_op_num_threads == 2


def test_a_model_that_fails_in_its_lane_fails_the_file(extractor):
    results = {model_id: {} for model_id in MODELS}
    wrong = np.zeros((1, 10, 10), np.float32)  # ONNX Runtime rejects the shape inside the lane's thread
    with pytest.raises(Exception, match="(?i)dimension|shape|invalid"):
        with _Lanes(extractor.taggers, results, lanes=2) as lanes:
            lanes.submit("vgg-mtt", wrong)
    assert results["vgg-mtt"] == {}
