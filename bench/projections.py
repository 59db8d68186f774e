#!/usr/bin/env python
"""Projection benchmark: time, peak memory and map quality of PCA, std-PCA, t-SNE and UMAP.

Usage::

    python bench/projections.py [--sizes 3750,37500,200000] [--methods pca,std-pca,tsne,umap]
                                [--layers embeddings] [--skip-baseline] [--skip-compile]
                                [--data-dir DIR] [--json FILE]

    # the whole MTG-Jamendo (about 1 h on 2 cores; run it in the background):
    nohup python bench/projections.py --sizes 4500000 --skip-compile > bench-4.5M.log 2>&1 &

Data (synthetic, shaped like ours): tracks of 40-110 segments (75 on average), each track a
slow random walk in a 32-d latent space (start = one of 16 "genre" centres + a track offset;
small Gaussian steps per segment). The ``embeddings`` layer is a linear map of the walk to
200 dims plus noise; the ``taggrams`` layer is ``sigmoid`` of a linear map to 50 dims (values in
(0, 1), mostly low, like tag activations). Both are stored as float16 ``.npy`` files (like the
store's memory-mapped arrays) in ``--data-dir`` and reused between runs.

Each measurement runs in a fresh subprocess, which memory-maps the layer and does what
``MapStore.compute`` does for an offline map: PCA gets the float16 array as is, the other
methods a float32 copy; fit rows come from ``maps._sample_rows`` with ``maps.FIT_LIMITS``
(every k-th segment of every track) and the rest is placed with ``transform`` by
``methods.fit_coords``. Printed per measurement: wall seconds (fit / transform split where
there is one), CPU seconds (user + sys of the subprocess: less sensitive to other load than
wall time), peak RSS (``ru_maxrss``) and the RSS just before the method ran (the data), map
quality (``quality.map_quality``: trustworthiness k=10 and kNN kept, on a 5k sample) and the
load average (1 min) at start and end. UMAP subprocesses first warm up numba on up to 5,000 rows
of the layer (fit + transform, time shown as ``warm-up``) so the figures are those of a warm process; the
compile itself is measured in its own section (cold ``NUMBA_CACHE_DIR``, then a new process
with the same cache, then the default cache location).

Sizes up to ``maps.ON_DEMAND_LIMIT`` are what the explorer computes on request for the tracks it
shows, so t-SNE and UMAP there run as ``MapStore.on_demand`` does (``maps.on_demand_plan``: the
on-demand settings, and t-SNE of more than ``ON_DEMAND_FIT_ABOVE`` segments fitted on every
``ON_DEMAND_STRIDE``-th segment of each track); larger sizes run as the offline maps.

Baselines: scikit-learn's ``TSNE`` with its defaults (the original app's choice), on the raw
layer, at sizes up to 37,500; and scikit-learn's ``PCA`` on a float32 copy (``sklearn-pca``)
beside ours, which reads the float16 layer in chunks.
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

LATENT = 32
GENRES = 16
COLS = {"embeddings": 200, "taggrams": 50}
METHODS = ("pca", "std-pca", "tsne", "umap")
BASELINE = "sklearn-tsne"
BASELINE_MAX = 37_500
DEFAULT_SIZES = (3_750, 37_500, 200_000)
FULL = 4_500_000


def say(*args) -> None:
    print(*args, flush=True)


def load1() -> float:
    return os.getloadavg()[0]


# ---------------------------------------------------------------------------------------- data


def generate(n_segments: int, out_dir: Path, seed: int = 0) -> Path:
    """Write ``offsets.npy``, ``embeddings.npy`` and ``taggrams.npy`` (float16) for ``n_segments``."""
    folder = out_dir / f"walks-{n_segments}-s{seed}"
    if (folder / "done").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(40, 111, size=n_segments // 40 + 2)
    ends = np.cumsum(lengths)
    n_tracks = int(np.searchsorted(ends, n_segments) + 1)
    lengths = lengths[:n_tracks].copy()
    lengths[-1] -= int(ends[n_tracks - 1] - n_segments)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    assert offsets[-1] == n_segments

    centres = rng.normal(0.0, 1.0, (GENRES, LATENT))
    maps = {"embeddings": rng.normal(0.0, 1.0 / np.sqrt(LATENT), (LATENT, COLS["embeddings"])), "taggrams": rng.normal(0.0, 2.5 / np.sqrt(LATENT), (LATENT, COLS["taggrams"]))}
    tag_bias = rng.normal(-2.0, 0.7, COLS["taggrams"])
    arrays = {layer: np.lib.format.open_memmap(folder / f"{layer}.npy", mode="w+", dtype=np.float16, shape=(n_segments, cols)) for layer, cols in COLS.items()}
    chunk = 2_000  # tracks at a time
    for first in range(0, n_tracks, chunk):
        lens = lengths[first : first + chunk]
        start, end = int(offsets[first]), int(offsets[first + len(lens)])
        genre = rng.integers(0, GENRES, len(lens))
        origin = centres[genre] + rng.normal(0.0, 0.6, (len(lens), LATENT))
        steps = rng.normal(0.0, 0.05, (end - start, LATENT))
        local = np.repeat(np.arange(len(lens)), lens)
        track_starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        steps[track_starts] = 0.0
        walk = np.cumsum(steps, axis=0)
        walk -= np.repeat(walk[track_starts], lens, axis=0)  # restart the walk at each track
        z = origin[local] + walk
        arrays["embeddings"][start:end] = z @ maps["embeddings"] + rng.normal(0.0, 0.1, (end - start, COLS["embeddings"]))
        arrays["taggrams"][start:end] = 1.0 / (1.0 + np.exp(-(z @ maps["taggrams"] + tag_bias)))
    for array in arrays.values():
        array.flush()
    np.save(folder / "offsets.npy", offsets)
    (folder / "done").write_text("ok")
    return folder


class _Layer:
    """What ``maps._sample_rows`` needs from a ``LayerArray``."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray):
        self.values, self.offsets = values, offsets

    def segment_index(self) -> np.ndarray:
        lengths = np.diff(self.offsets)
        return (np.arange(self.offsets[-1]) - np.repeat(self.offsets[:-1], lengths)).astype(np.int32)


