"""Load test: N concurrent Chromium sessions open a page and change filters, through `make serve`'s proxy.

    python scripts/load.py [--sessions 30 60] [--workers 1 2] [--changes 5] [--page trajectories] [--db FILE]
    python scripts/load.py --attach .serve [--sessions 30]     # a `make serve` already running
    python scripts/load.py --direct [--sessions 30]             # one `streamlit run`, no proxy (before issue 30)

For each number of workers, the app is served as `make serve WORKERS=n` serves it (pts_explorer.serve:
n processes behind Caddy with sticky sessions, on free ports) and each level of concurrency runs on it in
two phases. First every session opens the page at once: the time from the request to its first chart drawn
(the app idle). When all have, each changes the obstruction-site filter `--changes` times the way a person
does (the multiselect), waiting each time until the run is over and the chart drawn: the time from the
change to the chart. Reports per run: errors (exceptions on the page, JavaScript errors, timeouts),
first-chart and filter-change p50 / p95 / max, the workers' CPU seconds per page load and per filter
change (summed over the workers: the cost a larger machine divides among its cores), their peak resident
memory (summed), and the machine's load average during the run (1-minute figure: mean and peak of
samples every half second), since Chromium's sessions and any other work share the machine's cores with
the server. Not part of `make test` (`make load` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer import vocab  # noqa: E402
from tests.browser.chromium import launch_args  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
SITES = list(vocab.SITES.values())
TIMEOUT = 180_000  # ms


@dataclass
class Served:
    url: str
    workers: list[int]  # the app processes' pids (the proxy's is not counted: its CPU is reported apart)
    proxy: int | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return bool(r.read().decode().strip() == "ok")
    except OSError:
        return False


@contextlib.contextmanager
def direct_server(db: Path) -> Iterator[Served]:
    """One `streamlit run` without the proxy, as `make load` measured before issue 30."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit-load-", suffix=".log", delete=False)  # noqa: SIM115
    argv = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)]
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "PTS_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            if _healthy(url):
                break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"the server did not become healthy; its log: {log.name}")
        yield Served(url, [proc.pid], None)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def proxied_server(db: Path, workers: int) -> Iterator[Served]:
    """`make serve WORKERS=workers` (pts_explorer.serve) on free ports, in a run folder of its own."""
    run_dir = Path(tempfile.mkdtemp(prefix="pts-load-"))
    argv = [sys.executable, "-m", "pts_explorer.serve", "--workers", str(workers), "--port", str(_free_port())]
    log = open(run_dir / "supervisor.log", "wb")  # noqa: SIM115
    env = {**os.environ, "PTS_DB": str(db), "PTS_WORKSPACE": str(run_dir / "workspace.sqlite")}
    proc = subprocess.Popen([*argv, "--run-dir", str(run_dir)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while (state := _state(run_dir)) is None or state["pid"] != proc.pid:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make serve did not start: {(run_dir / 'supervisor.log').read_text()}")
            time.sleep(0.5)
        yield Served(state["url"], [w["pid"] for w in state["workers"]], state["proxy"]["pid"])
    finally:
        proc.terminate()  # the supervisor stops its workers and the proxy
        proc.wait(timeout=60)
        log.close()


def _state(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "serve.json").read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def attached(run_dir: Path) -> Iterator[Served]:
    """A `make serve` already running from `run_dir` (its serve.json)."""
    state = _state(run_dir)
    if state is None:
        raise SystemExit(f"Nothing is being served from {run_dir} (no serve.json): start `make serve` first.")
    yield Served(state["url"], [w["pid"] for w in state["workers"]], state["proxy"]["pid"])


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (each with its children that ended)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


class Gate:
    """Opens when every session has its first chart (or failed): the filter changes then start together."""

    def __init__(self, sessions: int):
        self.left, self.opened = sessions, asyncio.Event()

    def arrive(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.opened.set()


@dataclass
class Run:
    first: list[float] = field(default_factory=list)  # seconds from the request to the first chart
    changes: list[float] = field(default_factory=list)  # seconds from a filter change to its chart
    errors: list[str] = field(default_factory=list)


async def _finished(page: Page, before: str) -> None:
    await page.wait_for_function(
        "([sel, prev]) => { const e = document.querySelector(sel); return e && e.textContent !== prev; }",
        arg=[".st-key-run_token", before],
        timeout=TIMEOUT,
    )
    await page.wait_for_selector(IDLE, timeout=TIMEOUT)
    await page.wait_for_selector(CHART, timeout=TIMEOUT)


async def session(browser: Browser, url: str, changes: int, seed: int, run: Run, gate: Gate) -> None:
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.on("pageerror", lambda exc: run.errors.append(f"javascript: {exc}"))
    page.set_default_timeout(TIMEOUT)
    arrived = False

    def arrive() -> None:  # once per session, whether its page loaded or failed
        nonlocal arrived
        if not arrived:
            arrived = True
            gate.arrive()

    try:
        started = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT)
        await page.wait_for_selector(".st-key-run_token", state="attached", timeout=TIMEOUT)
        await page.wait_for_selector(IDLE, timeout=TIMEOUT)
        await page.wait_for_selector(CHART, timeout=TIMEOUT)
        run.first.append(time.perf_counter() - started)
        arrive()
        await gate.opened.wait()  # every session has its first chart: the filter changes start together
        chosen: set[str] = set()
        for _ in range(changes):
            left = [site for site in SITES if site not in chosen]
            if not left:
                break
            site = rng.choice(left)
            before = await page.locator(".st-key-run_token").text_content() or ""
            box = page.get_by_test_id("stMultiSelect").filter(has_text="Obstruction site").locator("input")
            await box.click()
            await box.fill(site)
            started = time.perf_counter()
            await page.get_by_role("option", name=counted(site)).click()
            await _finished(page, before)
            run.changes.append(time.perf_counter() - started)
            chosen.add(site)
            await page.keyboard.press("Escape")
            broken = await page.get_by_test_id("stException").count()
            broken += await page.get_by_text("Something went wrong").count()
            if broken:
                run.errors.append("an error on the page")
    except Exception as exc:  # a timeout or a broken page: counted, the others go on
        run.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        arrive()
        await context.close()


def counted(option: str) -> re.Pattern[str]:
    """A filter option as the sidebar writes it: its label and its patients, "Common iliac (1,052)"."""
    return re.compile(rf"^{re.escape(option)} \((?:[\d,]+|hidden)\)$")


def _quantiles(times: list[float]) -> dict[str, float]:
    nan = float("nan")
    return {
        "p50": statistics.median(times) if times else nan,
        "p95": statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) >= 2 else nan,
        "max": max(times, default=nan),
    }


async def run_level(served: Served, url: str, sessions: int, changes: int) -> dict:
    run, gate = Run(), Gate(sessions)
    peak = sum(rss_mb(p) for p in served.workers)
    loads: list[float] = []
    cpu_start = cpu_seconds(served.workers)
    proxy_start = cpu_seconds([served.proxy]) if served.proxy else 0.0
    cpu_loaded = None
    wall = time.perf_counter()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_args())
        tasks = [asyncio.create_task(session(browser, url, changes, i, run, gate)) for i in range(sessions)]
        while not all(t.done() for t in tasks):
            peak = max(peak, sum(rss_mb(p) for p in served.workers))
            loads.append(os.getloadavg()[0])
            if cpu_loaded is None and gate.opened.is_set():
                cpu_loaded = cpu_seconds(served.workers)
            await asyncio.sleep(0.5)
        await browser.close()
    cpu_end = cpu_seconds(served.workers)
    cpu_loaded = cpu_end if cpu_loaded is None else cpu_loaded
    return {
        "workers": len(served.workers),
        "proxy": served.proxy is not None,
        "sessions": sessions,
        "page_loads": len(run.first),
        "changes": len(run.changes),
        "errors": run.errors,
        "first_chart": _quantiles(run.first),
        "filter_change": _quantiles(run.changes),
        "cpu_per_page_load": (cpu_loaded - cpu_start) / len(run.first) if run.first else float("nan"),
        "cpu_per_change": (cpu_end - cpu_loaded) / len(run.changes) if run.changes else float("nan"),
        "proxy_cpu": (cpu_seconds([served.proxy]) - proxy_start) if served.proxy else None,
        "peak_rss_mb": peak,
        "load_mean": statistics.fmean(loads) if loads else float("nan"),
        "load_peak": max(loads, default=float("nan")),
        "seconds": time.perf_counter() - wall,
        "cores": os.cpu_count(),
    }


