"""What the tenth outside reviewer of issue 23 found in the SDTM reader (findings 1, 4 and 10;
tests/fixtures/review18: their hand-written .xpt files). Expected values are read off the fixtures' own records here
(pyreadstat, the profiles' TOML), never from the importer; whole messages compared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport
from pts_explorer.vocab import VILLALTA_ITEMS

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review18"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _xpt(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(path))
    frame["line"] = range(1, len(frame) + 1)
    return frame


def _issues(report: ImportReport, rule: str) -> list[tuple]:
    found = report.issues[report.issues.rule == rule]
    return sorted(zip(found.severity, found.file, found.line, found.value, found.message, strict=True))


def _visit_months(profile: Path) -> dict[float, int]:
    return {float(k): int(m) for k, m in tomllib.loads(profile.read_text())["visits"]["VISITNUM"].items()}


def _supp(folder: Path, qnam: str) -> dict[str, str]:
    supp = _xpt(folder / "suppdm.xpt")
    supp = supp[qnam == supp.QNAM]
    return dict(zip(supp.USUBJID, supp.QVAL, strict=True))


# --- finding 1: both legs scored, the leg in QS.QSLAT, times in QSDTC ----------------------------------------------

F1 = HERE / "F1_sdtm_leg_in_QSLAT"
F1_PROFILE = F1 / "sdtm_st02.toml"
BUILTIN = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "pts_explorer" / "importer" / "formats" / "sdtm.toml").read_text()
)
CODES = {code: column for column, code in BUILTIN["qs"]["testcd"].items()}


def _index_leg_visits(folder: Path) -> pd.DataFrame:
    """Per subject and month, each Villalta item, VCSS and the total from the records of the index limb (SUPPDM
    INDEXLAT) at the visits the profile maps; the other leg's records left out."""
    qs = _xpt(folder / "qs.xpt")
    index = _supp(folder, "INDEXLAT")
    months = _visit_months(F1_PROFILE)
    qs = qs[qs.VISITNUM.isin(list(months)) & (qs.USUBJID.map(index) == qs.QSLAT)].copy()
    qs["month"] = qs.VISITNUM.map(months)
    qs["column"] = qs.QSTESTCD.map(CODES)
    # The score: QSSTRESN, or QSSTRESC where QSSTRESN is blank (PTS-ST02-001's month-1 VILPAIN).
    qs["score"] = qs.QSSTRESN.fillna(pd.to_numeric(qs.QSSTRESC, errors="coerce"))
    numeric = qs[qs.column.isin([*VILLALTA_ITEMS, "vcss", "villalta_total"])]
    assert not numeric.duplicated(["USUBJID", "month", "column"]).any()  # one record per leg, test and visit
    wide = numeric.pivot(index=["USUBJID", "month"], columns="column", values="score").round().astype("Int64")
    return wide.sort_index()


def _imported_visits(db: Path, columns: list[str]) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        got = con.execute(
            f"SELECT patient_id AS USUBJID, CAST(visit_month AS BIGINT) AS month, {', '.join(columns)} FROM visits"
        ).df()
    got = got.set_index(["USUBJID", "month"]).sort_index()
    got.columns.name = "column"
    return got.astype("Int64")


def test_both_legs_with_the_leg_in_qslat_import_the_index_legs_records(tmp_path):
    """The other leg's records (all items 0, 5 minutes later) were taken as retests and replaced the index leg's at
    every visit, with a "retest" warning (month 12: stent 0.0 and medical 0.0 instead of 1.3 and 16.0). QSLAT, named
    by the built-in [qs] laterality, now gives each record's leg: every visit holds the index limb's values, with
    the times (QSDTC 10:00, 10:05) and without (date only)."""
    expected = _index_leg_visits(F1)
    dm = _xpt(F1 / "dm.xpt")
    arm = dict(zip(dm.USUBJID, dm.ARM.str.upper().map(BUILTIN["values"]["arm"]), strict=True))
    month12 = expected.xs(12, level="month").villalta_total.groupby(lambda s: arm[s]).mean().round(1).to_dict()
    assert month12 == {"medical": 16.0, "stent": 1.3}  # as the reviewer computed it
    qs = _xpt(F1 / "qs.xpt")
    index = _supp(F1, "INDEXLAT")
    other = int((qs.USUBJID.map(index).notna() & (qs.USUBJID.map(index) != qs.QSLAT)).sum())
    for folder in (F1, F1 / "dateonly"):
        assert _index_leg_visits(folder).equals(expected)  # the date-only copy holds the same values
        out = tmp_path / f"{folder.name}.duckdb"
        report = _run(F1_PROFILE, sorted(folder.glob("*.xpt")), out)
        assert report.imported, report.issues[report.issues.severity == "error"].message.tolist()
        assert _issues(report, "sdtm:retest") == []
        assert _imported_visits(out, list(expected.columns)).equals(expected)
        steps = {(r.file, r.step): r.records for r in report.funnel}
        assert steps[("qs.xpt", "the other leg: not the index limb (patients.limb_side; [qs] laterality)")] == other


