#!/usr/bin/env python
"""Extraction benchmark: decode, mel, each network, all four end to end, memory, scaling.

Usage::

    python bench/extract.py [FILE] [--vs-original] [--workers 1,2] [--minutes-long 60] [--variants]
    python bench/extract.py [FILE] --scheduler local:2 [--scheduler-repeats 2]
    python bench/extract.py [FILE] --vggish-only [--vggish-batch-sizes 1,2,4,8,16,32] [--threads 1,2]

``--vggish-only`` measures VGGish alone (its mel front end and its network with random weights
of the release's shapes, batch size x threads), next to the musicnn models' mel and networks.
VGGish is part of the full run too (its weights are in no package, so random ones are used).

``--scheduler`` times the same folder of tracks on the process pool and on Dask, alternating,
and prints Dask's overhead on one machine (nothing else is measured then).

Without FILE a ~4 minute recording is built from the music excerpts in tests/data/music
(looped, 44.1 kHz stereo MP3 written with PyAV); failing those, from /tmp/coll, and failing
that, from a synthesised signal. Every ratio printed is against a baseline measured in this
same run (the machine's own float32 matmul rate, one worker, the original implementation).

The machine may be shared: every timing also records how many cores *other* processes used
meanwhile (``others``, from /proc/stat minus this process's CPU time); runs disturbed by more
than --others-limit cores are retried, and the best undisturbed run is reported.

``--variants`` also measures configurations that tagscape does not ship (ONNX Runtime's
spinning threads and numpy's BLAS at its default thread count, both shipped until they were
measured to slow the four models together by 2.2x and 1.4x on 2 cores; no memory arena), to
show what a change in src/ would buy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import tagscape.models.session as session_module  # noqa: E402
from tagscape.audio.decode import stream_audio  # noqa: E402
from tagscape.audio.mel import VGGISH_MEL, PatchStream  # noqa: E402
from tagscape.models.checkpoint import load_checkpoint  # noqa: E402
from tagscape.models.registry import DEFAULT_MODELS, get_model  # noqa: E402
from tagscape.models.session import DEFAULT_BATCH_SIZE, converted_path, load_tagger  # noqa: E402

AUDIO_EXT = {".mp3", ".ogg", ".oga", ".opus", ".flac", ".wav", ".m4a", ".aac"}
SR_OUT = 44100
TFENV_PYTHON = Path("/tmp/tfenv/bin/python")
ORIGINAL_RUNNER = ROOT / "bench" / "original_runner.py"
OTHERS_LIMIT = 0.25  # cores; set from --others-limit
RETRY_WAIT = 60.0  # seconds to wait for an idle machine before retrying a disturbed run; --retry-wait


def say(*args) -> None:
    print(*args, flush=True)


def av_rate(path: Path) -> int:
    """The file's own sample rate."""
    import av

    with av.open(str(path)) as container:
        return container.streams.audio[0].codec_context.sample_rate


def section(title: str) -> None:
    say(f"\n== {title} " + "=" * max(0, 72 - len(title)))


# -- measuring on a shared machine -----------------------------------------------------------


def busy_seconds() -> float:
    """CPU seconds all processes on the machine have used so far (all cores, from /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass
class Meter:
    """Wall time, own CPU / wall, and the cores other processes used meanwhile."""

    wall: float = 0.0
    util: float = 0.0
    others: float = 0.0

    def __enter__(self) -> Meter:
        self._t, self._c, self._b = time.perf_counter(), own_cpu(), busy_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._t
        cpu = own_cpu() - self._c
        self.util = cpu / self.wall
        self.others = max(0.0, (busy_seconds() - self._b - cpu) / self.wall)

    @property
    def note(self) -> str:
        return f"cpu/wall {self.util:.2f}, others {self.others:.2f} cores"


def best_of(fn: Callable[[], object], repeats: int, max_tries: int | None = None) -> tuple[Meter, object, str]:
    """Run ``fn`` until ``repeats`` runs were undisturbed (or ``max_tries``); the fastest of those."""
    max_tries = max_tries or repeats + 3
    clean, everything, result = [], [], None
    while len(clean) < repeats and len(everything) < max_tries:
        with Meter() as m:
            result = fn()
        everything.append(m)
        if m.others <= OTHERS_LIMIT:
            clean.append(m)
        elif len(everything) < max_tries:
            wait_quiet(RETRY_WAIT, verbose=False)
    pool = clean or everything
    best = min(pool, key=lambda m: m.wall)
    flag = "" if clean else "  [DISTURBED: no run without other load]"
    return best, result, f"best of {len(pool)}{' clean' if clean else ''} ({best.note}){flag}"


def wait_quiet(max_wait: float, limit: float = 0.15, verbose: bool = True) -> None:
    """Wait (at most ``max_wait`` s) until other processes use less than ``limit`` cores for 3 s."""
    deadline = time.time() + max_wait
    quiet_since, waited = None, False
    while time.time() < deadline:
        b = busy_seconds()
        time.sleep(1.0)
        busy = busy_seconds() - b
        if busy < limit:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 3:
                break
        else:
            quiet_since = None
            if not waited and verbose:
                say(f"(machine busy: {busy:.1f} cores used by others; waiting up to {max_wait:.0f} s)")
                waited = True
    if waited and verbose:
        say(f"(waited {max_wait - max(0.0, deadline - time.time()):.0f} s)")


# -- audio material ----------------------------------------------------------------------


def decode_stereo(path: Path, sr: int = SR_OUT) -> np.ndarray:
    """Whole file as float32 ``(2, n)`` at ``sr`` (PyAV's resampler; only for building inputs)."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sr)
    parts = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray())
        for out in resampler.resample(None):
            parts.append(out.to_ndarray())
    return np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((2, 0), np.float32)


