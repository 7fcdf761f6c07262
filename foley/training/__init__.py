"""Training loops: the unit tokenizer, the demo backbone, the video-to-token LM and the visual adapter."""
from __future__ import annotations

import contextlib
from typing import Iterator


def config_difference(saved: dict, given: dict) -> str:
    """The settings a run's checkpoint was made with that differ from those given, for a refusal
    to resume it: "batch_size 2 in the run, 8 given; lr ..." (nested settings by dotted name; one
    that only one side has is "not set" on the other)."""
    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    def said(d: dict, k: str) -> str:
        return repr(d[k]) if k in d else "not set"

    saved, given = flat(saved), flat(given)
    return "; ".join(f"{k} {said(saved, k)} in the run, {said(given, k)} given"
                     for k in sorted(saved.keys() | given.keys()) if k not in saved or k not in given or saved[k] != given[k])


CHECKPOINT_DIR = "checkpoint"  # the folder in a run's --out that `foley train lm|adapter --resume` goes on from

RESUMABLE = ("steps", "checkpoint_every", "gradient_checkpointing")  # what a resumed run may change: its length, how
# often it is saved, whether activations are recomputed (the same weights, within float summation order)


def checkpoint_state(checkpoint, run, kind: str) -> dict:
    """The ``state.json`` of a run's ``checkpoint`` folder; FoleyError when there is none to
    resume from, when it cannot be read, or when its config is not of a ``foley train {kind}`` run
    (it has no ``kind`` part: another command's run). Checked before any long work."""
    from pathlib import Path

    from ..errors import FoleyError
    from ..media.files import read_json_object

    path = Path(checkpoint) / "state.json"
    if not path.is_file():
        raise FoleyError(f"{run}: no checkpoint to resume from; run without --resume to start")
    state = read_json_object(path, "checkpoint record")
    if not isinstance(state.get("config"), dict) or kind not in state["config"]:
        raise FoleyError(f"{run}: holds another kind of training run than `foley train {kind}` makes; "
                         "give another --out")
    return state


def note_stop(interrupt: KeyboardInterrupt, checkpoint, done: int | None, steps: int | None, resume: bool) -> None:
    """Add to ``interrupt`` (Ctrl-C or SIGTERM), which stopped a run after ``done`` of its ``steps`` steps
    (``done`` None: before this call's first step, while it read its data and models),
    what it keeps and how to go on, for the line that reports it: the step of the checkpoint in the
    folder ``checkpoint`` (as it is on disk: a save the interrupt cut short left the one before) and
    the same command, with --resume unless ``resume`` (it was given); or, with no checkpoint yet, the
    same command to start over (a run's first steps are done again)."""
    import json
    from pathlib import Path

    try:
        saved = json.loads((Path(checkpoint) / "state.json").read_text(encoding="utf-8"))["step"]
    except (OSError, ValueError, KeyError, TypeError):  # none yet
        saved = None
    when = "before the first step of this run" if done is None else f"after step {done} of {steps}"
    interrupt.add_note(f"{when}: " + (
        "no checkpoint yet; run the same command again to start over" if saved is None else
        f"the checkpoint of step {saved} is in {checkpoint}; continue with the same command"
        f"{'' if resume else ' and --resume'}"))


@contextlib.contextmanager
def stop_before_first_step(checkpoint, resume: bool) -> Iterator[None]:
    """Around what a ``foley train`` run reads before its first step (caches, models, its checkpoint): a
    Ctrl-C or SIGTERM in the block gets, for the line that reports it, the state it leaves (``note_stop``:
    the checkpoint in the folder ``checkpoint``, as it was, or none yet) and how to go on."""
    try:
        yield
    except KeyboardInterrupt as e:
        note_stop(e, checkpoint, None, None, resume)
        raise


@contextlib.contextmanager
def stop_said(stage: str, steps: int, checkpoint, resumed_at: int = 0) -> Iterator[dict]:
    """Around a training stage that resumes by itself from its ``checkpoint`` file (``python -m
    foley.training.backbone``; ``resumed_at``: the step it resumed from, 0 for a new one): a Ctrl-C
    or SIGTERM in the block gets, for the line that reports it, where the stage stopped and the
    checkpoint it keeps. The block sets ``at["done"]`` after each of its ``steps`` steps and
    ``at["saved"]`` after each checkpoint written (a save cut short keeps the one before)."""
    at = {"done": resumed_at, "saved": resumed_at or None}
    try:
        yield at
    except KeyboardInterrupt as e:
        e.add_note(f"after {stage} step {at['done']} of {steps}: " + (
            "no checkpoint of this stage yet; the same command starts it over" if at["saved"] is None or not checkpoint
            else f"the checkpoint of step {at['saved']} is in {checkpoint}; the same command goes on from it"))
        raise


