"""Listening studies (tagscape.study, web/study.py): statistics against hand-computed values, a
simulated rater, answers that survive a restart of a real server, and a raters' page in real
Chromium that asks the server for nothing but its own study."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from webdata import fetch, free_port, wait_until_up

from tagscape.cli import main
from tagscape.collection import open_collection
from tagscape.store.db import SCHEMA_VERSION, Store
from tagscape.store.studies import StudyStore
from tagscape.study import create_study, krippendorff_alpha_nominal, wilson_interval
from tagscape.web import create_app

A, B = "musicnn-mtt", "vgg-msd"
Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile


def test_krippendorff_alpha_by_hand():
    # Two raters, four trials: (a, a) (a, b) (b, b) (b, b). Coincidences: o_aa = 2, o_ab = o_ba = 1,
    # o_bb = 4; n_a = 3, n_b = 5, n = 8. D_o = 2/8, D_e = 2 * 3 * 5 / (8 * 7); alpha = 1 - D_o/D_e = 8/15.
    assert krippendorff_alpha_nominal(units=[["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]) == pytest.approx(8 / 15, abs=1e-12)
    # A unit with one value is not pairable and changes nothing; perfect agreement is 1; no variation is undefined.
    assert krippendorff_alpha_nominal(units=[["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"], ["c"]]) == pytest.approx(8 / 15, abs=1e-12)
    assert krippendorff_alpha_nominal(units=[["A", "A", "A"], ["B", "B"], ["C", "C"]]) == pytest.approx(1.0, abs=1e-12)
    assert krippendorff_alpha_nominal(units=[["A", "A"], ["A", "A"]]) is None
    assert krippendorff_alpha_nominal(units=[["A"], ["B"]]) is None


def test_wilson_interval_by_hand():
    # p = 1 of n: the interval is [n / (n + z^2), 1].
    low, high = wilson_interval(successes=10, n=10)
    assert low == pytest.approx(10 / (10 + Z95**2), abs=1e-9) and high == pytest.approx(1.0, abs=1e-12)
    # p = 1/2 of 100: centre 1/2, half-width z * sqrt(1/4 / 100 + z^2 / (4 * 100^2)) / (1 + z^2 / 100).
    low, high = wilson_interval(successes=50, n=100)
    half = Z95 * (0.25 / 100 + Z95**2 / (4 * 100**2)) ** 0.5 / (1 + Z95**2 / 100)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half), abs=1e-9)
    assert wilson_interval(successes=0, n=0) == (None, None)


@pytest.fixture(scope="module")
def study_dir(collection_dir, tmp_path_factory) -> Path:
    """A copy of the web tests' collection (studies write its database)."""
    copy = tmp_path_factory.mktemp("study") / "collection"
    shutil.copytree(collection_dir, copy)
    return copy


@pytest.fixture(scope="module")
def study(study_dir) -> dict:
    with open_collection(study_dir) as collection:
        return create_study(collection, models=[A, B], layer="embeddings", n_trials=6, seed=3)


def _truth(study_dir, study) -> list:
    with open_collection(study_dir) as collection:
        return StudyStore(collection.store).trials(study["study_id"])


def _answer(client, token, **body):
    return client.post(f"/api/study/{token}/answers", json=body)


def test_a_rater_who_always_picks_model_a_gives_a_rate_of_one(study_dir, study):
    client = create_app(str(study_dir), {"TESTING": True}).test_client()
    trials = _truth(study_dir, study)
    assert len(trials) == 6 and all(2 <= len(t.candidates) <= 3 for t in trials)
    for t in trials:  # another artist than the reference's, for every candidate
        sources = [s for c in t.candidates for s in c.sources]
        assert sorted(set(sources)) == sorted({A, B, "control"}) and len(sources) == 3
    for rater in ("ann", "bob"):
        for t in trials:
            label = next(c.label for c in t.candidates if A in c.sources)
            assert _answer(client, study["token"], rater=rater, trial=t.trial, choice=label).status_code == 200
    body = client.get(f"/api/studies/{study['study_id']}/results").get_json()
    rates = {row["source"]: row for row in body["rates"]}
    n = 12
    assert rates[A]["rate"] == 1.0 and rates[A]["chosen"] == n == rates[A]["answers"]
    assert rates[A]["ci_low"] == pytest.approx(n / (n + Z95**2), abs=1e-9) and rates[A]["ci_high"] == pytest.approx(1.0)
    shared = sum(any(A in c.sources and B in c.sources for c in t.candidates) for t in trials)  # B gets A's credit where they agree
    assert rates[B]["chosen"] == 2 * shared and rates["control"]["chosen"] == 0
    assert body["agreement"]["alpha"] == pytest.approx(1.0) and body["agreement"]["units"] == 6  # both always agree
    table = client.get(f"/api/studies/{study['study_id']}/results?format=csv").get_data(as_text=True).splitlines()
    assert table[0].startswith("source,chosen,answers,rate,ci_low,ci_high") and table[1].startswith(f"{A},12,12,1.000000,")


def test_answers_survive_a_restart_of_the_server(study_dir, study):
    def serve():
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "tagscape.cli", "serve", "-c", str(study_dir), "--port", str(port), "--no-warm-up"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(f"http://127.0.0.1:{port}", process)
        return process, f"http://127.0.0.1:{port}"

    trial = _truth(study_dir, study)[0]
    process, base = serve()
    try:
        request = urllib.request.Request(f"{base}/api/study/{study['token']}/answers", method="POST", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"rater": "Zoë ☂", "trial": trial.trial, "choice": trial.candidates[-1].label}).encode())
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(30)
    process, base = serve()
    try:
        status, _, body = fetch(f"{base}/api/study/{study['token']}?rater=Zo%C3%AB%20%E2%98%82")
        assert status == 200 and json.loads(body)["answered"] == [trial.trial]
        status, _, body = fetch(f"{base}/api/studies/{study['study_id']}/results")
        assert json.loads(body)["n_raters"] >= 1
    finally:
        process.terminate()
        process.wait(30)