def test_both_legs_in_qslat_unread_by_the_profile_are_refused_naming_qslat_and_the_key(tmp_path):
    """A profile whose [qs] laterality does not name QSLAT: the two legs' records are never taken as retests (with
    times) nor refused with advice to build a SUPPQS (date only): one error names QS.QSLAT, its two legs and the
    key that reads it."""
    profile = tmp_path / "leg.toml"
    profile.write_text(F1_PROFILE.read_text() + '\n[qs]\nlaterality = ["LEG"]\n')
    for folder in (F1, F1 / "dateonly"):
        qs = _xpt(folder / "qs.xpt")
        qs = qs[qs.VISITNUM.isin(list(_visit_months(F1_PROFILE)))]
        # Each pair (subject, visit, test) of the two legs: the record set aside is the one with the lower QSSEQ.
        pairs = qs.sort_values("QSSEQ").groupby(["USUBJID", "VISITNUM", "QSTESTCD"])
        assert set(pairs.QSLAT.nunique()) == {2}
        second = pairs.head(1)
        visits = second.drop_duplicates(["USUBJID", "VISIT"]).sort_values(["USUBJID", "VISIT"])
        report = _run(profile, sorted(folder.glob("*.xpt")), tmp_path / "out.duckdb")
        assert not report.imported
        assert _issues(report, "sdtm:retest") == []
        assert _issues(report, "sdtm:same_time_results") == []
        assert _issues(report, "sdtm:two_legs") == [
            (
                "error",
                "qs.xpt",
                int(second.line.min()),
                ", ".join(f"{s} {v}" for s, v in zip(visits.USUBJID, visits.VISIT, strict=True)),
                f"{len(second)} records at {len(visits)} visits are a second result of a test at one visit with "
                "another QS.QSLAT (LEFT and RIGHT): the two legs, never a retest of each other. [qs] laterality "
                '(now LEG) does not name QSLAT: add it there in a copy of the profile (laterality = ["QSLAT"]), and '
                "the index limb's records (patients.limb_side) are imported, the other leg's set aside",
            )
        ]


# --- finding 4: RFSTDTC blank for the whole control arm of a device trial ------------------------------------------

F4 = HERE / "F4_sdtm_control_arm_blank_RFSTDTC"