def synth_music(seconds: float, sr: int = SR_OUT, seed: int = 0) -> np.ndarray:
    """A plain musical signal: chords, bass line, kick/snare/hi-hat at 120 bpm. ``(2, n)``."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = np.zeros((2, n), np.float32)
    beat = int(sr * 0.5)
    t_beat = np.arange(beat) / sr
    progression = [[57, 60, 64], [53, 57, 60], [48, 52, 55], [55, 59, 62]]
    for b in range(n // beat):
        s = b * beat
        chord = progression[(b // 4) % 4]
        env = np.exp(-t_beat * 3.0)
        tone = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * k * t_beat) / k for m in chord for k in (1, 2, 3))
        bass = np.sign(np.sin(2 * np.pi * 440 * 2 ** ((chord[0] - 24 - 69) / 12) * t_beat)) * 0.3
        x = (0.08 * tone + 0.2 * bass) * env
        if b % 2 == 0:  # kick
            x += 0.8 * np.sin(2 * np.pi * (50 + 100 * np.exp(-t_beat * 30)) * t_beat) * np.exp(-t_beat * 12)
        else:  # snare
            x += 0.3 * rng.standard_normal(beat) * np.exp(-t_beat * 20)
        half = beat // 2
        hat = np.concatenate([rng.standard_normal(half) * np.exp(-t_beat[:half] * 60), rng.standard_normal(beat - half) * np.exp(-t_beat[: beat - half] * 60)])
        out[0, s : s + beat] = x + 0.05 * hat
        out[1, s : s + beat] = x - 0.025 * hat
    return np.clip(out * 0.7, -1, 1)


def source_material(seconds: float) -> tuple[np.ndarray, str]:
    """About ``seconds`` of real music (looped excerpts), ``(2, n)`` at 44.1 kHz, and its origin."""
    for folder in (ROOT / "tests" / "data" / "music", Path("/tmp/coll")):
        parts, names = [], []
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.suffix.lower() not in AUDIO_EXT:
                continue
            try:
                x = decode_stereo(path)
            except Exception:  # broken test files live there too
                continue
            if x.shape[1] >= SR_OUT:  # at least a second
                parts.append(x)
                names.append(path.name)
        if parts:
            looped, total = [], 0
            while total < seconds * SR_OUT:
                for x in parts:
                    looped.append(x)
                    total += x.shape[1]
            signal = np.concatenate(looped, axis=1)[:, : int(seconds * SR_OUT)]
            return signal, f"{folder} ({', '.join(names)}), looped"
    return synth_music(seconds), "synthesised (no music excerpts found)"


def encode_mp3(signal: np.ndarray, path: Path, sr: int = SR_OUT, bitrate: int = 192_000) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=sr, layout="stereo")
        stream.bit_rate = bitrate
        for i in range(0, signal.shape[1], sr):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(signal[:, i : i + sr]), format="fltp", layout="stereo")
            frame.sample_rate = sr
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def loop_file(src: Path, dst: Path, min_seconds: float) -> None:
    """Repeat ``src``'s compressed packets (no re-encoding) until ``dst`` lasts ``min_seconds``."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        in_stream = inp.streams.audio[0]
        out_stream = out.add_stream_from_template(in_stream)
        packets = [(bytes(p), p.pts, p.dts, p.duration) for p in inp.demux(in_stream) if p.size]
        span = packets[-1][1] + packets[-1][3] - packets[0][1]
        repeats = int(np.ceil(min_seconds / float(span * in_stream.time_base)))
        for r in range(repeats):
            for data, pts, dts, duration in packets:
                packet = av.Packet(data)
                packet.pts, packet.dts, packet.duration = pts + r * span, dts + r * span, duration
                packet.time_base = in_stream.time_base
                packet.stream = out_stream
                out.mux(packet)


def file_seconds(path: Path) -> float:
    with av.open(str(path)) as c:
        return c.duration / av.time_base


# -- FLOPs ---------------------------------------------------------------------------------


def musicnn_macs(v: dict, n_frames: int = 187, n_mels: int = 96) -> dict[str, int]:
    """MACs per patch of each Conv/MatMul of graphs.build_musicnn, from the checkpoint's shapes."""
    macs = {}
    for name in ("conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4"):
        kh, kw, cin, cout = v[f"{name}/kernel"].shape
        out_t, out_f = n_frames, n_mels - kw + 1  # "same" in time, "valid" in frequency
        macs[name] = out_t * out_f * cout * kh * kw * cin
    for name in ("conv2d_5", "conv2d_6", "conv2d_7"):
        kh, cin, _, cout = v[f"{name}/kernel"].shape  # (7, in, 1, out): 1-D over time, "same"
        macs[name] = n_frames * cout * kh * cin
    for name in ("dense", "dense_1"):
        k_in, k_out = v[f"{name}/kernel"].shape
        macs[name] = k_in * k_out
    return macs


def vgg_macs(v: dict, n_frames: int = 187, n_mels: int = 96) -> dict[str, int]:
    """MACs per patch of graphs.build_vgg: 3x3 "same" convs, each followed by its max-pool."""
    pools = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]
    t, f = n_frames, n_mels
    macs = {}
    for i, ((pk_t, pk_f), (ps_t, ps_f)) in enumerate(pools, start=1):
        kh, kw, cin, cout = v[f"{i}CNN/kernel"].shape
        macs[f"{i}CNN"] = t * f * cout * kh * kw * cin
        t, f = (t - pk_t) // ps_t + 1, (f - pk_f) // ps_f + 1
    k_in, k_out = v["dense/kernel"].shape
    macs["dense"] = k_in * k_out
    return macs


def onnx_macs(path: Path) -> int:
    """MACs per patch of every Conv / MatMul / Gemm in the converted graph (shape inference, batch 1)."""
    import onnx

    model = onnx.load(str(path))
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    dim.ClearField("dim_param")
    dim.dim_value = 1
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for info in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input):
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            w = inits[node.input[1]]  # (out, in / group, *kernel)
            total += int(np.prod(shapes[node.output[0]][1:])) * int(np.prod(w[1:]))
        elif node.op_type in ("MatMul", "Gemm"):
            w = inits[node.input[1]]
            total += int(np.prod(shapes[node.output[0]][:-1])) * w[0] * w[1]
    return total


