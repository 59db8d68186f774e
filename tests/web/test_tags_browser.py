"""The tag analysis views in real headless Chromium: the track view's playhead follows the audio
and its cells play their segment; a cell of the correlation matrix opens that pair in the map;
the tag view plays its top segments; ground truth shows the API's numbers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from test_explorer import isolated_point, open_explorer, plot_box, points, wait_idle

SEGMENT = 2.992


def player_state(page) -> dict:
    return page.evaluate("(() => { const a = document.getElementById('player'); return { src: a.src, t: a.currentTime, paused: a.paused, ...a.dataset }; })()")


def playhead(page) -> dict:
    return page.evaluate("(() => { const p = document.getElementById('playhead'); return { hidden: p.hidden, left: parseFloat(p.style.left), seconds: Number(p.dataset.seconds), segment: Number(p.dataset.segment) }; })()")


def test_a_point_opens_its_track_view_whose_playhead_follows_the_audio(page, client):
    open_explorer(page, "listen=off")
    target = isolated_point(points(page), plot_box(page))
    page.mouse.move(target["x"], target["y"])
    page.wait_for_timeout(150)
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function("document.getElementById('taggram') && !document.getElementById('taggram').hidden && window.tagscape.analysis.trackView.data")
    assert "pane=track" in page.url and f"ptrack={target['track']}" in page.url
    taggram = client.get(f"/api/tracks/{target['track']}/taggram?model=musicnn-mtt").get_json()
    assert page.evaluate("window.tagscape.analysis.trackView.data.tags") == taggram["tags"]
    # the track's trajectory is on the map
    wait_idle(page)
    assert page.evaluate("window.tagscape.plots[0].marked.track") == target["track"]

    # clicking a cell plays exactly that segment
    column = min(1, taggram["n_segments"] - 1)
    x, y = page.evaluate(f"window.tagscape.analysis.trackView.cellCenter(3, {column})")
    page.mouse.click(x, y)
    page.wait_for_function("document.getElementById('player').currentTime > 0.2", timeout=15_000)
    played = player_state(page)
    query = parse_qs(urlparse(played["src"]).query)
    assert urlparse(played["src"]).path == f"/api/audio/{target['track']}" and int(played["segment"]) == column
    assert float(query["start"][0]) == pytest.approx(column * SEGMENT, abs=1e-3)
    assert float(query["end"][0]) == pytest.approx((column + 1) * SEGMENT, abs=1e-3)

    # the playhead moves with the audio, inside the playing segment, and the map marks that segment
    first = playhead(page)
    page.wait_for_timeout(500)
    second = playhead(page)
    assert not first["hidden"] and second["left"] > first["left"] and second["seconds"] > first["seconds"]
    assert column * SEGMENT <= first["seconds"] < second["seconds"] <= (column + 1) * SEGMENT + 0.05
    assert second["segment"] == column
    assert page.evaluate("window.tagscape.plots[0].marked") == {"track": target["track"], "segment": column, "point": target["i"] - target["segment"] + column}

    # the whole track: the playhead starts at 0 and runs on
    page.click("#play-track")
    page.wait_for_function("document.getElementById('player').dataset.end === '' && document.getElementById('player').currentTime > 0.3", timeout=15_000)
    assert 0.2 < playhead(page)["seconds"] < 3.5

    # model agreement: both models, one comparison
    page.wait_for_function("document.querySelectorAll('#agreement .ag-model').length === 2")
    assert "musicnn-mtt vs vgg-msd" in page.text_content("#agreement .ag-pairs")

    page.click("#close-dock")
    assert page.is_hidden("#dock") and "pane=" not in page.url


def test_a_cell_of_the_correlation_matrix_opens_that_pair_in_the_map(page, client):
    open_explorer(page, "pane=matrix")
    page.wait_for_function("window.tagscape.analysis.matrixView.data && !document.getElementById('matrix').hidden")
    matrix = client.get("/api/correlations/matrix?model=musicnn-mtt").get_json()
    assert page.evaluate("window.tagscape.analysis.matrixView.data.tags") == matrix["tags"]
    row, col = 4, 11
    x_tag, y_tag = matrix["tags"][col], matrix["tags"][row]
    x, y = page.evaluate(f"window.tagscape.analysis.matrixView.cellCenter({row}, {col})")
    page.mouse.move(x, y)
    assert f"{x_tag} × {y_tag}: r = {matrix['matrix'][row][col]:.2f}" in page.text_content(".mx-info")
    page.mouse.click(x, y)
    wait_idle(page)
    state = page.evaluate("window.tagscape.state()")
    assert (state["proj"], state["layer"], state["x"], state["y"]) == ("original", "taggrams", x_tag, y_tag)
    query = parse_qs(urlparse(page.url).query)
    assert query["proj"] == ["original"] and query["x"] == [x_tag] and query["y"] == [y_tag]
    assert page.text_content(".axis-title.x") == x_tag and page.text_content(".axis-title.y") == y_tag
    assert page.evaluate("window.tagscape.plots[0].data.meta.axis_labels") == [x_tag, y_tag]
    # the pair's scatter shows its correlations, the API's numbers
    page.wait_for_function("document.querySelector('.pair-stats') && !document.querySelector('.pair-stats').hidden")
    pair = client.get("/api/correlations", query_string={"model": "musicnn-mtt", "x": x_tag, "y": y_tag}).get_json()
    text = page.text_content(".pair-stats")
    assert f"Pearson r = {pair['pearson']:.3f}" in text and f"Spearman ρ = {pair['spearman']:.3f}" in text
    assert pair["pearson"] == pytest.approx(matrix["matrix"][row][col], abs=1e-3)


def test_the_tag_view_plays_its_top_segments(page, client):
    open_explorer(page, "listen=off&pane=tag&ptag=piano&pk=6")
    page.wait_for_function("document.querySelectorAll('#top-segments li').length === 6")
    api = client.get("/api/tag?model=musicnn-mtt&tag=piano&k=6").get_json()
    rows = page.evaluate("Array.from(document.querySelectorAll('#top-segments li'), (li) => [Number(li.dataset.track), Number(li.dataset.segment)])")
    assert rows == [[row["track_id"], row["segment"]] for row in api["top"]]
    assert page.evaluate("document.getElementById('tag-histogram').dataset.bins") == "50"
    page.click("#top-segments li:nth-child(2) .tg-track")
    page.wait_for_function("document.getElementById('player').dataset.track !== undefined && document.getElementById('player').currentTime > 0.05", timeout=15_000)
    played = player_state(page)
    assert (int(played["track"]), int(played["segment"])) == (api["top"][1]["track_id"], api["top"][1]["segment"])
    # K from the URL state, changed in the view
    page.fill("#tv-k", "3")
    page.press("#tv-k", "Enter")
    page.wait_for_function("document.querySelectorAll('#top-segments li').length === 3")
    assert "pk=3" in page.url


def test_ground_truth_shows_the_apis_aucs(page, client):
    open_explorer(page, "pane=truth&pmodel=vgg-msd")
    page.wait_for_function("document.querySelectorAll('#ground-truth tbody tr').length > 0")
    api = client.get("/api/ground-truth?model=vgg-msd").get_json()
    cells = page.evaluate("Array.from(document.querySelectorAll('#ground-truth tbody tr'), (tr) => Array.from(tr.cells, (td) => td.textContent))")
    assert [c[0] for c in cells] == [row["tag"] for row in api["tags"]]
    for shown, row in zip(cells, api["tags"], strict=True):
        assert shown[4] == ("–" if row["roc_auc"] is None else f"{row['roc_auc']:.3f}")
        assert shown[5] == ("–" if row["pr_auc"] is None else f"{row['pr_auc']:.3f}")


@pytest.fixture(scope="module")
def embeddings_only(tmp_path_factory):
    """A live server over a collection whose only model has no taggrams (VGGish: embeddings only)."""
    import numpy as np

    from tagscape.collection import index_jamendo, open_collection
    from tagscape.web import create_app
    from tagscape.web.devserver import serving

    folder = tmp_path_factory.mktemp("embeddings-only")
    tsv = folder / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000001\tartist_1\talbum_1\t01/1.mp3\t30.0\tgenre---rock\n"
                   "track_0000002\tartist_2\talbum_2\t02/2.mp3\t20.0\tgenre---pop\n")
    index_jamendo(tsv, data_dir=folder / "data", audio_url="https://audio.example.org/{id}.mp3")
    rng = np.random.default_rng(1)
    with open_collection(folder / "data") as collection:
        for track in collection.tracks():
            n = int(track["duration"] // 0.96)
            collection.store.write_result(track["track_id"], "vggish-audioset", content_hash=track["content_hash"], segment_seconds=0.96,
                                          layers={"embeddings": rng.random((n, 128)).astype(np.float16)})
    with serving(create_app(str(folder / "data"), {"TESTING": True})) as url:
        yield url


def test_the_views_explain_themselves_when_no_model_has_tags(page, embeddings_only):
    page.goto(f"{embeddings_only}/?pane=tag")
    wait_idle(page)
    assert page.is_visible("#dock")
    assert "None of the extracted models has a taggrams layer" in page.text_content("#dock .dock-body")
    assert page.evaluate("document.getElementById('analysis-model').options.length") == 0
    # every pane explains the same instead of failing
    page.click("#open-matrix")
    assert "needs a tagger" in page.text_content("#dock .dock-body")
    assert page.evaluate("window.tagscape.plots[0].data.meta.layer") == "embeddings"
    assert page.query_selector(".pair-stats:not([hidden])") is None
