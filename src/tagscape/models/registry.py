"""The models tagscape knows: ids, datasets, layers, tag lists, and where their weights are."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from tagscape.audio.mel import MUSICNN_MEL, VGGISH_MEL, MelParams
from tagscape.errors import NotFoundError, WeightsMissingError

MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
    "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
)  # fmt: skip

MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip

WEIGHTS_INSTALL = "pip install --no-deps musicnn==0.1.0"

#: Environment variable naming a folder that holds ``MSD_musicnn/``, ``MTT_vgg/`` ... instead
#: of the installed ``musicnn`` package.
WEIGHTS_ENV = "TAGSCAPE_MUSICNN_WEIGHTS"

#: Environment variable naming the folder where ``tagscape models add`` keeps the weights it
#: converted (default ``$XDG_DATA_HOME/tagscape/weights``, i.e. ``~/.local/share/tagscape/weights``).
ADDED_WEIGHTS_ENV = "TAGSCAPE_WEIGHTS_DIR"

#: What ``models add`` writes into ``<added weights root>/<model_id>/``.
ADDED_WEIGHTS_FILE = "weights.npz"
ADDED_MANIFEST_FILE = "source.json"

#: Where the official VGGish release files are published (tensorflow/models, research/audioset/vggish).
VGGISH_CHECKPOINT_URL = "https://storage.googleapis.com/audioset/vggish_model.ckpt"
#: Essentia's frozen graph of VGGish (other weights than Google's release; see the README).
VGGISH_ESSENTIA_URL = "https://essentia.upf.edu/models/feature-extractors/vggish/audioset-vggish-3.pb"


@dataclass(frozen=True)
class Layer:
    """One layer a model exposes: its name, width, and (for taggrams) the tag per column."""

    name: str
    size: int
    tensor: str
    labels: tuple[str, ...] | None = None
    #: The node of the original TensorFlow graph this layer equals (as Essentia names it, under ``model/``).
    node: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A pretrained tagger: an architecture trained on a dataset."""

    model_id: str
    architecture: str
    dataset: str
    checkpoint_name: str
    layers: tuple[Layer, ...]
    mel: MelParams = field(default=MUSICNN_MEL)
    #: ``"musicnn"``: a checkpoint of the musicnn wheel; ``"added"``: a file the user downloads
    #: and converts with ``tagscape models add`` (``download`` says which).
    weights_source: str = "musicnn"
    download: str | None = None
    #: Revision of the layer definitions: results stored under an older one are outdated (the
    #: store keeps them apart, ``tagscape status`` counts them, ``tagscape extract`` redoes them).
    revision: int = 1
    #: What changed at this revision, for ``tagscape status`` and ``tagscape extract``.
    revision_note: str = ""

    @property
    def segment_seconds(self) -> float:
        return self.mel.patch_seconds

    @property
    def tags(self) -> tuple[str, ...] | None:
        taggrams = self.layer("taggrams", missing_ok=True)
        return taggrams.labels if taggrams else None

    def layer(self, name: str, *, missing_ok: bool = False) -> Layer | None:
        for layer in self.layers:
            if layer.name == name:
                return layer
        if missing_ok:
            return None
        raise NotFoundError(f"model {self.model_id} has no layer {name!r} (it has: {', '.join(l.name for l in self.layers)})")

    @property
    def add_command(self) -> str:
        return f"tagscape models add {self.model_id} {self.download.rsplit('/', 1)[-1]}" if self.download else ""

    def next_steps(self) -> str:
        """What to run to get this model's results: extract, after adding missing weights first."""
        extract = f"tagscape extract -m {self.model_id}"
        try:
            self.weights_dir()
        except WeightsMissingError:
            if self.weights_source == "added":
                return f"its weights are missing: download {self.download} and run: {self.add_command}, then: {extract}"
            return f"its weights are missing ({WEIGHTS_INSTALL}), then run: {extract}"
        return f"run: {extract}"

    def weights_dir(self) -> Path:
        """The folder holding this model's checkpoint (``.index`` + ``.data-*``), or for an added
        model the converted ``weights.npz`` and its ``source.json``."""
        if self.weights_source == "added":
            folder = added_weights_root() / self.model_id
            if not ((folder / ADDED_WEIGHTS_FILE).is_file() and (folder / ADDED_MANIFEST_FILE).is_file()):
                raise WeightsMissingError(
                    f"weights for {self.model_id} are missing: download {self.download} and run: {self.add_command}"
                )
            return folder
        root = weights_root()
        folder = root / self.checkpoint_name
        if not (folder / ".index").is_file():
            raise WeightsMissingError(
                f"weights for {self.model_id} not found in {folder}; install them with: {WEIGHTS_INSTALL}"
            )
        return folder


