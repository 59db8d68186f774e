#!/usr/bin/env python
"""End to end on hours of real music: the whole tracks of the real-music demo's Debian packages.

Usage::

    python bench/real_music.py [--folder ~/.cache/tagscape/bench-real-music] [--workers 2] [--threads 1]
                               [--packages NAME,NAME] [--json FILE]
    # about an hour on 2 cores; resumable (extraction and maps pick up where they stopped):
    nohup python bench/real_music.py > real-music.log 2>&1 &

Steps, each timed:

1. **Collection**: ``tagscape demo --full``'s files (the packages from apt into the cache, checked
   against apt's SHA-256, whole tracks copied packet by packet, stems mixed), then ``index``.
2. **Extraction** (``tagscape.extract.extract_collection``, the four taggers, a process pool):
   hours of audio per hour of wall time, CPU seconds, peak memory of the whole process tree (RSS
   sampled every 0.5 s), failures with their reasons. ``others`` is how many cores other
   processes used meanwhile (from /proc/stat): the machine may be shared.
3. **Maps**: ``tagscape project --report`` as a user runs it (a subprocess): every model, layer and
   method with its trustworthiness and kept 10 nearest neighbours (on a sample of 5,000 points),
   and the command's time and peak memory.
4. **Similarity**: precision@10 of each track's 10 nearest tracks (cosine of track-mean vectors,
   ``SimilarityStore.similar(level="track")``) by source package and by album, per model and
   layer, against the precision a random choice would have (weak labels: tracks of one package or
   album are often, not always, alike).
5. **Styles**: the four taggers' mean top tags per style (the demo's ``style`` tag), and where
   they disagree: per style, the overlap of the top-5 tags of two models of the same dataset and
   Spearman's rho of MSD vs MTT models over their shared tags; the tracks they disagree most on.

Everything is printed as it comes and written as JSON (``--json``, default ``FOLDER/real_music.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tagscape.analysis.agreement import compare  # noqa: E402
from tagscape.collection import index_folder, open_collection, user_cache_root  # noqa: E402
from tagscape.demo.packages import PACKAGES, STYLES  # noqa: E402
from tagscape.demo.realmusic import build_real_demo  # noqa: E402
from tagscape.extract import extract_collection  # noqa: E402
from tagscape.models.registry import get_model  # noqa: E402
from tagscape.similarity.index import SimilarityStore  # noqa: E402

K = 10


def say(*args) -> None:
    print(*args, flush=True)


class TreeMonitor:
    """CPU seconds and peak RSS of this process and its descendants, and other processes' load."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.cpu: dict[int, float] = {}
        self.peak_rss = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _busy() -> float:
        with open("/proc/stat") as stat:
            fields = [float(x) for x in stat.readline().split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    def _sample(self) -> None:
        me = psutil.Process()
        total = 0
        for process in [me, *me.children(recursive=True)]:
            try:
                times, rss = process.cpu_times(), process.memory_info().rss
            except psutil.Error:
                continue
            self.cpu[process.pid] = times.user + times.system
            total += rss
            self.peak_single = max(self.peak_single, rss)
        self.peak_rss = max(self.peak_rss, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample()
        self.cpu_start = sum(self.cpu.values())
        self.busy_start, self.started = self._busy(), time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall = time.monotonic() - self.started
        self.cpu_seconds = sum(self.cpu.values()) - self.cpu_start
        self.others = max(0.0, (self._busy() - self.busy_start - self.cpu_seconds) / self.wall)


def build(folder: Path, cache: Path | None, packages) -> dict:
    started = time.monotonic()
    report = build_real_demo(folder, full=True, cache_dir=cache, packages=packages, say=lambda m: say("  " + m))
    seconds = time.monotonic() - started
    indexed = index_folder(folder)
    say(f"collection: {len(report.tracks) if not report.reused else indexed.total} tracks "
        f"({'already built' if report.reused else f'{report.seconds / 3600:.2f} h written in {seconds:.0f} s'}), "
        f"{indexed.total} indexed; left out: {report.skipped or 'none'}")
    return {"tracks": indexed.total, "build_seconds": round(seconds, 1), "reused": report.reused,
            "skipped": report.skipped, "fetched_mb": round(report.fetched_bytes / 1e6, 1)}


def extract(folder: Path, workers: int, threads: int) -> dict:
    with open_collection(folder) as collection, TreeMonitor() as monitor:
        report = extract_collection(collection, workers=workers, threads=threads)
    with open_collection(folder) as collection:
        _, seconds = collection.store.totals()
        failures = [(key, reason) for c in (collection.store.counts(m) for m in collection.store.result_models()) for key, reason in c.failures]
    hours = report.audio_seconds / 3600
    out = {"tracks_done": report.done, "failed": report.failed, "failures": report.failures or failures, "audio_hours": round(hours, 3),
           "collection_hours": round(seconds / 3600, 3), "wall_seconds": round(monitor.wall, 1), "cpu_seconds": round(monitor.cpu_seconds, 1),
           "hours_per_hour": round(hours / (monitor.wall / 3600), 1) if monitor.wall and hours else None,
           "x_real_time_per_cpu_second": round(report.audio_seconds / monitor.cpu_seconds, 1) if monitor.cpu_seconds else None,
           "peak_rss_mb": round(monitor.peak_rss / 2**20), "peak_process_rss_mb": round(monitor.peak_single / 2**20),
           "others_cores": round(monitor.others, 2), "workers": workers, "threads": threads}
    say(f"extraction: {report.done} tracks, {hours:.2f} h of audio in {monitor.wall:.0f} s wall = {out['hours_per_hour']} h of audio "
        f"per hour; CPU {monitor.cpu_seconds:.0f} s ({out['x_real_time_per_cpu_second']} x real time per CPU second); "
        f"peak RSS {out['peak_rss_mb']} MiB (largest process {out['peak_process_rss_mb']} MiB); other processes used "
        f"{monitor.others:.2f} cores; {report.failed} failed {report.failures[:5]}")
    return out


LINE = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(up to date|[\d.]+ s)\s+trustworthiness ([\d.na]+)\s+10-NN kept ([\d.na]+)\s+\(sample (\d+)\)")


def project(folder: Path) -> dict:
    command = [sys.executable, "-m", "tagscape.cli", "project", "-c", str(folder), "--report"]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    peak, rows, tree = 0, [], psutil.Process(process.pid)
    reader = threading.Thread(target=lambda: rows.extend(process.stdout), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            peak = max(peak, sum(p.memory_info().rss for p in [tree, *tree.children(recursive=True)]))
        except psutil.Error:
            pass
        time.sleep(0.5)
    reader.join()
    seconds = time.monotonic() - started
    maps = []
    for line in rows:
        match = LINE.match(line.strip())
        if match:
            model, layer, method, took, trust, kept, sample = match.groups()
            maps.append({"model": model, "layer": layer, "method": method, "seconds": None if took == "up to date" else float(took[:-2]),
                         "trustworthiness": float(trust), "knn_kept": float(kept), "sample": int(sample)})
            say(f"  {line.rstrip()}")
    say(f"project --report: {len(maps)} maps in {seconds:.0f} s, peak RSS {peak / 2**20:.0f} MiB (exit {process.returncode})")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak / 2**20), "returncode": process.returncode, "maps": maps}


def similarity(folder: Path) -> dict:
    """precision@10 of track neighbours by package and album, per model and layer, vs random."""
    out = []
    with open_collection(folder) as collection:
        store = SimilarityStore(collection)
        tracks = {t["track_id"]: t for t in collection.tracks()}
        package = {tid: next((v for k, v in collection.store.track_tags(tid) if k == "source"), None) for tid in tracks}
        album = {tid: (t.get("album") or None) for tid, t in tracks.items()}
        for model_id in collection.store.result_models():
            for layer in (layer.name for layer in get_model(model_id).layers):
                array = collection.layer(model_id, layer)
                ids = [int(t) for t in array.track_ids]
                hits = defaultdict(list)
                for track_id in ids:
                    result = store.similar(model_id, layer, track_id, k=K, level="track")
                    found = [item.track_id for item in result.items]
                    for name, label in (("package", package), ("album", album)):
                        if label[track_id] is not None:
                            hits[name].append(np.mean([label[t] == label[track_id] for t in found]))
                row = {"model": model_id, "layer": layer, "tracks": len(ids)}
                for name, label in (("package", package), ("album", album)):
                    counts = defaultdict(int)
                    for t in ids:
                        counts[label[t]] += 1
                    baseline = np.mean([(counts[label[t]] - 1) / (len(ids) - 1) for t in ids if label[t] is not None])
                    row[f"p10_{name}"] = round(float(np.mean(hits[name])), 3)
                    row[f"random_{name}"] = round(float(baseline), 3)
                out.append(row)
                say(f"  {model_id:<14} {layer:<10} precision@10 by package {row['p10_package']:.3f} (random {row['random_package']:.3f}), "
                    f"by album {row['p10_album']:.3f} (random {row['random_album']:.3f})")
    return {"k": K, "rows": out}


def styles(folder: Path) -> dict:
    """Mean taggram per style and model, its top tags; disagreements between models."""
    with open_collection(folder) as collection:
        style_of = {}
        for tid in (t["track_id"] for t in collection.tracks()):
            style_of[tid] = next((v for k, v in collection.store.track_tags(tid) if k == "style"), None)
        models = [m for m in collection.store.result_models() if get_model(m).tags]
        means: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
        track_means: dict[str, dict[int, np.ndarray]] = defaultdict(dict)
        for model_id in models:
            array = collection.layer(model_id, "taggrams")
            sums: dict[str, np.ndarray] = {}
            counts: dict[str, int] = defaultdict(int)
            for p, tid in enumerate(array.track_ids):
                rows = np.asarray(array.values[array.offsets[p]:array.offsets[p + 1]], np.float32)
                if not len(rows):
                    continue
                track_means[model_id][int(tid)] = rows.mean(axis=0)
                style = style_of.get(int(tid))
                sums[style] = sums.get(style, 0) + rows.sum(axis=0)
                counts[style] += len(rows)
            for style in sums:
                means[style][model_id] = sums[style] / counts[style]
    out = {"top": {}, "disagreements": {}, "tracks": []}
    for style in [s for s in STYLES if s in means]:
        out["top"][style] = {m: [(get_model(m).tags[i], round(float(means[style][m][i]), 3)) for i in np.argsort(-means[style][m])[:5]]
                             for m in models if m in means[style]}
        say(f"  {style:<10} " + " | ".join(f"{m}: " + ", ".join(f"{t} {a:.2f}" for t, a in out["top"][style][m][:3]) for m in models))
        pairs = []
        for i, a in enumerate(models):
            for b in models[i + 1:]:
                c = compare(get_model(a).tags, means[style][a], get_model(b).tags, means[style][b], k=5)
                pairs.append({"a": a, "b": b, "shared": len(c["shared"]), "spearman": c["spearman"], "top5_overlap": c["top_overlap"]})
        out["disagreements"][style] = pairs
    # the tracks whose MSD and MTT MusiCNN rankings over shared tags disagree most
    if {"musicnn-msd", "musicnn-mtt"} <= set(models):
        rhos = []
        for tid, a in track_means["musicnn-msd"].items():
            b = track_means["musicnn-mtt"].get(tid)
            if b is not None:
                c = compare(get_model("musicnn-msd").tags, a, get_model("musicnn-mtt").tags, b, k=3)
                rhos.append((c["spearman"], tid))
        with open_collection(folder) as collection:
            for rho, tid in sorted(rhos)[:8]:
                t = collection.track(tid)
                top = {m: [get_model(m).tags[i] for i in np.argsort(-track_means[m][tid])[:3]] for m in models}
                out["tracks"].append({"track_id": tid, "title": t["title"], "artist": t["artist"], "style": style_of.get(tid),
                                      "spearman_msd_mtt": round(rho, 3), "top3": top})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=user_cache_root() / "bench-real-music")
    parser.add_argument("--cache", type=Path, default=None, help="packages (default ~/.cache/tagscape/demo)")
    parser.add_argument("--packages", default="", help="comma-separated subset of the demo's packages")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma-separated steps to skip: extract, project, similarity, styles")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    packages = [p for p in PACKAGES if not args.packages or p.name in args.packages.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    results = {"load_before": os.getloadavg(), "cores": os.cpu_count(), "packages": [p.name for p in packages]}
    say(f"real music end to end in {args.folder} ({len(packages)} packages, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    results["collection"] = build(args.folder, args.cache, packages)
    if "extract" not in skip:
        results["extraction"] = extract(args.folder, args.workers, args.threads)
    if "project" not in skip:
        results["maps"] = project(args.folder)
    if "similarity" not in skip:
        say("similarity:")
        results["similarity"] = similarity(args.folder)
    if "styles" not in skip:
        say("styles:")
        results["styles"] = styles(args.folder)
    results["load_after"] = os.getloadavg()
    target = args.json or args.folder / "real_music.json"
    target.write_text(json.dumps(results, indent=1, default=str))
    say(f"results: {target}")


if __name__ == "__main__":
    main()
