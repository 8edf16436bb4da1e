"""The benchmark: server time of a filter change on every page, the trajectory query against the
plain-SQL floor and the naive pandas pattern, and what a browser waits for. `make bench` runs it.

    python scripts/benchmark.py [--db FILE ...] [--runs 12] [--no-browser] [--json data/bench.json]

Per database (default: the demo and the 1M-patient file; `--statements`: each statement's time too):
- every page's server time for a filter change (a full script run in Streamlit's AppTest), cold
  (caches cleared, a new cohort each run, so every query runs) and warm (the same cohorts again);
- the contract checks' one-off cost when a file version is first opened.
At the largest database: the trajectory query as the app runs it (pre-aggregated cells), over the
contract tables, as the best plain SQL, and as the naive pandas pattern, filtered and unfiltered.
In Chromium (headless): cold start to the first chart, new-tab time to chart, and the server's
peak memory after visiting every page. Prints one table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer import db, vocab  # noqa: E402
from pts_explorer.config import ANALYSIS_PAGES  # noqa: E402
from pts_explorer.filters import CohortFilter  # noqa: E402

DEMO = ROOT / "data" / "pts_outcomes.duckdb"
LARGE = ROOT / "data" / "pts_1m.duckdb"
PLAIN_TRAJECTORY = """
WITH cohort_patients AS (
    SELECT p.patient_id, p.arm
    FROM patients AS p
    WHERE (len($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], p.obstruction_site))
),
values_by_visit AS (
    SELECT v.patient_id, v.visit_month, v.villalta_total::DOUBLE AS value FROM visits AS v
)
SELECT c.arm, m.visit_month, count(m.value) AS n, avg(m.value) AS mean, stddev_samp(m.value) AS sd,
    count(m.value - b.value) AS n_change, avg(m.value - b.value) AS mean_change
