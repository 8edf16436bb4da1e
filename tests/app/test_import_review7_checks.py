"""Review 7 of #23, finding 6: About this dataset says the import's warnings are "listed on Data checks";
Data checks listed none (it showed only the contract checks run when the file was opened). The import
here is the reviewer's hand-written REDCap registry (tests/fixtures/redcap_review7), whose warnings are
recomputed from the files: one limb "3, Bilateral", one treatment "99, Other", one adverse event
"8, Other", one row at the unscheduled event."""

import csv

import duckdb

from tests.app.test_fresh_data import _open
from tests.unit.test_import_review7 import REDCAP_SOURCES, _redcap_profile
from tests.unit.test_import_sdtm_conventions import _import


def test_data_checks_lists_the_warnings_the_import_stored(app_on, tmp_path):
    out = tmp_path / "registry.duckdb"
    report = _import(_redcap_profile(tmp_path), REDCAP_SOURCES, out)
    assert report.imported, report.text()
    with REDCAP_SOURCES[0].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    baseline = [r for r in rows if r["redcap_event_name"] == "baseline_arm_1"]
    expected = {
        ("redcap:unmapped", "limb", 1 + next(i for i, r in enumerate(rows, 1) if r in baseline and r["limb"] == "3")),
        # (the treatment "99, Other" is left out on purpose: [population] exclude_arms, no warning; review 16)
        ("redcap:unmapped", "ae_type", 1 + next(i for i, r in enumerate(rows, 1) if r["ae_type"] == "8")),
        (
            "redcap:event",
            "redcap_event_name",
            1 + next(i for i, r in enumerate(rows, 1) if r["redcap_event_name"] == "unscheduled_arm_1"),
        ),
    }
    con = duckdb.connect(str(out), read_only=True)
    (stored,) = con.execute("SELECT warnings FROM import_info").fetchone()
    con.close()

    at = _open(app_on, out, "data_checks")
    shown = next(df.value for df in at.dataframe if "What the import did, and what to do" in df.value.columns)
    assert int(shown.Count.sum()) == stored == len(report.issues[report.issues.severity == "warning"])
    assert expected <= {(r.Rule, r.Field, int(r.Lines)) for r in shown.itertuples()}
    caption = [c.value for c in at.caption if c.value.startswith("The import found")]
    assert caption == [
        f"The import found {stored} warning(s) in the source files and imported the data with them: records it set "
        "aside, values it completed or read otherwise. One line per rule, file, field and message; the Import "
        "page's report lists the same."
    ]
