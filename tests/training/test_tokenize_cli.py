"""foley tokenize (one file, and the resumable manifest cache) and foley import-tokenizer."""
from __future__ import annotations

import json
import re
import shutil

import joblib
import numpy as np
import pytest
import torch
from sklearn.cluster import MiniBatchKMeans
from transformers import HubertConfig, HubertModel

from foley.errors import MediaError
from foley.media.audio import read_audio, write_audio
from foley.models.hubert_features import HubertFeatures, HubertFeaturesConfig
from foley.models.unit_tokenizer import UnitTokenizer
from foley.pipelines.dub import model_dir as shipped_dir

TINY = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            conv_dim=(8,) * 7, num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def foley(foley):
    """The command line in this process (start-up of torch per call is slow), as a Result."""
    return lambda *args: Result(*foley(*args))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    torch.manual_seed(0)
    features = HubertFeatures(HubertModel(HubertConfig(**TINY)), HubertFeaturesConfig(layer=2))
    path = tmp_path_factory.mktemp("tok")
    UnitTokenizer(features, torch.randn(12, 16)).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    for name, seconds in (("a", 1.0), ("b", 0.5)):
        write_audio(folder / f"{name}.wav", 0.2 * rng.standard_normal(int(seconds * 16_000)), 16_000)
    (folder / "broken.wav").write_bytes(b"RIFF not really a wav")
    return folder


def test_tokenize_one_file_in_each_format(foley, model_dir, clips):
    wav = clips / "a.wav"
    aud = foley("tokenize", wav, "--model", model_dir)
    assert aud.returncode == 0, aud.stderr
    tokenizer = UnitTokenizer.from_pretrained(model_dir)
    ids = tokenizer.from_text(aud.stdout)
    assert ids.shape == (50,)
    assert foley("tokenize", wav, "--model", model_dir, "--format", "ids").stdout.split() == [str(i) for i in ids.tolist()]
    info = json.loads(foley("tokenize", wav, "--model", model_dir, "--format", "json").stdout)
    assert info["ids"] == ids.tolist() and info["token_rate_hz"] == 50 and info["n_units"] == 12


def test_tokenize_errors_are_one_line(foley, model_dir, clips, tmp_path):
    (one := tmp_path / "one.jsonl").write_text(json.dumps({"id": "a", "audio": str(clips / "a.wav")}) + "\n")
    for args, message in (
        ((clips / "missing.wav", "--model", model_dir), f"{clips / 'missing.wav'}: no such file"),
        ((clips / "a.wav", "--model", tmp_path), f"{tmp_path}: not a unit tokenizer directory (no config.json)"),
        (("--model", model_dir), "give either AUDIO, or --manifest FILE together with --out DIR"),
        (("--manifest", tmp_path / "m.jsonl", "--model", model_dir), "give either AUDIO, or --manifest FILE"),
        (("--manifest", one, tmp_path / "two.jsonl", "--out", tmp_path / "c", "--model", model_dir),
         f"AUDIO {tmp_path / 'two.jsonl'} and --manifest {one} both given: give one of them "
         "(--manifest takes one file)"),
        (("--manifest", one, "--out", tmp_path / "c", "--format", "json", "--model", model_dir),
         "--format is for AUDIO's tokens; --manifest writes a cache of unit ids"),
        (("--manifest", one, "--out", clips / "a.wav", "--model", model_dir),
         f"{clips / 'a.wav'}: exists and is not a folder"),
    ):
        proc = foley("tokenize", *args)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.startswith(f"foley: error: {message}")


