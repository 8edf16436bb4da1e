"""Review 7 of #23 (an outside reviewer's hand-written SDTM trial and REDCap registry): each finding on a
small hand-written delivery. The SDTM delivery is the one of test_import_sdtm_conventions (CSV text
written by hand the way a sponsor's SDTM programmer writes it); where a finding needs more, the text is
changed here, line by line, and every expected message is written out whole."""

from pathlib import Path

from pts_explorer.importer import assistant_choices
from pts_explorer.importer.formats import load
from tests.unit.test_import_sdtm_conventions import (
    AE,
    EMERGENT,
    PROFILE,
    SUPPDM,
    SUPPPR,
    _import,
    _issues,
    _on_time,
    _profile,
    _rows,
)


def _sdtm_profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = PROFILE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return _profile(tmp_path, text)


# --- 1: a visit map meant for another study ------------------------------------------------------


def test_a_visit_whose_days_say_another_month_than_the_visit_map_is_refused_naming_the_key(tmp_path):
    """Finding 1: the visit map sends VISITNUM 2 (VISIT MONTH 1, days 30-32 after RFSTDTC) to month 3.
    Each record is within the contract's 120-day window of month 3, so nothing else catches it: the
    import would put every month-1 assessment at month 3 with no error."""
    profile = _sdtm_profile(
        tmp_path,
        ("visit_months = [0, 1]", "visit_months = [0, 1, 3]"),
        ('VISITNUM = { "1" = 0, "2" = 1 }', 'VISITNUM = { "1" = 0, "2" = 3 }'),
    )
    out = tmp_path / "out.duckdb"
    report = _import(profile, _on_time(tmp_path / "sdtm"), out)
    assert not report.imported
    # 3 subjects x 13 tests at MONTH 1; their days after RFSTDTC: 30, 30 and 32 (median 30)
    assert _issues(report, "sdtm:visit_month") == [
        (
            "qs.csv",
            15,  # the first record of MONTH 1 (line 1 is the header)
            "",
            "VISITNUM",
            "MONTH 1 (VISITNUM 2)",
            "QS VISITNUM 2 (VISIT MONTH 1) is mapped to month 3 by [visits], but the median study day of its 39 "
            "records is 30 (day 0 = DM.RFSTDTC ([dm] enrolled_on)), nearest month 1: every record of this visit "
            'would be imported at the wrong month. Set [visits] VISITNUM "2" = 1 in a copy of the profile (or '
            "correct the dates in the source)",
        )
    ]
    assert report.errors == 1, report.text()
    assert not out.exists()


