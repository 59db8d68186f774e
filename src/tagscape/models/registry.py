"""The models tagscape knows: ids, datasets, layers, tag lists, and where their weights are."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from tagscape.audio.mel import MUSICNN_MEL, MelParams
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


@dataclass(frozen=True)
class Layer:
    """One layer a model exposes: its name, width, and (for taggrams) the tag per column."""

    name: str
    size: int
    tensor: str
    labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A pretrained tagger: an architecture trained on a dataset."""

    model_id: str
    architecture: str
    dataset: str
    checkpoint_name: str
    layers: tuple[Layer, ...]
    mel: MelParams = field(default=MUSICNN_MEL)

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

    def weights_dir(self) -> Path:
        """The folder holding this model's checkpoint (``.index`` + ``.data-*``)."""
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


def _musicnn(model_id: str, dataset: str, tags: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        model_id=model_id,
        architecture="musicnn",
        dataset=dataset,
        checkpoint_name=f"{dataset}_musicnn",
        layers=(
            Layer("taggrams", len(tags), "sigmoid(dense_1)", tags),
            Layer("embeddings", 200, "penultimate: batch_normalization_10(relu(dense)), 200 units"),
        ),
    )


def _vgg(model_id: str, dataset: str, tags: tuple[str, ...]) -> ModelSpec:
    return ModelSpec(
        model_id=model_id,
        architecture="vgg",
        dataset=dataset,
        checkpoint_name=f"{dataset}_vgg",
        layers=(
            Layer("taggrams", len(tags), "sigmoid(dense)", tags),
            Layer("embeddings", 256, "pool5: last max-pool (2 x 1 x 128) flattened in (time, freq, channel) order"),
        ),
    )


MODELS: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in (
        _musicnn("musicnn-msd", "MSD", MSD_TAGS),
        _musicnn("musicnn-mtt", "MTT", MTT_TAGS),
        _vgg("vgg-msd", "MSD", MSD_TAGS),
        _vgg("vgg-mtt", "MTT", MTT_TAGS),
    )
}

DEFAULT_MODELS = tuple(MODELS)


def get_model(model_id: str) -> ModelSpec:
    """Look a model up by id; the error lists the known ids."""
    try:
        return MODELS[model_id]
    except KeyError:
        raise NotFoundError(f"unknown model {model_id!r}; known models: {', '.join(MODELS)}") from None
