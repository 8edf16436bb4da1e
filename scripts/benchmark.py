"""Server time of a filter change: a full script run (AppTest, no browser) per page, cold caches.

    python scripts/benchmark.py [DB_FILE] [RUNS]

Each run picks a new random cohort (so every query misses the cache), changes one sidebar filter
and times the rerun. Prints the one-off cost of the contract checks, then p50 / p95 / max in
milliseconds per page.
"""

import logging
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer import vocab  # noqa: E402
from pts_explorer.config import ANALYSIS_PAGES  # noqa: E402
from pts_explorer.db import open_read_only  # noqa: E402
from pts_explorer.validation import validate  # noqa: E402

PAGES = [p.script for p in ANALYSIS_PAGES]


def contract_check_cost(db: str) -> None:
    """The one-off cost of checking a file against the contract (cached per file version)."""
    con = open_read_only(Path(db))
    report = validate(con)
    con.close()
    print(
        f"contract checks: {report.rules_checked} rules in {report.seconds:.2f} s, once per file version "
        f"({len(report.errors)} errors, {len(report.warnings)} warnings)"
    )


def main(db: str, runs: int) -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["PTS_DB"] = db
    contract_check_cost(db)
    rng = np.random.default_rng(0)
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        at.switch_page(str(ROOT / page)).run()
        times = []
        for _ in range(runs):
            st.cache_data.clear()
            sites = list(rng.choice(list(vocab.SITES), size=rng.integers(1, 4), replace=False))
            low = int(rng.integers(18, 50))
            at.slider(key="age").set_value((low, int(rng.integers(low + 10, 91))))
            started = time.perf_counter()
            at.multiselect(key="site").set_value(sites).run()
            times.append(1000 * (time.perf_counter() - started))
            assert not at.exception, at.exception
        q = statistics.quantiles(times, n=20)
        print(
            f"{page:24s} runs={runs} p50={statistics.median(times):6.0f} ms  p95={q[18]:6.0f} ms  "
            f"max={max(times):6.0f} ms"
        )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "data" / "pts_outcomes.duckdb"),
        int(sys.argv[2]) if len(sys.argv) > 2 else 20,
    )
