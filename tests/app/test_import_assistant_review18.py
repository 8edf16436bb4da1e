"""The Import page's assistant on REDCap codes the data dictionary does not list (review 18, F2: tests/fixtures/
review18/F2/redcap2, the reviewer's files as written): each code is offered, and the choices write a working map,
"skip" included (it wrote nothing, and the saved "0" = "female" was ignored)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from tests.app.import_page import checked, verdict

REDCAP2 = sorted((PROJECT_ROOT / "tests" / "fixtures" / "review18" / "F2" / "redcap2").glob("*.csv"))
SKIP = "(skip: no contract value)"


def _unlisted() -> dict[str, str]:
    """field -> the one code of it that the dictionary's choices do not list, read here."""
    dictionary = next(f for f in REDCAP2 if "DataDictionary" in f.name)
    with dictionary.open(encoding="utf-8", newline="") as f:
        choices = {r[0]: {c.split(",")[0].strip() for c in r[5].split("|")} for r in list(csv.reader(f))[1:] if r[5]}
    export = next(f for f in REDCAP2 if "_DATA_" in f.name)
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: row[k] for row in rows for k, codes in choices.items() if row.get(k) and row[k] not in codes}


def test_codes_the_dictionary_lacks_are_offered_and_the_choices_import(app_on, small_db, tmp_path):
    unlisted = _unlisted()
    assert unlisted == {"sex": "0", "technical_success": "0", "compression_use": "3", "ae_type": "12"}
    at, _ = checked(app_on, small_db, tmp_path, "redcap", REDCAP2)
    assert verdict(at, REDCAP2, tmp_path) == "rejected"
    columns = {"sex": "sex", "technical_success": "technical_success", "compression_use": "compression_use"}
    columns["ae_type"] = "event_type"
    boxes = {b.key: b for b in at.selectbox if (b.key or "").startswith("assist_value_")}
    wanted = {f"assist_value_{columns[f]}:{code!r}": code for f, code in unlisted.items()}
    assert sorted(boxes) == sorted(wanted)
    for key, code in wanted.items():
        assert boxes[key].label == f"{code} (not in the data dictionary)"
    picks = {"sex": "female", "technical_success": "false", "compression_use": SKIP, "event_type": SKIP}
    for field, code in unlisted.items():
        at.selectbox(key=f"assist_value_{columns[field]}:{code!r}").set_value(picks[columns[field]])
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    saved = Path(at.selectbox(key="import_profile").value)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    written = {c: data["values"][c][unlisted[f]] for f, c in columns.items()}
    assert written == {"sex": "female", "technical_success": "false", "compression_use": "", "event_type": ""}
    assert verdict(at, REDCAP2, tmp_path) == "checked"
    out = tmp_path / "cli.duckdb"
    report = run_import(saved, REDCAP2, out, Options(synthetic=True))
    assert report.imported and report.errors == 0, report.text()
    export = next(f for f in REDCAP2 if "_DATA_" in f.name)
    with export.open(encoding="utf-8", newline="") as f:
        female = sorted({r["record_id"] for r in csv.DictReader(f) if r["sex"] in ("2", "0")})  # "2, Female"; 0 mapped
    with duckdb.connect(str(out), read_only=True) as con:
        got = [r[0] for r in con.execute("SELECT patient_id FROM patients WHERE sex = 'female' ORDER BY 1").fetchall()]
    assert got == female and "104" in female  # 104: the record holding the old code 0
