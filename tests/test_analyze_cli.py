"""`tagscape analyze` and `tagscape models list` through click's runner, as a user calls them."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from conftest import chord, write_audio
from tagscape.cli import main


def test_analyze_writes_every_model_to_npz(tmp_path):
    audio = write_audio(tmp_path / "song.ogg", chord(10.0, 44100), 44100)
    out = tmp_path / "out.npz"
    result = CliRunner().invoke(main, ["analyze", str(audio), "--output", str(out)])
    assert result.exit_code == 0, result.output
    with np.load(out) as npz:
        data = dict(npz)
    n = (1 + 160000 // 256) // 187  # 3 whole patches in 10 s
    np.testing.assert_allclose(data["segment_starts"], np.arange(n) * 2.992)
    for model_id, dims in (("musicnn-msd", 200), ("musicnn-mtt", 200), ("vgg-msd", 256), ("vgg-mtt", 256)):
        assert data[f"{model_id}/taggrams"].shape == (n, 50)
        assert data[f"{model_id}/taggrams"].dtype == np.float32
        assert data[f"{model_id}/embeddings"].shape == (n, dims)
        assert len(data[f"{model_id}/tags"]) == 50
    assert data["musicnn-mtt/tags"][0] == "guitar" and data["musicnn-msd/tags"][0] == "rock"


def test_analyze_one_model_to_json_on_stdout(tmp_path):
    audio = write_audio(tmp_path / "short.wav", chord(1.0, 16000), 16000)
    result = CliRunner().invoke(main, ["analyze", str(audio), "-m", "vgg-mtt", "--output", "-.json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload["models"]) == ["vgg-mtt"]
    model = payload["models"]["vgg-mtt"]
    assert len(model["taggrams"]) == 1  # shorter than a patch: one repeat-padded segment
    assert len(model["embeddings"][0]) == 256 and model["segment_starts"] == [0.0]


def test_bad_usage_is_one_line_and_exit_code_2(tmp_path):
    audio = write_audio(tmp_path / "a.wav", chord(1.0, 16000), 16000)
    runner = CliRunner()
    bad_model = runner.invoke(main, ["analyze", str(audio), "-m", "nope", "-o", str(tmp_path / "x.npz")])
    assert bad_model.exit_code == 2 and "nope" in bad_model.output and "Traceback" not in bad_model.output
    bad_suffix = runner.invoke(main, ["analyze", str(audio), "-o", str(tmp_path / "x.txt")])
    assert bad_suffix.exit_code == 2 and ".npz" in bad_suffix.output
    missing = runner.invoke(main, ["analyze", str(tmp_path / "missing.mp3"), "-o", str(tmp_path / "x.npz")])
    assert missing.exit_code == 1 and "file not found" in missing.output and "Traceback" not in missing.output


def test_models_list_says_where_weights_are(tmp_path):
    result = CliRunner().invoke(main, ["models", "list", "--json"])
    assert result.exit_code == 0
    rows = {row["model_id"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"musicnn-msd", "musicnn-mtt", "vgg-msd", "vgg-mtt", "vggish-audioset"}
    assert rows["vgg-msd"]["layers"] == {"taggrams": 50, "embeddings": 256}
    assert rows["musicnn-mtt"]["available"] and "MTT_musicnn" in rows["musicnn-mtt"]["weights"]
    assert abs(rows["musicnn-msd"]["segment_seconds"] - 2.992) < 1e-9


def test_an_unwritable_graph_cache_is_one_line_naming_the_folder(tmp_path, monkeypatch):
    """Converting a model needs the cache folder; one that cannot be made is a clear message."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("TAGSCAPE_CACHE", str(blocker / "cache"))
    audio = write_audio(tmp_path / "a.wav", chord(4.0, 16000), 16000)
    result = CliRunner().invoke(main, ["analyze", str(audio), "-m", "vgg-mtt", "--output", "-.json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "cannot write the converted vgg-mtt graph" in result.output and "TAGSCAPE_CACHE" in result.output
