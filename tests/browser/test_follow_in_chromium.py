"""Follow me (#27 item 4), as a room sees it: a presenter shares a talk to the room from the line's
Room; a second browser context (another person's screen) opens the audience's link; the presenter
steps three slides with the keyboard, and the follower lands on each within 2 s of the presenter's
step, its line reading the same n as the presenter's; the presenter's view counts 1 follower
(beside Room, in its corner).

A step is the presenter's slide landing on the presenter's own screen: from the key press until the
address is the slide's and the line names it (on a machine whose two cores are shared with other
test runs this alone took 0.8 to 3.2 s). The follower's switch to the slide's address and its landing
are measured the same way (its lag behind the presenter's landing: 0.4 to 1.1 s at load 13-16, 2.1 s
once in CI under a full suite: the follower reads the store every second, then draws the slide, as
slowly as the machine's load makes it). What following adds is asserted: the follower leaves for the
presenter's slide within one reading of the store (plus 1.5 s for that reading's run to start under load)
of the presenter's landing, since the presenter's window marks the slide drawn as it lands (followers wait
for that mark: review 27d, finding 1). The follower's drawing is the
page's own cost, shared with the presenter's and bound by load, so it is printed, not asserted (the
issue's "within ~2 s" is what the printed landings show on an idle machine). Landings are waited for
with a deadline (never a sleep); the times are printed, and a slow switch fails with them."""

import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from pts_explorer.ui import following
from tests.browser.app_driver import open_page, path, query, share_talk, wait_idle, watched_page

# How each chart's download toolbars are displayed (plotly's modebar; Streamlit's toolbar, once hovered).
TOOLBARS = """() => [...document.querySelectorAll(
  ".stPlotlyChart .modebar-container, [data-testid='stElementToolbar']")].map(e => getComputedStyle(e).display)"""
# Seconds after the presenter's slide landed: one reading of the store, and the follower's reading run, which
# under load starts late (a follower opens a slide once the presenter's window has drawn it, review 27d: the
# write that says so ends the presenter's run, as the slide lands; 1.64 s was seen at load 15).
SWITCHES_WITHIN = following.POLL_SECONDS + 1.5
TALK = "Iliac stents, live"  # served with its SLIDES by talk_server (app_driver)
SLIDES = [  # (page, settings, title): quick pages, so the steps measure the following, not a model fit
    ("overview", {"site": ["femoral"]}, "Who they are"),
    ("trajectories", {"site": ["femoral"], "outcome": ["vcss"]}, "VCSS over time"),
    ("durability", {"endpoint": ["ulcer_healing"]}, "Ulcers heal"),
    ("safety", {"period": ["any time"]}, "Complications"),
]


def _line(page: Page) -> str:
    return page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']").inner_text()


# The words of a status (the followers' count, what a follower follows) without its icon's ligature name.
SAYS = """([selector, words]) => {
  const box = document.querySelector(selector);
  if (!box) return false;
  const copy = box.cloneNode(true);
  copy.querySelectorAll('[data-testid="stIconMaterial"], [role="img"]').forEach((icon) => icon.remove());
  return copy.innerText.trim() === words;
}"""


def _says(page: Page, selector: str, words: str, timeout: float = 20_000) -> None:
    page.wait_for_function(SAYS, arg=[selector, words], timeout=timeout)


LANDED = """([path, start]) => {
  const words = document.querySelector('.st-key-presenter_words [data-testid="stMarkdownContainer"]');
  return location.pathname === path && words && words.innerText.startsWith(start);
}"""


def test_a_follower_lands_on_each_slide_the_presenter_steps_to_within_two_seconds(talk_server, browser):
    server, slug = talk_server
    presenter, presenter_errors = watched_page(browser)
    follower, follower_errors = watched_page(browser)
    try:
        link, _ = share_talk(presenter, server, slug)
        code = link.rsplit("=", 1)[1]
        assert link == f"{server}/?follow={code}"

        open_page(follower, link)
        expected = {**SLIDES[0][1], "present": ["1"], "talk": [slug], "slide": ["1"]}
        assert (path(follower), query(follower)) == ("/overview", {**expected, "follow": [code]})
        _says(presenter, ".st-key-share_followers", "1 following")  # heartbeats every 3 s, counted over 10 s
        wait_idle(presenter)
        assert _line(follower) == _line(presenter)

        took = []
        for number, (page, settings, title) in enumerate(SLIDES[1:], start=2):
            start = time.monotonic()
            presenter.keyboard.press("ArrowRight")
            landed_at = [f"/{page}", f"Slide {number} of 4: {title} · "]
            try:
                presenter.wait_for_function(LANDED, arg=landed_at, timeout=30_000)
            except PlaywrightError:  # where the key listener stood (pts_explorer/ui/presenter.py), for the log
                state = presenter.evaluate("() => JSON.stringify(window.ptsPresenterState())")
                print("listener:", presenter.url, state)
                raise
            own = time.monotonic() - start
            follower.wait_for_function("p => location.pathname === p", arg=f"/{page}", timeout=30_000)
            switched = time.monotonic() - start
            follower.wait_for_function(LANDED, arg=[f"/{page}", f"Slide {number} of 4: {title} · "], timeout=30_000)
            landed = time.monotonic() - start
            took.append({"presenter": round(own, 2), "switched": round(switched, 2), "landed": round(landed, 2)})
            expected = {**settings, "present": ["1"], "talk": [slug], "slide": [str(number)]}
            assert query(follower) == {**expected, "follow": [code]}, number
            wait_idle(presenter)
            wait_idle(follower)
            assert (path(presenter), query(presenter)) == (f"/{page}", expected), number
            assert _line(follower) == _line(presenter), number  # the same n, design and badges
        print(f"seconds from each key press: {took}")
        assert all(t["switched"] - t["presenter"] < SWITCHES_WITHIN for t in took), took
        _says(presenter, ".st-key-share_followers", "1 following")
        _says(follower, ".st-key-follow_status", "Following Iliac stents, live")
        # A follower exports nothing: the charts' download toolbars (plotly's modebar, Streamlit's element
        # toolbar) are there for the presenter, not displayed for the follower (review 9: a follower could
        # download a slide's table as CSV).
        for window, shown in ((presenter, True), (follower, False)):
            window.locator(".stPlotlyChart").first.hover()
            displays = window.evaluate(TOOLBARS)
            assert displays and all((d != "none") == shown for d in displays), (shown, displays)
    finally:
        presenter.context.close()
        follower.context.close()
    assert not presenter_errors and not follower_errors, (presenter_errors, follower_errors)


