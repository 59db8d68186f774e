"""Extracting a whole collection: tracks in parallel over processes, results written safely.

Worker processes decode and run the models; the parent alone writes the database, one
transaction per track and model, so a run killed at any moment leaves only whole results and
the next run picks up exactly the tracks that are still missing.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field

from tagscape.collection import Collection
from tagscape.errors import TagscapeError, UsageError
from tagscape.pipeline import Analysis, Extractor, available_cores, resolve_models
from tagscape.work import WorkItem, analyze_item


@dataclass
class ExtractReport:
    done: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)


#: progress(tracks_done, tracks_total, audio_seconds_done)
ExtractProgress = Callable[[int, int, float], None] | None

_worker_extractor: Extractor | None = None


def _init_worker(model_ids: Sequence[str], options: dict) -> None:
    """``options``: the keyword arguments of :class:`Extractor` (threads, cores, device, batch_size)."""
    global _worker_extractor
    _worker_extractor = Extractor(model_ids, **options)


def _run_item(item: WorkItem) -> tuple[WorkItem, Analysis | None, str | None]:
    return analyze_item(_worker_extractor, item)


def work_items(collection: Collection, model_ids: Sequence[str], *, retry_failed: bool = False) -> list[WorkItem]:
    """Tracks that lack an up-to-date result for at least one model, with the models they lack."""
    needed: dict[int, list[str]] = {}
    tracks: dict[int, dict] = {}
    for model_id in model_ids:
        for track in collection.store.pending(model_id, retry_failed=retry_failed):
            needed.setdefault(track["track_id"], []).append(model_id)
            tracks[track["track_id"]] = track
    items = []
    for track_id in sorted(needed):
        track = tracks[track_id]
        source, unavailable = "", None
        try:
            source = collection.audio_source(track)
        except TagscapeError as exc:
            unavailable = exc.message
        items.append(WorkItem(track_id, track["key"], source, track["content_hash"], tuple(needed[track_id]), track["duration"], unavailable))
    return items


def _record(collection: Collection, item: WorkItem, analysis: Analysis | None, reason: str | None, report: ExtractReport) -> None:
    store = collection.store
    if analysis is None:
        for model_id in item.models:
            store.write_failure(item.track_id, model_id, content_hash=item.content_hash, reason=reason or "unknown error")
        report.failed += 1
        report.failures.append((item.key, reason or "unknown error"))
        return
    for model_id, output in analysis.models.items():
        store.write_result(item.track_id, model_id, content_hash=item.content_hash, segment_seconds=output.spec.segment_seconds, layers=output.layers)
    report.done += 1
    report.audio_seconds += analysis.duration_seconds


def _results_in_process(items: list[WorkItem], model_ids, options: dict) -> Iterator[tuple]:
    _init_worker(model_ids, options)
    for item in items:
        yield _run_item(item)


def _results_in_pool(items: list[WorkItem], model_ids, options: dict, workers: int) -> Iterator[tuple]:
    """Run items over a process pool, at most ``2 * workers`` in flight; survive a dying worker.

    When a worker dies (killed, out of memory, a crash in native code) the pool is rebuilt and
    the tracks that were in flight are tried again one at a time; a track that kills a worker
    on its own is reported as failed.
    """
    context = multiprocessing.get_context("spawn")
    queue = list(reversed(items))
    suspects: list[WorkItem] = []
    while queue or suspects:
        solo = bool(suspects)
        batch_workers = 1 if solo else workers
        pool = ProcessPoolExecutor(batch_workers, mp_context=context, initializer=_init_worker, initargs=(model_ids, options))
        in_flight: dict[Future, WorkItem] = {}
        try:
            while queue or suspects or in_flight:
                while (suspects or queue) and len(in_flight) < (1 if solo else 2 * workers):
                    item = suspects.pop() if solo else queue.pop()
                    in_flight[pool.submit(_run_item, item)] = item
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()  # raises BrokenProcessPool if a worker died
                    del in_flight[future]
                    yield result
                if solo and not suspects:
                    break
        except BrokenProcessPool:
            lost = list(in_flight.values())
            if solo:
                for item in lost:
                    yield item, None, "the worker process died while analysing this file"
            else:
                suspects.extend(lost)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def extract_collection(
    collection: Collection,
    models: Sequence[str] | None = None,
    *,
    workers: int = 1,
    threads: int | None = None,
    retry_failed: bool = False,
    progress: ExtractProgress = None,
    scheduler: str | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    on_connect: Callable[[str], None] | None = None,
) -> ExtractReport:
    """Run the models on every track that lacks their results.

    Parameters
    ----------
    workers : int
        Processes analysing files in parallel (1: in this process).
    threads : int, optional
        ONNX Runtime threads per model in each worker; default: the worker's share of the cores
        (``cores // workers``) divided among its models (see :class:`~tagscape.pipeline.Extractor`).
    retry_failed : bool
        Also retry tracks that failed before with the same content.
    scheduler : str, optional
        Run on a Dask cluster instead of local processes: ``tcp://HOST:8786`` or ``local:N``
        (see :mod:`tagscape.distributed`); this process still writes the store alone.
    device : str, optional
        ``cpu`` (default) or ``cuda[:N]`` (needs onnxruntime-gpu).
    batch_size : int, optional
        Patches per network call (default: the device's).
    on_connect : callable, optional
        With a scheduler: called with a description of the cluster once it is reachable.
    """
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if scheduler is not None and workers != 1:
        raise UsageError("give either --workers (local processes) or --scheduler (a Dask cluster), not both")
    if batch_size is not None and batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    if scheduler is not None:
        from tagscape.distributed import parse_scheduler

        scheduler = parse_scheduler(scheduler)
    from tagscape.models.devices import check_available, parse_device

    if scheduler is None:  # a missing onnxruntime-gpu: one message, not one per worker (a cluster's workers check their own)
        check_available(parse_device(device))
    else:
        parse_device(device)
    model_ids = [spec.model_id for spec in resolve_models(models)]
    for spec in resolve_models(models):
        spec.weights_dir()  # fail early, with the install command, if weights are missing
    items = work_items(collection, model_ids, retry_failed=retry_failed)
    report = ExtractReport()
    if not items:
        return report
    if scheduler is not None:
        from tagscape.distributed import results_on_dask

        results = results_on_dask(items, model_ids, scheduler=scheduler, threads=threads, device=device, batch_size=batch_size, on_connect=on_connect)
    else:
        # Each worker gets its share of the cores; its extractor spreads them over its models.
        options = dict(threads=threads, cores=max(1, available_cores() // workers), device=device, batch_size=batch_size)
        if workers == 1:
            results = _results_in_process(items, model_ids, options)
        else:
            results = _results_in_pool(items, model_ids, options, workers)
    with closing(results):
        for i, (item, analysis, reason) in enumerate(results, start=1):
            _record(collection, item, analysis, reason, report)
            if progress:
                progress(i, len(items), report.audio_seconds)
    return report
