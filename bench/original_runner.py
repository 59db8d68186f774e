"""Time the ORIGINAL musicnn 0.1.0 implementation (TensorFlow) on one file.

Run it with the throwaway venv that has musicnn installed (see the docstring
of tests/data/reference/make_reference.py for how to create it):

    /tmp/tfenv/bin/python bench/original_runner.py FILE [--threads N]

It tags FILE with the four models one after another, the way a musicnn user
would, i.e. ``musicnn.extractor.extractor(FILE, model=M,
extract_features=True)`` with the default 3 s non-overlapping patches
(each call decodes the file and computes the log-mel again, builds the graph
and restores the checkpoint: that is part of what a user pays), and prints
one JSON line on stdout:

    {"seconds_total": ..., "per_model": {"musicnn-msd": s, ...},
     "audio_seconds": ..., "import_seconds": ..., "threads": ...}

seconds_total is the sum of the four extractor() calls; the one-off import
of TensorFlow/musicnn is reported separately as import_seconds.  musicnn's
own progress messages go to stderr.

--threads N sets TensorFlow's intra- and inter-op thread pools to N through
TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS (and OMP_NUM_THREADS), which
must happen before TensorFlow is imported; without it TF picks its default.
"""

import argparse
import contextlib
import json
import os
import sys
import time

MODELS = {
    "musicnn-msd": "MSD_musicnn",
    "musicnn-mtt": "MTT_musicnn",
    "vgg-msd": "MSD_vgg",
    "vgg-mtt": "MTT_vgg",
}


def main():
    ap = argparse.ArgumentParser(description="time the original musicnn on FILE")
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=None,
                    help="TF intra/inter op threads (default: TF's own choice)")
    args = ap.parse_args()
    if not os.path.isfile(args.file):
        ap.error(f"no such file: {args.file}")

    if args.threads is not None:
        n = str(args.threads)
        os.environ["TF_NUM_INTRAOP_THREADS"] = n
        os.environ["TF_NUM_INTEROP_THREADS"] = n
        os.environ["OMP_NUM_THREADS"] = n
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        import soundfile
        from musicnn.extractor import extractor  # imports tensorflow
    import_seconds = time.perf_counter() - t0

    try:
        audio_seconds = soundfile.info(args.file).duration
    except Exception:  # a format libsndfile cannot read: let librosa decide
        import librosa
        audio_seconds = librosa.get_duration(path=args.file)

    per_model = {}
    with contextlib.redirect_stdout(sys.stderr):
        for mid, folder in MODELS.items():
            t = time.perf_counter()
            extractor(args.file, model=folder, extract_features=True)
            per_model[mid] = round(time.perf_counter() - t, 4)

    print(json.dumps({
        "seconds_total": round(sum(per_model.values()), 4),
        "per_model": per_model,
        "audio_seconds": round(float(audio_seconds), 4),
        "import_seconds": round(import_seconds, 4),
        "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