FROM cohort_patients AS c
JOIN values_by_visit AS m ON m.patient_id = c.patient_id
LEFT JOIN values_by_visit AS b ON b.patient_id = c.patient_id AND b.visit_month = 0
GROUP BY c.arm, m.visit_month
"""


def _quantiles(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [times[0]] * 19
    return {"p50": round(statistics.median(times)), "p95": round(q[18]), "max": round(max(times))}


def contract_checks(path: Path) -> float:
    from pts_explorer import validation

    con = db.open_read_only(path)
    seconds = validation.validate(con).seconds
    con.close()
    return round(seconds, 2)


class ScriptClock:
    """Times the page script itself (the frame around every page), as a server runs it: the
    AppTest round trip around it adds the test harness's own work."""

    def __init__(self) -> None:
        from pts_explorer.ui import frame

        self.frame, self.inner, self.last, self.last_cpu = frame, frame.run, 0.0, 0.0
        frame.run = self._timed

    def _timed(self, *args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.last = 1000 * (time.perf_counter() - started)
            # the process's CPU over the run (every thread: DuckDB's two included), which a busy
            # machine's other work does not add to as it adds to the wall time
            self.last_cpu = 1000 * (time.process_time() - cpu)


def page_times(
    path: Path,
    runs: int,
    pages: list[str] | None = None,
    cold_only: bool = False,
    queries: dict[str, str] | None = None,
    statements: bool = False,
) -> dict[str, dict]:
    """Cold: caches cleared and a new cohort each run; warm: the same cohorts again. Server time
    is the page script's own run; the AppTest round trip is reported beside it. `statements`: each
    statement's time too (StatementClock), printed per page."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["PTS_DB"] = str(path)
    _one_script_cache()
    clock = ScriptClock()
    by_statement = StatementClock() if statements else None
    out = {}
    for page in ANALYSIS_PAGES:
        if pages and page.name not in pages:
            continue
        rng = np.random.default_rng(0)
        cohorts = [
            (
                list(rng.choice(list(vocab.SITES), size=int(rng.integers(1, 4)), replace=False)),
                int(rng.integers(18, 50)),
            )
            for _ in range(runs)
        ]
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        # a page that starts empty gets its example; --query gives a page another view
        for key, values in parse_qs((queries or {}).get(page.name, page.example)).items():
            at.query_params[key] = values
        at.run()
        at.switch_page(str(ROOT / page.script)).run()
        kinds = ("cold",) if cold_only else ("cold", "warm")
        times: dict[str, list[float]] = {f"{kind}{part}": [] for kind in kinds for part in ("", "_cpu", "_round_trip")}
        for kind in kinds:
            for sites, low in cohorts:
                if kind == "cold":
                    st.cache_data.clear()
                at.slider(key="age").set_value((low, 90))
                started = time.perf_counter()
                at.multiselect(key="site").set_value(sites).run()
                times[f"{kind}_round_trip"].append(1000 * (time.perf_counter() - started))
                times[kind].append(clock.last)
                times[f"{kind}_cpu"].append(clock.last_cpu)
                assert not at.exception, at.exception
        out[page.name] = {kind: _quantiles(values) for kind, values in times.items()}
        p50 = {k: v["p50"] for k, v in out[page.name].items()}
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        spread = f"{min(times['cold_cpu']):.0f}-{max(times['cold_cpu']):.0f}"
        cold = f"cold {p50['cold']:5d} ms (CPU {p50['cold_cpu']:5d} ms, range {spread})"
        warm = "" if cold_only else f", warm {p50['warm']:4d} ms (CPU {p50['warm_cpu']} ms)"
        print(f"  {page.name:13s} server p50 {cold}{warm}, AppTest round trip {p50['cold_round_trip']} ms; load {load}")
        if by_statement is not None:
            out[page.name]["statements"] = by_statement.report()
    return out


def _one_script_cache() -> None:
    """One compiled page script per server, as Streamlit's runtime keeps it (one ScriptCache for every
    session and rerun): AppTest makes a new cache on every run, which compiled the page script again on
    every filter change (23 ms of CPU for Compare's), a cost a server does not pay."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    for module in (app_test, local_script_runner):
        module.ScriptCache = lambda: shared  # type: ignore[attr-defined,assignment,misc]


class StatementClock:
    """Times every statement the pages run (db.run_query), wall and the process's CPU, by name
    (`name@population` for one over a population) and whether its fast twin was asked for."""

    def __init__(self) -> None:
        self.inner, self.times = db.run_query, {}
        db.run_query = self._timed

    def _timed(self, con, name, params=None, fast=False):  # type: ignore[no-untyped-def]
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner(con, name, params, fast)
        finally:
            wall, used = 1000 * (time.perf_counter() - started), 1000 * (time.process_time() - cpu)
            self.times.setdefault(f"{name}{' (fast)' * bool(fast)}", []).append((wall, used))

    def report(self) -> dict[str, dict]:
        """Per statement since the last report, most CPU first: calls, p50 wall and CPU, total CPU (printed)."""
        rows = {}
        for name, times in sorted(self.times.items(), key=lambda kv: -sum(c for _, c in kv[1])):
            wall, used = (statistics.median(t[i] for t in times) for i in (0, 1))
            rows[name] = {"calls": len(times), "wall_p50": round(wall), "cpu_p50": round(used)}
            rows[name]["cpu_total"] = total = round(sum(c for _, c in times))
            print(f"    {name:48s} {len(times):3d} calls, p50 {wall:7.0f} ms (CPU {used:5.0f} ms), CPU sum {total} ms")
        self.times = {}
        return rows


def _timed(run, repeat: int = 5) -> float:
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - started))
    return round(min(times))


def trajectory_query(path: Path) -> dict[str, dict]:
    """The trajectory summary four ways, filtered (two sites) and unfiltered."""
    con = db.open_read_only(path)
    out: dict[str, dict] = {}
    for label, cohort in (("filtered", CohortFilter(site=("common_iliac", "femoral"))), ("unfiltered", CohortFilter())):
        params = {**cohort.as_params(), "outcome": "villalta_total", "by_study": False}
        out.setdefault("app (pre-aggregated cells)", {})[label] = _timed(
            lambda p=params: db.run_query(con, "trajectory_summary", p, fast=True)
        )
        out.setdefault("over the contract tables", {})[label] = _timed(
            lambda p=params: db.run_query(con, "trajectory_summary", p)
        )
        out.setdefault("plain SQL floor", {})[label] = _timed(
            lambda p=params: con.cursor().execute(PLAIN_TRAJECTORY, {"site": p["site"]}).df()
        )
    started = time.perf_counter()
    patients = con.execute("SELECT patient_id, arm, obstruction_site FROM patients").df()
    visits = con.execute("SELECT patient_id, visit_month, villalta_total FROM visits").df()
    load = round(1000 * (time.perf_counter() - started))

    def naive(sites: list[str]) -> None:
        kept = patients[patients.obstruction_site.isin(sites)] if sites else patients
        merged = visits.merge(kept, on="patient_id")
        base = merged[merged.visit_month == 0][["patient_id", "villalta_total"]].rename(columns={"villalta_total": "b"})
        merged = merged.merge(base, on="patient_id", how="left").assign(change=lambda d: d.villalta_total - d.b)
        merged.groupby(["arm", "visit_month"]).agg(n=("villalta_total", "count"), mean=("villalta_total", "mean"))

    out[f"naive pandas (after a load of {load} ms)"] = {
        "filtered": _timed(lambda: naive(["common_iliac", "femoral"]), 2),
        "unfiltered": _timed(lambda: naive([]), 2),
    }
    con.close()
    return out


