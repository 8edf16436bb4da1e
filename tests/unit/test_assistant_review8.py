"""Review 8 of issue #23, the mapping assistant without the page: what leaving an arm's patients
out writes into a profile (finding 2), per format."""

from __future__ import annotations

from pts_explorer.importer import assistant
from pts_explorer.importer.formats import load


def test_leaving_arms_out_adds_them_to_exclude_arms_keeping_the_profiles_own():
    adam, sdtm, redcap = load("adam"), load("sdtm"), load("redcap")
    assert [assistant.leaves_arms_out(p, "arm") for p in (adam, sdtm, redcap)] == [True, True, False]
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
