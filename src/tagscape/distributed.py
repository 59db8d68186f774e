"""Extraction on a Dask cluster (``tagscape extract --scheduler tcp://HOST:8786`` or ``local:N``).

The client (the machine running ``tagscape extract``) sends one task per file to the Dask
workers and alone writes the store, exactly as the process pool's parent does: one
transaction per track and model, so a killed run resumes and no track is ever half written.

* Each worker process loads the models once (on its first task) and keeps them for every
  file it is given afterwards.
* Workers open the audio themselves: a path they can see (the collection's folder on a shared
  filesystem, mounted at the same place) or the collection's URL template.
* A worker that dies mid-file loses nothing: the scheduler gives the file to another worker.
  A file that was on workers that died more often than the scheduler's
  ``distributed.scheduler.allowed-failures`` (default 3) is recorded as failed (``KilledWorker``).
* At most ``2 x`` the cluster's threads files are submitted at a time, so the client's memory
  and the scheduler's queue stay small for a 55k-track collection.

dask.distributed is an optional dependency: ``pip install 'tagscape[cluster]'``, on the client
and on every worker.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from tagscape.errors import ClusterError, TagscapeError, UsageError

CLUSTER_INSTALL = "pip install 'tagscape[cluster]'"
WORKERS_TIMEOUT = 120.0
_LOCAL = re.compile(r"^local(?::(\d+))?$")
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://\S+$")


@dataclass(frozen=True)
class Scheduler:
    """A parsed ``--scheduler``: a running scheduler's address, or a LocalCluster of ``n_workers``."""

    address: str | None = None
    n_workers: int = 0

    def __str__(self) -> str:
        return self.address or f"local:{self.n_workers}"


def parse_scheduler(value: str | Scheduler) -> Scheduler:
    """``local:N`` (N worker processes here; ``local`` alone: one per core) or ``tcp://HOST:PORT``."""
    if isinstance(value, Scheduler):
        return value
    text = (value or "").strip()
    local = _LOCAL.match(text)
    if local:
        n = int(local[1]) if local[1] else (os.cpu_count() or 1)
        if n < 1:
            raise UsageError(f"--scheduler local:N needs at least one worker, got {value!r}")
        return Scheduler(n_workers=n)
    if _ADDRESS.match(text):
        return Scheduler(address=text)
    raise UsageError(f"--scheduler must be local:N or a scheduler address such as tcp://HOST:8786, got {value!r}")


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(f"--scheduler needs dask.distributed, which is not installed; install it with: {CLUSTER_INSTALL}") from None


@contextmanager
def connect(scheduler: Scheduler) -> Iterator:
    """A ``distributed.Client`` to the scheduler (a LocalCluster is started and stopped here)."""
    _require_distributed()
    import dask
    from distributed import Client, LocalCluster

    if scheduler.address is None:
        # One task per worker at a time: a dying worker then takes exactly one file down with it.
        # No statistical profiler in the workers: it feeds only the dashboard (off here) and
        # interrupts the task thread every 10 ms.
        local_config = {"distributed.scheduler.worker-saturation": 1.0, "distributed.worker.profile.enabled": False}
        with dask.config.set(local_config):
            # The scheduler always serves HTTP (status, metrics); a free loopback port, never a taken 8787.
            cluster = LocalCluster(n_workers=scheduler.n_workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                                   silence_logs=logging.ERROR)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(scheduler.address)  # waits up to distributed.comm.timeouts.connect (30 s)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler.address}: {exc}") from None
    with client:
        yield client


# -- on the workers ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerConfig:
    """What every task needs to know to load the models the same way on any worker."""

    model_ids: tuple[str, ...]
    threads: int | None = None
    device: str | None = None
    batch_size: int | None = None
    #: Cores per task on each host (its cores over its Dask threads) when ``threads`` is not
    #: given; a task's extractor divides them among its models.
    cores_by_host: dict[str, int] = field(default_factory=dict)


_extractors: dict[tuple, object] = {}
_extractors_lock = threading.Lock()


def _cpu_count() -> int:
    from dask.system import CPU_COUNT

    return CPU_COUNT