def vggish_macs(n_frames: int = 96, n_mels: int = 64) -> dict[str, int]:
    """MACs per patch of graphs.build_vggish: six 3x3 "same" convs (four followed by 2x2 pools), three dense."""
    from tagscape.models.graphs import VGGISH_CONVS, VGGISH_DENSES, VGGISH_POOL_AFTER

    t, f, macs = n_frames, n_mels, {}
    for layer, cin, cout in VGGISH_CONVS:
        macs[layer] = t * f * cout * 9 * cin
        if layer in VGGISH_POOL_AFTER:
            t, f = t // 2, f // 2
    for layer, k_in, k_out in VGGISH_DENSES:
        macs[layer] = k_in * k_out
    return macs


def vggish_random_graph(folder: Path, seed: int = 0) -> Path:
    """VGGish's ONNX graph with random weights of the release's shapes (the real ones are not in any package)."""
    from tagscape.models.graphs import build_vggish, vggish_variable_shapes

    rng = np.random.default_rng(seed)
    weights = {name: (rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / max(1, int(np.prod(shape[:-1])))))) for name, shape in vggish_variable_shapes().items()}
    path = folder / "vggish-random.onnx"
    path.write_bytes(build_vggish(weights).SerializeToString())
    return path


def flops_per_patch(spec) -> tuple[float, float]:
    """(from the checkpoint's shapes, from the converted ONNX graph), 2 FLOPs per MAC."""
    variables = load_checkpoint(spec.weights_dir())
    macs = musicnn_macs(variables) if spec.architecture == "musicnn" else vgg_macs(variables)
    return 2.0 * sum(macs.values()), 2.0 * onnx_macs(converted_path(spec))


# -- measurements --------------------------------------------------------------------------


