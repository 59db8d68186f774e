"""Devices: parsing ``--device``, the batch size per device, and the CUDA checks.

This machine has no GPU and runs the CPU-only onnxruntime, so the CUDA path is tested up to
where it must stop with a clear message; the GPU run itself needs onnxruntime-gpu and a GPU.
"""

from __future__ import annotations

import onnxruntime as ort
import pytest

from tagscape.errors import DeviceError, UsageError
from tagscape.models.devices import BATCH_SIZES, Device, check_available, parse_device
from tagscape.models.registry import get_model
from tagscape.models.session import DEFAULT_BATCH_SIZE, load_tagger
from tagscape.pipeline import Extractor

HAS_CUDA_PROVIDER = "CUDAExecutionProvider" in ort.get_available_providers()


@pytest.mark.parametrize("text, device", [(None, Device("cpu")), ("cpu", Device("cpu")), ("CUDA", Device("cuda", 0)), ("cuda:1", Device("cuda", 1))])
def test_devices_parse(text, device):
    assert parse_device(text) == device


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:x", "cpu:0", "cuda:-1", ""])
def test_bad_devices_are_usage_errors_naming_the_value(text):
    if text == "":
        assert parse_device(text) == Device("cpu")  # an empty value is the default
        return
    with pytest.raises(UsageError, match="--device must be cpu, cuda or cuda:N|takes no index") as caught:
        parse_device(text)
    assert repr(text) in caught.value.message


def test_batch_size_follows_the_device():
    assert BATCH_SIZES["cpu"] == DEFAULT_BATCH_SIZE == 1  # the CPU size measured by bench/extract.py
    assert Device("cuda").batch_size == 64
    assert Device("cuda", 1).providers() == [("CUDAExecutionProvider", {"device_id": 1}), "CPUExecutionProvider"]
    extractor = Extractor(["vgg-mtt"], threads=1)
    assert (extractor.device, extractor.batch_size, extractor.taggers["vgg-mtt"].batch_size) == (Device("cpu"), 1, 1)
    assert extractor.taggers["vgg-mtt"].session.get_providers() == ["CPUExecutionProvider"]
    assert Extractor(["vgg-mtt"], threads=1, batch_size=8).taggers["vgg-mtt"].batch_size == 8


@pytest.mark.skipif(HAS_CUDA_PROVIDER, reason="onnxruntime-gpu is installed here")
def test_cuda_without_onnxruntime_gpu_says_how_to_install_it():
    with pytest.raises(DeviceError, match=r"needs onnxruntime-gpu, which is not installed .*pip install 'tagscape\[gpu\]'"):
        check_available(Device("cuda"))
    with pytest.raises(DeviceError, match="onnxruntime-gpu"):
        load_tagger(get_model("vgg-mtt"), device="cuda")
    with pytest.raises(DeviceError, match="onnxruntime-gpu"):
        Extractor(["vgg-mtt"], device="cuda:1")


@pytest.mark.skipif(not HAS_CUDA_PROVIDER, reason="needs onnxruntime-gpu (pip install 'tagscape[gpu]') and a GPU")
def test_cuda_session_runs_on_the_gpu_and_matches_the_cpu():
    import numpy as np

    spec = get_model("vgg-mtt")
    patches = np.random.default_rng(0).normal(size=(70, 187, 96)).astype(np.float32)
    gpu = load_tagger(spec, device="cuda")
    assert gpu.session.get_providers()[0] == "CUDAExecutionProvider" and gpu.batch_size == 64
    cpu = load_tagger(spec, threads=1)
    np.testing.assert_allclose(gpu(patches)["taggrams"], cpu(patches)["taggrams"], atol=1e-3)


@pytest.mark.skipif(HAS_CUDA_PROVIDER, reason="onnxruntime-gpu is installed here")
def test_analyze_on_cuda_without_onnxruntime_gpu_is_one_line_and_exit_code_2(music_files, tmp_path):
    from click.testing import CliRunner

    from tagscape.cli import main

    result = CliRunner().invoke(main, ["analyze", str(music_files[0]), "-m", "vgg-mtt", "--device", "cuda", "-o", str(tmp_path / "out.npz")])
    assert result.exit_code == 2 and "needs onnxruntime-gpu" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.npz").exists()
    bad = CliRunner().invoke(main, ["analyze", str(music_files[0]), "--device", "tpu", "-o", str(tmp_path / "out.npz")])
    assert bad.exit_code == 2 and "--device must be cpu, cuda or cuda:N" in bad.output


def test_sessions_do_not_spin_their_threads():
    """Spinning threads of one model starve the next model and the mel front end (bench/extract.py --variants)."""
    from tagscape.models.session import session_options

    assert session_options(2).get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert session_options(None).get_session_config_entry("session.intra_op.allow_spinning") == "0"