def _cores_here(config: WorkerConfig) -> int:
    """The cores one task of this worker may use: the host's share per worker thread."""
    from distributed import get_worker
    from distributed.comm import get_address_host

    worker = get_worker()
    known = config.cores_by_host.get(get_address_host(worker.address))
    return known or max(1, _cpu_count() // max(1, worker.state.nthreads))


def worker_extractor(config: WorkerConfig):
    """This worker's loaded models for ``config`` (loaded on first use, then kept).

    A long-lived cluster may serve several runs with other models: only the latest set stays
    loaded, so a worker's memory does not grow run after run.
    """
    from tagscape.pipeline import Extractor

    threads, cores = config.threads, (None if config.threads else _cores_here(config))
    key = (config.model_ids, threads, cores, config.device, config.batch_size)
    with _extractors_lock:
        extractor = _extractors.get(key)
        if extractor is None:
            _extractors.clear()
            extractor = _extractors[key] = Extractor(config.model_ids, threads=threads, cores=cores, batch_size=config.batch_size, device=config.device)
    return extractor


def analyze_on_worker(item, config: WorkerConfig):
    """The task: one file -> ``(item, analysis, None)`` or ``(item, None, reason)``."""
    from tagscape.work import analyze_item

    return analyze_item(worker_extractor(config), item)


def probe_worker(config: WorkerConfig) -> dict:
    """Load the models on one worker: missing weights or a missing GPU show up before any file."""
    extractor = worker_extractor(config)
    return {"device": str(extractor.device), "batch_size": extractor.batch_size}


# -- on the client -------------------------------------------------------------------------


def _cores_by_host(client) -> tuple[dict[str, int], int]:
    """Cores per task on each host (its cores over its Dask threads), and all Dask threads."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    cores = {address: n for address, n in client.run(_cpu_count, on_error="return").items() if isinstance(n, int)}
    dask_threads: dict[str, int] = {}
    host_cores: dict[str, int] = {}
    for address, info in workers.items():
        dask_threads[info["host"]] = dask_threads.get(info["host"], 0) + info["nthreads"]
        host_cores[info["host"]] = cores.get(address, 1)
    by_host = {host: max(1, host_cores[host] // n) for host, n in dask_threads.items()}
    return by_host, sum(dask_threads.values())


def _wait_for_workers(client, scheduler: Scheduler) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except TimeoutError:
        raise ClusterError(f"no Dask worker joined the scheduler at {scheduler} within {WORKERS_TIMEOUT:.0f} s") from None


def _check_probe(probe) -> None:
    """Raise the probe's failure as one clear error (files are never recorded as failed for it)."""
    try:
        probe.result()
    except TagscapeError as exc:
        raise type(exc)(f"on the Dask workers: {exc.message}") from None
    except Exception as exc:  # tagscape missing on the workers, a version mismatch ...
        raise ClusterError(
            f"the Dask workers cannot run tagscape's extraction ({type(exc).__name__}: {exc}); "
            f"install the same tagscape on every worker ({CLUSTER_INSTALL}) and its model weights"
        ) from None


def results_on_dask(items: Sequence, model_ids: Sequence[str], *, scheduler: str | Scheduler, threads: int | None = None,
                    device: str | None = None, batch_size: int | None = None, on_connect=None) -> Iterator[tuple]:
    """Analyse ``items`` on a Dask cluster; yield ``(item, analysis, reason)`` as files finish.

    ``on_connect(description)`` is called once the cluster is reachable, with a short text
    naming it (its workers and threads), for the progress bar.
    """
    _require_distributed()
    from distributed import KilledWorker, as_completed

    scheduler = parse_scheduler(scheduler)
    if scheduler.address is None and threads is None:
        threads = max(1, (os.cpu_count() or 1) // scheduler.n_workers)
    with connect(scheduler) as client:
        _wait_for_workers(client, scheduler)
        by_host, total_threads = _cores_by_host(client) if scheduler.address else ({}, scheduler.n_workers)
        config = WorkerConfig(tuple(model_ids), threads, device, batch_size, by_host)
        # Load the models on one worker while the others start on files: missing weights or
        # no GPU on the workers is then one error before any file is recorded.
        probe = client.submit(probe_worker, config, pure=False)
        if on_connect:
            n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
            on_connect(f"Dask ({n_workers} workers)")
        run = uuid.uuid4().hex[:12]
        queue = list(reversed(items))
        window = max(4, 2 * total_threads)
        in_flight: dict = {}
        finished = as_completed()

        def submit() -> None:
            item = queue.pop()
            future = client.submit(analyze_on_worker, item, config, key=f"tagscape-extract-{run}-{item.track_id}", pure=False)
            in_flight[future.key] = item
            finished.add(future)

        while queue and len(in_flight) < window:
            submit()
        _check_probe(probe)
        for future in finished:
            item = in_flight.pop(future.key)
            if future.status == "finished":
                result = future.result()
            elif future.status == "error" and isinstance(future.exception(), KilledWorker):
                result = (item, None, "Dask worker processes died while analysing this file (more often than the scheduler's allowed-failures)")
            elif future.status == "error":
                exc = future.exception()
                result = (item, None, f"internal error on a Dask worker: {type(exc).__name__}: {exc}")
            else:
                raise ClusterError(f"the Dask scheduler at {scheduler} dropped the work ({future.status}); run the same command again to resume")
            future.release()
            if queue:
                submit()
            yield result
