"""Review 27c, finding 4: at 1920x1080 the Room icon's tooltip ("Room: share this presentation to the room; ...")
opened over Share to the room and stayed while the pointer was on the icon: the first click on the button hit the
tooltip (Playwright: "tooltip ... intercepts pointer events"). The presenter's first act in front of the room. With
the popover open no tooltip shows: the pointer goes from the icon straight to the button, which takes the click.

Finding 5: a follower's line at 1280x720: "Following <a long talk title>" took half the line's width, its second line
cut through the glyphs, and the slide's line wrapped into 4-5 lines. It is now one line, cut with an ellipsis."""

import contextlib
from collections.abc import Iterator

from playwright.sync_api import Page, expect

from tests.browser.app_driver import PRESENTER_LINE, QUICK_SLIDES, open_page, share_talk, wait_idle

TALK = (
    "Iliac stents: what the registry adds to the randomized trial"  # served with its SLIDES by talk_server (app_driver)
)
SLIDES = QUICK_SLIDES[:2]


def test_share_to_the_room_takes_the_first_click_after_the_icon(talk_server, browser):
    server, slug = talk_server
    page: Page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        open_page(page, f"{server}/talks?talk={slug}&present=1")
        icon = page.locator(".st-key-share_room button").first
        icon.hover()
        tip = page.get_by_text("Room: share this presentation to the room", exact=False)
        expect(tip).to_be_visible()  # the icon says what it is
        icon.click()
        share = page.get_by_test_id("stPopoverBody").get_by_role("button", name="Share to the room")
        expect(share).to_be_visible()
        expect(tip).to_be_hidden()  # the tooltip no longer covers the popover
        share.click(timeout=5_000)  # the button itself takes the click (no force: Playwright checks what is hit)
        expect(page.get_by_test_id("stPopoverBody").get_by_role("button", name="Stop sharing")).to_be_visible()
    finally:
        page.close()


@contextlib.contextmanager
def _shared_and_followed(talk_server, browser) -> Iterator[tuple[Page, Page]]:
    """The talk shared by a presenter's window and followed by another, both at 1280x720."""
    server, slug = talk_server
    presenter: Page = browser.new_page(viewport={"width": 1280, "height": 720})
    follower: Page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        link, _ = share_talk(presenter, server, slug)
        open_page(follower, link)
        yield presenter, follower
    finally:
        presenter.close()
        follower.close()


def test_a_followers_line_at_1280_keeps_what_it_follows_to_one_line(talk_server, browser):
    with _shared_and_followed(talk_server, browser) as (_, follower):
        status = follower.locator(".st-key-follow_status p")
        expect(status).to_have_text(f"cast Following {TALK}")  # the icon's name, then the whole title as text
        wait_idle(follower)
        lines = follower.evaluate(
            """(selector) => {
              const height = (node) => node.getBoundingClientRect().height;
              const lineHeight = (node) => parseFloat(getComputedStyle(node).lineHeight);
              const status = document.querySelector('.st-key-follow_status p');
              const words = document.querySelector(selector);
              return [height(status) / lineHeight(status), height(words) / lineHeight(words)];
            }""",
            PRESENTER_LINE,
        )
        assert round(lines[0]) == 1, lines  # one line, cut short with an ellipsis
        assert round(lines[1]) <= 2, lines  # the slide's line in two lines (it wrapped into 4-5)


def test_a_followers_notice_that_the_presenter_stopped_is_read_whole(talk_server, browser):
    """Review 27d, finding 6: the one-line cut for the talk's title also cut the notice a follower must read
    ("The presenter has not been heard fr…"). A notice wraps; only what the window follows is cut."""
    with _shared_and_followed(talk_server, browser) as (presenter, follower):
        presenter.locator(".st-key-share_room button").first.click()
        presenter.get_by_test_id("stPopoverBody").get_by_role("button", name="Stop sharing").click()
        notice = follower.locator(".st-key-follow_notice p")
        expect(notice).to_have_text("cast The presenter stopped sharing: this is the last slide shown", timeout=30_000)
        cut = notice.evaluate("(p) => p.scrollWidth > p.clientWidth || getComputedStyle(p).textOverflow === 'ellipsis'")
        assert cut is False
        # Its last line is not cut by the row that holds it (review 27e, finding 6: its second line cut in half):
        # the point just above its bottom, at its left, is the notice's own text.
        shown = notice.evaluate(
            "(p) => { const r = p.getBoundingClientRect();"
            " const at = document.elementFromPoint(r.left + 30, r.bottom - 8);"
            " return [Math.round(r.height / parseFloat(getComputedStyle(p).lineHeight)), p.contains(at)]; }"
        )
        assert shown == [2, True], shown  # two lines, the second one shown
