import socket
import time

import pytest

from foley.errors import FoleyError
from foley.models.layout import resolve_model_dir
from foley.models.hub import load_pretrained


@pytest.fixture
def unreachable_hub(monkeypatch, tmp_path):
    """A hub endpoint on a local port nothing listens on, and an empty hub cache."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return port


def test_a_model_outside_the_cache_fails_at_once_when_the_hub_cannot_be_reached(unreachable_hub):
    calls = []

    def loader(name, local_files_only=False):
        calls.append(local_files_only)
        raise OSError("not cached")

    start = time.monotonic()
    with pytest.raises(OSError, match=rf"not in the local cache, and http://127.0.0.1:{unreachable_hub} cannot be "
                                      r"reached \("):
        load_pretrained(loader, "owner/model")
    assert calls == [True] and time.monotonic() - start < 5  # the cache was tried; the network never
    with pytest.raises(FoleyError, match=r"^owner/model: no such folder, not in the local cache, and http://127"):
        resolve_model_dir("owner/model")
