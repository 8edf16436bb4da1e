"""The mapping assistant on the Import page, what the fourth outside review of issue 23 left (its files in
tests/fixtures/review9 and review10, as written): (a) 2, the procedure's details said by one rule in the
check and the page."""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from tests.app.import_page import checked, verdict

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
REG2 = sorted((FIXTURES / "review9" / "redcap_classic").glob("*.csv"))


def test_redcap_procedure_details_are_labelled_as_the_check_says_them(app_on, small_db, tmp_path):
    """PTSREG2 with the built-in redcap profile: the export lacks procedure_date (optional), so no procedure is
    imported. The page said "technical_success (required)" while the check called procedure_date optional,
    and "(optional)" after Save and check again; it says the rule the check says, in each round."""
    at, _ = checked(app_on, small_db, tmp_path, "redcap", REG2)
    label = "{} (optional, because no index procedure is imported): no source has {}"
    boxes = {b.key: b.label for b in at.selectbox if b.key.startswith("assist_field_fields_")}
    for key in ("technical_success", "stents_placed", "below_inguinal_ligament"):
        assert boxes[f"assist_field_fields_{key}:optional"] == label.format(key, key)
    table = next(d.value for d in at.dataframe if "Contract field" in d.value.columns)
    said = dict(zip(table["Contract field"], table["Required"], strict=True))
    assert said["technical_success"] == "optional, because no index procedure is imported"
    assert said["procedure_date"] == "optional"


CSVREG = sorted((FIXTURES / "review10" / "csvreg").glob("*.csv"))


def test_contract_csvs_separated_by_semicolons_are_fixed_in_the_page(app_on, small_db, tmp_path):
    """New finding 4: REG06, contract CSVs saved by a European Excel (";", decimal commas). The check names
    [csv] delimiter, but the page offered no fix: a data manager had to write the TOML by hand. The assistant
    offers the delimiter the headers hold and the decimal comma the cells hold, chosen; saved as
    extends = "contract" with only [csv] differing, the profile the reviewer wrote by hand (reg06.toml)."""
    for path in CSVREG:
        header = path.read_text(encoding="utf-8-sig").splitlines()[0]
        assert ";" in header and "," not in header
    at, _ = checked(app_on, small_db, tmp_path, "contract", CSVREG)
    delimiter = at.selectbox(key="assist_choice_csv_delimiter")
    assert delimiter.label == (
        "[csv] delimiter: 5 files read as one column (the profile says ','); the header holds ';'"
    )
    assert delimiter.value == "semicolon (';')"
    decimal = at.selectbox(key="assist_choice_csv_decimal_separator")
    commas = sum(
        1
        for path in CSVREG
        for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]
        for cell in line.split(";")
        if re.fullmatch(r"-?\d+,\d+", cell)
    )
    assert commas > 0
    assert (
        decimal.label == f"[csv] decimal_separator: {commas} numbers written with a decimal comma (27,5) once split so"
    )
    assert decimal.value == 'comma (",": 27,5 is 27.5)'
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    saved = Path(at.selectbox(key="import_profile").value)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert {k: v for k, v in data.items() if k != "profile"} == {"csv": {"delimiter": ";", "decimal_separator": ","}}
    assert data["profile"]["extends"] == "contract"
    # The files are read now: no delimiter error, and the same problems as the reviewer's own profile finds.
    by_hand = run_import(
        FIXTURES / "review10" / "reg06.toml",
        CSVREG,
        tmp_path / "hand.duckdb",
        Options(synthetic=False, check_only=True),
        progress=lambda _: None,
    )
    edited = run_import(
        saved, CSVREG, tmp_path / "page.duckdb", Options(synthetic=False, check_only=True), progress=lambda _: None
    )
    assert "file:delimiter" not in set(edited.issues.rule)
    assert sorted(edited.issues.message) == sorted(by_hand.issues.message)


LAB7 = sorted((FIXTURES / "review10" / "redcap_lab" / "raw").glob("*.csv"))


def test_after_a_passing_check_the_profile_downloads_and_an_unmapped_choice_is_offered(app_on, small_db, tmp_path):
    """New finding 10: PTSLAB7 with the profile the reviewer's assistant rounds wrote (uploaded with the files):
    the check passes with one warning, the AE choice 6 (Other) skipped. "Download the profile (TOML)" was gone
    and the choice was not offered, although the README says such choices are; both are there now, the choice
    at "skip" until the user maps it."""
    profile = FIXTURES / "review10" / "ptslab7_assistant.toml"
    with LAB7[1].open(encoding="utf-8-sig", newline="") as handle:
        ae = next(r for r in csv.reader(handle) if r and r[0] == "ae_term")
    assert "6, Other" in ae[5]
    at, _ = checked(app_on, small_db, tmp_path, "redcap", [*LAB7, profile])
    assert verdict(at, [*LAB7, profile], tmp_path) == "checked"
    downloads = [b.proto.label for b in at.get("download_button")]
    assert "Download the profile (TOML)" in downloads
    box = at.selectbox(key="assist_value_event_type:'6'")
    assert (box.label, box.value) == ("6 (Other)", "(skip: no contract value)")
