#!/usr/bin/env python
"""Placing a new file on existing maps: a ~4 minute MP3 onto the PCA and t-SNE maps of a small
collection (the real excerpts of tests/data/music), against a baseline measured in the same run.

Usage::

    python bench/place.py [FILE] [--model musicnn-msd] [--repeats 3]

Without FILE: /tmp/bench-4min.mp3 when it exists, else ~4 minutes of the excerpts looped and
written as a 192 kbit/s MP3 with PyAV (bench/extract.py's helpers).

Timed, alternating, best of ``--repeats`` (the machine may be shared):

- baseline: ``tagscape analyze FILE -m MODEL -o OUT.npz`` in a new process (load the model,
  decode, analyse, write): what the placement must do anyway;
- ``tagscape place FILE -c DIR -m MODEL --projection pca --projection tsne`` in a new process
  (the same plus opening the collection, both maps' reducers and the nearest tracks);
- a server's placement: ``Placer.place`` in this process with the model already loaded (what
  ``POST /api/place`` costs after its first request).

The target is 10 s for the new-process placement on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

TAGSCAPE = [sys.executable, "-m", "tagscape.cli"]
DEFAULT_FILE = Path("/tmp/bench-4min.mp3")


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def the_file(given: str | None, folder: Path) -> Path:
    if given:
        return Path(given)
    if DEFAULT_FILE.is_file():
        return DEFAULT_FILE
    from extract import encode_mp3, source_material  # bench/extract.py

    signal, origin = source_material(240.0)
    path = folder / "four-minutes.mp3"
    encode_mp3(signal, path)
    print(f"built {path} from {origin}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?")
    parser.add_argument("--model", default="musicnn-msd")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from tagscape.audio.decode import probe
    from tagscape.collection import index_folder, open_collection
    from tagscape.extract import extract_collection
    from tagscape.place import MapSpec, Placer
    from tagscape.projections.maps import MapStore

    with tempfile.TemporaryDirectory(prefix="tagscape-bench-place-") as tmp:
        tmp = Path(tmp)
        path = the_file(args.file, tmp)
        seconds = probe(path).declared_seconds or 0.0
        root = tmp / "collection"
        root.mkdir()
        for source in sorted((ROOT / "tests" / "data" / "music").iterdir()):
            shutil.copy(source, root / source.name)
        index_folder(root)
        with open_collection(root) as collection:
            extract_collection(collection, [args.model])
            for method in ("pca", "tsne"):
                MapStore(collection).compute(args.model, "taggrams", method)
            n_segments = collection.layer(args.model, "taggrams").values.shape[0]
        print(f"{path.name}: {seconds:.0f} s of audio; map of {len(list(root.iterdir())) - 1} tracks, {n_segments} segments; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

        analyze = [*TAGSCAPE, "analyze", str(path), "-m", args.model, "-o", str(tmp / "out.npz")]
        place = [*TAGSCAPE, "place", str(path), "-c", str(root), "-m", args.model, "--projection", "pca", "--projection", "tsne"]
        placer = Placer()
        specs = [MapSpec(args.model, "taggrams", "pca"), MapSpec(args.model, "taggrams", "tsne")]
        with open_collection(root) as collection:
            started = time.perf_counter()
            placer.place(collection, path, specs)
            first = time.perf_counter() - started
            baseline, cold, warm = [], [], []
            for _ in range(args.repeats):  # alternating, so that a busy moment hits all three alike
                baseline.append(timed(analyze))
                cold.append(timed(place))
                started = time.perf_counter()
                result = placer.place(collection, path, specs)
                warm.append(time.perf_counter() - started)
        best = min(baseline)
        print(f"baseline  tagscape analyze (new process)       {best:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in baseline)})")
        print(f"place     tagscape place (new process)         {min(cold):6.2f} s  {min(cold) / best:5.2f} x baseline  "
              f"(runs: {', '.join(f'{t:.2f}' for t in cold)}){'  TARGET 10 s MISSED' if min(cold) > 10 else ''}")
        print(f"place     a server's placement, model loaded   {min(warm):6.2f} s  {min(warm) / best:5.2f} x baseline  "
              f"(first, loading the model: {first:.2f} s)")
        print(f"          {result.maps[0].coords.shape[0]} segments placed on {len(result.maps)} maps "
              f"({', '.join(f'{m.spec.projection}: {m.placement}' for m in result.maps)})")


if __name__ == "__main__":
    main()
