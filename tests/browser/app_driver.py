"""Helpers that drive the app the way a person does, waiting on the app's own run token."""

import contextlib
import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from pts_explorer.workspace import Workspace

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# How long a page run may take before a test calls the app stuck. Every wait ends as soon as the
# app's run token says the run is over, so the budget costs nothing when the app is quick; it is
# sized for a 2-core machine with both cores busy (stress-ng --cpu 2 beside the suite), where a
# cold page's first run (imports, first queries, model fits) took up to a minute.
RUN_BUDGET = 180_000  # ms
LIST_WAIT = 30_000  # ms: an open option list that shows no option in this time was closed under the click


def new_context(browser: Browser, **options) -> BrowserContext:
    """A fresh browser context whose clicks and navigation wait for a busy server (RUN_BUDGET)."""
    context = browser.new_context(**options)
    context.set_default_timeout(RUN_BUDGET)
    return context


def watched_page(browser: Browser) -> tuple[Page, list[str]]:
    """A page of a fresh 1280x720 context, and the list its uncaught script errors are written to."""
    page = new_context(browser, viewport={"width": 1280, "height": 720}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


@pytest.fixture(scope="module")
def talk_server(request, demo_db, tmp_path_factory):
    """A server of the test module's own whose workspace holds one talk: the module's TALK (its title) and
    SLIDES ((page, settings, title) each, in order). Yields the server's URL and the talk's slug."""
    from tests.browser.conftest import serving  # conftest imports this module

    workspace = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / "workspace.sqlite"
    space = Workspace(workspace)
    talk = space.new_talk(request.module.TALK)
    for page, settings, title in request.module.SLIDES:
        space.add_slide(talk.slug, page, settings, title)
    with serving(demo_db, workspace=workspace) as url:
        yield url, talk.slug


def share_talk(page: Page, server: str, slug: str) -> tuple[str, str]:
    """Open the talk's first slide in presenter mode and share it to the room (the line's Room); the room's
    popover is closed again. Returns what it shows: the audience's link and the speaker view's link."""
    open_page(page, f"{server}/talks?talk={slug}&present=1")
    page.locator(".st-key-share_room button").first.click()
    room = page.get_by_test_id("stPopoverBody")
    room.get_by_role("button", name="Share to the room").click()
    audience = room.locator("[data-testid='stCode'] code").inner_text().strip()
    speaker = room.get_by_role("link", name="Speaker view").get_attribute("href") or ""
    page.keyboard.press("Escape")
    wait_idle(page)
    return audience, speaker


# Quick pages for a talk whose test is about the steps, not a model fit: (page, settings, title) each.
QUICK_SLIDES = [
    ("overview", {"site": ["femoral"]}, "Who they are"),
    ("trajectories", {"site": ["femoral"], "outcome": ["vcss"]}, "VCSS over time"),
    ("durability", {"site": ["femoral"], "endpoint": ["ulcer_healing"]}, "Ulcers heal"),
    ("safety", {"site": ["femoral"], "period": ["any time"]}, "Complications"),
    ("overview", {"site": ["common_iliac"]}, "Iliac patients"),
]

NOW_CAPTION = ".st-key-speaker_now [data-testid='stCaptionContainer']"  # the speaker view's "Now · Slide n of m"
PRESENTER_LINE = ".st-key-presenter_words [data-testid='stMarkdownContainer']"  # "Slide n of m: <title> · ..."


def open_speaker_view(presenter: Page, speaker: Page, server: str, slug: str, slides: int) -> None:
    """The talk shared to the room from the presenter's window (share_talk), its speaker view opened in the
    speaker's, once it says the room is on the first of the talk's `slides` slides."""
    _, link = share_talk(presenter, server, slug)
    open_page(speaker, link)
    speaker.wait_for_function(
        "([s, t]) => document.querySelector(s)?.innerText === t", arg=[NOW_CAPTION, f"Now · Slide 1 of {slides}"]
    )


def wait_idle(page: Page, timeout: float = RUN_BUDGET) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def run_token(page: Page) -> str:
    return (page.locator(".st-key-run_token").text_content() or "").strip()


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".st-key-run_token", state="attached", timeout=RUN_BUDGET)
    settle(page)


# The page is final: the app is not running, no element waits to be drawn, no clicker press waits to be
# carried out (ui/presenter.py's key listener marks the root element data-pts-pressing meanwhile), and the page
# says it was laid out for the run the token names (ui/screen.py sets data-pts-laid-for on the root element
# once that run has ended and, on a slide, once the screen it was laid out for is the browser's: no size
# report is to come).
FINAL = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const token = document.querySelector(".st-key-run_token");
  return !!app && !!token && app.dataset.testScriptState === "notRunning"
    && !document.querySelector("[data-testid='stSkeleton']")
    && !document.documentElement.hasAttribute("data-pts-pressing")
    && document.documentElement.dataset.ptsLaidFor === token.textContent.trim();
}"""


def settle(page: Page, timeout: float = RUN_BUDGET) -> None:
    """Wait until the page is final (FINAL): its run is over and, on a slide, the run the browser's size
    report asks for (ui/screen.py) has been drawn too, so the next action acts on the slide as shown."""
    page.wait_for_function(FINAL, timeout=timeout)


def stays(page: Page, ms: int) -> None:
    """Settle, give a press still queued in the page's key listener `ms` to act, and settle again: the
    window then stays where the presses led (a check that nothing moves after, not a wait for the app)."""
    settle(page)
    page.wait_for_timeout(ms)
    settle(page)


def after_key(page: Page, before: str, quiet: int = 1500) -> None:
    """Settle after a key that may start a run (Escape in the open list of a box with no default clears
    it, Streamlit, and the app runs again) or may not (a box with a default): the browser says nothing
    until the run starts, so the run is given `quiet` ms to start; once it has (the token is no longer
    `before`) or the time is out, the page is settled."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "([sel, prev]) => document.querySelector(sel)?.textContent.trim() !== prev",
            arg=[".st-key-run_token", before],
            timeout=quiet,
        )
    settle(page)


