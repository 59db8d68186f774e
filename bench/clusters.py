#!/usr/bin/env python
"""Clusters of a map and their tag names: time at 100k and 1 M points, against full HDBSCAN.

Usage::

    python bench/clusters.py [--sizes 100000,1000000] [--baseline-size 30000] [--threads 2]

Data: a map shaped like a t-SNE of tracks: 60 groups of tracks (Gaussian blobs of different sizes
and spreads in 2D) plus 5 % of points scattered uniformly, and 50 tag activations per point
(a base of 0-0.3, each group's three tags at 0.6-0.9), float16 as the store keeps them; genres
coded per track. Everything a request does after reading the points: HDBSCAN on a sample,
assignment of the rest, names from one tagger, genre and artist.

Targets (issue 16): 100k points under 3 s, 1 M under 20 s on 2 cores.

Baseline, measured in the same run: scikit-learn's HDBSCAN with its defaults
(``min_cluster_size=5``) on every point of a ``--baseline-size`` map, against ours on the same
map; ratio of times, and the adjusted Rand index of our labels against the baseline's where
both call a point clustered (with the defaults HDBSCAN also splits groups into many small
clusters, so the agreement is also given against the planted groups).
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

N_GROUPS = 60
N_TAGS = 50


def synthetic_map(n: int, *, seed: int = 0):
    rng = np.random.default_rng(seed)
    sizes = rng.dirichlet(np.full(N_GROUPS, 2.0))
    group = rng.choice(N_GROUPS, size=n, p=sizes)
    centres = rng.uniform(-80, 80, size=(N_GROUPS, 2))
    spread = rng.uniform(1.0, 4.0, size=N_GROUPS)
    coords = centres[group] + rng.normal(size=(n, 2)) * spread[group, None]
    scattered = rng.random(n) < 0.05
    coords[scattered] = rng.uniform(-100, 100, size=(int(scattered.sum()), 2))
    group[scattered] = -1
    activations = rng.uniform(0, 0.3, size=(n, N_TAGS)).astype(np.float16)
    tags_of = rng.integers(0, N_TAGS, size=(N_GROUPS, 3))
    for g in range(N_GROUPS):
        rows = np.flatnonzero(group == g)
        for t in tags_of[g]:
            activations[rows, t] = rng.uniform(0.6, 0.9, size=len(rows))
    n_tracks = max(1, n // 75)
    track = rng.integers(0, n_tracks, size=n)
    genre_codes = rng.integers(0, 20, size=n_tracks)[track]
    artist_codes = rng.integers(0, 500, size=n_tracks)[track]
    return coords.astype(np.float32), activations, group, genre_codes, artist_codes


def ours(coords, activations, genre_codes, artist_codes):
    from tagscape.analysis import clusters

    started = time.perf_counter()
    labels, fit = clusters.cluster_points(points=coords)
    clustered = time.perf_counter() - started
    named = clusters.describe(coords=coords, labels=labels, activations={"tagger": (tuple(f"t{i}" for i in range(N_TAGS)), activations)},
                              metadata={"genre": ([f"g{i}" for i in range(20)], genre_codes), "artist": ([f"a{i}" for i in range(500)], artist_codes)},
                              primary="tagger")
    return labels, named, clustered, time.perf_counter() - started, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--baseline-size", type=int, default=30_000)
    parser.add_argument("--threads", type=int, default=2, help="BLAS / OpenMP threads")
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import warnings

    from sklearn.cluster import HDBSCAN
    from sklearn.metrics import adjusted_rand_score

    warnings.filterwarnings("ignore", category=FutureWarning)  # sklearn 1.9's note on `copy`'s future default
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")

    coords, activations, group, genres, artists = synthetic_map(args.baseline_size)
    started = time.perf_counter()
    base = HDBSCAN(copy=True).fit(coords).labels_
    base_seconds = time.perf_counter() - started
    labels, named, _, our_seconds, fit = ours(coords, activations, genres, artists)
    both = (base >= 0) & (labels >= 0)
    planted = group >= 0
    print(f"baseline {args.baseline_size:,} points: sklearn HDBSCAN defaults {base_seconds:.2f} s, {base.max() + 1} clusters, "
          f"noise {np.mean(base < 0):.1%}, ARI vs planted {adjusted_rand_score(group[planted], base[planted]):.3f}")
    print(f"  ours (fit on {fit:,}, names included) {our_seconds:.2f} s, {len(named)} clusters, noise {np.mean(labels < 0):.1%}, "
          f"ARI vs planted {adjusted_rand_score(group[planted], labels[planted]):.3f}, vs baseline {adjusted_rand_score(base[both], labels[both]):.3f}; "
          f"speed-up x{base_seconds / our_seconds:.1f}")
    for n in (int(s) for s in args.sizes.split(",")):
        coords, activations, group, genres, artists = synthetic_map(n)
        labels, named, clustered, seconds, fit = ours(coords, activations, genres, artists)
        planted = group >= 0
        target = 3.0 if n <= 100_000 else 20.0
        print(f"{n:>9,} points: {seconds:.2f} s ({clustered:.2f} s clustering, fit on {fit:,}), {len(named)} clusters, noise {np.mean(labels < 0):.1%}, "
              f"ARI vs planted {adjusted_rand_score(group[planted], labels[planted]):.3f}; target {target:.0f} s: {'met' if seconds < target else 'MISSED'}; "
              f"load {os.getloadavg()[0]:.1f}")
        print(f"           first names: {[c.name for c in named[:3]]}")


if __name__ == "__main__":
    main()
