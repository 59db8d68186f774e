"""Ground truth: how well a model's track-level activations predict a collection's own tags.

A collection's tags come from MTG-Jamendo's lists (``genre---rock``, ``instrument---piano``,
``mood/theme---happy``) or from the files' metadata (the ``genre`` tag). They become labels
``kind:value`` with the value case-folded and stripped of spaces and punctuation
(``Hip-Hop`` -> ``genre:hiphop``, ``New Age`` -> ``genre:newage``), so that file genres and
Jamendo tags meet in one vocabulary. :data:`MAPPINGS` says, for the obvious pairs only, which
labels a model tag stands for (a track is positive when it has any of them).

A model tag is evaluated over the tracks that carry at least one label of the kind it maps to
(a track whose file has no genre is unknown, not a negative), with scikit-learn's ROC-AUC and
average precision (PR-AUC), each track scored by the mean of the tag over its segments.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from tagscape.analysis.tags import taggrams, tagger, track_means

#: Kinds of collection tags used as ground truth, and their canonical names.
KINDS = {"genre": "genre", "instrument": "instrument", "mood/theme": "mood", "mood": "mood"}
#: Spellings of the same genre that normalisation alone does not unite.
ALIASES = {"rb": "rnb", "randb": "rnb", "rhythmandblues": "rnb", "hiphoprap": "hiphop", "drumandbass": "drumnbass", "dnb": "drumnbass"}

#: Model tag -> the collection labels it stands for, per training dataset. Obvious pairs only:
#: the same genre, instrument or mood under the same (or a plainly equivalent) name.
MAPPINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "MSD": {
        "rock": ("genre:rock",), "pop": ("genre:pop",), "alternative": ("genre:alternative",), "indie": ("genre:indie",),
        "electronic": ("genre:electronic",), "dance": ("genre:dance",), "00s": ("genre:00s",),
        "alternative rock": ("genre:alternativerock",), "jazz": ("genre:jazz",), "metal": ("genre:metal",),
        "chillout": ("genre:chillout",), "chill": ("genre:chillout",), "classic rock": ("genre:classicrock",), "soul": ("genre:soul",),
        "electronica": ("genre:electronica",), "80s": ("genre:80s",), "folk": ("genre:folk",), "90s": ("genre:90s",),
        "punk": ("genre:punk", "genre:punkrock"), "blues": ("genre:blues",), "hard rock": ("genre:hardrock",), "ambient": ("genre:ambient",),
        "experimental": ("genre:experimental",), "guitar": ("instrument:guitar",), "Hip-Hop": ("genre:hiphop",), "70s": ("genre:70s",),
        "party": ("mood:party",), "country": ("genre:country",), "easy listening": ("genre:easylistening",), "sexy": ("mood:sexy",),
        "funk": ("genre:funk",), "60s": ("genre:60s",), "rnb": ("genre:rnb",), "sad": ("mood:sad",), "House": ("genre:house",),
        "happy": ("mood:happy",),
    },
    "MTT": {
        "guitar": ("instrument:guitar",), "classical": ("genre:classical",), "slow": ("mood:slow",), "techno": ("genre:techno",),
        "strings": ("instrument:strings",), "drums": ("instrument:drums",), "electronic": ("genre:electronic",), "rock": ("genre:rock",),
        "fast": ("mood:fast",), "piano": ("instrument:piano",), "ambient": ("genre:ambient",), "beat": ("instrument:beat",),
        "violin": ("instrument:violin",), "synth": ("instrument:synthesizer",), "pop": ("genre:pop",), "soft": ("mood:soft",),
        "flute": ("instrument:flute",), "choir": ("genre:choir",), "choral": ("genre:choir",), "voice": ("instrument:voice",),
        "new age": ("genre:newage",), "dance": ("genre:dance",), "harp": ("instrument:harp",), "cello": ("instrument:cello",),
        "country": ("genre:country",), "metal": ("genre:metal",),
    },
}


def normalise_label(kind: str, value: str) -> str | None:
    """``kind:value`` in the shared vocabulary, or None for a kind that is not ground truth."""
    canonical = KINDS.get(kind.strip().casefold())
    if canonical is None:
        return None
    text = re.sub(r"[\W_]+", "", value.casefold())
    if not text:
        return None
    return f"{canonical}:{ALIASES.get(text, text)}"


def collection_labels(collection) -> dict[int, set[str]]:
    """Track id -> its ground-truth labels (collection tags and the genre column)."""
    labels: dict[int, set[str]] = {}
    for track_id, kind, value in collection.store.tags_of_kinds(KINDS):
        label = normalise_label(kind, value)
        if label:
            labels.setdefault(track_id, set()).add(label)
    for track_id, genre in collection.store.genres():
        for part in re.split(r"[;,/|]", genre):
            label = normalise_label("genre", part)
            if label:
                labels.setdefault(track_id, set()).add(label)
    return labels


def evaluate(scores: np.ndarray, positive: np.ndarray) -> dict:
    """ROC-AUC and average precision of ``scores`` for the boolean ``positive``; None when one class is missing."""
    n_pos = int(positive.sum())
    out = {"n_tracks": int(len(positive)), "n_positive": n_pos, "positive_rate": n_pos / len(positive) if len(positive) else None,
           "roc_auc": None, "pr_auc": None}
    if 0 < n_pos < len(positive):
        out["roc_auc"] = float(roc_auc_score(positive, scores))
        out["pr_auc"] = float(average_precision_score(positive, scores))
    return out


def ground_truth(collection, model_id: str, *, means: np.ndarray | None = None) -> dict:
    """Per mapped tag of the model: ROC-AUC and PR-AUC of its track-level activations.

    ``unmapped``: the model's tags without a mapping; ``unlabelled``: mapped tags of a kind
    (genre, instrument, mood) that no track of the collection carries. ``means``: the model's
    :func:`~tagscape.analysis.tags.track_means`, when the caller has them already.
    """
    spec = tagger(model_id)
    mapping = MAPPINGS.get(spec.dataset, {})
    labels = collection_labels(collection)
    annotated = {kind: {t for t, ls in labels.items() if any(label.startswith(f"{kind}:") for label in ls)} for kind in set(KINDS.values())}
    found = sorted({label for ls in labels.values() for label in ls})
    result = {"model": model_id, "dataset": spec.dataset, "labels_found": len(found),
              "annotated_tracks": {kind: len(ids) for kind, ids in sorted(annotated.items())}, "tags": [], "unmapped": [t for t in spec.tags if t not in mapping], "unlabelled": []}
    if not labels or not mapping:
        result["message"] = ("this collection has no genre, instrument or mood tags (from MTG-Jamendo lists or the files' genre)"
                             if not labels else f"no mapping from collection tags to {spec.dataset} tags")
        return result
    array = taggrams(collection, model_id)
    means = track_means(array) if means is None else means
    track_ids = array.track_ids
    finite = np.isfinite(means[:, 0])
    known_by_kind = {kind: np.isin(track_ids, np.fromiter(ids, np.int64, len(ids))) & finite for kind, ids in annotated.items()}
    tracks_by_label: dict[str, list[int]] = {}
    for track_id, track_labels in labels.items():
        for label in track_labels:
            tracks_by_label.setdefault(label, []).append(track_id)
    for tag, wanted in mapping.items():
        kind = wanted[0].split(":", 1)[0]
        if not annotated[kind]:  # the collection has no tags of this kind at all
            result["unlabelled"].append(tag)
            continue
        known = known_by_kind[kind]
        positive = np.isin(track_ids[known], [t for label in wanted for t in tracks_by_label.get(label, ())])
        row = {"tag": tag, "labels": list(wanted), **evaluate(means[known, spec.tags.index(tag)].astype(np.float64), positive)}
        result["tags"].append(row)
    result["tags"].sort(key=lambda row: (row["roc_auc"] is None, -(row["roc_auc"] or 0), row["tag"]))
    if not any(row["roc_auc"] is not None for row in result["tags"]):
        result["message"] = f"none of the collection's tags maps to a {spec.dataset} tag with both positive and negative tracks"
    return result
