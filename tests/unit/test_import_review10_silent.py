"""Silent losses the fourth outside reviewer of issue 23 found with deliveries written by hand
(tests/fixtures/review10_silent, see its README): each test failed before its fix. What to expect is
read off the fixture's records here (pyreadstat), never from the importer's code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.importer import Options, run_import

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review10_silent"


def _run(profile: Path | str, sources: list[Path], out: Path):
    return run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)


def _warnings(report, rule: str) -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith("  WARNING:") and f"[{rule}," in line]


def test_a_visit_whose_only_analysis_records_are_derived_is_named_not_lost_silently(tmp_path):
    adqs, _ = pyreadstat.read_xport(str(HERE / "adam04" / "adqs.xpt"))
    adqs["line"] = range(1, len(adqs) + 1)
    averaged = adqs[(adqs.DTYPE.fillna("") != "") & (adqs.ANL01FL == "Y")]
    observed = adqs[(adqs.DTYPE.fillna("") == "") & adqs.USUBJID.isin(averaged.USUBJID) & (adqs.AVISIT == "MONTH 6")]
    assert set(averaged.USUBJID) == {"PTS04-03"} and len(observed) > 0 and (observed.ANL01FL.fillna("") == "").all()
    report = _run("adam", sorted((HERE / "adam04").glob("*.xpt")), tmp_path / "a.duckdb")
    assert _warnings(report, "adam:derived_visit") == [
        f"  WARNING: adqs.xpt: line {int(averaged.line.min())}: the only records flagged for analysis "
        "(ANL01FL = 'Y') at a visit are derived (DTYPE), which are not observations, and no observed record of "
        "the visit is flagged: the visit's value is not imported. To keep it, flag the observed record to use in "
        'the data, or, if the derived records hold whole scores, set [bds] derived = "" in a copy of the profile '
        "to import them as observations [adam:derived_visit, 1]; values encountered in DTYPE: PTS04-03 MONTH 6 "
        f"(DTYPE AVERAGE, {len(averaged)} parameters)"
    ]
    observed_all = adqs[adqs.DTYPE.fillna("") == ""]
    unflagged = observed_all[(observed_all.ANL01FL.fillna("") != "Y") & (observed_all.ABLFL.fillna("") != "Y")]
    kept = len(adqs) - len(averaged) - len(unflagged)
    assert len(adqs[adqs.DTYPE.fillna("") != ""]) == len(averaged)  # every derived record is one of the visit's
    funnel = (
        f"  adqs.xpt: read {len(adqs)}, derived record, the only one flagged for analysis at its visit (DTYPE "
        f"AVERAGE...): -{len(averaged)}, not flagged for analysis (ANL01FL): -{len(unflagged)}, kept {kept}"
    )
    assert funnel in report.text().splitlines()
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    months = {m for (m,) in con.execute("SELECT visit_month FROM visits WHERE patient_id = 'PTS04-03'").fetchall()}
    con.close()
    assert 6 not in months  # the loss the warning names


def test_a_result_only_in_qsorres_is_imported_and_said(tmp_path):
    qs, _ = pyreadstat.read_xport(str(HERE / "sdtm05" / "qs.xpt"))
    qs["line"] = range(1, len(qs) + 1)
    blank = (qs.QSSTRESC.fillna("") == "") & qs.QSSTRESN.isna() & (qs.QSORRES.fillna("") != "")
    only = qs[blank]  # the delivery has no QSSTAT: no record says NOT DONE
    assert len(only) == 1
    row = only.iloc[0]
    report = _run(HERE / "pts05_sdtm_v3.toml", sorted((HERE / "sdtm05").glob("*.xpt")), tmp_path / "s.duckdb")
    assert _warnings(report, "sdtm:original_result") == [
        f"  WARNING: qs.xpt: line {int(row.line)}: no standardized result (QS QSSTRESC and QSSTRESN blank): the "
        "original result (QSORRES) is imported as the score; check that it is on the test's scale "
        f"[sdtm:original_result, 1]; values encountered in QSORRES: {row.QSORRES}"
    ]
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    (vcss,) = con.execute(
        "SELECT vcss FROM visits WHERE patient_id = $p AND visit_month = 6", {"p": row.USUBJID}
    ).fetchone()
    con.close()
    assert row.QSTESTCD == "VCSS" and vcss == int(row.QSORRES)
