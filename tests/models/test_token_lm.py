"""The token LM: LoRA invariants, trainable parameters, constrained generation, save/load."""
from __future__ import annotations

import copy

import pytest
import torch

from foley.config import TimeBase
from foley.errors import FoleyError
from foley.models.token_lm import (
    INSTRUCTION,
    MARKERS,
    REQUEST,
    LoraSettings,
    SamplingConfig,
    TokenLM,
    audio_token,
    build_token_lm,
)

from lm_models import (
    CAPTIONS,
    N_UNITS,
    TINY_GEMMA,
    clip_batch,
    fitted_lm,
    one_thread,  # noqa: F401  (autouse fixture)
    perturb,
    tiny_lm,
    tiny_lm_config,
    tiny_text_tokenizer,
)

SAMPLING = SamplingConfig(do_sample=True, temperature=1.3, top_k=6, top_p=0.95, seed=7)


@pytest.fixture(scope="module", params=["sequential", "time_aligned"])
def trained(request):
    return fitted_lm(seed=0, positions=request.param, aligned_span=160)


def _logits(model, n_frames=(9, 5), n_units=(6, 4), seed=0):
    frames, counts, captions = clip_batch(list(n_frames), seed)
    g = torch.Generator().manual_seed(seed + 100)
    units = torch.randint(0, N_UNITS, (len(n_frames), max(n_units)), generator=g)
    with torch.no_grad():
        loss, logits = model(captions, units, torch.tensor(n_units), frames, counts)
    return loss, logits


def test_zero_lora_b_leaves_the_base_logits_unchanged():
    model = tiny_lm(seed=0).eval()
    lora_b = [p for n, p in model.lm.named_parameters() if "lora_B" in n]
    assert lora_b and all(torch.count_nonzero(p) == 0 for p in lora_b)
    with_lora = _logits(model)[1]
    with model.lm.disable_adapter():
        base = _logits(model)[1]
    assert torch.equal(with_lora, base)
    perturb(model)  # the comparison can fail: a non-zero B changes the logits
    assert not torch.allclose(_logits(model)[1], base)


def test_merged_lora_gives_the_unmerged_logits(trained):
    model = tiny_lm(seed=0)
    model.load_trainable_state_dict(trained.trainable_state_dict())
    model.eval()
    before = _logits(model)[1]
    model.merge_lora()
    after = _logits(model)[1]
    assert torch.allclose(before, after, atol=1e-5, rtol=1e-5)
    assert before.abs().max() > 1e-2  # logits are not trivially zero


def test_merged_lora_writes_the_unmerged_tokens(trained, tmp_path):
    """The pipeline merges LoRA and the new token rows for inference: greedy and sampled
    decoding give the same tokens as the unmerged model."""
    frames, counts, captions = clip_batch([7, 22, 13], seed=5)
    n_tokens = [16, 50, 30]
    runs = (SamplingConfig(), SAMPLING)  # greedy, and sampled with a fixed seed

    def decode():
        return [trained.generate(captions, n_tokens, frames, counts, sampling=s) for s in runs]

    unmerged = decode()
    trained = copy.deepcopy(trained)  # the module's fixture stays unmerged for the other tests
    trained.merge_lora()
    assert not any("lora_" in name or "trainable_tokens" in name for name, _ in trained.named_parameters())
    merged = decode()
    for a, b in zip(unmerged, merged):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    with pytest.raises(FoleyError, match="merged"):
        trained.save_pretrained(tmp_path / "lm")


def test_only_connector_lora_and_new_token_rows_are_trainable():
    model = tiny_lm(seed=0)
    cfg = model.config
    d = TINY_GEMMA["hidden_size"]
    layers = TINY_GEMMA["num_hidden_layers"]
    q_out = TINY_GEMMA["num_attention_heads"] * TINY_GEMMA["head_dim"]
    v_out = TINY_GEMMA["num_key_value_heads"] * TINY_GEMMA["head_dim"]
    inter = TINY_GEMMA["intermediate_size"]
    r = cfg.lora.r
    lora = layers * r * ((d + q_out) + (d + v_out) + (inter + d))  # q_proj, v_proj, down_proj: A (r, in) + B (out, r)
    k = cfg.connector.kernel_size
    f = cfg.connector.frame_dim
    connector = cfg.connector.n_layers * (2 * f + f * f * k + f) + (f * d + d)  # norm, conv, projection
    new_rows = (len(MARKERS) + N_UNITS) * d
    trainable = {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}
    assert sum(trainable.values()) == lora + connector + new_rows
    assert all("lora_" in n or "trainable_tokens_delta" in n or n.startswith("connector.") for n in trainable)
    assert sum(p.numel() for p in model.parameters()) > 3 * sum(trainable.values())


