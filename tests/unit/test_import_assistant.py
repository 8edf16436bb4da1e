"""The mapping assistant's core: a REDCap project built differently from the built-in profile (the
arm field named `study_arm`, sex labelled "Woman"/"Man") is refused; the assistant names the missing
field with the renamed column as its first candidate and the sex labels beside the contract's
values; the profile edited with those choices imports the files, and its TOML reads back equal."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import duckdb
import pytest

from pts_explorer.importer import Options, assistant, run_import
from pts_explorer.importer.examples import write_examples
from pts_explorer.importer.formats import FORMATS, load
from pts_explorer.importer.profiles import read


def builders_project(small_db: Path, folder: Path) -> list[Path]:
    """The small cohort's REDCap export, as another team's project names and labels it."""
    examples = folder / "examples"
    write_examples(small_db, examples)
    out = folder / "project"
    out.mkdir()
    export = (examples / "redcap" / "registry_export.csv").read_text(encoding="utf-8")
    header, rest = export.split("\n", 1)
    (out / "registry_export.csv").write_text(header.replace(",treatment,", ",study_arm,") + "\n" + rest, "utf-8")
    rows = list(csv.reader(io.StringIO((examples / "redcap" / "data_dictionary.csv").read_text(encoding="utf-8"))))
    for row in rows:
        if row[0] == "treatment":
            row[0] = "study_arm"
        if row[0] == "sex":
            row[5] = "1, Woman | 2, Man"
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    (out / "data_dictionary.csv").write_text(text.getvalue(), encoding="utf-8")
    (out / "dataset.toml").write_bytes((examples / "redcap" / "dataset.toml").read_bytes())
    return sorted(out.iterdir())


@pytest.fixture
def project(small_db, tmp_path) -> list[Path]:
    return builders_project(small_db, tmp_path)


def test_a_refused_project_becomes_an_import_by_the_assistants_choices(project, small_db, tmp_path):
    profile = load("redcap")
    report = run_import("redcap", project, tmp_path / "a.duckdb", Options(check_only=True), progress=lambda _: None)
    assert not report.imported and report.errors

    fields = assistant.field_rows(profile, report.source_columns)
    missing = [f for f in fields if not f.found]
    assert [(f.section, f.key, f.column, f.required) for f in missing] == [("fields", "arm", "treatment", True)]
    assert missing[0].candidates[0] == "study_arm"
    assert "sex" in [f.key for f in fields if f.found]

    # With the arm field mapped, the sex labels are what the contract does not allow.
    step = assistant.edited(profile, {("fields", "arm"): "study_arm"}, {})
    first = tmp_path / "first.toml"
    first.write_text(assistant.dumps(step), encoding="utf-8")
    report = run_import(first, project, tmp_path / "b.duckdb", Options(check_only=True), progress=lambda _: None)
    rows = assistant.value_rows(report.issues)
    assert [(r.column, r.values, r.vocabulary) for r in rows] == [("sex", ("1", "2"), ("female", "male"))]

    data = assistant.edited(profile, {("fields", "arm"): "study_arm"}, {"sex": {"1": "female", "2": "male"}})
    edited = tmp_path / "profiles" / "redcap-edited.toml"
    edited.parent.mkdir()
    edited.write_text(assistant.dumps(data, header="edited"), encoding="utf-8")
    out = tmp_path / "c.duckdb"
    report = run_import(edited, project, out, progress=lambda _: None)
    assert report.imported, report.text()

    # The same patients as the built-in profile reads from the unchanged export.
    con = duckdb.connect(str(small_db), read_only=True)
    want = con.execute(
        "SELECT patient_id, arm, sex FROM patients JOIN studies USING (study_id) WHERE design = 'observational' "
        "ORDER BY 1"
    ).fetchall()
    con.close()
    con = duckdb.connect(str(out), read_only=True)
    got = con.execute("SELECT patient_id, arm, sex FROM patients ORDER BY 1").fetchall()
    con.close()
    assert got == want


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_an_edited_profile_reads_back_as_written(name, tmp_path):
    """dumps writes what tomllib reads back: every built-in profile, unedited, reads back equal
    (its version one up)."""
    profile = load(name)
    text = assistant.dumps(assistant.edited(profile, {}, {}))
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    again = read(path, tuple(FORMATS))
    assert (again.sections, again.csv, again.allow_columns) == (profile.sections, profile.csv, profile.allow_columns)
    assert (again.name, again.format, again.version) == (profile.name, profile.format, profile.version + 1)
    assert tomllib.loads(text)["profile"]["version"] == profile.version + 1


def test_awkward_keys_and_values_survive_the_round_trip(tmp_path):
    data = {
        "profile": {"name": "x", "version": 1, "format": "contract", "description": 'quote " and \\ and é\nline'},
        "values": {"arm": {"PTA + STENT": "stent", "0": "medical", "a.b": "stent"}},
        "visits": {"AVISIT": {"MONTH 1": 1}, "list": [0, 1.5, True, "x"]},
    }
    assert tomllib.loads(assistant.dumps(data)) == data


def test_save_as_names_a_new_profile_per_project_and_never_lowers_the_version(tmp_path):
    """Finding 11: a second project's "Save as" defaulted to redcap-edited and replaced the first
    project's profile, its version going from 3 back to 2. The default is the profile's and the
    upload's name, unique in the folder; an edited copy keeps its own name; saving over a file
    takes a version above both."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    profile = load("redcap")
    sources = {"data_dictionary.csv": ["Variable / Field Name", "Form Name"], "v4_records_raw.csv": ["record_id"]}
    assert assistant.default_name(profile, "redcap", sources, folder) == "redcap-v4_records_raw"
    first = folder / "redcap-v4_records_raw.toml"
    first.write_text(assistant.dumps(assistant.edited(profile, {}, {}, version=3)), encoding="utf-8")
    assert assistant.default_name(profile, "redcap", sources, folder) == "redcap-v4_records_raw-2"
    assert assistant.default_name(load(str(first)), str(first), sources, folder) == "redcap-v4_records_raw"
    assert assistant.overwrites("redcap", first) is True
    assert assistant.overwrites(str(first), first) is False
    assert assistant.next_version(profile, first) == 4
    assert assistant.next_version(profile, folder / "new.toml") == profile.version + 1
    domains = {"ae.csv": ["STUDYID"], "dm.csv": ["STUDYID"], "qs.csv": ["STUDYID"]}  # named by domain, not project
    assert assistant.default_name(load("sdtm"), "sdtm", domains, folder) == "sdtm-edited"
    (folder / "sdtm-edited.toml").write_text("", encoding="utf-8")
    assert assistant.default_name(load("sdtm"), "sdtm", domains, folder) == "sdtm-edited-2"
