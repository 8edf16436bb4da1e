"""Import benchmark: time and peak memory of importing a large cohort from Parquet and from CSV.

    python scripts/bench_import.py [--patients 1000000] [--db FILE] [--keep]

Builds (or reuses) a generated database of that many patients, exports its contract tables as
Parquet and as CSV, then imports each export with the `contract` profile in a fresh process and
reports wall time, the importer's own phases and the peak resident memory of that process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pts_explorer.importer.formats.base import TABLES, contract_columns  # noqa: E402


def ensure_db(path: Path, patients: int) -> Path:
    if not path.exists():
        trial = min(240, patients)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pts_explorer.synthetic",
                "--out",
                str(path),
                "--trial-patients",
                str(trial),
                "--registry-patients",
                str(patients - trial),
            ],
            cwd=ROOT,
            check=True,
        )
    return path


def export(db: Path, folder: Path, fmt: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    out = []
    for table in TABLES:
        target = folder / f"{table}.{fmt}"
        cols = ", ".join(contract_columns(table))
        options = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER, DELIMITER ',')"
        con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{target}' {options}")
        out.append(target)
    con.close()
    return out


PEAK = "peak_rss_kb"
# The importer in a fresh process that reports its own peak memory (RUSAGE_CHILDREN would also count
# the generator run before it).
RUN_MEASURED = (
    "import resource, runpy, sys\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_module('pts_explorer.importer', run_name='__main__')\n"
    "except SystemExit as exit:\n"
    "    code = exit.code\n"
    f"print('{PEAK}', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def timed_import(sources: list[Path], out: Path) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN_MEASURED, "--profile", "contract", "--out", str(out), *map(str, sources)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith(PEAK)), 0)
    return {
        "exit": done.returncode,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak / 1024),
        "phases": [line.removeprefix("… ") for line in done.stderr.splitlines() if line.startswith("…")],
        "result": done.stdout.splitlines()[0] if done.stdout else done.stderr[-300:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="a generated database to reuse (built if missing)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pts-bench-import-") as scratch:
        folder = Path(scratch)
        db = ensure_db(args.db or folder / "source.duckdb", args.patients)
        con = duckdb.connect(str(db), read_only=True)
        patients, visits = con.execute(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM visits)"
        ).fetchone()
        con.close()
        print(f"source: {patients:,} patients, {visits:,} visits")
        results = {"patients": patients, "visits": visits}
        for fmt in ("parquet", "csv"):
            sources = export(db, folder / fmt, fmt)
            size = sum(p.stat().st_size for p in sources) / 1e6
            result = timed_import(sources, folder / f"imported_{fmt}.duckdb")
            result["source_mb"] = round(size)
            results[fmt] = result
            print(
                f"{fmt:>8}: {size:,.0f} MB of sources imported in {result['seconds']} s, peak memory "
                f"{result['peak_rss_mb']:,} MB (exit {result['exit']})"
            )
            for phase in result["phases"]:
                print(f"          {phase}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
