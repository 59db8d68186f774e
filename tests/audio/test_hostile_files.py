"""Files that lie: headers claiming absurd rates or channel counts, truncated data, text named
.mp3, playlists naming other files. Each ends as one clear AudioError, or decodes correctly
where that is right, without the decoder's memory growing with what the file claims."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import chord, write_audio
from tagscape.audio.clips import clip_wav, decode_range, transcoded
from tagscape.audio.decode import load_audio, probe
from tagscape.collection import index_folder, open_collection
from tagscape.errors import AudioError
from tagscape.extract import extract_collection
from tagscape.store.tracks import jamendo_records

#: Peak memory a decode may reach on a bomb; the bombs asked the old decoder for 3-4 GiB.
MAX_RSS_BYTES = 1 << 30
#: The decoding child's address space: a regression fails with MemoryError, not swapping the machine.
CHILD_ADDRESS_SPACE = 3 << 30


def wav_with_header(path: Path, *, rate: int, channels: int, frames: int, declared_frames: int | None = None) -> Path:
    """A 16-bit PCM WAV of noise whose header says ``rate`` and ``channels`` (and, if given,
    ``declared_frames`` of data), written by hand: encoders refuse to write such headers."""
    block = channels * 2
    data = (np.random.default_rng(0).standard_normal(frames * channels) * 3000).astype("<i2").tobytes()
    size = block * (frames if declared_frames is None else declared_frames)
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
    header += b"data" + struct.pack("<I", size)
    path.write_bytes(header + data)
    return path


def silent_flac(path: Path, *, rate: int, seconds: float) -> Path:
    """Digital silence as 8-channel FLAC (its most): a few kB that decode to ``seconds * rate * 8`` samples."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=rate, layout="7.1")
        frame_size = stream.codec_context.frame_size or 4608
        block = np.zeros((1, frame_size * 8), np.int16)
        for _ in range(int(seconds * rate) // frame_size):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="7.1")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def multichannel_opus(path: Path, *, channels: int, seconds: float) -> tuple[Path, list[float]]:
    """Opus with ``channels`` discrete channels (mapping family 255), channel ``i`` a tone of
    ``200 + 50 i`` Hz. Returns the path and the tones' frequencies."""
    freqs = [200.0 + 50.0 * i for i in range(channels)]
    t = np.arange(int(seconds * 48000)) / 48000
    tones = np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in freqs])
    layout = f"{channels} channels"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libopus", rate=48000, layout=layout, options={"mapping_family": "255"})
        frame_size = stream.codec_context.frame_size or 960
        for start in range(0, tones.shape[1], frame_size):
            block = (tones[:, start : start + frame_size].T.reshape(1, -1) * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout=layout)
            frame.sample_rate = 48000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path, freqs


