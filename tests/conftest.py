"""Fixtures for the end-to-end browser tests (marker `e2e`): the real app, a browser cut off
from the internet, and the page of the app in it. Other tests do not touch them."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'  # st_folium's component iframe


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in a real headless browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(env: dict[str, str] | None = None, timeout: float = 120):
    """`streamlit run app.py` from the repo root on a free port; yields the base URL.

    `env` adds variables to the app's environment (e.g. to point it at extra data).
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="streamlit-e2e-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=REPO, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{Path(log.name).read_text()}")
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health in {timeout} s:\n"
                            f"{Path(log.name).read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)


def _require_chromium():
    if os.environ.get("ROLLOUT_SKIP_BROWSER") == "1":
        pytest.skip("ROLLOUT_SKIP_BROWSER=1")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.fail(f"{CHROMIUM} is missing: the e2e test needs Chromium. Install it with "
                    "`apt-get install -y chromium`, or set ROLLOUT_SKIP_BROWSER=1 to skip.")


@pytest.fixture(scope="module")
def app_url():
    """The real app, started once per test module."""
    _require_chromium()  # no point starting the app for a browser test that cannot run
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def offline_page(browser, app_url):
    """The app opened in a page that can reach only localhost.

    Every other request is aborted and recorded in `page.blocked` as (resource type, URL,
    frame URL); uncaught script errors of the page and its frames go to `page.errors`.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.blocked, page.errors = [], []

    def route(r):
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            return r.continue_()
        frame = r.request.frame.url if r.request.frame else ""
        page.blocked.append((r.request.resource_type, r.request.url, frame))
        return r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(app_url)
    yield page
    page.close()
