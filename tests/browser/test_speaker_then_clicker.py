"""Review 27c, finding 1: after the speaker view stepped the room (Next twice, 3 -> 5), two ArrowLeft presses
on the presenter's window, made as soon as it showed slide 5, ended on slide 2 (every window with it), not 3.

The cause: the presenter's key listener counts a press from the slide its hidden box says is on screen
(presenter_at_<n>_of_<m>, drawn last in the run, after the slide's line). A slide the speaker view opened in
the presenter's window was not opened by the listener, so it did not know a slide was on its way: a press made
once the line said "Slide 5 of 5" but before the run drew the new box was counted from the box of the slide
before (4), 4 - 2 = 2. The listener now counts presses made while a run is going on (or the box is not yet
drawn) once the run is over, from the slide then on screen.

What is asserted is where the room ends (the presenter's address, whole, and the speaker view's "Now"); the
waits are deadlines on the pages' own state, and the presses follow the line's text at once (as the review's)."""

from playwright.sync_api import Page

from tests.browser.app_driver import (
    NOW_CAPTION,
    PRESENTER_LINE,
    QUICK_SLIDES,
    open_speaker_view,
    path,
    query,
    stays,
    watched_page,
)

TALK = "Five slides for a clicker"  # served with its SLIDES by talk_server (app_driver)
SLIDES = QUICK_SLIDES


def _shows(presenter: Page, slide: int) -> None:
    """The presenter's line names `slide` (polled at every frame: the test acts as soon as it does)."""
    presenter.wait_for_function(
        "([s, p]) => (document.querySelector(s)?.innerText || '').startsWith(p)",
        arg=[PRESENTER_LINE, f"Slide {slide} of {len(SLIDES)}: {SLIDES[slide - 1][2]} · "],
        timeout=120_000,
    )


def _lands(presenter: Page, speaker: Page, slug: str, slide: int) -> None:
    """The room ends on `slide`: the presenter's address whole, the speaker's "Now", nothing moving after."""
    _shows(presenter, slide)
    speaker.wait_for_function(
        "([s, t]) => document.querySelector(s)?.innerText === t",
        arg=[NOW_CAPTION, f"Now · Slide {slide} of {len(SLIDES)}"],
        timeout=60_000,
    )
    stays(presenter, 3000)
    page, settings, _ = SLIDES[slide - 1]
    expected = {**settings, "present": ["1"], "talk": [slug], "slide": [str(slide)]}
    assert (path(presenter), query(presenter)) == (f"/{page}", expected)
    assert speaker.locator(NOW_CAPTION).first.inner_text() == f"Now · Slide {slide} of {len(SLIDES)}"


def test_clicker_presses_after_speaker_steps_count_from_the_room_slide(talk_server, browser):
    server, slug = talk_server
    presenter, presenter_errors = watched_page(browser)
    speaker, speaker_errors = watched_page(browser)
    try:
        open_speaker_view(presenter, speaker, server, slug, len(SLIDES))
        speaker.keyboard.press("ArrowRight")
        speaker.keyboard.press("ArrowRight")
        _lands(presenter, speaker, slug, 3)
        speaker.keyboard.press("ArrowRight")  # the review's sequence: the speaker view steps 3 -> 5 ...
        speaker.keyboard.press("ArrowRight")
        _shows(presenter, 5)
        presenter.keyboard.press("ArrowLeft")  # ... and the clicker goes back two as soon as 5 shows
        presenter.keyboard.press("ArrowLeft")
        _lands(presenter, speaker, slug, 3)
    finally:
        presenter.context.close()
        speaker.context.close()
    assert not presenter_errors and not speaker_errors, (presenter_errors, speaker_errors)
