"""usearch loaded before ONNX Runtime killed the process (SIGSEGV in onnxruntime's import, with
usearch 2.26.6 and onnxruntime 1.32): a process that builds a similarity index and then analyses
a file must live. Run in a fresh interpreter, where nothing has loaded ONNX Runtime yet."""

from __future__ import annotations

import subprocess
import sys

from conftest import MUSIC

SCRIPT = """
import sys
import numpy as np
from tagscape.similarity.search import AnnIndex
index = AnnIndex.build(np.random.default_rng(0).normal(size=(200, 16)).astype(np.float32))
rows, _ = index.search(np.ones((1, 16), np.float32) / 4, 3)
from tagscape.pipeline import analyze
print(len(rows[0]), analyze(sys.argv[1], ["vgg-mtt"]).models["vgg-mtt"].n_segments)
"""


def test_a_similarity_index_then_an_analysis_in_one_process():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(MUSIC / "metal.mp3")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    found, segments = map(int, done.stdout.split())
    assert found == 3 and segments > 0