def browser(path: Path, new_tabs: int) -> dict[str, object]:
    """Cold start to the first chart, new-tab time to chart, the server's peak memory."""
    from playwright.sync_api import sync_playwright

    from tests.browser.app_driver import open_page
    from tests.browser.chromium import launch_args
    from tests.browser.conftest import _free_port, _wait_healthy

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    chart = "[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg"
    with sync_playwright() as pw:
        # The browser is open before the server starts: cold start is the app's, from its process
        # start to the first chart drawn in a new tab (launching Chromium takes 1-2 s more here).
        chromium = pw.chromium.launch(**launch_args())
        started = time.perf_counter()
        serve = ["run", "app.py", "--server.port", str(port), "--server.headless", "true"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", *serve],
            cwd=ROOT,
            env={**os.environ, "PTS_DB": str(path)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_healthy(url, proc, timeout=120)
            page = chromium.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/trajectories")
            page.wait_for_selector(chart, timeout=180_000)
            cold_start = time.perf_counter() - started
            tabs = []
            for _ in range(new_tabs):
                context = chromium.new_context(viewport={"width": 1400, "height": 900})
                tab = context.new_page()
                begun = time.perf_counter()
                tab.goto(f"{url}/trajectories")
                tab.wait_for_selector(chart, timeout=60_000)
                tabs.append(1000 * (time.perf_counter() - begun))
                context.close()
            for spec in ANALYSIS_PAGES:  # every page once, for the memory peak
                open_page(page, f"{url}/{spec.url_path}?{spec.example}")
            peak = next(
                int(line.split()[1]) / 1024
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            chromium.close()
    return {"cold_start_to_chart_s": round(cold_start, 2), "new_tab_ms": _quantiles(tabs), "peak_rss_mb": round(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, nargs="+", default=[DEMO, LARGE])
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--tabs", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--pages", nargs="+", help="only these pages (names as in the URL), no query floors")
    parser.add_argument("--cold-only", action="store_true", help="cold runs only (each a new cohort)")
    parser.add_argument(
        "--query",
        nargs="+",
        default=[],
        metavar="PAGE=PARAMS",
        help="a page's URL parameters, e.g. durability=endpoint=freedom_from_recurrent_dvt (a hazard ratio)",
    )
    parser.add_argument("--statements", action="store_true", help="each statement's time too, per page")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench.json")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    result: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "databases": {},
    }
    for path in args.db:
        con = db.open_read_only(path)
        patients, visits = con.execute(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM visits)"
        ).fetchone()
        con.close()
        print(f"{path.name}: {patients:,} patients, {visits:,} visits")
        entry: dict[str, object] = {"patients": patients, "visits": visits, "contract_checks_s": contract_checks(path)}
        queries = dict(q.split("=", 1) for q in args.query)
        entry["pages"] = page_times(path, args.runs, args.pages, args.cold_only, queries, args.statements)
        if not args.no_browser:
            entry["browser"] = browser(path, args.tabs)
            print(f"  browser: {entry['browser']}")
        result["databases"][path.name] = entry  # type: ignore[index]
    if args.pages:
        print(json.dumps(result, indent=1))
        return
    largest = max(args.db, key=lambda p: p.stat().st_size)
    result["trajectory_query_ms"] = {"database": largest.name, **trajectory_query(largest)}
    for way, times in result["trajectory_query_ms"].items():  # type: ignore[union-attr]
        print(f"  trajectory query, {way}: {times}")
    args.json.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
