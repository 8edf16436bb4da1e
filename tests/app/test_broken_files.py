"""Broken database files end in a clear message (errors) or a banner (warnings): never a traceback,
never numbers from a file that breaks the contract.

That each rule catches its fault is tests/unit/test_validation.py's job (every file of the corpus);
here one file with an error is opened on three pages (the check that stops them is the frame's, the
same for every page), and one with a warning on Overview and Data checks: what the page does with a
report is the same whichever rule wrote it."""

import pytest

from pts_explorer.config import DATA_PAGES, PAGES, PROJECT_ROOT
from tests import broken_files
from tests.app.test_pages import _texts
from tests.broken_files import ERRORS, WARNINGS

ERROR = next(b for b in ERRORS if b.name == "duplicated patients")
WARNING = WARNINGS[0]


@pytest.fixture(scope="module")
def corpus(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    paths = {}
    for broken in (ERROR, WARNING):
        (folder / broken.name).mkdir()
        paths[broken.name] = broken_files.build(broken, demo_db, folder / broken.name)
    return paths


def _open(app_on, path, page):
    at = app_on(path)
    (at if page == "home" else at.switch_page(f"app_pages/{page}.py")).run()
    assert not at.exception, at.exception
    return at


def test_a_broken_file_stops_with_the_list_of_problems(app_on, corpus):
    at = _open(app_on, corpus[ERROR.name], "overview")
    text = _texts(at)
    assert "The outcomes database cannot be used" in text
    assert not at.get("plotly_chart") and not at.metric  # no number from this file
    assert "Synthetic demo data" not in text
    rules = list(at.dataframe[0].value["Rule"])
    assert any(r.startswith(ERROR.expect) for r in rules), rules


def test_only_the_import_page_and_the_speaker_view_run_without_a_usable_database():
    """Every page runs inside pts_explorer.ui.frame.run (app.py), which checks the database before
    any page that needs data: that check is what stops them all, so two pages through AppTest (and
    Overview above) stand for the thirteen. The speaker view reads the workspace alone (a share's
    slides and notes), never the outcomes file."""
    assert {p.name for p in PAGES} - {p.name for p in DATA_PAGES} == {"import_data", "speaker", "audit"}
    assert "frame.run(current, sections, spec)" in (PROJECT_ROOT / "app.py").read_text()


@pytest.mark.parametrize("page", ["home", "data_checks"])
def test_other_pages_stop_on_a_broken_file(app_on, corpus, page):
    at = _open(app_on, corpus[ERROR.name], page)
    assert "The outcomes database cannot be used" in _texts(at)
    assert not at.get("plotly_chart") and not at.metric


def test_a_file_with_warnings_shows_numbers_under_a_banner(app_on, corpus):
    at = _open(app_on, corpus[WARNING.name], "overview")
    assert "Data warnings" in _texts(at)
    assert at.get("plotly_chart") and at.metric
    at.switch_page("app_pages/data_checks.py").run()
    assert not at.exception
    rules = list(at.dataframe[0].value["Rule"])
    assert any(r.startswith(WARNING.expect) for r in rules)


def test_the_demo_has_no_warning_and_the_checks_page_says_so(app_on, demo_db):
    at = _open(app_on, demo_db, "data_checks")
    text = _texts(at)
    assert "Data warnings" not in text and "Every check passed" in text
    assert len(at.dataframe[-1].value) >= 90  # the list of every rule
