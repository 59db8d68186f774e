"""VGGish (0.96 s segments, embeddings only) in the web API and the explorer, next to a 3 s model.

The collection is a copy of the web tests' real one (MusiCNN-MTT and VGG-MSD extracted) plus
stored VGGish results: 128-d embeddings, one row per 0.96 s of each track as the front end cuts
it. The VGGish network itself is tested in tests/models (its weights are not in any package).
"""

from __future__ import annotations

import csv
import io
import shutil
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tagscape.collection import open_collection
from tagscape.models.registry import ADDED_WEIGHTS_ENV
from tagscape.web import create_app
from tagscape.web.devserver import serving
from tagscape.web.points import parse_binary
from test_explorer import download, isolated_point, lasso, plot_box, points, wait_idle

VGGISH = "vggish-audioset"
SEGMENT = 0.96


def vggish_segments(duration: float) -> int:
    """Whole 96-frame patches of 25 ms frames every 10 ms (at least one, repeat-padded)."""
    frames = 1 + (int(round(duration * 16000)) - 400) // 160
    return max(1, frames // 96)


@pytest.fixture(scope="module")
def vggish_dir(collection_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("vggish-web") / "collection"
    shutil.copytree(collection_dir, folder)
    rng = np.random.default_rng(6)
    with open_collection(folder) as collection:
        for track in collection.tracks():
            n = vggish_segments(track["duration"])
            centre = rng.normal(0, 1, 128)
            embeddings = centre + 0.3 * np.cumsum(rng.normal(0, 1, (n, 128)), axis=0) / np.sqrt(np.arange(1, n + 1))[:, None]
            collection.store.write_result(track["track_id"], VGGISH, content_hash=track["content_hash"], segment_seconds=SEGMENT,
                                          layers={"embeddings": embeddings.astype(np.float16)})
    return folder


@pytest.fixture(scope="module")
def vggish_app(vggish_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # no VGGish weights, whatever this machine holds
        patch.setenv(ADDED_WEIGHTS_ENV, str(tmp_path_factory.mktemp("no-weights")))
        yield create_app(str(vggish_dir), {"TESTING": True})


@pytest.fixture
def vclient(vggish_app):
    return vggish_app.test_client()


@pytest.fixture(scope="module")
def vggish_server(vggish_app):
    with serving(vggish_app) as url:
        yield url


@pytest.fixture
def vpage(browser, vggish_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.base_url = vggish_server
    yield tab
    context.close()
    assert not problems, problems


# -- API ---------------------------------------------------------------------------------------


def test_models_lists_vggish_as_an_extracted_embedding_model(vclient):
    rows = {row["model_id"]: row for row in vclient.get("/api/models").get_json()["models"]}
    row = rows[VGGISH]
    assert row["extracted"] and row["tracks_done"] == 10
    assert (row["architecture_name"], row["dataset_name"], row["segment_seconds"], row["tags"]) == ("VGGish", "AudioSet", SEGMENT, [])
    assert [(layer["name"], layer["size"], layer["labels"]) for layer in row["layers"]] == [("embeddings", 128, None)]
    assert row["weights_status"].startswith("weights missing: download https://storage.googleapis.com/audioset/vggish_model.ckpt")


@pytest.mark.parametrize("mode", ["segments", "trajectories", "averages"])
def test_points_in_every_mode_with_the_embeddings_as_default_layer(vclient, collection, mode):
    body = vclient.get(f"/api/points?model={VGGISH}&mode={mode}")
    assert body.status_code == 200, body.get_json()
    points = parse_binary(body.data)
    assert points.meta["layer"] == "embeddings" and points.meta["segment_seconds"] == SEGMENT
    expected = sum(vggish_segments(t["duration"]) for t in collection.tracks())
    n_tracks = len(points.meta["tracks"]["track_id"])
    assert points.n == (n_tracks if mode == "averages" else expected)
    assert list(points.meta["tracks"]["n_segments"]) == [vggish_segments(collection.track(int(t))["duration"]) for t in points.meta["tracks"]["track_id"]]
    # Same tracks, about 3.1 times as many points as the 3 s model's.
    three = parse_binary(vclient.get("/api/points?model=vgg-msd&layer=embeddings").data)
    if mode == "segments":
        assert 2.9 < points.n / three.n < 3.4


def test_original_axes_are_embedding_dimensions(vclient):
    body = vclient.get(f"/api/points?model={VGGISH}&projection=original&x=5&y=127&format=json").get_json()
    values = np.concatenate([np.asarray(vclient.get(f"/api/tracks/{t}/layers/{VGGISH}/embeddings").get_json()["values"])
                             for t in body["tracks"]["track_id"]])
    np.testing.assert_allclose(body["points"]["x"], values[:, 5], atol=1e-3)
    np.testing.assert_allclose(body["points"]["y"], values[:, 127], atol=1e-3)


def test_taggram_requests_get_one_clear_error(vclient):
    for url, status, words in (
        (f"/api/points?model={VGGISH}&layer=taggrams", 404, "has no layer 'taggrams'"),
        (f"/api/points?model={VGGISH}&value=rock", 400, "has no taggrams"),
        (f"/api/points?model={VGGISH}&rank=rock", 400, "has no taggrams"),
        (f"/api/tracks/1/layers/{VGGISH}/taggrams", 404, "has no layer 'taggrams'"),
    ):
        response = vclient.get(url)
        assert response.status_code == status, url
        assert words in response.get_json()["message"], (url, response.get_json())


def test_a_segment_has_the_exact_0_96_s_range_and_no_tags(vclient, collection):
    track = max(collection.tracks(), key=lambda t: t["duration"])
    segment = vclient.get(f"/api/tracks/{track['track_id']}/segments/3?model={VGGISH}").get_json()
    assert (segment["start"], segment["end"], segment["top_tags"]) == (2.88, 3.84, [])
    layer = vclient.get(f"/api/tracks/{track['track_id']}/layers/{VGGISH}/embeddings").get_json()
    assert layer["segment_starts"][:4] == [0.0, 0.96, 1.92, 2.88] and layer["labels"] == []
    assert VGGISH not in vclient.get(f"/api/tracks/{track['track_id']}/top-tags").get_json()


# -- the explorer ------------------------------------------------------------------------------


def test_explorer_shows_vggish_beside_a_3_s_model_and_plays_exact_segments(vpage):
    vpage.goto(f"{vpage.base_url}/?model={VGGISH}&compare=1&model2=vgg-msd&layer2=embeddings&color=tag&ctag=rock")
    wait_idle(vpage)
    state = vpage.evaluate("window.tagscape.state()")
    assert (state["model"], state["layer"], state["color"]) == (VGGISH, "embeddings", "track")  # taggram choices fixed
    assert vpage.evaluate("document.querySelector('#color option[value=tag]').disabled")
    assert vpage.evaluate("document.querySelector('#hl option[value=tag]').hidden")
    assert vpage.evaluate("window.tagscape.plots[0].data.meta.segment_seconds") == SEGMENT
    assert vpage.evaluate("window.tagscape.plots[1].data.meta.segment_seconds") == pytest.approx(2.992)
    first, second = points(vpage, 0), points(vpage, 1)
    assert len(first) > 2.9 * len(second)

    target = isolated_point(first, plot_box(vpage, 0))
    vpage.mouse.move(target["x"], target["y"])
    vpage.wait_for_function("document.getElementById('player').currentTime > 0.05", timeout=10_000)
    src = vpage.evaluate("document.getElementById('player').src")
    start = target["segment"] * SEGMENT
    assert urlparse(src).path == f"/api/audio/{target['track']}"
    query = parse_qs(urlparse(src).query)
    assert float(query["start"][0]) == pytest.approx(start, abs=1e-3) and float(query["end"][0]) == pytest.approx(start + SEGMENT, abs=1e-3)
    assert vpage.evaluate("document.getElementById('player').duration") == pytest.approx(SEGMENT, abs=0.01)
    vpage.wait_for_function("document.querySelector('#now-playing .np-tags').textContent.includes('embeddings only')")
    # The linked point of the 3 s map is the segment covering this one's middle.
    vpage.wait_for_function("window.tagscape.plots[1].linkedHover !== null && window.tagscape.plots[1].linkedHover !== undefined")
    linked = second[vpage.evaluate("window.tagscape.plots[1].linkedHover")]
    assert (linked["track"], linked["segment"]) == (target["track"], int((start + SEGMENT / 2) // 2.992))

    # Exports: each selected 0.96 s segment with its exact time range.
    vpage.mouse.move(5, 5)
    left, top, width, height = plot_box(vpage, 0)
    lasso(vpage, [(left + width * 0.15, top + height * 0.15), (left + width * 0.85, top + height * 0.2), (left + width * 0.6, top + height * 0.85)])
    selected = vpage.evaluate("window.tagscape.plots[0].selected")
    assert len(selected) >= 5
    rows = list(csv.DictReader(io.StringIO(download(vpage, "#export-csv"))))
    assert {(int(r["track_id"]), int(r["segment"])) for r in rows} == {(first[i]["track"], first[i]["segment"]) for i in selected}
    for row in rows:
        assert float(row["start"]) == pytest.approx(int(row["segment"]) * SEGMENT, abs=1e-3)
        assert float(row["end"]) - float(row["start"]) == pytest.approx(SEGMENT, abs=1e-3)
    vpage.click("#clear-selection")

    n_segments = vpage.evaluate("Array.from(window.tagscape.plots[0].data.meta.tracks.n_segments)")
    vpage.check("input[name=mode][value=trajectories]")
    wait_idle(vpage)
    assert vpage.evaluate("window.tagscape.plots[0].overlayStats.trajectories") == sum(1 for n in n_segments if n > 1)
    vpage.check("input[name=mode][value=averages]")
    wait_idle(vpage)
    assert vpage.evaluate("window.tagscape.plots[0].data.x.length") == len(n_segments) == 10
    assert vpage.evaluate("window.tagscape.plots[0].overlayStats.circles") == 10


def test_without_weights_the_explorer_says_what_to_download_and_run(page, monkeypatch, tmp_path):
    monkeypatch.setenv(ADDED_WEIGHTS_ENV, str(tmp_path))  # the shared collection: VGGish never extracted
    page.goto(f"{page.base_url}/")
    wait_idle(page)
    # one short line, opened for what to download (a link) and run (issue 14)
    assert page.text_content(".model-missing summary") == "VGGish (AudioSet): weights not added"
    assert page.evaluate("document.querySelector('.model-missing summary').getBoundingClientRect().height") < 20
    assert not page.is_visible(".model-missing code")
    page.click(".model-missing summary")
    assert page.get_attribute(".model-missing a", "href") == "https://storage.googleapis.com/audioset/vggish_model.ckpt"
    assert page.text_content(".model-missing code") == "tagscape models add vggish-audioset vggish_model.ckpt"
    assert VGGISH not in page.evaluate("Array.from(document.querySelectorAll('#arch option'), (o) => o.textContent).join(' ')")


def test_without_weights_the_api_says_what_to_download_and_run(client, monkeypatch, tmp_path):
    monkeypatch.setenv(ADDED_WEIGHTS_ENV, str(tmp_path))
    response = client.get(f"/api/points?model={VGGISH}")
    assert response.status_code == 404
    assert response.get_json()["message"] == (
        f"no {VGGISH} results in this collection yet; its weights are missing: download "
        f"https://storage.googleapis.com/audioset/vggish_model.ckpt and run: tagscape models add {VGGISH} vggish_model.ckpt, "
        f"then: tagscape extract -m {VGGISH}")
    row = next(m for m in client.get("/api/models").get_json()["models"] if m["model_id"] == VGGISH)
    assert not row["extracted"] and row["weights_status"].startswith("weights missing: download")


def test_project_and_status_commands_handle_vggish(vggish_dir):
    from click.testing import CliRunner

    from tagscape.cli import main

    projected = CliRunner().invoke(main, ["project", "-c", str(vggish_dir), "-m", VGGISH, "--method", "pca"])
    assert projected.exit_code == 0, projected.output
    assert f"{VGGISH} embeddings pca" in " ".join(projected.output.split())
    wrong = CliRunner().invoke(main, ["project", "-c", str(vggish_dir), "-m", VGGISH, "--layer", "taggrams", "--method", "pca"])
    assert wrong.exit_code == 2 and "has no layer 'taggrams'" in wrong.output and "Traceback" not in wrong.output
    status = CliRunner().invoke(main, ["status", "-c", str(vggish_dir)])
    assert f"{VGGISH} done     10  pending      0  failed      0" in status.output
