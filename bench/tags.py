#!/usr/bin/env python
"""Tag analysis at MTG-Jamendo scale: latency of the analysis endpoints on a synthetic store.

Usage::

    python bench/tags.py [--tracks N] [--dir DIR] [--keep] [--repeat 5]

The real MTG-Jamendo track list (55,525 tracks, their durations and genre / instrument / mood
tags) is indexed with ``index_jamendo``; each track gets ``floor(duration / 2.992)`` segments of
synthetic ``musicnn-msd`` taggrams (sigmoids of 8 shared latent factors plus a per-track offset,
so tags correlate as real ones do), written in big transactions; the first 200 tracks also get
``musicnn-mtt`` taggrams (for model agreement). Then each endpoint is called through Flask's
test client: the first call (cold: memory-mapped pages and per-app caches empty, as far as the
OS page cache allows) and the median of ``--repeat`` more.
"""

from __future__ import annotations

import argparse
import os
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
from tagscape.models.registry import MSD_TAGS  # noqa: E402
from tagscape.store.db import STORE_DTYPE  # noqa: E402
from tagscape.web import create_app  # noqa: E402

SEGMENT_SECONDS = 187 * 256 / 16000
TSV = Path("/work/shared/data/mtg-jamendo/tracks.tsv")


def say(*args) -> None:
    print(*args, flush=True)


def synthetic_taggrams(rng, n: int, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    latent = rng.standard_normal((n, weights.shape[0])) * 0.8 + rng.standard_normal(weights.shape[0])  # per-track offset
    return (1 / (1 + np.exp(-(latent @ weights + bias)))).astype(STORE_DTYPE)


def write(store, tracks, model_id: str, rng, *, chunk: int = 2000) -> int:
    weights = np.random.default_rng(hash(model_id) % 2**32).standard_normal((8, 50))
    bias = np.random.default_rng(1).uniform(-4, 0, 50)
    conn, segments = store.conn, 0
    for start in range(0, len(tracks), chunk):
        results, rows, now = [], [], time.time()
        for track in tracks[start : start + chunk]:
            n = max(1, int((track["duration"] or 0) // SEGMENT_SECONDS))
            segments += n
            results.append((track["track_id"], model_id, track["content_hash"], n, SEGMENT_SECONDS, now))
            rows.append((track["track_id"], model_id, "taggrams", n, 50, synthetic_taggrams(rng, n, weights, bias).tobytes()))
        with store.transaction():
            conn.executemany("INSERT INTO results (track_id, model_id, content_hash, n_segments, segment_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?)", results)
            conn.executemany("INSERT INTO layers (track_id, model_id, layer, n_rows, n_cols, data) VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("INSERT INTO model_versions (model_id, version) VALUES (?, 1) ON CONFLICT(model_id) DO UPDATE SET version = version + 1", (model_id,))
    return segments


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:
    t = time.perf_counter()
    response = client.get(url)
    cold = time.perf_counter() - t
    assert response.status_code == 200, (url, response.get_json())
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        client.get(url)
        warm.append(time.perf_counter() - t)
    return cold, statistics.median(warm) if warm else float("nan"), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=0, help="first N tracks of the list (0: all 55,525)")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="tagscape-bench-tags-"))
    tsv = TSV
    if args.tracks:
        lines = TSV.read_text().splitlines()
        tsv = work / "tracks.tsv"
        work.mkdir(parents=True, exist_ok=True)
        tsv.write_text("\n".join(lines[: args.tracks + 1]) + "\n")
    say(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; data in {work}")
    try:
        t = time.perf_counter()
        index_jamendo(tsv, data_dir=work / "data", audio_url="https://example.org/{id}.mp3")
        collection = open_collection(work / "data")
        tracks = collection.tracks()
        rng = np.random.default_rng(0)
        n = write(collection.store, tracks, "musicnn-msd", rng)
        write(collection.store, tracks[:200], "musicnn-mtt", rng)
        say(f"store: {len(tracks):,} tracks, {n:,} segments of musicnn-msd taggrams in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        collection.layer("musicnn-msd", "taggrams")
        say(f"memory-mapped arrays built in {time.perf_counter() - t:.1f} s")
        collection.close()

        app = create_app(str(work / "data"), {"TESTING": True})
        client = app.test_client()
        first = tracks[0]["track_id"]
        urls = [
            ("taggram of one track", f"/api/tracks/{first}/taggram?model=musicnn-msd"),
            ("agreement, one track, 2 models", f"/api/agreement?track={first}"),
            ("tag view, k=20", "/api/tag?model=musicnn-msd&tag=rock&k=20"),
            ("tag view, k=1000", "/api/tag?model=musicnn-msd&tag=jazz&k=1000"),
            ("pair, all segments", "/api/correlations?model=musicnn-msd&x=rock&y=pop"),
            ("pair, first 500 tracks", "/api/correlations?model=musicnn-msd&x=rock&y=pop&limit=500"),
            ("pair, 500 random tracks", "/api/correlations?model=musicnn-msd&x=rock&y=pop&limit=500&sample=random"),
            ("pair, track means (all)", "/api/correlations?model=musicnn-msd&x=rock&y=pop&mode=averages"),
            ("matrix, Pearson", "/api/correlations/matrix?model=musicnn-msd"),
            ("matrix, Spearman (all segments)", "/api/correlations/matrix?model=musicnn-msd&method=spearman"),
            ("ground truth (Jamendo tags)", "/api/ground-truth?model=musicnn-msd"),
        ]
        say(f"\n{'endpoint':34} {'first call':>11} {'then (median)':>14} {'bytes':>9}")
        for name, url in urls:
            cold, warm, size = timed(client, url, args.repeat)
            say(f"{name:34} {cold * 1000:9.0f} ms {warm * 1000:12.1f} ms {size:9,}")
        truth = client.get("/api/ground-truth?model=musicnn-msd").get_json()
        scored = [row for row in truth["tags"] if row["roc_auc"] is not None]
        say(f"\nground truth: {len(scored)} MSD tags scored against Jamendo tags; mean ROC-AUC of synthetic activations "
            f"{np.mean([r['roc_auc'] for r in scored]):.3f} (chance is 0.5)")
        assert len(MSD_TAGS) == 50
        say(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB; load average {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
