"""Listening studies: do listeners agree with a model's nearest neighbours?

A study is defined by models, a layer and a number of trials. Each trial plays a reference clip
(a random segment of a random track) and candidates: each model's nearest segment in that layer
from another artist (cosine, :mod:`tagscape.similarity`), plus a random control segment of another
artist. Candidates are shuffled (seeded) and shown only by label (A, B, ...); two models that
propose the same segment share one candidate (both get the credit when it is chosen). Raters
pick the candidate most similar to the reference; answers are stored with the rater's pseudonym
and the time (:mod:`tagscape.store.studies`).

Results: each model's (and the control's) **preference rate**, the share of answers that chose
its candidate, with a 95 % **Wilson** score interval (``scipy.stats.binomtest``; answers are
counted as independent, which several raters of one trial are not quite); and inter-rater
agreement as **Krippendorff's alpha** for nominal data (trials are the units, the chosen label the
value; raters need not answer every trial), None when no trial has two answers.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tagscape.errors import NotFoundError, ReadOnlyError, UsageError
from tagscape.models.registry import get_model
from tagscape.store.studies import Candidate, StudyStore, Trial

MAX_MODELS = 4
MAX_TRIALS = 500
CONTROL = "control"
LABELS = "ABCDEFGH"
#: A rater's pseudonym: what raters type, bounded.
MAX_PSEUDONYM = 64
CONFIDENCE = 0.95


def _studies(collection) -> StudyStore:
    return StudyStore(collection.store)


def create_study(collection, *, models: Sequence[str], layer: str = "embeddings", n_trials: int = 20, name: str | None = None,
                 seed: int = 0, control: bool = True) -> dict:
    """Draw the trials of a new study and store it; returns the study (with its raters' ``token``).

    Parameters
    ----------
    models : sequence of str
        1 to :data:`MAX_MODELS` extracted models with ``layer``.
    n_trials : int
        1 to :data:`MAX_TRIALS`.
    seed : int
        Seeds the references, the controls and the candidates' order.
    """
    from tagscape.similarity.index import SimilarityStore

    _check_writable(collection, "a study is not created")
    models = list(dict.fromkeys(models))
    if not 1 <= len(models) <= MAX_MODELS:
        raise UsageError(f"a study compares 1 to {MAX_MODELS} models, got {len(models)}")
    if not 1 <= n_trials <= MAX_TRIALS:
        raise UsageError(f"a study has 1 to {MAX_TRIALS} trials, got {n_trials}")
    specs = [get_model(model_id) for model_id in models]
    for spec in specs:
        spec.layer(layer)
    arrays = {spec.model_id: collection.layer(spec.model_id, layer) for spec in specs}
    clip_seconds = max(spec.segment_seconds for spec in specs)
    # References: tracks every model has at least one segment of, and their first model's segments.
    first = arrays[models[0]]
    counts = {m: dict(zip(a.track_ids.tolist(), np.diff(a.offsets).tolist())) for m, a in arrays.items()}
    eligible = [int(t) for t in first.track_ids if all(counts[m].get(int(t), 0) > 0 for m in models)]
    artists = {t["track_id"]: (t.get("artist") or "").strip().lower() for t in collection.tracks()}
    if len({artists.get(t) or f"track {t}" for t in eligible}) < 2:
        raise NotFoundError(f"a study needs tracks of at least two artists with {', '.join(models)} {layer}")
    rng = np.random.default_rng(seed)
    similar = SimilarityStore(collection)
    trials = []
    for trial in range(n_trials):
        track = eligible[int(rng.integers(len(eligible)))]
        start = float(int(rng.integers(counts[models[0]][track])) * specs[0].segment_seconds)
        proposed: dict[tuple[int, float], list[str]] = {}
        for spec in specs:
            index = min(int(start // spec.segment_seconds), counts[spec.model_id][track] - 1)
            found = similar.similar(spec.model_id, layer, track, index, k=1, exclude_artist=True).items
            if not found:
                raise NotFoundError(f"{spec.model_id} has no segment of another artist to propose for track {track}")
            key = (found[0].track_id, round(found[0].segment * spec.segment_seconds, 6))
            proposed.setdefault(key, []).append(spec.model_id)
        if control:
            others = [t for t in eligible if t != track and (not artists.get(track) or artists.get(t) != artists.get(track))]
            other = others[int(rng.integers(len(others)))]
            key = (other, float(int(rng.integers(counts[models[0]][other])) * specs[0].segment_seconds))
            proposed.setdefault(key, []).append(CONTROL)
        order = rng.permutation(len(proposed))
        items = list(proposed.items())
        candidates = tuple(Candidate(LABELS[i], items[j][0][0], items[j][0][1], tuple(items[j][1])) for i, j in enumerate(order))
        trials.append(Trial(trial, track, start, candidates))
    token = secrets.token_hex(16)
    name = (name or "Listening study").strip()[:200]  # raters see it: by default it names no model
    study_id = _studies(collection).create(token=token, name=name, layer=layer, models=models, clip_seconds=clip_seconds, seed=seed, trials=trials)
    return get_study(collection, study_id=study_id)


def _check_writable(collection, what: str) -> None:
    if collection.readonly:
        raise ReadOnlyError(f"this collection is open read-only: {what}")


def get_study(collection, *, study_id: int | None = None, token: str | None = None) -> dict:
    study = _studies(collection).study(study_id=study_id, token=token)
    if study is None:
        raise NotFoundError("no such study")
    return study


def rater_view(collection, token: str, *, rater: str | None = None) -> dict:
    """What a rater's page needs and nothing more: the study's name, clip length and, per trial,
    its candidates' labels (no track, artist, model or time); with ``rater``, the trials they answered."""
    study = get_study(collection, token=token)
    store = _studies(collection)
    trials = store.trials(study["study_id"])
    return {"name": study["name"], "clip_seconds": study["clip_seconds"], "n_trials": len(trials),
            "trials": [{"trial": t.trial, "candidates": [c.label for c in t.candidates]} for t in trials],
            "answered": store.answered(study["study_id"], check_pseudonym(rater)) if rater else []}


def clip_of(collection, token: str, *, trial: int, label: str) -> tuple[dict, float, float]:
    """The track, start and end of a trial's reference (``label="ref"``) or of one of its candidates."""
    study = get_study(collection, token=token)
    found = next((t for t in _studies(collection).trials(study["study_id"]) if t.trial == trial), None)
    if found is None:
        raise NotFoundError(f"the study has no trial {trial}")
    if label == "ref":
        track_id, start = found.reference_track, found.reference_start
    else:
        candidate = next((c for c in found.candidates if c.label == label), None)
        if candidate is None:
            raise NotFoundError(f"trial {trial} has no candidate {label[:8]!r}")
        track_id, start = candidate.track_id, candidate.start
    return collection.track(track_id), start, start + study["clip_seconds"]


def check_pseudonym(rater) -> str:
    if not isinstance(rater, str) or not rater.strip():
        raise UsageError("give a pseudonym (any name; not your real one)")
    rater = rater.strip()
    if len(rater) > MAX_PSEUDONYM or not rater.isprintable():
        raise UsageError(f"a pseudonym is at most {MAX_PSEUDONYM} printable characters")
    return rater


def record_answer(collection, token: str, *, trial, rater, choice) -> dict:
    """Store a rater's choice in a trial (a later answer replaces an earlier one)."""
    _check_writable(collection, "answers are not stored")
    rater = check_pseudonym(rater)
    if not isinstance(trial, int) or isinstance(trial, bool):
        raise UsageError("'trial' must be a trial number")
    study = get_study(collection, token=token)
    store = _studies(collection)
    found = next((t for t in store.trials(study["study_id"]) if t.trial == trial), None)
    if found is None:
        raise NotFoundError(f"the study has no trial {trial}")
    if not isinstance(choice, str) or choice not in [c.label for c in found.candidates]:
        raise UsageError(f"'choice' must be one of {', '.join(c.label for c in found.candidates)}")
    store.answer(study["study_id"], trial=trial, rater=rater, choice=choice)
    return {"answered": len(store.answered(study["study_id"], rater)), "n_trials": study["n_trials"]}


# -- results -----------------------------------------------------------------------------------


def wilson_interval(*, successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | tuple[None, None]:
    """The Wilson score interval of a binomial proportion (None, None without trials)."""
    if n == 0:
        return None, None
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def krippendorff_alpha_nominal(*, units: Sequence[Sequence]) -> float | None:
    """Krippendorff's alpha for nominal values: ``1 - D_o / D_e`` from the coincidence matrix.

    Parameters
    ----------
    units : sequence of sequences
        The values given to each unit (any hashable; as many as it got). Units with fewer than
        two values are not pairable and left out.

    Returns
    -------
    float or None
        None when fewer than two values are pairable or every pairable value is the same (no
        variation: alpha is undefined).
    """
    pairable = [list(values) for values in units if len(values) >= 2]
    categories = sorted({v for values in pairable for v in values}, key=repr)
    if not pairable or len(categories) < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    coincidences = np.zeros((len(categories), len(categories)))
    for values in pairable:
        counts = np.bincount([index[v] for v in values], minlength=len(categories)).astype(float)
        coincidences += (np.outer(counts, counts) - np.diag(counts)) / (len(values) - 1)
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    observed = (n - np.trace(coincidences)) / n
    expected = (n * n - (n_c**2).sum()) / (n * (n - 1))
    return float(1.0 - observed / expected)


@dataclass
class StudyResults:
    study: dict
    rates: list[dict]  # [{source, chosen, answers, rate, ci_low, ci_high}]
    alpha: float | None
    n_answers: int
    n_raters: int
    n_units: int  # trials with at least two answers

    def to_json(self) -> dict:
        study = {key: self.study[key] for key in ("study_id", "name", "layer", "models", "clip_seconds", "seed", "created_at", "n_trials")}
        return {"study": study, "n_answers": self.n_answers, "n_raters": self.n_raters, "confidence": CONFIDENCE,
                "interval": "Wilson score", "rates": self.rates,
                "agreement": {"measure": "Krippendorff's alpha (nominal; trials are units, the chosen candidate the value)",
                              "alpha": self.alpha, "units": self.n_units}}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["source", "chosen", "answers", "rate", "ci_low", "ci_high", "krippendorff_alpha", "raters"])
        for row in self.rates:
            writer.writerow([row["source"], row["chosen"], row["answers"], _num(row["rate"]), _num(row["ci_low"]), _num(row["ci_high"]),
                             _num(self.alpha), self.n_raters])
        return out.getvalue()


def _num(value) -> str:
    return "" if value is None else f"{value:.6f}"


def study_results(collection, study_id: int) -> StudyResults:
    """Preference rates with Wilson intervals and Krippendorff's alpha of a study's answers so far."""
    study = get_study(collection, study_id=study_id)
    answers = _studies(collection).answers(study_id)
    n = len(answers)
    has_control = any(CONTROL in c.sources for t in _studies(collection).trials(study_id) for c in t.candidates)
    rates = []
    for source in [*study["models"], *([CONTROL] if has_control else [])]:
        chosen = sum(source in answer["sources"] for answer in answers)
        low, high = wilson_interval(successes=chosen, n=n)
        rates.append({"source": source, "chosen": chosen, "answers": n, "rate": chosen / n if n else None, "ci_low": low, "ci_high": high})
    by_trial: dict[int, list[str]] = {}
    for answer in answers:
        by_trial.setdefault(answer["trial"], []).append(answer["choice"])
    return StudyResults(study, rates, krippendorff_alpha_nominal(units=list(by_trial.values())), n, len({a["rater"] for a in answers}),
                        sum(len(v) >= 2 for v in by_trial.values()))


def list_studies(collection) -> list[dict]:
    return _studies(collection).studies()
