"""The studio's compose turns without a browser (the page itself: test_ui.py)."""
import json

import pytest

from foley.errors import FoleyError
from foley.media.audio import read_audio
from foley.ui import Studio
from pipeline_models import write_tiny_model


def test_a_new_bed_that_fails_leaves_the_session_as_it_was(tmp_path):
    studio = Studio(str(write_tiny_model(tmp_path / "model")), device="cpu", root=tmp_path / "root",
                    compose_model=str(tmp_path / "model" / "backbone"))
    first = studio.compose("rain", "s", duration_s=2.0, steps=2, new=True)
    assert [p.name for p in first["stems"]] == ["rain.wav"] and first["stems"][0].parent.name == "bed-1.stems"
    stem, bed = (read_audio(p)[0] for p in (first["stems"][0], first["wav"]))
    assert stem.shape == bed.shape and abs(stem - bed).max() < 2 / 32768  # one sound: the stem is the bed
    saved = (studio.session_dir("s") / "bed.json").read_bytes()
    heard = first["wav"].read_bytes()
    with pytest.raises(FoleyError, match="placing it at 12 s puts .rain. off the 2 s timeline"):
        studio.compose("rain at 12 s", "s", duration_s=2.0, steps=2, new=True)  # past the bed's end: refused
    assert (studio.session_dir("s") / "bed.json").read_bytes() == saved
    import foley.pipelines.compose as compose

    def fails(*args, **kwargs):
        raise FoleyError("the picture could not be drawn")

    original, compose.timeline_image = compose.timeline_image, fails  # a failure after the bed is rendered
    try:
        with pytest.raises(FoleyError, match="could not be drawn"):
            studio.compose("wind", "s", duration_s=2.0, steps=2, new=True)
    finally:
        compose.timeline_image = original
    assert (studio.session_dir("s") / "bed.json").read_bytes() == saved and first["wav"].read_bytes() == heard
    edited = studio.compose("make the rain quieter", "s", steps=2)  # the bed is still there to edit
    assert [t["text"] for t in edited["turns"]] == ["rain", "make the rain quieter"] and first["plan"][0][0] == "rain"
    assert json.loads((studio.session_dir("s") / "bed.json").read_text())["plan"]["events"][0]["gain_db"] < 0
