"""Follow me: a presenter shares the slide on screen to the room; the audience's link opens it on
their own screens and follows each step, read-only.

The presenter's window (presenter mode, with or without a talk) shares under a short follow code
and a secret (workspace.Share): each of its runs writes the slide's address (page and query) to the
workspace, the one store every session and server process sees. A follower's window (`follow=<code>`
on any page) is in presenter mode with small cells hidden, without the cohort drawer, the step links
or the keys; it reads the store every second (a fragment) and opens the new address when the
presenter stepped. The speaker view (`/speaker?share=<secret>`) moves the slide by writing the
address; the presenter's own window follows it as the followers do. Each window writes a heartbeat:
the presenter's view counts the followers heard from in the last ten seconds, and a follower says
when the presenter stopped. A follower's window whose front end failed (Streamlit's "Failed to process a
Websocket message", e.g. "Cached ForwardMsg MISS", streamlit#11357: review 9 saw it once in four
sessions under rapid steps on a loaded machine) reloads itself (WATCHDOG_SCRIPT): its address
(follow=<code>) opens the presenter's slide, so the audience member need not notice."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import escape, workspace
from pts_explorer.config import ANALYSIS_PAGES, PageSpec
from pts_explorer.settings import SETTINGS
from pts_explorer.ui import cookies, notices, state, talks

POLL_SECONDS = 1.0  # how often a follower (and the presenter's window) reads the store
BEAT_SECONDS = 3.0  # how often a window writes its heartbeat (a follower counts for FOLLOWER_SECONDS)
GONE_SECONDS = 30.0  # a presenter not heard from for this long has stopped
SPEAKER_PAGE = "speaker"  # the speaker view's url_path

_SHARING = "_sharing"  # this presenter window's share: its secret
_STEP = "_follow_step"  # the share's step this window shows
_VIEWER = "_follow_viewer"  # this follower window's own random name (its heartbeat's key)
_BEAT = "_follow_beat"  # when this window last wrote its heartbeat (time.monotonic)
_DRAWN = "_follow_drawn"  # the run whose page drew this window's polling fragment last
# The share this browser's presenter window started, kept in a cookie so that a reload of that window (F5, or the
# talk's link opened again) shares on under the same audience link: a reload starts a new session, and the share's
# secret lived only in the old one's state (review 27d, finding 2: the room was stranded, with no word of it).
SHARE_COOKIE = "pts_sharing"
_COOKIE_KEPT = "_share_cookie"  # the secret this session last wrote to the cookie
_RESUMED = "_share_resume_tried"  # this session looked for a share to resume: once
_STOPPED = "_share_stopped"  # the share this window stopped: Share to the room again reopens it, same link
# A follower's window that Streamlit's front end gave up on reloads itself, at most once in 15 s.
WATCHDOG_SCRIPT = """<script>
(() => {
  if (window.ptsFollowWatchdog) return;
  window.ptsFollowWatchdog = true;
  setInterval(() => {
    const text = document.body ? document.body.innerText : "";
    if (!text.includes("Failed to process a Websocket message")) return;
    const last = Number(sessionStorage.getItem("ptsFollowReloaded") || 0);
    if (Date.now() - last < 15000) return;
    sessionStorage.setItem("ptsFollowReloaded", String(Date.now()));
    location.reload();
  }, 1000);
})();
</script>"""
# The followed status and the followers' count sit in the line's row of links: as tall as the links, so
# their text (the line's larger type) is not clipped by the row.
STYLE = (
    "<style>.st-key-follow_status, .st-key-follow_notice, .st-key-share_followers { min-height: 2rem; "
    "justify-content: center; }</style>"
)
# A follower exports nothing: no table toolbar (its CSV download) and no chart modebar (its PNG download).
# What a follower follows is one line of at most 20rem, a long talk title cut short with an ellipsis: it took
# half the line's width at 1280x720, its second line cut through the glyphs, and the slide's line wrapped into
# four (review 27c, finding 5). The watchdog's script takes no room in the line (it took 100-150 px). A notice
# in two lines is not cut by the row that holds it (its text reaches below its box: review 27e, finding 6).
FOLLOWER_STYLE = """<style>
[data-testid='stElementToolbar'], .stPlotlyChart .modebar-container { display: none !important; }
.st-key-follow_status { max-width: 20rem; }
.st-key-follow_notice { max-width: 24rem; }
.st-key-presenter_steps:has(.st-key-follow_notice),
.st-key-presenter_steps [data-testid="stHorizontalBlock"]:has(.st-key-follow_notice) { overflow: visible !important; }
.st-key-follow_status p { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; margin: 0; }
.st-key-presenter_steps [data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) {
  display: none;
}
</style>"""
# The presenter's Room in the slide's bottom right corner, out of the line's row (whose words would
# wrap to one more line, pushing a key chart out of the first screen at 1280x720). While its popover is
# open no tooltip shows: the icon's, still under the pointer, covered Share to the room (review 27c, 4).
CORNER = """<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-presenter_room), .st-key-presenter_room {
  position: fixed !important; right: 0.75rem; bottom: 0.5rem; z-index: 999990; width: auto !important;
}
.st-key-presenter_room { background: rgba(255, 255, 255, 0.92); border-radius: 0.5rem; padding: 0 0.4rem; }
@media (prefers-color-scheme: dark) { .st-key-presenter_room { background: rgba(14, 17, 23, 0.92); } }
body:has([data-testid="stPopoverBody"]) [role="tooltip"]:has([data-testid="stTooltipContent"]) {
  display: none !important;
}
.st-key-presenter_room [data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) {
  display: none;
}
</style>"""


def following() -> str | None:
    """The follow code of this window's address, when it follows a presenter."""
    return state.current("follow") or None


