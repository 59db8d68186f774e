"""Regenerate the musicnn 0.1.0 reference fixtures used by tagscape's tests.

The fixtures come from the ORIGINAL musicnn 0.1.0 code (TensorFlow), so this
script has to run in a throwaway virtual environment that has it installed,
never in tagscape's own environment:

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.15.1 numpy==1.26.4 \
        'librosa==0.10.*' soundfile
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0

(``tensorflow==2.15.1`` works as well if ``tensorflow-cpu`` is unavailable;
numpy must stay 1.x, see "mel dtype" in tests/data/README.md.)

Usage, from the repository root:

    /tmp/tfenv/bin/python tests/data/reference/make_reference.py
        writes tests/data/reference/<name>.npz for every excerpt in
        tests/data/music/

    ... make_reference.py --excerpts
        first re-cuts the excerpts from the Debian packages listed in
        EXCERPTS (needs apt-get, dpkg-deb and ffmpeg on the PATH; the
        result is equivalent, but not necessarily byte-identical with
        another ffmpeg build)

    ... make_reference.py --freeze DIR
        only writes DIR/<id>.pb: each graph frozen with its weights as
        constants, input ``model/Placeholder`` (and ``model/Placeholder_1``
        for is_training), outputs ``model/Sigmoid`` and the embedding node,
        built with TF1 behaviour (reference variables, v1 control flow) as
        Essentia's published ``*-musicnn-1.pb`` / ``*-vgg-1.pb`` were made:
        Essentia's TensorFlow cannot run a TF2-style frozen graph
        (bench/vs_essentia.py runs Essentia on these)

    ... make_reference.py --onednn-check
        additionally reruns the TensorFlow part in a child process with
        TF_ENABLE_ONEDNN_OPTS=0 and prints how much the outputs move

Each npz holds

    mel                     the log-mel ``audio_rep`` exactly as
                            musicnn.extractor.batch_data returned it
                            (time x 96, its dtype kept)
    n_samples_16k           number of samples librosa.load(sr=16000) gave
    <id>/taggrams           float32 (n_patches, 50), sigmoid outputs
    <id>/embeddings         float32 (n_patches, 200) for musicnn: the graph
                            node ``model/dense/BiasAdd``, the penultimate
                            dense layer before its ReLU and batch norm (what
                            the paper's system and Essentia read); or
                            (n_patches, 256) for vgg: ``model/flatten/Reshape``
                            (pool5 (n, 2, 1, 128) flattened row-major)

for <id> in musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt.  Patches are 187
frames, not overlapping, exactly as extractor(input_length=3,
input_overlap=False) cuts them.  The per-patch outputs come from our own
whole-batch run of the original graph (extractor()'s ``penultimate``
feature is wrong for every patch but the first, so it is not used); the
taggrams are checked against extractor() itself.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MUSIC_DIR = os.path.normpath(os.path.join(HERE, "..", "music"))
AUDIO_EXTS = (".ogg", ".mp3", ".flac", ".wav", ".opus", ".m4a")

# tagscape model id -> musicnn model folder
MODELS = {
    "musicnn-msd": "MSD_musicnn",
    "musicnn-mtt": "MTT_musicnn",
    "vgg-msd": "MSD_vgg",
    "vgg-mtt": "MTT_vgg",
}
#: The embedding node of each architecture, as the paper's system (MTG's music-explore) and
#: Essentia read it: musicnn's penultimate dense layer before its ReLU and batch norm, vgg's
#: flattened last pool.  (musicnn's own ``penultimate`` feature is batch_norm(relu(dense)).)
EMBEDDING_NODES = {"musicnn": "model/dense/BiasAdd:0", "vgg": "model/flatten/Reshape:0"}
PATCH_FRAMES = 187  # what extractor() derives from input_length=3
N_MELS = 96

# Where the excerpts in tests/data/music come from.  "member" is a file
# inside an archive (Nexuiz ships its music in a zip called music.pk3);
# "mix" lists stems that are summed (Frets on Fire songs are split in a
# backing track and a guitar track).
WESNOTH = "usr/share/games/wesnoth/1.16/data/core/music/"
MULDJORD = "usr/share/games/fretsonfire/data/songs/muldjord/chaos_god/"
EXCERPTS = [
    dict(out="orchestral.ogg", pkg="wesnoth-1.16-music", version="1:1.16.9-1",
         files=[WESNOTH + "the_king_is_dead.ogg"], start=99,
         codec=["-c:a", "libvorbis", "-b:a", "112k"],
         title="The King is Dead", artist="Mattias Westlund",
         licence="GPL-2+ (The Battle for Wesnoth)"),
    dict(out="choir.ogg", pkg="wesnoth-1.16-music", version="1:1.16.9-1",
         files=[WESNOTH + "elf-land.ogg"], start=4,
         codec=["-c:a", "libvorbis", "-b:a", "96k"],
         title="Elf Land", artist="Aleksi Aubry-Carlson",
         licence="GPL-2+ (The Battle for Wesnoth)"),
    dict(out="piano.mp3", pkg="wesnoth-1.16-music", version="1:1.16.9-1",
         files=[WESNOTH + "silvan_sanctuary.ogg"], start=150,
         codec=["-c:a", "libmp3lame", "-b:a", "112k"],
         title="Silvan Sanctuary", artist="Mattias Westlund",
         licence="GPL-2+ (The Battle for Wesnoth)"),
    dict(out="metal.mp3", pkg="fretsonfire-songs-muldjord", version="2.dfsg-2.1",
         files=[MULDJORD + "song.ogg", MULDJORD + "guitar.ogg"], start=82,
         mix_gain=0.68, codec=["-c:a", "libmp3lame", "-b:a", "128k"],
         title="Chaos God", artist="Muldjord (El Senator)",
         licence="CC BY-SA 3.0"),
    dict(out="techno.mp3", pkg="nexuiz-music", version="2.5.2-12",
         files=["usr/share/games/nexuiz/data/music.pk3"],
         member="sound/cdtracks/sixtyfour_revisited.ogg", start=94,
         codec=["-c:a", "libmp3lame", "-b:a", "128k"],
         title="SixtyFour Revisited", artist="blkrbt",
         licence="GPL-2+ (Nexuiz)"),
    dict(out="ambient.flac", pkg="warzone2100-music", version="4.3.3-3",
         files=["usr/share/games/warzone2100/music/menu.opus"], start=80,
         codec=["-sample_fmt", "s16", "-c:a", "flac", "-compression_level", "12"],
         title="Warzone 2100 menu music", artist="Warzone 2100 Project",
         licence="GPL-2+ (Warzone 2100)"),
]
EXCERPT_SECONDS = 20


# --------------------------------------------------------------------------
# excerpts
# --------------------------------------------------------------------------

def make_excerpts(music_dir):
    os.makedirs(music_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tagscape-excerpts-")
    try:
        unpacked = {}
        for ex in EXCERPTS:
            key = (ex["pkg"], ex["version"])
            if key not in unpacked:
                dl = os.path.join(work, "deb")
                os.makedirs(dl, exist_ok=True)
                subprocess.run(["apt-get", "download", f"{ex['pkg']}={ex['version']}"],
                               cwd=dl, check=True)
                deb, = glob.glob(os.path.join(dl, ex["pkg"] + "_*.deb"))
                root = os.path.join(work, ex["pkg"])
                subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
                os.remove(deb)
                unpacked[key] = root
            root = unpacked[key]
            sources = [os.path.join(root, f) for f in ex["files"]]
            if "member" in ex:
                with zipfile.ZipFile(sources[0]) as z:
                    target = os.path.join(work, os.path.basename(ex["member"]))
                    with z.open(ex["member"]) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                sources = [target]
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
            for s in sources:
                cmd += ["-ss", str(ex["start"]), "-t", str(EXCERPT_SECONDS), "-i", s]
            if len(sources) > 1:
                cmd += ["-filter_complex",
                        f"amix=inputs={len(sources)}:normalize=0,volume={ex['mix_gain']}"]
                note = "; song+guitar stems mixed"
            else:
                note = ""
            cmd += ["-t", str(EXCERPT_SECONDS), "-map_metadata", "-1",
                    "-metadata", f"title={ex['title']} (20 s excerpt from {ex['start']} s{note})",
                    "-metadata", f"artist={ex['artist']}",
                    "-metadata", f"copyright={ex['licence']}"]
            cmd += ex["codec"] + [os.path.join(music_dir, ex["out"])]
            subprocess.run(cmd, check=True)
            print("wrote", os.path.join(music_dir, ex["out"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------
# the original musicnn graph
# --------------------------------------------------------------------------

def import_original():
    """Import TensorFlow and musicnn lazily, so that environment variables
    such as TF_ENABLE_ONEDNN_OPTS can still be set before TF loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # tf.compat.v1.layers.* warn about their deprecation at every call
    warnings.filterwarnings("ignore", category=UserWarning, module="musicnn")
    import tensorflow as tf
    import musicnn.extractor as extractor  # also disables eager execution
    from musicnn import configuration, models
    return tf, extractor, models, configuration


