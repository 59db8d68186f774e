#!/usr/bin/env python
"""True-neighbour hover: latency of ``GET /api/neighbours`` on a large whole-layer map.

Usage::

    python bench/neighbours.py [--segments 300000] [--folder /tmp/tagscape-bench-neighbours] [--hovers 200]

Builds (once; reused from ``--folder``) an MTG-Jamendo style collection of synthetic MusiCNN-MTT
results: tracks of 75 segments, embeddings a slow random walk around a per-track centre, written
through the store as extraction writes them; then its PCA map and the HNSW similarity index
(``tagscape index-similarity``). Then, through the Flask app (no network): the first hover (the
map's points, the kd-tree of the map), and ``--hovers`` hovers on random points of it:
p50 / p99 / max. Target (issue 16): under 100 ms at 4.5 M segments with the similarity index.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEGMENTS_PER_TRACK = 75


def build(folder: Path, n_segments: int) -> Path:
    from tagscape.collection import index_jamendo, open_collection
    from tagscape.similarity.index import SimilarityStore

    data = folder / "data"
    if (folder / "done").is_file():
        return data
    n_tracks = max(1, n_segments // SEGMENTS_PER_TRACK)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    lines += [f"track_{i:07d}\tartist_{i // 10:06d}\talbum_{i // 5:06d}\t{i % 100:02d}/{i}.mp3\t{SEGMENTS_PER_TRACK * 2.992 + 1:.1f}\tgenre---rock"
              for i in range(n_tracks)]
    (folder / "tracks.tsv").write_text("\n".join(lines) + "\n")
    index_jamendo(folder / "tracks.tsv", data_dir=data, audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    with open_collection(data) as collection:
        for track in collection.tracks():
            centre = rng.normal(0, 1, 200)
            walk = centre + 0.2 * np.cumsum(rng.normal(0, 1, (SEGMENTS_PER_TRACK, 200)), axis=0) / np.sqrt(SEGMENTS_PER_TRACK)
            collection.store.write_result(track["track_id"], "musicnn-mtt", content_hash=track["content_hash"], segment_seconds=2.992,
                                          layers={"taggrams": rng.random((SEGMENTS_PER_TRACK, 50)).astype(np.float16), "embeddings": walk.astype(np.float16)})
        print(f"wrote {n_tracks:,} tracks in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        collection.projection("musicnn-mtt", "embeddings", "pca")
        print(f"PCA map in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        SimilarityStore(collection).build("musicnn-mtt", "embeddings", "segment", force=True)
        print(f"similarity index in {time.perf_counter() - started:.0f} s", flush=True)
    (folder / "done").write_text("ok")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=300_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/tagscape-bench-neighbours"))
    parser.add_argument("--hovers", type=int, default=200)
    args = parser.parse_args()
    data = build(args.folder / str(args.segments), args.segments)

    from tagscape.web import create_app

    client = create_app(str(data), {"TESTING": True}).test_client()
    base = "/api/neighbours?model=musicnn-mtt&layer=embeddings&projection=pca&k=10"
    rng = np.random.default_rng(1)
    n_tracks = max(1, args.segments // SEGMENTS_PER_TRACK)
    started = time.perf_counter()
    first = client.get(f"{base}&track=1&segment=0")
    assert first.status_code == 200, first.get_json()
    print(f"load {os.getloadavg()[0]:.1f}; first hover (map points, kd-tree): {time.perf_counter() - started:.2f} s; method {first.get_json()['method']}")
    times = []
    for _ in range(args.hovers):
        track, segment = int(rng.integers(1, n_tracks + 1)), int(rng.integers(0, SEGMENTS_PER_TRACK))
        started = time.perf_counter()
        response = client.get(f"{base}&track={track}&segment={segment}")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_json()
    ms = np.array(times) * 1000
    print(f"{args.segments:,} segments, {args.hovers} hovers: p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms, "
          f"max {ms.max():.1f} ms (target 100 ms); load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