def page_named(name: str) -> PageSpec | None:
    """The analysis page of that name (its url_path is its name)."""
    return next((p for p in ANALYSIS_PAGES if p.name == name), None)


def sharing() -> str | None:
    """The secret of the share this presenter window started, while presenting."""
    return st.session_state.get(_SHARING) if state.presenting() and not following() else None


def _address(share: workspace.Share, follow: bool) -> tuple[str, dict[str, list[str]]]:
    """The page script and query of the shared slide: a follower's carries its follow code."""
    spec = page_named(share.page)
    script = spec.script if spec else "app_pages/overview.py"
    return script, {**share.query, **({"follow": [share.code]} if follow else {})}


def _same_view(page_path: str, query: Mapping[str, list[str]], share: workspace.Share) -> bool:
    spec = page_named(share.page)
    return spec is not None and spec.url_path == page_path and workspace.share_view(query) == share.query


def left_slide(page_path: str, query: Mapping[str, list[str]]) -> tuple[str, dict[str, list[str]]] | None:
    """The shared slide, when this run of the presenter's window is one its screen's size report asked
    for (ui/screen.py) on a slide the window has left: the report was sent before the window opened the
    slide the speaker view moved it to, and its run carries the old page. It must not write that slide
    back over the room's (the room went back two slides under load); the window opens the room's slide."""
    secret = st.session_state.get(_SHARING)
    presenting = query.get("present", []) == ["1"] and not query.get("follow")
    if not secret or not presenting or not st.session_state.get(state.SCREEN_RERUN) or _STEP not in st.session_state:
        return None
    try:
        share = talks.store().share_by_secret(secret)
    except workspace.WorkspaceError:
        return None
    if share is None or share.ended or share.step != st.session_state[_STEP] or _same_view(page_path, query, share):
        return None
    st.session_state.pop(state.SCREEN_RERUN, None)  # the slide opened is no screen's run
    return _address(share, follow=False)


def followed_slide(page_path: str, query: Mapping[str, list[str]]) -> tuple[str, dict[str, list[str]]] | None:
    """Before a page runs: the shared slide's page and query when this window should open it, else
    None. A follower's window (`follow=<code>` in the address, on any page, `/` too) opens it when
    the presenter stepped since the window last looked, or when it opens on another view (a link, a
    reload); None when no share has that code (the follower's line then says so). The presenter's
    window opens it when the speaker view stepped, so a click on the slide never writes back the
    slide the speaker view left."""
    code = SETTINGS["follow"].parse(query.get("follow", []))
    presenting = bool(SETTINGS["present"].parse(query.get("present", [])))
    if presenting and not code:
        _resume(query)
    secret = st.session_state.get(_SHARING) if presenting else None
    space = talks.store()
    try:
        share = space.share(str(code)) if code else (space.share_by_secret(secret) if secret else None)
    except workspace.WorkspaceError:
        return None  # the line says why
    if share is None:
        return None
    seen = st.session_state.get(_STEP)
    st.session_state[_STEP] = target = _room_step(share, follower=bool(code))
    if seen == target or (seen is None and _same_view(page_path, query, share)):
        return None
    return _address(share, follow=bool(code))


