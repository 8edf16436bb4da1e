"""What an outside reviewer of issue 23 found with an ADaM package written by hand
(tests/fixtures/adam_review8, see its README): each test failed before its fix. Expectations are
read off the fixture's rows by hand, never from the importer's code."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "adam_review8"
PACKAGE = [HERE / "adsl.csv", HERE / "adqs.csv", HERE / "adae.csv"]


def _profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (HERE / "pts01.toml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "pts01-edited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(profile: Path, sources: list[Path], tmp_path: Path) -> ImportReport:
    out = tmp_path / "out.duckdb"
    return run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)


def _lines(report: ImportReport, severity: str) -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith(f"  {severity.upper()}:")]


def test_a_partial_value_map_lets_values_already_in_the_contracts_spelling_through(tmp_path):
    # The profile maps only C4A (the README's example); ADSL also holds C4a, C3, C6, C5 and C4b,
    # all in the contract's spelling: each passes unchanged.
    report = _run(HERE / "pts01.toml", PACKAGE, tmp_path)
    assert _lines(report, "error") == []
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT patient_id, ceap_c FROM patients ORDER BY patient_id").fetchall()
    finally:
        con.close()
    assert got == [
        ("PTS01-001", "C4a"),
        ("PTS01-002", "C4a"),
        ("PTS01-003", "C3"),
        ("PTS01-004", "C6"),
        ("PTS01-005", "C5"),
        ("PTS01-006", "C4b"),
        ("PTS01-009", "C4a"),
        ("PTS01-010", "C4a"),
    ]


def test_a_value_the_map_lacks_is_quoted_as_the_file_writes_it(tmp_path):
    # Without the ITT filter the screen failure (ARM "Screen Failure", not in [values.arm]) is refused:
    # the message quotes it as ADSL writes it, not upper-cased.
    report = _run(_profile(tmp_path, ('require = { ITTFL = "Y" }\n', "")), PACKAGE, tmp_path)
    assert [line for line in _lines(report, "error") if "[allowed:patients.arm" in line] == [
        "  ERROR: adsl.csv: line 9: patients.arm has values the contract does not allow: arm IN ('stent', 'medical'). "
        "Source column TRT01P ([adsl] arm): map each source value onto the contract's in [values.arm] of a copy of "
        "the profile. Patients of an arm the contract does not hold (a third arm, screen failures) can instead be "
        'left out: [population] exclude_arms, or require (e.g. ITTFL = "Y"). [allowed:patients.arm, 1]; values '
        "encountered in arm: Screen Failure"
    ]
