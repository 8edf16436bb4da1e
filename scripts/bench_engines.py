"""Engine benchmark: the Overview and Trajectories pages' queries on each way the app can read its
data, at the size given (`make bench-engines` runs it on the 1M-patient file).

    python scripts/bench_engines.py [--db FILE] [--parquet DIR] [--runs 5] [--json data/bench_engines.json]

Engines:
- DuckDB file: the app's default (fast twins over the file's derived tables when they are current);
- DuckDB file, contract tables: the same statements composed from the four contract tables;
- DuckDB over Parquet: PTS_DB pointing at the directory `make export-parquet` writes;
- Spark local[2]: PTS_ENGINE=spark on that directory, statements translated by pts_explorer.spark.

Each page is timed as a filter change: every query the page runs (the sidebar's counts included),
for a new cohort each run, so no engine answers from a cache. Prints the median and maximum per
page and engine and writes JSON. The Parquet directory is exported first when missing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer import db, derived, parquet  # noqa: E402
from pts_explorer.filters import CohortFilter  # noqa: E402

LARGE = ROOT / "data" / "pts_1m.duckdb"
SIDEBAR = ("cohort_counts",)  # every page's filter panel counts the cohort
PAGES = {
    "Overview": SIDEBAR + ("cohort_size_by_study_arm", "baseline_continuous", "baseline_categorical"),
    "Trajectories": SIDEBAR + ("cohort_size_by_study_arm", "trajectory_summary", "band_distribution"),
    "Trajectories, 25 patients per arm drawn": SIDEBAR
    + ("cohort_size_by_study_arm", "trajectory_summary", "trajectory_sample", "band_distribution"),
}
PAGE_SETTINGS = {  # the pages' default settings (individual patients: the optional sample's size)
    "outcome": "villalta_total",
    "by_study": True,
    "per_arm": 25,
    "max_patients": 20,
    "randomized_only": False,
}
COHORTS = [  # a new cohort per run: nothing is answered from a cache
    CohortFilter(),
    CohortFilter(site=("common_iliac",)),
    CohortFilter(grade=("70-99%", "occlusion"), age=(30, 75)),
    CohortFilter(sex=("female",), band=("moderate", "severe")),
    CohortFilter(site=("femoral", "common_femoral"), ulcer="yes"),
    CohortFilter(study=("REGISTRY",), age=(40, 80)),
    CohortFilter(grade=("50-69%",)),
    CohortFilter(site=("external_iliac", "common_iliac"), sex=("male",)),
]

Runner = Callable[[str, dict], pd.DataFrame]


def _params(cohort: CohortFilter) -> dict:
    return {**cohort.as_params(), **PAGE_SETTINGS}


def time_page(run: Runner, names: tuple[str, ...], runs: int) -> list[float]:
    """Milliseconds per filter change: the page's queries for one new cohort."""
    times = []
    for cohort in COHORTS[:runs]:
        params = _params(cohort)
        start = time.perf_counter()
        for name in names:
            run(name, params)
        times.append((time.perf_counter() - start) * 1000)
    return times


def engines(path: Path, folder: Path) -> dict[str, Callable[[], tuple[Runner, Callable[[], None]]]]:
    """Each engine's opener: a function running a named query, and one that closes it."""

    def duckdb_file(fast: bool) -> tuple[Runner, Callable[[], None]]:
        con = db.open_read_only(path)
        use_fast = fast and derived.usable(con)
        return (lambda name, params: db.run_query(con, name, params, fast=use_fast)), con.close

    def duckdb_parquet() -> tuple[Runner, Callable[[], None]]:
        con = db.open_read_only(folder)
        return (lambda name, params: db.run_query(con, name, params)), con.close

    def spark_local() -> tuple[Runner, Callable[[], None]]:
        from pts_explorer import spark

        con = spark.connect(folder=folder)
        return (lambda name, params: db.run_query(con, name, params)), con.session.stop

    return {
        "DuckDB file": lambda: duckdb_file(True),
        "DuckDB file, contract tables": lambda: duckdb_file(False),
        "DuckDB over Parquet": duckdb_parquet,
        "Spark local[2]": spark_local,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=LARGE)
    parser.add_argument(
        "--parquet", type=Path, help="the Parquet directory (default: beside --db, exported if missing)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help=f"filter changes per page and engine (at most {len(COHORTS)})"
    )
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench_engines.json")
    args = parser.parse_args()
    folder = args.parquet or args.db.with_name(args.db.stem + "_parquet")
    if not folder.exists():
        print(f"exporting {args.db} to {folder} …", flush=True)
        start = time.perf_counter()
        parquet.export(args.db, folder)
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
    con = db.open_read_only(args.db)
    patients = int(con.execute("SELECT count(*) FROM patients").fetchone()[0])
    con.close()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for engine, opener in engines(args.db, folder).items():
        start = time.perf_counter()
        run, close = opener()
        run("cohort_counts", _params(CohortFilter()))  # warm-up: a first query opens files and plans
        opened = (time.perf_counter() - start) * 1000
        results[engine] = {"open_ms": {"first query": round(opened)}}
        for page, names in PAGES.items():
            times = time_page(run, names, min(args.runs, len(COHORTS)))
            median, slowest = round(statistics.median(times)), round(max(times))
            results[engine][page] = {"p50": median, "max": slowest}
            print(f"{engine:30s} {page:42s} median {median:>7,} ms  max {slowest:>7,} ms", flush=True)
        close()
    report = {
        "database": str(args.db),
        "patients": patients,
        "parquet": str(folder),
        "runs": min(args.runs, len(COHORTS)),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "engines": results,
    }
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\n{patients:,} patients; wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
