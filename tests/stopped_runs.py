"""A training run stopped by Ctrl-C part way, as ``foley train`` reports it."""
from foley.cli import main


def check_stops_name_the_checkpoint(module, draw_name: str, args: list[str], run, made: str, monkeypatch, capsys):
    """Ctrl-C in the step after 1, 3 and 5 of a 6-step run checkpointed every 2 steps (``args``; ``module``'s
    ``draw_name`` is called once a step with (seed, step, ...)): each says the checkpoint it keeps and how to go
    on; then ``--resume`` finishes the run, writing ``run / made``."""
    draws = getattr(module, draw_name)

    def ctrl_c_in_step(stopped):  # Ctrl-C during the step after `stopped` steps
        def draw(seed, step, *rest):
            if step == stopped:
                raise KeyboardInterrupt
            return draws(seed, step, *rest)
        return draw

    for stopped, given, said in (
            (1, [], "no checkpoint yet; run the same command again to start over"),
            (3, [], f"the checkpoint of step 2 is in {run / 'checkpoint'}; continue with the same command and --resume"),
            (5, ["--resume"], f"the checkpoint of step 4 is in {run / 'checkpoint'}; continue with the same command")):
        monkeypatch.setattr(module, draw_name, ctrl_c_in_step(stopped))
        assert main([*args, *given]) == 130
        assert capsys.readouterr().err.splitlines()[-1] == f"foley: interrupted after step {stopped} of 6: {said}"
    monkeypatch.undo()
    assert main([*args, "--resume"]) == 0 and (run / made).is_dir()