def weights_root() -> Path:
    """The folder holding the musicnn checkpoints, from the environment or the installed wheel."""
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        return Path(override)
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissingError(f"the musicnn model weights are not installed; install them with: {WEIGHTS_INSTALL}")
    return Path(list(spec.submodule_search_locations)[0])


def added_weights_root() -> Path:
    """Where ``tagscape models add`` keeps converted weights: ``$TAGSCAPE_WEIGHTS_DIR`` or
    ``$XDG_DATA_HOME/tagscape/weights`` (``~/.local/share/tagscape/weights``)."""
    override = os.environ.get(ADDED_WEIGHTS_ENV)
    if override:
        return Path(override)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "tagscape" / "weights"


def _musicnn(model_id: str, dataset: str, tags: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        model_id=model_id,
        architecture="musicnn",
        dataset=dataset,
        checkpoint_name=f"{dataset}_musicnn",
        layers=(
            Layer("taggrams", len(tags), "sigmoid(dense_1)", tags, node="Sigmoid"),
            Layer("embeddings", 200, "dense/BiasAdd: the 200-unit penultimate dense layer before its ReLU and batch norm "
                                     "(as the paper's system and Essentia read it)", node="dense/BiasAdd"),
        ),
        revision=2,
        revision_note="MusiCNN embeddings are now the dense layer before its ReLU and batch norm (dense/BiasAdd, "
                      "as the paper's system and Essentia), no longer musicnn's batch_norm(relu(dense))",
    )


def _vgg(model_id: str, dataset: str, tags: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        model_id=model_id,
        architecture="vgg",
        dataset=dataset,
        checkpoint_name=f"{dataset}_vgg",
        layers=(
            Layer("taggrams", len(tags), "sigmoid(dense)", tags, node="Sigmoid"),
            Layer("embeddings", 256, "flatten/Reshape: the last max-pool (2 x 1 x 128) flattened in (time, freq, channel) order",
                  node="flatten/Reshape"),
        ),
    )


VGGISH = ModelSpec(
    model_id="vggish-audioset",
    architecture="vggish",
    dataset="AudioSet",
    checkpoint_name="vggish-audioset",
    layers=(Layer("embeddings", 128, "fc2: the 128-d embedding, before the release's PCA and 8-bit quantisation", node="vggish/fc2/BiasAdd"),),
    mel=VGGISH_MEL,
    weights_source="added",
    download=VGGISH_CHECKPOINT_URL,
)

MODELS: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in (
        _musicnn("musicnn-msd", "MSD", MSD_TAGS),
        _musicnn("musicnn-mtt", "MTT", MTT_TAGS),
        _vgg("vgg-msd", "MSD", MSD_TAGS),
        _vgg("vgg-mtt", "MTT", MTT_TAGS),
        VGGISH,
    )
}

#: The models whose weights come with the musicnn package.
DEFAULT_MODELS = tuple(model_id for model_id, spec in MODELS.items() if spec.weights_source == "musicnn")


def default_models() -> tuple[str, ...]:
    """What runs when no model is named: the packaged models, plus added ones whose weights are there."""
    added = []
    for model_id, spec in MODELS.items():
        if spec.weights_source == "added":
            try:
                spec.weights_dir()
            except WeightsMissingError:
                continue
            added.append(model_id)
    return DEFAULT_MODELS + tuple(added)


def get_model(model_id: str) -> ModelSpec:
    """Look a model up by id; the error lists the known ids."""
    try:
        return MODELS[model_id]
    except KeyError:
        raise NotFoundError(f"unknown model {model_id!r}; known models: {', '.join(MODELS)}") from None
