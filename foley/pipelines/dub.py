"""FoleyPipeline: a video in, synchronized sound out.

decode @21.5 Hz -> frame features -> connector + LM -> exactly T <AUD_x> tokens per window
-> k-means centroids -> backbone diffusion with the visual adapter -> vocoder -> windows
joined with equal-power crossfades -> trimmed to the video's length.

Without a caption, a model with a caption probe (``pipeline.json``'s ``caption_probe``) gives
the LM and the backbone the caption of the class it sees in the frames; with a caption, the
visual condition works in the first ``visual_steps`` of the diffusion steps only.

A model directory holds ``pipeline.json`` and one folder per component (each with its own
config), so ``FoleyPipeline.from_pretrained(dir)`` needs no preset name; ``demo`` is the
directory shipped with the package.

Videos longer than the model's window are dubbed in windows that overlap by
``overlap_s``, one every ``window_s - overlap_s`` from the start and the last one ending with
the video, so that a video's first seconds get the same windows (the same tokens, the same
sound) however long it goes on; the last window is heard from ``overlap_s`` before the end of
the one before. The LM writes each window's tokens from that window's frames, several
windows in one decoding loop; in the overlap the earlier window's tokens are kept, so both
renditions of the overlap come from the same tokens before they are crossfaded. The
diffusion also renders several windows (and both guidance branches) per UNet call. Memory
stays flat with video length apart from the frame features (D floats per frame).
"""
from __future__ import annotations

import functools
import json
import numbers
import os
from dataclasses import asdict, dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..config import MAX_SEED, SCHEDULER_NAMES, TimeBase, is_finite_number
from ..errors import FoleyError
from ..media.crossfade import heard_from, hop_starts, join_windows
from ..memory import release_freed_memory
from ..models.caption_probe import CaptionProbe, Seen
from ..models.frame_stats import MAX_UNFAMILIAR
from ..models.hub import HUB_ID

CONFIG_NAME = "pipeline.json"


@dataclass(frozen=True)
class PipelineConfig:
    # Component folders: relative to the model directory, or absolute paths (the backbone
    # may also be a hub id).
    frame_encoder: str = "frame_encoder"
    lm: str = "lm"
    tokenizer: str = "tokenizer"
    backbone: str = "backbone"
    adapter: str = "adapter"
    frame_stats: str = ""  # statistics of the LM's training frames (""; no familiarity check)
    caption_probe: str = ""  # names what a video shows when no caption is given ("": none)
    window_s: float = 10.0  # the clip length the LM and adapter were trained on
    overlap_s: float = 1.0
    caption: str = ""  # used when the user gives none
    knows: str = ""  # what the model learned, in a few words (said when it recognizes nothing)
    scale: float | None = None  # lambda of the visual cross-attention (None: the adapter's own)
    visual_steps: float = 1.0  # with a caption, the fraction of the diffusion steps, from the first, that use it
    steps: int = 25
    guidance: float = 3.0
    scheduler: str = "dpm"

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> "PipelineConfig":
        """Itself, when its sampler settings and windows can run. Raises FoleyError for steps < 1,
        a scale or guidance that is not a finite number >= 0, visual_steps outside [0, 1], an
        unknown scheduler, a window_s that is not a time > 0, or an overlap_s not in [0, window_s)."""
        if isinstance(self.steps, bool) or not isinstance(self.steps, numbers.Integral) or self.steps < 1:
            raise FoleyError(f"steps must be a whole number >= 1, got {self.steps!r}")
        for name in ("scale", "guidance", "visual_steps", "window_s", "overlap_s"):
            value = getattr(self, name)
            if name == "scale" and value is None:
                continue
            if not is_finite_number(value) or value < 0:
                raise FoleyError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.visual_steps > 1:
            raise FoleyError(f"visual_steps must be a fraction in [0, 1], got {self.visual_steps!r}")
        if self.scheduler not in SCHEDULER_NAMES:
            raise FoleyError(f"unknown scheduler {self.scheduler!r}; choose from {', '.join(SCHEDULER_NAMES)}")
        if not 0 <= self.overlap_s < self.window_s:
            raise FoleyError(f"window_s must be a time > 0 longer than overlap_s, got window_s {self.window_s!r} "
                             f"and overlap_s {self.overlap_s!r}")
        return self

    @classmethod
    def from_dict(cls, data: dict) -> "PipelineConfig":
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise FoleyError(f"unknown pipeline settings: {sorted(unknown)}")
        return cls(**data)

    @classmethod
    def read(cls, path: str | os.PathLike) -> "PipelineConfig":
        """A ``pipeline.json``; FoleyError (one line) if it is unreadable or its settings cannot
        run (:meth:`check`)."""
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8"))).check()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as e:
            raise FoleyError(f"{path}: unreadable pipeline config ({e})") from None
        except FoleyError as e:
            raise FoleyError(f"{path}: {e}") from None


