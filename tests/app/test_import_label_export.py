"""The Import page under a REDCap export of labels (review 11, low finding): the check says to export raw data,
but the mapping assistant below it still offered 38 field mappings and events such as "Baseline (Arm 1: Stent)",
none of which could make the import pass. The page says the fix instead and offers no choice. The reviewer's
PTSLAB7 label export (tests/fixtures/review10/redcap_lab/labels, as written)."""

from __future__ import annotations

import csv

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import checked, cli_counts, rejected

LABELS = sorted((PROJECT_ROOT / "tests" / "fixtures" / "review10" / "redcap_lab" / "labels").glob("*.csv"))


def test_a_label_export_is_told_to_export_raw_data_and_offered_no_mapping(app_on, small_db, tmp_path):
    export = next(p for p in LABELS if "_DATA_" in p.name)
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # what makes it a label export, read here: the events as their labels, ticks as Checked/Unchecked
    assert all("(Arm " in r["redcap_event_name"] for r in rows)
    assert {r["seg___1"] for r in rows} <= {"Checked", "Unchecked", ""}
    at, _ = checked(app_on, small_db, tmp_path, "redcap", LABELS)
    problems = next(t.value for t in at.table if "Rule" in t.value.columns)
    assert "redcap\\:labels" in set(problems["Rule"])  # escaped: the table reads Markdown
    assert [w.value for w in at.warning] == [
        'No mapping can fix this export: it holds REDCap\'s labels ("Mild", "Checked", "Baseline (Arm 1: Stent)") '
        "where the raw codes belong, and no profile key reads labels. Export the records again as raw data "
        '(REDCap\'s Data Exports: "CSV / Microsoft Excel (raw data)"), with the same fields, and check that export '
        "with this profile; what it still lacks is then offered here."
    ]
    assert [e.label for e in at.expander if e.label == "Fix the mapping here"] == []
    assert [b.key for b in at.selectbox if str(b.key).startswith("assist_")] == []
    assert "Download the profile (TOML)" not in [b.proto.label for b in at.get("download_button")]
    assert [b.key for b in at.button if str(b.key).startswith("assist")] == []
    errors, warnings = cli_counts("redcap", LABELS, tmp_path)
    assert errors and [m.value for m in at.metric][:2] == [f"{errors:,}", f"{warnings:,}"]
    assert len(at.error) == 1 and rejected(errors, warnings).fullmatch(at.error[0].value), at.error[0].value
