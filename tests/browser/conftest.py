"""A real `streamlit run` server and Debian's Chromium driven by Playwright."""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from pts_explorer.config import PROJECT_ROOT
from tests.browser.app_driver import new_context, talk_server  # noqa: F401 (a fixture: the talk modules')
from tests.browser.chromium import chromium_path, launch_args

# Assertions on what a finished run drew: the browser may still be rendering it on a busy machine.
expect.set_options(timeout=30_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited before it became healthy")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit at {url} not healthy after {timeout} s")


_WORKSPACE = Path(tempfile.mkdtemp(prefix="pts-browser-")) / "workspace.sqlite"


@contextlib.contextmanager
def serving(
    db: Path,
    workspace: Path = _WORKSPACE,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    base_path: str = "",
    secrets: Path | None = None,
    port: int | None = None,
):
    """`streamlit run app.py` on `db`, saved cohorts in `workspace`, with `env` added to the
    environment, under `base_path` (--server.baseUrlPath) when given, its secrets read from `secrets`
    only (--secrets.files: never the checkout's .streamlit/secrets.toml) when given, on `port` (else a
    free one); yields its base URL."""
    port = port or _free_port()
    # Output goes to a file, not a pipe: a full pipe can block the server (Streamlit's own e2e note).
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--server.baseUrlPath",
            base_path,
            *(["--secrets.files", str(secrets)] if secrets else []),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PTS_DB": str(db), "PTS_WORKSPACE": str(workspace), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}" + (f"/{base_path}" if base_path else "")
    try:
        _wait_healthy(url, proc, timeout)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        with open(log.name, encoding="utf-8", errors="replace") as f:
            output = f.read()
        if "Traceback" in output:
            print(output)
        os.unlink(log.name)


@pytest.fixture(scope="session")
def server(demo_db):
    """Base URL of `streamlit run app.py` serving the default demo cohort."""
    with serving(demo_db) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not chromium_path():
        pytest.fail("Chromium not found: install Debian's `chromium` package (make test does this) or set CHROMIUM")
    with sync_playwright() as pw:
        b = pw.chromium.launch(**launch_args())
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = new_context(browser, viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
