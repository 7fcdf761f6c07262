"""`foley prepare sfx` on small packages built here in the real layouts (.deb and folders)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile

import numpy as np
import pytest
import soundfile as sf

from foley.datasets import debian
from foley.datasets.provenance import Provenance, dep5_provenance, parse_dep5, widelands_docs
from foley.datasets.sfx import assign_splits, load_sfx_manifest, prepare_sfx, recording_key, resolve_sources
from foley.datasets.sfx_taxonomy import label_of
from foley.errors import FoleyError

SR = 44_100
SONIC = "usr/share/sonic-pi/samples/"
TUX = "usr/share/tuxpaint/stamps/"
COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Sonic Pi

Files: *
Copyright: 2013 Sam Aaron
License: MIT

Files: etc/samples/misc_crow.flac
Copyright: 2009 Crow Recorder
Source: http://freesound.org/people/crow/sounds/1/
License: CC0
"""


def _tone(freq: float, seconds: float, lead_s: float = 0.2, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    body = 0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-3 * t) + 0.01 * rng.standard_normal(len(t))
    return np.concatenate([np.zeros(int(lead_s * SR)), body, np.zeros(int(0.3 * SR))]).astype(np.float32)


def _encode(wav: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wav, SR, format=fmt)
    return buf.getvalue()


def _sonic_files() -> dict[str, bytes]:
    files = {f"{SONIC}bd_{name}.flac": _encode(_tone(60 + 10 * i, 0.4, seed=i), "FLAC")
             for i, name in enumerate(["808", "ada", "boom", "fat", "gas"])}
    files[f"{SONIC}misc_crow.flac"] = _encode(_tone(900, 0.8, seed=9), "FLAC")
    files[f"{SONIC}loop_amen.flac"] = _encode(_tone(200, 1.0), "FLAC")  # music: dropped
    files[f"{SONIC}drum_snare_hard.flac"] = b"not audio at all"  # unreadable: listed
    files[f"{SONIC}drum_snare_soft.flac"] = _encode(np.zeros(SR, np.float32), "FLAC")  # silent: listed
    files["usr/share/doc/sonic-pi-samples/copyright"] = COPYRIGHT.encode()
    return files


def _tux_files() -> dict[str, bytes]:
    return {f"{TUX}animals/mammals/dogs/dog.ogg": _encode(_tone(500, 0.5, seed=3), "OGG"),
            f"{TUX}animals/mammals/dogs/dog.txt": b"A dog.\nfr.utf8=Un chien.\n",
            f"{TUX}animals/mammals/dogs/dog_desc.ogg": _encode(_tone(300, 0.5), "OGG"),  # speech: dropped
            f"{TUX}animals/birds/crow.ogg": _encode(_tone(900, 0.8, seed=9), "FLAC")}  # the same audio as sonic-pi's