class OriginalGraph:
    """The graph extractor() builds, with the checkpoint restore verified."""

    def __init__(self, folder):
        tf, _, models, config = import_original()
        self.tf = tf
        self.folder = folder
        self.is_vgg = "vgg" in folder
        self.labels = config.MTT_LABELS if folder.startswith("MTT") else config.MSD_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                outs = models.define_model(self.x, self.is_training, folder, len(self.labels))
                self.probs = tf.nn.sigmoid(outs[0])
                # musicnn's own "penultimate" (batch_norm(relu(dense))), for the extractor check
                self.penultimate = outs[-1]
            self.embedding = self.graph.get_tensor_by_name(EMBEDDING_NODES["vgg" if self.is_vgg else "musicnn"])
            self.sess = tf.compat.v1.Session(graph=self.graph)
            variables = tf.compat.v1.global_variables()
            self.sess.run(tf.compat.v1.global_variables_initializer())
            initial = self.sess.run(variables)
            prefix = os.path.join(os.path.dirname(models.__file__), folder) + "/"
            # No try/except here: extractor() swallows restore errors and then
            # silently tags with random weights.  We want a failure to be loud.
            tf.compat.v1.train.Saver().restore(self.sess, prefix)
            restored = self.sess.run(variables)
        self._verify_restore(prefix, variables, initial, restored)

    def _verify_restore(self, prefix, variables, initial, restored):
        # the prefix ends in "/" (files MSD_musicnn/.index etc.); read it directly,
        # the folder's "checkpoint" file points to the author's machine
        reader = self.tf.compat.v1.train.NewCheckpointReader(prefix)
        in_ckpt = reader.get_variable_to_shape_map()
        changed = 0
        for var, before, after in zip(variables, initial, restored):
            name = var.op.name
            if name not in in_ckpt:
                raise RuntimeError(f"{self.folder}: {name} is not in the checkpoint")
            if not np.array_equal(after, reader.get_tensor(name)):
                raise RuntimeError(f"{self.folder}: {name} differs from the checkpoint")
            changed += not np.array_equal(before, after)
        if changed < len(variables):
            raise RuntimeError(f"{self.folder}: only {changed}/{len(variables)} "
                               "variables changed on restore")
        print(f"  {self.folder}: restored {len(variables)} variables, all equal to the "
              f"checkpoint and all different from their initial values")

    def run(self, batch):
        probs, emb, pen = self.sess.run([self.probs, self.embedding, self.penultimate],
                                        feed_dict={self.x: batch, self.is_training: False})
        self.last_penultimate = np.asarray(pen, dtype=np.float32).reshape(len(pen), -1)
        return np.asarray(probs, dtype=np.float32), np.asarray(emb, dtype=np.float32)

    def freeze(self, path):
        """Write the graph with its variables as constants (what Essentia loads)."""
        outputs = [self.probs.op.name, self.embedding.op.name]
        frozen = self.tf.compat.v1.graph_util.convert_variables_to_constants(
            self.sess, self.graph.as_graph_def(), outputs)
        with open(path, "wb") as out:
            out.write(frozen.SerializeToString())
        print(f"  froze {self.folder} -> {path} (outputs {outputs})")

    def close(self):
        self.sess.close()


