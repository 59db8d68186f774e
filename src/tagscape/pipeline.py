"""From an audio file to every model's layers: one decode, one mel per front end, all models.

:class:`Extractor` loads the models once and is reused for many files; :func:`analyze` is the
one-call version for a single file.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from tagscape.audio.decode import stream_audio_multi
from tagscape.audio.mel import MelParams, PatchStream
from tagscape.errors import UsageError
from tagscape.models.devices import parse_device
from tagscape.models.registry import ModelSpec, default_models, get_model
from tagscape.models.session import Tagger, load_tagger

#: Threads of numpy's BLAS while a file is analysed (None: BLAS's own default).
BLAS_THREADS: int | None = 1


@dataclass
class ModelOutput:
    """One model's layers for one file."""

    spec: ModelSpec
    layers: dict[str, np.ndarray]

    @property
    def n_segments(self) -> int:
        return next(iter(self.layers.values())).shape[0]

    @property
    def segment_starts(self) -> np.ndarray:
        """Start of each segment in seconds, derived from frames: ``i * frames * hop / sr``."""
        return np.arange(self.n_segments) * self.spec.segment_seconds


@dataclass
class Analysis:
    """Every requested model's layers for one file."""

    path: str
    duration_seconds: float
    models: dict[str, ModelOutput] = field(default_factory=dict)

    def to_npz_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays for ``np.savez``: ``ID/taggrams``, ``ID/embeddings``, ``ID/tags``, ``segment_starts``."""
        arrays: dict[str, np.ndarray] = {"duration_seconds": np.float64(self.duration_seconds)}
        for model_id, output in self.models.items():
            for name, value in output.layers.items():
                arrays[f"{model_id}/{name}"] = value
            if output.spec.tags:
                arrays[f"{model_id}/tags"] = np.array(output.spec.tags)
            arrays[f"{model_id}/segment_starts"] = output.segment_starts
        starts = {len(o.segment_starts): o.segment_starts for o in self.models.values()}
        if len(starts) == 1:  # all models share one segmentation
            arrays["segment_starts"] = next(iter(starts.values()))
        return arrays

    def to_json_dict(self) -> dict:
        return {
            "path": self.path,
            "duration_seconds": self.duration_seconds,
            "models": {
                model_id: {
                    "segment_seconds": output.spec.segment_seconds,
                    "segment_starts": output.segment_starts.round(6).tolist(),
                    "tags": list(output.spec.tags or ()),
                    **{name: value.tolist() for name, value in output.layers.items()},
                }
                for model_id, output in self.models.items()
            },
        }


def resolve_models(model_ids: Iterable[str] | None) -> list[ModelSpec]:
    """Specs for the given ids (when none: the packaged models and the added ones whose weights
    are there), duplicates removed."""
    ids = list(dict.fromkeys(model_ids or default_models()))
    if not ids:
        raise UsageError("no model selected")
    return [get_model(model_id) for model_id in ids]


class Extractor:
    """Loaded models, ready to analyse many files.

    Parameters
    ----------
    models : sequence of str, optional
        Model ids; all default models when omitted.
    threads : int, optional
        ONNX Runtime intra-op threads per model. Default on the CPU: ``cores`` for one model;
        for several, which then run side by side in lanes (see :class:`_Lanes`),
        ``cores // lanes``, at least 1.
    cores : int, optional
        Cores this extractor may use (default: those this process may run on); a pool of
        workers gives each its share.
    side_by_side : bool, optional
        Run several models at once in lanes, one per core and at most one per model, each a
        thread that runs its models' calls in order (default: on the CPU when there are
        several models); ``False`` runs them one after the other.
    batch_size : int, optional
        Patches per network call (default: the device's, 1 on the CPU, where VGGish takes
        :data:`~tagscape.models.session.VGGISH_BATCH_SIZE`).
    device : str, optional
        ``cpu`` (default) or ``cuda[:N]`` (needs onnxruntime-gpu).
    """

    def __init__(self, models: Sequence[str] | None = None, *, threads: int | None = None, cores: int | None = None,
                 batch_size: int | None = None, device: str | None = None, side_by_side: bool | None = None):
        self.specs = resolve_models(models)
        self.device = parse_device(device)
        self.batch_size = batch_size or self.device.batch_size
        # On the CPU several models run side by side in lanes, one per core, with one ONNX
        # Runtime thread per model where the cores are fewer than the models: the convolutions
        # are compute-bound, and one thread per model wastes none of a core on splitting each
        # call (bench/vs_essentia.py --timing: four models on 2 cores, see the CHANGELOG). A GPU
        # takes the calls one after the other.
        budget = cores or available_cores()
        wanted = (self.device.kind == "cpu" if side_by_side is None else side_by_side) and len(self.specs) > 1
        self.lanes = max(2 if side_by_side else 1, min(len(self.specs), budget)) if wanted else 1
        if threads is None and self.device.kind == "cpu":
            threads = max(1, budget // self.lanes)
        self.taggers: dict[str, Tagger] = {
            spec.model_id: load_tagger(spec, threads=threads, batch_size=batch_size, device=self.device) for spec in self.specs
        }

    @property
    def side_by_side(self) -> bool:
        """Whether several models run at once (in more than one lane)."""
        return self.lanes > 1

    def _groups(self, specs: list[ModelSpec]) -> dict[MelParams, list[str]]:
        groups: dict[MelParams, list[str]] = {}
        for spec in specs:
            groups.setdefault(spec.mel, []).append(spec.model_id)
        return groups

    def analyze(self, path: str | os.PathLike, models: Sequence[str] | None = None) -> Analysis:
        """Decode ``path`` once, compute each front end once, run every model on its patches.

        ``models`` restricts the run to some of the loaded models (default: all of them).
        """
        # numpy's BLAS (the mel filterbank product) runs on one thread: its threads wait for
        # work by spinning and took cores from ONNX Runtime's; the four taggers on a 4-minute
        # MP3 went from 32 to 46 x real time on 2 cores (bench/extract.py --variants).
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return self._analyze(path, models)

    def _analyze(self, path: str | os.PathLike, models: Sequence[str] | None) -> Analysis:
        specs = [spec for spec in self.specs if models is None or spec.model_id in models]
        groups = self._groups(specs)
        sr = {params.sr for params in groups}
        if len(sr) != 1:
            raise UsageError(f"models need different sample rates {sorted(sr)}; run them separately")
        streams = {params: PatchStream(params=params) for params in groups}
        pending: dict[MelParams, list[np.ndarray]] = {params: [] for params in groups}
        results: dict[str, dict[str, list[np.ndarray]]] = {spec.model_id: {} for spec in specs}

        def run(params: MelParams, patches: np.ndarray, *, flush: bool) -> None:
            if patches.size:
                pending[params].append(patches)
            n_pending = sum(len(p) for p in pending[params])
            wanted = max(self.taggers[model_id].batch_size for model_id in groups[params])
            if n_pending == 0 or (n_pending < wanted and not flush):
                return
            batch = np.concatenate(pending[params])
            pending[params] = []
            for model_id in groups[params]:
                lanes.submit(model_id, batch)

        # The front end (decode, resample, log-mel) runs in a thread of its own, a few chunks ahead
        # of the networks: PyAV, soxr, numpy and ONNX Runtime release the GIL, so decoding the next
        # chunk overlaps the networks' work on this one. The same patches reach the networks in
        # the same order and batches, so every output is bit for bit what a serial run gives.
        resamplers = tuple(dict.fromkeys(params.resampler for params in groups))
        n_samples = dict.fromkeys(resamplers, 0)
        with _Lanes({spec.model_id: self.taggers[spec.model_id] for spec in specs}, results, lanes=self.lanes) as lanes:
            for params, patches, flush in _front_end_ahead(path, streams, sr=sr.pop(), resamplers=resamplers, n_samples=n_samples):
                run(params, patches, flush=flush)

        analysis = Analysis(path=str(path), duration_seconds=max(n_samples.values()) / next(iter(groups)).sr)
        for spec in specs:
            layers = {
                layer.name: np.concatenate(results[spec.model_id][layer.name]) if results[spec.model_id].get(layer.name) else np.zeros((0, layer.size), np.float32)
                for layer in spec.layers
            }
            analysis.models[spec.model_id] = ModelOutput(spec, layers)
        return analysis


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


#: Batches a model's lane may hold before the front end waits for it: bounds memory on long
#: files, where the networks are slower than decoding.
LANE_AHEAD = 4


#: Each architecture's network time per second of audio on one thread, in ms (AMD EPYC with
#: AVX-512, batch 1, best of 5 over 20 real patches of tests/data/reference, `load_tagger(spec,
#: threads=1)` timed by hand: MusiCNN 8.9, VGG 5.4; VGGish from its FLOPs, about four times
#: MusiCNN's). Only the ratios matter: they balance the lanes.
LANE_COST = {"musicnn": 8.9, "vgg": 5.4, "vggish": 35.0}


def plan_lanes(taggers: dict[str, Tagger], n_lanes: int) -> list[list[str]]:
    """The models each lane runs: longest first, each to the lane with the least work so far."""
    lanes: list[list[str]] = [[] for _ in range(max(1, min(n_lanes, len(taggers))))]
    load = [0.0] * len(lanes)
    cost = {model_id: LANE_COST.get(tagger.spec.architecture, 10.0) for model_id, tagger in taggers.items()}
    for model_id in sorted(taggers, key=lambda m: -cost[m]):  # stable: ties keep the models' order
        lane = load.index(min(load))
        lanes[lane].append(model_id)
        load[lane] += cost[model_id]
    return lanes


class _Lanes:
    """Each model's network calls, in order, in a lane: a thread that runs some of the models (or,
    for one lane, the caller's thread).

    There are as many lanes as cores (at most one per model): more threads than cores would
    only take turns on them, and each switch costs the caches (four models on 2 cores: 4.76-4.81 s
    a 4-minute track in two lanes against 5.07-5.14 s in four). Every model sees the same batches
    in the same order as in a serial loop, and its outputs are appended in that order, so the
    layers are what a serial run with the same threads per model gives. The first error of any
    model is raised when the lanes close.
    """

    def __init__(self, taggers: dict[str, Tagger], results: dict[str, dict[str, list[np.ndarray]]], *, lanes: int):
        self.taggers = taggers
        self.results = results
        self.executors: dict[str, ThreadPoolExecutor] = {}
        self.slots: dict[str, threading.BoundedSemaphore] = {}
        self.futures: list[Future] = []
        self.plan = plan_lanes(taggers, lanes)
        if len(self.plan) > 1:
            for number, models in enumerate(self.plan):
                executor = ThreadPoolExecutor(1, thread_name_prefix=f"tagscape-lane{number}")
                for model_id in models:
                    self.executors[model_id] = executor
                    self.slots[model_id] = threading.BoundedSemaphore(LANE_AHEAD)

    def _call(self, model_id: str, batch: np.ndarray) -> None:
        for name, value in self.taggers[model_id](batch).items():
            self.results[model_id].setdefault(name, []).append(value)

    def submit(self, model_id: str, batch: np.ndarray) -> None:
        executor = self.executors.get(model_id)
        if executor is None:
            self._call(model_id, batch)
            return
        for future in self.futures:  # a model that failed stops the file now, not at its end
            if future.done() and future.exception() is not None:
                raise future.exception()
        slot = self.slots[model_id]
        slot.acquire()
        try:
            future = executor.submit(self._call, model_id, batch)
        except BaseException:
            slot.release()
            raise
        future.add_done_callback(lambda _f: slot.release())
        self.futures = [f for f in self.futures if not f.done() or f.exception() is not None] + [future]

    def __enter__(self) -> "_Lanes":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        for executor in dict.fromkeys(self.executors.values()):
            executor.shutdown(wait=True, cancel_futures=exc is not None)
        if exc is None:
            for future in self.futures:
                if not future.cancelled() and future.exception() is not None:
                    raise future.exception()


#: Chunks the front end may run ahead of the networks (each about 4 s of audio): enough to keep
#: both busy, few enough that memory stays small.
FRONT_END_AHEAD = 4


def _front_end_ahead(path, streams: dict[MelParams, PatchStream], *, sr: int, resamplers: tuple[str, ...],
                     n_samples: dict[str, int]) -> Iterator[tuple[MelParams, np.ndarray, bool]]:
    """``(params, patches, flush)`` for every front end, produced by a thread that decodes ahead.

    An error of the front end (an unreadable or truncated file) is raised here, where the serial
    loop raised it; when the consumer stops early, the thread stops at its next chunk.
    """
    items: queue.Queue = queue.Queue(maxsize=FRONT_END_AHEAD)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunks in stream_audio_multi(path, sr=sr, resamplers=resamplers):
                for kind, chunk in chunks.items():
                    n_samples[kind] += chunk.size
                for params, stream in streams.items():
                    if not put((params, stream.push(chunks[params.resampler]), False)):
                        return
            for params, stream in streams.items():
                if not put((params, stream.finish(), True)):
                    return
            put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name="tagscape-front-end", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def analyze(path: str | os.PathLike, models: Sequence[str] | None = None, *, threads: int | None = None, device: str | None = None) -> Analysis:
    """Taggrams and embeddings of one file for the given models (see :func:`resolve_models` for the default)."""
    return Extractor(models, threads=threads, device=device).analyze(path)