def logs_step(done: int, end: int, every: int) -> bool:
    """Whether a training loop logs its loss after ``done`` steps, counted as its checkpoints and
    stop notes count them (step N: N steps done, from 1): after the first, every ``every``-th and the
    last of the session (``end``)."""
    return done == 1 or done % every == 0 or done == end


def load_checkpoint_file(path):
    """One file of a run's checkpoint folder: a ``.safetensors`` file's tensors, or a ``.pt`` file
    loaded onto the CPU without pickles; FoleyError when it cannot be read (a copy cut short)."""
    from pathlib import Path

    import torch
    from safetensors.torch import load_file

    from ..errors import FoleyError

    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a file cut short or foreign: torch and safetensors raise many kinds
        raise FoleyError(f"{path}: not a readable checkpoint file ({type(e).__name__}); the run cannot resume "
                         f"from it (delete {path.parent} to start the run over)") from None


def check_same_config(run, saved: dict, given: dict) -> None:
    """FoleyError naming the settings in which the config a run's checkpoint was made with
    (``saved``) differs from the one given, apart from those a resumed run may change."""
    from ..errors import FoleyError

    saved = {**saved, **{k: given[k] for k in RESUMABLE if k in given}}
    if saved != given:
        raise FoleyError(f"{run}: the checkpoint was made with another training config "
                         f"({config_difference(saved, given)})")


def check_resumed_steps(run, start: int, steps: int, log) -> None:
    """Say where a resumed run goes on from; FoleyError when ``steps`` ends it before the step its
    checkpoint reached (its weights are of that step, so a final model of fewer is no option)."""
    from ..errors import FoleyError

    if steps < start:
        raise FoleyError(f"{run}: the run has reached step {start}; --steps {steps} would end it before that "
                         f"(give --steps {start} or more)")
    log(f"{run}: continuing from step {start} of {steps}")


def check_run_folder(run, marks: tuple[str, ...], what: str = "run", own: tuple[str, ...] = ()) -> None:
    """FoleyError when a new run's folder ``run`` holds files and none of ``marks`` (what a run of
    this kind writes first, so that one stopped early is started again there; or what an output
    folder it may replace holds, ``what`` naming it), or, where ``own`` names all that a run of this
    kind writes in its folder, anything else (hidden names aside: a writer's temporary files): a run
    never writes into, or replaces part of, a folder of other files (a dataset, a model holding a
    copy of a run's output)."""
    from pathlib import Path

    from ..errors import FoleyError

    run = Path(run)
    if run.is_file():
        raise FoleyError(f"{run}: a file; a run's --out is a folder")
    held = sorted(p.name for p in run.iterdir()) if run.is_dir() else []
    if held and not any((run / mark).exists() for mark in marks):
        raise FoleyError(f"{run} holds other files ({', '.join(held[:3])}{', ...' if len(held) > 3 else ''}) and no "
                         f"{what}; give a new or empty folder")
    if others := [name for name in held if own and name not in own and not name.startswith(".")]:
        raise FoleyError(f"{run} holds other files than a {what}'s ({', '.join(others[:3])}"
                         f"{', ...' if len(others) > 3 else ''}); give a new or empty folder")


def recorded_path(path) -> str:
    """``path`` as a run's ``training.json`` records what it was trained from: resolved (absolute) where it
    names a file or folder, so that the record names it from any folder; as given where it names none (a
    hub id)."""
    from pathlib import Path

    return str(Path(path).resolve()) if Path(path).exists() else str(path)


def check_apart(option: str, path, inputs: dict) -> None:
    """FoleyError naming ``option`` when the folder ``path`` a run writes is, holds or lies inside
    one of ``inputs`` (option -> path; None or "" skipped): a run writes beside its inputs, never
    among them (one inside its backbone's folder would change the backbone it was trained on)."""
    from pathlib import Path

    from ..errors import FoleyError

    for name, given in inputs.items():
        if given and nested(Path(path), Path(given)):
            raise FoleyError(f"{option} {path}: is or shares a folder with {name} {given}; "
                             "a run writes beside its inputs, never among them")


def nested(a, b) -> bool:
    """Whether the paths ``a`` and ``b`` are one folder, or one lies inside the other."""
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents
