"""Review 27, finding 1, in the browser: two presses of a clicker in the speaker view, the second
made before the presenter's window has drawn the first's slide, move the room two slides, counting
from the slide it is on; and the speaker view never says "Now" of a slide the presenter's window
is not on (it says "Going to" until it is). Before the fix the presenter's window, still drawing
the slide it was leaving, wrote it back over the speaker's step: one press was lost, and the
speaker view said "Now · Slide 3" of a slide the room never reached.

What is asserted is the order and count of steps, never a time: every "Now · Slide N" the speaker
view showed is a slide the presenter's window showed first, and the presenter ends on slide 3 of
4. The waits are deadlines on the page's own state (never sleeps)."""

from tests.browser.app_driver import (
    NOW_CAPTION,
    PRESENTER_LINE,
    QUICK_SLIDES,
    open_speaker_view,
    path,
    query,
    wait_idle,
    watched_page,
)

TALK = "Four femoral slides"  # served with its SLIDES by talk_server (app_driver)
SLIDES = QUICK_SLIDES[:4]

# Every text a caption or the presenter line showed, in order, recorded as the page changes.
RECORD = """(selector) => {
  window.ptsSeen = [];
  const look = () => {
    for (const node of document.querySelectorAll(selector)) {
      const text = node.innerText.trim();
      if (text && window.ptsSeen[window.ptsSeen.length - 1] !== text) window.ptsSeen.push(text);
    }
  };
  look();
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_two_quick_presses_in_the_speaker_view_move_the_room_two_slides(talk_server, browser):
    server, slug = talk_server
    presenter, presenter_errors = watched_page(browser)
    speaker, speaker_errors = watched_page(browser)
    try:
        open_speaker_view(presenter, speaker, server, slug, len(SLIDES))
        presenter.evaluate(RECORD, PRESENTER_LINE)
        speaker.evaluate(RECORD, NOW_CAPTION)

        speaker.keyboard.press("PageDown")
        # The second press as soon as the first's step is stored (the speaker view says where it goes),
        # while the presenter's window is still on slide 1 or drawing slide 2.
        speaker.wait_for_function(
            "s => /Slide 2 of 4/.test(document.querySelector(s)?.innerText || '')", arg=NOW_CAPTION, timeout=30_000
        )
        speaker.keyboard.press("PageDown")
        presenter.wait_for_function(
            "s => (document.querySelector(s)?.innerText || '').startsWith('Slide 3 of 4: Ulcers heal · ')",
            arg=PRESENTER_LINE,
            timeout=60_000,
        )
        speaker.wait_for_function(
            "s => document.querySelector(s)?.innerText === 'Now · Slide 3 of 4'", arg=NOW_CAPTION, timeout=30_000
        )
        wait_idle(presenter)
        expected = {**SLIDES[2][1], "present": ["1"], "talk": [slug], "slide": ["3"]}
        assert (path(presenter), query(presenter)) == ("/durability", expected)

        said_now = [t for t in speaker.evaluate("window.ptsSeen") if t.startswith("Now · ")]
        drawn = [t.split(":", 1)[0] for t in presenter.evaluate("window.ptsSeen") if t.startswith("Slide ")]
        # "Now" only of a slide the presenter's window had drawn; the room went 1, (2,) 3 and stayed.
        assert all(now.removeprefix("Now · ") in drawn for now in said_now), (said_now, drawn)
        assert said_now[-1] == "Now · Slide 3 of 4" and drawn[-1] == "Slide 3 of 4", (said_now, drawn)
        assert set(drawn) <= {"Slide 1 of 4", "Slide 2 of 4", "Slide 3 of 4"}, drawn
    finally:
        presenter.context.close()
        speaker.context.close()
    assert not presenter_errors and not speaker_errors, (presenter_errors, speaker_errors)
