"""The mapping assistant's SDTM choices at unit level (tests/fixtures/sdtm_assistant): a dataset
under another name is offered for its role, and the profile the assistant writes as `extends =
"sdtm"` with only the differences reads back as the same profile as the whole edited copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "sdtm_assistant"


def test_a_dataset_under_another_name_is_offered_for_its_role(tmp_path):
    folder = tmp_path / "delivery"
    shutil.copytree(HERE, folder)
    (folder / "dm.csv").rename(folder / "demog.csv")
    files = sorted(folder.glob("*.csv"))
    report = run_import("sdtm", files, tmp_path / "o.duckdb", Options(check_only=True, synthetic=True), lambda _: None)
    assert "file:missing" in {r.rule for r in report.rules}
    profile = load("sdtm")
    choices = assistant_choices.sdtm_choices(profile, assistant_choices.survey(profile, files))
    dm = next(c for c in choices if c.key == "sdtm_dataset_dm")
    assert dm.label == "DM (required): no dataset named DM" and dm.default is None
    # Only datasets no other role takes are offered.
    assert sorted(o.text for o in dm.options) == ["demog"]
    data = assistant.extending(assistant.edited(profile, {}, {}, None, list(dm.options[0].writes)), "sdtm")
    assert data["datasets"] == {"dm": {"names": ["demog"], "required": True}}
    path = tmp_path / "p.toml"
    path.write_text(assistant.dumps(data), encoding="utf-8")
    again = run_import(path, files, tmp_path / "o.duckdb", Options(check_only=True, synthetic=True), lambda _: None)
    assert "file:missing" not in {r.rule for r in again.rules}
    # DM is read now: its variables are checked (RFPENDTC is not in this delivery).
    assert "columns:demog" in {r.rule for r in again.rules}


def test_the_extends_profile_reads_back_as_the_whole_edited_profile(tmp_path):
    profile = load("sdtm")
    writes = [
        (("qs", "testcd", "v_pain"), "VIL01"),
        (("visits", "VISITNUM", "11"), 0),
        (("visits", "VISITNUM", "2"), None),
        (("dm", "last_contact_date"), "RFENDTC"),
        (("pr", "index_terms"), ["VENOUS STENT PLACEMENT"]),
    ]
    values = {"arm": {"Best medical therapy": "medical"}}
    whole = assistant.edited(profile, {}, values, 2, assistant_choices.schedule(profile, writes))
    short = assistant.extending(whole, "sdtm")
    assert short["profile"]["extends"] == "sdtm"
    assert set(short) == {"profile", "qs", "visits", "dm", "pr", "values"}
    assert short["dm"] == {"last_contact_date": "RFENDTC"} and set(short["values"]) == {"arm"}
    a, b = tmp_path / "whole.toml", tmp_path / "short.toml"
    a.write_text(assistant.dumps(whole), encoding="utf-8")
    b.write_text(assistant.dumps(short), encoding="utf-8")
    read_whole, read_short = load(a), load(b)
    assert read_short.sections == read_whole.sections
    assert (read_short.csv, read_short.allow_columns, read_short.version) == (
        read_whole.csv,
        read_whole.allow_columns,
        2,
    )
    assert "2" not in read_short.section("visits")["VISITNUM"]
    assert read_short.section("visits")["VISITNUM"]["11"] == 0