def audio_files(music_dir):
    files = sorted(f for f in glob.glob(os.path.join(music_dir, "*"))
                   if f.lower().endswith(AUDIO_EXTS))
    if not files:
        raise SystemExit(f"no audio files in {music_dir}")
    return files


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def tf_outputs(files):
    """Whole-batch per-patch outputs of every model for every file.
    Returns ({name: {'mel', 'n_samples_16k'}}, {name: {key: array}})."""
    import librosa
    _, extractor, _, config = import_original()
    inputs, outputs = {}, {}
    for f in files:
        batch, mel = extractor.batch_data(f, PATCH_FRAMES, PATCH_FRAMES)
        n16 = len(librosa.load(f, sr=config.SR)[0])  # the load batch_data does
        assert mel.shape == (1 + n16 // config.FFT_HOP, N_MELS), (mel.shape, n16)
        starts = range(0, mel.shape[0] - PATCH_FRAMES + 1, PATCH_FRAMES)
        assert np.array_equal(batch, np.stack([mel[s:s + PATCH_FRAMES] for s in starts]))
        inputs[stem(f)] = dict(mel=mel, n_samples_16k=n16, batch=batch)
        outputs[stem(f)] = {}
    for mid, folder in MODELS.items():
        graph = OriginalGraph(folder)
        for name, inp in inputs.items():
            probs, emb = graph.run(inp["batch"])
            outputs[name][f"{mid}/taggrams"] = probs
            outputs[name][f"{mid}/embeddings"] = emb
            outputs[name][f"{mid}/penultimate"] = graph.last_penultimate
        graph.close()
    return inputs, outputs


def top_tags(taggram, labels, k=3):
    mean = taggram.mean(axis=0)
    return ", ".join(f"{labels[i]} {mean[i]:.2f}" for i in np.argsort(-mean)[:k])


def generate(music_dir, out_dir, onednn_check):
    tf, extractor, _, config = import_original()
    import librosa
    print(f"tensorflow {tf.__version__}, numpy {np.__version__}, librosa {librosa.__version__}, "
          f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset)')}")
    files = audio_files(music_dir)
    inputs, outputs = tf_outputs(files)

    print("\nchecks against musicnn.extractor.extractor():")
    worst = 0.0
    for f in files:
        name = stem(f)
        for mid, folder in MODELS.items():
            taggram, _, feats = extractor.extractor(f, model=folder, input_length=3,
                                                    input_overlap=False, extract_features=True)
            ours = outputs[name][f"{mid}/taggrams"]
            assert taggram.shape == ours.shape, (taggram.shape, ours.shape)
            diff = float(np.max(np.abs(taggram - ours)))
            worst = max(worst, diff)
            line = f"  {name:12s} {mid:12s} taggram max|diff| {diff:.3g}"
            if "penultimate" in feats:
                pen = feats["penultimate"]
                line += (f"; extractor penultimate row0 max|diff| "
                         f"{np.max(np.abs(pen[0] - outputs[name][mid + '/penultimate'][0])):.3g}")
            print(line, flush=True)
    print(f"  worst taggram max|diff| (extractor, patch by patch vs whole batch): {worst:.3g}")

    print("\nnon-finite values / top-3 tags (mean over patches):")
    os.makedirs(out_dir, exist_ok=True)
    for f in files:
        name = stem(f)
        mel = inputs[name]["mel"]
        arrays = dict(mel=mel, n_samples_16k=np.int64(inputs[name]["n_samples_16k"]))
        arrays.update({k: v for k, v in outputs[name].items() if not k.endswith("/penultimate")})
        bad = {k: int(np.size(v) - np.isfinite(v).sum()) for k, v in arrays.items()
               if k != "n_samples_16k"}
        print(f"  {name}: mel {mel.dtype} {mel.shape} range [{np.nanmin(mel):.3f}, "
              f"{np.nanmax(mel):.3f}], n_samples_16k {arrays['n_samples_16k']}, "
              f"patches {arrays['musicnn-msd/taggrams'].shape[0]}, "
              f"non-finite: {sum(bad.values())} {({k: v for k, v in bad.items() if v})}")
        for mid, folder in MODELS.items():
            labels = config.MTT_LABELS if folder.startswith("MTT") else config.MSD_LABELS
            print(f"      {mid:12s} {top_tags(arrays[mid + '/taggrams'], labels)}")
        path = os.path.join(out_dir, name + ".npz")
        np.savez_compressed(path, **arrays)
        print(f"      wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB)")

    if onednn_check:
        compare_onednn_off(music_dir, outputs)


def compare_onednn_off(music_dir, outputs):
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "onednn_off.npz")
        env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--music-dir", music_dir,
                        "--raw-tf-out", raw], env=env, check=True)
        off = dict(np.load(raw))
    print("\noneDNN on (default) vs TF_ENABLE_ONEDNN_OPTS=0, whole-batch run:")
    for kind in ("taggrams", "embeddings"):
        for mid in MODELS:
            diffs = [np.max(np.abs(outs[f"{mid}/{kind}"] - off[f"{name}|{mid}/{kind}"]))
                     for name, outs in outputs.items()]
            print(f"  {mid:12s} {kind:10s} max|diff| {max(diffs):.3g}")