# ---------------------------------------------------------------------------------- one measure


def _rss_mib() -> float:
    """This process's peak resident memory, MiB.

    ``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over
    ``fork`` + ``exec``, so a child of a parent that once held the data (4.5 M rows: 2.7 GB)
    would report the parent's peak. ``VmHWM`` belongs to the new address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class _SklearnPCA:
    """scikit-learn's PCA behind the reducer interface (fit / transform)."""

    def __init__(self, pca):
        self.pca = pca

    def fit(self, X, *, cancel=None):
        self.pca.fit(np.asarray(X, np.float32))
        return self

    def transform(self, X):
        return self.pca.transform(np.asarray(X, np.float32)).astype(np.float32)

    @property
    def explained_variance_ratio(self):
        return [float(v) for v in self.pca.explained_variance_ratio_]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _warm_umap(values: np.ndarray) -> float:
    """Compile UMAP's numba code on up to 5,000 rows of this layer (fit + transform): small inputs
    (< 4,096 rows) take a different code path in umap-learn, so a warm-up on other sizes misses it."""
    from tagscape.projections.methods import UMAPReducer

    t0 = time.perf_counter()
    rows = np.sort(np.random.default_rng(1).choice(values.shape[0], size=min(values.shape[0], 5_000), replace=False))
    X = np.asarray(values[rows], np.float32)
    UMAPReducer().fit(X).transform(X[:500])
    return time.perf_counter() - t0


def _custom_tsne(**params):
    """``TSNEReducer`` with openTSNE knobs it does not expose (for tuning): ``neighbors``,
    ``negative_gradient_method``, ``learning_rate``, ``exaggeration``, ``ints_in_interval``,
    ``min_num_intervals``, ``transform_*`` and ``n_jobs_small``."""
    from dataclasses import dataclass

    from tagscape.projections.methods import TSNEReducer, _CancelCheck

    @dataclass
    class CustomTSNE(TSNEReducer):
        neighbors: str = "auto"
        negative_gradient_method: str = "auto"
        learning_rate: object = "auto"
        exaggeration: object = None
        transform_n_iter: int = 250
        transform_k: int = 25
        ints_in_interval: float = 1
        min_num_intervals: int = 50
        n_jobs_small: int | None = None  # n_jobs below 10k points (Barnes-Hut)

        def fit(self, X, *, cancel=None):
            from openTSNE import TSNE

            from tagscape.projections.methods import PCAReducer

            X = np.asarray(X, dtype=np.float32)
            self.pca_ = PCAReducer(n_components=self.pca_dims, random_state=self.random_state).fit(X) if X.shape[1] > self.pca_dims else None
            Z = self.pca_.transform(X) if self.pca_ else X
            perplexity = min(self.perplexity, max(1.0, (X.shape[0] - 1) / 3))
            self.embedding_ = TSNE(
                perplexity=perplexity,
                n_iter=self.n_iter,
                early_exaggeration_iter=self.early_exaggeration_iter,
                negative_gradient_method=self.negative_gradient_method,
                neighbors=self.neighbors,
                learning_rate=self.learning_rate,
                exaggeration=self.exaggeration,
                ints_in_interval=self.ints_in_interval,
                min_num_intervals=self.min_num_intervals,
                n_jobs=self.n_jobs if self.n_jobs_small is None or X.shape[0] >= 10_000 else self.n_jobs_small,
                random_state=self.random_state,
                callbacks=_CancelCheck(cancel),
                callbacks_every_iters=25,
                verbose=False,
            ).fit(Z)
            return self

        def transform(self, X):
            X = np.asarray(X, dtype=np.float32)
            Z = self.pca_.transform(X) if self.pca_ else X
            return np.asarray(self.embedding_.transform(Z, n_iter=self.transform_n_iter, k=self.transform_k), dtype=np.float32)

    return CustomTSNE(**params)


