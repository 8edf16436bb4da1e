"""Load test: N concurrent Chromium sessions change filters on a real `streamlit run` server.

    python scripts/load.py [--sessions 30 60] [--changes 5] [--page trajectories] [--db FILE]

Each session opens the page, then changes the obstruction-site filter `--changes` times the way
a person does (the multiselect), waiting each time until the app has finished the run and the
chart is drawn. Reports, per level of concurrency: errors (exceptions on the page, JavaScript
errors, timeouts), the time from the change to the finished chart (p50, p95, max) and the
server's peak resident memory. Not part of `make test` (`make load` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer import vocab  # noqa: E402
from tests.browser.chromium import launch_args  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SITES = list(vocab.SITES.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit-load-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PTS_DB": str(db)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not become healthy")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _finished(page: Page, before: str, timeout: float) -> None:
    await page.wait_for_function(
        "([sel, prev]) => { const e = document.querySelector(sel); return e && e.textContent !== prev; }",
        arg=[".st-key-run_token", before],
        timeout=timeout,
    )
    await page.wait_for_selector(IDLE, timeout=timeout)
    await page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot", timeout=timeout)


async def session(browser, url: str, changes: int, seed: int, times: list[float], errors: list[str]) -> None:
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"javascript: {exc}"))
    timeout = 180_000
    page.set_default_timeout(timeout)
    try:
        await page.goto(url, timeout=timeout)
        await page.wait_for_selector(".st-key-run_token", state="attached", timeout=timeout)
        await page.wait_for_selector(IDLE, timeout=timeout)
        chosen: set[str] = set()
        for _ in range(changes):
            left = [site for site in SITES if site not in chosen]
            if not left:
                break
            site = rng.choice(left)
            before = await page.locator(".st-key-run_token").text_content() or ""
            field = page.get_by_test_id("stMultiSelect").filter(has_text="Obstruction site").locator("input")
            await field.click()
            await field.fill(site)
            started = time.perf_counter()
            await page.get_by_role("option", name=site, exact=True).click()
            await _finished(page, before, timeout)
            times.append(time.perf_counter() - started)
            chosen.add(site)
            await page.keyboard.press("Escape")
            broken = await page.get_by_test_id("stException").count()
            broken += await page.get_by_text("Something went wrong").count()
            if broken:
                errors.append("an error on the page")
    except Exception as exc:  # a timeout or a broken page: counted, the others go on
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        await context.close()


async def run_level(url: str, sessions: int, changes: int, pid: int) -> dict:
    times: list[float] = []
    errors: list[str] = []
    peak = rss_mb(pid)
    cpu_before = cpu_seconds(pid)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_args())
        tasks = [asyncio.create_task(session(browser, url, changes, i, times, errors)) for i in range(sessions)]
        while not all(t.done() for t in tasks):
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.5)
        await browser.close()
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [float("nan")] * 19
    return {
        "sessions": sessions,
        "changes": len(times),
        "errors": errors,
        "p50": statistics.median(times) if times else float("nan"),
        "p95": q[18],
        "max": max(times, default=float("nan")),
        "peak_rss_mb": peak,
        "server_cpu_per_change": (cpu_seconds(pid) - cpu_before) / max(len(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--page", default="trajectories")
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "pts_outcomes.duckdb")
    args = parser.parse_args()
    proc, base = start_server(args.db)
    try:
        print(f"server pid {proc.pid}, {base}/{args.page}, {os.cpu_count()} cores; idle RSS {rss_mb(proc.pid):.0f} MB")
        for level in args.sessions:
            result = asyncio.run(run_level(f"{base}/{args.page}", level, args.changes, proc.pid))
            errors = len(result["errors"])
            print(
                f"{result['sessions']:>3} sessions: {result['changes']} filter changes, {errors} errors; "
                f"time to chart p50 {result['p50']:.2f} s, p95 {result['p95']:.2f} s, max {result['max']:.2f} s; "
                f"server peak RSS {result['peak_rss_mb']:.0f} MB, server CPU {result['server_cpu_per_change']:.2f} s "
                "per change (page loads included)"
            )
            for error in sorted(set(result["errors"]))[:10]:
                print("   ", error)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