@dataclass
class DubResult:
    audio: np.ndarray  # (N,) float32, exactly as long as the video
    sample_rate: int
    tokens: torch.Tensor  # (T,) unit ids at 50 Hz over the whole video
    recognized: bool  # any unit other than the silence unit: the model saw a sound event it knows
    unfamiliar: float | None = None  # fraction of frames unlike the training frames (None: not checked)
    seen: Seen | None = None  # what the caption probe saw, when its caption was used
    caption: str = ""  # the caption the LM and the backbone were given
    probed: bool = False  # the caption probe was asked (no caption given, the frames familiar enough)
    caption_given: bool = False  # ``caption`` is one the caller gave (not the model's own, nor the probe's)
    known_by: tuple[str, ...] = ()  # the shipped models that know the frames of a video this one did not dub


SHIPPED_MODELS = {  # name -> folder in the package
    "demo": "assets/demo",  # SynthSync's eight synthetic sounds, Griffin-Lim
    "sfx": "assets/sfx",  # recorded sounds (13 SynthSync classes), the sound-effects backbone, HiFi-GAN
}


def model_dir(spec: str | os.PathLike) -> Path:
    """The folder of a shipped model (``demo``, ``sfx``) or of a model path."""
    name = str(spec)
    return Path(str(resources.files("foley").joinpath(SHIPPED_MODELS[name]))) if name in SHIPPED_MODELS else Path(spec)


def dub_settings(model: str | os.PathLike, *, caption: str | None, scale: float | None, steps: int | None,
                 guidance: float | None, visual_steps: float | None, seed: int, threads: int | None) -> dict:
    """How ``foley dub`` makes a sound, by the names of its options, with the model's own
    sampler defaults (its ``pipeline.json``, read without loading anything) for those not given;
    the given values alone when that file cannot be read. The caption stays as given (None: the
    model's own or, with a caption probe, one named from each video's picture, which is not the
    same as ``--caption ''``); ``threads``, the CPU threads torch computes with on a CPU (on another
    count the same seed can make another sound; None on a GPU, not recorded). A dub's wav records them."""
    try:
        config = PipelineConfig.read(model_dir(model) / CONFIG_NAME)
    except (FoleyError, OSError):
        config = None
    given = dict(scale=scale, steps=steps, guidance=guidance, visual_steps=visual_steps)
    return {"model": str(model), "caption": caption,
            **{name.replace("_", "-"): getattr(config, name) if value is None and config is not None else value
               for name, value in given.items()},
            "seed": seed, **({"threads": threads} if threads is not None else {})}


def component_path(root: Path, key: str, value: str) -> Path | str:
    """Where ``pipeline.json``'s ``key`` points: ``value`` relative to the model folder, or an
    absolute path; the backbone may also be a hub id (``owner/name``, e.g.
    ``auffusion/auffusion-full-no-adapter``). Raises FoleyError naming the file when it points
    nowhere or is not a path."""
    if not isinstance(value, str) or not value.strip():
        raise FoleyError(f"{root / CONFIG_NAME}: {key} must name a file or folder, got {value!r}")
    path = Path(value) if Path(value).is_absolute() else root / value
    if path.exists():
        return path
    if key == "backbone" and "/" in value and HUB_ID.fullmatch(value):
        return value
    raise FoleyError(f"{root / CONFIG_NAME}: {key} {value!r} -> {path}: no such file or folder")


