"""`make serve` (pts_explorer.serve, the script it runs) in Chromium: two app processes behind Caddy.

Each fresh browser gets a working app through the proxy (Overview's patient count equal to the file's); the
two workers both serve browsers; a browser stays on the worker that first answered it: every HTTP response
carries that worker's port (the X-PTS-Worker header the proxy adds), and its Streamlit session (the
websocket, whose handshake Caddy 2.6 gives no header) goes on working while the other worker is paused
(SIGSTOP), so it is held by its own. A cohort saved through one worker is listed through the other (one
workspace). Ctrl-C (SIGINT to the supervisor) stops every process: none is left in `ps`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from pts_explorer.config import PROJECT_ROOT
from tests.browser.app_driver import (
    act_and_wait,
    go_to,
    listed,
    new_context,
    open_page,
    open_saved_cohorts,
    pick_option,
)

HEADER = "x-pts-worker"
MAX_BROWSERS = 20  # fresh browsers opened until both workers answered one: the proxy picks a new browser's at random


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(db: Path, workspace: Path, run_dir: Path, workers: int) -> Iterator[tuple[subprocess.Popen, dict]]:
    """`python -m pts_explorer.serve` (what `make serve` runs) on a free port; yields the supervisor and
    its serve.json once every worker and the proxy are healthy. Stopped (SIGKILL) if the test left it
    running: the test itself stops it the way a person does and checks what is left."""
    log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)  # noqa: SIM115
    port = _free_port()
    argv = [sys.executable, "-m", "pts_explorer.serve", "--workers", str(workers), "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--run-dir", str(run_dir)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PTS_DB": str(db), "PTS_WORKSPACE": str(workspace)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        state: dict = {}
        while state.get("pid") != proc.pid:
            assert proc.poll() is None, f"the supervisor ended ({proc.returncode}):\n{Path(log.name).read_text()}"
            assert time.monotonic() < deadline, f"not serving after 300 s:\n{Path(log.name).read_text()}"
            time.sleep(0.5)
            with contextlib.suppress(OSError, ValueError):
                state = json.loads((run_dir / "serve.json").read_text())
        yield proc, state
    finally:
        if proc.poll() is None:
            proc.kill()  # its children end with it (PR_SET_PDEATHSIG)
            proc.wait()
        log.close()
        print(Path(log.name).read_text())
        os.unlink(log.name)


class Watched:
    """A fresh browser context on the proxy, recording which worker answered each of its HTTP responses
    and the websockets it opened (Chromium's DevTools protocol)."""

    def __init__(self, browser: Browser, url: str):
        self.context = new_context(browser, viewport={"width": 1400, "height": 1000})
        self.page: Page = self.context.new_page()
        self.http: list[tuple[str, str | None]] = []  # (url, worker)
        self.sockets: list[int] = []  # the status of each websocket's handshake
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "response", lambda r: self.http.append((r.url, r.headers.get(HEADER))) if r.url.startswith(url) else None
        )
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Network.webSocketHandshakeResponseReceived", lambda e: self.sockets.append(e["response"]["status"]))
        cdp.send("Network.enable")

    def workers(self) -> set[str | None]:
        """The workers that answered its HTTP requests (None: a response without the proxy's header)."""
        return {worker for _, worker in self.http}


