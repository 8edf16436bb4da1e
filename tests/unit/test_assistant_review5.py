"""The mapping assistant on an SDTM delivery an outside reviewer wrote (tests/fixtures/sdtm_review5,
review 5): a QNAM is offered as the DVT's date only when its values are ISO 8601 dates and as months
only when they are numbers, a months_since_dvt that names a date QNAM is offered again, and each
VISITNUM's month is suggested by its records' study days, never pre-selected against them."""

from __future__ import annotations

import csv
import statistics
from datetime import date
from pathlib import Path

import pytest

from pts_explorer.importer import assistant, assistant_choices
from pts_explorer.importer.formats import load
from pts_explorer.importer.profiles import Profile

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "sdtm_review5"
FILES = sorted(HERE.glob("*.csv"))
DATE = "IDVTDT (Date of index DVT diagnosis): the DVT's date (whole months to RFSTDTC)"


def _csv(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def found() -> assistant_choices.Survey:
    return assistant_choices.survey(load("sdtm"), FILES)


def _with(tmp_path: Path, text: str) -> Profile:
    path = tmp_path / "p.toml"
    path.write_text(f'[profile]\nname = "r5"\nversion = 1\nformat = "sdtm"\nextends = "sdtm"\n{text}', encoding="utf-8")
    return load(str(path))


def test_months_since_dvt_offers_a_date_qnam_only_as_the_dvts_date(found):
    choice = next(
        c
        for c in assistant_choices.sdtm_choices(load("sdtm"), found)
        if c.key == "sdtm_qnam_qualifiers_months_since_dvt"
    )
    texts = [o.text for o in choice.options]
    assert [t for t in texts if "the DVT's date" in t] == [DATE]  # not BMICALC, STENOSIS...: numbers
    assert [t for t in texts if t.startswith("IDVTDT")] == [DATE]  # never as months
    assert texts[0] == DATE and choice.default is None
    pick = choice.options[0]
    assert pick.writes == ((("qualifiers", "dvt_date"), "IDVTDT"), (("qualifiers", "months_since_dvt"), ""))
    # Every other option is a QNAM whose values are numbers and that no other qualifier of the profile takes.
    taken = {str(v).upper() for v in load("sdtm").section("qualifiers").values()}
    numbers = {r["QNAM"] for r in _csv("suppdm.csv") if _number(r["QVAL"])} - {
        r["QNAM"] for r in _csv("suppdm.csv") if r["QVAL"] and not _number(r["QVAL"])
    }
    assert {t.split()[0] for t in texts[1:]} == numbers - taken


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_months_since_dvt_naming_a_date_qnam_is_offered_again(tmp_path, found):
    profile = _with(tmp_path, '[qualifiers]\nmonths_since_dvt = "IDVTDT"\n')
    choice = next(c for c in assistant_choices.sdtm_choices(profile, found) if c.key.endswith("months_since_dvt"))
    assert choice.label == ("[qualifiers] months_since_dvt (required): QNAM IDVTDT of SUPPDM holds dates, not months")
    assert choice.options[0].text == DATE
    data = assistant.edited(profile, {}, {}, None, list(choice.options[0].writes))
    assert (data["qualifiers"]["months_since_dvt"], data["qualifiers"]["dvt_date"]) == ("", "IDVTDT")


def test_each_visitnum_is_suggested_the_month_its_records_days_say(found):
    choices = {c.key: c for c in assistant_choices.sdtm_choices(load("sdtm"), found)}
    # The days, recomputed here: QSDTC minus DM RFSTDTC, the median per VISITNUM.
    start = {r["USUBJID"]: date.fromisoformat(r["RFSTDTC"]) for r in _csv("dm.csv") if r["RFSTDTC"]}
    days: dict[str, list[int]] = {}
    for r in _csv("qs.csv"):
        if r["USUBJID"] not in start or len(r["QSDTC"]) < 10:
            continue
        days.setdefault(r["VISITNUM"], []).append((date.fromisoformat(r["QSDTC"][:10]) - start[r["USUBJID"]]).days)
    median = {v: statistics.median(d) for v, d in days.items()}
    assert [round(median[v] / (365.25 / 12)) for v in ("2", "3", "4")] == [3, 6, 12]
    shown = {
        num: (choices[f"sdtm_visit_{num}"].options[0].text, choices[f"sdtm_visit_{num}"].default)
        for num in ("1", "2", "3", "4", "3.1")
    }
    assert shown == {
        "1": ("month 0", 0),  # BASELINE, day 0, month 0 in the profile: all agree
        "2": ("month 3", None),  # FOLLOW-UP 1 names no month; the profile's month 1 is not what the days say
        "3": ("month 6", None),
        "4": ("month 12", None),
        "3.1": (assistant_choices.NOT_A_VISIT, None),
    }
    label = choices["sdtm_visit_2"].label
    assert label == (
        f"VISITNUM 2 (FOLLOW-UP 1, 154 records): month 1 in the profile; its records' median study day is "
        f"{median['2']:g} (day 0 = RFSTDTC): month 3"
    )
