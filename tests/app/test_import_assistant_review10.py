"""The mapping assistant on the Import page, review 10 of issue #23 (the fourth outside reviewer; their files
in tests/fixtures/review10, see its README).

Finding 3: the reviewer's PTS02 ADaM package (pts02_adam.zip, ADSL without BELOWIL) with the built-in adam
profile. The required `below_inguinal_ligament` offered only ADQS and ADAE variables (ABLFL, ADT, AEDECOD...),
no way to import no procedure although its error names one, and after a pick of ABLFL (an ADQS variable)
its box was gone for good. Finding 8: nothing asked what the study is."""

from __future__ import annotations

import shutil
import tomllib
import zipfile
from pathlib import Path

import pyreadstat

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import verdict

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review10"
NO_PROCEDURE = '(the data have no such variable: import no procedure, procedure_date = "")'


def _served(small_db: Path, tmp_path: Path) -> Path:
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir(parents=True)
    shutil.copyfile(small_db, served)
    return served


def _box(at, key: str):
    return next(b for b in [*at.selectbox, *at.multiselect] if b.key == key)


def test_a_required_adsl_variable_the_data_lack_offers_adsl_variables_and_no_procedure(app_on, small_db, tmp_path):
    zipped = HERE / "pts02_adam.zip"
    with zipfile.ZipFile(zipped) as z:
        adsl_path = tmp_path / "adsl.xpt"
        adsl_path.write_bytes(z.read("pts02/adsl.xpt"))
    adsl, _ = pyreadstat.read_xport(str(adsl_path))
    assert "BELOWIL" not in adsl.columns
    served = _served(small_db, tmp_path)
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value("adam")
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value([(zipped.name, zipped.read_bytes(), "application/zip")])
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    assert verdict(at, [zipped], tmp_path) == "rejected"

    # Finding 8: what the study is, the profile's design chosen until the user chooses.
    design = _box(at, "assist_choice_study_design")
    assert design.value == "randomized: a trial whose patients were randomized to the arms"

    # Finding 3: ADSL's own variables only, the way out first.
    box = _box(at, "assist_field_adsl_below_inguinal_ligament")
    assert box.options[0] == NO_PROCEDURE
    assert set(box.options[1:]) <= set(adsl.columns), set(box.options[1:]) - set(adsl.columns)
    assert "ABLFL" not in box.options and "AEDECOD" not in box.options
    box.set_value(NO_PROCEDURE)
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    saved = tomllib.loads(Path(at.selectbox(key="import_profile").value).read_text(encoding="utf-8"))
    assert (saved["adsl"]["procedure_date"], saved["adsl"]["below_inguinal_ligament"]) == ("", "")
    # No procedure is imported: its details are no longer asked for.
    keys = [b.key for b in at.selectbox]
    assert "assist_field_adsl_below_inguinal_ligament" not in keys