def test_manifest_cache_is_resumable_and_reports_failures(foley, model_dir, clips, tmp_path):
    manifest = clips / "clips.jsonl"
    lines = [{"id": "a", "audio": "a.wav"}, {"id": "broken", "audio": "broken.wav"}, {"id": "b", "video": str(clips / "b.wav")}]
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "cache"
    first = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert first.returncode == 1
    assert "2 clips tokenized, 0 already cached, 1 failed (of 3)" in first.stdout
    assert "foley: warning: broken:" in first.stderr
    assert [json.loads(x)["id"] for x in (out / "failed.jsonl").read_text().splitlines()] == ["broken"]
    tokenizer = UnitTokenizer.from_pretrained(model_dir)
    cached = np.load(out / "tokens" / "a.npy")
    assert cached.dtype == np.int16 and np.array_equal(cached, tokenizer.encode(read_audio(clips / "a.wav")[0]).numpy())
    assert np.load(out / "tokens" / "b.npy").shape == (25,)
    (out / "tokens" / "b.npy").unlink()  # as if the first run had stopped before b
    again = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert "1 clip tokenized, 1 already cached, 1 failed (of 3)" in again.stdout
    original = (clips / "a.wav").read_bytes()
    shutil.copy(clips / "b.wav", clips / "a.wav")  # a clip of the same id, other audio: tokenized again
    try:
        changed = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    finally:
        (clips / "a.wav").write_bytes(original)
    assert "1 clip tokenized, 1 already cached, 1 failed (of 3)" in changed.stdout
    assert np.array_equal(np.load(out / "tokens" / "a.npy"), np.load(out / "tokens" / "b.npy"))
    other = tmp_path / "other"
    torch.manual_seed(5)
    UnitTokenizer(HubertFeatures(HubertModel(HubertConfig(**TINY)), HubertFeaturesConfig(layer=2)),
                  torch.randn(12, 16)).save_pretrained(other)
    refused = foley("tokenize", "--manifest", manifest, "--out", out, "--model", other, "--quiet")
    assert refused.returncode == 2 and "made with another tokenizer" in refused.stderr


def test_import_tokenizer_command(foley, tmp_path):
    torch.manual_seed(0)
    HubertModel(HubertConfig(**TINY)).save_pretrained(str(tmp_path / "hubert"))
    km = MiniBatchKMeans(n_clusters=5, n_init=1, random_state=0).fit(np.random.default_rng(0).standard_normal((200, 16)))
    joblib.dump(km, tmp_path / "km.bin")
    proc = foley("import-tokenizer", "--hubert", tmp_path / "hubert", "--kmeans", tmp_path / "km.bin",
                 "--layer", 2, "--out", tmp_path / "tok")
    assert proc.returncode == 0, proc.stderr
    assert "HuBERT layer 2, 5 units of 16 dimensions" in proc.stdout
    assert UnitTokenizer.from_pretrained(tmp_path / "tok").n_units == 5
    bad = foley("import-tokenizer", "--hubert", tmp_path / "hubert", "--kmeans", tmp_path / "nope.bin", "--out", tmp_path / "x")
    assert bad.returncode == 2 and bad.stderr.strip() == f"foley: error: no such file: {tmp_path / 'nope.bin'} (--kmeans)"
    both = foley("import-tokenizer", "--hubert", tmp_path / "h.pt", "--kmeans", tmp_path / "nope.bin", "--out", tmp_path / "x")
    assert both.stderr.strip() == (f"foley: error: no such file: {tmp_path / 'h.pt'} (--hubert) and "
                                   f"{tmp_path / 'nope.bin'} (--kmeans)")


