"""Where a collection's tracks come from and under which licences: the data of the explorer's
"about this collection" panel (``GET /api/collection``).

It is read from each track's own tags (kinds below): the real-music demo writes them into every
file it cuts (:mod:`tagscape.demo.realmusic`), and any collection whose files carry a ``LICENSE``
or ``LICENCE`` tag gets the same summary. Known licences (:data:`LICENCES`, by SPDX expression)
add their full name, a link and what reusing the music requires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

#: Tag kinds (as stored: lower case) that name a track's licence; the first is the demo's, the
#: second Vorbis comments' standard field.
LICENCE_KINDS = ("licence", "license")
#: Tag kinds of a track's origin, written by the demo into every file it makes.
SOURCE_KIND = "source"
SOURCE_FIELDS = ("source_version", "source_url")
LICENCE_URL_KIND = "licence_url"
COPYRIGHT_KIND = "copyright"
STYLE_KIND = "style"
#: Every kind the summary reads.
KINDS = (*LICENCE_KINDS, SOURCE_KIND, *SOURCE_FIELDS, LICENCE_URL_KIND, COPYRIGHT_KIND, STYLE_KIND)
#: A summary lists at most this many copyright lines per source (the rest are counted).
MAX_COPYRIGHTS = 50


@dataclass(frozen=True)
class Licence:
    """A licence, by its SPDX expression: its name, where to read it, what reuse requires."""

    spdx: str
    name: str
    url: str
    requires: str


LICENCES: dict[str, Licence] = {licence.spdx: licence for licence in (
    Licence("GPL-2.0-or-later", "GNU General Public License, version 2 or later", "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
            "Keep the copyright and licence notices. Whoever you give copies to, changed or not, gets them under the GPL "
            "too, with the corresponding source (for packaged music: the Debian source package, apt-get source)."),
    Licence("CC-BY-SA-3.0", "Creative Commons Attribution-ShareAlike 3.0 Unported", "https://creativecommons.org/licenses/by-sa/3.0/",
            "Credit the author and the title, link the licence, and say what you changed (an excerpt, a mix of stems). "
            "Share what you make from it under the same licence."),
    Licence("CC-BY-SA-3.0 OR GPL-2.0-or-later", "Creative Commons Attribution-ShareAlike 3.0 (or later), or the GNU GPL version 2 or later",
            "https://creativecommons.org/licenses/by-sa/3.0/",
            "Either licence may be chosen. Under CC BY-SA: credit the author and the title, link the licence, say what you "
            "changed, share adaptations alike. Under the GPL: keep the notices, pass the source along."),
    Licence("MIT", "MIT License (Expat)", "https://spdx.org/licenses/MIT.html",
            "Keep the copyright notice and the permission notice with every copy."),
    Licence("LicenseRef-Drascula", "Drascula licence (Alcachofa Soft, freeware, as distributed with ScummVM)",
            "https://packages.debian.org/drascula-music",
            "Copy and modify freely, never for a fee for the game itself. Keep the readme and every copyright notice "
            "intact, and mark a modified version (such as an excerpt) prominently as modified."),
)}


def licence_info(spdx: str) -> Licence | None:
    """The known licence of an SPDX expression (compared without regard to case), or None."""
    for key, licence in LICENCES.items():
        if key.casefold() == spdx.strip().casefold():
            return licence
    return None


def summarise(rows: list[tuple[int, float | None, str, str]], *, n_tracks: int, seconds: float) -> dict:
    """The sources and licences of a collection from its tracks' tags.

    Parameters
    ----------
    rows : list of (track_id, duration, kind, value)
        The tags of :data:`KINDS` of the present tracks (kinds in lower case).
    n_tracks, seconds : the present tracks and their total duration.

    Returns
    -------
    dict
        ``tracks``, ``hours``; ``sources``: one entry per source (tracks, hours, versions, url,
        licences, styles, copyright lines); ``licences``: one per licence (name, url, requires,
        tracks, hours, sources); ``unlicensed_tracks`` and ``unsourced_tracks``: tracks without
        such a tag. Sources and licences are ordered by their number of tracks, most first.
    """
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    durations: dict[int, float] = {}
    for track_id, duration, kind, value in rows:
        tags[track_id][kind].append(value)
        durations[track_id] = float(duration or 0.0)
    sources: dict[str, dict] = {}
    licences: dict[str, dict] = {}
    unlicensed = n_tracks - sum(1 for kinds in tags.values() if any(kinds.get(kind) for kind in LICENCE_KINDS))
    unsourced = n_tracks - sum(1 for kinds in tags.values() if kinds.get(SOURCE_KIND))
    for track_id, kinds in tags.items():
        seconds_here = durations[track_id]
        track_licences = sorted({value for kind in LICENCE_KINDS for value in kinds.get(kind, ())})
        for name in kinds.get(SOURCE_KIND, ()):
            entry = sources.setdefault(name, {"source": name, "tracks": 0, "seconds": 0.0, "versions": set(), "url": None,
                                              "licences": defaultdict(int), "styles": defaultdict(int), "copyright": set()})
            entry["tracks"] += 1
            entry["seconds"] += seconds_here
            entry["versions"].update(kinds.get("source_version", ()))
            entry["url"] = entry["url"] or next(iter(kinds.get("source_url", ())), None)
            for licence in track_licences:
                entry["licences"][licence] += 1
            for style in kinds.get(STYLE_KIND, ()):
                entry["styles"][style] += 1
            entry["copyright"].update(kinds.get(COPYRIGHT_KIND, ()))
        for licence in track_licences:
            entry = licences.setdefault(licence, {"licence": licence, "tracks": 0, "seconds": 0.0, "sources": set(), "urls": set()})
            entry["tracks"] += 1
            entry["seconds"] += seconds_here
            entry["sources"].update(kinds.get(SOURCE_KIND, ()))
            entry["urls"].update(kinds.get(LICENCE_URL_KIND, ()))
    return {
        "tracks": n_tracks,
        "hours": round(seconds / 3600, 3),
        "sources": [_source_out(entry) for entry in sorted(sources.values(), key=lambda e: (-e["tracks"], e["source"]))],
        "licences": [_licence_out(entry) for entry in sorted(licences.values(), key=lambda e: (-e["tracks"], e["licence"]))],
        "unlicensed_tracks": unlicensed,
        "unsourced_tracks": unsourced,
    }


def _counted(counts: dict[str, int]) -> list[dict]:
    return [{"name": name, "tracks": n} for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _source_out(entry: dict) -> dict:
    copyright_lines = sorted(entry["copyright"])
    return {
        "source": entry["source"],
        "versions": sorted(entry["versions"]),
        "url": entry["url"],
        "tracks": entry["tracks"],
        "hours": round(entry["seconds"] / 3600, 3),
        "licences": _counted(entry["licences"]),
        "styles": _counted(entry["styles"]),
        "copyright": copyright_lines[:MAX_COPYRIGHTS],
        "copyright_more": max(0, len(copyright_lines) - MAX_COPYRIGHTS),
    }


def _licence_out(entry: dict) -> dict:
    known = licence_info(entry["licence"])
    urls = sorted(entry["urls"])
    return {
        "licence": entry["licence"],
        "name": known.name if known else None,
        "url": known.url if known else (urls[0] if urls else None),
        "requires": known.requires if known else None,
        "tracks": entry["tracks"],
        "hours": round(entry["seconds"] / 3600, 3),
        "sources": sorted(entry["sources"]),
    }
