"""The explorer's "about this collection" panel and the now-playing bar's credits and track tags,
in real Chromium, over a small collection whose files carry licence, source and genre tags."""

from __future__ import annotations

import re

import mutagen
import numpy as np
import pytest

from tagscape.collection import index_folder, open_collection
from tagscape.demo.excerpts import write_opus, write_tags
from tagscape.extract import extract_collection
from tagscape.models.registry import get_model
from tagscape.web import create_app
from tagscape.web.devserver import serving

SR = 48000
IDLE = "window.tagscape && window.tagscape.ready && document.body.dataset.loading === '0'"
#: Every MusiCNN-MTT tag, upper-cased with hyphens for spaces: whatever the model's top tags for the
#: track are, the track's own tags name them, in another case and spelling.
EVERY_TAG = [tag.upper().replace(" ", "-") for tag in get_model("musicnn-mtt").tags]


def key(text: str) -> str:
    """The explorer's rule for the same tag (tracktags.js tagKey): letters and digits, any case."""
    return re.sub(r"[\W_]+", "", text.casefold())


@pytest.fixture(scope="module")
def credited_server(tmp_path_factory):
    """Three 4 s tracks analysed by MusiCNN-MTT: two from a made-up package (two licences, one a
    file name with # ? % and non-ASCII), one with no credits at all."""
    root = tmp_path_factory.mktemp("credited-web")
    t = np.arange(4 * SR) / SR
    files = {
        "ça #1 ?%.opus": ({"title": "Alpha", "artist": "Ann", "album": "First", "date": "2007", "genre": "Rock; Folk/Pop", "licence": "CC-BY-SA-3.0",
                          "source": "pkg-one", "source_version": "1.0-1", "source_url": "https://packages.debian.org/pkg-one"}, 220.0),
        "b.opus": ({"title": "Beta", "artist": "Ann", "licence": "GPL-2.0-or-later", "source": "pkg-one", "source_version": "1.0-1"}, 880.0),
        "c.opus": ({"title": "Gamma", "genre": "techno"}, 3520.0),
    }
    for name, (tags, freq) in files.items():
        wave = 0.3 * np.sign(np.sin(2 * np.pi * freq * t)) * np.exp(-((t % 0.5) * 6))
        write_opus(np.stack([wave, wave]).astype(np.float32), SR, root / name)
        write_tags(root / name, tags)
    alpha = mutagen.File(root / "ça #1 ?%.opus")
    alpha["MOOD"] = EVERY_TAG  # one Vorbis comment per tag
    alpha.save()
    index_folder(root)
    with open_collection(root) as collection:
        extract_collection(collection, ["musicnn-mtt"], workers=1)
    app = create_app(str(root), {"TESTING": True})
    with serving(app) as url:
        yield url, app.test_client()


@pytest.fixture
def tab(browser, credited_server):
    url, client = credited_server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_function(IDLE, timeout=60_000)
    yield page, client
    context.close()
    assert not problems, problems


def test_the_about_panel_lists_the_sources_and_licences_of_the_collection(tab):
    page, client = tab
    about = client.get("/api/collection").get_json()
    page.click("#about-open")
    page.wait_for_selector("#about .about-source")
    rows = page.eval_on_selector_all("#about .about-source", "rows => rows.map((r) => ({ source: r.dataset.source, cells: [...r.cells].map((c) => c.innerText.trim()), href: r.querySelector('a')?.href ?? null }))")
    assert [row["source"] for row in rows] == [s["source"] for s in about["sources"]] == ["pkg-one"]
    (row,) = rows
    assert row["href"] == "https://packages.debian.org/pkg-one"
    assert row["cells"][1] == "1.0-1" and row["cells"][2] == "2"
    assert set(row["cells"][4].replace(" (1)", "").split(", ")) == {"CC-BY-SA-3.0", "GPL-2.0-or-later"}
    licences = page.eval_on_selector_all("#about .about-licence", "rows => rows.map((r) => ({ licence: r.dataset.licence, tracks: r.cells[1].innerText, href: r.querySelector('a')?.href ?? null }))")
    assert [(lic["licence"], int(lic["tracks"]), lic["href"]) for lic in licences] == [(lic["licence"], lic["tracks"], lic["url"]) for lic in about["licences"]]
    assert "1 track name no licence" in page.text_content("#about-gaps")
    page.keyboard.press("Escape")
    assert not page.is_visible("#about")


