"""What the ninth outside reviewer of issue 23 found in their findings 7-9 (tests/fixtures/review17: their
hand-written files, trimmed). Expected values are read off the fixtures' own records here (csv, pyreadstat), never
from the importer; whole messages compared."""

from __future__ import annotations

import csv
from pathlib import Path

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review17"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _issues(report: ImportReport, rule: str) -> list[tuple[str, str]]:
    found = report.issues[report.issues.rule == rule]
    return list(zip(found.severity, found.message, strict=True))


# --- finding 7: a contract date column mixing SAS DATE9. text with a partial date ----------------------------------

F7 = HERE / "f7_mixed_dates"


def test_a_date9_column_with_a_partial_date_is_told_the_format_and_the_partial_rule(tmp_path):
    with (F7 / "patients.csv").open(encoding="utf-8") as f:
        values = sorted({r["enrolled_on"] for r in csv.DictReader(f)})
    partial = [v for v in values if len(v) == 7]
    date9 = [v for v in values if v not in partial]
    assert (len(partial), len(date9)) == (1, 3)
    report = _run("contract", sorted(F7.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    found = _issues(report, "type:patients.enrolled_on")
    assert len(found) == len(values)  # one per record, each the same message
    assert sorted(set(found)) == [
        (
            "error",
            'patients.enrolled_on must be a date (YYYY-MM-DD). Set [dates] formats = ["%d%b%Y"]: it reads 3 of its '
            f"4 dates ({', '.join(date9)}). The other 1 ({partial[0]}) is a partial date (no day): complete it in the "
            'source, or set [dates] partial = "first" (or "middle") to complete it and count each as a warning. Both '
            "in a copy of the profile.",
        )
    ]