def decode_in_child(path: Path, *, clip: tuple[float, float] | None = None) -> dict:
    """Decode ``path`` (whole, and the clip if given) in a fresh process.

    Returns the AudioError reasons (``None`` where decoding succeeded), the decoded lengths
    and the process's peak resident memory in bytes.
    """
    code = f"""
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, ({CHILD_ADDRESS_SPACE}, {CHILD_ADDRESS_SPACE}))
from tagscape.audio.decode import load_audio
from tagscape.errors import AudioError
path, clip, out = Path(sys.argv[1]), json.loads(sys.argv[2]), {{}}
try:
    out["decode_samples"], out["decode"] = int(load_audio(path).size), None
except AudioError as exc:
    out["decode"] = exc.reason
if clip:
    from tagscape.audio.clips import decode_range
    try:
        samples, rate = decode_range(path, start=clip[0], end=clip[1])
        out["clip_shape"], out["clip_rate"], out["clip"] = list(samples.shape), rate, None
    except AudioError as exc:
        out["clip"] = exc.reason
out["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(out))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code, str(path), json.dumps(clip)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def reason_of(call) -> str:
    with pytest.raises(AudioError) as info:
        call()
    assert "\n" not in info.value.message
    return info.value.reason


# -- rate and channel bombs ----------------------------------------------------------------


def test_a_wav_claiming_1_hz_is_refused_in_bounded_memory(tmp_path):
    # 200,000 samples "at 1 Hz": resampled to 16 kHz in 65,536-sample chunks they asked for 4 GiB each
    path = wav_with_header(tmp_path / "one-hertz.wav", rate=1, channels=1, frames=200_000)
    result = decode_in_child(path, clip=(0.0, 30.0))
    assert result["decode"] == result["clip"] == "sample rate 1 Hz is outside 4000-768000 Hz"
    assert result["maxrss"] < MAX_RSS_BYTES
    assert reason_of(lambda: probe(path)) == "sample rate 1 Hz is outside 4000-768000 Hz"


def test_a_wav_claiming_0_hz_is_refused(tmp_path):
    path = wav_with_header(tmp_path / "zero-hertz.wav", rate=0, channels=1, frames=16_000)
    for call in (lambda: load_audio(path), lambda: probe(path), lambda: clip_wav(path, start=0.0, end=1.0)):
        reason = reason_of(call)
        assert reason.startswith(("not a readable audio file", "sample rate 0 Hz")), reason


def test_64_channels_are_refused_in_bounded_memory(tmp_path):
    path = wav_with_header(tmp_path / "many.wav", rate=16000, channels=64, frames=16_000)
    result = decode_in_child(path, clip=(0.0, 1.0))
    assert result["decode"] == result["clip"] == "64 audio channels, more than the 32 supported"
    assert result["maxrss"] < MAX_RSS_BYTES
    assert reason_of(lambda: transcoded(path, cache_dir=tmp_path / "cache", key="many")) == result["decode"]
    assert not (tmp_path / "cache" / "many.flac").exists()


def test_8_channels_at_768_khz_decode_and_clip_in_bounded_memory(tmp_path):
    """In bounds, so it decodes; a 30 s clip held at the native rate and channels took 1.5 GiB."""
    path = silent_flac(tmp_path / "hires.flac", rate=768_000, seconds=30.0)
    result = decode_in_child(path, clip=(0.0, 30.0))
    assert result["decode"] is None and abs(result["decode_samples"] - 30 * 16000) <= 16
    assert result["clip"] is None and result["clip_rate"] == 48000 and result["clip_shape"] == [2, 30 * 48000]
    assert result["maxrss"] < MAX_RSS_BYTES


def test_16_planar_channels_decode_and_clip(tmp_path):
    """Opus decodes to planar float: PyAV's own reading of more than 8 planes crashed the process."""
    path, freqs = multichannel_opus(tmp_path / "ambisonic.opus", channels=16, seconds=2.0)
    result = decode_in_child(path, clip=(0.5, 1.5))
    assert result["decode"] is None and result["decode_samples"] == 32000
    assert result["clip"] is None and result["clip_shape"] == [2, 48000] and result["clip_rate"] == 48000
    mono = load_audio(path)
    spectrum = np.abs(np.fft.rfft(mono[8000:24000]))  # 1 Hz bins
    assert set(np.argsort(spectrum)[-16:]) == {int(f) for f in freqs}  # every channel is in the mix
    (left, right), _ = decode_range(path, start=0.5, end=1.5)
    peaks = {side: set(np.argsort(np.abs(np.fft.rfft(samples)))[-8:]) for side, samples in (("left", left[:48000]), ("right", right[:48000]))}
    assert peaks == {"left": {int(f) for f in freqs[0::2]}, "right": {int(f) for f in freqs[1::2]}}


def test_a_high_rate_clip_is_resampled_not_aliased(tmp_path):
    rate = 96000
    tone = np.stack([chord(3.0, rate, freqs=(1000.0,)), chord(3.0, rate, freqs=(30000.0,))])  # right: above 24 kHz
    path = write_audio(tmp_path / "hires.flac", tone, rate)
    samples, clip_rate = decode_range(path, start=1.0, end=2.0)
    assert clip_rate == 48000 and samples.shape == (2, 48000)
    left, right = samples[:, 4800:-4800]
    assert abs(np.sqrt(np.mean(left**2)) - 0.3 / np.sqrt(2)) < 0.01
    assert np.sqrt(np.mean(right**2)) < 1e-3  # filtered out, not folded down to 18 kHz
    spectrum = np.abs(np.fft.rfft(left))
    assert abs(np.argmax(spectrum) * 48000 / left.size - 1000) <= 2


# -- files that are not what they say -------------------------------------------------------


def test_a_truncated_file_is_reported_and_its_data_still_clips(tmp_path):
    path = wav_with_header(tmp_path / "cut.wav", rate=16000, channels=1, frames=3 * 16000, declared_frames=10 * 16000)
    assert reason_of(lambda: load_audio(path)) == "truncated: decoded 3.0 s of 10.0 s declared"
    samples, rate = decode_range(path, start=1.0, end=2.0)
    assert rate == 16000 and samples.shape == (1, 16000)
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(path.read_bytes()[:30])
    for call in (lambda: load_audio(header_only), lambda: clip_wav(header_only, start=0.0, end=1.0)):
        reason = reason_of(call)  # the same words for extraction and clips, without the path
        assert reason.startswith("not a readable audio file (") and str(tmp_path) not in reason


def test_an_extension_that_lies(tmp_path):
    text = tmp_path / "text.mp3"
    text.write_text("this is not audio\n" * 100)
    assert reason_of(lambda: load_audio(text)).startswith("not a readable audio file")
    assert reason_of(lambda: clip_wav(text, start=0.0, end=1.0)).startswith("not a readable audio file")
    # real audio under the wrong name is read by its content
    wav = write_audio(tmp_path / "real.wav", chord(2.0, 16000), 16000)
    renamed = wav.rename(tmp_path / "real.mp3")
    np.testing.assert_array_equal(load_audio(renamed), load_audio(write_audio(tmp_path / "again.wav", chord(2.0, 16000), 16000)))