def _room_step(share: workspace.Share, follower: bool) -> int:
    """The step a window follows: a follower's, the step the presenter's window has drawn (the room sees the
    presenter's screen first: followers that opened the slide while the presenter's window drew it slowed that
    drawing, all in one server process, and missed the cache it was filling: review 27d, finding 1); the
    presenter's own window, the step stored (the speaker view's too, which it opens)."""
    return share.shown if follower else share.step


def resumable(share: workspace.Share | None, query: Mapping[str, list[str]]) -> bool:
    """Whether a presenter's window opening `query` shares on under `share` (its browser's last share): the
    share goes on, and the window presents the same talk (or, like the share, none)."""
    return share is not None and not share.ended and share.query.get("talk", []) == list(query.get("talk", []))


def _resume(query: Mapping[str, list[str]]) -> None:
    """On a presenter window's first run in presenter mode: share on under this browser's last share when it is
    resumable (a reload of the sharing window; the talk's link opened again). The window then opens the room's
    slide (followed_slide), and the room follows it as before, under the same audience link."""
    if st.session_state.get(_SHARING) or st.session_state.get(_RESUMED):
        return
    st.session_state[_RESUMED] = True
    secret = cookies.read(SHARE_COOKIE)
    if not secret:
        return
    try:
        share = talks.store().share_by_secret(secret)
    except workspace.WorkspaceError:
        return
    if resumable(share, query):
        st.session_state[_SHARING] = secret
        st.session_state[_COOKIE_KEPT] = secret  # the cookie holds it already


def _keep_cookie(share: workspace.Share | None) -> None:
    """This window's share in its browser's cookie while it shares; removed once it stopped."""
    kept = st.session_state.get(_COOKIE_KEPT)
    if share is not None and kept != share.secret:
        cookies.write(SHARE_COOKIE, share.secret, workspace.SHARE_KEEP_SECONDS)
        st.session_state[_COOKIE_KEPT] = share.secret
    elif share is None and kept:
        cookies.write(SHARE_COOKIE, "", 0)
        st.session_state.pop(_COOKIE_KEPT)


def _ticked() -> bool:
    """Whether this fragment run is one of its own timed reruns, not part of the page's full run
    (the page itself switches before it runs, app.py; a switch from inside the page's run would have
    its address overwritten by the run's own at its end)."""
    full = st.session_state.get(_DRAWN) != state.run_number()
    st.session_state[_DRAWN] = state.run_number()
    return not full