def _custom_umap(**params):
    """``UMAPReducer`` with extra ``umap.UMAP`` keyword arguments (for tuning), e.g.
    ``force_approximation_algorithm`` (NN-descent below 4,096 rows too) or ``n_epochs``."""
    from dataclasses import dataclass, field

    from tagscape.projections.methods import UMAPReducer

    @dataclass
    class CustomUMAP(UMAPReducer):
        extra: dict = field(default_factory=dict)

        def fit(self, X, *, cancel=None):
            import umap

            X = np.asarray(X, dtype=np.float32)
            self.umap_ = umap.UMAP(n_neighbors=min(self.n_neighbors, X.shape[0] - 1), min_dist=self.min_dist, init="pca", random_state=self.random_state, n_jobs=1, **self.extra).fit(X)
            return self

    base = {k: params.pop(k) for k in ("n_neighbors", "min_dist", "random_state") if k in params}
    return CustomUMAP(**base, extra=params)


def measure(spec: dict) -> dict:
    """Run one method on one layer of one data set (in this process) and report."""
    import openTSNE  # noqa: F401  (imports are not timed)
    import sklearn.decomposition  # noqa: F401
    import sklearn.manifold  # noqa: F401

    from tagscape.projections.maps import FIT_LIMITS, ON_DEMAND_LIMIT, _sample_rows, on_demand_plan
    from tagscape.projections.methods import fit_coords, make_reducer
    from tagscape.projections.quality import map_quality

    if spec["method"].startswith("umap"):
        import umap  # noqa: F401

    folder = Path(spec["folder"])
    method, layer = spec["method"], spec["layer"]
    params = spec.get("params") or {}
    offsets = np.load(folder / "offsets.npy")
    values = np.load(folder / f"{layer}.npy", mmap_mode="r")
    out = {"method": method, "layer": layer, "n": int(values.shape[0]), "params": params, "load_start": load1()}
    if method.startswith("umap"):
        out["warmup_s"] = _warm_umap(values)
    if method == BASELINE:
        import sklearn
        from sklearn.manifold import TSNE

        cpu0, rss0, t0 = _cpu(), _rss_mib(), time.perf_counter()
        X = np.asarray(values, np.float32)
        coords = TSNE(n_components=2, random_state=0, **params).fit_transform(X).astype(np.float32)
        out.update(fit_s=time.perf_counter() - t0, transform_s=0.0, fit_rows=int(X.shape[0]), note=f"sklearn {sklearn.__version__} defaults")
    else:
        extra = {"n_components": 10} if method in ("pca", "std-pca") else {}
        if method == "tsne-custom":
            reducer = _custom_tsne(random_state=0, **params)
        elif method == "umap-custom":
            reducer = _custom_umap(random_state=0, **params)
        elif method == "sklearn-pca":  # the baseline of our chunked PCA: scikit-learn on a float32 copy
            from sklearn.decomposition import PCA

            reducer = _SklearnPCA(PCA(n_components=10, random_state=0, **params))
        elif method in ("tsne", "umap") and values.shape[0] <= ON_DEMAND_LIMIT and "fit_rows" not in spec and "fit_limit" not in spec:
            # a subset the explorer shows: what MapStore.on_demand does
            settings, planned_rows = on_demand_plan(method, _Layer(values, offsets).segment_index(), params)
            reducer = make_reducer(method, random_state=0, **settings)
            out["path"] = "on-demand"
        else:
            reducer = make_reducer(method, random_state=0, **extra, **params)
        limit = spec.get("fit_limit", FIT_LIMITS.get(method.split("-")[0]))
        fit_rows = spec.get("fit_rows")
        if out.get("path") == "on-demand":
            fit_rows = planned_rows
        elif fit_rows is None:
            fit_rows = _sample_rows(_Layer(values, offsets), limit)
        elif isinstance(fit_rows, int):  # every k-th segment of every track
            fit_rows = np.flatnonzero(_Layer(values, offsets).segment_index() % fit_rows == 0)
        cpu0, rss0, t0 = _cpu(), _rss_mib(), time.perf_counter()
        X = values if method in ("pca", "std-pca") else np.asarray(values, np.float32)  # as MapStore.compute does
        timing = {}
        fit = reducer.fit

        def timed_fit(data, *, cancel=None):
            t = time.perf_counter()
            fit(data, cancel=cancel)
            timing["fit"] = time.perf_counter() - t
            return reducer

        reducer.fit = timed_fit

        def progress(done, total):
            print(f"   transform {done:,}/{total:,} at {time.perf_counter() - t0:.0f} s (load {load1():.1f})", file=sys.stderr, flush=True)

        coords = fit_coords(reducer, X, fit_rows=fit_rows, progress=progress if spec.get("verbose") else None)
        total = time.perf_counter() - t0
        out.update(fit_s=timing["fit"], transform_s=total - timing["fit"], fit_rows=int(len(fit_rows)) if fit_rows is not None else int(X.shape[0]))
        if hasattr(reducer, "explained_variance_ratio"):
            out["explained"] = reducer.explained_variance_ratio[:3]
        coords = coords[:, :2]
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = _cpu() - cpu0
    out["rss_before_mib"] = rss0
    out["peak_rss_mib"] = _rss_mib()
    out["load_end"] = load1()
    q = map_quality(np.asarray(values, np.float32) if values.shape[0] <= 5_000 else values, coords, k=10, sample=5_000)
    out.update(trust=q.trustworthiness, knn_kept=q.knn_kept)
    if spec.get("same_track"):
        out["same_track"] = same_track(coords, offsets)
    return out