def test_no_video_ablation_freezes_the_unused_connector():
    model = tiny_lm(seed=0, use_video=False)
    assert not any(p.requires_grad for p in model.connector.parameters())
    frames, counts, captions = clip_batch([9, 5])
    a = model.generate(captions, [5, 5], frames, counts)
    b = model.generate(captions, [5, 5])
    assert all(torch.equal(x, y) for x, y in zip(a, b))  # the frames are not used


@pytest.mark.parametrize("sampling", [SamplingConfig(), SAMPLING], ids=["greedy", "sampled"])
def test_generation_yields_exactly_t_audio_tokens(trained, sampling):
    time = TimeBase()
    durations = [0.0, 0.02, 0.05, 0.31, 0.1, 0.47]  # T = 0, 1, 3, 16, 5, 24 tokens
    n_tokens = [time.tokens(d) for d in durations]
    n_frames = [time.video_frames(d) for d in durations]
    assert n_tokens == [0, 1, 3, 16, 5, 24]
    for order in ([0, 1, 2, 3, 4, 5], [3, 0, 5], [5], [1, 1, 4]):
        frames, counts, captions = clip_batch([n_frames[i] for i in order], seed=sum(order))
        out = trained.generate(captions, [n_tokens[i] for i in order], frames, counts, sampling=sampling)
        for ids, i in zip(out, order):
            assert ids.dtype == torch.long and len(ids) == n_tokens[i]
            assert ((ids >= 0) & (ids < N_UNITS)).all()


def test_a_clip_decodes_the_same_alone_and_in_any_batch(trained):
    frames, counts, captions = clip_batch([11, 3, 7], seed=3)
    n_tokens = [9, 14, 4]
    batch = trained.generate(captions, n_tokens, frames, counts)
    for i in range(3):
        alone = trained.generate(captions[i:i + 1], n_tokens[i:i + 1], frames[i:i + 1, :counts[i]], counts[i:i + 1])
        assert torch.equal(alone[0], batch[i])
    assert len({tuple(x[:4].tolist()) for x in batch}) == 3  # outputs depend on the clip


@pytest.mark.parametrize("sampling", [SamplingConfig(), SAMPLING], ids=["greedy", "sampled"])
def test_kv_cached_decoding_equals_uncached(trained, sampling, monkeypatch):
    frames, counts, captions = clip_batch([10, 4, 7], seed=5)
    n_tokens = [12, 7, 0]
    cached = trained.generate(captions, n_tokens, frames, counts, sampling=sampling, use_cache=True)
    lengths = []
    forward = trained.lm.forward
    monkeypatch.setattr(trained.lm, "forward", lambda *a, **kw: lengths.append(kw["inputs_embeds"].shape[1])
                        or forward(*a, **kw))
    uncached = trained.generate(captions, n_tokens, frames, counts, sampling=sampling, use_cache=False)
    assert all(torch.equal(a, b) for a, b in zip(cached, uncached))
    assert len(set(cached[0].tolist())) > 1  # not a constant sequence
    assert lengths == list(range(lengths[0], lengths[0] + 13))  # the whole sequence, one longer each step


def test_greedy_generation_is_the_argmax_of_the_training_pass(trained):
    """Training (teacher forcing) and generation lay the prompt out identically."""
    frames, counts, captions = clip_batch([8, 5], seed=9)
    n_tokens = [10, 6]
    generated = trained.generate(captions, n_tokens, frames, counts)
    units = torch.nn.utils.rnn.pad_sequence(generated, batch_first=True)
    with torch.no_grad():
        _, logits = trained(captions, units, torch.tensor(n_tokens), frames, counts)  # (B, T_max + 1, V)
    audio = logits[..., trained.first_audio_id:trained.first_audio_id + N_UNITS]
    for i, n in enumerate(n_tokens):
        assert torch.equal(audio[i, -n - 1:-1].argmax(-1), generated[i])