def play_track(page, title: str) -> None:
    """Hover the point of the track called ``title`` (one segment each) on the map: it plays."""
    x, y = page.evaluate("""(title) => { const p = window.tagscape.plots[0]; const t = p.data.meta.tracks.title.indexOf(title);
        const i = Array.from(p.data.track).indexOf(t); const [x, y] = p.screenPosition(i); const box = p.canvas.getBoundingClientRect();
        return [box.left + x, box.top + y]; }""", title)
    page.mouse.move(x, y)
    page.wait_for_function("(title) => document.querySelector('#now-playing .np-title').textContent === title", arg=title)


def test_the_now_playing_bar_names_the_tracks_year_licence_and_source(tab):
    page, client = tab
    play_track(page, "Alpha")
    page.wait_for_selector("#now-playing .np-licence")
    assert page.text_content("#now-playing .np-detail") == "Ann — First (2007)"
    link = page.locator("#now-playing a.np-licence")
    assert link.text_content() == "CC-BY-SA-3.0" and link.get_attribute("href") == "https://creativecommons.org/licenses/by-sa/3.0/"
    assert page.text_content("#now-playing .np-source") == "pkg-one 1.0-1"
    play_track(page, "Gamma")  # no credits: none shown, nothing left from the previous track
    page.wait_for_function("document.querySelector('#own-tags').textContent.includes('techno')")
    assert page.locator("#now-playing .np-licence").count() == 0 and page.locator("#now-playing .np-source").count() == 0


def test_the_tracks_own_tags_sit_beside_the_models_with_matches_marked(tab):
    page, client = tab
    play_track(page, "Alpha")
    page.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length === 5 && document.querySelectorAll('#own-tags .own-tag').length > 0")
    model = page.eval_on_selector_all("#now-playing .np-tags .tag", "tags => tags.map((t) => [t.querySelector('b').textContent, t.classList.contains('match')])")
    own = page.eval_on_selector_all("#own-tags .own-tag", "tags => tags.map((t) => [t.dataset.kind, t.textContent, t.classList.contains('match')])")
    # the genre string is split into its genres; the mood tags are kept as the file spells them,
    # each tag once (the moods ROCK and POP are the genres Rock and Pop)
    assert [value for kind, value, _ in own if kind == "genre"] == ["Rock", "Folk", "Pop"]
    assert {value for kind, value, _ in own if kind == "mood"} == set(EVERY_TAG) - {"ROCK", "POP"}
    # every model tag is among the track's (upper case, hyphens): all five marked, and exactly those own tags
    assert all(marked for _, marked in model)
    shown = {key(tag) for tag, _ in model}
    assert {key(value) for _, value, marked in own if marked} == shown
    play_track(page, "Beta")  # no descriptive tags: nothing marked
    page.wait_for_function("document.querySelector('#own-tags').textContent === 'track tags: none'")
    page.wait_for_function("document.querySelectorAll('#now-playing .np-tags .tag').length === 5")
    assert page.locator("#now-playing .match").count() == 0


def test_the_track_view_marks_the_tracks_own_tags_among_the_models_top_tags(tab):
    page, client = tab
    alpha = next(t for t in client.get("/api/tracks").get_json()["tracks"] if t["title"] == "Alpha")
    url = page.url.split("?")[0]
    page.goto(f"{url}?pane=track&ptrack={alpha['track_id']}&pmodel=musicnn-mtt")
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#tv-own-tags .own-tag').length > 0 && document.querySelectorAll('#agreement li[data-key]').length > 0", timeout=30_000)
    taggram = client.get(f"/api/tracks/{alpha['track_id']}/taggram?model=musicnn-mtt").get_json()
    top = {key(tag) for tag in taggram["tags"][:10]}
    own = page.eval_on_selector_all("#tv-own-tags .own-tag", "tags => tags.map((t) => [t.textContent, t.classList.contains('match')])")
    assert sorted(key(value) for value, _ in own) == sorted({key(tag) for tag in [*EVERY_TAG, "folk"]})  # each tag once
    assert {key(value) for value, marked in own if marked} == top
    listed = page.eval_on_selector_all("#agreement li[data-key]", "items => items.map((li) => li.classList.contains('match'))")
    assert listed and all(listed)  # every model tag is among the track's own
