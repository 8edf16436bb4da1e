"""Issue 30, review rev30 finding 4: what the pages say to a user limited to TRIAL when something asks for
REGISTRY, which the file holds but the user may not see, and to a user who may see no study."""

import pytest

from pts_explorer.workspace import Workspace
from tests.app.test_pages import _texts


def _grant(tmp_path, monkeypatch, text: str) -> None:
    file = tmp_path / "pts_permissions.toml"
    file.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PTS_PERMISSIONS", str(file))


@pytest.fixture
def trial_only(tmp_path, monkeypatch):
    _grant(tmp_path, monkeypatch, '[[grant]]\nusers = ["local"]\nstudies = ["TRIAL"]\n')


def _page(app_on, db, page, query=None):
    at = app_on(db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_a_saved_cohort_of_a_study_the_user_may_not_see_says_so(app_on, demo_db, workspace_file, trial_only):
    reg = Workspace(workspace_file).save("Reg occl only", {"study": ["REGISTRY"], "grade": ["occlusion"]}, "d", "", {})
    texts = _texts(_page(app_on, demo_db, "overview", {"cohort": reg.slug})).split("\n")
    assert (
        "The saved cohort **Reg occl only** filters Study by 'REGISTRY', which is a study you may not see: that "
        "filter matches nobody here and is left out, so this page does not show the saved cohort but the patients "
        "of its other filters."
    ) in texts


def test_a_study_in_the_address_the_user_may_not_see_is_a_notice(app_on, demo_db, workspace_file, trial_only):
    texts = _texts(_page(app_on, demo_db, "overview", {"study": "REGISTRY"})).split("\n")
    assert "The address asks for Study 'REGISTRY', a study you may not see: it is left out." in texts


def test_adjusted_says_no_observational_study_you_may_see(app_on, demo_db, workspace_file, trial_only):
    text = _texts(_page(app_on, demo_db, "adjusted"))
    assert "(this data file has no observational study you may see) or relax the sidebar's filters." in text


def test_a_user_who_may_see_no_study_is_told_so_not_to_widen_a_filter(
    app_on, demo_db, workspace_file, tmp_path, monkeypatch
):
    _grant(tmp_path, monkeypatch, '[[grant]]\ngroups = ["pts-trial"]\nstudies = ["TRIAL"]\n')
    texts = _texts(_page(app_on, demo_db, "overview")).split("\n")
    assert (
        "**You may see no study**, so no patient is shown. The permissions file grants you none: ask its "
        "administrator to add you (or one of your groups) to a grant."
    ) in texts
    assert not [t for t in texts if "Widen a filter" in t]


def test_compare_says_a_saved_cohort_b_lost_its_study_filter(app_on, demo_db, workspace_file, trial_only):
    reg = Workspace(workspace_file).save("Reg occl only", {"study": ["REGISTRY"], "grade": ["occlusion"]}, "d", "", {})
    at = _page(app_on, demo_db, "compare", {"b": reg.slug})
    assert [w.value for w in at.warning] == [
        "Cohort B, the saved cohort **Reg occl only**, filters Study by 'REGISTRY', which is a study you may not "
        "see: that filter is left out, so cohort B holds the patients of its other filters, not the saved cohort."
    ]