def test_sampling_follows_the_seed(trained):
    frames, counts, captions = clip_batch([6, 6], seed=2)
    a = trained.generate(captions, [20, 20], frames, counts, sampling=SAMPLING)
    b = trained.generate(captions, [20, 20], frames, counts, sampling=SAMPLING)
    c = trained.generate(captions, [20, 20], frames, counts, sampling=SamplingConfig(**{**SAMPLING.__dict__, "seed": 8}))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_save_load_round_trip_gives_identical_generations(trained, tmp_path, capfd):
    frames, counts, captions = clip_batch([7, 12], seed=4)
    expected = [trained.generate(captions, [15, 8], frames, counts, sampling=s) for s in (SamplingConfig(), SAMPLING)]
    capfd.readouterr()
    trained.save_pretrained(tmp_path / "lm")
    assert capfd.readouterr().err == ""  # no library progress bar amid a training run's lines
    assert sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["base", "config.json", "tokenizer",
                                                                   "trainable.safetensors"]
    loaded = TokenLM.from_pretrained(tmp_path / "lm")
    assert not any(p.requires_grad for p in loaded.parameters())
    for s, want in zip((SamplingConfig(), SAMPLING), expected):
        got = loaded.generate(captions, [15, 8], frames, counts, sampling=s)
        assert all(torch.equal(x, y) for x, y in zip(got, want))
    loaded.save_pretrained(tmp_path / "again")  # a loaded model saves its own base again
    again = TokenLM.from_pretrained(tmp_path / "again")
    assert all(torch.equal(x, y) for x, y in zip(again.generate(captions, [15, 8], frames, counts), expected[0]))


def test_vocabulary_and_prompt():
    model = tiny_lm(seed=0, instruction=INSTRUCTION, request=REQUEST)
    tok = model.tokenizer
    ids = tok.convert_tokens_to_ids([audio_token(i) for i in range(N_UNITS)])
    assert ids == list(range(model.first_audio_id, model.first_audio_id + N_UNITS))
    text = tok.decode(model._head_ids + model._tail_ids(CAPTIONS[0]))
    assert text == (f"<bos><start_of_turn>user\n{INSTRUCTION}\nVideo: <Video></Video>\nCaption: <Caption>{CAPTIONS[0]}"
                    f"</Caption>\n{REQUEST}<end_of_turn>\n<start_of_turn>model\n")


def test_a_caption_is_plain_text_and_its_length_is_checked(trained):
    tok = trained.tokenizer
    specials = tok.convert_tokens_to_ids(["<Video>", "<end_of_turn>", audio_token(1)])
    typed = trained._tail_ids("a <Video> <end_of_turn> <AUD_1> inside")  # spelled out, not taken as those tokens
    plain = trained._tail_ids("a ball")
    assert typed.count(specials[0]) == 0 and typed.count(specials[2]) == 0
    assert typed.count(specials[1]) == plain.count(specials[1]) == 1  # the request's own end of turn
    assert "<Video> <end_of_turn> <AUD_1> inside</Caption>" in tok.decode(typed)
    assert [len(row) for row in trained.generate(["a <Video> inside"], [3])] == [3]
    trained.check_caption("a ball", 40)
    if trained.config.positions == "sequential":  # no room reserved, so no limit here
        trained.check_caption("a ball " * 400, 40)
    else:
        with pytest.raises(FoleyError, match=r"the caption is too long for this model: .* room for \d+; shorten it"):
            trained.check_caption("a ball " * 400, 40)


def test_bad_inputs_fail_with_one_line(trained, tmp_path):
    with pytest.raises(FoleyError, match="token count"):
        trained.generate(["x", "y"], [3])
    with pytest.raises(FoleyError, match="not a token LM"):
        TokenLM.from_pretrained(tmp_path)
    other = tiny_lm(seed=0, n_units=N_UNITS + 1)
    with pytest.raises(FoleyError, match="do not fit"):
        other.load_trainable_state_dict(trained.trainable_state_dict())


def test_a_damaged_lm_folder_is_one_line(tmp_path):
    import json
    import shutil

    from foley.models.token_lm import DEMO_DIR

    shutil.copytree(DEMO_DIR, tmp_path / "lm")
    config = tmp_path / "lm" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "base": 5}))
    with pytest.raises(FoleyError, match=r"lm/config.json: base and text_tokenizer must be text, got 5 and 'tokenizer'$"):
        TokenLM.from_pretrained(tmp_path / "lm")
    shutil.copy(DEMO_DIR / "config.json", config)
    (tmp_path / "lm" / "tokenizer" / "tokenizer_config.json").write_text("[]")
    with pytest.raises(FoleyError, match=r"cannot load the text tokenizer '.*lm/tokenizer': 'list' object has no "):
        TokenLM.from_pretrained(tmp_path / "lm")


