"""A choice made in the mapping assistant survives Escape (review 10 of issue 23, finding 10): Streamlit clears
a selectbox that has no default when Escape is pressed in its open list, so browsing a required field's options
and leaving them with Escape lost the choice already made (the reviewer's enrolled_on)."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.app_driver import (
    act_and_wait,
    after_key,
    choose,
    listed,
    open_list,
    open_page,
    run_token,
    selected,
    wait_idle,
)
from tests.browser.conftest import serving
from tests.browser.import_verdict import expect_verdict
from tests.unit.test_import_assistant import builders_project


@pytest.fixture(scope="module")
def live_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("assist_escape") / "pts_outcomes.duckdb"


@pytest.fixture(scope="module")
def live_server(live_db, small_db):
    shutil.copyfile(small_db, live_db)
    with serving(live_db) as url:
        yield url


def test_escape_in_an_open_list_keeps_the_choice_made(live_server, small_db, page, tmp_path):
    project = builders_project(small_db, tmp_path)
    open_page(page, f"{live_server}/import")
    choose(page, "Profile", "redcap")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in project])
    expect(page.get_by_text(project[-1].name).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    act_and_wait(page, lambda: page.get_by_role("button", name="Check").click(), timeout=240_000)
    expect_verdict(page, "rejected", "redcap", project, tmp_path, synthetic=None)
    field = "arm (required): no source has treatment"
    choose(page, field, "study_arm")
    assert selected(page, field) == "study_arm"
    open_list(page, field)
    before = run_token(page)
    page.keyboard.press("Escape")
    after_key(page, before)
    assert selected(page, field) == "study_arm"
    # Another option still replaces it.
    other = next(o for o in listed(page, field) if o != "study_arm")
    choose(page, field, other)
    assert selected(page, field) == other
