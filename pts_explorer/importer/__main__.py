"""python -m pts_explorer.importer: import sources into a contract database.

Exit codes: 0 imported (or, with --check, no errors), 1 rejected (the report lists every problem;
the target was not changed), 2 internal failure.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

from pts_explorer import atomic
from pts_explorer.importer.formats import builtin_names
from pts_explorer.importer.pipeline import Options, run_import
from pts_explorer.importer.report import write_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pts_explorer.importer",
        description="Import trial or registry exports into a PTS outcomes database (see README: Use your own data).",
    )
    parser.add_argument("--profile", required=True, help=f"{', '.join(builtin_names())}, or a profile .toml path")
    parser.add_argument("--out", required=True, type=Path, help="the database file to write (replaced atomically)")
    parser.add_argument("--name", help="the dataset's name, when no dataset_info table or dataset.toml gives one")
    said = parser.add_mutually_exclusive_group()
    said.add_argument(
        "--real",
        dest="synthetic",
        action="store_false",
        default=None,
        help="the data are real patients' (needed when no dataset_info table or dataset.toml says)",
    )
    said.add_argument("--synthetic", dest="synthetic", action="store_true", help="the data are synthetic (simulated)")
    parser.add_argument("--check", action="store_true", help="check the sources only; write nothing")
    parser.add_argument("--report-csv", type=Path, help="write every issue as CSV here")
    parser.add_argument("--report-html", type=Path, help="write the report as one self-contained HTML file here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal failure")
    parser.add_argument("sources", nargs="+", type=Path, help="files, workbooks or .zip archives")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.sources if not p.is_file()]
    if missing:
        print(f"rejected: no such file: {', '.join(missing)}", file=sys.stderr)
        return 1
    progress = (lambda _: None) if args.quiet else (lambda line: print(f"… {line}", file=sys.stderr))
    try:
        report = run_import(
            args.profile, args.sources, args.out, Options(args.name, args.check, synthetic=args.synthetic), progress
        )
        write_files(report, args.report_csv, args.report_html)
    except Exception as exc:
        if atomic.disk_full(exc):  # the machine's state, not a failure of the importer: say what to free
            print(
                f"failed: the disk is full (No space left on device) in the folder of {args.out.name} or in the "
                "temporary folder ($TMPDIR): free space there and import again.",
                file=sys.stderr,
            )
            print(f"{args.out} was not changed.", file=sys.stderr)
            return 2
        logging.getLogger(__name__).debug("internal failure", exc_info=True)
        print(f"internal failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        print(f"{args.out} was not changed.", file=sys.stderr)
        return 2
    print(report.text())
    failed = report.errors > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