def same_track(coords: np.ndarray, offsets: np.ndarray, *, k: int = 10, sample: int = 5_000) -> float:
    """Fraction of each sampled point's 10 nearest 2D neighbours (among all points) from its own track."""
    from sklearn.neighbors import NearestNeighbors

    track = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    rows = np.random.default_rng(0).choice(len(coords), size=min(sample, len(coords)), replace=False)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords).kneighbors(coords[rows], return_distance=False)[:, 1:]
    return float((track[nn] == track[rows][:, None]).mean())


def run_child(spec: dict, env: dict | None = None, timeout: float | None = None) -> dict:
    """``measure(spec)`` in a fresh Python process (so ``ru_maxrss`` is this measurement's)."""
    if env:
        env = {**os.environ, **env}
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True, env=env, timeout=timeout)
    if proc.stderr.strip() and spec.get("verbose"):
        sys.stderr.write(proc.stderr)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"method": spec.get("method"), "layer": spec.get("layer"), "error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["exit %d" % proc.returncode]}
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------- numba compile


COMPILE_CODE = r"""
import json, os, sys, time
t0 = time.perf_counter()
import numpy as np
sys.path.insert(0, sys.argv[1])
import umap  # noqa: F401  (imports pynndescent, which compiles/loads some functions)
from tagscape.projections.methods import UMAPReducer
t_import = time.perf_counter() - t0
rng = np.random.default_rng(1)
X = rng.normal(size=(5000, 50)).astype(np.float32)
Y = rng.normal(size=(1000, 50)).astype(np.float32)
out = {"import_s": t_import, "load": os.getloadavg()[0]}
if os.environ.get("TAGSCAPE_BENCH_WARM_UP"):  # what `tagscape serve` does when it starts
    from tagscape.projections.methods import warm_up_umap
    out["warm_up_s"] = warm_up_umap()
for name in ("first", "second"):
    t = time.perf_counter(); r = UMAPReducer().fit(X); out[name + "_fit_s"] = time.perf_counter() - t
    t = time.perf_counter(); r.transform(Y); out[name + "_transform_s"] = time.perf_counter() - t
print(json.dumps(out))
"""


