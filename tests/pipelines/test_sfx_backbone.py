"""The shipped sound-effects backbone (``foley compose``'s default): it loads by name through
the same code as any checkpoint, carries its licences and credits, and makes different
sounds for different captions."""
from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

import foley
from foley.pipelines.compose import SHIPPED_BACKBONES, load_backbone

SFX = Path(foley.__file__).parent / SHIPPED_BACKBONES["sfx"]


def test_the_folder_names_its_licences_and_the_recordings_it_learned_from():
    licence = (SFX / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC BY-SA 3.0" in licence and "Apache-2.0" in licence and "MIT" in licence
    assert (SFX / "licenses" / "Apache-2.0.txt").is_file() and (SFX / "licenses" / "MIT-hifi-gan.txt").is_file()
    credits = (SFX / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "0ad-data" in credits and "redeclipse-data" in credits and "Wildfire Games" in credits
    assert "GPL" not in credits  # the GPL packages are held out (the unseen split), never trained on


@pytest.fixture(scope="module")
def backbone():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_backbone("sfx", "cpu")
    torch.set_num_threads(threads)


def test_captions_of_different_sounds_give_different_sounds(backbone):
    """A cow's moo is harmonic (low spectral flatness), rain is noise (high): 12 DPM steps, seed 0."""
    assert backbone.mel.sample_rate == 22050 and backbone.unet.dtype == torch.float32
    assert backbone.c.decoding.noise_fill == pytest.approx(0.35)  # its decoding.json: the harmonic cow stays harmonic
    wavs = backbone.generate(["a cow moos", "rain"], 2.0, steps=12, scheduler="dpm", guidance=7.5, seed=0).numpy()
    assert wavs.shape == (2, 44100) and np.isfinite(wavs).all()
    peaks_db = 20 * np.log10(np.abs(wavs).max(axis=1))
    assert (peaks_db > -20).all(), peaks_db
    cow, rain = (float(librosa.feature.spectral_flatness(y=w).mean()) for w in wavs)
    assert rain > 5 * cow, (cow, rain)


def test_compose_names_a_caption_unlike_every_learned_sound(backbone):
    """No dog is among the recordings the backbone learned from; rain and footsteps are."""
    from foley.pipelines.compose import caption_notes

    notes = caption_notes(backbone.text, str(SFX), ["a dog barks", "footsteps on gravel", "heavy rain", "a dog barks"])
    assert len(notes) == 1 and notes[0].startswith("'a dog barks' is unlike every sound"), notes
    assert "nearest: 'a lion roars', similarity 0.3" in notes[0] and "sounds.json" in notes[0]
