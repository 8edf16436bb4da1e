"""The Import page's assistant on what the seventh outside review of issue 23 found (tests/fixtures/review14, the
reviewer's files as written)."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from pts_explorer.importer.assistant_choices import NOT_A_VISIT
from tests.app.import_page import verdict
from tests.app.test_import_sdtm_assistant import downloads  # noqa: F401 (a fixture)

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review14"
ADAM31 = sorted((HERE / "adam31").glob("*.xpt"))
UNPLANNED = "Unplanmäßiger Besuch"


def _box(at, key: str):
    return next(b for b in at.selectbox if b.key == key)


def _save_and_check(at) -> None:
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception


def test_not_a_scheduled_visit_is_written_and_the_downloaded_profile_imports_on_the_command_line(
    app_on,
    small_db,
    tmp_path,
    downloads,  # noqa: F811
):
    """N1 (b) and N2: adam31 with adam31_v1.toml uploaded. The AVISIT "Unplanmäßiger Besuch" (AVISITN 99, every
    record ANL01FL = "Y") was pre-chosen "not a scheduled visit", but the choice wrote nothing, so every re-check
    refused the visit again. It writes [visits.AVISIT] "Unplanmäßiger Besuch" = "" now: round 2 no longer refuses
    it, and offers [bds] avalc_as_aval for PTS31-103's VILPAIN (AVAL blank, AVALC "1"); round 3 passes, and the
    downloaded profile imports the files on the command line with every scheduled visit of the ITT subjects."""
    adqs, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adqs.xpt"))
    adsl, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adsl.xpt"))
    itt = set(adsl.USUBJID[adsl.ITTFL == "Y"])
    scheduled = adqs[adqs.USUBJID.isin(itt) & (adqs.AVISIT != UNPLANNED)]
    visits = sorted({(u, a) for u, a in zip(scheduled.USUBJID, scheduled.AVISIT, strict=True)})
    (blank,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    files = [*ADAM31, HERE / "adam31_v1.toml"]

    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir()
    shutil.copyfile(small_db, served)
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value("adam")
    at.radio(key="import_synthetic").set_value("Real patients")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in files]
    )
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    assert verdict(at, files, tmp_path) == "rejected"

    unplanned = _box(at, f"assist_choice_adam_avisit_{UNPLANNED}")
    assert unplanned.value == NOT_A_VISIT
    for avisit, month in (("Ausgangswert", 0), ("Monat 3", 3), ("Monat 6", 6), ("Monat 12", 12)):
        _box(at, f"assist_choice_adam_avisit_{avisit}").set_value(f"month {month}")
    _save_and_check(at)
    assert verdict(at, files, tmp_path) == "rejected"
    assert f"assist_choice_adam_avisit_{UNPLANNED}" not in [b.key for b in at.selectbox]
    avalc = _box(at, "assist_choice_adam_avalc_as_aval")
    assert (avalc.label, avalc.value) == (
        f'[bds] avalc_as_aval: 1 record of a numeric parameter with AVAL blank and a number in AVALC ({blank.USUBJID} "'
        f'{blank.AVALC}")',
        None,
    )
    avalc.set_value("read AVALC as the value where AVAL is blank (each such record a warning)")
    _save_and_check(at)
    assert verdict(at, files, tmp_path) == "checked"

    saved = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert profile["visits"]["AVISIT"][UNPLANNED] == ""
    assert profile["bds"]["avalc_as_aval"] is True
    handed = downloads[saved.name]
    assert handed.decode("utf-8") == saved.read_text(encoding="utf-8")
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(handed)
    out = tmp_path / "cli.duckdb"
    report = run_import(downloaded, ADAM31, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM visits").fetchone() or (0,)
    assert n == len(visits) == 29


def test_a_failure_inside_the_importer_leaves_no_importing_status_and_no_earlier_report(
    app_on, small_db, tmp_path, monkeypatch
):
    """N1 (c): after the crash the page still read "Importing…" over the error box, with the report of the check
    before shown as if it were this one's. Any failure of a check now leaves the page's error box only: no status
    still importing, no earlier verdict."""
    import pts_explorer.importer as importer

    files = [*ADAM31, HERE / "adam31_v1.toml"]
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir()
    shutil.copyfile(small_db, served)
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.radio(key="import_synthetic").set_value("Real patients")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in files]
    )
    at.run()
    at.button(key="import_check").click().run()
    assert verdict(at, files, tmp_path) == "rejected"

    def failing(*args, **kwargs):
        raise RuntimeError("a failure the importer did not foresee")

    monkeypatch.setattr(importer, "run_import", failing)
    at.button(key="import_check").click().run()
    assert [s.label for s in at.status] == []
    shown = [str(e.value) for e in at.error]
    assert len(shown) == 1 and re.fullmatch(
        r"\*\*Something went wrong on this page\*\* \(reference E-[0-9A-F]{8}\)\. The details are in the server's log "
        r"under that reference; nothing was changed\. Try another setting, \*Reset filters\*, or reload the page; if "
        r"it happens again, send the reference to whoever runs this app\.",
        shown[0],
    ), shown