@contextlib.contextmanager
def paused(pid: int) -> Iterator[None]:
    """A worker stopped (SIGSTOP) for a while: a session it held would hang."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def patients(page: Page) -> str:
    """The Overview's "Patients" figure, as the page shows it."""
    metric = page.get_by_test_id("stMetric").filter(has_text="Patients")
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _left_running(run_dir: Path, ports: list[int]) -> list[str]:
    """Processes whose command line names the run folder (the proxy) or a worker's port."""
    # -ww: whole command lines, whatever COLUMNS says (pytest sets it: ps cut them at 80 characters)
    out = subprocess.run(["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True, check=True).stdout
    marks = [str(run_dir)] + [f"--server.port {p}" for p in ports]
    return [line for line in out.splitlines() if any(mark in line for mark in marks) and "ps -eww" not in line]


def test_two_workers_behind_the_proxy_share_the_workspace_and_keep_each_session(demo_db, demo_con, browser, tmp_path):
    total = demo_con.execute("SELECT count(*) FROM patients").fetchone()[0]
    iliac = demo_con.execute("SELECT count(*) FROM patients WHERE obstruction_site = 'common_iliac'").fetchone()[0]
    run_dir = tmp_path / "run"
    with serve(demo_db, tmp_path / "workspace.sqlite", run_dir, workers=2) as (proc, state):
        url = state["url"]
        ports = [w["port"] for w in state["workers"]]
        assert len(set(ports)) == 2 and state["proxy"]["pid"] != proc.pid

        # Fresh browsers until the proxy gave both workers one (it gives a browser without its cookie a
        # worker at random): each browser's first request, for the health check, brings the cookie.
        opened: dict[str, Watched] = {}
        for _ in range(MAX_BROWSERS):
            seen = Watched(browser, url)
            first = seen.context.request.get(f"{url}/_stcore/health")
            assert (first.status, first.text()) == (200, "ok")
            worker = first.headers[HEADER]
            assert worker in {str(p) for p in ports}, (worker, ports)
            if worker in opened:
                seen.context.close()
                continue
            opened[worker] = seen
            if len(opened) == 2:
                break
        assert len(opened) == 2, f"{MAX_BROWSERS} fresh browsers all went to worker {list(opened)}"
        (a_port, a), (b_port, b) = sorted(opened.items())
        for port, seen in opened.items():  # a working app, the page and all its files from that worker
            open_page(seen.page, f"{url}/overview")
            assert patients(seen.page) == f"{total:,}"  # the whole file's patients
            assert seen.workers() == {port}, f"a browser moved between workers: {seen.workers()}"

        pids = {str(w["port"]): w["pid"] for w in state["workers"]}

        # B reads the (empty) saved cohorts first, so its worker has read the workspace before A writes.
        go_to(b.page, "Saved cohorts")
        expect(b.page.get_by_text("No cohort is saved yet.", exact=True)).to_be_visible()

        with paused(pids[b_port]):  # A's session works on without B's worker
            pick_option(a.page, "Obstruction site", "Common iliac")
            assert patients(a.page) == f"{iliac:,}"
            open_saved_cohorts(a.page)
            a.page.get_by_label("Save these filters as").fill("Common iliac, saved on one worker")
            act_and_wait(a.page, lambda: a.page.get_by_role("button", name="Save", exact=True).click())
            expect(a.page.get_by_text("Saved as Common iliac, saved on one worker")).to_be_visible()

        with paused(pids[a_port]):  # and B's without A's, listing what A saved
            go_to(b.page, "Overview")
            go_to(b.page, "Saved cohorts")
            expect(b.page.get_by_role("combobox", name="Cohort", exact=True)).to_be_visible()  # not "No cohort"
            assert listed(b.page, "Cohort") == ["Common iliac, saved on one worker"]

        for port, seen in ((a_port, a), (b_port, b)):
            assert seen.sockets == [101], f"websockets opened: {seen.sockets}"  # one session, never reconnected
            assert seen.workers() == {port}, f"a browser moved between workers: {seen.workers()}"
            assert not seen.errors, seen.errors
            seen.context.close()

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=60) == 0
        assert not (run_dir / "serve.json").exists()
        assert _left_running(run_dir, ports) == []
        for pid in [state["proxy"]["pid"]] + [w["pid"] for w in state["workers"]]:
            assert not Path(f"/proc/{pid}").exists(), pid


def test_one_worker_behind_the_proxy(demo_db, tmp_path):
    """WORKERS=1: the proxy with a single worker; its health and static files go through the proxy."""
    run_dir = tmp_path / "run"
    with serve(demo_db, tmp_path / "workspace.sqlite", run_dir, workers=1) as (proc, state):
        [worker] = state["workers"]
        bodies = {}
        for path in ("/_stcore/health", "/overview"):
            with urllib.request.urlopen(state["url"] + path, timeout=30) as r:
                assert r.headers[HEADER] == str(worker["port"])
                bodies[path] = r.read().decode()
        assert bodies["/_stcore/health"] == "ok"
        [script] = re.findall(r'<script[^>]* src="\.?(/static/js/[^"]+\.js)"', bodies["/overview"])
        with urllib.request.urlopen(state["url"] + script, timeout=30) as r:  # the app's JavaScript
            assert (r.status, r.headers[HEADER]) == (200, str(worker["port"]))
            assert len(r.read()) > 100_000
        subprocess.run([sys.executable, "-m", "pts_explorer.serve", "--stop", "--run-dir", str(run_dir)], check=True)
        assert proc.wait(timeout=60) == 0
        assert _left_running(run_dir, [worker["port"]]) == []