def _beat_due() -> bool:
    now = time.monotonic()
    if now - st.session_state.get(_BEAT, -BEAT_SECONDS) < BEAT_SECONDS:
        return False
    st.session_state[_BEAT] = now
    return True


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds}\u00a0s" if seconds < 120 else f"{seconds // 60}\u00a0min"  # the number and its unit on one line


def _followed_title(share: workspace.Share) -> str:
    """What a follower follows, as Markdown: the talk's title, else the page's."""
    slug = SETTINGS["talk"].parse(share.query.get("talk", []))
    talk = talks.store().talk(str(slug)) if slug else None
    if talk is not None:
        return f"**{escape.markdown(talk.title)}**"
    spec = page_named(share.page)
    return f"**{spec.title if spec else share.page}**"


# -------------------------------------------------------------------------------------------------
# The follower's window


def follower_status(slot: DeltaGenerator) -> None:
    """The follower's part of the slide's line: what it follows and whether the presenter is there;
    it reads the store every second and opens the presenter's new slide."""
    st.session_state.setdefault(_VIEWER, "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(20)))
    with slot:
        st.html(STYLE + FOLLOWER_STYLE)
        st.html(WATCHDOG_SCRIPT, unsafe_allow_javascript=True)
        _follow()


@st.fragment(run_every=POLL_SECONDS)
def _follow() -> None:
    code = following()
    space = talks.store()
    try:
        share = space.share(str(code))
        if share is not None and _beat_due():
            space.viewer_seen(share.code, st.session_state[_VIEWER])
    except workspace.WorkspaceError as problem:
        st.markdown(f":red-badge[:material/error: {escape.markdown(problem)}]", width="content")
        return
    if share is None:
        with st.container(key="follow_notice", width="content"):
            st.markdown(
                f":orange[:material/cast: No presenter shares under **{code}** here (ended a day ago, or on "
                "another server)]",
                width="content",
            )
        return
    if _ticked() and st.session_state.get(_STEP) != _room_step(share, follower=True):
        st.session_state[_STEP] = _room_step(share, follower=True)
        script, query = _address(share, follow=True)
        st.switch_page(script, query_params=query)
    now = time.time()
    if share.presenter_gone(now, GONE_SECONDS):  # a notice the follower must read whole: it wraps
        how = "stopped sharing" if share.ended else f"has not been heard from for {_ago(now - share.presenter_seen)}"
        text, key = f":orange[:material/cast: The presenter {how}: this is the last slide shown]", "follow_notice"
    else:  # one line, a long talk title cut short (FOLLOWER_STYLE)
        text, key = f":material/cast: Following {_followed_title(share)}", "follow_status"
    with st.container(key=key, width="content"):
        st.markdown(text, width="content")


def stop_following_query(here: dict[str, list[str]]) -> dict[str, list[str]]:
    """The address of this view for oneself: out of presenter mode, following no one."""
    left = ("present", "talk", "slide", "follow")
    return {**{k: v for k, v in here.items() if k not in left}, "present": ["0"]}


# -------------------------------------------------------------------------------------------------
# The presenter's window


def _start(page: str) -> None:
    """Share to the room: under a new link, or, after this window stopped sharing the same talk, under the link
    the room has (review 27e, finding 4: Stop then Share gave a new link; the room stayed on "stopped sharing")."""
    space, here = talks.store(), state.url_query()
    try:
        stopped = space.share_by_secret(st.session_state.pop(_STOPPED, ""))
        if stopped is not None and stopped.query.get("talk", []) == here.get("talk", []):
            share = space.move_share(stopped.secret, page, here)  # going on again (ended no more), on this slide
        else:
            share = space.start_share(page, here)
    except workspace.WorkspaceError as problem:
        st.session_state["_share_problem"] = str(problem)
        return
    st.session_state[_SHARING] = share.secret
    st.session_state[_STEP] = share.step


def _stop() -> None:
    secret = st.session_state.pop(_SHARING, None)
    if secret:
        try:
            talks.store().end_share(secret)
            st.session_state[_STOPPED] = secret
        except workspace.WorkspaceError as problem:
            st.session_state["_share_problem"] = str(problem)


def _root() -> str:
    """The app's root as the browser reached it (with any base path or proxy prefix); "" in AppTest."""
    page = st.session_state.get("_page", "")
    return notices.view_address(st.context.url, page, {}).removesuffix(f"/{page}")


def follow_address(code: str) -> str:
    """The audience's link: the app's root with the follow code."""
    return f"{_root()}/?follow={code}"


def speaker_address(secret: str) -> str:
    """The speaker view's link: it carries the share's key (it moves the slide)."""
    return f"{_root()}/{SPEAKER_PAGE}?share={secret}"


def _write(spec: PageSpec, drawn: bool) -> workspace.Share | None:
    """Write this run's slide to the store, while sharing; the share, or None. `drawn`: the page has
    run (the slide is on the presenter's screen): only then does the speaker view say *Now* (review
    27b: written at the start of the run, it said so about 0.8 s before the presenter's window showed it)."""
    secret = sharing()
    if not secret:
        return None
    seen = st.session_state.get(_STEP)
    here = state.url_query()
    try:
        # Only over the step this window last saw: a speaker's step made while this run drew the slide
        # being left stays (the status fragment then opens it), never overwritten (review 27, finding 1).
        share = talks.store().move_share(secret, spec.name, here, expected=seen, drawn=drawn)
    except workspace.WorkspaceError as problem:
        st.session_state.pop(_SHARING, None)
        st.session_state["_share_problem"] = str(problem)
        return None
    # This window's own step (or none): the store holds this slide; another slide there is the speaker's.
    if seen is None or (
        share.step in (seen, seen + 1) and (share.page, share.query) == (spec.name, workspace.share_view(here))
    ):
        st.session_state[_STEP] = share.step
    return share


def keep_live(slug: str, position: int, query: dict[str, list[str]] | None) -> None:
    """While sharing: a slide of the talk changed live (its address; None: as stored again), for
    the speaker view (workspace.keep_live)."""
    secret = sharing()
    if secret:
        try:
            talks.store().keep_live(secret, slug, position, query)
        except workspace.WorkspaceError as problem:
            st.session_state["_share_problem"] = str(problem)


def talk_left() -> None:
    """A run outside a talk's slides: the slides changed live open as stored again, here and, while
    this window shares, in the speaker view."""
    if talks.forget_live() and (secret := st.session_state.get(_SHARING)):
        with contextlib.suppress(workspace.WorkspaceError):  # the share ended: nothing to forget
            talks.store().forget_live(secret)


def presenter_room(slot: DeltaGenerator) -> None:
    """The presenter's part of the slide's line, before the page runs: Share to the room (the
    audience's link, the speaker view, stop sharing), and, while sharing, how many follow. The slide
    is written to the store now (the speaker view says "Going to" it); the followers open it once the
    presenter's page has drawn it (presenter_settled writes it again, drawn, with any setting the page changed)."""
    spec = page_named(str(st.session_state.get("_page", "")))
    if spec is None:  # a page without a chart (Saved cohorts) is not a slide: nothing to share
        return
    share = _write(spec, drawn=False)  # the slide is not drawn yet: the speaker view says "Going to"
    with slot:
        st.html(CORNER)
        _keep_cookie(share)
        with st.popover(  # an icon alone: the line's row of links keeps its width (key chart whole at 1280x720)
            ":material/cast:",
            type="tertiary",
            key="share_room",
            help="Room: share this presentation to the room; the audience follows each step on their own screens",
        ):
            if refused := st.session_state.pop("_share_problem", None):
                st.error(escape.markdown(refused), icon=":material/error:")
            if share is None:
                st.caption(
                    "The audience opens a link on their own screens and follows each step you make, read-only, with "
                    "small cells hidden. A speaker view in a second window shows this slide's notes, the next slide "
                    "and the time."
                )
                st.button(
                    "Share to the room", key="share_start", icon=":material/cast:", on_click=_start, args=(spec.name,)
                )
            else:
                st.caption(f"The audience's link (follow code **{share.code}**):")
                st.code(follow_address(share.code), language=None, wrap_lines=True)
                st.link_button(
                    "Speaker view", speaker_address(share.secret), icon=":material/speaker_notes:", type="secondary"
                )
                st.button("Stop sharing", key="share_stop", icon=":material/cancel_presentation:", on_click=_stop)
        if share is not None:
            st.html(STYLE)
            _presenter_status()


def presenter_settled(spec: PageSpec) -> None:
    """After the presenter's page ran: its slide's address as the page left it (a setting that did
    not apply here replaced), a step more for the followers only when it changed."""
    if spec in ANALYSIS_PAGES:
        _write(spec, drawn=True)


@st.fragment(run_every=POLL_SECONDS)
def _presenter_status() -> None:
    """How many follow; the presenter's heartbeat; and the slide the speaker view moved to."""
    secret = sharing()
    if not secret:
        return
    space = talks.store()
    try:
        share = space.presenter_seen(secret) if _beat_due() else space.share_by_secret(secret)
        count = space.followers(share.code) if share else 0
    except workspace.WorkspaceError:
        return
    if share is None:
        return
    if _ticked() and st.session_state.get(_STEP) != share.step:  # the speaker view stepped
        st.session_state[_STEP] = share.step
        script, query = _address(share, follow=False)
        st.switch_page(script, query_params=query)
    with st.container(key="share_followers", width="content"):
        st.markdown(f":material/group: {count} following", width="content")
