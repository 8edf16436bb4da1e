"""All problems at once for a REDCap export whose visit field holds visit numbers, not months
(issue #23 item 10): tests/fixtures/redcap_classic_codes, a classic project written by hand the way a
REDCap builder writes one, with the profile its data manager wrote for the project's first version.
Four problems, each a different profile key: the visit field `fu_visit` coded 1-4 (visit numbers),
a Villalta item `vil_cramps` rebuilt with codes 1-4, arm choices the profile does not map, and a
CEAP field renamed since the profile was written. The first check names all four (before, the
visit-month refusal stopped the mapping, and the arm's map was reported only on the next try);
with the four keys set as the messages say, the export imports, each value recomputed here from
the CSV files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.formats.base import LATER
from tests.databases import VILLALTA_ORDER

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_classic_codes"
EXPORT = HERE / "VenousClinic_DATA_2024-05-02_0931.csv"
DICTIONARY = HERE / "VenousClinic_DataDictionary_2024-05-02.csv"
PROFILE = HERE / "venous-clinic.toml"
ITEMS = VILLALTA_ORDER


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _choices(field: str) -> str:
    """A field's choices as the dictionary writes them, "code, label | ..." (its own text)."""
    return next(r for r in _rows(DICTIONARY) if r["Variable / Field Name"] == field)[
        "Choices, Calculations, OR Slider Labels"
    ]


def _run(profile: Path, out: Path, check: bool):
    return run_import(
        profile, [EXPORT, DICTIONARY], out, Options(synthetic=True, check_only=check), progress=lambda _: None
    )


def test_the_visit_month_refusal_is_one_error_among_all_the_others(tmp_path):
    report = _run(PROFILE, tmp_path / "refused.duckdb", check=True)
    assert not report.imported
    records = [r for r in _rows(EXPORT) if not r["redcap_repeat_instrument"]]
    visits = " | ".join(part.strip() for part in _choices("fu_visit").split("|"))
    cramps = " | ".join(part.strip() for part in _choices("vil_cramps").split("|"))
    errors = [(r.rule, r.file, r.column, r.message) for r in report.rules if r.severity == "error"]
    assert sorted(errors) == sorted(
        [
            (
                "columns:VenousClinic_DATA_2024-05-02_0931",
                EXPORT.name,
                "",
                "the export lacks column(s) 'ceap_class' ([fields] ceap_c); the profile maps them: set each key to the "
                "field's name in a copy of profile 'venous-clinic', or export the field; the export is checked "
                f"without them; {LATER}",
            ),
            (
                "redcap:unmapped",
                EXPORT.name,
                "",
                f"{len(records)} of {len(records)} records hold choices of 'randomised_to' with no value in "
                "patients.arm (1 (Stenting), 2 (Conservative)): map them in [values.arm] of a copy of the profile "
                "(each to one of stent, medical)",
            ),
            (
                "redcap:codes",
                DICTIONARY.name,
                "fu_visit",
                f"field 'fu_visit' (visit_month) has choices {visits} whose codes are not months of [study] "
                "visit_months [0, 6, 12]: map each code to its value in [values.visit_month] of a copy of the profile "
                '(e.g. "1" = ...); a choice that is no scheduled visit (an unscheduled visit) maps to "" (e.g. "4" = '
                '""): its visits are not imported, each named in a warning; the visits are read once the codes are '
                "months (the other fields are checked now)",
            ),
            (
                "redcap:codes",
                DICTIONARY.name,
                "vil_cramps",
                f"field 'vil_cramps' (v_cramps) has choices {cramps} whose codes are not Villalta scores 0-3 "
                "(0 Absent, 1 Mild, 2 Moderate, 3 Severe): map each code to its value in [values.v_cramps] of a copy "
                'of the profile (e.g. "1" = ...); its values are checked once its codes are mapped',
            ),
        ]
    )
    # The visits wait for their months: no "no visit" or "no baseline" error, and none per visit.
    assert not {"coverage:no_visits", "coverage:baselines", "baseline:visits"} & set(report.issues.rule)
    assert "redcap:visit" not in set(report.issues.rule)


FIXES = """
[values.arm]
Stenting = "stent"
Conservative = "medical"

[values.visit_month]
1 = "0"
2 = "6"
3 = "12"
4 = ""

[values.v_cramps]
1 = "0"
2 = "1"
3 = "2"
4 = "3"
"""


def test_with_the_keys_the_refusal_names_the_export_imports_faithfully(tmp_path):
    profile = tmp_path / "venous-clinic-v2.toml"
    text = PROFILE.read_text(encoding="utf-8")
    assert text.count('ceap_c = "ceap_class"') == 1
    profile.write_text(text.replace('ceap_c = "ceap_class"', 'ceap_c = "ceap"') + FIXES, encoding="utf-8")
    out = tmp_path / "imported.duckdb"
    report = _run(profile, out, check=False)
    assert report.imported, report.text()

    rows = _rows(EXPORT)
    patients = {r["record_id"]: r for r in rows if not r["redcap_repeat_instrument"]}
    arm = {"1": "stent", "2": "medical"}
    site = {"1": "Leeds", "2": "York"}
    ceap = {"0": "C0", "1": "C1", "2": "C2", "3": "C3", "4": "C4a", "5": "C4b", "6": "C5", "7": "C6"}
    month = {"1": 0, "2": 6, "3": 12}  # "4, Unscheduled": not imported
    expected_visits = sorted(
        (
            r["record_id"],
            month[r["fu_visit"]],
            (date.fromisoformat(r["visit_date"]) - date.fromisoformat(patients[r["record_id"]]["enroll_date"])).days,
            *(int(r[f"vil_{i}"]) - (1 if i == "cramps" else 0) for i in ITEMS),
            r["ulcer_present"] == "1",
            int(r["vcss"]),
        )
        for r in rows
        if r["redcap_repeat_instrument"] == "follow_up" and r["fu_visit"] in month
    )
    expected_patients = sorted(
        (pid, arm[p["randomised_to"]], site[p["site"]], ceap[p["ceap"]]) for pid, p in patients.items()
    )
    con = duckdb.connect(str(out), read_only=True)
    try:
        got_patients = con.execute("SELECT patient_id, arm, center_id, ceap_c FROM patients ORDER BY 1").fetchall()
        got_visits = con.execute(
            f"SELECT patient_id, visit_month, visit_day, {', '.join(f'v_{i}' for i in ITEMS)}, ulcer_present, vcss "
            "FROM visits ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()
    assert got_patients == expected_patients
    assert got_visits == expected_visits
    unscheduled = [r for r in rows if r.get("fu_visit") == "4"]
    assert len(unscheduled) == 1
    assert [tuple(x) for x in report.issues[report.issues.rule == "redcap:visit"][["record", "value"]].values] == [
        (r["record_id"], "4") for r in unscheduled
    ]
