#!/usr/bin/env python
"""Tuning runs for on-demand t-SNE / UMAP (uses bench/projections.py's data and subprocess runner).

Usage::

    python bench/projections_tune.py [--size 37500] [--groups threads,iters,perplexity,...] [--json FILE]

Each row is one fresh subprocess (same columns as bench/projections.py, plus ``same-track``:
the share of a point's 10 nearest 2D neighbours that come from its own track). Groups:

- ``threads``: n_jobs 1 / 2, and 2 with ``OMP_WAIT_POLICY=PASSIVE`` (openTSNE uses OpenMP)
- ``iters``: early exaggeration + normal iterations
- ``perplexity``: 15 / 10 (30 is the default)
- ``neighbors``: annoy (what ``auto`` picks) / pynndescent / exact
- ``fftgrid``: coarser FFT grid (``ints_in_interval``; the grid grows with the map's extent)
- ``pca``: PCA dims before t-SNE, 50 / 30 / 20
- ``gradient``: Barnes-Hut vs FFT
- ``subsample``: fit on every 2nd / 3rd segment of every track, place the rest with transform
- ``small``: 50 / 127 / 500 points (t-SNE and UMAP)
- ``umap``: UMAP variants at this size
- ``umap-small``: UMAP's exact-kNN path below 4,096 rows vs ``force_approximation_algorithm``
- ``round2``: combinations of the above
- ``proposal``: candidates against the default
- ``candidate``: the recommended on-demand settings (fit every 3rd segment of each track)
- ``offline``: the recommended settings on ``maps.FIT_LIMITS`` rows (as offline maps are fitted)
- ``offline-iters``: 250+500 iterations with the coarser FFT grid, on FIT_LIMITS rows and on all rows
- ``grid``: on-demand settings with ``ints_in_interval`` 1 / 2
- ``offline-grid``: offline settings: fewer placing iterations, ``ints_in_interval`` 2
- ``threshold``: at a given size, fit all rows or every 3rd (where subsampling starts to pay)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import projections as bench  # noqa: E402

BASE = {"perplexity": 30.0, "n_iter": 500, "early_exaggeration_iter": 250, "pca_dims": 50}
#: the recommended TSNEReducer settings (n_jobs: 1 below 10k points, else all cores)
PROPOSAL = {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "transform_n_iter": 100, "n_jobs_small": 1}


def groups(n_jobs: int) -> dict[str, list[tuple[str, dict]]]:
    """name -> [(label, spec overrides)]"""
    t = "tsne-custom"
    default = {"method": "tsne", "params": {}}
    return {
        "threads": [
            ("default (n_jobs=2)", default),
            ("n_jobs=1", {"method": "tsne", "params": {"n_jobs": 1}}),
            ("n_jobs=2 OMP_WAIT_POLICY=PASSIVE", {**default, "env": {"OMP_WAIT_POLICY": "PASSIVE"}}),
        ],
        "iters": [
            ("exag 125 + 250", {"method": "tsne", "params": {"early_exaggeration_iter": 125, "n_iter": 250, "n_jobs": n_jobs}}),
            ("exag 100 + 150", {"method": "tsne", "params": {"early_exaggeration_iter": 100, "n_iter": 150, "n_jobs": n_jobs}}),
            ("exag 250 + 250", {"method": "tsne", "params": {"early_exaggeration_iter": 250, "n_iter": 250, "n_jobs": n_jobs}}),
        ],
        "perplexity": [
            ("perplexity 15", {"method": "tsne", "params": {"perplexity": 15.0, "n_jobs": n_jobs}}),
            ("perplexity 10", {"method": "tsne", "params": {"perplexity": 10.0, "n_jobs": n_jobs}}),
        ],
        "neighbors": [
            ("neighbors pynndescent", {"method": t, "params": {"neighbors": "pynndescent", "n_jobs": n_jobs}}),
            ("neighbors exact", {"method": t, "params": {"neighbors": "exact", "n_jobs": n_jobs}}),
        ],
        "fftgrid": [
            ("ints_in_interval 2", {"method": t, "params": {"ints_in_interval": 2, "n_jobs": n_jobs}}),
            ("ints_in_interval 3, 250+250", {"method": t, "params": {"ints_in_interval": 3, "n_iter": 250, "n_jobs": n_jobs}}),
        ],
        "pca": [
            ("pca_dims 30", {"method": "tsne", "params": {"pca_dims": 30, "n_jobs": n_jobs}}),
            ("pca_dims 20", {"method": "tsne", "params": {"pca_dims": 20, "n_jobs": n_jobs}}),
        ],
        "gradient": [
            ("Barnes-Hut", {"method": t, "params": {"negative_gradient_method": "bh", "n_jobs": n_jobs}}),
            ("FFT", {"method": t, "params": {"negative_gradient_method": "fft", "n_jobs": n_jobs}}),
        ],
        "subsample": [
            ("fit every 2nd, place rest", {"method": "tsne", "params": {"n_jobs": n_jobs}, "fit_rows": 2}),
            ("fit every 3rd, place rest", {"method": "tsne", "params": {"n_jobs": n_jobs}, "fit_rows": 3}),
            ("every 3rd, 125+250 iters", {"method": "tsne", "params": {"early_exaggeration_iter": 125, "n_iter": 250, "n_jobs": n_jobs}, "fit_rows": 3}),
            ("every 3rd, 125+250, place 100 iters", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "n_jobs": n_jobs, "transform_n_iter": 100}, "fit_rows": 3}),
        ],
        "umap": [
            ("umap default", {"method": "umap", "params": {}}),
            ("umap n_neighbors 10", {"method": "umap", "params": {"n_neighbors": 10}}),
        ],
        "round2": [
            ("default, n_jobs=1", {"method": "tsne", "params": {"n_jobs": 1}}),
            ("125+250, ints 3", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "n_jobs": n_jobs}}),
            ("100+150, ints 3", {"method": t, "params": {"early_exaggeration_iter": 100, "n_iter": 150, "ints_in_interval": 3, "n_jobs": n_jobs}}),
            ("every 3rd, 125+250, ints 3, place 100", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "transform_n_iter": 100, "n_jobs": n_jobs}, "fit_rows": 3}),
            ("every 2nd, 125+250, ints 3, place 100", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "transform_n_iter": 100, "n_jobs": n_jobs}, "fit_rows": 2}),
            ("every 3rd, 250+500, ints 3, place 250", {"method": t, "params": {"ints_in_interval": 3, "n_jobs": n_jobs}, "fit_rows": 3}),
        ],
        "proposal": [
            ("default", {"method": "tsne", "params": {"n_jobs": n_jobs}}),
            ("100+150, ints 3", {"method": t, "params": {"early_exaggeration_iter": 100, "n_iter": 150, "ints_in_interval": 3, "n_jobs": n_jobs}}),
            ("every 3rd, 125+250, ints 3, place 100", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "transform_n_iter": 100, "n_jobs": n_jobs}, "fit_rows": 3}),
            ("every 2nd, 125+250, ints 3, place 100", {"method": t, "params": {"early_exaggeration_iter": 125, "n_iter": 250, "ints_in_interval": 3, "transform_n_iter": 100, "n_jobs": n_jobs}, "fit_rows": 2}),
        ],
        "candidate": [
            ("on-demand proposal: every 3rd, 125+250, ints 3, place 100", {"method": t, "params": {**PROPOSAL, "n_jobs": n_jobs}, "fit_rows": 3}),
        ],
        "offline": [
            ("offline proposal: FIT_LIMITS rows, 125+250, ints 3, place 100", {"method": t, "params": {**PROPOSAL, "n_jobs": n_jobs}}),
        ],
        "offline-iters": [
            ("offline: FIT_LIMITS rows, 250+500, ints 3, place 100", {"method": t, "params": {"ints_in_interval": 3, "transform_n_iter": 100, "n_jobs": n_jobs}}),
            ("offline: all rows, 250+500, ints 3", {"method": t, "params": {"ints_in_interval": 3, "n_jobs": n_jobs}, "fit_limit": None}),
        ],
        "threshold": [
            ("all rows, 125+250, ints 3", {"method": t, "params": {**PROPOSAL, "n_jobs": n_jobs}, "fit_limit": None}),
            ("every 3rd, 125+250, ints 3, place 100", {"method": t, "params": {**PROPOSAL, "n_jobs": n_jobs}, "fit_rows": 3}),
        ],
        "grid": [
            ("every 3rd, 125+250, ints 1, place 100", {"method": t, "params": {**PROPOSAL, "ints_in_interval": 1, "n_jobs": n_jobs}, "fit_rows": 3}),
            ("every 3rd, 125+250, ints 2, place 100", {"method": t, "params": {**PROPOSAL, "ints_in_interval": 2, "n_jobs": n_jobs}, "fit_rows": 3}),
        ],
        "offline-grid": [
            ("offline: FIT_LIMITS rows, 250+500, ints 1, place 100", {"method": t, "params": {"transform_n_iter": 100, "n_jobs": n_jobs}}),
            ("offline: FIT_LIMITS rows, 250+500, ints 2, place 250", {"method": t, "params": {"ints_in_interval": 2, "n_jobs": n_jobs}}),
        ],
        "umap-small": [
            ("umap default", {"method": "umap", "params": {}}),
            ("umap force_approximation_algorithm", {"method": "umap-custom", "params": {"force_approximation_algorithm": True}}),
        ],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=37_500)
    parser.add_argument("--groups", default="threads,iters,perplexity,neighbors,pca,gradient,subsample")
    parser.add_argument("--layer", default="embeddings")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count(), help="n_jobs for the non-thread groups")
    parser.add_argument("--data-dir", default=str(Path("/tmp") / "tagscape-bench-projections"))
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = []
    chosen = [g for g in args.groups.split(",") if g]
    if "small" in chosen:
        bench.say(f"\n== small inputs (load {bench.load1():.1f}) " + "=" * 40)
        for n in (50, 127, 500):
            folder = bench.generate(n, Path(args.data_dir))
            for method, params in (("tsne", {}), ("tsne", {"n_jobs": 1}), ("tsne-custom", PROPOSAL), ("umap", {})):
                r = bench.run_child({"folder": str(folder), "method": method, "layer": args.layer, "params": params, "same_track": True})
                r["size"], r["label"] = n, f"{method} {params or ''}"
                results.append(r)
                bench.say(f"   n={n:<4d}" + bench.fmt(r))
    folder = bench.generate(args.size, Path(args.data_dir))
    table = groups(args.n_jobs)
    for group in chosen:
        if group == "small":
            continue
        bench.say(f"\n== {group} at {args.size:,} (load {bench.load1():.1f}) " + "=" * 40)
        for label, spec in table[group]:
            full = {"folder": str(folder), "layer": args.layer, "same_track": True, **spec}
            r = bench.run_child(full, env=spec.get("env"))
            r.update(size=args.size, label=label, group=group)
            results.append(r)
            bench.say(f"   {label:38s}" + bench.fmt(r))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
