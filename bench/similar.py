#!/usr/bin/env python
"""Similarity search benchmark: exact search vs approximate indexes (usearch, hnswlib, faiss).

Usage::

    python bench/similar.py [--size 500000] [--libraries usearch-i8,usearch-f16,hnswlib,faiss-hnsw-sq8]
                            [--queries 1000] [--exact-sizes 10000,30000,100000,300000,1000000]
                            [--data-dir DIR] [--json FILE]

    # MTG-Jamendo scale (23 min on 2 busy cores for these two: 4 min of exact ground truth,
    # 11 + 6 min of building; run it in the background):
    nohup python bench/similar.py --size 4500000 --libraries usearch-f16,hnswlib --efs 64,128,256,512 \
        --exact-sizes 1000000 > bench-similar-4.5M.log 2>&1 &

Data: the synthetic ``embeddings`` layer of ``bench/projections.py`` (tracks of 40-110 segments,
each a slow random walk in a 32-d latent space mapped to 200 dims plus noise; float16 ``.npy``,
shared with that benchmark in ``--data-dir``).

Sections:

1. **Exact search** (``tagscape.similarity.search.exact_search``, what small collections use):
   latency of one query (k=10) over the first n rows, unit float32 rows in memory; and over the
   float16 memory map (what a collection without a fresh index falls back to).
2. **Approximate indexes**, each in a fresh subprocess: build time (wall and CPU seconds on all
   cores), index file size, the process's peak RSS, then single-query latency (one thread, as a
   web request runs) p50/p99 and recall@10 against exact search for several ``ef``
   (expansion) values. Queries are rows of the layer; the query row itself is left out of both
   result lists, so recall@10 is over its 10 nearest *other* segments. ``excl`` repeats the
   query with the query's own track excluded (what the explorer asks for by default: the
   index is asked for ``k`` + the track's segments, then filtered).

Load average (1 min) is printed beside each figure: other work on the machine slows it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from tagscape.similarity.search import CONNECTIVITY, EXPANSION_ADD, AnnIndex, exact_search, normalise  # noqa: E402

LIBRARIES = ("usearch-i8", "usearch-f16", "hnswlib", "faiss-hnsw-sq8", "faiss-hnsw")
EFS = (32, 64, 96, 128, 192, 256)
K = 10


def say(*args) -> None:
    print(*args, flush=True)


def load1() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def data(size: int, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The float16 embeddings (memory-mapped) and track offsets of ``size`` synthetic segments."""
    from projections import generate

    folder = generate(size, data_dir)
    return np.load(folder / "embeddings.npy", mmap_mode="r"), np.load(folder / "offsets.npy")


def ground_truth(values: np.ndarray, query_rows: np.ndarray, cache: Path) -> np.ndarray:
    """Exact top-(K + 1) rows of each query row (computed once, cached)."""
    if cache.is_file():
        return np.load(cache)
    started = time.perf_counter()
    rows, _ = exact_search(values, normalise(values[query_rows]), K + 1, unit=False)
    np.save(cache, rows)
    say(f"  ground truth for {len(query_rows)} queries: {time.perf_counter() - started:.1f} s  ({load1()})")
    return rows


def _without_self(rows: np.ndarray, query_row: int) -> np.ndarray:
    return rows[rows != query_row][:K]


def recall(found: list[np.ndarray], truth: np.ndarray, query_rows: np.ndarray) -> float:
    hits = [len(set(_without_self(f, q).tolist()) & set(_without_self(t, q).tolist())) for f, t, q in zip(found, truth, query_rows)]
    return float(np.mean(hits)) / K


def pct(times: list[float]) -> tuple[float, float]:
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


# ------------------------------------------------------------------------------- exact search


def exact_section(values: np.ndarray, sizes: list[int], n_queries: int, rng) -> list[dict]:
    say("\n== exact search: one query, k=10 (numpy matmul in 64k-row chunks + argpartition) ==")
    out = []
    for n in sizes:
        if n > values.shape[0]:
            continue
        unit = normalise(values[:n])
        queries = normalise(values[rng.integers(0, n, n_queries)])
        exact_search(unit, queries[:1], K)  # warm
        times = []
        for q in queries:
            t = time.perf_counter()
            exact_search(unit, q[None], K)
            times.append(time.perf_counter() - t)
        p50, p99 = pct(times)
        say(f"  n={n:>9,}  unit float32 in memory ({unit.nbytes / 2**20:,.0f} MiB)  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({load1()})")
        out.append({"n": n, "source": "float32", "p50_ms": p50, "p99_ms": p99, "load": os.getloadavg()[0]})
        del unit
    n = values.shape[0]
    queries = normalise(values[rng.integers(0, n, 5)])
    times = []
    for q in queries:
        t = time.perf_counter()
        exact_search(values, q[None], K, unit=False)
        times.append(time.perf_counter() - t)
    p50, p99 = pct(times)
    say(f"  n={n:>9,}  float16 memory map, normalised per chunk (fallback without an index)  p50 {p50:7.1f} ms  max {max(times) * 1000:7.1f} ms  ({load1()})")
    out.append({"n": n, "source": "float16-memmap", "p50_ms": p50, "max_ms": max(times) * 1000, "load": os.getloadavg()[0]})
    return out


