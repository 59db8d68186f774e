"""Many readers at once, rebuilds racing each other, a rebuild killed midway, and a server
answering while an extraction writes: no error, and never arrays of one version mixed with
offsets of another."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tagscape.collection import index_folder, open_collection
from tagscape.extract import extract_collection
from tagscape.models.registry import MTT_TAGS
from tagscape.store.layers import _index_path, _read_index, load_layer
from tagscape.web import create_app
from tagscape.web.points import parse_binary

MODELS = ("musicnn-mtt", "vgg-mtt")
LAYERS = [(model, layer) for model in MODELS for layer in ("taggrams", "embeddings")]


def expected_rows(collection, model_id: str, layer: str) -> dict[int, np.ndarray]:
    """Each track's rows straight from the database (the source of truth)."""
    out = {}
    for track in collection.tracks():
        values = collection.store.track_layer(track["track_id"], model_id, layer)
        if values is not None:
            out[track["track_id"]] = np.array(values)
    return out


def assert_matches(array, expected: dict[int, np.ndarray]) -> None:
    assert sorted(int(t) for t in array.track_ids) == sorted(expected)
    for track_id, rows in expected.items():
        np.testing.assert_array_equal(array.track(track_id), rows)


@pytest.fixture
def extracted(tmp_path, music_files):
    root = tmp_path / "music"
    root.mkdir()
    for path in music_files[:3]:
        shutil.copy(path, root / path.name)
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, MODELS, threads=2)
    shutil.rmtree(root / ".tagscape" / "arrays", ignore_errors=True)
    return root


def test_sixteen_threads_first_reads_of_four_layers_build_each_once(extracted):
    collection = open_collection(extracted)
    expected = {key: expected_rows(collection, *key) for key in LAYERS}
    start = threading.Barrier(16)

    def first_read(i: int):
        start.wait()
        key = LAYERS[i % len(LAYERS)]
        return key, collection.layer(*key)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(first_read, range(16)))
    for key, array in results:
        assert_matches(array, expected[key])
    arrays_dir = extracted / ".tagscape" / "arrays"
    names = sorted(p.name for p in arrays_dir.iterdir() if p.suffix != ".lock")
    assert len([n for n in names if n.endswith(".npy")]) == len(LAYERS)  # one values file per layer: built once each
    assert not [n for n in names if n.endswith(".tmp")]


def test_processes_rebuilding_the_same_layer_at_once_agree(extracted):
    code = ("import sys; from tagscape.collection import open_collection\n"
            "a = open_collection(sys.argv[1]).layer('musicnn-mtt', 'embeddings'); print(a.values.shape[0], float(a.values.sum()))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [subprocess.Popen([sys.executable, "-c", code, str(extracted)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1


def test_a_rebuild_killed_midway_leaves_the_old_arrays_and_the_next_one_sweeps_up(extracted):
    collection = open_collection(extracted)
    old = collection.layer("vgg-mtt", "taggrams")
    old_rows = {int(t): np.array(old.track(t)) for t in old.track_ids}
    arrays_dir = collection.arrays_dir
    index_before = _read_index(_index_path(arrays_dir, "vgg-mtt", "taggrams"))
    # A new result moves the model's version on; a rebuild then dies after its first track
    # (os._exit: no clean-up runs, as with SIGKILL), holding the lock and a half-written file.
    track = collection.tracks()[0]
    collection.store.write_result(track["track_id"], "vgg-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                  layers={"taggrams": np.full((2, 50), 0.5, np.float16), "embeddings": np.zeros((2, 256), np.float16)})
    code = (
        "import os, sys\n"
        "from tagscape.collection import open_collection\n"
        "from tagscape.store.db import Store\n"
        "real = Store.iter_layer\n"
        "def dying(self, *args):\n"
        "    for n, row in enumerate(real(self, *args)):\n"
        "        if n == 1: os._exit(9)\n"
        "        yield row\n"
        "Store.iter_layer = dying\n"
        "open_collection(sys.argv[1]).layer('vgg-mtt', 'taggrams')\n"
    )
    died = subprocess.run([sys.executable, "-c", code, str(extracted)], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert died.returncode == 9
    assert [p.name for p in arrays_dir.glob("*.tmp")]  # it did leave a half-written file
    # The old pair is intact and readable as it was.
    assert _read_index(_index_path(arrays_dir, "vgg-mtt", "taggrams"))[4] == index_before[4]
    kept = np.load(arrays_dir / index_before[4], mmap_mode="r")
    np.testing.assert_array_equal(kept[: len(old_rows[int(old.track_ids[0])])], old_rows[int(old.track_ids[0])])
    # The next reader rebuilds, sweeps the leftovers and sees the new result.
    fresh = load_layer(collection.store, arrays_dir, "vgg-mtt", "taggrams")
    assert not list(arrays_dir.glob("*.tmp"))
    np.testing.assert_array_equal(fresh.track(track["track_id"]), np.full((2, 50), 0.5, np.float16))


def test_a_server_answers_sixteen_clients_while_an_extraction_writes(tmp_path, music_files):
    """Requests for both models' maps while `tagscape extract` adds tracks: every answer is a
    200 (or a 404 before a model has any result), and every point is the stored value of its
    track's segment (results, once written, do not change here, so the final store checks all)."""
    root = tmp_path / "music"
    root.mkdir()
    for path in music_files:
        shutil.copy(path, root / path.name)
    index_folder(root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writer = subprocess.Popen([sys.executable, "-m", "tagscape.cli", "extract", "-c", str(root), "--threads", "1",
                               *[arg for m in MODELS for arg in ("-m", m)]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    app = create_app(str(root), {"TESTING": True})
    answers: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 120

    def client_loop(i: int) -> None:
        client = app.test_client()
        model = MODELS[i % 2]
        url = f"/api/points?model={model}&layer=taggrams&projection=original&x=guitar&y=piano&client=c{i}"
        while time.monotonic() < deadline:
            response = client.get(url)
            with lock:
                answers.append((model, response.status_code, response.data))
            if writer.poll() is not None:
                return

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(client_loop, range(16)))
    _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors
    statuses = {status for _, status, _ in answers}
    assert statuses <= {200, 404}, [data[:300] for _, status, data in answers if status not in (200, 404)][:3]
    assert sum(status == 200 for _, status, _ in answers) >= 16
    with open_collection(root) as collection:
        stored = {model: expected_rows(collection, model, "taggrams") for model in MODELS}
    guitar, piano = MTT_TAGS.index("guitar"), MTT_TAGS.index("piano")
    for model, status, data in answers:
        if status != 200:
            continue
        points = parse_binary(data)
        track_ids = np.asarray(points.meta["tracks"]["track_id"])[points.arrays["track"]]
        for track_id in np.unique(track_ids):
            mine = track_ids == track_id
            rows = stored[model][int(track_id)][points.arrays["segment"][mine]]
            np.testing.assert_array_equal(points.arrays["x"][mine], rows[:, guitar].astype(np.float32))
            np.testing.assert_array_equal(points.arrays["y"][mine], rows[:, piano].astype(np.float32))