def report(r: dict) -> str:
    how = f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}" + (" behind Caddy" if r["proxy"] else ", no proxy")
    f, c = r["first_chart"], r["filter_change"]
    lines = [
        f"{r['sessions']:>3} sessions, {how}: {r['page_loads']} page loads, {r['changes']} filter changes, "
        f"{len(r['errors'])} errors, {r['seconds']:.0f} s; load average {r['load_mean']:.1f} "
        f"(peak {r['load_peak']:.1f}) on {r['cores']} cores",
        f"    first chart   p50 {f['p50']:.2f} s, p95 {f['p95']:.2f} s, max {f['max']:.2f} s; "
        f"workers' CPU {r['cpu_per_page_load']:.2f} s per page load",
        f"    filter change p50 {c['p50']:.2f} s, p95 {c['p95']:.2f} s, max {c['max']:.2f} s; "
        f"workers' CPU {r['cpu_per_change']:.2f} s per change",
        f"    workers' peak RSS {r['peak_rss_mb']:.0f} MB (together)"
        + (f"; proxy CPU {r['proxy_cpu']:.1f} s in all" if r["proxy_cpu"] is not None else ""),
    ]
    lines += [f"    {error}" for error in sorted(set(r["errors"]))[:10]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="serve with each number of workers in turn")
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--page", default="trajectories")
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pts_outcomes.duckdb")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--attach", type=Path, metavar="RUN_DIR", help="a running `make serve` (its run folder)")
    where.add_argument("--direct", action="store_true", help="one streamlit process, no proxy")
    parser.add_argument("--json", type=Path, help="append each run's figures to this file (JSON lines)")
    args = parser.parse_args()
    if args.attach:
        servers = [lambda: attached(args.attach)]
    elif args.direct:
        servers = [lambda: direct_server(args.db)]
    else:
        servers = [lambda n=n: proxied_server(args.db, n) for n in args.workers]
    for serving in servers:
        with serving() as served:
            for level in args.sessions:
                result = asyncio.run(run_level(served, f"{served.url}/{args.page}", level, args.changes))
                print(report(result), flush=True)
                if args.json:
                    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    with open(args.json, "a", encoding="utf-8") as out:
                        out.write(json.dumps({**result, "page": args.page, "at": stamp}) + "\n")


if __name__ == "__main__":
    main()
