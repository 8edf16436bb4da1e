"""What the third outside reviewer of issue 23 found with deliveries written by hand
(tests/fixtures/review9, see its README): each test failed before its fix. Expected counts are
read off the fixture's records here (pyreadstat, csv), never from the importer's code."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review9"
ENDPOINT = ('TTHEAL = "ulcer_healed"', 'TTHEAL = "ulcer_healing"')
AVISITN_MAP = '\n[visits.AVISITN]\n"0" = 0\n"26" = 6\n"52" = 12\n'


def _profile(tmp_path: Path, *edits: tuple[str, str], name: str = "pts02-adam.toml") -> Path:
    text = (HERE / name).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"edited-{name}"
    path.write_text(text, encoding="utf-8")
    return path


def WORKING(tmp_path: Path) -> Path:  # noqa: N802 (the reviewer's profile, its ADTTE endpoint corrected)
    return _profile(tmp_path, ENDPOINT)


def _run(profile: Path | str, sources: list[Path], tmp_path: Path) -> ImportReport:
    return run_import(profile, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)


def _lines(report: ImportReport, severity: str) -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith(f"  {severity.upper()}:")]


def _adam(delivery: str) -> list[Path]:
    return sorted((HERE / delivery).glob("*.xpt"))


def _analysed_at(delivery: str, dataset: str, avisit: str) -> tuple[int, list[int]]:
    """Records of the ITT subjects flagged ANL01FL = "Y", not derived, at this AVISIT: how many, and
    their lines (1-based, as the importer numbers an XPT's records)."""
    adsl, _ = pyreadstat.read_xport(str(HERE / delivery / "adsl.xpt"))
    itt = set(adsl.USUBJID[adsl.ITTFL == "Y"])
    df, _ = pyreadstat.read_xport(str(HERE / delivery / f"{dataset}.xpt"))
    df["line"] = range(1, len(df) + 1)
    kept = df[df.USUBJID.isin(itt) & (df.ANL01FL == "Y") & (df.DTYPE.fillna("") == "") & df.AVISIT.eq(avisit)]
    return len(kept), list(kept.line)


def _unmapped(file: str, lines: list[int], avisit: str, weeks: int, month: int) -> str:
    shown = ", ".join(map(str, lines[:5])) + (f" ({len(lines) - 5} more)" if len(lines) > 5 else "")
    n = len(lines)
    return (
        f'  ERROR: {file}: lines {shown}: {n} records flagged for analysis (ANL01FL = "Y") at visit AVISIT "{avisit}" '
        f"/ AVISITN {weeks}, which neither [visits.AVISIT] nor [visits.AVISITN] of the profile maps: they would not "
        "be imported (an unscheduled visit is set aside only when its AVISIT says UNSCHEDULED or it is not flagged "
        f'for analysis). Map the visit to its month in a copy of the profile, e.g. [visits.AVISIT] "{avisit}" = '
        f'{month}, or by AVISITN: [visits.AVISITN] "{weeks}" = {month} ({weeks} weeks / 4.35 = {weeks / 4.35:.1f} '
        f"months; the nearest month of [study] visit_months is {month}); a profile's [visits] replaces the "
        f"built-in's whole, so copy the keys it still needs [adam:visit_unmapped, {n}]; values encountered in "
        f"AVISIT: {avisit} / AVISITN {weeks}"
    )


def test_analysed_records_at_a_visit_no_map_knows_refuse_the_import_naming_visit_keys_and_month(tmp_path):
    # adam02c: AVISITN counts weeks (0/26/52); AVISIT says "Week 26"/"Week 52" for even-numbered
    # patients in both ADQS files, every such record ANL01FL = "Y". Without [visits.AVISITN] half the
    # follow-up visits were dropped as unscheduled and the import succeeded.
    report = _run(_profile(tmp_path, (AVISITN_MAP, "\n"), ENDPOINT), _adam("adam02c"), tmp_path)
    expected = []
    for file in ("adqsvcss", "adqsvil"):
        for avisit, weeks, month in (("Week 26", 26, 6), ("Week 52", 52, 12)):
            n, lines = _analysed_at("adam02c", file, avisit)
            assert n == len(lines) > 0
            expected.append(_unmapped(f"{file}.xpt", lines, avisit, weeks, month))
    assert _lines(report, "error") == expected
    assert not report.imported


def test_the_unmapped_visit_is_the_one_error_not_the_empty_items_it_leaves_in_the_other_file(tmp_path):
    # adam02b: only ADQSVIL says "Week 26"; ADQSVCSS says "Month 6" for everyone. The Villalta items
    # of the even patients' month-6 visit are empty because their ADQSVIL records are at the unmapped
    # visit: that visit is the error, not "adqsvcss.xpt: visits.v_pain is empty ... [paramcd] v_pain".
    report = _run(_profile(tmp_path, (AVISITN_MAP, "\n"), ENDPOINT), _adam("adam02b"), tmp_path)
    expected = []
    for avisit, weeks, month in (("Week 26", 26, 6), ("Week 52", 52, 12)):
        _, lines = _analysed_at("adam02b", "adqsvil", avisit)
        expected.append(_unmapped("adqsvil.xpt", lines, avisit, weeks, month))
    assert _lines(report, "error") == expected


def test_with_the_visit_mapped_every_visit_and_event_is_imported(tmp_path):
    # The reviewer's working profile: 12 ITT patients, 34 visits at months 0/6/12 (counted by hand in
    # expected.json), a baseline for each.
    report = _run(WORKING(tmp_path), _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == []
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        visits = con.execute("SELECT count(*), count(*) FILTER (WHERE visit_month = 0) FROM visits").fetchone()
    finally:
        con.close()
    assert visits == (34, 12)


def test_an_adtte_value_that_is_no_endpoint_the_app_derives_is_refused_naming_the_allowed_ones(tmp_path):
    # The reviewer mapped [adtte] TTHEAL = "ulcer_healed" (the event, not the endpoint ulcer_healing):
    # the import accepted it and the Data checks page then crashed on it.
    report = _run(HERE / "pts02-adam.toml", _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == [
        '  ERROR: adtte.xpt: [adtte] TTHEAL = "ulcer_healed" is not an endpoint the app derives, so the sponsor\'s '
        "TTHEAL cannot be reconciled with it: in a copy of the profile set it to one of primary_patency, "
        "assisted_primary_patency, secondary_patency, freedom_from_reintervention, ulcer_healing, "
        "freedom_from_recurrent_dvt (did you mean ulcer_healing?), or remove the key (TTHEAL is then kept "
        "unreconciled) [adam:adtte_endpoint, 1]"
    ]


def test_a_stent_only_event_in_the_medical_arm_is_a_warning_naming_patient_event_file_and_line(tmp_path):
    # sdtm03: PTS03-008 (ARM "Best medical therapy") has the AE "In-stent restenosis", which the profile
    # maps to restenosis; it was imported without a word.
    profile = HERE / "sdtm03_v1.toml"
    mapped = tomllib.loads(profile.read_text(encoding="utf-8"))["values"]["event_type"]
    terms = {k.upper(): v for k, v in mapped.items()}
    dm, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "dm.xpt"))
    medical = set(dm.USUBJID[dm.ARM == "Best medical therapy"])
    ae, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "ae.xpt"))
    stent_only = {"stent_thrombosis", "restenosis", "stent_migration", "patency_restored", "reintervention"}
    found = [
        (line, subject, terms[term.upper()])
        for line, (subject, term) in enumerate(zip(ae.USUBJID, ae.AEDECOD, strict=True), 1)
        if subject in medical and terms.get(term.upper()) in stent_only
    ]
    assert found == [(5, "PTS03-008", "restenosis")]
    report = _run(profile, sorted((HERE / "sdtm03").glob("*.xpt")), tmp_path)
    assert [line for line in _lines(report, "warning") if "[arm:events" in line] == [
        f"  WARNING: ae.xpt: line {line}: patient {subject} is in the medical arm but has the event {event}, which "
        "only a stent can have: imported as it is, Safety counts it in the medical arm; check the patient's arm or "
        f"the event's term [arm:events, 1]; values encountered in event_type: {event}"
        for line, subject, event in found
    ]


