"""The Import page's assistant on what the sixth outside review of issue 23 found, the rest
(tests/fixtures/review13, the reviewer's files as written)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pyreadstat

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from tests.app.import_page import checked, verdict

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review13"
SDTM23 = sorted((HERE / "sdtm23").glob("*.xpt"))


def test_unmapped_leg_codes_of_suppqs_are_offered_as_a_limb_side_map_and_saving_it_gets_past_them(
    app_on, small_db, tmp_path
):
    """Finding 3: sdtm23 with pts13_sdtm.toml uploaded: 132 of the 151 errors are SUPPQS QVAL L and R of the leg
    qualifier, which [values.limb_side] does not map, and the assistant offered no box for them. It offers each
    value, L as left and R as right pre-chosen; "Save and check again" writes them into [values.limb_side] and
    the next check has no leg code error left (PTS23-004's blank index limb is what remains)."""
    frame, _ = pyreadstat.read_xport(str(HERE / "sdtm23" / "suppqs.xpt"))
    codes = sorted(frame[frame.QNAM == "QSLAT"].QVAL.str.strip().unique())
    assert codes == ["L", "R"]
    files = [*SDTM23, HERE / "pts13_sdtm.toml"]
    at, _ = checked(app_on, small_db, tmp_path, "sdtm", files, "application/octet-stream")
    assert verdict(at, files, tmp_path) == "rejected"
    boxes = {b.key: b for b in at.selectbox if (b.key or "").startswith("assist_value_limb_side:")}
    assert sorted(boxes) == [f"assist_value_limb_side:{c!r}" for c in codes]
    for code, side in zip(codes, ("left", "right"), strict=True):
        box = boxes[f"assist_value_limb_side:{code!r}"]
        # Review 15: the box names the qualifier and its records, not the code alone.
        n = int(((frame.QNAM == "QSLAT") & (frame.QVAL.str.strip() == code)).sum())
        assert (box.label, box.value, box.options) == (
            f"{code} (SUPPQS QNAM QSLAT, {n} records)",
            side,
            ["left", "right"],
        )
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, files, tmp_path) == "rejected"
    saved = Path(at.selectbox(key="import_profile").value)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert {k: v for k, v in data["values"]["limb_side"].items() if k in codes} == {"L": "left", "R": "right"}
    # What the page's second check found (verdict compared its counts whole), by the command line's rules.
    report = run_import(saved, SDTM23, tmp_path / "cli.duckdb", Options(synthetic=True, check_only=True))
    errors = report.issues[report.issues.severity == "error"]
    assert set(errors.rule) == {"required:patients.limb_side", "sdtm:same_time_results"}
    assert sorted(set(errors.record)) == ["PTS23-004", "PTS23-004 / MONTH 6"]


CSV23C = sorted((PROJECT_ROOT / "tests" / "fixtures" / "review12" / "csv23c").glob("*.csv"))


def test_a_contract_deliverys_edited_profile_is_named_after_its_study_not_its_first_file(app_on, small_db, tmp_path):
    """Finding 7a: csv23c with the contract profile: "Save as" offered `contract-events`, named after the first
    uploaded file (events.csv, a table's name, as every contract delivery has). It is named after the format
    and the one study studies.csv holds."""
    with (CSV23C[0].parent / "studies.csv").open(encoding="utf-8-sig", newline="") as handle:
        ids = [r["study_id"] for r in csv.DictReader(handle, delimiter=";")]
    assert len(ids) == 1 and CSV23C[0].name == "events.csv"
    at, _ = checked(app_on, small_db, tmp_path, "contract", CSV23C)
    assert verdict(at, CSV23C, tmp_path) == "rejected"
    (name,) = [t for t in at.text_input if (t.key or "").startswith("assist_name:")]
    assert (name.label, name.value) == ("Save as", f"contract-{ids[0]}")
