"""Review 8 of issue #23, the mapping assistant without the page: what leaving an arm's patients
out writes into a profile (finding 2), per format; which ADaM fields are required (finding 3)."""

from __future__ import annotations

import csv
import re

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load


def test_leaving_arms_out_adds_them_to_exclude_arms_keeping_the_profiles_own():
    adam, sdtm, redcap = load("adam"), load("sdtm"), load("redcap")
    # REDCap too, since review 16: an unmapped arm choice refuses; [population] exclude_arms leaves one out
    assert [assistant.leaves_arms_out(p, "arm") for p in (adam, sdtm, redcap)] == [True, True, True]
    assert assistant.leaves_arms_out(adam, "sex") is False
    # ADaM's built-in leaves no arm out; the values as the check quotes them (ADaM upper-cases them).
    assert assistant.arms_left_out(adam, ["STENT + CDT", "SCREEN FAILURE"]) == [
        (("population", "exclude_arms"), ["STENT + CDT", "SCREEN FAILURE"])
    ]
    # SDTM's built-in already leaves screen failures out: kept, and one already there (any case) not added twice.
    assert assistant.arms_left_out(sdtm, ["Screen Failure", "STENT + CDT", "STENT + CDT"]) == [
        (("population", "exclude_arms"), ["SCREEN FAILURE", "NOT ASSIGNED", "NOT TREATED", "STENT + CDT"])
    ]
    assert assistant.arms_left_out(sdtm, []) == []
    data = assistant.edited(adam, {}, {}, writes=assistant.arms_left_out(adam, ["STENT + CDT"]))
    assert data["population"] == {"exclude_arms": ["STENT + CDT"], "require": {}}


def test_adam_fields_are_required_or_optional_as_the_check_says(tmp_path):
    """Finding 3: the assistant called technical_success, stents_placed and below_inguinal_ligament
    required where the check says "optional: imported empty". Every ADSL key the check names as
    lacking is required in the assistant exactly when the check refuses it (columns:adsl, an error)
    and optional when it imports it empty (columns:adsl_optional, a warning)."""
    folder = PROJECT_ROOT / "tests" / "fixtures" / "review8_adam"
    report = run_import(
        "adam", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb", Options(check_only=True, synthetic=True), _quiet
    )
    said = {}
    for rule, message in report.issues[["rule", "message"]].itertuples(index=False):
        if rule in ("columns:adsl", "columns:adsl_optional"):
            for key in re.findall(r"\(\[adsl\] (\w+)\)", message):
                said[key] = rule == "columns:adsl"
    assert said == {
        "bmi": False,
        "limb_side": True,
        "months_since_dvt": True,
        "lesion_length_mm": False,
        "ceap_c": True,
        "procedure_date": False,
        "technical_success": False,
        "stents_placed": False,
        "max_stent_diameter_mm": False,
        "below_inguinal_ligament": False,
    }
    rows = assistant.field_rows(load("adam"), report.source_columns, report.issues)
    assert {r.key: r.required for r in rows if not r.found} == said


def _quiet(*_args: object) -> None:
    pass


def test_adam_visits_neither_visit_map_knows_are_offered_with_their_avisitn_and_records():
    """Finding 3 (the visit map) and 6: an AVISIT the built-in map does not know gets a box: "MONTH 12 (EOS)"
    with AVISITN 12 month 12 first (chosen by the user, not for them); an unscheduled visit and a screening
    visit (AVISITN -1) not a scheduled visit, as the import treats them without a choice; BASELINE, which
    the map knows, none."""
    found = assistant_choices.Survey(
        values={
            "bds.avisit": (
                ("BASELINE", "0", 120),
                ("MONTH 12 (EOS)", "12", 113),
                ("SCREENING", "-1", 1),
                ("UNSCHEDULED 1", "2.1", 1),
            )
        }
    )
    choices = assistant_choices.avisit_choices(load("adam"), found)
    assert [(c.key, c.label, c.options[0].text, c.default) for c in choices] == [
        (
            "adam_avisit_MONTH 12 (EOS)",
            "AVISIT MONTH 12 (EOS) (AVISITN 12, 113 records): not in [visits] AVISIT or AVISITN",
            "month 12",
            None,
        ),
        (
            "adam_avisit_SCREENING",
            "AVISIT SCREENING (AVISITN -1, 1 record): not in [visits] AVISIT or AVISITN",
            assistant_choices.NOT_A_VISIT,
            0,
        ),
        (
            "adam_avisit_UNSCHEDULED 1",
            "AVISIT UNSCHEDULED 1 (AVISITN 2.1, 1 record): not in [visits] AVISIT or AVISITN",
            assistant_choices.NOT_A_VISIT,
            0,
        ),
    ]
    month_12 = choices[0].options[0].writes
    assert month_12 == ((("visits", "AVISIT", "MONTH 12 (EOS)"), 12),)
    # "not a scheduled visit" writes "" (review 14, N1: writing nothing left a visit flagged for analysis refused)
    assert choices[1].options[0].writes == ((("visits", "AVISIT", "SCREENING"), ""),)


def test_adam_population_flags_are_offered_with_how_many_subjects_have_them():
    """Finding 3 ([population]): with [population] require empty, ADSL's population flags are offered, each
    with the subjects flagged "Y" of ADSL's (counted here from the CSV); everyone, as now, is the default."""
    folder = PROJECT_ROOT / "tests" / "fixtures" / "review8_adam"
    with (folder / "adsl.csv").open(encoding="utf-8-sig", newline="") as handle:
        adsl = list(csv.DictReader(handle))
    itt, saf = (sum(r[flag] == "Y" for r in adsl) for flag in ("ITTFL", "SAFFL"))
    profile = load("adam")
    found = assistant_choices.survey(profile, sorted(folder.glob("*.csv")))
    (choice,) = assistant_choices.population_choices(profile, found)
    assert [(o.text, o.writes) for o in choice.options] == [
        ("(everyone in ADSL: no population flag)", ()),
        (f'ITTFL = "Y" ({itt} of {len(adsl)} subjects)', ((("population", "require"), {"ITTFL": "Y"}),)),
        (f'SAFFL = "Y" ({saf} of {len(adsl)} subjects)', ((("population", "require"), {"SAFFL": "Y"}),)),
    ]
    assert choice.default == 0


def test_a_skip_is_offered_only_where_the_import_goes_on_without_the_value():
    """Finding 2's kind: skipping an ADaM or SDTM patient's value fixes nothing (the check refuses it), so no
    skip is offered there; a REDCap choice is skipped by the import (a warning), as are AE terms."""
    adam, sdtm, redcap = load("adam"), load("sdtm"), load("redcap")
    assert [assistant.skippable(p, "obstruction_site") for p in (adam, sdtm, redcap)] == [False, False, True]
    assert [assistant.skippable(p, "event_type") for p in (adam, sdtm, redcap)] == [True, True, True]
