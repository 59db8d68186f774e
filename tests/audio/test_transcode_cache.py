"""Transcoded copies (formats browsers cannot play): made once however many ask at once, and
kept within a size bound, least recently played first out."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import chord, write_audio
from tagscape.audio import clips


def test_many_requests_for_one_file_transcode_it_once(tmp_path):
    source = write_audio(tmp_path / "tone.aiff", chord(3.0, 22050), 22050, codec="pcm_s16be")
    start = threading.Barrier(8)

    def ask(_):
        start.wait()
        return clips.transcoded(source, cache_dir=tmp_path / "cache", key="k1")

    with ThreadPoolExecutor(8) as pool:
        paths = set(pool.map(ask, range(8)))
    assert len(paths) == 1 and next(iter(paths)).stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.flac")) == ["k1.flac"]
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_the_cache_keeps_the_most_recently_played_within_its_bound(tmp_path, monkeypatch):
    sources = [write_audio(tmp_path / f"t{i}.aiff", chord(3.0, 22050, freqs=(220.0 * (i + 1),)), 22050, codec="pcm_s16be") for i in range(5)]
    cache = tmp_path / "cache"
    first = clips.transcoded(sources[0], cache_dir=cache, key="t0")
    monkeypatch.setattr(clips, "TRANSCODE_CACHE_BYTES", int(first.stat().st_size * 2.5))
    for i, source in enumerate(sources[1:], start=1):
        clips.transcoded(source, cache_dir=cache, key=f"t{i}")
    kept = sorted(p.stem for p in cache.glob("*.flac"))
    assert kept == ["t3", "t4"]
