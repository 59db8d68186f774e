"""Model agreement for one track: each model's top tags, and how similar two models' rankings are.

Two models trained on the same dataset rank the same tag list; models trained on different
datasets (MSD vs MTT) share only some tag names (``rock``, ``pop``, ``electronic``, ...). Every
comparison is made over the tags both models have (names compared case-insensitively):

* ``spearman``: Spearman's rho of the two models' track-level activations of the shared tags;
* ``kendall``: Kendall's tau-b of the same (the share of tag pairs both models order alike,
  rescaled to -1..1);
* ``top_overlap``: how many of model A's top-k shared tags are among model B's top-k, over k.
"""

from __future__ import annotations

import numpy as np

from tagscape.analysis.correlation import kendall, spearman
from tagscape.models.registry import get_model

MIN_SHARED = 3


def top_tags(tags, activations: np.ndarray, k: int) -> list[dict]:
    order = np.argsort(-activations, kind="stable")[:k]
    return [{"tag": tags[i], "activation": float(activations[i])} for i in order]


def compare(tags_a, act_a: np.ndarray, tags_b, act_b: np.ndarray, *, k: int) -> dict:
    """Rank similarity of two models' activations over their shared tags."""
    index_b = {tag.casefold(): j for j, tag in enumerate(tags_b)}
    shared = [(i, index_b[tag.casefold()]) for i, tag in enumerate(tags_a) if tag.casefold() in index_b]
    out = {"shared": [tags_a[i] for i, _ in shared], "spearman": None, "kendall": None, "top_overlap": None, "k": None}
    if len(shared) < MIN_SHARED:
        return out
    a = np.array([act_a[i] for i, _ in shared], np.float64)
    b = np.array([act_b[j] for _, j in shared], np.float64)
    kk = min(k, len(shared))
    top_a = set(np.argsort(-a, kind="stable")[:kk].tolist())
    top_b = set(np.argsort(-b, kind="stable")[:kk].tolist())
    out.update(spearman=spearman(a, b), kendall=kendall(a, b), top_overlap=len(top_a & top_b) / kk, k=kk)
    return out


def track_agreement(collection, track_id: int, *, k: int = 10) -> dict:
    """Every extracted model's top-k tags of a track (mean over its segments) and each pair's agreement."""
    collection.track(track_id)
    models, skipped = [], []
    for model_id in collection.store.result_models():
        spec = get_model(model_id)
        if not spec.tags:
            skipped.append({"model": model_id, "reason": "no taggrams layer (no tag activations)"})
            continue
        values = collection.store.track_layer(int(track_id), model_id, "taggrams")
        if values is None or not len(values):
            skipped.append({"model": model_id, "reason": "no results for this track yet"})
            continue
        mean = np.asarray(values, np.float32).mean(axis=0)
        models.append({"model": model_id, "dataset": spec.dataset, "tags": spec.tags, "mean": mean, "n_segments": int(len(values))})
    pairs = []
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            pairs.append({"a": a["model"], "b": b["model"], **compare(a["tags"], a["mean"], b["tags"], b["mean"], k=k)})
    return {
        "track_id": int(track_id),
        "k": k,
        "models": [{"model": m["model"], "dataset": m["dataset"], "n_segments": m["n_segments"], "top": top_tags(m["tags"], m["mean"], k)} for m in models],
        "pairs": pairs,
        "skipped": skipped,
    }
