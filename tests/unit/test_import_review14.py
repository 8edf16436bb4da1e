"""What the seventh outside reviewer of issue 23 found (tests/fixtures/review14: their files as written, the
generators kept as *.py.txt). Expected values are read off the fixtures' own records here (pyreadstat,
openpyxl, csv), never from the importer; whole messages compared."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review14"
ADAM31 = sorted((HERE / "adam31").glob("*.xpt"))
UNPLANNED = "Unplanmäßiger Besuch"
NOT_A_VISIT_STEP = 'visit not a scheduled visit ([visits] = "")'


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _adqs():
    """ADQS as the reviewer wrote it, each record with its line (1-based, as the importer numbers an XPT's)."""
    adqs, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adqs.xpt"))
    adsl, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adsl.xpt"))
    adqs["line"] = range(1, len(adqs) + 1)
    return adqs[adqs.USUBJID.isin(set(adsl.USUBJID[adsl.ITTFL == "Y"]))]


def _profile(tmp_path: Path, name: str, extra: str) -> Path:
    path = tmp_path / name
    path.write_text((HERE / "adam31_v1.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _errors(report: ImportReport) -> list[tuple[str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.message, strict=True))


def _avalc_error(adqs) -> tuple[str, str]:
    """N2's record: AVAL blank, AVALC given, of a Villalta item."""
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    return (
        "adam:avalc",
        f'{row.USUBJID} AVISIT "{row.AVISIT}" (AVISITN {row.AVISITN:g}): PARAMCD {row.PARAMCD} ([paramcd] v_pain) has '
        f'AVAL blank while AVALC holds "{row.AVALC}": the value of a numeric parameter is read from AVAL. Give it in '
        "AVAL in the source, or set [bds] avalc_as_aval = true in a copy of the profile to read AVALC where AVAL is "
        "blank and AVALC is a number (each such record a warning)",
    )


# --- N1: a visit mapped to "" (not a scheduled visit) crashed the importer --------------------------------------


@pytest.mark.parametrize("profile", ["adam31_v2.toml", "adam31_v2_crash.toml"])
def test_a_visit_mapped_to_empty_is_set_aside_as_no_scheduled_visit(tmp_path, profile):
    """adam31 with [visits.AVISIT] "Unplanmäßiger Besuch" = "" (v2) or [visits.AVISITN] "99" = "" (v2_crash): both
    failed with "internal failure: ValueError: invalid literal for int() with base 10: ''". The visit's records
    (ANL01FL = "Y") are now set aside as no scheduled visit, a funnel step of their own, not lost; what is left is
    N2's one error (AVAL blank, AVALC given), at its record."""
    adqs = _adqs()
    unplanned = adqs[adqs.AVISIT == UNPLANNED]
    assert len(unplanned) == 14 and set(unplanned.ANL01FL) == {"Y"} and set(unplanned.AVISITN) == {99.0}
    report = _run(HERE / profile, ADAM31, tmp_path / "out.duckdb")
    assert _errors(report) == [_avalc_error(adqs)]
    steps = [(f.file, f.records, f.loss) for f in report.funnel if f.step == NOT_A_VISIT_STEP]
    assert steps == [("adqs.xpt", len(unplanned), False)]
    assert not [f for f in report.funnel if f.file == "adqs.xpt" and f.step.startswith("visit not in")]


def test_the_import_with_the_visit_set_aside_and_avalc_read_keeps_every_scheduled_visit(tmp_path):
    """adam31 with "99" = "" and [bds] avalc_as_aval = true imports; the visits are the ITT subjects' distinct
    scheduled visits of ADQS (AVISITN 10/20/30/40), PTS31-103's month 6 pain is AVALC's value, read with one
    warning naming the record."""
    profile = _profile(
        tmp_path,
        "v4.toml",
        '\n[bds]\navalc_as_aval = true\n\n[visits.AVISITN]\n"10" = 0\n"20" = 3\n"30" = 6\n"40" = 12\n"99" = ""\n',
    )
    adqs = _adqs()
    months = {10.0: 0, 20.0: 3, 30.0: 6, 40.0: 12}
    scheduled = adqs[adqs.AVISITN.isin(list(months))]
    expected = sorted({(u, months[n]) for u, n in zip(scheduled.USUBJID, scheduled.AVISITN, strict=True)})
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    out = tmp_path / "out.duckdb"
    report = _run(profile, ADAM31, out, check=False)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        visits = con.execute("SELECT patient_id, visit_month FROM visits ORDER BY 1, 2").fetchall()
        (pain,) = con.execute(
            "SELECT v_pain FROM visits WHERE patient_id = $p AND visit_month = 6", {"p": row.USUBJID}
        ).fetchone() or (None,)
    assert visits == expected and len(visits) == 29
    assert pain == int(row.AVALC)
    warned = report.issues[report.issues.rule == "adam:avalc"]
    assert list(zip(warned.severity, warned.line, warned.message, strict=True)) == [
        (
            "warning",
            row.line,
            f'{row.USUBJID} AVISIT "{row.AVISIT}" (AVISITN {row.AVISITN:g}): PARAMCD {row.PARAMCD} ([paramcd] v_pain) '
            f'has AVAL blank while AVALC holds "{row.AVALC}": imported as the value ([bds] avalc_as_aval = true)',
        )
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '\n[visits.AVISITN]\n"10" = 0\n"99" = "later"\n',
            '[visits.AVISITN] "99" = "later": the month must be a whole number of months (e.g. 3), or "" for a visit '
            "that is no scheduled one (its records are set aside, counted in the report)",
        ),
        (
            '\n[visits.AVISIT]\n"Monat 3" = 3.5\n',
            '[visits.AVISIT] "Monat 3" = 3.5: the month must be a whole number of months (e.g. 3), or "" for a visit '
            "that is no scheduled one (its records are set aside, counted in the report)",
        ),
        (
            '\n[visits.AVISITN]\n"ten" = 0\n',
            '[visits.AVISITN] "ten": the key is the AVISITN value as a number (e.g. "20" = 3)',
        ),
        (
            '\n[visits]\nAVISIT = "BASELINE"\n',
            "[visits.AVISIT] is a table of visit -> month (e.g. \"Month 3\" = 3), not 'BASELINE'",
        ),
    ],
)
def test_a_bad_value_of_a_visit_map_is_one_message_naming_key_value_and_forms(tmp_path, extra, message):
    """Any value of a visit map the importer cannot read is the profile's one error naming the key, the value and
    the forms allowed, never an internal failure."""
    report = _run(_profile(tmp_path, "bad.toml", extra), ADAM31, tmp_path / "out.duckdb")
    assert _errors(report) == [("profile", message)]


# --- N2: AVAL blank, AVALC given ---------------------------------------------------------------------------------


def test_aval_blank_with_avalc_given_names_subject_visit_parameter_avalc_and_the_key(tmp_path):
    """adam31_v3 (the visit 99 not mapped: its error stays): PTS31-103's month 6 VILPAIN has AVAL blank and
    AVALC "1". The message was the contract's "visits.v_pain is empty (NULL) ... check that the profile names the
    parameter", with no subject, visit or AVALC; it is one error at the record naming them and the key."""
    adqs = _adqs()
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    report = _run(HERE / "adam31_v3.toml", ADAM31, tmp_path / "out.duckdb")
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(set(errors.rule)) == ["adam:avalc", "adam:visit_unmapped"]
    avalc = errors[errors.rule == "adam:avalc"]
    assert list(zip(avalc.file, avalc.line, avalc.message, strict=True)) == [
        ("adqs.xpt", row.line, _avalc_error(adqs)[1])
    ]