def _write_folder(root, files: dict[str, bytes]):
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _write_deb(path, package: str, files: dict[str, bytes]):
    """A .deb as dpkg writes it: ar archive of debian-binary, control.tar.xz, data.tar.xz."""
    def tar(entries: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:xz") as t:
            for name, data in entries.items():
                info = tarfile.TarInfo(f"./{name}")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    members = [("debian-binary", b"2.0\n"),
               ("control.tar.xz", tar({"control": f"Package: {package}\nVersion: 1.2-3\n".encode()})),
               ("data.tar.xz", tar(files))]
    with open(path, "wb") as f:
        f.write(b"!<arch>\n")
        for name, data in members:
            f.write(f"{name + '/':16s}{0:<12d}{0:<6d}{0:<6d}{100644:<8d}{len(data):<10d}`\n".encode())
            f.write(data + (b"\n" if len(data) % 2 else b""))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sfx")
    deb = _write_deb(tmp / "sonic-pi-samples_1.2-3_all.deb", "sonic-pi-samples", _sonic_files())
    tux = _write_folder(tmp / "tux", _tux_files())
    sources = resolve_sources([str(deb), str(tux)], ["sonic-pi-samples", "tuxpaint-stamps-default"], tmp / "dl")
    info = prepare_sfx(tmp / "out", sources, progress=False)
    return tmp, info


def _manifest(root, split):
    return [json.loads(line) for line in (root / f"{split}.jsonl").read_text().splitlines()]


def test_corpus_clips_labels_splits_and_provenance(corpus):
    tmp, info = corpus
    out = tmp / "out"
    train, test, unseen = (_manifest(out, s) for s in ("train", "test", "unseen"))
    kept = {e["id"]: e for e in train + test + unseen}
    assert set(kept) == {f"sonicpi-bd_{n}" for n in ("808", "ada", "boom", "fat", "gas")} | {
        "sonicpi-misc_crow", "tuxpaint-animals-mammals-dogs-dog"}
    # the tuxpaint crow is the same audio as sonic-pi's crow: kept once, in training
    dropped = (out / "dropped.txt").read_text()
    assert (f"tuxpaint-stamps-default:{TUX}animals/birds/crow.ogg: the same audio as "
            f"sonic-pi-samples:{SONIC}misc_crow.flac") in dropped
    assert "sonic-pi-samples:loop_amen.flac: left out by the taxonomy" in dropped
    assert {e["package"] for e in unseen} == {"tuxpaint-stamps-default"}
    assert kept["tuxpaint-animals-mammals-dogs-dog"]["caption"] == "a dog"
    assert kept["tuxpaint-animals-mammals-dogs-dog"]["licence"] == "GPL-2"
    crow = kept["sonicpi-misc_crow"]
    assert (crow["label"], crow["licence"], crow["package_version"]) == ("crow caws", "CC0", "1.2-3")
    assert crow["attribution"] == "2009 Crow Recorder (http://freesound.org/people/crow/sounds/1/)"
    assert crow["original_path"] == f"{SONIC}misc_crow.flac"
    assert kept["sonicpi-bd_808"]["licence"] == "MIT"  # the Files: * stanza
    # five bass-drum recordings: one fifth to test; the crow (one recording) stays in train
    assert sum(e["label"] == "bass drum" for e in test) == 1 and "sonicpi-misc_crow" in {e["id"] for e in train}
    problems = (out / "problems.txt").read_text().splitlines()
    assert any(p.startswith("sonic-pi-samples:drum_snare_hard.flac: unreadable") for p in problems)
    assert "sonic-pi-samples:drum_snare_soft.flac: silent" in problems
    rows = {(r["split"], r["package"]): r for r in info["table"]}
    assert rows[("train", "sonic-pi-samples")]["clips"] == 5 and rows[("unseen", "tuxpaint-stamps-default")]["clips"] == 1


def test_clips_are_16k_mono_and_trimmed(corpus):
    tmp, _ = corpus
    entry = next(e for e in _manifest(tmp / "out", "train") if e["id"] == "sonicpi-misc_crow")
    wav, rate = sf.read(tmp / "out" / entry["audio"])
    assert rate == 16_000 and wav.ndim == 1
    lead = np.argmax(np.abs(wav) > 0.01) / rate
    assert lead < 1024 / 16_000 + 1e-3  # the 0.2 s lead is trimmed to within one analysis frame
    assert 0.8 <= entry["duration_s"] <= 1.1 and abs(len(wav) / 16_000 - entry["duration_s"]) < 1e-3


def test_deterministic_and_deb_equals_folder(corpus, tmp_path):
    tmp, _ = corpus
    folder = _write_folder(tmp_path / "sonic", _sonic_files())
    tux = _write_folder(tmp_path / "tux", _tux_files())
    sources = resolve_sources([str(folder), str(tux)], ["sonic-pi-samples", "tuxpaint-stamps-default"], tmp_path)
    prepare_sfx(tmp_path / "out", sources, progress=False)
    for split in ("train", "test", "unseen"):
        a, b = _manifest(tmp / "out", split), _manifest(tmp_path / "out", split)
        for entry in a + b:
            entry.pop("package_version")  # the folder has no dpkg record
        assert a == b
        for entry in a:
            assert (tmp / "out" / entry["audio"]).read_bytes() == (tmp_path / "out" / entry["audio"]).read_bytes()


def test_refuses_to_clear_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(FoleyError, match="not empty"):
        prepare_sfx(tmp_path / "out", {}, progress=False)
    with pytest.raises(FoleyError, match="no sfx.json"):
        prepare_sfx(tmp_path / "out", {}, overwrite=True, progress=False)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    with pytest.raises(FoleyError, match="not a folder"):
        prepare_sfx(tmp_path / "out" / "keep.txt", {}, overwrite=True, progress=False)


def test_bad_sources_are_one_line_errors(tmp_path):
    (tmp_path / "x.deb").write_bytes(b"garbage")
    with pytest.raises(FoleyError, match="not a Debian package"):
        resolve_sources([str(tmp_path / "x.deb")], [], tmp_path)
    other = _write_deb(tmp_path / "other.deb", "hello", {"usr/bin/hello": b"#!"})
    with pytest.raises(FoleyError, match="not a sound-effects source"):
        resolve_sources([str(other)], [], tmp_path)
    for extra in ([str(tmp_path / "x.deb")], ["--packages", ""], ["--packages", "sonic-pi-samples,"],
                  [str(other)]):
        done = subprocess.run([sys.executable, "-m", "foley", "prepare", "sfx", *extra, "--out", str(tmp_path / "o")],
                              capture_output=True, text=True)
        assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, (extra, done.stderr)
        assert "Traceback" not in done.stderr and not (tmp_path / "debs").exists()


def test_deb_reader_streams_members(tmp_path):
    deb = _write_deb(tmp_path / "p.deb", "sonic-pi-samples", {"a/b.txt": b"hello", "a/c.bin": b"x" * 3})
    source = debian.open_source(deb, "sonic-pi-samples")
    assert source.version == "1.2-3"
    got = {}
    for rel, open_file in debian.iter_files(source, lambda rel: rel.startswith("a/")):
        with open_file() as f:
            got[rel] = f.read()
    assert got == {"a/b.txt": b"hello", "a/c.bin": b"xxx"}


def test_taxonomy_merges_variants_and_drops_music_voice_ui():
    assert label_of("0ad-data", "actor/singlesteps/fs_gravel3").label == "footsteps on gravel"
    running = label_of("0ad-data", "actor/human/movement/Footsteps/Footstep_Rock_Running")
    assert (running.label, running.caption) == ("footsteps on stone", "footsteps on stone, running")
    assert label_of("0ad-data", "attack/impact/arrow_metal_07").label == "arrow hits metal"
    assert label_of("0ad-data", "ambient/weather/thunder_10").label == "thunder"
    assert label_of("0ad-data", "attack/weapon/swordhit_12b").label == "swords clash"
    for package, path in [("0ad-data", "music/Sunrise"), ("0ad-data", "voice/greek/civ/x"),
                          ("0ad-data", "interface/select/building/x"), ("redeclipse-data", "announcer/fight"),
                          ("sonic-pi-samples", "loop_amen"), ("widelands-data", "click"),
                          ("tuxpaint-stamps-default", "animals/amphibians/frog_desc_fr")]:
        assert label_of(package, path) is None, (package, path)


def test_takes_share_a_recording_and_splits_keep_recordings_whole():
    assert recording_key("0ad-data", "attack/weapon/swordhit_12b.ogg") == recording_key(
        "0ad-data", "attack/weapon/swordhit_12.ogg")
    assert recording_key("0ad-data", "a/x_11.ogg") != recording_key("0ad-data", "a/x_12.ogg")
    clips = [{"label": "l", "recording": f"r{i // 2}", "trainable": True} for i in range(20)]
    assign_splits(clips, 0.2)
    by_recording = {}
    for c in clips:
        by_recording.setdefault(c["recording"], set()).add(c["split"])
    assert all(len(s) == 1 for s in by_recording.values())
    assert sum(c["split"] == "test" for c in clips) == 4


def test_provenance_records():
    stanzas = parse_dep5(COPYRIGHT)
    assert dep5_provenance(stanzas, f"{SONIC}misc_crow.flac").licence == "CC0"
    assert dep5_provenance(stanzas, f"{SONIC}bd_808.flac").licence == "MIT"
    prose = parse_dep5('Files: *\nCopyright: Team\nLicense: CC-BY-SA\n\nFiles: vapour.ogg\nThis work "vapour", created '
                       'by D.a.M.i.E.n.\n\nIt is licensed under CC-BY-SA 3.0.\n\nTo view a copy of this license:\n'
                       '1. visit http://creativecommons.org/licenses/by-sa/3.0/ or\n\nFiles: rain.ogg\nCopyright: R\n'
                       'License: CC-BY-3.0\n')
    assert dep5_provenance(prose, "vapour.ogg") == Provenance("CC-BY-SA-3.0", 'This work "vapour", created by D.a.M.i.E.n.')
    assert dep5_provenance(prose, "rain.ogg") == Provenance("CC-BY-3.0", "R")
    assert dep5_provenance(prose, "wind.ogg") == Provenance("CC-BY-SA", "Team")
    docs = widelands_docs("title,,,,,\n,,,,,\nFile Name,Format,Location,Usage,Author,License,reworked,Original File Name,"
                          "Source\n,,,,,,,,\nping.ogg,x,sound/metal,u,Tim,CC-3,yes,a.wav,http://f.org/1\n"
                          "fire.ogg,x,sound/metal,u,UNKNOWN,,yes,b.wav,UNKNOWN\n")
    assert docs["metal/ping.ogg"].attribution == "Tim (http://f.org/1)" and docs["metal/fire.ogg"] is None


def test_a_manifest_that_is_not_a_sound_effects_corpus_is_one_line(tmp_path):
    (tmp_path / "train.jsonl").write_text(json.dumps({"id": "a", "audio": "a.wav", "class": "ball",
                                                      "caption": "a ball bouncing"}) + "\n")
    with pytest.raises(FoleyError, match=r"train.jsonl: clip a has no label \(is .* a corpus made by `foley prepare sfx`"):
        load_sfx_manifest(tmp_path, "train")
    entry = {"id": "b", "audio": "b.wav", "label": "dog barks", "caption": "a dog"}
    (tmp_path / "test.jsonl").write_text(json.dumps(entry) + "\n\n{oops\n")
    with pytest.raises(FoleyError, match=r"test.jsonl:3: not a manifest line"):
        load_sfx_manifest(tmp_path, "test")
    (tmp_path / "test.jsonl").write_text(json.dumps(entry))
    assert load_sfx_manifest(tmp_path, "test")[0]["audio"] == str(tmp_path / "b.wav")


def test_damaged_debs_and_two_sources_of_one_package_are_one_line_errors(tmp_path):
    deb = _write_deb(tmp_path / "sonic-pi-samples_1.2-3_all.deb", "sonic-pi-samples", _sonic_files())
    data = deb.read_bytes()
    for cut, member in ((150, "control.tar"), (len(data) - 2000, "data.tar")):  # cut in each member's tar
        (tmp_path / "cut.deb").write_bytes(data[:cut])
        with pytest.raises(FoleyError, match=f"damaged or truncated Debian package \\({member}: "):
            sources = resolve_sources([str(tmp_path / "cut.deb")], ["sonic-pi-samples"], tmp_path / "dl")
            prepare_sfx(tmp_path / "out", sources, progress=False)
    assert not (tmp_path / "out").exists()
    older = _write_deb(tmp_path / "older.deb", "sonic-pi-samples", dict(list(_sonic_files().items())[:2]))
    with pytest.raises(FoleyError, match="both hold sonic-pi-samples; give one"):
        resolve_sources([str(deb), str(older)], ["sonic-pi-samples"], tmp_path / "dl")


def test_overwrite_replaces_a_corpus_but_not_what_else_is_in_its_folder(corpus, tmp_path):
    tmp, _ = corpus
    shutil.copytree(tmp / "out", tmp_path / "out")
    (tmp_path / "out" / "debs").mkdir()
    (tmp_path / "out" / "debs" / "mine.deb").write_bytes(b"kept")
    with pytest.raises(FoleyError, match="holds debs besides the corpus"):
        prepare_sfx(tmp_path / "out", {}, overwrite=True, progress=False)
    assert (tmp_path / "out" / "debs" / "mine.deb").read_bytes() == b"kept"
    done = subprocess.run([sys.executable, "-m", "foley", "prepare", "sfx", "--packages", "sonic-pi-samples",
                           "--out", str(tmp_path / "new"), "--download-dir", str(tmp_path / "new" / "debs")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "is inside --out" in done.stderr and not (tmp_path / "new").exists()


def test_apt_download_returns_the_file_apt_wrote_not_another_version_in_the_folder(tmp_path, monkeypatch):
    from pathlib import Path

    (tmp_path / "pkg_9_all.deb").write_bytes(b"an older download")  # sorts after pkg_10 by name

    def apt(args, cwd, **kwargs):
        if "--print-uris" in args:
            return subprocess.CompletedProcess(args, 0, "'http://deb/pkg_10_all.deb' pkg_10_all.deb 3 SHA256:00\n", "")
        (Path(cwd) / "pkg_10_all.deb").write_bytes(b"new")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(debian.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(debian.subprocess, "run", apt)
    assert debian.apt_download("pkg", tmp_path) == tmp_path / "pkg_10_all.deb"
    monkeypatch.setattr(debian.subprocess, "run", lambda args, cwd, **kw: subprocess.CompletedProcess(
        args, 100, "", "E: Unable to locate package pkg"))
    with pytest.raises(FoleyError, match=r"pkg: apt-get download failed \(E: Unable to locate package pkg\)"):
        debian.apt_download("pkg", tmp_path)


def test_two_files_of_one_clip_id_keep_the_first(tmp_path):
    files = _sonic_files()
    files[f"{SONIC}bd_boom.wav"] = _encode(_tone(440, 0.4, seed=7), "WAV")  # bd_boom.flac's id, other audio
    folder = _write_folder(tmp_path / "sonic", files)
    sources = resolve_sources([str(folder)], ["sonic-pi-samples"], tmp_path)
    prepare_sfx(tmp_path / "out", sources, progress=False)
    entries = [e for split in ("train", "test") for e in _manifest(tmp_path / "out", split)]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)) == 6  # a manifest of one id twice is refused by extract, tokenize and training
    boom = next(e for e in entries if e["id"] == "sonicpi-bd_boom")
    assert boom["original_path"] == f"{SONIC}bd_boom.flac"
    assert (f"sonic-pi-samples:{SONIC}bd_boom.wav: the same clip id (sonicpi-bd_boom) as "
            f"sonic-pi-samples:{SONIC}bd_boom.flac") in (tmp_path / "out" / "dropped.txt").read_text()
