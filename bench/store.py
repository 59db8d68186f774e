#!/usr/bin/env python
"""Store benchmark at MTG-Jamendo scale: database writes, array build, open, fetch.

Usage::

    python bench/store.py [--tracks N] [--dir DIR] [--keep] [--real-tracks N|all]

The real track list and durations come from the MTG-Jamendo TSV (55,525 tracks); each track
gets ``floor(duration * 16000 / 256 / 187)`` segments (2.992 s each; about 4.5 M in all) of
random float16 values for one model (``musicnn-msd``): the ``embeddings`` layer (200 columns)
that is measured, plus the ``taggrams`` layer (50 columns) that ``Store.write_result`` needs
since it takes all of a model's layers at once.

Tracks are created with the real ``index_jamendo``. The first ``--real-tracks`` tracks are
written with the real ``Store.write_result`` (one transaction per track, as extraction does);
the rest (none by default) with a bulk path in this script that writes the same rows in big transactions. Both
rates are printed. Then ``load_layer`` builds the memory-mapped arrays and the open / fetch
times are measured.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.collection import index_jamendo, open_collection  # noqa: E402
from tagscape.store.db import STORE_DTYPE  # noqa: E402
from tagscape.store.layers import load_layer  # noqa: E402

MODEL = "musicnn-msd"
LAYER = "embeddings"
COLS = {"taggrams": 50, "embeddings": 200}
SEGMENT_SECONDS = 187 * 256 / 16000
TSV_CANDIDATES = (Path("/work/shared/data/mtg-jamendo/tracks.tsv"), ROOT.parent / "shared" / "data" / "mtg-jamendo" / "tracks.tsv")


def say(*args) -> None:
    print(*args, flush=True)


def section(title: str) -> None:
    say(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"


def disk_usage(path: Path) -> int:
    """Bytes allocated on disk (not apparent size) of a file, or of a folder's files."""
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def segments_for(duration: float | None) -> int:
    return int((duration or 0.0) * 16000 / 256 / 187)


def random_layers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {name: rng.standard_normal((n, cols), dtype=np.float32).astype(STORE_DTYPE) for name, cols in COLS.items()}


def write_real(store, tracks: list[dict], rng: np.random.Generator) -> tuple[float, float, int]:
    """``Store.write_result`` per track. Returns (seconds in write_result, seconds in all, segments)."""
    in_writes = 0.0
    segments = 0
    t_all = time.perf_counter()
    for i, track in enumerate(tracks):
        n = segments_for(track["duration"])
        layers = random_layers(rng, n)
        t = time.perf_counter()
        store.write_result(track["track_id"], MODEL, content_hash=track["content_hash"], segment_seconds=SEGMENT_SECONDS, layers=layers)
        in_writes += time.perf_counter() - t
        segments += n
        if (i + 1) % 10000 == 0:
            say(f"  real path: {i + 1} tracks, {in_writes:.1f} s in write_result")
    return in_writes, time.perf_counter() - t_all, segments


