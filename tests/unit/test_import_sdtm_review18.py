"""What the tenth outside reviewer of issue 23 found in the SDTM reader (findings 1, 4 and 10;
tests/fixtures/review18: their hand-written .xpt files). Expected values are read off the fixtures' own records here
(pyreadstat, the profiles' TOML), never from the importer; whole messages compared."""

from __future__ import annotations

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
