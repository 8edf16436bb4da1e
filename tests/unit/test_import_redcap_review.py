"""A REDCap project an outside reviewer built by hand (tests/fixtures/redcap_review23/, see its
README): the findings of the issue #23 review, each recomputed here from the CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pts_explorer.importer import Options, run_import

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_review23"
EVENTS = {"enrolment_arm_1": 0, "month_6_arm_1": 6, "month_12_arm_1": 12}


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _choices(dictionary: str, field: str) -> dict[str, str]:
    row = next(r for r in _rows(dictionary) if r["Variable / Field Name"] == field)
    pairs = [p.strip().partition(",") for p in row["Choices, Calculations, OR Slider Labels"].split("|")]
    return {code.strip(): label.strip() for code, _, label in pairs}


def _import(tmp_path: Path, profile: Path | str, *names: str, check: bool = True):
    out = tmp_path / "out.duckdb"
    options = Options(synthetic=True, check_only=check)
    return run_import(profile, [HERE / n for n in names], out, options, progress=lambda _: None), out


def _errors(report) -> list[tuple[str, str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return [(r.rule, r.file, r.message) for r in errors.itertuples()]


@pytest.fixture(scope="module")
def export_v2() -> list[dict[str, str]]:
    return _rows("records_raw_v2.csv")


def test_an_optional_coded_field_without_a_value_map_is_refused_not_emptied(tmp_path, export_v2):
    """Finding 2: the stockings labels ("Never", "Some days", "Every day") are no value of
    visits.compression_use and the profile's [values.compression_use] maps other labels: every
    visit's value would be left empty. That is a missing map, refused naming the field, the choices
    and the key (it was an import with compression_use empty in every visit and one warning)."""
    report, _ = _import(tmp_path, HERE / "redcap-values.toml", "records_raw_v2.csv", "dictionary.csv")
    other = {r["record_id"] for r in export_v2 if r["redcap_event_name"] == "enrolment_arm_1" and r["treatment"] == "3"}
    visits = [
        r
        for r in export_v2
        if r["redcap_event_name"] in EVENTS
        and not r["redcap_repeat_instrument"]
        and r["visit_date"]
        and r["record_id"] not in other
    ]
    held = [r for r in visits if r["stockings"]]
    labels = _choices("dictionary.csv", "stockings")
    seen = ", ".join(f"{c} ({labels[c]})" for c in sorted({r["stockings"] for r in held}))
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:unmapped",
            "records_raw_v2.csv",
            f"{len(held)} of {len(held)} visits hold choices of 'stockings' with no value in visits.compression_use "
            f"({seen}): map them in [values.compression_use] of a copy of the profile (each to one of none, "
            'intermittent, daily), or leave the optional field out ([fields] compression_use = "")',
        )
    ]