# ----------------------------------------------------------------------------- ANN libraries


class Library:
    """build(values) / save(path) / load(path) / search(query, k, ef) for one library."""

    def __init__(self, name: str, threads: int, connectivity: int = CONNECTIVITY, expansion_add: int = EXPANSION_ADD):
        self.name, self.threads = name, threads
        self.connectivity, self.expansion_add = connectivity, expansion_add

    def build(self, values: np.ndarray, progress) -> None:
        n, d = values.shape
        batch = 100_000
        if self.name.startswith("usearch"):
            self.index = AnnIndex.build(values, dtype=self.name.split("-")[1], connectivity=self.connectivity, expansion_add=self.expansion_add,
                                         threads=self.threads, progress=progress).index
            return
        if self.name == "hnswlib":
            import hnswlib

            self.index = hnswlib.Index(space="ip", dim=d)
            self.index.init_index(max_elements=n, ef_construction=self.expansion_add, M=self.connectivity)
            self.index.set_num_threads(self.threads)
            for start in range(0, n, batch):
                stop = min(start + batch, n)
                self.index.add_items(normalise(values[start:stop]), np.arange(start, stop))
                progress(stop, n)
            return
        import faiss

        faiss.omp_set_num_threads(self.threads)
        if self.name == "faiss-hnsw-sq8":
            self.index = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, self.connectivity, faiss.METRIC_INNER_PRODUCT)
            self.index.train(normalise(values[:: max(1, n // 200_000)]))
        else:
            self.index = faiss.IndexHNSWFlat(d, self.connectivity, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = self.expansion_add
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            self.index.add(normalise(values[start:stop]))
            progress(stop, n)

    def save(self, path: Path) -> None:
        if self.name.startswith("usearch"):
            self.index.save(str(path))
        elif self.name == "hnswlib":
            self.index.save_index(str(path))
        else:
            import faiss

            faiss.write_index(self.index, str(path))

    def load(self, path: Path, d: int) -> None:
        if self.name.startswith("usearch"):
            self.ann = AnnIndex.load(path, view=True)
        elif self.name == "hnswlib":
            import hnswlib

            self.index = hnswlib.Index(space="ip", dim=d)
            self.index.load_index(str(path))
            self.index.set_num_threads(1)
        else:
            import faiss

            faiss.omp_set_num_threads(1)
            self.index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP) if self.name == "faiss-hnsw" else faiss.read_index(str(path))

    def search(self, q: np.ndarray, k: int, ef: int) -> np.ndarray:
        if self.name.startswith("usearch"):
            return self.ann.search(q[None], k, expansion=ef)[0][0]
        if self.name == "hnswlib":
            self.index.set_ef(max(ef, k))
            labels, _ = self.index.knn_query(q[None], k=k)
            return labels[0].astype(np.int64)
        import faiss

        params = faiss.SearchParametersHNSW(efSearch=max(ef, k))
        _, labels = self.index.search(q[None], k, params=params)
        return labels[0]


def measure(spec: dict) -> dict:
    """One library, in this (fresh) process: build, save, reload, query."""
    values, offsets = data(spec["size"], Path(spec["data_dir"]))
    query_rows = np.array(spec["query_rows"], np.int64)
    truth = np.load(spec["truth"])
    lib = Library(spec["library"], spec["threads"], spec["connectivity"], spec["expansion_add"])
    out = {"library": spec["library"], "size": spec["size"], "load_start": os.getloadavg()[0]}
    last = [0.0]

    def progress(done, total):
        if time.perf_counter() - last[0] > 60:
            last[0] = time.perf_counter()
            print(f"    {spec['library']}: {done:,}/{total:,} added, {time.perf_counter() - started:.0f} s  ({load1()})", file=sys.stderr, flush=True)

    cpu, started = _cpu(), time.perf_counter()
    lib.build(values, progress)
    out["build_s"] = time.perf_counter() - started
    out["build_cpu_s"] = _cpu() - cpu
    out["build_rss_mib"] = _peak_rss_mib()
    with tempfile.TemporaryDirectory(dir=spec["data_dir"]) as tmp:
        path = Path(tmp) / "index.bin"
        lib.save(path)
        out["file_mib"] = path.stat().st_size / 2**20
        del lib.index
        lib.load(path, values.shape[1])
        queries = normalise(values[query_rows])
        track_of = np.searchsorted(offsets, query_rows, side="right") - 1
        out["efs"] = []
        for ef in spec["efs"]:
            lib.search(queries[0], K + 1, ef)  # warm
            times, found = [], []
            for q in queries:
                t = time.perf_counter()
                found.append(lib.search(q, K + 1, ef))
                times.append(time.perf_counter() - t)
            p50, p99 = pct(times)
            # the explorer's default: the query's own track excluded (ask for k + its segments, filter)
            excl_times, excl_short = [], 0
            for q, row, t_i in zip(queries[:200], query_rows[:200], track_of[:200]):
                lo, hi = offsets[t_i], offsets[t_i + 1]
                t = time.perf_counter()
                rows = lib.search(q, K + int(hi - lo), max(ef, K + int(hi - lo)))
                kept = rows[(rows < lo) | (rows >= hi)][:K]
                excl_times.append(time.perf_counter() - t)
                excl_short += len(kept) < K
            e50, e99 = pct(excl_times)
            entry = {"ef": ef, "p50_ms": p50, "p99_ms": p99, "recall10": recall(found, truth, query_rows), "excl_p50_ms": e50, "excl_p99_ms": e99,
                     "excl_short": excl_short, "load": os.getloadavg()[0]}
            out["efs"].append(entry)
    out["rss_mib"] = _peak_rss_mib()
    out["load_end"] = os.getloadavg()[0]
    return out


def run_child(spec: dict, timeout: float | None) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"library": spec["library"], "error": f"exit {proc.returncode}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=500_000, help="Segments (4500000: all of MTG-Jamendo).")
    parser.add_argument("--libraries", default=",".join(LIBRARIES[:4]), help=f"Comma-separated, from {', '.join(LIBRARIES)}; empty: none.")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--efs", default=",".join(map(str, EFS)), help="Search expansions (HNSW ef) to try.")
    parser.add_argument("--exact-sizes", default="10000,30000,100000,300000,1000000")
    parser.add_argument("--connectivity", type=int, default=CONNECTIVITY, help="HNSW M.")
    parser.add_argument("--expansion-add", type=int, default=EXPANSION_ADD, help="HNSW ef_construction.")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="Threads for building.")
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds one library may take.")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "tagscape-bench-projections")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(json.loads(args.child))), flush=True)
        return

    say(f"bench/similar.py  size {args.size:,}  cores {os.cpu_count()}  build threads {args.threads}  ({load1()})")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    values, offsets = data(args.size, args.data_dir)
    say(f"data: {values.shape[0]:,} x {values.shape[1]} float16, {len(offsets) - 1:,} tracks ({time.perf_counter() - started:.1f} s)")
    rng = np.random.default_rng(1)
    report = {"size": args.size, "cores": os.cpu_count()}
    sizes = [int(s) for s in args.exact_sizes.split(",") if s]
    report["exact"] = exact_section(values, sizes, 200, rng)

    libraries = [name for name in args.libraries.split(",") if name]
    if libraries:
        query_rows = np.sort(np.random.default_rng(2).choice(values.shape[0], args.queries, replace=False))  # the same whatever ran before
        truth_path = args.data_dir / f"similar-truth-{args.size}-{args.queries}.npy"
        say(f"\n== approximate indexes: {args.queries} queries, k=10, M={args.connectivity}, ef_construction={args.expansion_add} ==")
        ground_truth(values, query_rows, truth_path)
        report["ann"] = []
        for name in libraries:
            spec = {"library": name, "size": args.size, "data_dir": str(args.data_dir), "query_rows": query_rows.tolist(), "truth": str(truth_path),
                    "threads": args.threads, "connectivity": args.connectivity, "expansion_add": args.expansion_add, "efs": [int(e) for e in args.efs.split(",")]}
            say(f"  {name}: building ...  ({load1()})")
            result = run_child(spec, args.timeout)
            report["ann"].append(result)
            if "error" in result:
                say(f"  {name}: failed ({result['error']})")
                continue
            say(f"  {name}: build {result['build_s']:.1f} s (CPU {result['build_cpu_s']:.0f} s), file {result['file_mib']:,.0f} MiB, "
                f"peak RSS {result['build_rss_mib']:,.0f} MiB  (load {result['load_start']:.2f} -> {result['load_end']:.2f})")
            for e in result["efs"]:
                say(f"    ef {e['ef']:>4}  p50 {e['p50_ms']:6.2f} ms  p99 {e['p99_ms']:6.2f} ms  recall@10 {e['recall10']:.4f}   "
                    f"own track excluded: p50 {e['excl_p50_ms']:6.2f} ms  p99 {e['excl_p99_ms']:6.2f} ms  short {e['excl_short']}/200  (load {e['load']:.2f})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    say(f"\ndone in {time.perf_counter() - started:.0f} s  ({load1()})")


if __name__ == "__main__":
    main()
