"""The Saved cohorts page and saved-cohort links after an outside review (#24): a study the data do
not hold is refused on import and, in a cohort saved before the data changed, said on the page; an
unusable workspace is one error on the Saved cohorts page with nothing offered that cannot work; an
import shows in the list at once. Files are written here by hand, as a colleague's tool would."""

import os

from pts_explorer import escape
from pts_explorer.workspace import Workspace
from tests.app.test_saved_cohorts_limits import DO, _cohorts_page, _import

HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_study_the_data_do_not_hold_is_refused_on_import_as_text(app_on, demo_db, workspace_file):
    at = _cohorts_page(app_on, demo_db)
    text = '{"pts_saved_cohorts": 1, "cohorts": [{"name": "study hostile", "query": {"study": ["' + HOSTILE + '"]}}]}'
    _import(at, text.encode())
    assert [e.value for e in at.error] == [
        escape.markdown(
            "Cohort 1 of 1 ('study hostile'), field 'query.study' value '<img src=x onerror=alert(1)>' is not a "
            f"study of the data served; its studies are 'REGISTRY', 'TRIAL'. {DO}"
        )
    ]
    assert Workspace(workspace_file).cohorts() == []


def test_a_saved_cohort_whose_study_left_the_data_says_so(app_on, demo_db, workspace_file):
    """Saved before the data file was replaced: its study is not in the data served now."""
    saved = Workspace(workspace_file).save("Old trial, women", {"study": [HOSTILE], "sex": ["female"]}, "d", "x", {})
    at = app_on(demo_db, {"cohort": saved.slug}).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [
        "The saved cohort **Old trial, women** filters Study by '"
        + escape.markdown(HOSTILE)
        + "', which is not a study of the data served now: that filter matches nobody here and is left out, so "
        "this page does not show the saved cohort but the patients of its other filters."
    ]
    assert at.multiselect(key="study").value == [] and at.multiselect(key="sex").value == ["female"]


def test_a_damaged_workspace_is_one_error_and_offers_nothing_that_cannot_work(app_on, demo_db, workspace_file):
    workspace_file.write_bytes(os.urandom(100_000))
    at = _cohorts_page(app_on, demo_db)
    assert [e.value for e in at.error] == [
        escape.markdown(
            "The saved cohorts' workspace (workspace.sqlite) cannot be used: file is not a database. Nothing was "
            "changed; ask the operator to check the file or set PTS_WORKSPACE to a writable place."
        )
    ]
    assert [i.value for i in at.info] == []  # no second notice, no "No cohort is saved yet."
    assert at.get("download_button") == [] and at.get("file_uploader") == []


def test_an_import_shows_in_the_list_at_once(app_on, demo_db, workspace_file):
    Workspace(workspace_file).save("Before", {"sex": ["male"]}, "demo", "x", {})
    at = _cohorts_page(app_on, demo_db)
    assert list(at.dataframe[0].value.Name) == ["Before"]
    text = (
        '{"pts_saved_cohorts": 1, "cohorts": [{"name": "Anna\'s femoral", "query": {"site": ["femoral"]}}, '
        '{"name": "Women", "query": {"sex": ["female"]}, "note": "from Anna"}]}'
    )
    _import(at, text.encode())
    assert [s.value for s in at.success] == ["Imported 2 saved cohort(s)."]
    assert list(at.dataframe[0].value.Name) == ["Anna's femoral", "Before", "Women"]
    assert "Saved cohorts 1-3 of 3, by name." in [c.value for c in at.caption]