# Streamlit's own words when its front end gives up on a message (review 9, finding 1: "Connection error:
# Failed to process a Websocket message. Error: Cached ForwardMsg MISS [hash=...]"), as its modal shows them.
FRONT_END_FAILED = """() => {
  const box = document.createElement("div");
  box.setAttribute("role", "dialog");
  box.innerText = "Connection error\\nFailed to process a Websocket message. Error: Cached ForwardMsg MISS " +
    "[hash=06648b222fa3dc65eae32b9491353040]. This is not expected to happen.";
  document.body.appendChild(box);
}"""


def test_a_follower_whose_front_end_failed_reloads_itself_and_follows_on(talk_server, browser):
    """Review 9, finding 1: a follower's window died with Streamlit's "Cached ForwardMsg MISS" under
    rapid steps, and nothing told the audience member. A window whose front end failed now reloads
    itself and follows on. Here the failure is Streamlit's modal put on the page; the window must
    reload once, land on the presenter's slide, and follow the next step."""
    server, slug = talk_server
    presenter, _ = watched_page(browser)
    follower, _ = watched_page(browser)
    try:
        link, _ = share_talk(presenter, server, slug)
        open_page(follower, link)
        loads: list[float] = []
        follower.on("load", lambda: loads.append(time.monotonic()))

        presenter.keyboard.press("ArrowRight")
        follower.wait_for_function(LANDED, arg=["/trajectories", f"Slide 2 of 4: {SLIDES[1][2]} · "], timeout=30_000)
        assert not loads  # a step is an in-app navigation, not a reload
        wait_idle(follower)

        follower.evaluate(FRONT_END_FAILED)
        follower.wait_for_function("() => !document.body.innerText.includes('Cached ForwardMsg MISS')", timeout=10_000)
        follower.wait_for_function(LANDED, arg=["/trajectories", f"Slide 2 of 4: {SLIDES[1][2]} · "], timeout=30_000)
        assert len(loads) == 1  # it reloaded itself, once
        wait_idle(follower)
        presenter.keyboard.press("ArrowRight")
        try:
            follower.wait_for_function(LANDED, arg=["/durability", f"Slide 3 of 4: {SLIDES[2][2]} · "], timeout=30_000)
        except PlaywrightError:  # which window stopped: the presenter's (its key listener) or the follower's
            state = presenter.evaluate("() => JSON.stringify(window.ptsPresenterState())")
            print("presenter:", presenter.url, state, "follower:", follower.url)
            raise
        _says(presenter, ".st-key-share_followers", "1 following")
    finally:
        presenter.context.close()
        follower.context.close()


def _room(page: Page):
    """The presenter's Room popover, opened."""
    page.locator(".st-key-share_room button").first.click()
    return page.get_by_test_id("stPopoverBody")


def test_a_presenter_who_reloads_shares_on_under_the_same_link(talk_server, browser):
    """Review 27d, finding 2: a reload of the presenter's window (F5) ended sharing without a word: the
    presenter came back with no followers' count, stepped on, and the room stayed on the old slide. The
    window now shares on under the same audience link (its browser keeps the share); after Stop sharing a
    reload does not share again."""
    server, slug = talk_server
    presenter, presenter_errors = watched_page(browser)
    follower, _ = watched_page(browser)
    try:
        link, _ = share_talk(presenter, server, slug)
        open_page(follower, link)
        _says(presenter, ".st-key-share_followers", "1 following")
        presenter.keyboard.press("ArrowRight")
        follower.wait_for_function(LANDED, arg=["/trajectories", f"Slide 2 of 4: {SLIDES[1][2]} · "], timeout=30_000)
        wait_idle(presenter)
        before = (path(presenter), query(presenter))

        presenter.reload()
        presenter.wait_for_selector(".st-key-run_token", state="attached", timeout=60_000)
        wait_idle(presenter)
        assert (path(presenter), query(presenter)) == before
        _says(presenter, ".st-key-share_followers", "1 following")
        room = _room(presenter)
        assert room.locator("[data-testid='stCode'] code").inner_text().strip() == link  # the same audience link
        presenter.keyboard.press("Escape")
        wait_idle(presenter)

        presenter.keyboard.press("ArrowRight")
        follower.wait_for_function(LANDED, arg=["/durability", f"Slide 3 of 4: {SLIDES[2][2]} · "], timeout=30_000)
        _says(follower, ".st-key-follow_status", "Following Iliac stents, live")

        _room(presenter).get_by_role("button", name="Stop sharing").click()
        wait_idle(presenter)
        presenter.reload()
        presenter.wait_for_selector(".st-key-run_token", state="attached", timeout=60_000)
        wait_idle(presenter)
        assert presenter.locator(".st-key-share_followers").count() == 0
        expect(_room(presenter).get_by_role("button", name="Share to the room")).to_be_visible()
    finally:
        presenter.context.close()
        follower.context.close()
    assert not presenter_errors, presenter_errors
