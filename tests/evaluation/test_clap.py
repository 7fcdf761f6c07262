import json

import numpy as np
import pytest
import torch
from transformers import (
    ClapAudioConfig,
    ClapConfig,
    ClapFeatureExtractor,
    ClapModel,
    ClapProcessor,
    ClapTextConfig,
    RobertaTokenizer,
)

from foley.errors import FoleyError
from foley.evaluation.clap import ClapScorer, clap_scores, read_captions
from foley.media.audio import write_audio


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory):
    """A random ClapModel in the transformers layout, with a tiny byte-level BPE tokenizer."""
    from tokenizers import ByteLevelBPETokenizer

    d = tmp_path_factory.mktemp("clap")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["a dog barks", "rain falls on the roof", "thunder rumbles"] * 5, vocab_size=300,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(d))
    tok = RobertaTokenizer(str(d / "vocab.json"), str(d / "merges.txt"))
    torch.manual_seed(0)
    text = ClapTextConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=64, max_position_embeddings=64, projection_dim=16, pad_token_id=tok.pad_token_id)
    audio = ClapAudioConfig(depths=[1, 1], num_heads=[1, 2], patch_embeds_hidden_size=16, hidden_size=32,
                            projection_dim=16, window_size=8, num_mel_bins=64, spec_size=256, enable_fusion=False)
    ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16)).save_pretrained(d)
    ClapProcessor(ClapFeatureExtractor(truncation="rand_trunc", padding="repeatpad"), tok).save_pretrained(d)
    return d


def test_scores_are_cosines_and_files_pair_with_captions(tiny_clap, tmp_path):
    scorer = ClapScorer(str(tiny_clap))
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        write_audio(tmp_path / f"{name}.wav", rng.standard_normal(16_000).astype(np.float32) * 0.1, 16_000)
    (tmp_path / "caps.json").write_text(json.dumps({"a": "a dog barks", "b": "thunder rumbles"}))
    (tmp_path / "._a.wav").write_bytes(b"a file system's metadata")  # hidden: no clip of the set
    (tmp_path / "c.wav").mkdir()  # nor a folder
    result = clap_scores(scorer, tmp_path, read_captions(tmp_path / "caps.json"))
    assert result["n_clips"] == 2 and all(-1 <= s <= 1 for s in result["clips"].values())
    with pytest.raises(FoleyError, match=r"cannot load the CLAP model '/no/such/clap' \(/no/such/clap: no such folder\)"):
        ClapScorer("/no/such/clap")
    wav = rng.standard_normal(16_000).astype(np.float32)
    same = scorer.score([wav, wav], 16_000, ["a dog barks", "a dog barks"])
    assert same[0] == pytest.approx(same[1], abs=1e-6)


def test_caption_files(tmp_path):
    (tmp_path / "c.tsv").write_text("x\ta dog\ny\train\n")
    assert read_captions(tmp_path / "c.tsv") == {"x": "a dog", "y": "rain"}
    (tmp_path / "c.jsonl").write_text('{"id": "x", "caption": "a dog"}\n')
    assert read_captions(tmp_path / "c.jsonl") == {"x": "a dog"}
    (tmp_path / "bad.tsv").write_text("no tab here\n")
    with pytest.raises(FoleyError, match="stem<TAB>caption"):
        read_captions(tmp_path / "bad.tsv")
    with pytest.raises(FoleyError, match="cannot load the CLAP model"):
        ClapScorer(str(tmp_path / "nothing"))


def test_a_caption_file_that_is_not_utf8_is_one_line(tmp_path):
    (tmp_path / "latin1.tsv").write_bytes("x\tcaf\u00e9\n".encode("latin-1"))
    with pytest.raises(FoleyError, match=r"latin1.tsv: cannot read captions \('utf-8' codec can't decode"):
        read_captions(tmp_path / "latin1.tsv")