def _iso(value: str) -> pd.Timestamp | None:
    """The date an ISO 8601 --DTC value starts with, or None."""
    return pd.Timestamp(value[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", str(value)) else None


def test_a_control_arm_without_rfstdtc_is_refused_naming_the_arm_and_the_dates_it_has(tmp_path):
    """RFSTDTC is the stent's date, blank for the medical arm: the check passed, and the import held 3 stent patients
    as a randomized trial, the medical arm lumped with the screen failures in one warning. Now an error names the
    arm, its subjects, RFSTDTC and [population] exclude_blank_reference_date, and the DM date that fixes it as the
    [dm] enrolled_on key (one never after RFSTDTC where a subject has both: RFENDTC is an end)."""
    dm = _xpt(F4 / "dm.xpt")
    dm["arm_to"] = dm.ARM.str.upper().map(BUILTIN["values"]["arm"])
    undated = dm[dm.arm_to.notna() & (dm.RFSTDTC.str.strip() == "")]
    assert set(undated.arm_to) == {"medical"} and set(dm[dm.RFSTDTC.str.strip() != ""].arm_to) == {"stent"}
    named = {v.upper() for v in BUILTIN["dm"].values()}
    candidates = [
        c
        for c in dm.columns
        if c.endswith("DTC")
        and c not in named
        and all(_iso(v) for v in undated[c])
        and all(_iso(v) <= _iso(s) for v, s in zip(dm[c], dm.RFSTDTC, strict=True) if _iso(v) and _iso(s))
    ]
    assert candidates == ["RFICDTC"]
    supp = _xpt(F4 / "suppdm.xpt")
    supp = supp[supp.USUBJID.isin(undated.USUBJID) & supp.QVAL.map(lambda v: _iso(v) is not None)]
    qnams = sorted(q for q, g in supp.groupby("QNAM") if set(g.USUBJID) == set(undated.USUBJID))
    assert qnams == ["RANDDTC"]
    report = _run(F4 / "sdtm_st02.toml", sorted(F4.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    assert not report.imported
    found = report.issues[report.issues.rule == "sdtm:population_arm"]
    assert list(zip(found.severity, found.file, found.record, found.value, found.message, strict=True)) == [
        (
            "error",
            "dm.xpt",
            ", ".join(sorted(undated.USUBJID)),
            ", ".join(sorted(set(undated.ARM))),
            f"the medical arm ({', '.join(sorted(set(undated.ARM)))} in DM.ARM ([dm] arm)) loses all its "
            f"{len(undated)} subjects to [population] exclude_blank_reference_date: DM.RFSTDTC ([dm] enrolled_on) is "
            "blank for them. Every study day counts from that date: set [dm] enrolled_on to a date these subjects "
            "have (randomization or consent; in a device trial RFSTDTC, the first study treatment, is blank for the "
            'control arm) in a copy of the profile. DM.RFICDTC ([dm] enrolled_on = "RFICDTC") holds a date for each '
            f"of them; SUPPDM QNAM {qnams[0]} holds one too, which [dm] enrolled_on cannot read (it names a DM "
            "variable). Or, if the arm is not to be imported, leave it out with [population] exclude_arms",
        )
    ]
    # The key it names imports both arms, each subject's reference date RFICDTC.
    out = tmp_path / "rficdtc.duckdb"
    fixed = _run(F4 / "sdtm_st02_rficdtc.toml", sorted(F4.glob("*.xpt")), out)
    assert fixed.imported
    randomized = dm[dm.arm_to.notna()].sort_values("USUBJID")
    with duckdb.connect(str(out), read_only=True) as con:
        got = con.execute("SELECT patient_id, arm, CAST(enrolled_on AS VARCHAR) FROM patients ORDER BY 1").fetchall()
    assert got == list(zip(randomized.USUBJID, randomized.arm_to, randomized.RFICDTC, strict=True))


# --- finding 10: words in QSSTRESC for one subject's Villalta items --------------------------------------------------

F10 = HERE / "F10_sdtm_labels_in_QSSTRESC"


def test_words_in_qsstresc_are_one_message_per_test_code_with_the_count_and_first_records(tmp_path):
    """PTS-ST02-002's Villalta items hold "Mild", "Severe"... in QSSTRESC, QSSTRESN blank: 55 error lines, one per
    record, each with its own subject and visit. Now every record of a test code carries one message (the report
    prints one line per code): the count of records and subjects, and the first three by line."""
    qs = _xpt(F10 / "qs.xpt")
    months = _visit_months(F10 / "sdtm_st02.toml")
    words = qs[
        qs.VISITNUM.isin(list(months))
        & qs.QSSTRESN.isna()
        & pd.to_numeric(qs.QSSTRESC, errors="coerce").isna()
        & qs.QSTESTCD.map(CODES).isin(VILLALTA_ITEMS)
    ]
    assert len(words) == 55 and words.QSTESTCD.nunique() == 11
    expected = []
    for code, group in words.groupby("QSTESTCD"):
        item = CODES[code]
        group = group.sort_values("line")
        where = [f"USUBJID {s}, VISIT {v}" for s, v in zip(group.USUBJID, group.VISIT, strict=True)]
        n, subjects = len(group), group.USUBJID.nunique()
        said = (
            where[0]
            if n == 1
            else f"{n} records of {subjects} subject{'s' if subjects > 1 else ''}: {'; '.join(where[:3])}"
            + (f" and {n - 3} more" if n > 3 else "")
        )
        message = (
            f"visits.{item} must be a whole number in range ({said}). Source records QSTESTCD = {code} ([qs.testcd] "
            f"{item}): check that it holds this, or give a [values.{item}] map."
        )
        expected += [
            (f"type:visits.{item}", "qs.xpt", line, value, message)
            for line, value in zip(group.line, group.QSSTRESC, strict=True)
        ]
    report = _run(F10 / "sdtm_st02.toml", sorted(F10.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    found = report.issues[report.issues.rule.str.startswith("type:")]
    assert sorted(zip(found.rule, found.file, found.line, found.value, found.message, strict=True)) == sorted(expected)
    assert len({m for m in found.message}) == 11  # one message per test code
    printed = [line for line in report.text().splitlines() if line.startswith("  ERROR: qs.xpt") and "type:" in line]
    assert len(printed) == 11
