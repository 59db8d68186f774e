"""Extraction on a real Dask LocalCluster of two worker processes: the same store as a local run,
a worker killed mid-run, a file that keeps killing workers, and the CLI's errors.

One cluster serves the tests of this module (started once, about 3 s); the runs use two models
on the six real recordings (20 s each) so the module stays around 30 s on 2 cores.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tagscape.cli import main
from tagscape.collection import index_folder, open_collection
from tagscape.extract import extract_collection

distributed = pytest.importorskip("distributed", reason="pip install 'tagscape[cluster]' (make install does)")

MODELS = ("musicnn-msd", "vgg-mtt")


def store_arrays(data_dir: Path) -> dict[str, np.ndarray]:
    """Every layer of every track, by track key; asserts no (track, model) result is stored twice."""
    with open_collection(data_dir) as collection:
        keys = {t["track_id"]: t["key"] for t in collection.tracks()}
        out = {}
        for model_id in MODELS:
            for layer_name in ("taggrams", "embeddings"):
                layer = collection.layer(model_id, layer_name)
                for track_id in layer.track_ids:
                    out[f"{model_id}/{layer_name}/{keys[int(track_id)]}"] = np.array(layer.track(track_id))
        count, distinct = collection.store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT track_id || '/' || model_id) FROM results").fetchone()
        assert count == distinct
        return out


def assert_same_store(data_dir: Path, expected: dict[str, np.ndarray]) -> None:
    actual = store_arrays(data_dir)
    assert actual.keys() == expected.keys()
    for key, values in expected.items():
        np.testing.assert_array_equal(actual[key], values, err_msg=key)


@pytest.fixture(scope="module")
def music_dir(tmp_path_factory, music_files) -> Path:
    root = tmp_path_factory.mktemp("dask") / "music"
    root.mkdir()
    for path in music_files:
        shutil.copy(path, root / path.name)
    return root


@pytest.fixture(scope="module")
def reference(music_dir, tmp_path_factory) -> dict[str, np.ndarray]:
    """The store of an ordinary local run (this process, one ONNX thread per model)."""
    data = tmp_path_factory.mktemp("reference")
    index_folder(music_dir, data_dir=data)
    with open_collection(data) as collection:
        report = extract_collection(collection, MODELS, threads=1)
    assert (report.done, report.failed) == (len(list(music_dir.iterdir())), 0)
    return store_arrays(data)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes (with nannies, which restart a killed worker); one task per worker at a time."""
    import dask

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0, "distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                                      silence_logs=logging.CRITICAL) as local:
            with distributed.Client(local) as client:
                yield local, client