def matmul_gflops(threads: int, n: int = 2048, repeats: int = 5) -> tuple[float, str]:
    """Best numpy float32 ``n x n`` matmul rate in GFLOP/s with ``threads`` BLAS threads."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    with threadpool_limits(limits=threads, user_api="blas"):
        a @ b  # warm-up
        m, _, note = best_of(lambda: a @ b, repeats, max_tries=repeats + 10)
    return 2 * n**3 / m.wall / 1e9, note


def set_variant(spin: bool | None = None, arena: bool = True) -> None:
    """Patch ``session_options`` (this process only) to try settings tagscape does not ship."""
    original = getattr(session_module, "_bench_original_options", session_module.session_options)
    session_module._bench_original_options = original

    def options(threads):
        o = original(threads)
        if spin is not None:
            o.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        if not arena:
            o.enable_cpu_mem_arena = False
        return o

    session_module.session_options = original if (spin is None and arena) else options


def peak_rss_kib() -> int:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over fork + exec
    from the parent, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_memory(path: str, batch_size: int, variant: str) -> None:
    """Runs in a fresh process: peak RSS after loading the models and after analysing ``path``."""
    if variant == "noarena":
        set_variant(arena=False)
    from tagscape.pipeline import Extractor

    rss0 = peak_rss_kib()
    t = time.perf_counter()
    extractor = Extractor(batch_size=batch_size)
    load = time.perf_counter() - t
    rss_loaded = peak_rss_kib()
    t = time.perf_counter()
    analysis = extractor.analyze(path)
    wall = time.perf_counter() - t
    print(json.dumps({
        "rss_start_kib": rss0, "rss_loaded_kib": rss_loaded, "rss_peak_kib": peak_rss_kib(),
        "load_s": load, "analyze_s": wall, "audio_seconds": analysis.duration_seconds,
    }))


def run_child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed (rc {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def wait_for_original(max_wait: float) -> bool:
    deadline = time.time() + max_wait
    announced = False
    while True:
        if TFENV_PYTHON.is_file() and ORIGINAL_RUNNER.is_file():
            return True
        if time.time() >= deadline:
            return False
        if not announced:
            say(f"waiting up to {max_wait / 60:.0f} min for {TFENV_PYTHON} and {ORIGINAL_RUNNER} ...")
            announced = True
        time.sleep(min(20.0, max(0.0, deadline - time.time())))


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    global OTHERS_LIMIT, RETRY_WAIT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="a 3-5 minute recording (default: built from tests/data/music)")
    parser.add_argument("--vs-original", action="store_true", help="also time the original (TensorFlow) implementation")
    parser.add_argument("--vs-essentia", action="store_true", help="also time Essentia (whole processes and steady state, one model and four); "
                        "needs --essentia-python and --essentia-graphs, see bench/vs_essentia.py")
    parser.add_argument("--essentia-python", default="/tmp/esenv/bin/python", help="a Python with essentia-tensorflow")
    parser.add_argument("--essentia-graphs", default="/tmp/frozen", help="frozen graphs from tests/data/reference/make_reference.py --freeze")
    parser.add_argument("--essentia-only", action="store_true", help="with --vs-essentia: only that comparison")
    parser.add_argument("--original-wait", type=float, default=1800, help="seconds to wait for /tmp/tfenv and the runner")
    parser.add_argument("--original-threads", type=int, default=None, help="--threads for the original runner")
    parser.add_argument("--workers", default="", help="comma-separated worker counts for a folder run, e.g. 1,2")
    parser.add_argument("--scheduler", default="", help="time a folder run on Dask (e.g. local:2) against the process pool of as many workers; "
                        "skips the other sections")
    parser.add_argument("--scheduler-repeats", type=int, default=2, help="runs of each (pool, Dask), alternating")
    parser.add_argument("--minutes-long", type=float, default=60, help="length of the long file for peak memory (0: skip)")
    parser.add_argument("--mem-batch-sizes", default="1,4,16,64", help="batch sizes whose peak RSS is measured on the short file")
    parser.add_argument("--batch-sizes", default="1,4,8,16,32,64", help="batch sizes to sweep")
    parser.add_argument("--e2e-batch-sizes", default="1,4,16", help="batch sizes timed end to end (plus the default and the sweep's best)")
    parser.add_argument("--threads", default="1,2", help="ONNX Runtime thread counts to sweep")
    parser.add_argument("--sweep-patches", type=int, default=64, help="patches per sweep measurement")
    parser.add_argument("--sweep-models", default="all", help="'all', or comma-separated model ids")
    parser.add_argument("--repeats", type=int, default=3, help="best of N undisturbed runs for the main timings")
    parser.add_argument("--sweep-repeats", type=int, default=1, help="best of N undisturbed runs per sweep cell")
    parser.add_argument("--others-limit", type=float, default=0.25, help="a run during which other processes used more cores is retried")
    parser.add_argument("--retry-wait", type=float, default=60, help="seconds to wait for an idle machine before retrying a disturbed run")
    parser.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for an idle machine before each section")
    parser.add_argument("--variants", action="store_true", help="also time settings tagscape does not ship (spinning, BLAS threads, arena)")
    parser.add_argument("--vggish-only", action="store_true", help="only VGGish (mel and network with random weights) beside the musicnn mel")
    parser.add_argument("--vggish-batch-sizes", default="1,2,4,8,16,32", help="batch sizes to sweep for VGGish")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--_child-memory", dest="child_memory", help=argparse.SUPPRESS)
    parser.add_argument("--_child-batch", dest="child_batch", type=int, default=DEFAULT_BATCH_SIZE, help=argparse.SUPPRESS)
    parser.add_argument("--_child-variant", dest="child_variant", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OTHERS_LIMIT = args.others_limit
    RETRY_WAIT = args.retry_wait

    if args.child_memory:
        child_memory(args.child_memory, args.child_batch, args.child_variant)
        return

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="tagscape-bench-"))
    try:
        Bench(args, tmp).run()
    finally:
        if args.keep:
            say(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")


class Bench:
    def __init__(self, args, tmp: Path):
        self.args = args
        self.tmp = tmp

    def quiet(self) -> None:
        wait_quiet(self.args.quiet_wait)

    def run(self) -> None:
        args = self.args
        if args.scheduler:  # the comparison alone; no matmul baseline (both sides run the same code)
            say(f"cpus: {os.cpu_count()}   python {sys.version.split()[0]}   load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            self.input()
            self.scheduler_overhead()
            return
        if args.vs_essentia and args.essentia_only:
            say(f"cpus: {os.cpu_count()}   python {sys.version.split()[0]}")
            self.input()
            self.essentia()
            return
        self.machine()
        self.input()
        self.front_end()
        if args.vggish_only:
            self.models_alone()
            self.vggish()
            return
        self.models_alone()
        self.vggish()
        self.sweep()
        self.end_to_end()
        if args.minutes_long > 0:
            self.memory()
        if args.vs_original:
            self.original()
        if args.vs_essentia:
            self.essentia()
        if args.workers:
            self.workers()
        self.summary()

    # -- sections ------------------------------------------------------------------------

    def machine(self) -> None:
        import onnxruntime as ort

        self.quiet()
        section("machine")
        say(f"cpus: {os.cpu_count()}   python {sys.version.split()[0]}   numpy {np.__version__}   onnxruntime {ort.__version__}   PyAV {av.__version__}")
        self.mm = {}
        for threads in (1, 2):
            rate, note = matmul_gflops(threads)
            self.mm[threads] = rate
            say(f"numpy float32 2048x2048 matmul, {threads} thread(s): {rate:6.1f} GFLOP/s  ({note})")

    def input(self) -> None:
        section("input")
        t = time.perf_counter()
        if self.args.file:
            self.path, origin = Path(self.args.file), "given"
        else:
            signal, origin = source_material(240)
            self.path = self.tmp / "bench-4min.mp3"
            encode_mp3(signal, self.path)
        say(f"file: {self.path}  ({origin}; {file_seconds(self.path):.1f} s, {self.path.stat().st_size / 1e6:.1f} MB; ready in {time.perf_counter() - t:.1f} s)")

    def front_end(self) -> None:
        self.quiet()
        section("decode only: stream_audio(file, sr=16000)")
        m, chunks, note = best_of(lambda: list(stream_audio(self.path, sr=16000)), 5)
        self.audio_s = sum(c.size for c in chunks) / 16000
        self.decode_s = m.wall
        say(f"{self.audio_s:.1f} s of audio in {m.wall:.3f} s: {self.audio_s / m.wall:8.1f} x real time  ({note})")

        section("mel only: PatchStream over the decoded chunks")

        def mel():
            stream = PatchStream()
            parts = [stream.push(chunk) for chunk in chunks]
            parts.append(stream.finish())
            return np.concatenate(parts)

        m, self.patches, note = best_of(mel, 5)
        self.mel_s = m.wall
        say(f"{len(self.patches)} patches {self.patches.shape[1:]} in {m.wall:.3f} s: {self.audio_s / m.wall:8.1f} x real time  ({note})")

    def models_alone(self) -> None:
        self.quiet()
        section(f"each model alone on the {len(self.patches)} precomputed patches (load_tagger(spec, threads=2), batch {DEFAULT_BATCH_SIZE})")
        self.flops, self.alone = {}, {}
        for model_id in DEFAULT_MODELS:
            spec = get_model(model_id)
            ckpt, graph = flops_per_patch(spec)
            self.flops[model_id] = ckpt
            tagger = load_tagger(spec, threads=2)
            tagger(self.patches[:DEFAULT_BATCH_SIZE])  # warm-up: ORT plans its memory on the first call
            m, _, note = best_of(lambda: tagger(self.patches), self.args.repeats)
            self.alone[model_id] = m.wall
            rate = len(self.patches) * ckpt / m.wall / 1e9
            say(
                f"{model_id:12s} {ckpt / 1e9:5.3f} GFLOP/patch (ONNX graph: {graph / 1e9:5.3f})  {m.wall:5.2f} s  "
                f"{self.audio_s / m.wall:6.1f} x real time  {rate:6.1f} GFLOP/s = {100 * rate / self.mm[2]:5.1f} % of matmul  ({note})"
            )
        serial = sum(self.alone.values())
        say(f"the four one after another: {serial:.2f} s -> {self.audio_s / serial:.1f} x real time (networks only)")
        say(f"target: each network >= 40 % of the matmul rate ({self.mm[2]:.1f} GFLOP/s, 2 threads)")

    def vggish(self) -> None:
        """VGGish: its own front end (0.96 s patches) and its network with random weights, batch x threads."""
        from tagscape.models.registry import VGGISH
        from tagscape.models.session import Tagger, session_options

        import onnxruntime as ort

        args = self.args
        self.quiet()
        section("VGGish resampling to 16 kHz: decode + resample, as its release (resampy kaiser_best) and as the taggers (soxr HQ)")
        import resampy

        from tagscape.audio.resample import RESAMPY_KAISER_BEST, SOXR_HQ

        native = list(stream_audio(self.path, sr=int(av_rate(self.path))))
        timings = {}
        for label, run in (
            ("decode + soxr HQ (the taggers' front end; VGGish's before)", lambda: list(stream_audio(self.path, sr=16000, resampler=SOXR_HQ))),
            ("decode + kaiser_best, tagscape's polyphase product (VGGish's now)", lambda: list(stream_audio(self.path, sr=16000, resampler=RESAMPY_KAISER_BEST))),
            ("resampy.resample of the decoded signal alone (the library's own loop)", lambda: resampy.resample(np.concatenate(native).astype(np.float64), int(av_rate(self.path)), 16000)),
        ):
            m, _, note = best_of(run, 3)
            timings[label] = m.wall
            say(f"{label}: {m.wall:.3f} s, {self.audio_s / m.wall:8.1f} x real time  ({note})")
        say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        section("VGGish mel only: PatchStream(params=VGGISH_MEL) over the decoded chunks")
        chunks = list(stream_audio(self.path, sr=16000, resampler=RESAMPY_KAISER_BEST))

        def mel():
            stream = PatchStream(params=VGGISH_MEL)
            parts = [stream.push(chunk) for chunk in chunks]
            parts.append(stream.finish())
            return np.concatenate(parts)

        m, patches, note = best_of(mel, 5)
        say(f"{len(patches)} patches {patches.shape[1:]} in {m.wall:.3f} s: {self.audio_s / m.wall:8.1f} x real time "
            f"(musicnn/VGG front end: {self.audio_s / self.mel_s:.1f} x)  ({note})")
        say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        self.quiet()
        macs = vggish_macs()
        flops = 2.0 * sum(macs.values())
        t = time.perf_counter()
        path = vggish_random_graph(self.tmp)
        say(f"\nVGGish network, random weights (72.1 M parameters; graph built in {time.perf_counter() - t:.1f} s): "
            f"{flops / 1e9:.3f} GFLOP per 0.96 s patch (ONNX graph: {2 * onnx_macs(path) / 1e9:.3f}); "
            f"dense layers {100 * sum(v for k, v in macs.items() if k.startswith('fc')) / sum(macs.values()):.0f} % of it")
        batch_sizes = [int(b) for b in args.vggish_batch_sizes.split(",") if b]
        thread_counts = [int(x) for x in args.threads.split(",") if x]
        n = max(64, max(batch_sizes) * 2)
        sweep_patches = np.concatenate([patches] * (-(-n // len(patches))))[:n]
        say(f"{n} patches per cell ({n * VGGISH.segment_seconds:.0f} s of audio), best of {args.sweep_repeats}; '*' = disturbed by other load")
        say("threads" + "".join(f"{'b=' + str(b):>19s}" for b in batch_sizes))
        results = {}
        for threads in thread_counts:
            session = ort.InferenceSession(str(path), sess_options=session_options(threads), providers=["CPUExecutionProvider"])
            tagger = Tagger(VGGISH, session)
            cells = []
            for b in batch_sizes:
                tagger.batch_size = b
                tagger(sweep_patches[:b])  # warm-up
                m, _, note = best_of(lambda: tagger(sweep_patches), args.sweep_repeats)
                pps = n / m.wall
                results[threads, b] = pps
                cells.append(f"{pps:6.1f} ({pps * VGGISH.segment_seconds:5.1f}x){'*' if 'DISTURBED' in note else ' '}")
            say(f"{threads:7d}" + "".join(f"{c:>19s}" for c in cells))
            del tagger, session
        (pps, threads, b) = max((v, t, b) for (t, b), v in results.items())
        gf = pps * flops / 1e9
        say(f"best VGGish: batch {b}, {threads} thread(s): {pps:.1f} patches/s = {pps * VGGISH.segment_seconds:.1f} x real time, "
            f"{gf:.1f} GFLOP/s = {100 * gf / self.mm[threads]:.1f} % of matmul ({threads} thr)")
        shipped = getattr(session_module, "VGGISH_BATCH_SIZE", DEFAULT_BATCH_SIZE)
        say(f"VGGish's default batch size (session.VGGISH_BATCH_SIZE) is {shipped}: "
            f"{results.get((max(thread_counts), shipped), float('nan')):.1f} patches/s at {max(thread_counts)} threads")
        for model_id, seconds in getattr(self, "alone", {}).items():
            say(f"  vs {model_id:12s} network alone: {self.audio_s / seconds:6.1f} x real time")
        say(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    def sweep(self) -> None:
        args = self.args
        self.quiet()
        section("batch size x ONNX Runtime threads: patches/s (x real time)")
        batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
        thread_counts = [int(t) for t in args.threads.split(",") if t]
        model_ids = list(DEFAULT_MODELS) if args.sweep_models == "all" else args.sweep_models.split(",")
        patches = self.patches
        if len(patches) < args.sweep_patches:
            patches = np.concatenate([patches] * (-(-args.sweep_patches // len(patches))))
        patches = patches[: args.sweep_patches]
        seg = get_model(model_ids[0]).segment_seconds
        say(f"{len(patches)} patches per cell, {args.sweep_repeats} undisturbed run(s) each; '*' = disturbed by other load")
        say("model        thr" + "".join(f"{'b=' + str(b):>17s}" for b in batch_sizes))
        self.pps: dict[tuple[str, int, int], float] = {}
        for model_id in model_ids:
            for threads in thread_counts:
                tagger = load_tagger(get_model(model_id), threads=threads)
                cells = []
                for b in batch_sizes:
                    tagger.batch_size = b
                    tagger(patches[:b])
                    m, _, note = best_of(lambda: tagger(patches), args.sweep_repeats)
                    pps = len(patches) / m.wall
                    self.pps[model_id, threads, b] = pps
                    cells.append(f"{pps:6.1f} ({pps * seg:5.1f}x){'*' if 'DISTURBED' in note else ' '}")
                say(f"{model_id:12s} {threads:3d}" + "".join(f"{c:>17s}" for c in cells))
                del tagger
        for model_id in model_ids:
            (pps, threads, b) = max((v, t, b) for (m, t, b), v in self.pps.items() if m == model_id)
            gf = pps * self.flops[model_id] / 1e9
            say(f"best {model_id:12s}: batch {b:2d}, {threads} thread(s): {pps:6.1f} patches/s, {gf:6.1f} GFLOP/s = {100 * gf / self.mm[threads]:5.1f} % of matmul ({threads} thr)")
        max_threads = max(thread_counts)
        per_batch = {b: sum(1 / self.pps[m, max_threads, b] for m in model_ids) for b in batch_sizes}
        self.best_batch = min(per_batch, key=per_batch.get)
        say(f"all models, {max_threads} threads, seconds per patch by batch size: " + ", ".join(f"{b}: {1000 * s:.1f} ms" for b, s in per_batch.items()))
        say(f"fastest batch size overall: {self.best_batch} (DEFAULT_BATCH_SIZE is {DEFAULT_BATCH_SIZE})")

    def _e2e(self, label: str, batch_size: int, *, spin: bool | None = None, blas_default: bool = False, side_by_side: bool | None = None) -> float:
        """``blas_default``: numpy's BLAS at its own thread count instead of ``pipeline.BLAS_THREADS``;
        ``side_by_side=False``: the models one after the other, each on all cores (shipped before)."""
        self.quiet()
        from tagscape import pipeline
        from tagscape.pipeline import Extractor

        set_variant(spin=spin)
        t = time.perf_counter()
        extractor = Extractor(batch_size=batch_size, side_by_side=side_by_side)
        load_s = time.perf_counter() - t
        set_variant()
        shipped, pipeline.BLAS_THREADS = pipeline.BLAS_THREADS, (None if blas_default else pipeline.BLAS_THREADS)
        try:
            extractor.analyze(self.path)  # warm-up
            m, analysis, note = best_of(lambda: extractor.analyze(self.path), self.args.repeats)
        finally:
            pipeline.BLAS_THREADS = shipped
        total_flops = sum(self.flops[mid] * o.n_segments for mid, o in analysis.models.items())
        gf = total_flops / m.wall / 1e9
        say(
            f"{label:34s} {m.wall:5.2f} s  {self.audio_s / m.wall:5.1f} x real time  {gf:6.1f} GFLOP/s = {100 * gf / self.mm[2]:5.1f} % of matmul"
            f"  (load {load_s:.2f} s; {note})"
        )
        self.load_s = load_s
        return m.wall

    def end_to_end(self) -> None:
        section("all four end to end: Extractor(batch_size=B).analyze(file), models loaded")
        sizes = sorted({DEFAULT_BATCH_SIZE, self.best_batch, *[int(b) for b in self.args.e2e_batch_sizes.split(",") if b]})
        self.e2e = {}
        for b in sizes:
            notes = [n for n, cond in (("default", b == DEFAULT_BATCH_SIZE), ("fastest in sweep", b == self.best_batch)) if cond]
            self.e2e[b] = self._e2e(f"batch {b}" + (f" ({', '.join(notes)})" if notes else ""), b)
        serial = self._e2e(f"batch {DEFAULT_BATCH_SIZE}, one model after another", DEFAULT_BATCH_SIZE, side_by_side=False)
        say(f"models side by side (one thread each) vs one after another (all threads each): {serial / self.e2e[DEFAULT_BATCH_SIZE]:.2f}x")
        share = 100 * (self.decode_s + self.mel_s) / self.e2e[DEFAULT_BATCH_SIZE]
        say(f"decode + mel (measured alone) = {share:.1f} % of the default end-to-end time")
        self.variant_e2e = {}
        if self.args.variants:
            say("variants (not what tagscape ships):")
            for b in sizes:
                self._e2e(f"batch {b}, ORT spinning on (shipped before)", b, spin=True)
                self.variant_e2e[b] = self._e2e(f"batch {b}, BLAS default threads (shipped before)", b, blas_default=True)

    def memory(self) -> None:
        args = self.args
        self.quiet()
        section("peak RSS (VmHWM of a fresh process): Extractor(batch_size=B).analyze(file), all four models")
        t = time.perf_counter()
        long_path = self.tmp / f"bench-{args.minutes_long:g}min.mp3"
        loop_file(self.path, long_path, args.minutes_long * 60)
        say(f"long file: {file_seconds(long_path) / 60:.1f} min, {long_path.stat().st_size / 1e6:.0f} MB (looped packets, built in {time.perf_counter() - t:.1f} s)")
        runs = [(self.path, b, "") for b in [int(b) for b in args.mem_batch_sizes.split(",") if b]]
        runs.append((long_path, DEFAULT_BATCH_SIZE, ""))
        if args.variants:
            runs.append((self.path, DEFAULT_BATCH_SIZE, "noarena"))
            if self.best_batch != DEFAULT_BATCH_SIZE:
                runs.append((long_path, self.best_batch, ""))
        self.long_peak = {}
        for p, b, variant in runs:
            r = run_child(["--_child-memory", str(p), "--_child-batch", str(b), "--_child-variant", variant])
            label = f"{r['audio_seconds'] / 60:4.1f} min, batch {b:2d}{', no ORT arena' if variant else ''}"
            if p == long_path and not variant:
                self.long_peak[b] = r["rss_peak_kib"]
            say(
                f"{label:34s} peak {r['rss_peak_kib'] / 1024:7.1f} MiB (after imports {r['rss_start_kib'] / 1024:.0f}, "
                f"after model load {r['rss_loaded_kib'] / 1024:.0f}); analyze {r['analyze_s']:.1f} s = {r['audio_seconds'] / r['analyze_s']:.1f} x real time"
            )
        peak = self.long_peak[DEFAULT_BATCH_SIZE]
        say(f"target: < 1024 MiB for a {args.minutes_long:g}-minute file at the default batch -> {'MET' if peak < 1024 * 1024 else 'NOT MET'} ({peak / 1024:.0f} MiB)")

    def essentia(self) -> None:
        """tagscape against Essentia, the tool MTG's explorer extracted with (bench/vs_essentia.py)."""
        import importlib.util

        spec = importlib.util.spec_from_file_location("vs_essentia", Path(__file__).with_name("vs_essentia.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.quiet()
        section("versus Essentia (MonoLoader at 16 kHz + TensorflowPredictMusiCNN, patchHopSize 187), alternating, best of --repeats")
        module.timing(self.path, graphs=self.args.essentia_graphs, essentia_python=self.args.essentia_python, repeats=self.args.repeats, say=say)

    def original(self) -> None:
        args = self.args
        section("versus the original implementation (TensorFlow musicnn, four models one after another)")
        self.orig = None
        if not wait_for_original(args.original_wait):
            say(f"original not available: {TFENV_PYTHON} or {ORIGINAL_RUNNER} still missing after {args.original_wait:.0f} s")
            return
        self.quiet()
        extra = ["--threads", str(args.original_threads)] if args.original_threads else []
        with Meter() as m:
            proc = subprocess.run([str(TFENV_PYTHON), str(ORIGINAL_RUNNER), str(self.path), *extra], capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("{")]
        if proc.returncode != 0 or not lines:
            say(f"original runner failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
            return
        orig = json.loads(lines[-1])
        self.orig = float(orig["seconds_total"])
        say(f"runner output: {json.dumps(orig)}")
        say(f"original: {self.orig:.2f} s for the four -> {orig.get('audio_seconds', self.audio_s) / self.orig:.1f} x real time  (subprocess {m.note})")
        for b, s in self.e2e.items():
            say(f"tagscape batch {b:2d}: {s:.2f} s (models loaded), {s + self.load_s:.2f} s with model loading -> speedup {self.orig / s:.2f}x / {self.orig / (s + self.load_s):.2f}x")
        for b, s in self.variant_e2e.items():
            say(f"variant batch {b:2d}, BLAS default threads: {s:.2f} s -> speedup {self.orig / s:.2f}x")
        ok = self.orig / self.e2e[DEFAULT_BATCH_SIZE] >= 3
        say(f"target: >= 3x at the default batch -> {'MET' if ok else 'NOT MET'}")

    def workers(self) -> None:
        from tagscape.collection import index_folder, open_collection
        from tagscape.extract import extract_collection

        counts = [int(w) for w in self.args.workers.split(",") if w]
        section(f"folder run: extract_collection(collection, workers=N) for N in {counts}")
        folder = self.track_folder()
        configs = [(w, None) for w in counts]
        if self.args.variants:
            configs += [(w, "1") for w in counts if w > 1]
        self.worker_rates = {}
        for workers, blas in configs:
            self.quiet()
            data = self.tmp / f"data-w{workers}"
            index_folder(folder, data_dir=data)
            collection = open_collection(data)
            saved = os.environ.get("OPENBLAS_NUM_THREADS")
            if blas:
                os.environ["OPENBLAS_NUM_THREADS"] = blas  # read by the spawned workers' OpenBLAS
            try:
                with Meter() as m:
                    report = extract_collection(collection, workers=workers)
            finally:
                if blas:
                    if saved is None:
                        os.environ.pop("OPENBLAS_NUM_THREADS", None)
                    else:
                        os.environ["OPENBLAS_NUM_THREADS"] = saved
            collection.close()
            shutil.rmtree(data, ignore_errors=True)
            hours_per_s = report.audio_seconds / 3600 / m.wall
            if blas is None:
                self.worker_rates[workers] = hours_per_s
            base = self.worker_rates.get(1) or next(iter(self.worker_rates.values()))
            label = f"workers={workers}" + (f", OPENBLAS_NUM_THREADS={blas} (variant)" if blas else "")
            say(
                f"{label:44s} {report.done} done, {report.failed} failed: {m.wall:5.1f} s, {hours_per_s:.5f} h of audio/s "
                f"({report.audio_seconds / m.wall:5.1f} x real time), speedup vs workers=1: {hours_per_s / base:.2f}x  (machine busy {m.util + m.others:.2f} cores)"
            )

    def track_folder(self) -> Path:
        """Eight MP3 tracks (30-60 s, 360 s in all) cut from the input file."""
        folder = self.tmp / "folder"
        if folder.is_dir():
            return folder
        folder.mkdir()
        signal = decode_stereo(self.path)
        rng = np.random.default_rng(1)
        lengths = [30, 60, 40, 50, 35, 55, 45, 45]
        t = time.perf_counter()
        for i, seconds in enumerate(lengths):
            n = seconds * SR_OUT
            start = int(rng.integers(0, max(1, signal.shape[1] - n)))
            encode_mp3(signal[:, start : start + n], folder / f"track{i:02d}.mp3")
        say(f"{len(lengths)} MP3 tracks, {sum(lengths)} s of audio (built in {time.perf_counter() - t:.1f} s); times include worker start and model loading")
        return folder

    def scheduler_overhead(self) -> None:
        """The same folder on the process pool and on Dask, alternating; Dask's overhead on one machine."""
        from tagscape.collection import index_folder, open_collection
        from tagscape.distributed import parse_scheduler
        from tagscape.extract import extract_collection

        scheduler = parse_scheduler(self.args.scheduler)
        workers = scheduler.n_workers or 2
        section(f"Dask ({scheduler}) vs the process pool (workers={workers}), all four models, {self.args.scheduler_repeats} runs each")
        folder = self.track_folder()
        runs: dict[str, list[float]] = {"pool": [], "dask": []}
        first: dict[str, list[float]] = {"pool": [], "dask": []}  # start to the first file stored: workers up, models loaded
        rest: dict[str, list[float]] = {"pool": [], "dask": []}  # first to last file stored: the steady state
        cpu: dict[str, list[float]] = {"pool": [], "dask": []}  # CPU seconds of this process and its workers
        import psutil

        me = psutil.Process()
        for r in range(self.args.scheduler_repeats):
            self.quiet()
            for label in ("pool", "dask") if r % 2 == 0 else ("dask", "pool"):
                data = self.tmp / f"data-{label}-{r}"
                index_folder(folder, data_dir=data)
                marks: list[float] = []
                worker_cpu: dict[int, float] = {}

                def progress(done: int, total: int, seconds: float) -> None:
                    marks.append(time.perf_counter())
                    for child in me.children(recursive=True):  # workers exit (unreaped) after the run: sample them now
                        try:
                            times = child.cpu_times()
                            worker_cpu[child.pid] = times.user + times.system
                        except psutil.Error:
                            pass

                own0 = time.process_time()
                with open_collection(data) as collection, Meter() as m:
                    started = time.perf_counter()
                    if label == "pool":
                        report = extract_collection(collection, workers=workers, progress=progress)
                    else:
                        report = extract_collection(collection, scheduler=str(scheduler), progress=progress)
                shutil.rmtree(data, ignore_errors=True)
                cpu[label].append(time.process_time() - own0 + sum(worker_cpu.values()))
                runs[label].append(m.wall)
                first[label].append(marks[0] - started)
                rest[label].append(marks[-1] - marks[0])
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                say(f"{label:4s} run {r + 1}: {report.done} done, {report.failed} failed, {m.wall:6.1f} s (first file after {marks[0] - started:4.1f} s, "
                    f"the other {len(marks) - 1} in {marks[-1] - marks[0]:5.1f} s), CPU {cpu[label][-1]:5.1f} s, {report.audio_seconds / m.wall:5.1f} x real time  "
                    f"({m.note}; load average {load})")
        best = {label: min(times) for label, times in runs.items()}
        middle = {label: statistics.median(times) for label, times in runs.items()}
        overhead = middle["dask"] / middle["pool"] - 1
        say(f"whole run: median pool {middle['pool']:.1f} s, Dask {middle['dask']:.1f} s -> Dask overhead {100 * overhead:+.1f} % "
            f"(best against best: {best['pool']:.1f} s vs {best['dask']:.1f} s, {100 * (best['dask'] / best['pool'] - 1):+.1f} %)")
        say(f"start (to the first file): median pool {statistics.median(first['pool']):.1f} s, Dask {statistics.median(first['dask']):.1f} s; "
            f"steady state (first to last file): median pool {statistics.median(rest['pool']):.1f} s, Dask {statistics.median(rest['dask']):.1f} s "
            f"({100 * (statistics.median(rest['dask']) / statistics.median(rest['pool']) - 1):+.1f} %)")
        cpu_overhead = statistics.median(cpu["dask"]) / statistics.median(cpu["pool"]) - 1
        say(f"CPU seconds (this process + its workers, less sensitive to other load than wall time): median pool {statistics.median(cpu['pool']):.1f} s, "
            f"Dask {statistics.median(cpu['dask']):.1f} s ({100 * cpu_overhead:+.1f} %)")
        say(f"target: Dask overhead < 15 % (medians of the whole run's wall time) -> {'MET' if overhead < 0.15 else 'NOT MET'}")

    def summary(self) -> None:
        section("summary")
        say(f"matmul baseline: {self.mm[2]:.1f} GFLOP/s (2 threads), {self.mm[1]:.1f} (1 thread)")
        for model_id, s in self.alone.items():
            gf = len(self.patches) * self.flops[model_id] / s / 1e9
            say(f"{model_id:12s} alone, batch {DEFAULT_BATCH_SIZE}: {gf:6.1f} GFLOP/s = {100 * gf / self.mm[2]:5.1f} % of matmul (target >= 40 %)")
        for b, s in self.e2e.items():
            say(f"end to end, batch {b:2d}: {self.audio_s / s:.1f} x real time")
        for b, s in getattr(self, "variant_e2e", {}).items():
            say(f"end to end, batch {b:2d}, variant BLAS default threads: {self.audio_s / s:.1f} x real time")
        if getattr(self, "long_peak", None):
            for b, kib in self.long_peak.items():
                say(f"peak RSS, {self.args.minutes_long:g}-minute file, batch {b:2d}: {kib / 1024:.0f} MiB (target < 1024)")
        if getattr(self, "orig", None):
            for b, s in self.e2e.items():
                say(f"vs original, batch {b:2d}: {self.orig / s:.2f}x (target >= 3x)")
            for b, s in self.variant_e2e.items():
                say(f"vs original, batch {b:2d}, variant BLAS default threads: {self.orig / s:.2f}x")
        if getattr(self, "worker_rates", None) and 1 in self.worker_rates:
            for w, r in self.worker_rates.items():
                say(f"workers={w}: {r / self.worker_rates[1]:.2f}x the 1-worker rate")


if __name__ == "__main__":
    main()
