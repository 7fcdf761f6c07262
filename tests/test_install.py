import configparser
import re
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def test_the_oldest_python_admitted_installs_every_pin():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    oldest = re.fullmatch(r">=\s*(\d+\.\d+)", cfg["options"]["python_requires"].strip())[1]
    assert cfg["metadata"]["python_requires"].strip() == f">={oldest}"
    assert f"Python {oldest}+" in (ROOT / "README.md").read_text()  # the README's set-up line says the same
    pins = [line.strip().split("==") for line in cfg["options"]["install_requires"].splitlines() if "==" in line]
    for name, version in pins:
        try:
            installed = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: nothing to read
        if installed["Version"] != version:
            continue  # another version than the pin: its metadata says nothing of the pin's
        needs = installed["Requires-Python"]
        assert needs is None or SpecifierSet(needs).contains(f"{oldest}.0"), \
            f"{name}=={version} needs Python {needs}; setup.cfg admits {oldest}"