def models_that_know(features: torch.Tensor, encoder_dir: str | os.PathLike,
                     own_root: str | os.PathLike) -> tuple[str, ...]:
    """The shipped models other than the one at ``own_root`` that read frames with the frame
    encoder at ``encoder_dir`` and find ``features`` (N, D) familiar (at most MAX_UNFAMILIAR of
    them unlike their training frames): which to dub a video with that this model does not know."""
    return tuple(name for name in SHIPPED_MODELS if model_dir(name).resolve() != Path(own_root).resolve()
                 and (known := _shipped_frame_stats(name))[0] == Path(encoder_dir).resolve()
                 and known[1].unfamiliar(features) <= MAX_UNFAMILIAR)


@functools.lru_cache(maxsize=None)
def _shipped_frame_stats(name: str) -> tuple[Path | None, object]:
    """(its frame encoder's folder, its FrameStats) of a shipped model; (None, None) when it is
    not installed or checks no frames. Read once a process: a batch asks for every silent video."""
    from ..models.frame_stats import FrameStats

    root = model_dir(name)
    if not (root / CONFIG_NAME).is_file():
        return None, None
    config = PipelineConfig.read(root / CONFIG_NAME)
    if not config.frame_stats:
        return None, None
    return (Path(component_path(root, "frame_encoder", config.frame_encoder)).resolve(),
            FrameStats.load(component_path(root, "frame_stats", config.frame_stats)))