@pytest.mark.parametrize("model", ["demo", "sfx", "sfx folder"])
def test_tokenize_takes_a_model_name_or_folder(foley, clips, model):
    spec = shipped_dir("sfx") if model == "sfx folder" else model  # a model folder: its pipeline.json names the tokenizer
    model = model.split()[0]
    result = foley("tokenize", clips / "a.wav", "--model", spec, "--format", "json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    tokenizer = UnitTokenizer.from_pretrained(shipped_dir(model) / "tokenizer")
    assert out["n_units"] == tokenizer.n_units
    assert len(out["ids"]) == pytest.approx(50, abs=2)  # 1 s at 50 Hz


def test_manifest_cache_refuses_twice_used_ids_and_drops_tokens_of_a_changed_unreadable_file(foley, model_dir, clips,
                                                                                              tmp_path):
    folder = tmp_path / "clips"
    shutil.copytree(clips, folder)
    manifest = folder / "twice.jsonl"
    manifest.write_text('{"id": "a", "audio": "a.wav"}\n{"id": "a", "audio": "b.wav"}\n')
    out = tmp_path / "cache"
    twice = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert twice.returncode == 2 and twice.stderr == f"foley: error: {manifest}: clip id 'a' appears twice in the manifest\n"
    manifest.write_text('{"id": "a", "audio": "a.wav"}\n')
    assert foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet").returncode == 0
    (folder / "a.wav").write_bytes(b"RIFF damaged since")  # the clip changed and cannot be read: its old tokens go
    assert foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet").returncode == 1
    assert sorted(p.name for p in (out / "tokens").iterdir()) == []
    (out / "cache.json").unlink()  # tokens of an unknown tokenizer are never taken as this one's
    (out / "tokens" / "x.npy").write_bytes(b"")
    bare = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert bare.returncode == 2 and "holds tokens but no cache.json" in bare.stderr
    other = tmp_path / "notes"  # a folder of the user's is never taken for a cache, nor its failed.jsonl replaced
    other.mkdir()
    (other / "failed.jsonl").write_text("my list\n")
    refused = foley("tokenize", "--manifest", manifest, "--out", other, "--model", model_dir, "--quiet")
    assert refused.returncode == 2 and refused.stderr == (f"foley: error: {other}: holds other files than a token "
                                                          "cache (no cache.json), e.g. failed.jsonl; give --out a new "
                                                          "or empty folder\n")
    assert sorted(p.name for p in other.iterdir()) == ["failed.jsonl"]  # no cache.json, tokens nor lock
    assert (other / "failed.jsonl").read_text() == "my list\n"


@pytest.mark.parametrize("line", ['{"id": "a", "audio": 5}', '{"id": "a", "audio": ["a.wav"]}',
                                  '{"id": null, "audio": "a.wav"}', '{"id": {"x": 1}, "audio": "a.wav"}',
                                  '{"id": "a\\u0000b", "audio": "a.wav"}'])
def test_manifest_lines_of_wrong_types_are_one_line(foley, model_dir, clips, tmp_path, line):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(line + "\n")
    proc = foley("tokenize", "--manifest", manifest, "--out", tmp_path / "cache", "--model", model_dir, "--quiet")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"foley: error: {manifest}:1:")


def test_an_interrupted_manifest_cache_says_how_many_clips_it_keeps(foley, model_dir, clips, tmp_path, monkeypatch):
    manifest = tmp_path / "clips.jsonl"
    manifest.write_text("".join(json.dumps({"id": name, "audio": str(clips / f"{name}.wav")}) + "\n" for name in "ab"))
    out = tmp_path / "cache"
    encode = UnitTokenizer.encode

    def stopped_at(clip):  # Ctrl-C while the clip-th clip (from 1) is tokenized
        calls = []

        def tokenize(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == clip:
                raise KeyboardInterrupt
            return encode(self, *args, **kwargs)
        return tokenize

    for clip, said in ((1, f"after 0 of 2 clips: no clip is cached in {out} yet; the same command starts again"),
                       (2, f"after 1 of 2 clips: 1 cached in {out}, 1 of them by this run; the same command goes on "
                           "with the other 1")):
        monkeypatch.setattr(UnitTokenizer, "encode", stopped_at(clip))
        stopped = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
        assert (stopped.returncode, stopped.stderr) == (130, f"foley: interrupted {said}\n")
    monkeypatch.undo()
    again = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert "1 clip tokenized, 1 already cached, 0 failed (of 2)" in again.stdout


def test_a_damaged_token_file_is_tokenized_again_and_is_one_line_for_training(foley, model_dir, clips, tmp_path):
    from foley.datasets.token_cache import load_tokens
    from foley.errors import FoleyError

    manifest = tmp_path / "clips.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": str(clips / "a.wav")}) + "\n")
    out = tmp_path / "cache"
    assert foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet").returncode == 0
    whole = (out / "tokens" / "a.npy").read_bytes()
    (out / "tokens" / "a.npy").write_bytes(whole[:-10])  # a copy of the cache cut short
    with pytest.raises(FoleyError, match=r"a.npy: damaged unit file \(.*\); run `foley tokenize --manifest` again"):
        load_tokens(out, "a")
    again = foley("tokenize", "--manifest", manifest, "--out", out, "--model", model_dir, "--quiet")
    assert "1 clip tokenized, 0 already cached, 0 failed (of 1)" in again.stdout
    assert (out / "tokens" / "a.npy").read_bytes() == whole


