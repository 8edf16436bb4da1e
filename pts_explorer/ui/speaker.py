"""The speaker view (`/speaker?share=<secret>`), a presenter's second window: the slide on screen
with its speaker notes, the next slide, the time since sharing started and how many follow; its
Previous and Next (and a clicker's keys) move the shared slide, which the presenter's own window and
every follower then open. It reads the share every second."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePosixPath

import streamlit as st

from pts_explorer import escape, workspace
from pts_explorer.config import PageSpec
from pts_explorer.filters import CohortFilter
from pts_explorer.settings import SETTINGS
from pts_explorer.ui import following, presenter, state, talks

_PROBLEM = "_speaker_problem"
_MOVES = "_speaker_moves"  # how many steps this view made (Previous, Next, Home, End): KEYS_SCRIPT waits on it
# Read at a glance from a lectern: the notes and the clock large, the next slide smaller.
STYLE = """<style>
.st-key-speaker_notes p { font-size: 1.6rem; line-height: 1.45; }
.st-key-speaker_elapsed p, .st-key-speaker_followers p { font-size: 1.4rem; }
.st-key-speaker_now h3 { font-size: 2.2rem; }
[class*='st-key-speaker_moves_'], .st-key-speaker_first, .st-key-speaker_last { display: none; }
</style>"""

# A clicker pointed at the speaker view steps the slides too: the keys click its Previous and Next.
# One click at a time: Streamlit runs a button's on_click once for any number of clicks made before its
# run starts (it merges their rerun requests, keeping one "pressed"), so two presses 0.25 s apart moved
# the room one slide (review 27b, finding 2). The listener queues the presses (keys, and clicks on the two
# buttons alike) and clicks for the next one only once this view has drawn the count of steps it made
# (the hidden box speaker_moves_<n>, _move counts them), or 20 s passed. Each step then counts from the
# slide the step before it led to (_move reads the share as stored).
KEYS_SCRIPT = """<script>
(() => {
  if (window.ptsSpeakerKeys) return;
  window.ptsSpeakerKeys = true;
  const targets = {ArrowRight: "next", PageDown: "next", " ": "next", ArrowLeft: "previous", PageUp: "previous",
                   Home: "first", End: "last"};
  const queue = [];  // presses not yet sent: "next", "previous", "first", "last"
  let sent = null;  // the press sent last, until it is counted: {moves: the count it leads to, at: when}
  const moves = () => {
    const box = document.querySelector("[class*='st-key-speaker_moves_']");
    const found = box && /st-key-speaker_moves_(\\d+)/.exec(box.className);
    return found ? Number(found[1]) : null;
  };
  const button = (name) => document.querySelector(`.st-key-speaker_${name} button`);
  setInterval(() => {
    const count = moves();
    if (sent && (count === null || count < sent.moves) && Date.now() - sent.at < 20000) return;
    sent = null;
    if (!queue.length || count === null) return;
    const target = button(queue.shift());
    if (!target || target.disabled) return;  // none to step to (the first or last slide): the press is spent
    sent = {moves: count + 1, at: Date.now()};
    target.click();
  }, 50);
  const press = (name, event) => {
    if (!button(name)) return;  // sharing stopped: no steps here
    event.preventDefault();
    event.stopPropagation();
    queue.push(name);
  };
  document.addEventListener("keydown", (event) => {
    const target = targets[event.key];
    const field = event.target && (event.target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName));
    if (!target || field || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    press(target, event);
  }, true);
  document.addEventListener("click", (event) => {  // a click of the person's own (not the listener's)
    if (!event.isTrusted || !event.target.closest) return;
    for (const name of ["previous", "next"]) {
      const hit = event.target.closest(`.st-key-speaker_${name} button`);
      if (hit && !hit.disabled) press(name, event);
    }
  }, true);
})();
</script>"""


@dataclass(frozen=True)
class Slide:
    """A slide as the speaker view names it, and the address that opens it."""

    place: str  # "Slide 2 of 5", or the page's place among the pages
    title: str  # Markdown
    about: str  # Markdown: the page and the cohort
    notes: str  # as typed (shown as text)
    page: str  # a page's name (config.PAGES)
    query: dict[str, list[str]]


def _about(page_title: str, query: dict[str, list[str]]) -> str:
    parsed = SETTINGS.parse_all(query)
    if parsed.get("cohort"):
        return f"{page_title} · saved cohort {parsed['cohort']}"
    cohort = CohortFilter.from_mapping(parsed, parsed.get("study", []))  # type: ignore[arg-type]
    return f"{page_title} · {cohort.describe(escape.markdown)}"


def _talk_slide(talk: workspace.Talk, position: int, live: dict[int, dict[str, list[str]]]) -> Slide:
    """Slide `position` of the talk, as the presenter would open it: changed live (`live`: position ->
    address, the slide on screen among them) or as stored."""
    script, query = talks.slide_target(talk, position, live)
    slide = talk.slides[position - 1]
    spec = talks.page_of(slide)
    about = _about(spec.title if spec else f"{escape.markdown(slide.page)} (no such page now)", query)
    shown = talks.Presented(talk, position)
    change = talks.live_change(shown, query) if talks.changed_live(shown, query) else None
    return Slide(
        f"Slide {position} of {len(talk.slides)}",
        f"**{escape.markdown(slide.title)}**",
        about + ("" if change is None else f" · changed live{f': {change}' if change else ''}"),
        slide.notes,
        PurePosixPath(script).stem,
        query,
    )


def _slides(share: workspace.Share) -> tuple[Slide | None, Slide, Slide | None]:
    """The slide before the one on screen, that one, and the next: along the talk presented, else
    along the pages that show something (as the presenter's Previous and Next). A talk's slide the
    presenter changed live (its cohort) is named, and stepped to, as it was left; the slide on
    screen as the room sees it."""
    slug = SETTINGS["talk"].parse(share.query.get("talk", []))
    position = SETTINGS["slide"].parse(share.query.get("slide", []))
    talk = talks.store().talk(str(slug)) if slug else None
    if talk is not None and isinstance(position, int) and 1 <= position <= len(talk.slides):
        kept = talks.store().live_views(share.secret)
        live = {p: q for (t, p), q in kept.items() if t == talk.slug and 1 <= p <= len(talk.slides)}
        live[position] = share.query
        before = _talk_slide(talk, position - 1, live) if position > 1 else None
        after = _talk_slide(talk, position + 1, live) if position < len(talk.slides) else None
        return before, _talk_slide(talk, position, live), after
    spec = following.page_named(share.page)
    assert spec is not None  # a share holds an analysis page (workspace.start_share, move_share)
    previous, following_ = presenter._neighbours(spec, share.query)
    pages = presenter._slides(share.query)

    def page_slide(page: PageSpec) -> Slide:
        place = f"Page {pages.index(page) + 1} of {len(pages)}" if page in pages else "A page"
        return Slide(place, f"**{page.title}**", _about(page.title, share.query), "", page.name, share.query)

    return (
        page_slide(previous) if previous else None,
        page_slide(spec),
        page_slide(following_) if following_ else None,
    )


def _ends(share: workspace.Share) -> tuple[Slide | None, Slide | None]:
    """The first and the last slide (Home and End), None for the one on screen: along the talk
    presented, else along the pages that show something (as the presenter's Home and End)."""
    slug = SETTINGS["talk"].parse(share.query.get("talk", []))
    position = SETTINGS["slide"].parse(share.query.get("slide", []))
    talk = talks.store().talk(str(slug)) if slug else None
    if talk is not None and isinstance(position, int) and 1 <= position <= len(talk.slides):
        kept = talks.store().live_views(share.secret)
        live = {p: q for (t, p), q in kept.items() if t == talk.slug and 1 <= p <= len(talk.slides)}
        live[position] = share.query
        count = len(talk.slides)
        return (
            _talk_slide(talk, 1, live) if position != 1 else None,
            _talk_slide(talk, count, live) if position != count else None,
        )
    spec = following.page_named(share.page)
    pages = presenter._slides(share.query)
    if not pages:
        return None, None

    def page_slide(page: PageSpec) -> Slide | None:
        if page == spec:
            return None
        return Slide("", f"**{page.title}**", _about(page.title, share.query), "", page.name, share.query)

    return page_slide(pages[0]), page_slide(pages[-1])


def _move(secret: str, direction: str) -> None:
    """Previous or Next from the slide the presses lead to when pressed: the one stored, which the
    presenter's window may still be opening (not the one this view last drew: two presses before it
    redrew each count, as two presses in the presenter's own window do). Written only over the step
    it was counted from (another step written meanwhile is counted from in turn)."""
    st.session_state[_MOVES] = st.session_state.get(_MOVES, 0) + 1  # counted, moved or not (KEYS_SCRIPT)
    try:
        share = talks.store().share_by_secret(secret)
        if share is None or share.ended:  # stopped since this view was drawn: the room is not moved
            st.session_state[_PROBLEM] = "The presenter stopped sharing: the slides are no longer moved from here."
            return
        for _ in range(3):  # from the slide stored when written: a step written meanwhile is counted from
            before, _, after = _slides(share)
            first, last = _ends(share)
            target = {"previous": before, "next": after, "first": first, "last": last}[direction]
            if target is None:
                return
            moved = talks.store().move_share(secret, target.page, target.query, expected=share.step)
            if moved.step <= share.step + 1 and (moved.page, moved.query) == (
                target.page,
                workspace.share_view(target.query),
            ):
                return
            share = moved  # the presenter's window stepped meanwhile: from its slide
    except workspace.WorkspaceError as problem:
        st.session_state[_PROBLEM] = str(problem)


def _clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def view() -> None:
    """The speaker view of the share the address's key names."""
    presenter.style()
    secret = state.current("share")
    for key, setting in SETTINGS.settings.items():  # the window's address is its key alone
        if key != "share":
            state.set_value(key, setting.default)
    try:
        share = talks.store().share_by_secret(str(secret)) if secret else None
    except workspace.WorkspaceError as problem:
        st.error(escape.markdown(problem), icon=":material/error:")
        return
    if share is None:
        st.header("Speaker view", anchor=False)
        st.error(
            "No presentation is shared under this key here (the speaker view's link carries it; a share ends a day "
            "after its presenter was last seen). Press **Room** (the cast icon at the bottom right of the "
            "presenter's view), then **Speaker view**.",
            icon=":material/error:",
        )
        return
    st.html(STYLE)
    st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)
    _live(share.secret)


@st.fragment(run_every=following.POLL_SECONDS)
def _live(secret: str) -> None:
    space = talks.store()
    try:
        share = space.share_by_secret(secret)
        count = space.followers(share.code) if share else 0
    except workspace.WorkspaceError as problem:
        st.error(escape.markdown(problem), icon=":material/error:")
        return
    if share is None:
        st.error("This presentation is no longer shared.", icon=":material/error:")
        return
    before, now, after = _slides(share)
    with st.container(horizontal=True, vertical_alignment="center", gap="medium", key="speaker_bar"):
        st.markdown("**Speaker view**", width="content")
        with st.container(key="speaker_elapsed", width="content"):
            st.markdown(f":material/timer: {_clock(time.time() - share.started_at)}", width="content")
        with st.container(key="speaker_followers", width="content"):
            st.markdown(f":material/group: {count} following", width="content")
        if share.presenter_gone(time.time(), following.GONE_SECONDS):
            gone = (
                "The presenter stopped sharing: the room keeps the last slide shown"
                if share.ended
                else "The presenter's window has not been heard from for 30 s"
            )
            st.markdown(f":orange-badge[{gone}]", width="content")
        st.space("stretch")
        # Stopped: nothing to step (a step would share the slides again without the presenter's say).
        for name, target, icon in (
            () if share.ended else (("previous", before, "arrow_back"), ("next", after, "arrow_forward"))
        ):
            st.button(
                name.title(),
                key=f"speaker_{name}",
                icon=f":material/{icon}:",
                disabled=target is None,
                on_click=_move,
                args=(secret, name),
            )
        if not share.ended:  # Home and End (a clicker's, the keys only: hidden) as in the presenter's window
            first, last = _ends(share)
            for name, target in (("first", first), ("last", last)):
                st.button(
                    name.title(), key=f"speaker_{name}", disabled=target is None, on_click=_move, args=(secret, name)
                )
    with st.container(key=f"speaker_moves_{st.session_state.get(_MOVES, 0)}"):  # hidden: KEYS_SCRIPT reads it
        st.html("<span></span>")
    if refused := st.session_state.pop(_PROBLEM, None):
        st.error(escape.markdown(refused), icon=":material/error:")
    left, right = st.columns([3, 2], gap="large")
    with left.container(key="speaker_now"):
        if share.arriving:  # the room is not on it yet: never "Now" before the presenter's window draws it
            st.caption(f"Going to · {now.place} (the presenter's window is opening it)")
        else:
            st.caption(f"Now · {now.place}")
        st.markdown(f"### {now.title}")
        st.caption(now.about)
        with st.container(key="speaker_notes"):
            if now.notes:
                st.markdown(escape.markdown(now.notes).replace("\n", "  \n"))
            else:
                st.markdown("*No speaker notes for this slide* (a talk's slides carry them: the Talks page).")
    with right.container(key="speaker_upcoming", border=True):
        if after is None:
            st.caption("Next")
            st.markdown("**The last slide.**")
        else:
            st.caption(f"Next · {after.place}")
            st.markdown(f"#### {after.title}")
            st.caption(after.about)