def act_and_wait(page: Page, action, timeout: float = RUN_BUDGET) -> None:
    """Do something that triggers a rerun, then wait until a new run has finished."""
    before = run_token(page)
    action()
    page.wait_for_function(
        "([sel, prev]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== prev; }",
        arg=[".st-key-run_token", before],
        timeout=timeout,
    )
    settle(page, timeout)


def counted(option: str) -> re.Pattern[str]:
    """A filter option as the sidebar writes it: its label and its patients, "Common iliac (623)"."""
    return re.compile(rf"^{re.escape(option)} \((?:[\d,]+|hidden)\)$")


def pick_option(page: Page, widget_label: str, option: str) -> None:
    box = page.get_by_test_id("stMultiSelect").filter(has_text=widget_label)
    field = box.locator("input")
    field.click()
    if field.get_attribute("aria-expanded") != "true":
        field.press("ArrowDown")  # a click that scrolled the sidebar first can leave the list closed
    act_and_wait(page, lambda: page.get_by_role("option", name=counted(option)).click())
    page.keyboard.press("Escape")


def chip_texts(page: Page, widget_label: str) -> list[str]:
    """The chosen options of a sidebar filter, whole: label and patients, "Common iliac (623)"."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text=widget_label)
    return [t.strip() for t in box.locator(".react-aria-ComboBox [data-tag] span[title]").all_inner_texts()]


def chips(page: Page, widget_label: str) -> list[str]:
    """The labels of the chosen options of a sidebar filter, each checked to carry its count and
    given without it ("Common iliac")."""
    texts = chip_texts(page, widget_label)
    labels = [re.sub(r" \((?:[\d,]+|hidden)\)$", "", t) for t in texts]
    assert all(counted(label).match(t) for label, t in zip(labels, texts, strict=True)), texts
    return labels


def cohort_total(page: Page) -> str:
    return page.locator(".st-key-cohort_counts").get_by_text("patients").first.inner_text()


def first_chart_data(page: Page) -> str:
    """The first chart's y values as plotly.js holds them (typed arrays may stay base64-encoded)."""
    return page.evaluate(
        "() => JSON.stringify(document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')"
        ".data.map(t => [t.name, t.y]))"
    )


def selected(page: Page, label: str) -> str:
    """The option a selectbox shows, read from its combobox (named by the widget's label)."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def open_list(page: Page, label: str) -> None:
    """Open a selectbox's option list, named by the widget's label. The box is scrolled into view
    before the click, and if the list is still closed (a click that scrolled the page or sidebar
    can land while the popover is being placed, seen under load in CI), ArrowDown opens it."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.scroll_into_view_if_needed()
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")


def listed(page: Page, label: str) -> list[str]:
    """The options a selectbox offers, in its order, read from its open list (opened again if a
    late layout closed it, as in choose); the list is closed again after, with Escape. Escape in the open
    list of a box with no default clears it (Streamlit), and the app runs again (the import assistant
    puts the choice back): that run is waited for, so the next action is not taken by it (CI, stop 38:
    a choice made while that run was finishing was read before its own run)."""
    for _ in range(3):
        open_list(page, label)
        try:
            page.get_by_role("option").first.wait_for(timeout=LIST_WAIT)
            texts = page.get_by_role("option").all_inner_texts()
        except PlaywrightTimeoutError:
            continue
        before = run_token(page)
        page.keyboard.press("Escape")
        after_key(page, before)
        return [t.strip() for t in texts]
    raise AssertionError(f"the list of {label!r} never stayed open")


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a selectbox, then wait for the rerun.

    An open list closes when the page scrolls or resizes under it (react-aria's popover does, as a
    person sees it do): a full-page screenshot just before, or a chart laid out late on a busy
    machine, can close it between the opening and the click, and the option is then detached
    from the page. As a person would, the list is opened again (at most three times)."""

    def pick() -> None:
        for attempt in range(3):
            try:
                open_list(page, label)
            except PlaywrightError:  # the box itself was replaced by a rerun: find it again
                if attempt == 2:
                    raise
                wait_idle(page)
                continue
            try:
                page.get_by_role("option", name=option, exact=True).click(timeout=LIST_WAIT)
                return
            except PlaywrightError:  # closed under the click (a timeout), or the list was replaced
                if attempt == 2:
                    raise

    act_and_wait(page, pick)


def go_to(page: Page, title: str) -> None:
    """Open another page from the app's page menu."""
    act_and_wait(page, lambda: page.locator(".st-key-page_nav").get_by_text(title, exact=True).click())


def query(page: Page) -> dict[str, list[str]]:
    """The current address's query parameters."""
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(page.url).query)


def path(page: Page) -> str:
    from urllib.parse import urlparse

    return urlparse(page.url).path


def flip(page: Page, label: str) -> None:
    """Click a toggle (the visible widget; its switch input is visually hidden), then wait."""
    act_and_wait(page, lambda: page.get_by_test_id("stCheckbox").filter(has_text=label).click())


def open_saved_cohorts(page: Page) -> None:
    """Open the sidebar's "Saved cohorts" (an expander at its foot, drawn when opened: a rerun)."""
    summary = page.get_by_test_id("stExpander").filter(has_text="Saved cohorts").locator("summary")
    act_and_wait(page, summary.click)
    expect(page.get_by_label("Save these filters as")).to_be_visible()