def test_time_aligned_positions_put_each_token_a_fixed_distance_from_its_frame():
    model = tiny_lm(seed=0, positions="time_aligned", aligned_span=300)
    time = TimeBase()
    for duration in (0.5, 1.3, 2.0):
        n_frames, n_tokens = time.video_frames(duration), time.tokens(duration)
        frames, counts, captions = clip_batch([n_frames])
        units = torch.zeros(1, n_tokens, dtype=torch.long)
        _, mask, positions, labels = model.build_inputs(frames, counts, captions, units, torch.tensor([n_tokens]))
        pos = positions[0].tolist()
        head = len(model._head_ids)
        video = pos[head:head + n_frames]
        audio = pos[len(pos) - n_tokens - 1:-1]  # the targets, without EOS
        assert pos == sorted(pos) and len(set(pos)) == len(pos)
        for k, p in enumerate(video):  # frame k at time k / 21.5 s; token t at time t / 50 s
            t = round(k * 50 / 21.5)
            if t < n_tokens:
                assert audio[t] - p == 300
    with pytest.raises(FoleyError, match="do not fit aligned_span=300"):
        frames, counts, captions = clip_batch([200])
        model.generate(captions, [10], frames, counts)


def test_change_weight_weighs_the_tokens_that_differ_from_the_one_before(trained):
    frames, counts, captions = clip_batch([9, 5], seed=3)
    units = torch.tensor([[4, 4, 7, 7, 7, 2], [1, 3, 3, 3, 0, 0]])
    n_units = torch.tensor([6, 4])
    with torch.no_grad():
        plain, logits = trained(captions, units, n_units, frames, counts)
        same, _ = trained(captions, units, n_units, frames, counts, change_weight=1.0)
        weighted, _ = trained(captions, units, n_units, frames, counts, change_weight=5.0)
    assert torch.equal(plain, same)
    total, count = 0.0, 0
    for i, n in enumerate(n_units.tolist()):
        u = units[i, :n].tolist()
        targets = [trained.first_audio_id + x for x in u] + [trained.eos_id]
        logp = logits[i, -(n + 1):].float().log_softmax(-1)  # (n + 1, V)
        for j, t in enumerate(targets):
            w = 5.0 if 0 < j < n and u[j] != u[j - 1] else 1.0
            total += -w * logp[j, t].item()
        count += n + 1
    assert weighted.item() == pytest.approx(total / count, rel=1e-5)
    assert weighted > plain


def test_unit_dropout_replaces_the_input_history_not_the_targets(trained):
    frames, counts, captions = clip_batch([9, 5], seed=4)
    a = torch.tensor([[4, 4, 7, 7, 7, 2], [1, 3, 3, 3, 0, 0]])
    b = a.clone()
    b[0, 2] = 9  # one history token differs
    n_units = torch.tensor([6, 4])

    def run(units, p):
        torch.manual_seed(11)
        with torch.no_grad():
            return trained(captions, units, n_units, frames, counts, unit_dropout=p)

    (loss_a, logits_a), (loss_b, logits_b) = run(a, 1.0), run(b, 1.0)
    torch.testing.assert_close(logits_a, logits_b)  # every history token was replaced: the logits ignore it
    assert loss_a != loss_b  # the targets are still the clip's own units
    _, plain_a = run(a, 0.0)
    _, plain_b = run(b, 0.0)
    assert not torch.allclose(plain_a[0, -4:], plain_b[0, -4:])  # without dropout the history matters
    torch.testing.assert_close(run(a, 0.5)[0], run(a, 0.5)[0])  # the draws follow torch's seed