def test_failures_of_two_manifests_into_one_cache_are_both_kept_and_both_manifests_recorded(foley, model_dir, clips,
                                                                                            tmp_path, monkeypatch):
    """A second manifest's run replaced failed.jsonl: training on the first then said no more why a clip had no units.
    A manifest given relative to the folder it was run in is recorded resolved (as typed, it names no file later)."""
    from foley.datasets.token_cache import load_tokens
    from foley.errors import FoleyError

    (tmp_path / "gone.wav").write_bytes(b"RIFF not this either")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps({"id": i, "audio": str(clips / f"{i}.wav")}) + "\n" for i in ("a", "broken")))
    second.write_text(json.dumps({"id": "b", "audio": str(clips / "b.wav")}) + "\n"
                      + json.dumps({"id": "gone", "audio": str(tmp_path / "gone.wav")}) + "\n")
    out = tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    for manifest in (first, second):
        assert foley("tokenize", "--manifest", manifest.name, "--out", out, "--model", model_dir,
                     "--quiet").returncode == 1
    assert [json.loads(x)["id"] for x in (out / "failed.jsonl").read_text().splitlines()] == ["broken", "gone"]
    assert json.loads((out / "cache.json").read_text())["manifests"] == [str(first), str(second)]
    with pytest.raises(FoleyError, match=r"no cached unit ids for clip 'broken': `foley tokenize` could not read it "
                                         r"\(.*broken.wav: not a readable audio or video file"):
        load_tokens(out, "broken")
    (tmp_path / "gone.wav").write_bytes((clips / "b.wav").read_bytes())  # fixed: its failure goes, the other stays
    assert foley("tokenize", "--manifest", second, "--out", out, "--model", model_dir, "--quiet").returncode == 0
    assert [json.loads(x)["id"] for x in (out / "failed.jsonl").read_text().splitlines()] == ["broken"]
    assert json.loads((out / "cache.json").read_text())["manifests"] == [str(first), str(second)]


def test_an_mp4_cut_before_its_index_is_said_so_as_extract_says_it(foley, model_dir, av_clip, tmp_path):
    """FFmpeg's "Invalid data found when processing input" said nothing of why."""
    from foley.media.video import probe_video

    data = av_clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:data.rindex(b"moov") - 1004])  # FFmpeg writes the index last
    said = f"{cut}: an MP4/MOV file cut short, or still being written: its index (the moov box) is missing or incomplete"
    with pytest.raises(MediaError, match=re.escape(said)):
        probe_video(cut)  # what extract reads it with
    with pytest.raises(MediaError, match=re.escape(said)):
        read_audio(cut)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "cut", "audio": str(cut)}) + "\n")
    proc = foley("tokenize", "--manifest", manifest, "--out", tmp_path / "cache", "--model", model_dir, "--quiet")
    assert proc.returncode == 1 and f"foley: warning: cut: {said}\n" in proc.stderr
    assert json.loads((tmp_path / "cache" / "failed.jsonl").read_text())["error"] == said
