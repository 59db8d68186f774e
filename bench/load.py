#!/usr/bin/env python
"""Load test of ``tagscape serve --production``: many clients at once, on loopback only.

Usage::

    python bench/load.py [--clients 50] [--seconds 60] [--tracks 500] [--workers N] [--threads 8]
                         [--max-requests 200000] [--data DIR] [--keep]

A collection is built once (reused from ``--data``): the first ``--tracks`` tracks of the real
MTG-Jamendo list (real durations, so about 77 segments each), indexed with the real
``index_jamendo``, a ``musicnn-mtt`` taggram and embedding per track written with the real
``Store.write_result`` (smooth random walks, float16), the PCA and STD-PCA maps computed with
the real ``MapStore``, and every track's audio one shared 3-minute MP3 (symbolic links).

The server is the real command, ``tagscape serve --production --read-only`` (gunicorn), in a
subprocess on 127.0.0.1. ``--clients`` threads, each with its own kept-alive connection, send
requests for ``--seconds`` (stopping early after ``--max-requests``), each request picked at
random:

* 40 % ``/api/points`` of the whole collection, one of 8 maps (layer x projection x mode),
  ``Accept-Encoding: gzip, br``; a client that has the map already revalidates it with
  ``If-None-Match`` half of the time (a browser with a warm cache), else asks afresh;
* 30 % ``/api/tracks``, a page of 100 from a random offset;
* 30 % audio, ``Range: bytes=`` a random 64 KiB of a random track.

Each map is requested once before the clock starts (the first request of a map computes it).
It prints requests/s, p50 / p99 / max latency and errors per kind, the load average and the
CPU the load generator itself used (it shares the cores with the server). Targets: zero errors,
p99 of ``/api/points`` under 500 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.collection import index_jamendo, open_collection  # noqa: E402
from tagscape.models.registry import get_model  # noqa: E402
from tagscape.projections.maps import MapStore  # noqa: E402
from web import write_chords  # noqa: E402  (bench/web.py, beside this script)

MODEL = "musicnn-mtt"
TSV = Path("/work/shared/data/mtg-jamendo/tracks.tsv")
HOST = "127.0.0.1"  # loopback only
AUDIO_SECONDS = 180
RANGE_BYTES = 65536
POINTS_URLS = [
    f"/api/points?model={MODEL}&layer={layer}&projection={projection}&mode={mode}"
    for layer in ("taggrams", "embeddings") for projection in ("pca", "std-pca") for mode in ("segments", "averages")
]


def say(*args) -> None:
    print(*args, flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- the collection ------------------------------------------------------------------------


def build_collection(folder: Path, n_tracks: int) -> Path:
    data = folder / "data"
    if (data / "load-complete").is_file():
        return data
    folder.mkdir(parents=True, exist_ok=True)
    lines = TSV.read_text(encoding="utf-8").splitlines()
    subset = folder / "tracks.tsv"
    subset.write_text("\n".join(lines[: n_tracks + 1]) + "\n", encoding="utf-8")
    shared, audio_root = folder / "shared.mp3", folder / "audio"
    write_chords(shared, AUDIO_SECONDS)
    audio_root.mkdir(exist_ok=True)
    index_jamendo(subset, data_dir=data, audio_root=audio_root)
    spec = get_model(MODEL)
    rng = np.random.default_rng(0)
    with open_collection(data) as collection:
        for track in collection.tracks():
            link = audio_root / track["path"]
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to(shared)
            n = max(1, int((track["duration"] or 0) * 16000 / 256 / 187))
            layers = {}
            for layer in spec.layers:
                base = rng.beta(0.6, 4.0, layer.size)
                walk = np.cumsum(rng.normal(0, 0.02, (n, layer.size)), axis=0)
                layers[layer.name] = np.clip(base + walk, 0, 1).astype(np.float16)
            collection.store.write_result(track["track_id"], MODEL, content_hash=track["content_hash"], segment_seconds=spec.segment_seconds, layers=layers)
        maps = MapStore(collection)
        for layer in spec.layers:
            for method in ("pca", "std-pca"):
                maps.compute(MODEL, layer.name, method)
        segments = collection.layer(MODEL, "taggrams").values.shape[0]
    (data / "load-complete").write_text("ok")
    say(f"collection: {n_tracks} tracks, {segments:,} segments per layer, in {data}")
    return data


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(data: Path, port: int, workers: int | None, threads: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "tagscape.cli", "serve", "-c", str(data), "--production", "--read-only", "--no-warm-up",
               "--host", HOST, "--port", str(port), "--threads", str(threads)]
    if workers:
        command += ["--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with open(log, "w") as out:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text()}")
        try:
            status, _, _ = request(http.client.HTTPConnection(HOST, port, timeout=5), "/api/models")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the server did not start within 120 s")


def request(conn: http.client.HTTPConnection, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn.request("GET", url, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


# -- the clients ---------------------------------------------------------------------------


class Client(threading.Thread):
    def __init__(self, port: int, track_ids: list[int], audio_size: int, deadline: float, budget, seed: int):
        super().__init__(daemon=True)
        self.port, self.track_ids, self.audio_size, self.deadline, self.budget = port, track_ids, audio_size, deadline, budget
        self.rng = random.Random(seed)
        self.etags: dict[str, str] = {}
        self.records: list[tuple[str, float, bool, str, int]] = []  # kind, seconds, ok, what went wrong, HTTP status

    def pick(self) -> tuple[str, str, dict, tuple[int, ...]]:
        roll = self.rng.random()
        if roll < 0.4:
            url = self.rng.choice(POINTS_URLS)
            headers = {"Accept-Encoding": "gzip, br"}
            if url in self.etags and self.rng.random() < 0.5:
                headers["If-None-Match"] = self.etags[url]
            return "points", url, headers, (200, 304)
        if roll < 0.7:
            return "tracks", f"/api/tracks?offset={self.rng.randrange(0, 400)}&page_size=100", {"Accept-Encoding": "gzip, br"}, (200,)
        start = self.rng.randrange(0, max(1, self.audio_size - RANGE_BYTES))
        url = f"/api/audio/{self.rng.choice(self.track_ids)}"
        return "audio", url, {"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"}, (206,)

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        while time.monotonic() < self.deadline and self.budget():
            kind, url, headers, expected = self.pick()
            started = time.perf_counter()
            status = 0
            try:
                status, answer_headers, body = request(conn, url, headers)
                ok = status in expected and (status != 206 or len(body) == RANGE_BYTES)
                problem = "" if ok else f"HTTP {status}"
                if kind == "points" and status == 200 and "etag" in answer_headers:
                    self.etags[url] = answer_headers["etag"]
            except (OSError, http.client.HTTPException) as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc}"
                conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            self.records.append((kind, time.perf_counter() - started, ok, problem, status))
        conn.close()


def report(records: list[tuple[str, float, bool, str, int]], seconds: float) -> dict:
    rows = {}
    for kind in ("points", "tracks", "audio", "all"):
        chosen = [r for r in records if kind == "all" or r[0] == kind]
        if not chosen:
            continue
        latency = np.array([r[1] for r in chosen]) * 1000
        errors = [r[3] for r in chosen if not r[2]]
        rows[kind] = {"n": len(chosen), "rps": len(chosen) / seconds, "p50": float(np.percentile(latency, 50)),
                      "p99": float(np.percentile(latency, 99)), "max": float(latency.max()), "errors": len(errors), "examples": sorted(set(errors))[:3]}
        say(f"{kind:7s} {len(chosen):7d} requests {rows[kind]['rps']:8.1f} req/s   p50 {rows[kind]['p50']:7.1f} ms   "
            f"p99 {rows[kind]['p99']:7.1f} ms   max {rows[kind]['max']:7.1f} ms   errors {len(errors)}" + (f"  e.g. {rows[kind]['examples']}" if errors else ""))
    statuses: dict[int, int] = {}
    for record in records:
        if record[0] == "points":
            statuses[record[4]] = statuses.get(record[4], 0) + 1
    say("/api/points answers: " + ", ".join(f"HTTP {status}: {n}" for status, n in sorted(statuses.items())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tracks", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn worker processes (default: tagscape's, one per core, at least 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker process")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop early after this many requests")
    parser.add_argument("--data", type=Path, help="build (or reuse) the collection here instead of a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not (1 <= args.clients <= 500 and 1 <= args.seconds <= 600):
        raise SystemExit("--clients must be 1..500 and --seconds 1..600")

    started = time.perf_counter()
    folder = args.data or Path(tempfile.mkdtemp(prefix="tagscape-load-"))
    try:
        say(f"cpus: {os.cpu_count()}   load average before: {load_average()}")
        t = time.perf_counter()
        data = build_collection(folder, args.tracks)
        say(f"collection ready in {time.perf_counter() - t:.1f} s")
        with open_collection(data) as collection:
            track_ids = [t["track_id"] for t in collection.tracks()]
        audio_size = (folder / "shared.mp3").stat().st_size
        port = free_port()
        log = folder / "server.log"
        server = start_server(data, port, args.workers, args.threads, log)
        try:
            say(log.read_text().splitlines()[0])
            warm = http.client.HTTPConnection(HOST, port, timeout=120)
            for url in POINTS_URLS:  # the first request of a map reads it into the worker: not timed
                t = time.perf_counter()
                status, headers, body = request(warm, url, {"Accept-Encoding": "gzip, br"})
                say(f"warm-up {url}: HTTP {status}, {len(body) / 1024:.0f} KiB {headers.get('content-encoding', '')}, {1000 * (time.perf_counter() - t):.0f} ms")
            warm.close()
            lock, count = threading.Lock(), [0]

            def budget() -> bool:
                with lock:
                    count[0] += 1
                    return count[0] <= args.max_requests

            cpu0, wall0 = time.process_time(), time.perf_counter()
            deadline = time.monotonic() + args.seconds
            clients = [Client(port, track_ids, audio_size, deadline, budget, seed) for seed in range(args.clients)]
            for client in clients:
                client.start()
            for client in clients:
                client.join(args.seconds + 60)
            wall = time.perf_counter() - wall0
            generator_cpu = (time.process_time() - cpu0) / wall
            say(f"\n{args.clients} clients for {wall:.1f} s against {args.tracks} tracks; load average after: {load_average()}; "
                f"the load generator itself used {generator_cpu:.2f} cores")
            rows = report([r for client in clients for r in client.records], wall)
            errors = rows["all"]["errors"]
            points_p99 = rows.get("points", {}).get("p99", float("nan"))
            say(f"targets: zero errors -> {'MET' if errors == 0 else f'NOT MET ({errors})'}; "
                f"p99 of /api/points < 500 ms -> {'MET' if points_p99 < 500 else 'NOT MET'} ({points_p99:.0f} ms)")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            problems = [line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
            say(f"server log: {len(problems)} error lines" + (f", e.g. {problems[:3]}" if problems else ""))
    finally:
        if args.data or args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    say(f"total benchmark time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
