"""A talk of five views (#27 item 3), built the way a presenter builds it: each view opened from its
address, **Add to talk** on each; opened from the Talks page's Present link and stepped with the
keyboard at 1280x720. Each step is checked on the address the browser ends on, whole (path and
query), and on the line's first words."""

import json
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.browser.app_driver import act_and_wait, new_context, open_page, path, query
from tests.browser.conftest import serving

TITLE = "Iliac stents, in five views"
VIEWS = [  # (address, the settings the slide keeps, the slide's title as Add to talk offers it)
    ("/overview?site=femoral", {"site": ["femoral"]}, "Cohort overview: Femoral"),
    (
        "/trajectories?site=femoral&outcome=vcss",
        {"site": ["femoral"], "outcome": ["vcss"]},
        "Symptom and outcome trajectories: Femoral",
    ),
    (
        "/effects?site=common_iliac&visit=12",
        {"site": ["common_iliac"], "visit": ["12"]},
        "Treatment effects: Common iliac",
    ),
    ("/durability?endpoint=ulcer_healing", {"endpoint": ["ulcer_healing"]}, "Durability over 10 years: All patients"),
    ("/safety?period=any+time", {"period": ["any time"]}, "Safety and complications: All patients"),
]


@pytest.fixture(scope="module")
def talk_server(demo_db, tmp_path_factory):
    """A server of its own, with an empty workspace: the talk built here is the only one."""
    workspace = tmp_path_factory.mktemp("talks") / "workspace.sqlite"
    with serving(demo_db, workspace=workspace) as url:
        yield url, workspace


@pytest.fixture
def small_page(browser):
    context = new_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _add_to_talk(page: Page, new_title: str | None) -> None:
    page.locator(".st-key-add_to_talk button").first.click()
    body = page.get_by_test_id("stPopoverBody")
    expect(body).to_be_visible()
    if new_title is not None:
        body.get_by_label("New talk's title").fill(new_title)
    act_and_wait(page, lambda: body.get_by_role("button", name="Add slide").click())


def _line_start(page: Page) -> str:
    words = page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']").inner_text()
    return words.split(" · ")[0]


def test_a_talk_of_five_views_is_built_from_pages_and_stepped_with_the_keyboard(talk_server, small_page: Page):
    server, workspace = talk_server
    page = small_page
    for number, (address, _, _) in enumerate(VIEWS, start=1):
        open_page(page, f"{server}{address}")
        _add_to_talk(page, TITLE if number == 1 else None)
        shown = (
            page.get_by_test_id("stPopoverBody")
            .get_by_test_id("stAlertContentSuccess")
            .get_by_test_id("stMarkdownContainer")
            .inner_text()
        )
        assert shown == f"Added as slide {number} of {TITLE}.", (address, shown)
        page.keyboard.press("Escape")
    with sqlite3.connect(workspace) as con:
        ((slug, title),) = con.execute("SELECT slug, title FROM talks").fetchall()
        slides = con.execute("SELECT position, page, query, title FROM talk_slides ORDER BY position").fetchall()
    assert title == TITLE
    assert [(n, p, json.loads(q), t) for n, p, q, t in slides] == [
        (n, address.split("?")[0].strip("/"), kept, offered) for n, (address, kept, offered) in enumerate(VIEWS, 1)
    ]

    open_page(page, f"{server}/talks")
    act_and_wait(page, lambda: page.locator(".st-key-talk_actions").get_by_role("link", name="Present").click())
    for number, (address, kept, offered) in enumerate(VIEWS, start=1):
        if number > 1:
            act_and_wait(page, lambda: page.keyboard.press("ArrowRight"))
        expected = {**kept, "present": ["1"], "talk": [slug], "slide": [str(number)]}
        assert (path(page), query(page)) == (address.split("?")[0], expected), number
        assert _line_start(page) == f"Slide {number} of 5: {offered}", number
    # The last slide has no Next: ArrowRight leaves the address as it is; Home goes back to slide 1.
    page.keyboard.press("ArrowRight")
    assert query(page)["slide"] == ["5"]
    act_and_wait(page, lambda: page.keyboard.press("Home"))
    assert (path(page), query(page)) == (
        "/overview",
        {"site": ["femoral"], "present": ["1"], "talk": [slug], "slide": ["1"]},
    )