def test_the_raters_api_names_no_track_artist_model_or_time(study_dir, study):
    client = create_app(str(study_dir), {"TESTING": True}).test_client()
    view = client.get(f"/api/study/{study['token']}").get_json()
    assert set(view) == {"name", "clip_seconds", "n_trials", "trials", "answered"}
    assert all(set(t) == {"trial", "candidates"} and all(len(label) == 1 for label in t["candidates"]) for t in view["trials"])
    page = client.get(f"/study/{study['token']}").get_data(as_text=True)
    served = client.get("/static/study/study.js")
    script = served.get_data(as_text=True)
    served.close()  # a file answer holds the file open until closed
    with open_collection(study_dir) as collection:
        tracks = collection.tracks()
    words = [A, B, '"control"', *(t["title"] for t in tracks if t["title"]), *(t["artist"] for t in tracks if t["artist"]), *(t["key"] for t in tracks)]
    for text in (json.dumps(view), page, script):
        assert not [word for word in words if word in text]
    assert "/api/" not in page and set(re.findall(r"/api/\w*", script)) == {"/api/study"}  # the study's own API only
    clip = client.get(f"/api/study/{study['token']}/clip/0/ref")
    assert clip.status_code == 200 and clip.mimetype == "audio/wav" and "Content-Disposition" not in clip.headers


def test_bad_study_requests_are_4xx(study_dir, study):
    client = create_app(str(study_dir), {"TESTING": True}).test_client()
    token, trial = study["token"], _truth(study_dir, study)[0]
    label = trial.candidates[0].label
    assert client.get("/study/" + "0" * 32).status_code == 404 and client.get("/study/..%2f").status_code == 404
    for url in ("/api/study/" + "0" * 32, f"/api/study/{token}/clip/99/A", f"/api/study/{token}/clip/0/Z", f"/api/study/{token}/clip/0/ref.wav",
                "/api/studies/99999/results", f"/api/study/{token}/clip/{'9' * 30}/A"):
        answer = client.get(url)
        assert answer.status_code == 404 and set(answer.get_json()) == {"error", "message"}, url
    for body in ({"rater": "", "trial": 0, "choice": label}, {"rater": "x" * 65, "trial": 0, "choice": label},
                 {"rater": "tab\there", "trial": 0, "choice": label}, {"rater": "r", "trial": "0", "choice": label},
                 {"rater": "r", "trial": 0, "choice": "Z"}, {"rater": "r", "trial": True, "choice": label}, [1, 2]):
        assert _answer(client, token, **body).status_code == 400 if isinstance(body, dict) else \
            client.post(f"/api/study/{token}/answers", json=body).status_code == 400
    assert _answer(client, token, rater="r", trial=99, choice="A").status_code == 404
    assert client.get(f"/api/studies/{study['study_id']}/results?format=xml").status_code == 400
    read_only = create_app(str(study_dir), {"TESTING": True}, read_only=True).test_client()
    refused = _answer(read_only, token, rater="r", trial=trial.trial, choice=label)
    assert refused.status_code == 409 and "read-only" in refused.get_json()["message"]


def test_an_older_store_gets_the_study_tables(tmp_path):
    db = tmp_path / "tagscape.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.executescript("DROP TABLE study_answers; DROP TABLE study_candidates; DROP TABLE study_trials; DROP TABLE studies; "
                       "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    conn.close()
    with Store(db) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        assert StudyStore(store).studies() == []


def test_cli_creates_a_study_and_prints_its_results(study_dir):
    made = CliRunner().invoke(main, ["study", "create", "-c", str(study_dir), "-m", A, "--trials", "3", "--no-control", "--name", "Pilot"])
    assert made.exit_code == 0, made.output
    assert "/study/" in made.output
    study_id = made.output.split()[1].rstrip(":")
    shown = CliRunner().invoke(main, ["study", "results", "-c", str(study_dir), study_id])
    assert shown.exit_code == 0 and "Pilot: 0 answers" in shown.output and "control" not in shown.output
    bad = CliRunner().invoke(main, ["study", "results", "-c", str(study_dir), "424242"])
    assert bad.exit_code == 2 and "no such study" in bad.output


def test_a_rater_answers_every_trial_in_chromium(browser, study_dir, study):
    from tagscape.web.devserver import serving

    app = create_app(str(study_dir), {"TESTING": True})
    with serving(app) as url:
        context = browser.new_context(viewport={"width": 900, "height": 760})
        tab = context.new_page()
        problems, asked = [], []
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.on("request", lambda request: asked.append(request.url.removeprefix(url)))
        tab.goto(f"{url}/study/{study['token']}")
        tab.fill("#rater", "browser rater")
        tab.click("#who button")
        for i in range(study["n_trials"]):
            tab.wait_for_selector(f"text=Trial {i + 1} of {study['n_trials']}")
            tab.check("#candidates input >> nth=0")
            tab.click("#next")
        tab.wait_for_selector("#done:not([hidden])")
        context.close()
    assert not problems, problems
    allowed = (f"/study/{study['token']}", "/static/study/", f"/api/study/{study['token']}")
    assert asked and all(path.startswith(allowed) for path in asked), [p for p in asked if not p.startswith(allowed)]
    with open_collection(study_dir) as collection:
        answers = StudyStore(collection.store).answers(study["study_id"])
    assert sorted(a["trial"] for a in answers if a["rater"] == "browser rater") == list(range(study["n_trials"]))
