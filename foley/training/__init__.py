"""Training loops: the unit tokenizer, the demo backbone, the video-to-token LM and the visual adapter."""


def config_difference(saved: dict, given: dict) -> str:
    """The settings a run's checkpoint was made with that differ from those given, for a refusal
    to resume it: "batch_size 2 in the run, 8 given; lr ..." (nested settings by dotted name)."""
    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    saved, given = flat(saved), flat(given)
    return "; ".join(f"{k} {saved.get(k)!r} in the run, {given.get(k)!r} given"
                     for k in sorted(saved.keys() | given.keys()) if saved.get(k) != given.get(k))


def check_resumed_steps(run, start: int, steps: int, log) -> None:
    """Say where a resumed run goes on from; FoleyError when ``steps`` ends it before the step its
    checkpoint reached (its weights are of that step, so a final model of fewer is no option)."""
    from ..errors import FoleyError

    if steps < start:
        raise FoleyError(f"{run}: the run has reached step {start}; --steps {steps} would end it before that "
                         f"(give --steps {start} or more)")
    log(f"{run}: continuing from step {start} of {steps}")


def check_run_folder(run, marks: tuple[str, ...]) -> None:
    """FoleyError when a new run's folder ``run`` holds files and none of ``marks`` (what a run of
    this kind writes first, so that one stopped early is started again there): a run never
    writes into, or replaces part of, a folder of other files (a dataset, a model)."""
    from pathlib import Path

    from ..errors import FoleyError

    run = Path(run)
    if run.is_file():
        raise FoleyError(f"{run}: a file; a run's --out is a folder")
    held = sorted(p.name for p in run.iterdir()) if run.is_dir() else []
    if held and not any((run / mark).exists() for mark in marks):
        raise FoleyError(f"{run} holds other files ({', '.join(held[:3])}{', ...' if len(held) > 3 else ''}) and no "
                         "run; give a new or empty folder")
