import math

import pytest
import torch

from foley.datasets.lm_data import LMData
from foley.errors import FoleyError
from foley.evaluation.lm import teacher_forced_loss

from lm_models import N_UNITS, clip_batch, fitted_lm, one_thread  # noqa: F401


def _data(n: int) -> LMData:
    frames, counts, captions = clip_batch([11, 3, 7, 9, 5, 8][:n], seed=0)
    units = torch.randint(0, N_UNITS, (n, 12), generator=torch.Generator().manual_seed(5))
    return LMData([f"c{i}" for i in range(n)], captions, [f[:c] for f, c in zip(frames, counts)], list(units))


def test_the_video_use_loss_takes_another_clips_frames_and_is_none_without_one():
    from foley.evaluation.lm import evaluate

    model, data = fitted_lm(), _data(4)
    own, shifted = teacher_forced_loss(model, data, 2), teacher_forced_loss(model, data, 2, frame_shift=1)
    assert math.isfinite(own) and abs(shifted - own) > 1e-3  # the frames of another clip change the loss
    assert abs(teacher_forced_loss(model, data, 2, frame_shift=4) - own) < 1e-5  # 4 on in 4 clips: its own
    onsets, sound = [torch.zeros(0).numpy()] * 4, torch.ones(N_UNITS, dtype=torch.bool).numpy()
    small = evaluate(model, data, onsets, sound, batch_size=2, n_classes=4)["video_use"]
    assert small["loss_other_clip_frames"] is None and "4 clips of 4 classes" in small["note"]
    wide = evaluate(model, _data(6), [onsets[0]] * 6, sound, batch_size=2, n_classes=2)["video_use"]
    assert math.isfinite(wide["loss_other_clip_frames"]) and "note" not in wide


def test_a_json_that_cannot_be_written_is_refused_before_the_evaluation(tmp_path):
    from foley.evaluation.lm import main

    (tmp_path / "taken.json").mkdir()
    with pytest.raises(FoleyError, match=r"taken.json: cannot be written \(a folder of that name is there\)"):
        main(["--model", "demo", "--data", str(tmp_path / "synth"), "--features", str(tmp_path / "features"),
              "--units", str(tmp_path / "units"), "--json", str(tmp_path / "taken.json")])