def test_a_pretrained_base_grows_by_the_added_vocabulary(tmp_path):
    """A base saved with its own tokenizer (as google/gemma-2-2b-it is: 256,000 rows, no audio
    tokens) is resized by the markers and the units: its rows and tied head are kept, only the
    new rows train, and saving, loading, merging and constrained decoding work on the resized table."""
    from transformers import Gemma2Config, Gemma2ForCausalLM

    tokenizer = tiny_text_tokenizer()
    torch.manual_seed(3)
    base = Gemma2ForCausalLM(Gemma2Config(**TINY_GEMMA, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                                          bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id))
    base.save_pretrained(tmp_path / "gemma")
    tokenizer.save_pretrained(tmp_path / "gemma")
    rows = base.get_input_embeddings().weight.detach().clone()  # (V, D)

    torch.manual_seed(0)
    lm = build_token_lm(tiny_lm_config(base=str(tmp_path / "gemma")))
    embedding = lm.lm.get_base_model().get_input_embeddings()
    assert embedding.weight.shape[0] == len(rows) + len(MARKERS) + N_UNITS
    table = embedding.token_adapter.base_layer.weight  # (V + 4 + K, D): the base's table, resized
    assert torch.equal(table[:len(rows)], rows)  # the base's own rows are untouched
    assert torch.allclose(table[len(rows):], rows.mean(0).expand(len(table) - len(rows), -1))  # a reload rebuilds them
    head = lm.lm.get_base_model().get_output_embeddings()
    assert head.token_adapter.base_layer.weight is table  # still tied
    assert lm.first_audio_id == len(rows) + len(MARKERS)
    new_rows = lm.trainable_state_dict()["lm.base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"]
    assert new_rows.shape == (len(MARKERS) + N_UNITS, TINY_GEMMA["hidden_size"])
    perturb(lm)

    frames, counts, captions = clip_batch([7, 12], seed=4)
    expected = lm.generate(captions, [15, 8], frames, counts)
    assert all(((x >= 0) & (x < N_UNITS)).all() for x in expected)
    lm.save_pretrained(tmp_path / "lm")
    assert sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["config.json", "tokenizer", "trainable.safetensors"]
    loaded = TokenLM.from_pretrained(tmp_path / "lm")
    loaded.merge_lora()
    assert all(torch.equal(x, y) for x, y in zip(loaded.generate(captions, [15, 8], frames, counts), expected))


def test_a_base_or_trainable_weights_that_do_not_fit_are_named_in_one_line(tmp_path):
    """A Gemma folder that lacks a weight (transformers would fill it at random), LoRA weights
    trained on another base, and a LoRA target the base does not have: one line each."""
    import json

    from safetensors.torch import load_file, save_file
    from transformers import Gemma2Config, Gemma2ForCausalLM

    tokenizer = tiny_text_tokenizer()
    for name, layers in (("gemma", 2), ("cut", 2), ("deeper", 3)):
        torch.manual_seed(3)
        Gemma2ForCausalLM(Gemma2Config(**{**TINY_GEMMA, "num_hidden_layers": layers}, vocab_size=len(tokenizer),
                                       pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                                       eos_token_id=tokenizer.eos_token_id)).save_pretrained(tmp_path / name)
        tokenizer.save_pretrained(tmp_path / name)
    weights = tmp_path / "cut" / "model.safetensors"
    save_file({k: v for k, v in load_file(weights).items() if k != "model.layers.0.self_attn.q_proj.weight"}, weights,
              metadata={"format": "pt"})
    with pytest.raises(FoleyError, match=r"cut: the Gemma-2 model's weights lack model.layers.0.self_attn.q_proj.weight "
                                         r"\(an incomplete or other model's weights file\)$"):
        build_token_lm(tiny_lm_config(base=str(tmp_path / "cut")))
    with pytest.raises(FoleyError, match=r"^lora.target_modules: Target modules \{'q_projection'\} not found"):
        build_token_lm(tiny_lm_config(base=str(tmp_path / "gemma"), lora=LoraSettings(target_modules=("q_projection",))))

    torch.manual_seed(0)
    build_token_lm(tiny_lm_config(base=str(tmp_path / "gemma"))).save_pretrained(tmp_path / "lm")
    config = json.loads((tmp_path / "lm" / "config.json").read_text())
    (tmp_path / "lm" / "config.json").write_text(json.dumps({**config, "base": str(tmp_path / "deeper")}))
    with pytest.raises(FoleyError, match=r"lm/trainable.safetensors: the trainable weights do not fit this model "
                                         r"\(e.g. .*layers.2.*\): were they trained on another base than '.*deeper'"):
        TokenLM.from_pretrained(tmp_path / "lm")
    (tmp_path / "lm" / "config.json").write_text(json.dumps({**config, "lora_rank": 8}))  # a hand-edited config
    with pytest.raises(FoleyError, match=r"lm/config.json: unknown token LM settings: \['lora_rank'\]$"):
        TokenLM.from_pretrained(tmp_path / "lm")
