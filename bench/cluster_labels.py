#!/usr/bin/env python
"""Label quality of named clusters on the real-music demo: does a cluster's name say its tracks' style?

Usage::

    python bench/cluster_labels.py --collection DIR [--models musicnn-msd,musicnn-mtt] [--projection tsne]

``DIR``: a real-music demo collection (``tagscape demo``: every track carries a ``style`` tag of its
source package). For each tagger's taggrams map (on demand for up to 100k segments, else the offline
map), the clusters of ``tagscape.analysis.clusters`` with default settings, and per cluster: its
size, its name (top tags by lift), its majority style and that style's share of its points.

A cluster is *unambiguous* when one style holds at least 80 % of its points; its name *agrees*
when one of its tags is among :data:`STYLE_TAGS` of that style (a judgement made from the two tag
lists, written down here so that it can be argued with). The collection is opened read-only.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

#: Tags (MSD and MTT) that say a demo style.
STYLE_TAGS = {
    "electronic": {"electronic", "electronica", "electro", "techno", "dance", "House", "synth", "beat", "beats", "experimental"},
    "orchestral": {"classical", "strings", "violin", "cello", "harp", "choral", "choir", "opera", "harpsichord", "instrumental", "flute"},
    "metal": {"metal", "heavy metal", "hard rock", "loud"},
    "rock": {"rock", "hard rock", "classic rock", "alternative rock", "indie rock", "guitar"},
    "folk": {"folk", "acoustic", "country", "guitar"},
    "ambient": {"ambient", "chillout", "chill", "new age", "slow", "quiet", "soft"},
    "piano": {"piano", "solo", "classical"},
    "vocal": {"vocal", "vocals", "singing", "voice", "female vocalists", "male vocalists", "female", "male", "choir"},
}
UNAMBIGUOUS = 0.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--models", default="musicnn-msd,musicnn-mtt,vgg-msd,vgg-mtt")
    parser.add_argument("--projection", default="tsne")
    args = parser.parse_args()

    from tagscape.analysis.clusters import projection_clusters
    from tagscape.collection import open_collection
    from tagscape.projections.maps import ON_DEMAND_LIMIT

    collection = open_collection(args.collection, readonly=True)
    styles = {}
    for track in collection.tracks():
        tags = {kind.lower(): value for kind, value in collection.store.track_tags(track["track_id"])}
        styles[track["track_id"]] = tags.get("style") or ""
    print(f"{len(styles)} tracks; styles: {collections.Counter(styles.values()).most_common()}")
    for model_id in args.models.split(","):
        if model_id not in collection.store.result_models():
            print(f"\n{model_id}: not extracted")
            continue
        started = time.perf_counter()
        array = collection.layer(model_id, "taggrams")
        tracks = [int(t) for t in array.track_ids] if array.values.shape[0] <= ON_DEMAND_LIMIT else None
        projection = collection.projection(model_id, "taggrams", args.projection, tracks=tracks, compute_offline=False)
        found = projection_clusters(collection, projection)
        agree = unambiguous = 0
        print(f"\n{model_id} taggrams {args.projection}: {len(projection.coords):,} points, {len(found.clusters)} clusters, "
              f"noise {found.noise / max(len(projection.coords), 1):.0%}, {time.perf_counter() - started:.1f} s (map included)")
        print("| cluster | points | name (top tags by lift) | majority style (share) | agrees |")
        print("|---|---|---|---|---|")
        for cluster in found.clusters:
            members = found.labels == cluster.id
            style, count = collections.Counter(styles[int(t)] for t in projection.track_ids[members]).most_common(1)[0]
            share = count / cluster.size
            tags = {item["tag"] for item in cluster.labels.get(found.named_by, [])}
            verdict = "-"
            if share >= UNAMBIGUOUS:
                unambiguous += 1
                agree += bool(tags & STYLE_TAGS.get(style, set()))
                verdict = "yes" if tags & STYLE_TAGS.get(style, set()) else "no"
            print(f"| {cluster.id} | {cluster.size} | {cluster.name} | {style} ({share:.0%}) | {verdict} |")
        print(f"names agreeing with an unambiguous style: {agree} of {unambiguous}")


if __name__ == "__main__":
    main()
