"""`foley ui` end to end in a real browser: headless Chromium driven by Playwright.

Needs the ui extra (gradio), playwright and a Chromium binary (Debian's `chromium`);
where one is missing the tests are skipped and say which.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import av
import pytest

from pipeline_models import write_tiny_model

gradio = pytest.importorskip("gradio", reason="the ui extra is not installed (pip install '.[ui]')")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium binary for the browser test (apt-get install chromium)", allow_module_level=True)

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "hammer.mp4"
TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`foley ui` on a free localhost port, with a tiny model, run from an empty folder."""
    root = tmp_path_factory.mktemp("ui")
    model = write_tiny_model(root / "model")
    cwd = root / "cwd"
    cwd.mkdir()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "foley", "ui", "--model", str(model), "--compose-model",
                             str(model / "backbone"), "--port", str(port), "--device", "cpu"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"foley ui did not start: {proc.stdout.read()[-2000:]}")
            time.sleep(0.5)
    yield url, cwd
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("foley ui did not stop on SIGTERM")
    log = proc.stdout.read()
    root = re.search(r"files under (\S+), removed on exit", log)
    assert root and not Path(root.group(1)).exists(), log[-2000:]  # its temporary root is gone
    assert f"http://127.0.0.1:{port}  (this machine only; foley ui --host 0.0.0.0 serves it to the network;" in log


@pytest.fixture(scope="module")
def page(server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server[0])
        yield page
        browser.close()


def _shots() -> Path | None:
    folder = os.environ.get("FOLEY_UI_SCREENSHOTS")
    return Path(folder) if folder else None


def _set_number(page, selector: str, value) -> None:
    box = page.locator(f"{selector} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")


def test_dub_tab_dubs_an_uploaded_clip(page, server, tmp_path):
    page.get_by_role("tab", name="Dub").click()
    page.click("#dub-button")  # no video yet: one message, no traceback
    page.locator("#dub-notes").get_by_text("upload a video or pick the example first").wait_for()
    assert "Traceback" not in page.content()

    page.set_input_files("#dub-input input[type=file]", str(EXAMPLE))
    page.locator("#dub-input video").first.wait_for()
    _set_number(page, "#dub-steps", 2)
    page.click("#dub-button")
    video = page.locator("#dub-result video").first
    video.wait_for()
    page.wait_for_function("() => { const v = document.querySelector('#dub-result video');"
                           " return v && v.readyState >= 1 && v.duration > 0; }")
    assert video.evaluate("v => v.duration") == pytest.approx(4.0, abs=0.1)
    played = video.evaluate("""async v => { v.muted = true; await v.play();
        await new Promise(r => setTimeout(r, 1500)); v.pause();
        return [v.currentTime, v.webkitAudioDecodedByteCount]; }""")
    assert played[0] > 0.3 and played[1] > 0  # it plays, and its audio track decodes
    served = tmp_path / "served.mp4"
    served.write_bytes(page.request.get(video.get_attribute("src")).body())
    with av.open(str(served)) as c:  # the file behind the player: the picture and the new sound
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1
        assert float(c.duration) / 1e6 == pytest.approx(4.0, abs=0.05)
    if _shots():
        page.screenshot(path=str(_shots() / "ui-dub.png"), full_page=True)
    assert list(server[1].iterdir()) == []  # nothing written where the server was started


def _wait_for_turns(page, n: int) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('#compose-history li').length >= {n}")


def test_compose_tab_composes_and_edits(page):
    page.get_by_role("tab", name="Compose").click()
    page.fill("#compose-text textarea", "make the ball louder")
    page.click("#compose-edit")  # no bed yet: a message, and nothing composed
    page.get_by_text("there is no bed to edit yet").first.wait_for()
    assert page.locator("#compose-history li").count() == 0 and "Traceback" not in page.content()
    page.fill("#compose-text textarea", "rain, then a ball bounces")
    _set_number(page, "#compose-duration", 4)
    _set_number(page, "#compose-steps", 2)
    page.click("#compose-new")
    _wait_for_turns(page, 1)
    table = page.locator("#compose-plan")
    assert "a ball bounces" in table.inner_text() and "rain" in table.inner_text()
    page.locator("#compose-audio audio").first.wait_for(state="attached")
    stems = page.locator("#compose-stems").inner_text().replace("\n", "")  # each sound to download (name, suffix)
    assert "rain.wav" in stems and "a-ball-bounces.wav" in stems

    page.fill("#compose-text textarea", "make the ball louder by 6 dB")
    page.click("#compose-edit")
    _wait_for_turns(page, 2)
    history = page.locator("#compose-history").inner_text()
    assert "make the ball louder by 6 dB" in history and "0 generated, 2 reused" in history  # a gain edit
    assert "6" in table.inner_text()
    if _shots():
        page.screenshot(path=str(_shots() / "ui-compose.png"), full_page=True)

    page.set_input_files("#compose-video-input input[type=file]", str(EXAMPLE))  # a new bed under a video
    page.locator("#compose-video-input video").first.wait_for()
    page.wait_for_function("() => document.querySelector('#compose-duration input[type=number]').disabled")
    assert page.locator("#compose-duration input[type=number]").first.input_value() == "4"  # the video's length
    page.fill("#compose-text textarea", "a ball bounces")
    page.click("#compose-new")
    page.wait_for_function("() => { const v = document.querySelector('#compose-video video');"
                           " return v && v.readyState >= 1 && v.duration > 0; }")
    assert page.locator("#compose-video video").first.evaluate("v => v.duration") == pytest.approx(4.0, abs=0.1)
    assert "the bed is as long as the video, 4 s" in page.locator("#compose-history").inner_text()


def test_a_model_that_fails_to_load_is_named_by_its_option_and_leaves_no_folder(tmp_path):
    model = write_tiny_model(tmp_path / "model")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TMPDIR": str(scratch)}
    done = subprocess.run([sys.executable, "-m", "foley", "ui", "--model", str(model), "--compose-model", "nosuch",
                           "--device", "cpu"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("foley: error: --compose-model 'nosuch': not a shipped backbone")
    assert list(scratch.iterdir()) == []