def playlists(tmp_path: Path, target: Path) -> dict[str, Path]:
    """Files that name ``target``: an HLS playlist (relative and absolute) and an ffconcat list named .mp3."""
    lists = {}
    for name, entry in (("relative.m3u8", target.name), ("absolute.m3u8", str(target))):
        lists[name] = tmp_path / name
        lists[name].write_text(f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\n{entry}\n#EXT-X-ENDLIST\n")
    lists["list.mp3"] = tmp_path / "list.mp3"
    lists["list.mp3"].write_text(f"ffconcat version 1.0\nfile {target.name}\n")
    return lists


def test_playlists_naming_other_files_are_not_followed(tmp_path):
    target = write_audio(tmp_path / "elsewhere.mp3", chord(3.0, 16000), 16000)
    for name, path in playlists(tmp_path, target).items():
        with av.open(str(path)) as followed:  # what FFmpeg does by itself
            assert followed.format.name in ("hls", "concat"), name
        for call in (lambda: load_audio(path), lambda: probe(path), lambda: clip_wav(path, start=0.0, end=1.0)):
            assert reason_of(call).startswith("not a readable audio file (a playlist"), name


def test_a_file_named_like_a_protocol_is_that_file(tmp_path, monkeypatch):
    write_audio(tmp_path / "a.wav", chord(2.0, 16000), 16000)
    write_audio(tmp_path / "b.wav", chord(3.0, 16000), 16000)
    own = write_audio(tmp_path / "concat:a.wav|b.wav", chord(1.0, 16000), 16000)
    monkeypatch.chdir(tmp_path)
    # as a relative name FFmpeg would read a.wav then b.wav: 5 s
    assert load_audio(Path(own.name)).size == 16000
    assert decode_range(Path(own.name), start=0.0, end=5.0)[0].shape == (1, 16000)


def test_urls_are_read_over_http_only(tmp_path):
    local = write_audio(tmp_path / "local.wav", chord(1.0, 16000), 16000)
    for url in (f"file://{local}", f"concat:file://{local}|file://{local}"):
        assert reason_of(lambda: load_audio(url)) == "cannot fetch (only http:// and https:// URLs of audio files are read)"


def test_a_jamendo_path_is_quoted_into_the_url_template(tmp_path):
    tsv = tmp_path / "tracks.tsv"
    tsv.write_text("TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\ntrack_0000214\tartist_1\talbum_1\t14/a b#c?d=%2e.mp3\t20.0\tgenre---rock\n")
    (record, _tags), = jamendo_records(tsv, audio_root=None, audio_url="https://audio.example.org/{path}?id={id}")
    assert record["url"] == "https://audio.example.org/14/a%20b%23c%3Fd%3D%252e.mp3?id=214"


# -- a whole run ---------------------------------------------------------------------------


def test_a_run_over_hostile_files_extracts_the_good_one_and_records_each_failure(tmp_path):
    root = tmp_path / "music"
    root.mkdir()
    write_audio(root / "good.wav", chord(4.0, 16000), 16000)
    wav_with_header(root / "one-hertz.wav", rate=1, channels=1, frames=200_000)
    wav_with_header(root / "zero-hertz.wav", rate=0, channels=1, frames=16_000)
    wav_with_header(root / "many.wav", rate=16000, channels=64, frames=16_000)
    wav_with_header(root / "cut.wav", rate=16000, channels=1, frames=3 * 16000, declared_frames=10 * 16000)
    (root / "text.mp3").write_text("this is not audio\n" * 100)
    # the concat demuxer's safe mode already refuses ".." and absolute paths, not a file beside the list
    write_audio(tmp_path / "beside.mp3", chord(3.0, 16000), 16000).rename(root / "not-indexed.bin")
    (root / "list.mp3").write_text("ffconcat version 1.0\nfile not-indexed.bin\n")
    index_folder(root)
    with open_collection(root) as collection:
        report = extract_collection(collection, models=["vgg-mtt"])
        counts = collection.store.counts("vgg-mtt")
    assert (report.done, report.failed) == (1, 6)
    assert (counts.done, counts.pending, counts.failed) == (1, 0, 6)
    reasons = dict(counts.failures)
    assert set(reasons) == {"one-hertz.wav", "zero-hertz.wav", "many.wav", "cut.wav", "text.mp3", "list.mp3"}
    assert reasons["one-hertz.wav"].endswith(": sample rate 1 Hz is outside 4000-768000 Hz")
    assert reasons["many.wav"].endswith(": 64 audio channels, more than the 32 supported")
    assert reasons["cut.wav"].endswith(": truncated: decoded 3.0 s of 10.0 s declared")
    assert ": not a readable audio file (a playlist" in reasons["list.mp3"]
    assert ": not a readable audio file" in reasons["text.mp3"] and ": not a readable audio file" in reasons["zero-hertz.wav"]
    for key, reason in reasons.items():
        assert reason.startswith(str(root.resolve() / key) + ": ") and "\n" not in reason and "internal error" not in reason