def test_the_visit_map_that_agrees_with_the_days_imports(tmp_path):
    report = _import(_sdtm_profile(tmp_path), _on_time(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert report.imported, report.text()
    assert _issues(report, "sdtm:visit_month") == []
    assert _rows(tmp_path / "out.duckdb", "SELECT visit_month, count(*) FROM visits GROUP BY 1 ORDER BY 1") == [
        (0, 3),
        (1, 3),
    ]


# --- 2: the assistant when no QNAM is left to offer -------------------------------------------------


def test_a_required_qualifier_with_no_unused_qnam_left_is_explained_not_a_traceback(tmp_path):
    """Finding 2: SUPPPR without BELOWIL, and each of its other QNAMs mapped to another column: the
    assistant raised ValueError (difflib's n must be > 0) instead of saying what to do."""
    supppr = "".join(line for line in SUPPPR.splitlines(keepends=True) if ",BELOWIL," not in line)
    sources = _on_time(tmp_path / "sdtm", supppr=supppr)
    profile = _sdtm_profile(tmp_path)
    report = _import(profile, sources, tmp_path / "out.duckdb")
    assert not report.imported
    found = assistant_choices.survey(load(str(profile)), sources)
    choices = [c for c in assistant_choices.sdtm_choices(load(str(profile)), found) if "qnam" in c.key]
    assert [(c.label, [o.text for o in c.options], [o.writes for o in c.options], c.default) for c in choices] == [
        (
            "[procedure] below_inguinal_ligament (required): SUPPPR has no QNAM BELOWIL",
            ["(no other QNAM in SUPPPR: each is mapped to another column; add QNAM BELOWIL to SUPPPR in the source)"],
            [()],
            None,
        )
    ]


# --- 3: partial and malformed DVT dates in SUPPDM ----------------------------------------------------

# 1002's DVT known to the month only; 1003's written without the leading zero of its month.
PARTIAL_SUPPDM = SUPPDM.replace("DVTDTC,Date of Index DVT,2020-01-20", "DVTDTC,Date of Index DVT,2019-11").replace(
    "DVTDTC,Date of Index DVT,2020-09-15", "DVTDTC,Date of Index DVT,2020-9-15"
)
# Two AEs known to the month only.
PARTIAL_AE = EMERGENT.replace("Device occlusion,2021-05-02", "Device occlusion,2021-05").replace(
    "Headache,Headache,2021-03-01", "Headache,Headache,2021-03"
)
FIRST = ("[dm]\n", '[dates]\npartial = "first"\n\n[dm]\n')


def test_partial_dvt_dates_are_imputed_with_a_warning_naming_suppdm_and_each_value(tmp_path):
    """Finding 3: SUPPDM DVTDTC "2019-11" was imputed silently (the AE ones were warned, listing one of
    their two values), and "2020-9-15", not ISO 8601, was read as 2020-09-15 without a word."""
    assert AE  # the delivery's AE, of which EMERGENT keeps the treatment-emergent records
    sources = _on_time(tmp_path / "sdtm", suppdm=PARTIAL_SUPPDM, ae=PARTIAL_AE)
    out = tmp_path / "out.duckdb"
    report = _import(_sdtm_profile(tmp_path, FIRST), sources, out)
    assert report.imported, report.text()
    assert _issues(report, "sdtm:imputed_date.*") == [
        (
            "ae.csv",
            None,
            "",
            "AESTDTC",
            "2021-03, 2021-05",
            '2 partial AE.AESTDTC ([ae] start_date) dates imputed by [dates] partial = "first" (first day of the '
            "month or year)",
        ),
        (
            "suppdm.csv",
            None,
            "",
            "DVTDTC",
            "2019-11",
            '1 partial SUPPDM.DVTDTC ([qualifiers] dvt_date) date imputed by [dates] partial = "first" (first day '
            "of the month or year)",
        ),
    ]
    assert _issues(report, "sdtm:date_not_iso.*") == [
        (
            "suppdm.csv",
            20,
            "PTS-STENT-01-1003",
            "DVTDTC",
            "2020-9-15 (read as 2020-09-15)",
            "SUPPDM.DVTDTC ([qualifiers] dvt_date) is not written as ISO 8601 (YYYY-MM-DD, two digits for month "
            "and day): read as the date in brackets; correct it in the source if that is not the date meant",
        )
    ]
    # whole months from the DVT (2019-11 -> 2019-11-01; 2020-9-15 -> 2020-09-15) to RFSTDTC
    assert _rows(out, "SELECT patient_id, months_since_dvt FROM patients ORDER BY 1") == [
        ("PTS-STENT-01-1001", 20),  # 2019-06-02 -> 2021-02-10
        ("PTS-STENT-01-1002", 15),  # 2019-11-01 -> 2021-02-24
        ("PTS-STENT-01-1003", 6),  # 2020-09-15 -> 2021-03-15
    ]


def test_a_refused_partial_dvt_date_names_suppdm_dvtdtc_and_dates_partial_not_dm(tmp_path):
    sources = _on_time(tmp_path / "sdtm", suppdm=PARTIAL_SUPPDM)
    report = _import(_sdtm_profile(tmp_path), sources, tmp_path / "out.duckdb")
    assert not report.imported
    assert _issues(report, "sdtm:partial_date.*") == [
        (
            "suppdm.csv",
            13,
            "PTS-STENT-01-1002",
            "DVTDTC",
            "2019-11",
            "SUPPDM.DVTDTC ([qualifiers] dvt_date) is a partial date: complete it in the source, or impute it with "
            '[dates] partial = "first" or "middle" in a copy of the profile',
        )
    ]
    assert _issues(report, "required:*") == []
    assert report.errors == 1, report.text()