class FoleyPipeline:
    MAX_UNFAMILIAR = MAX_UNFAMILIAR  # a video most of whose frames are unfamiliar is not dubbed
    # From this share of unfamiliar frames on a dubbed video's summary says so (the shipped models'
    # test clips: at most 0.12)
    NOTED_UNFAMILIAR = 0.2
    # Windows per LM decoding loop and per diffusion batch: fewer calls, memory still bounded.
    WINDOW_BATCH = 4
    # What each stage of ``dub``'s ``progress(stage, i, n)`` counts (a progress bar's unit): the
    # frames encoded, the windows (``window_s`` each) whose tokens are written, those rendered to audio.
    PROGRESS_UNITS = {"frames": "frame", "tokens": "window", "audio": "window"}

    def __init__(self, config: PipelineConfig, frame_encoder, lm, tokenizer, backbone, adapter,
                 time: TimeBase | None = None, frame_stats=None, caption_probe=None,
                 backbone_dir: str | None = None):
        config.check()
        if config.window_s > backbone.mel.width_s + 1e-6:
            raise FoleyError(f"window_s {config.window_s} exceeds the backbone's width {backbone.mel.width_s:.2f} s")
        if lm.n_units != tokenizer.n_units:
            raise FoleyError(f"the LM writes {lm.n_units} units but the tokenizer has {tokenizer.n_units}")
        if lm.tokenizer_fingerprint and lm.tokenizer_fingerprint != tokenizer.fingerprint():
            raise FoleyError("the LM learned the units of another unit tokenizer than the model's (its units.json "
                             "records another fingerprint): its unit ids would name other sounds")
        # The output rate is the backbone's (its mel and vocoder), never a constant.
        self.config = config
        self.time = time or TimeBase(sample_rate=backbone.mel.sample_rate,
                                     mel_rate_hz=backbone.mel.sample_rate / backbone.mel.hop_length)
        self.frame_encoder, self.lm, self.tokenizer, self.backbone, self.adapter = (
            frame_encoder, lm, tokenizer, backbone, adapter)
        self.silence_unit = tokenizer.silence_unit()
        if frame_stats is not None and len(frame_stats.mean) != frame_encoder.dim:
            raise FoleyError(f"the frame statistics are of {len(frame_stats.mean)}-d features but the frame encoder "
                             f"gives {frame_encoder.dim}-d (statistics of another encoder's features?)")
        self.frame_stats = frame_stats  # FrameStats or None
        if caption_probe is not None and len(caption_probe.mean) != frame_encoder.dim:
            raise FoleyError(f"the caption probe reads {len(caption_probe.mean)}-d features but the frame encoder "
                             f"gives {frame_encoder.dim}-d (a probe of another encoder's features?)")
        self.caption_probe = caption_probe  # CaptionProbe or None
        self.backbone_dir = backbone_dir  # the backbone's folder, where its sounds.json may list what it learned
        self.root = self.frame_encoder_dir = None  # the model's folder and its frame encoder's, when loaded from one
        adapter.attach(backbone.unet)

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike = "demo", device: str = "auto") -> "FoleyPipeline":
        from ..device import bf16_supported, resolve_device
        from ..models.backbone import AudioBackbone
        from ..models.frame_encoder import FrameEncoder
        from ..models.frame_stats import FrameStats
        from ..models.token_lm import TokenLM
        from ..models.unit_tokenizer import UnitTokenizer
        from ..models.visual_adapter import VisualAdapter

        root = model_dir(path)
        if not (root / CONFIG_NAME).is_file():
            what = (f"the {path} model is not installed" if str(path) in SHIPPED_MODELS
                    else f"not a foley model directory, nor a shipped model ({', '.join(SHIPPED_MODELS)})")
            raise FoleyError(f"{root}: {what} (no {CONFIG_NAME})")
        config = PipelineConfig.read(root / CONFIG_NAME)
        dev = resolve_device(device)
        half = torch.float16 if dev.type == "cuda" else torch.float32
        optional = ("frame_stats", "caption_probe")  # "": no familiarity check, no captions from the picture
        paths = {key: component_path(root, key, getattr(config, key))  # every pointer checked before any loading
                 for key in ("backbone", "adapter", "lm", "frame_encoder", "tokenizer", *optional)
                 if key not in optional or getattr(config, key) not in ("", None)}
        where = paths.__getitem__
        backbone = AudioBackbone.from_pretrained(where("backbone"), dtype=half, device=dev)
        said = {} if config.scale is None else {"scale": config.scale}  # else the lambda it was trained for
        adapter = VisualAdapter.from_pretrained(where("adapter"), **said).to(dev, half)
        config = replace(config, scale=adapter.cfg.scale)
        # Gemma's activations leave fp16's range (transformers issue 36822): bf16 where the GPU has it, else fp32.
        lm = TokenLM.from_pretrained(where("lm"), device=str(dev),
                                     dtype=torch.bfloat16 if bf16_supported(dev) else torch.float32)
        lm.merge_lora()  # inference only: LoRA and the new token rows folded in, the same tokens, faster
        frame_encoder = FrameEncoder.from_pretrained(where("frame_encoder"), device=str(dev))
        tokenizer = UnitTokenizer.from_pretrained(where("tokenizer"))
        frame_stats = FrameStats.load(paths["frame_stats"]) if "frame_stats" in paths else None
        caption_probe = CaptionProbe.load(paths["caption_probe"]) if "caption_probe" in paths else None
        try:
            pipeline = cls(config, frame_encoder, lm, tokenizer, backbone, adapter, frame_stats=frame_stats,
                           caption_probe=caption_probe, backbone_dir=str(where("backbone")))
        except FoleyError as e:  # components that load alone but do not fit together: said of the model
            raise FoleyError(f"{root}: {e}") from None
        pipeline.root, pipeline.frame_encoder_dir = root, where("frame_encoder")
        return pipeline

    # ------------------------------------------------------------------------ dubbing ---
    def windows(self, duration_s: float) -> list[tuple[float, float]]:
        """(start_s, length_s) of each window covering the video: one every ``window_s - overlap_s`` s from
        0, the last ending with the video (:func:`hop_starts`)."""
        sr = self.time.sample_rate
        total, window = round(duration_s * sr), round(self.config.window_s * sr)
        starts = hop_starts(total, window, round(self.config.overlap_s * sr))
        return [(s / sr, min(window, total - s) / sr) for s in starts]

    def _token_span(self, start_s: float, length_s: float) -> tuple[int, int]:
        """First token and token count of a window; windows tile the video's tokens exactly."""
        t0 = round(start_s * self.time.token_rate_hz)
        return t0, self.time.tokens(start_s + length_s) - t0

    def predict_tokens(self, video: str | os.PathLike, caption: str | None = None, seed: int = 0,
                       progress: Callable[[str, int, int], None] | None = None,
                       span_s: float | None = None) -> torch.Tensor:
        """(tokens(span),) unit ids for the whole video, written by the LM window by window;
        a window starts from the tokens its predecessor already wrote for the overlap.

        ``span_s`` (default: the video's duration) may be longer than the video: the frames
        after its end repeat the last one (a still picture, no events)."""
        from ..media.video import probe_video

        span_s = probe_video(video).duration_s if span_s is None else span_s
        features = self.encode_frames(video, span_s, progress)
        return self.tokens_from_frames(features, span_s, caption, seed, progress)

    def encode_frames(self, video: str | os.PathLike, span_s: float,
                      progress: Callable[[str, int, int], None] | None = None) -> torch.Tensor:
        """(video_frames(span_s), D_frame) features at the video rate; past the video's end
        the last frame repeats. ``progress("frames", i, n)`` counts the frames encoded, chunk by chunk."""
        report = progress or (lambda stage, i, n: None)
        total = self.time.video_frames(span_s)
        report("frames", 0, total)
        features = self.frame_encoder.encode_video(video, fps=self.time.video_fps,
                                                   progress=lambda n: report("frames", min(n, total), total))  # (N, D_frame)
        missing = total - len(features)
        if missing > 0:
            features = torch.cat([features, features[-1:].expand(missing, -1)])  # (video_frames(span), D_frame)
        report("frames", total, total)
        return features

    def tokens_from_frames(self, features: torch.Tensor, span_s: float, caption: str | None = None, seed: int = 0,
                           progress: Callable[[str, int, int], None] | None = None) -> torch.Tensor:
        """Frame features (video_frames(span_s), D_frame) -> (tokens(span_s),) unit ids; up to
        ``WINDOW_BATCH`` windows are decoded together (greedy: the same tokens as one at a time)."""
        caption = self.config.caption if caption is None else caption
        report = progress or (lambda stage, i, n: None)
        windows = self.windows(span_s)
        tokens = torch.zeros(0, dtype=torch.long)
        for b in range(0, len(windows), self.WINDOW_BATCH):
            report("tokens", b, len(windows))
            group = windows[b:b + self.WINDOW_BATCH]
            clips = [features[round(s * self.time.video_fps):][:self.time.video_frames(n)] for s, n in group]
            spans = [self._token_span(s, n) for s, n in group]  # (first token, count) per window
            rows = self.lm.generate([caption] * len(group), [n for _, n in spans],
                                    frames=torch.nn.utils.rnn.pad_sequence(clips, batch_first=True),  # (G, N, D)
                                    frame_counts=torch.tensor([len(c) for c in clips]), sampling=_sampling(seed + b))
            for (t0, _), ids in zip(spans, rows):
                tokens = torch.cat([tokens, ids.cpu()[len(tokens) - t0:]])  # keep what earlier windows wrote
        report("tokens", len(windows), len(windows))
        return tokens

    def settings(self, *, scale: float | None = None, steps: int | None = None,
                 guidance: float | None = None, visual_steps: float | None = None) -> PipelineConfig:
        """The model's config with the given sampler settings in place of its own (None keeps
        the model's). Raises FoleyError for settings that cannot run (:meth:`PipelineConfig.check`)."""
        given = dict(scale=scale, steps=steps, guidance=guidance, visual_steps=visual_steps)
        return replace(self.config, **{k: v for k, v in given.items() if v is not None}).check()

    def render(self, tokens: torch.Tensor, duration_s: float, caption: str | None = None, scale: float | None = None,
               steps: int | None = None, guidance: float | None = None, seed: int = 0,
               progress: Callable[[str, int, int], None] | None = None,
               visual_steps: float | None = None) -> np.ndarray:
        """Audio (samples(duration_s),) from unit ids (tokens(duration_s),): diffusion per window
        with the visual adapter (the model width past a window's tokens: the silence unit),
        up to ``WINDOW_BATCH`` windows per batch, window k with seed ``seed + k``; windows joined
        with equal-power crossfades. A window whose units are all the silence unit is silence
        (nothing to render: no diffusion, and no noise bed that loudness normalization would raise).
        With a caption the visual condition works in the first ``visual_steps`` of the diffusion
        steps only (it places the events; the caption alone gives their timbre in the later steps,
        see ``AudioBackbone.generate``); without one, in every step."""
        cfg = self.settings(scale=scale, steps=steps, guidance=guidance, visual_steps=visual_steps)
        caption = cfg.caption if caption is None else caption
        if len(tokens) != self.time.tokens(duration_s):
            raise FoleyError(f"{len(tokens)} tokens for {duration_s:.3f} s; {self.time.tokens(duration_s)} are needed")
        report = progress or (lambda stage, i, n: None)
        self.adapter.set_scale(cfg.scale)
        visual_steps = cfg.visual_steps if caption else 1.0  # without a caption nothing else gives the timbre
        windows = self.windows(duration_s)

        def visual(start_s: float, length_s: float) -> torch.Tensor | None:
            """(image_tokens, D_unit) centroids of a window's units; None for an all-silence window."""
            t0, n_tok = self._token_span(start_s, length_s)
            window = tokens[t0:t0 + n_tok]
            if bool((window == self.silence_unit).all()):
                return None
            # Past the window the model width holds nothing: the silence unit there, as zero
            # features made the adapter put a click at the window's end.
            window = torch.cat([window, window.new_full((max(0, self.backbone.image_tokens - n_tok),),
                                                        self.silence_unit)])
            return self.tokenizer.centroids(window[:self.backbone.image_tokens])

        def chunks():  # WINDOW_BATCH windows per diffusion call, each window's audio added to the track as it comes
            for b in range(0, len(windows), self.WINDOW_BATCH):
                report("audio", b, len(windows))
                group = windows[b:b + self.WINDOW_BATCH]
                visuals = [visual(*w) for w in group]
                sounding = [k for k, v in enumerate(visuals) if v is not None]
                wavs = {}
                if sounding:
                    # Window k keeps seed + k whatever else shares its batch.
                    out = self.backbone.generate([caption] * len(sounding), duration_s=max(group[k][1] for k in sounding),
                                                 steps=cfg.steps, guidance=cfg.guidance, scheduler=cfg.scheduler,
                                                 seed=[seed + b + k for k in sounding],
                                                 visual=torch.stack([visuals[k] for k in sounding]),
                                                 visual_steps=visual_steps)  # (G, samples)
                    wavs = dict(zip(sounding, out.float().cpu().numpy()))
                    release_freed_memory()  # the diffusion's activations: a long video's windows would add up
                for k, (_, length_s) in enumerate(group):
                    # A window whose units are all the silence unit is silence: nothing to render.
                    wav = (wavs[k][:round(length_s * self.time.sample_rate)] if k in wavs
                           else np.zeros(self.time.samples(length_s), np.float32))
                    yield wav[heard[b + k] - starts[b + k]:]

        sr = self.time.sample_rate
        starts = [round(s * sr) for s, _ in windows]
        heard = heard_from(starts, [round(n * sr) for _, n in windows], round(self.config.overlap_s * sr))
        audio = join_windows(chunks(), heard, round(duration_s * sr))
        report("audio", len(windows), len(windows))
        return audio

    def dub(self, video: str | os.PathLike, caption: str | None = None, scale: float | None = None,
            steps: int | None = None, guidance: float | None = None, seed: int = 0,
            progress: Callable[[str, int, int], None] | None = None, visual_steps: float | None = None) -> DubResult:
        """Generate the sound of ``video``: audio exactly as long as the video, and its tokens.

        A video shorter than the model window is dubbed as a whole window (its last frame held,
        as the model saw still pictures in training) and the result trimmed: a short clip gets
        the same tokens as the same moment in a longer one (the audio may differ: each window is
        sampled with its own noise and loudness).
        A caption of spaces only is no caption (``''``).
        Raises FoleyError for bad settings (see ``settings``), a caption that is no text and a
        seed outside 0..MAX_SEED, before decoding anything.
        """
        from ..media.video import probe_video

        if caption is not None and not isinstance(caption, str):
            raise FoleyError(f"a caption is text, not {type(caption).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise FoleyError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
        caption = None if caption is None else caption.strip()
        given = bool(caption)
        self.settings(scale=scale, steps=steps, guidance=guidance, visual_steps=visual_steps)  # fail before decoding
        self.check_caption(caption)
        duration_s = probe_video(video).duration_s
        span_s = max(duration_s, self.config.window_s)
        features = self.encode_frames(video, span_s, progress)
        unfamiliar = None
        if self.frame_stats is not None:  # the video's own frames, not the held last one
            unfamiliar = self.frame_stats.unfamiliar(features[:self.time.video_frames(duration_s)])
        seen, probed, known_by = None, False, ()
        if unfamiliar is not None and unfamiliar > self.MAX_UNFAMILIAR:
            tokens = torch.full((self.time.tokens(span_s),), self.silence_unit, dtype=torch.long)
            if self.root is not None:
                known_by = models_that_know(features[:self.time.video_frames(duration_s)], self.frame_encoder_dir,
                                            self.root)
        else:
            if caption is None and self.caption_probe is not None:
                probed, seen = True, self.caption_probe.seen(features[:self.time.video_frames(duration_s)])
                caption = seen.caption if seen is not None else None
            tokens = self.tokens_from_frames(features, span_s, caption, seed, progress)
        caption = self.config.caption if caption is None else caption
        audio = self.render(tokens, span_s, caption, scale, steps, guidance, seed, progress, visual_steps)
        tokens = tokens[:self.time.tokens(duration_s)]
        return DubResult(audio[:self.time.samples(duration_s)], self.time.sample_rate, tokens,
                         bool((tokens != self.silence_unit).any()), unfamiliar, seen, caption, probed, given, known_by)

    def check_caption(self, caption: str | None) -> None:
        """Refuse (FoleyError) a caption too long for the LM's prompt next to a window's frames
        (None: the model's own caption; a probe's captions are short)."""
        self.lm.check_caption(self.config.caption if caption is None else caption.strip(),
                              self.time.video_frames(self.config.window_s))

    def caption_notes(self, caption: str | None, where: bool = True) -> list[str]:
        """A note when a given caption is unlike every sound the backbone learned (as ``foley
        compose`` says of its events); none without a caption or the backbone's list of sounds.
        ``where``: the note names the list's file (the web page names no path of the server's)."""
        from .compose import caption_notes

        if not caption or not caption.strip() or self.backbone_dir is None:
            return []
        return caption_notes(self.backbone.text, self.backbone_dir, [caption.strip()], where=where)

    def may_caption(self, caption: str | None = None) -> bool:
        """Whether ``dub(video, caption=caption)`` can render with a caption (and so the visual
        condition in the first ``visual_steps`` only): a caption given, or, with none given, a
        caption probe or the model's own caption."""
        if caption is not None:
            return bool(caption.strip())
        return self.caption_probe is not None or bool(self.config.caption)

    def dub_notes(self, result: DubResult) -> list[str]:
        """What the summary of `foley dub` (and the UI's notes) say of a video with a Foley track
        (``result.recognized``; :meth:`unrecognized_note` says why another's is silent): what the
        caption probe saw, or that it saw nothing clearly enough; and a share of frames unlike the
        training frames from NOTED_UNFAMILIAR on."""
        notes = []
        if result.seen is not None:
            notes.append(f"seen: {result.seen.label} (p {result.seen.probability:.2f}), captioned {result.caption!r}")
        elif result.probed and result.recognized:
            notes.append("no event this model knows was seen clearly enough to caption it; dubbed without a caption, "
                         "the sounds may be of another kind than those seen")
        if result.recognized and result.unfamiliar is not None and result.unfamiliar >= self.NOTED_UNFAMILIAR:
            notes.append(f"{result.unfamiliar:.0%} of the frames are unlike any this model was trained on; "
                         "the sound may be wrong where they show")
        return notes

    def not_dubbed(self, result: DubResult | None) -> bool:
        """Whether ``result`` is of a video too unlike the training frames to be dubbed at all
        (its Foley track silent whatever the caption: ``foley compose --video`` can lay a
        caption's sound under it instead)."""
        return result is not None and result.unfamiliar is not None and result.unfamiliar > self.MAX_UNFAMILIAR

    def unrecognized_note(self, result: DubResult | None = None, name_sounds: bool = True) -> str:
        """What the summary says of a video whose Foley track is silent: that its frames were
        unlike the training frames (``result.unfamiliar``), that the model saw no event it
        knows, or, where it wrote events (``result.recognized``), that their sound came out
        too faint to hear. ``name_sounds``: say which sounds the model knows (a batch's
        summary says it once)."""
        knows = f" (this model knows {self.config.knows})" if self.config.knows and name_sounds else ""
        if self.not_dubbed(result):
            return (f"{result.unfamiliar:.0%} of the frames are unlike any this model was trained on{knows}; "
                    "the Foley track is silent")
        if result is not None and result.recognized:
            return "the events the model placed came out too faint to hear; the Foley track is silent"
        if result is not None and result.seen is not None:
            return f"the model saw {result.seen.label}, but no event of it that sounds; the Foley track is silent"
        return f"no sound event this model knows was seen{knows}; the Foley track is silent"

    __call__ = dub


def _sampling(seed: int):
    from ..models.token_lm import SamplingConfig

    return SamplingConfig(seed=seed)