def _records(delivery: str, dataset: str):
    df, _ = pyreadstat.read_xport(str(HERE / delivery / f"{dataset}.xpt"))
    df["line"] = range(1, len(df) + 1)
    return df


def test_warnings_of_a_split_adqs_name_the_dataset_the_record_came_from(tmp_path):
    # With ADQS split into ADQSVIL and ADQSVCSS, the screening baseline and the healed ulcer were both
    # reported against adqsvcss.xpt (the first file of the visit), though the ulcer status is in ADQSVIL
    # and each file has its own screening record.
    profile = _profile(tmp_path, ENDPOINT, ("ulcer_healed = true", "ulcer_healed = false"))
    report = _run(profile, _adam("adam02b"), tmp_path)
    early = []
    for dataset in ("adqsvcss", "adqsvil"):
        df = _records("adam02b", dataset)
        before = df[(df.ABLFL == "Y") & (df.ADY < 0)]
        for _, first in before.groupby("USUBJID").line.min().items():
            early.append(
                f"  WARNING: {dataset}.xpt: line {first}: baseline assessed before the reference date ([adsl] "
                "enrolled_on): held on day 0 ([bds] early_baseline) [adam:early_baseline, 1]; values encountered in "
                f"visit_day: {before.ADY.iloc[0]:.1f}"  # ADY < 0 is the day itself (no day 0)
            )
    ulcer = _records("adam02b", "adqsvil")
    ulcer = ulcer[(ulcer.PARAMCD == "ULCER") & ((ulcer.ABLFL == "Y") | (ulcer.ANL01FL == "Y"))].sort_values(
        ["USUBJID", "ADY"]
    )
    healed = ulcer[(ulcer.AVALC == "N") & (ulcer.groupby("USUBJID").AVALC.shift() == "Y")].line.tolist()
    assert len(early) == 2 and len(healed) == 2
    assert [line for line in _lines(report, "warning") if "early_baseline" in line or "events:healing" in line] == [
        *early,
        f"  WARNING: adqsvil.xpt: lines {healed[0]}, {healed[1]}: the visits show this ulcer healed, but no "
        "ulcer_healed event lies between the two visits: map the healing event (an AE term, parameter or field), or "
        "set [derive] ulcer_healed = true in a copy of the profile to derive it from the visits' ulcer status "
        "[events:healing, 2]; values encountered in ulcer_present: false",
    ]