def write_bulk(store, tracks: list[dict], rng: np.random.Generator, chunk: int) -> tuple[float, float, int]:
    """The same rows as ``write_result`` (results + layers + version bump), ``chunk`` tracks a transaction."""
    conn = store.conn
    in_writes = 0.0
    segments = 0
    t_all = time.perf_counter()
    for start in range(0, len(tracks), chunk):
        results, layer_rows = [], []
        now = time.time()
        for track in tracks[start : start + chunk]:
            n = segments_for(track["duration"])
            segments += n
            results.append((track["track_id"], MODEL, track["content_hash"], n, SEGMENT_SECONDS, now))
            for name, value in random_layers(rng, n).items():
                layer_rows.append((track["track_id"], MODEL, name, n, value.shape[1], value.tobytes()))
        t = time.perf_counter()
        with store.transaction():
            conn.executemany("DELETE FROM results WHERE track_id = ? AND model_id = ?", [(r[0], MODEL) for r in results])
            conn.executemany(
                "INSERT INTO results (track_id, model_id, content_hash, n_segments, segment_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?)", results
            )
            conn.executemany("INSERT INTO layers (track_id, model_id, layer, n_rows, n_cols, data) VALUES (?, ?, ?, ?, ?, ?)", layer_rows)
            conn.execute(
                "INSERT INTO model_versions (model_id, version) VALUES (?, 1) ON CONFLICT(model_id) DO UPDATE SET version = version + 1", (MODEL,)
            )
        in_writes += time.perf_counter() - t
        done = min(start + chunk, len(tracks))
        if done % 10000 < chunk or done == len(tracks):
            say(f"  bulk path: {done} tracks, {in_writes:.1f} s in transactions")
    return in_writes, time.perf_counter() - t_all, segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=0, help="only the first N tracks of the list (quick check)")
    parser.add_argument("--dir", help="where to build the store (default: a temp folder under /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the store at the end")
    parser.add_argument("--tsv", help="the MTG-Jamendo track list")
    parser.add_argument("--real-tracks", default="all", help="tracks written with Store.write_result ('all' for every one); the rest in bulk")
    parser.add_argument("--bulk-chunk", type=int, default=2000, help="tracks per bulk transaction")
    parser.add_argument("--fetch-tracks", type=int, default=500)
    parser.add_argument("--fetch-repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tsv = Path(args.tsv) if args.tsv else next((p for p in TSV_CANDIDATES if p.is_file()), None)
    if tsv is None or not tsv.is_file():
        sys.exit(f"MTG-Jamendo track list not found (tried {', '.join(map(str, TSV_CANDIDATES))}); pass --tsv")
    if args.dir:
        work = Path(args.dir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        if any(work.iterdir()):
            sys.exit(f"{work} is not empty; give an empty or new folder")
    else:
        work = Path(tempfile.mkdtemp(prefix="tagscape-store-bench-", dir="/tmp"))
    started = time.perf_counter()
    try:
        run(args, tsv, work)
    finally:
        if args.keep or args.dir:
            say(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            say(f"\nremoved {work}")
    say(f"total benchmark time {time.perf_counter() - started:.0f} s; peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def run(args, tsv: Path, work: Path) -> None:
    rng = np.random.default_rng(args.seed)
    data_dir = work / "data"
    section("setup")
    free = shutil.disk_usage(work)
    say(f"store in {work} ({free.free / 2**30:.0f} GiB free); track list {tsv}")
    if args.tracks:
        lines = tsv.read_text(encoding="utf-8").splitlines(keepends=True)
        tsv_used = work / "tracks-subset.tsv"
        tsv_used.write_text("".join(lines[: args.tracks + 1]), encoding="utf-8")
    else:
        tsv_used = tsv

    section("index_jamendo (tracks + tags, one transaction)")
    t = time.perf_counter()
    report = index_jamendo(tsv_used, data_dir=data_dir, audio_url="http://localhost/{id}.mp3")
    index_s = time.perf_counter() - t
    collection = open_collection(data_dir)
    store = collection.store
    tracks = store.tracks()
    durations = np.array([tr["duration"] or 0.0 for tr in tracks])
    n_segments = np.array([segments_for(d) for d in durations])
    say(f"{report.added} tracks added in {index_s:.2f} s; {durations.sum() / 3600:,.0f} h of audio; "
        f"{n_segments.sum():,} segments (min {n_segments.min()}, median {int(np.median(n_segments))}, max {n_segments.max()} per track)")
    raw = int(n_segments.sum()) * sum(COLS.values()) * STORE_DTYPE.itemsize
    say(f"raw float16 payload: {mib(raw)} ({LAYER} {mib(n_segments.sum() * COLS[LAYER] * 2)}, taggrams {mib(n_segments.sum() * COLS['taggrams'] * 2)})")

    section("database writes")
    n_real = len(tracks) if args.real_tracks == "all" else min(int(args.real_tracks), len(tracks))
    rates = {}
    if n_real:
        w, a, segs = write_real(store, tracks[:n_real], rng)
        rates["real"] = (n_real, w, a, segs)
        say(f"real path (Store.write_result, 1 transaction/track): {n_real} tracks, {segs:,} segments in {w:.2f} s "
            f"({a:.2f} s incl. random data): {n_real / w:,.0f} tracks/s, {segs / w:,.0f} segments/s, "
            f"{segs * 250 * 2 / w / 2**20:,.0f} MiB/s, {1000 * w / n_real:.2f} ms/track")
    if n_real < len(tracks):
        rest = tracks[n_real:]
        w, a, segs = write_bulk(store, rest, rng, args.bulk_chunk)
        rates["bulk"] = (len(rest), w, a, segs)
        say(f"bulk path ({args.bulk_chunk} tracks/transaction): {len(rest)} tracks, {segs:,} segments in {w:.2f} s "
            f"({a:.2f} s incl. random data): {len(rest) / w:,.0f} tracks/s, {segs / w:,.0f} segments/s, "
            f"{segs * 250 * 2 / w / 2**20:,.0f} MiB/s, {1000 * w / len(rest):.2f} ms/track")
    if "real" in rates and "bulk" in rates:
        r, b = rates["real"], rates["bulk"]
        say(f"bulk vs real: {(b[3] / b[1]) / (r[3] / r[1]):.2f}x the segments/s")
        est = len(tracks) / (r[0] / r[1])
        say(f"real path for all {len(tracks)} tracks would take ~{est:.0f} s at the measured rate")
    db_path = data_dir / "tagscape.db"
    wal = db_path.with_name(db_path.name + "-wal")
    say(f"before checkpoint: tagscape.db {mib(disk_usage(db_path))}, -wal {mib(disk_usage(wal) if wal.exists() else 0)}")
    t = time.perf_counter()
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    say(f"wal_checkpoint(TRUNCATE) {time.perf_counter() - t:.2f} s")
    db_size = disk_usage(db_path)
    say(f"tagscape.db: {mib(db_size)} on disk = {db_size / raw:.3f}x the raw float16 payload")

    section(f"array build: load_layer({MODEL!r}, {LAYER!r})")
    arrays_dir = collection.arrays_dir
    t = time.perf_counter()
    layer = load_layer(store, arrays_dir, MODEL, LAYER)
    build_s = time.perf_counter() - t
    arrays_size = disk_usage(arrays_dir)
    say(f"built in {build_s:.2f} s: {layer.values.shape} {layer.values.dtype}, {layer.n_tracks} tracks; "
        f"{layer.values.nbytes / build_s / 2**20:,.0f} MiB/s of values")
    for p in sorted(arrays_dir.iterdir()):
        say(f"  {p.name}: {mib(disk_usage(p))}")
    say(f"arrays total {mib(arrays_size)}")
    assert layer.values.shape[0] == n_segments.sum(), "array rows do not match the segments written"
    del layer
    collection.close()

    section("open (open_collection + collection.layer, arrays fresh)")
    opens = []
    for _ in range(7):
        t = time.perf_counter()
        c = open_collection(data_dir)
        la = c.layer(MODEL, LAYER)
        opens.append(time.perf_counter() - t)
        c.close()
    say("runs: " + ", ".join(f"{1000 * s:.1f}" for s in opens) + " ms")
    say(f"first {1000 * opens[0]:.1f} ms, median {1000 * statistics.median(opens):.1f} ms")

    section("fetch")
    collection = open_collection(data_dir)
    layer = collection.layer(MODEL, LAYER)
    ids = layer.track_ids
    t = time.perf_counter()
    scratch = np.ones(layer.values.shape, layer.values.dtype)
    say(f"(this machine's cost of fresh memory: filling a new {mib(scratch.nbytes)} array the first time took {time.perf_counter() - t:.2f} s; "
        "done here so the reads below do not pay it)")
    del scratch
    for attempt in ("first touch of the mapping", "again, pages mapped"):
        f0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        everything = np.array(layer.values)
        all_s = time.perf_counter() - t
        f1 = resource.getrusage(resource.RUSAGE_SELF)
        say(f"all tracks, whole memmap into RAM (np.array(values)), {attempt}: {all_s:.2f} s, "
            f"{everything.nbytes / all_s / 2**30:.2f} GiB/s ({mib(everything.nbytes)}); "
            f"page faults: {f1.ru_majflt - f0.ru_majflt:,} major, {f1.ru_minflt - f0.ru_minflt:,} minor")
        del everything
    values_path = collection.arrays_dir / f"{MODEL}.{LAYER}.npy"
    t = time.perf_counter()
    everything = np.load(values_path)  # read(2) into fresh memory instead of faulting a mapping in
    say(f"for comparison, np.load(.npy) without mmap: {time.perf_counter() - t:.2f} s, "
        f"{everything.nbytes / (time.perf_counter() - t) / 2**30:.2f} GiB/s")
    del everything
    t = time.perf_counter()
    rows, _ = layer.rows_for(ids)
    rows_s = time.perf_counter() - t
    t = time.perf_counter()
    everything = layer.values[rows]
    take_s = time.perf_counter() - t
    say(f"all tracks through rows_for + fancy index: rows_for {1000 * rows_s:.0f} ms + values[rows] {1000 * take_s:.0f} ms = {rows_s + take_s:.2f} s")
    del everything, rows

    k = min(args.fetch_tracks, len(ids))
    times_rows, times_take, n_rows = [], [], []
    for i in range(args.fetch_repeats + 1):
        chosen = rng.choice(ids, size=k, replace=False)
        t = time.perf_counter()
        rows, row_ids = layer.rows_for(chosen)
        t1 = time.perf_counter()
        values = layer.values[rows]
        t2 = time.perf_counter()
        assert values.shape == (len(rows), COLS[LAYER])
        if i:  # the first is a warm-up
            times_rows.append(t1 - t)
            times_take.append(t2 - t1)
            n_rows.append(len(rows))
    total = [a + b for a, b in zip(times_rows, times_take)]
    say(f"{k} random tracks (~{int(np.mean(n_rows)):,} rows, {mib(np.mean(n_rows) * COLS[LAYER] * 2)}), {len(total)} repeats, new tracks each time:")
    say(f"  rows_for median {1000 * statistics.median(times_rows):.2f} ms; values[rows] median {1000 * statistics.median(times_take):.2f} ms")
    say(f"  total median {1000 * statistics.median(total):.2f} ms, min {1000 * min(total):.2f} ms, max {1000 * max(total):.2f} ms "
        f"-> target < 50 ms: {'MET' if statistics.median(total) < 0.05 else 'NOT MET'}")
    same = rng.choice(ids, size=k, replace=False)
    rep = []
    for _ in range(args.fetch_repeats):
        t = time.perf_counter()
        rows, _ = layer.rows_for(same)
        layer.values[rows]
        rep.append(time.perf_counter() - t)
    say(f"  same {k} tracks repeated: median {1000 * statistics.median(rep):.2f} ms")
    collection.close()


if __name__ == "__main__":
    main()
