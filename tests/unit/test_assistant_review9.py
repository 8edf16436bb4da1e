"""The mapping assistant's candidates, review 9 of issue #23 (finding 10): a column named exactly as the
field comes first (v_pain before v_calf_pain), and a column whose name says another kind (a percent for a
count, a date or an enrolment word for a visit's date, a Villalta item for a VAS) is no candidate: the page
offers it last. The sources are the reviewer's own exports (tests/fixtures/review9_*)."""

from __future__ import annotations

import csv
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import assistant
from pts_explorer.importer.assistant_choices import Survey, _test_codes
from pts_explorer.importer.formats import load

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def _fields(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    profile = load("redcap")
    return assistant.source_fields(profile, {path.name: header})


CLASSIC = _fields(FIXTURES / "review9_redcap_classic" / "PTSREG2_DATA_2024-06-01_0930.csv")
LONG = _fields(FIXTURES / "review9_redcap_long" / "PTSLONG3_DATA.csv")


def test_the_exact_name_comes_first():
    assert assistant.look_alikes("v_pain", "vil_pain", LONG, set()) == ("v_pain", "v_calf_pain")
    assert assistant.look_alikes("v_calf_pain", "vil_calf_pain", LONG, set()) == ("v_calf_pain", "v_pain")


def test_a_column_of_another_kind_is_no_candidate_and_offered_last():
    assert assistant.look_alikes("stents_placed", "stents_placed", CLASSIC, set()) == ()
    # Last: dates, an age, a percent and Villalta items.
    assert assistant.offered("stents_placed", (), CLASSIC) == [
        *("ae_cat", "ae_sae", "bmi", "ceap", "fu_visit", "gender", "index_leg", "last_seen", "lesion_mm"),
        *("record_id", "segments", "treatment", "ulcer", "vcss_total"),
        *("ae_dt", "age_enrol", "death_dt", "dvt_dt", "enrol_date", "fu_date", "sten_pct", "vil_calfpain"),
        *("vil_cramps", "vil_ectasia", "vil_heaviness", "vil_induration", "vil_oedema", "vil_pain"),
        *("vil_paraesthesia", "vil_pigmentation", "vil_pruritus", "vil_redness"),
    ]
    # The DVT's date is no visit's date (review 17, finding 9: a date named for another date field is that one's).
    assert assistant.look_alikes("visit_date", "visit_date", CLASSIC, set()) == ("fu_date", "fu_visit")
    assert assistant.look_alikes("enrolled_on", "enroll_date", CLASSIC, set()) == ("enrol_date",)
    assert assistant.look_alikes("pain_vas", "pain_vas", CLASSIC, set()) == ()
    assert assistant.look_alikes("calf_circumference_cm", "calf_cm", CLASSIC, set()) == ()
    assert assistant.look_alikes("pain_vas", "pain_vas", LONG, set()) == ()


def test_a_villalta_items_test_code_is_the_one_that_numbers_it_and_the_ulcer_code_not_offered():
    codes = tuple((f"VIL{i:02d}", f"Villalta item {i}", 24) for i in range(1, 12))
    found = Survey(
        values={"qs.test_code": (("VCSS", "VCSS total score", 24), *codes, ("VILULCER", "Venous ulcer present", 24))}
    )
    choices = {c.key: c for c in _test_codes(load("sdtm"), found)}
    cramps = [o.text for o in choices["sdtm_testcd_v_cramps"].options]
    assert cramps[0] == "VIL02 (Villalta item 2, 24 records)"
    # The ulcer's code is no Villalta item: not offered at all (review 17, finding 9; it used to be last).
    assert sorted(cramps) == sorted(f"{c} ({label}, 24 records)" for c, label, _ in codes)  # VCSS: [qs] vcss's