def raw_tf_out(music_dir, path):
    _, outputs = tf_outputs(audio_files(music_dir))
    np.savez(path, **{f"{name}|{k}": v for name, outs in outputs.items()
                      for k, v in outs.items()})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--music-dir", default=MUSIC_DIR)
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--excerpts", action="store_true",
                    help="re-cut the excerpts from Debian packages first")
    ap.add_argument("--onednn-check", action="store_true",
                    help="also compare with a TF_ENABLE_ONEDNN_OPTS=0 run")
    ap.add_argument("--freeze", metavar="DIR", help="only write frozen graphs <id>.pb to DIR (for Essentia)")
    ap.add_argument("--raw-tf-out", help=argparse.SUPPRESS)  # child of --onednn-check
    args = ap.parse_args()
    if args.raw_tf_out:
        raw_tf_out(args.music_dir, args.raw_tf_out)
        return
    if args.freeze:
        tf, _, _, _ = import_original()
        tf.compat.v1.disable_resource_variables()
        tf.compat.v1.disable_control_flow_v2()
        os.makedirs(args.freeze, exist_ok=True)
        for mid, folder in MODELS.items():
            graph = OriginalGraph(folder)
            graph.freeze(os.path.join(args.freeze, f"{mid}.pb"))
            graph.close()
        return
    if args.excerpts:
        make_excerpts(args.music_dir)
    generate(args.music_dir, args.out_dir, args.onednn_check)


if __name__ == "__main__":
    main()
