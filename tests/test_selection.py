"""Track selection (tagscape.selection): filters in any case, several values per field (OR within a
field, AND across fields), genre strings split into genres, tags of any kind; over real SQLite."""

from __future__ import annotations

import pytest

from tagscape.collection import index_jamendo, open_collection
from tagscape.errors import UsageError
from tagscape.selection import Selection, TrackTable, select_tracks, split_genres

ROWS = [  # (artist, album, genre): the columns the filters read, as indexing writes them
    ("Clara Wendt", "Glass", "Rock, Pop"),
    ("clara  wendt", "Salt", "rock/jazz"),
    ("Ömer Şahin", "Glass", "Jazz; Blues"),
    ("Bo", None, "electronic"),
    ("Bo", "Salt", None),
]


@pytest.fixture
def table() -> TrackTable:
    return TrackTable([{"track_id": i + 1, "key": f"t{i}", "title": f"Song {i}", "artist": a, "album": b, "genre": g, "year": None,
                        "tracknumber": None, "duration": 30.0 + i} for i, (a, b, g) in enumerate(ROWS)])


def ids(table: TrackTable, **filters) -> list[int]:
    return table.ids[table.select(Selection(**filters))].tolist()


@pytest.mark.parametrize(("text", "genres"), [
    ("Rock, Pop", ["Rock", "Pop"]), ("rock/pop", ["rock", "pop"]), ("rock; pop", ["rock", "pop"]), ("rock | pop", ["rock", "pop"]),
    ("Rock, pop/ROCK;  hip  hop ", ["Rock", "pop", "hip hop"]), ("", []), (None, []), (" , ;", []), ("Drum & Bass", ["Drum & Bass"]),
])
def test_a_genre_string_splits_into_its_genres(text, genres):
    assert split_genres(text=text) == genres


def test_artist_and_album_match_whole_names_in_any_case_and_spacing(table):
    assert ids(table, artist=("CLARA WENDT",)) == [1, 2]
    assert ids(table, artist=("clara",)) == []  # a whole name, not a part (the search box finds parts)
    assert ids(table, artist=("ömer şahin",)) == [3]


def test_several_values_of_a_field_are_alternatives_and_fields_must_all_match(table):
    assert ids(table, artist=("clara wendt", "bo")) == [1, 2, 4, 5]
    assert ids(table, artist=("clara wendt", "bo"), album=("salt",)) == [2, 5]
    assert ids(table, artist=("bo",), album=("glass",)) == []
    assert ids(table, artist=("", "  "), album=()) == [1, 2, 3, 4, 5]  # empty values do not filter


def test_a_genre_filter_reads_each_genre_of_a_track_and_of_the_query(table):
    assert ids(table, genre=("ROCK",)) == [1, 2]
    assert ids(table, genre=("pop",)) == [1]
    assert ids(table, genre=("blues", "electronic")) == [3, 4]
    assert ids(table, genre=("pop/blues",)) == [1, 3]  # a query genre string is split too
    assert ids(table, genre=("rock",), artist=("Ömer Şahin",)) == []


def test_genre_counts_count_each_genre_of_a_track_once(table):
    # most tracks first, then by name; spelled as the first track spells it where spellings tie
    assert table.genre_counts() == [("jazz", 2), ("Rock", 2), ("Blues", 1), ("electronic", 1), ("Pop", 1)]


def test_a_selection_refuses_a_bare_string_and_too_many_values():
    with pytest.raises(UsageError, match="sequence"):
        Selection(artist="Clara Wendt")
    with pytest.raises(UsageError, match="at most"):
        Selection(genre=tuple(str(i) for i in range(101)))
    with pytest.raises(UsageError, match="above"):
        Selection(min_duration=5, max_duration=1)


@pytest.fixture(scope="module")
def jamendo(tmp_path_factory):
    """Four MTG-Jamendo tracks with their genre---, instrument--- and mood/theme--- tags, in SQLite."""
    folder = tmp_path_factory.mktemp("jamendo-tags")
    tsv = folder / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
                   "track_0000001\tartist_01\talbum_01\t01/1.mp3\t100.0\tgenre---rock\tgenre---pop\tinstrument---guitar\tmood/theme---happy\n"
                   "track_0000002\tartist_01\talbum_01\t02/2.mp3\t110.0\tgenre---jazz\tinstrument---piano\tmood/theme---sad\n"
                   "track_0000003\tartist_02\talbum_02\t03/3.mp3\t120.0\tgenre---electronic\tinstrument---synthesizer\tmood/theme---happy\n"
                   "track_0000004\tartist_02\talbum_02\t04/4.mp3\t130.0\tgenre---pop\n")
    index_jamendo(tsv, data_dir=folder / "data", audio_url="https://audio.example.org/{id}.mp3")
    with open_collection(folder / "data") as collection:
        yield collection


def selected(collection, **filters) -> list[str]:
    table = TrackTable(collection.tracks())
    return [table.rows[i]["key"] for i in select_tracks(collection, table, Selection(**filters))]


def test_jamendo_genre_tags_are_several_genres(jamendo):
    assert selected(jamendo, genre=("POP",)) == ["track_0000001", "track_0000004"]
    assert selected(jamendo, genre=("rock", "jazz")) == ["track_0000001", "track_0000002"]


def test_tags_of_any_kind_match_in_any_case_with_or_without_their_kind(jamendo):
    assert selected(jamendo, tag=("HAPPY",)) == ["track_0000001", "track_0000003"]
    assert selected(jamendo, tag=("Mood/Theme:happy",)) == ["track_0000001", "track_0000003"]
    assert selected(jamendo, tag=("instrument:happy",)) == []  # the kind must match when given
    assert selected(jamendo, tag=("instrument:PIANO", "instrument:guitar")) == ["track_0000001", "track_0000002"]
    assert selected(jamendo, tag=("happy",), genre=("electronic",)) == ["track_0000003"]
    assert selected(jamendo, tag=("nowhere:12:30",)) == []  # an unknown kind is part of the value
    assert len(selected(jamendo, tag=("", " "))) == 4  # empty values do not filter