def compile_section() -> list[dict]:
    say("\n== UMAP numba compile (5,000 x 50 fit + 1,000 transform; new process each row) " + "=" * 5)
    rows = []
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        cases = [
            ("fresh NUMBA_CACHE_DIR (cold)", {"NUMBA_CACHE_DIR": cache}),
            ("same NUMBA_CACHE_DIR, new process", {"NUMBA_CACHE_DIR": cache}),
            ("default cache (site-packages __pycache__)", {}),
            ("after warm_up_umap() (as `serve` starts)", {"TAGSCAPE_BENCH_WARM_UP": "1"}),
        ]
        for label, extra in cases:
            env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
            env.update(extra)
            proc = subprocess.run([sys.executable, "-c", COMPILE_CODE, str(ROOT / "src")], capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                say(f"   {label}: failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["case"] = label
            if label.startswith("same"):
                r["cache_files"] = sum(1 for p in Path(cache).rglob("*") if p.suffix in (".nbi", ".nbc"))
            rows.append(r)
            warm = f" (warm-up {r['warm_up_s']:.1f} s first)" if "warm_up_s" in r else ""
            say(
                f"   {label:44s} import {r['import_s']:5.1f} s{warm} | 1st fit {r['first_fit_s']:5.1f} s, transform {r['first_transform_s']:5.1f} s"
                f" | 2nd fit {r['second_fit_s']:4.1f} s, transform {r['second_transform_s']:4.1f} s | load {r['load']:.1f}"
            )
        cached = [r for r in rows if "cache_files" in r]
        if cached:
            say(f"   ({cached[0]['cache_files']} cache files were written to the fresh NUMBA_CACHE_DIR)")
    return rows


# ------------------------------------------------------------------------------------- driver


def fmt(r: dict) -> str:
    if "error" in r:
        return f"   {r['method']:12s} {r['layer']:10s} FAILED: {r['error']}"
    split = f"(fit {r['fit_s']:.1f} on {r['fit_rows']:,} + place {r['transform_s']:.1f})" if r.get("fit_rows", r["n"]) < r["n"] else ""
    warm = f" warm-up {r['warmup_s']:.0f} s" if "warmup_s" in r else ""
    extra = f" same-track {r['same_track']:.2f}" if "same_track" in r else ""
    params = f" {r['params']}" if r.get("params") else ""
    name = r["method"] + (" (on-demand)" if r.get("path") == "on-demand" else "")
    return (
        f"   {name:12s} {r['layer']:10s} {r['wall_s']:8.1f} s {split:32s} cpu {r['cpu_s']:7.1f} s | "
        f"peak {r['peak_rss_mib']:7,.0f} MiB (data {r['rss_before_mib']:6,.0f}) | trust {r['trust']:.3f} kNN {r['knn_kept']:.3f}{extra} | "
        f"load {r['load_start']:.1f}->{r['load_end']:.1f}{warm}{params}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="segment counts, comma-separated (4500000 = the whole MTG-Jamendo)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"of {', '.join(METHODS)}")
    parser.add_argument("--layers", default="embeddings", help="embeddings,taggrams")
    parser.add_argument("--skip-baseline", action="store_true", help=f"no {BASELINE} (it runs at sizes <= {BASELINE_MAX:,})")
    parser.add_argument("--skip-compile", action="store_true", help="no UMAP numba compile section")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "tagscape-bench-projections"))
    parser.add_argument("--json", help="also write all results here")
    parser.add_argument("--verbose", action="store_true", help="print transform progress")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(json.loads(args.child))))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    methods = [m for m in args.methods.split(",") if m]
    layers = [s for s in args.layers.split(",") if s]
    for m in methods:
        if m not in METHODS + (BASELINE, "sklearn-pca", "tsne-custom", "umap-custom"):
            parser.error(f"unknown method {m!r}")
    from tagscape.projections.maps import FIT_LIMITS, ON_DEMAND_LIMIT
    from tagscape.projections.methods import TSNEReducer, UMAPReducer

    say(f"projection benchmark; {os.cpu_count()} cores; load average {os.getloadavg()}; FIT_LIMITS {FIT_LIMITS}; ON_DEMAND_LIMIT {ON_DEMAND_LIMIT:,}")
    say(f"   {TSNEReducer(n_jobs=os.cpu_count())!r}\n   {UMAPReducer()!r}")
    results: list[dict] = []
    if not args.skip_compile and "umap" in methods:
        results += [{"section": "compile", **r} for r in compile_section()]
    data_dir = Path(args.data_dir)
    for n in sizes:
        t = time.perf_counter()
        folder = generate(n, data_dir)
        n_tracks = len(np.load(folder / "offsets.npy")) - 1
        say(f"\n== {n:,} segments ({n_tracks:,} tracks; data ready in {time.perf_counter() - t:.0f} s; load {load1():.1f}) " + "=" * 10)
        todo = list(methods)
        if not args.skip_baseline and n <= BASELINE_MAX:
            todo.append(BASELINE)
        if not args.skip_baseline and "pca" in methods:
            todo.insert(todo.index("pca") + 1, "sklearn-pca")
        for layer in layers:
            for method in todo:
                r = run_child({"folder": str(folder), "method": method, "layer": layer, "verbose": args.verbose})
                r["size"] = n
                results.append(r)
                say(fmt(r))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