def fresh_collection(music_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    index_folder(music_dir, data_dir=data)
    return data


def worker_pids(client) -> dict[str, int]:
    """Worker address -> process id (a worker that is dying or starting is left out)."""
    answers = client.run(os.getpid, on_error="return")
    return {address: pid for address, pid in answers.items() if isinstance(pid, int)}


def test_cli_run_on_a_local_cluster_equals_a_local_run(music_dir, reference, tmp_path):
    data = fresh_collection(music_dir, tmp_path)
    args = ["extract", "-c", str(data), "--scheduler", "local:2", "--threads", "1"] + [arg for m in MODELS for arg in ("-m", m)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "6 tracks extracted" in result.output and "0 failed" in result.output
    assert_same_store(data, reference)
    again = CliRunner().invoke(main, args)  # nothing left: resumes to nothing, no cluster needed
    assert "0 tracks extracted" in again.output


def test_a_worker_killed_mid_file_loses_and_duplicates_nothing(music_dir, reference, tmp_path, cluster):
    local, client = cluster
    data = fresh_collection(music_dir, tmp_path)
    killed = []

    def kill_a_busy_worker(done: int, total: int, seconds: float) -> None:
        if killed:
            return
        busy = [address for address, keys in client.processing().items() if keys]
        assert busy, "no worker was busy after the first file: nothing to kill mid-file"
        pid = worker_pids(client)[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    with open_collection(data) as collection:
        report = extract_collection(collection, MODELS, scheduler=local.scheduler_address, threads=1, progress=kill_a_busy_worker)
    assert killed and killed[0] not in worker_pids(client).values()  # that process is gone (its nanny started another)
    assert (report.done, report.failed) == (6, 0)
    assert_same_store(data, reference)


def test_a_file_that_keeps_killing_workers_is_recorded_as_failed(music_dir, reference, tmp_path, cluster):
    """The poison file's own task kills the process running it, every time it starts: the count of
    deaths is certain (a killer thread watching ``client.processing()`` could hit the wrong worker)."""
    local, client = cluster
    data = fresh_collection(music_dir, tmp_path)
    with open_collection(data) as collection:
        poison = next(t for t in collection.tracks() if t["key"] == "metal.mp3")["track_id"]
    deaths = tmp_path / "deaths.log"

    class DieOnPoison(distributed.WorkerPlugin):
        """On every worker (also those the nannies restart): the poison file's task kills its own process."""

        def __init__(self, suffix: str, log: str):
            self.suffix, self.log = suffix, log

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).endswith(self.suffix):
                with open(self.log, "a") as out:
                    out.write(f"{os.getpid()} {key}\n")
                os.kill(os.getpid(), signal.SIGKILL)

    client.register_plugin(DieOnPoison(f"-{poison}", str(deaths)), name="die-on-poison")
    try:
        with open_collection(data) as collection:
            report = extract_collection(collection, MODELS, scheduler=local.scheduler_address, threads=1)
            status = {m: collection.store.counts(m) for m in MODELS}
    finally:
        client.unregister_worker_plugin("die-on-poison")
    pids = [line.split()[0] for line in deaths.read_text().splitlines()]
    assert len(pids) == len(set(pids)) == 2  # allowed-failures is 1 on this cluster: the second death fails the file
    assert (report.done, report.failed) == (5, 1)
    assert report.failures[0][0] == "metal.mp3" and "died" in report.failures[0][1]
    for model_id in MODELS:
        assert (status[model_id].done, status[model_id].failed) == (5, 1)
    expected = {key: values for key, values in reference.items() if not key.endswith("/metal.mp3")}
    assert_same_store(data, expected)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--scheduler", "spark://x"], "--scheduler must be local:N or a scheduler address"),
        (["--scheduler", "local:0"], "at least one worker"),
        (["--scheduler", "local:2", "--workers", "2"], "not both"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
        (["--device", "gpu"], "--device must be cpu, cuda or cuda:N"),
        (["--device", "cuda"], "needs onnxruntime-gpu, which is not installed"),
        (["--scheduler", "local:1", "--device", "cuda"], "on the Dask workers: --device cuda:0 needs onnxruntime-gpu"),
    ],
)
def test_bad_scheduler_or_device_is_one_line_and_exit_code(music_dir, tmp_path, extra, message):
    import dask
    import onnxruntime

    if "onnxruntime-gpu" in message and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime-gpu is installed here")
    data = fresh_collection(music_dir, tmp_path)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = CliRunner().invoke(main, ["extract", "-c", str(data), "-m", "vgg-mtt", *extra])
    assert result.exit_code == (1 if "cannot reach" in message else 2), result.output
    assert message in result.output and "Traceback" not in result.output
    with open_collection(data) as collection:
        counts = collection.store.counts("vgg-mtt")
        assert (counts.done, counts.failed) == (0, 0)  # nothing recorded: not even as failed


def test_without_dask_the_message_says_what_to_install(music_dir, tmp_path):
    """A Python where ``distributed`` cannot be imported (as without the extra): one line, exit 2."""
    import subprocess
    import sys

    data = fresh_collection(music_dir, tmp_path)
    code = "import sys; sys.modules['distributed'] = None; from tagscape.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "extract", "-c", str(data), "-m", "vgg-mtt", "--scheduler", "local:2"],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 2, result.stderr
    assert "pip install 'tagscape[cluster]'" in result.stderr and "Traceback" not in result.stderr
