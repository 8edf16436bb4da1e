"""The mapping assistant on the Import page, what the fourth outside review of issue 23 left (its files in
tests/fixtures/review9 and review10, as written): (a) 2, the procedure's details said by one rule in the
check and the page."""

from __future__ import annotations

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import checked

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
