"""The real-music demo's sources: freely licensed game soundtracks packaged by Debian (section games).

Each :class:`Package` says which of a package's files are music, under which licence and by whom
(from the package's ``/usr/share/doc/PKG/copyright`` and upstream notes shipped with it), what
to call its tracks where the files' own tags are missing or wrong, and a style label. The styles
were chosen from the packages' descriptions, the tracks' own tags and the taggers' top tags on the
middle of each track; nobody listened to them. They are tagscape's labels (tag kind ``style``),
not the files' genres.

Metadata precedence, per field: the table's entry for the track, then what the package's own
documentation says about it (Frets on Fire's ``song.ini``, Warzone 2100's ``album.json``), then
the file's own tags (placeholders such as ``none`` or a web address as album ignored), then the
package's defaults.

Checked against Debian 12 (bookworm); apt's candidate version is used wherever the table's is not
offered, and files that a version lacks are simply not there.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path

#: The styles of the demo, in the order the README lists them.
STYLES = ("orchestral", "vocal", "piano", "folk", "rock", "metal", "electronic", "ambient")


@dataclass(frozen=True)
class TrackInfo:
    """What is known about a track beyond (or instead of) its file's tags; None: not known here."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    genre: str | None = None
    style: str | None = None
    licence: str | None = None
    copyright: str | None = None

    def over(self, other: TrackInfo) -> TrackInfo:
        """These values where set, ``other``'s elsewhere."""
        return TrackInfo(**{name: getattr(self, name) if getattr(self, name) is not None else getattr(other, name)
                            for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Package:
    """One Debian package of music and how the demo reads it."""

    name: str
    description: str
    tested_version: str  # the version this entry was written against (Debian 12)
    download_mb: float  # size of the .deb, for the README and progress messages
    #: Globs of the music files below the unpacked package; ``ARCHIVE!GLOB`` for members of a zip
    #: (Quake-style ``.pk3`` archives). Matches are taken in sorted order.
    files: tuple[str, ...]
    #: Defaults of every track (style and licence must be set).
    defaults: TrackInfo
    #: Per track, by key (the file's stem; for stems, the song's folder name).
    tracks: dict[str, TrackInfo] = field(default_factory=dict)
    #: Keys (fnmatch patterns) left out, e.g. jingles and sound effects.
    exclude: tuple[str, ...] = ()
    #: Licences by path (fnmatch against the path below the package), first match wins.
    licences: tuple[tuple[str, str], ...] = ()
    #: For songs split in stems: the stem files beside each matched file that are summed.
    stems: tuple[str, ...] = ()
    #: Documentation copied beside the tracks (licence texts, notes): globs below the package.
    docs: tuple[str, ...] = ()
    #: A reader of the package's own per-track notes: "fof-song-ini" or "warzone-album-json".
    reader: str | None = None
    homepage: str | None = None

    @property
    def url(self) -> str:
        return f"https://packages.debian.org/{self.name}"

    def explicit(self, key: str, relative: str) -> TrackInfo:
        """What the table says about one track itself: its entry, over the first licence rule its path matches."""
        info = self.tracks.get(key, TrackInfo())
        for pattern, licence in self.licences:
            if fnmatch.fnmatch(relative, pattern):
                return info.over(TrackInfo(licence=licence))
        return info

    def excluded(self, key: str) -> bool:
        return any(fnmatch.fnmatch(key, pattern) for pattern in self.exclude)


def fof_song_ini(song_dir: Path) -> TrackInfo:
    """Frets on Fire's ``song.ini`` (``[song] name = ...``): the song's title."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(song_dir / "song.ini", encoding="utf-8")
        return TrackInfo(title=parser.get("song", "name", fallback=None))
    except (configparser.Error, UnicodeDecodeError):
        return TrackInfo()


def warzone_album_json(path: Path) -> TrackInfo:
    """Warzone 2100's ``album.json`` beside a track: its title, author, album and year."""
    try:
        album = json.loads((path.parent / "album.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return TrackInfo()
    for track in album.get("tracks", ()):
        if track.get("filename") == path.name:
            year = str(album.get("date", ""))[:4]
            return TrackInfo(title=track.get("title"), artist=track.get("author") or album.get("author"), album=album.get("title"),
                             year=int(year) if year.isdigit() else None)
    return TrackInfo()


READERS = {"fof-song-ini": lambda path: fof_song_ini(path.parent), "warzone-album-json": warzone_album_json}

GPL2 = "GPL-2.0-or-later"
CC_BY_SA = "CC-BY-SA-3.0"

_WESNOTH = TrackInfo(album="The Battle for Wesnoth OST", genre="Romantic Classical", style="orchestral", licence=GPL2,
                     copyright="The Battle for Wesnoth project and its composers")
_HR = TrackInfo(album="HyperRogue")

PACKAGES: tuple[Package, ...] = (
    Package(
        name="wesnoth-1.16-music", description="The Battle for Wesnoth: orchestral soundtrack (with a choir piece and a piano piece)",
        tested_version="1:1.16.9-1", download_mb=153.2, homepage="https://www.wesnoth.org/",
        files=("usr/share/games/wesnoth/*/data/core/music/*.ogg",),
        defaults=_WESNOTH,
        exclude=("silence", "defeat*", "victory*"),  # silence and jingles of 5-21 s
        tracks={
            "elf-land": TrackInfo(style="vocal"),  # choir
            "silvan_sanctuary": TrackInfo(style="piano"),
        },
        docs=("usr/share/doc/wesnoth-1.16-music/copyright",),
    ),
    Package(
        name="nexuiz-music", description="Nexuiz: electronic and techno tracks by several artists (and two rock ones)",
        tested_version="2.5.2-12", download_mb=84.0, homepage="https://www.alientrap.org/games/nexuiz/",
        files=("usr/share/games/nexuiz/data/music.pk3!sound/cdtracks/*.ogg",),
        defaults=TrackInfo(artist="Nexuiz contributors", album="Nexuiz", genre="Electronic", style="electronic",
                           licence=GPL2, copyright="2002-2009 Alientrap, Lee Vermeulen and the Nexuiz contributors"),
        exclude=("thunder",),  # a thunderstorm sound effect at 11 kHz
        tracks={
            "brokenlight": TrackInfo(style="rock"),
            "ninesix": TrackInfo(style="rock"),
            "calling-bogus": TrackInfo(title="Calling Bogus", artist="Gerd (elysis) Raudenbusch"),
            "subcities": TrackInfo(title="Subcities", artist="Gerd (elysis) Raudenbusch"),
            "neuronal-diving": TrackInfo(artist="Gerd (elysis) Raudenbusch"),
            "thru-the-mirror": TrackInfo(artist="Gerd (elysis) Raudenbusch"),
            "sixtyfour_": TrackInfo(title="SixtyFour"),
            "sixtyfour_revisited": TrackInfo(title="SixtyFour Revisited"),
            "northern-lights": TrackInfo(title="Northern Lights", style="ambient"),
        },
        docs=("usr/share/doc/nexuiz-music/copyright",),
    ),
    Package(
        name="warzone2100-music", description="Warzone 2100: electronic soundtracks (original 1999, Legacy 2020, Aftermath 2021)",
        tested_version="4.3.3-3", download_mb=85.7, homepage="https://wz2100.net/",
        files=("usr/share/games/warzone2100/music/*.opus", "usr/share/games/warzone2100/music/albums/*/*.opus"),
        defaults=TrackInfo(artist="Warzone 2100 Project", album="Warzone 2100 OST", genre="Electronic", style="electronic", licence=GPL2,
                           copyright="1999-2004 Eidos Interactive, 2005-2013 Warzone 2100 Project"),
        reader="warzone-album-json",
        licences=(("*/aftermath_soundtrack/track3_enhanced.opus", GPL2),  # derived from the original track 3
                  ("*/aftermath_soundtrack/*", f"{CC_BY_SA} OR {GPL2}"), ("*/legacy_soundtrack/*", f"{CC_BY_SA} OR {GPL2}")),
        tracks={
            "menu": TrackInfo(title="Menu Theme", album="Warzone 2100 OST", year=1999, style="ambient"),
            **{key: TrackInfo(copyright="2019-2022 LupusMechanicus") for key in
               ["menu_enhanced", "track3_enhanced", *(f"track{i}" for i in range(4, 28))]},
        },
        docs=("usr/share/doc/warzone2100-music/copyright", "usr/share/games/warzone2100/music/albums/*/license.txt"),
    ),
    Package(
        name="hyperrogue-music", description="HyperRogue: world and folk instruments (guitar, flute, strings, percussion)",
        tested_version="12.0q-1", download_mb=63.8, homepage="https://www.roguetemple.com/z/hyper/",
        files=("usr/share/hyperrogue/music/*.ogg",),
        defaults=TrackInfo(album="HyperRogue", genre="Game soundtrack", style="folk", licence=CC_BY_SA),
        tracks={
            # The hr3 files all say TITLE=Living Caves; the land each plays in is in hyperrogue-music.txt.
            **{f"hr3-{key}": TrackInfo(title=title, artist="Shawn Parrotte (NeonCorridor)", copyright="Shawn Parrotte").over(_HR)
               for key, title in (("caves", "Living Caves"), ("crossroads", "Crossroads"), ("desert", "Desert"), ("graveyard", "Graveyard"),
                                  ("hell", "Hell"), ("icyland", "Icy Lands"), ("jungle", "Jungle"), ("laboratory", "Alchemist's Lab"),
                                  ("mirror", "Hall of Mirrors"), ("motion", "Land of Eternal Motion"), ("rlyeh", "R'Lyeh"))},
            "hr-domina-hunting": TrackInfo(title="Hunting Grounds", artist="Lincoln Domina", copyright="Lincoln Domina"),
            "hr-domina-mountain": TrackInfo(title="Lost Mountain", artist="Lincoln Domina", copyright="Lincoln Domina", style="vocal"),
            **{f"hr-savino-{key}": TrackInfo(artist="Will Savino", copyright="Will Savino") for key in ("caribbean", "ivory", "ocean", "palace")},
        },
        docs=("usr/share/doc/hyperrogue-music/copyright", "usr/share/hyperrogue/hyperrogue-music.txt"),
    ),
    Package(
        name="singularity-music", description="Endgame: Singularity: electronic and ambient tracks by Maxstack",
        tested_version="007-2", download_mb=51.6, homepage="https://emhsoft.com/singularity/",
        files=("usr/share/games/singularity/music/*.ogg", "usr/share/games/singularity/music/*/*.ogg"),
        defaults=TrackInfo(artist="Maxstack", genre="Electronic", style="electronic", licence=CC_BY_SA,
                           copyright="2007-2008, 2012 Max McCracken (Maxstack)"),
        tracks={"Awakening": TrackInfo(style="ambient"), "Chimes They Fade": TrackInfo(style="ambient"),
                "March Thee to Dis": TrackInfo(style="ambient")},
        docs=("usr/share/doc/singularity-music/copyright", "usr/share/doc/singularity-music/README"),
    ),
    Package(
        name="fretsonfire-songs-muldjord", description="Muldjord: death metal songs for Frets on Fire (backing and guitar stems, mixed)",
        tested_version="2.dfsg-2.1", download_mb=29.3, homepage="https://www.muldjord.com/",
        files=("usr/share/games/fretsonfire/data/songs/muldjord/*/song.ogg",), stems=("song.ogg", "guitar.ogg", "rhythm.ogg"),
        defaults=TrackInfo(artist="Muldjord (El Senator)", genre="Death Metal", style="metal", licence=CC_BY_SA,
                           copyright="2009 El Senator (Muldjord)"),
        reader="fof-song-ini",
        docs=("usr/share/doc/fretsonfire-songs-muldjord/copyright", "usr/share/games/fretsonfire/data/songs/muldjord/chaos_god/readme.txt"),
    ),
    Package(
        name="fretsonfire-songs-sectoid", description="Sectoid: metal and rock songs for Frets on Fire (stems, mixed)",
        tested_version="1.dfsg-3.1", download_mb=29.1,
        files=("usr/share/games/fretsonfire/data/songs/sectoid/*/song.ogg",), stems=("song.ogg", "guitar.ogg", "rhythm.ogg"),
        defaults=TrackInfo(artist="Sectoid (Carlos Viola Iborra)", album="Sectoid Frets on Fire Song Pack", year=2007, genre="Metal",
                           style="metal", licence="MIT", copyright="2006-2007 Carlos Viola Iborra"),
        reader="fof-song-ini",
        tracks={"Feelings": TrackInfo(genre="Rock", style="rock")},  # slow, guitar and a male voice
        docs=("usr/share/doc/fretsonfire-songs-sectoid/copyright",),
    ),
    Package(
        name="drascula-music", description="Drascula: The Vampire Strikes Back: adventure-game score (piano pieces, songs, guitar, strings)",
        tested_version="1.0+ds4-2", download_mb=36.4, homepage="https://www.scummvm.org/",
        files=("usr/share/scummvm/drascula/audio/*.ogg",),
        defaults=TrackInfo(artist="Alcachofa Soft", album="Drascula: The Vampire Strikes Back", year=2008, genre="Game soundtrack",
                           style="orchestral", licence="LicenseRef-Drascula", copyright="1996-2008 Alcachofa Soft S.L."),
        exclude=("track12", "track17", "track28"),  # cues of 7-13 s
        tracks={
            **{f"track{i}": TrackInfo(title=f"Track {i}") for i in range(1, 32)},
            **{f"track{i}": TrackInfo(title=f"Track {i}", style="piano") for i in (4, 15, 16, 20)},
            **{f"track{i}": TrackInfo(title=f"Track {i}", style="vocal") for i in (2, 29, 31)},  # a male voice singing
            **{f"track{i}": TrackInfo(title=f"Track {i}", style="ambient") for i in (9, 14, 26)},
            **{f"track{i}": TrackInfo(title=f"Track {i}", style="rock") for i in (1, 30)},
            "track5": TrackInfo(title="Track 5", style="folk"),  # acoustic guitar
        },
        docs=("usr/share/doc/drascula-music/copyright", "usr/share/doc/drascula-music/readme_audio.txt"),
    ),
)

#: Packages by name.
BY_NAME = {package.name: package for package in PACKAGES}
