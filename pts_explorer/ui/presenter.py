"""Presenter mode (`present=1`): the page alone for an audience. One compact line states the page,
the cohort, n per arm, the design and whether the data are synthetic; Previous and Next step
through the pages with the same cohort; charts are drawn large; no sidebar, controls or expanders."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import display, escape, vocab
from pts_explorer.config import ANALYSIS_PAGES, PageSpec
from pts_explorer.filters import CohortFilter
from pts_explorer.ui import cohorts, following, state, talks
from pts_explorer.ui.data import query

STYLESHEET = Path(__file__).with_name("presenter.css")
_SET = "_presented_set"  # what this run's page said its slide shows (analysis_set)
LINE = "_presenter_line"  # the line's Markdown as drawn in this run (a talk's export reads it: ui.talk_slides)


def style() -> None:
    st.html(STYLESHEET)


def _design(kinds: set[str]) -> str:
    if kinds == {"randomized"}:
        return "randomized"
    if kinds == {"observational"}:
        return "observational"
    return "pooled randomized and observational" if kinds else "no patients"


def _shows_something(spec: PageSpec, here: dict[str, list[str]]) -> bool:
    """Whether a slide would show a result with these settings: a page that starts empty (Candidate
    without a profile) does not, nor Compare with cohort A equal to cohort B."""
    if spec.example:  # it needs one of its example's keys (a profile field) to show anything
        return any(key in here for key in parse_qs(spec.example))
    if spec.name == "compare":  # read from `here`: the speaker view steps a slide shown in another window
        return not cohorts.same_patients(here)
    return True


def _slides(here: dict[str, list[str]]) -> list[PageSpec]:
    """The pages Previous, Next, Home and End step through: the analysis pages that show something."""
    return [p for p in ANALYSIS_PAGES if _shows_something(p, here)]


def _neighbours(spec: PageSpec, here: dict[str, list[str]]) -> tuple[PageSpec | None, PageSpec | None]:
    slides = _slides(here)
    if spec not in ANALYSIS_PAGES:
        return None, slides[0] if slides else None
    order = [p.name for p in ANALYSIS_PAGES]  # a slide skipped still has a place: step from it
    before = [p for p in slides if order.index(p.name) < order.index(spec.name)]
    after = [p for p in slides if order.index(p.name) > order.index(spec.name)]
    return (before[-1] if before else None), (after[0] if after else None)


@dataclass(frozen=True)
class Line:
    """The line above a slide, laid out before the page runs: its words and step links are filled
    after it (they state what the page showed); the cohort drawer is filled before it (the page
    reads the cohort its controls set)."""

    words: DeltaGenerator
    steps: DeltaGenerator
    drawer: DeltaGenerator | None  # None in a follower's window: it changes nothing
    leave: DeltaGenerator
    room: DeltaGenerator  # sharing to the room (following): its link and followers, or what one follows
    below: DeltaGenerator | None = None  # under the line, the slide's whole width: three or four groups' lines


def start_line() -> Line:
    """Lay out the line: words at the left, wrapping in the room the links leave; at the right, in
    one row (presenter.css keeps each label on one line, at 1280x720 as at 1920x1080), Previous and
    Next, the cohort drawer (key F) and Exit."""
    with st.container(key="presenter_line", horizontal=True, vertical_alignment="center", gap="small", wrap=False):
        words = st.container(width="stretch", key="presenter_words")
        with st.container(key="presenter_steps", horizontal=True, width="content", gap="small", wrap=False):
            # following.py: the presenter's Room sits in the slide's corner (out of this row: the line's words
            # keep their width); a follower's status sits in the row, which has no drawer or steps.
            room = st.container(
                horizontal=True,
                width="content",
                gap="small",
                wrap=False,
                vertical_alignment="center",
                key=None if state.following() else "presenter_room",
            )
            steps = st.container(horizontal=True, width="content", gap="small", wrap=False)
            drawer = None
            if state.following():  # the follower's window: what it follows, and a way out; no drawer
                following.follower_status(room)
            else:
                following.presenter_room(room)
                drawer = st.popover(
                    "Cohort",
                    type="tertiary",
                    icon=":material/filter_list:",
                    key=state.DRAWER,
                    help="Change the cohort without leaving the slide: remove a filter or add one (key F)",
                    on_change="rerun",  # its state says whether its controls can have been changed (state.begin_run)
                )
            leave = st.container(width="content")
    below = st.container(key="presenter_below")  # the slide's whole width, not the room the links leave
    return Line(words, steps, drawer, leave, room, below)


def begin() -> None:
    """Forget the analysis set of the previous run."""
    st.session_state.pop(_SET, None)


def analysis_set(n_by_arm: Mapping[str, int] | pd.Series, studies: Iterable[str], who: str) -> None:
    """Say which patients the page's slide shows, for the presenter line above it: its n per arm,
    the studies they come from (their designs name the comparison) and who they are, e.g. "with
    Villalta at baseline and month 6". A page whose numbers come from part of the cohort calls it
    once the part is known; without it the line states the whole cohort. An arm whose count among the
    cohort reads hidden reads hidden here too (cohort_line, display.part_hidden: the part would narrow it
    down: third review of issue 28, finding 4, "n = 18 stent with a technically successful stent
    procedure" beside a drawer of 21 patients with both arms hidden put medical at 1 to 3)."""
    counts = {arm: int(n_by_arm.get(arm, 0)) for arm in vocab.ARMS}
    st.session_state[_SET] = (counts, sorted({str(s) for s in studies}), who, frozenset())


@dataclass(frozen=True)
class Group:
    """One group a slide compares with another (Compare: "A without B" against "B"): its name, its
    patients per arm and the studies they come from, as the slide's results count them."""

    name: str  # the page's words for the group, e.g. "A without B"
    n_by_arm: Mapping[str, int]  # only the arms the slide compares
    studies: Sequence[str]  # the studies of the group's patients (their designs are the group's)
    hidden: bool = False  # its counts read hidden: with the others' they would give a hidden count away
    hidden_arms: frozenset[str] = frozenset()  # arms whose n reads hidden whatever its size (display.line_hidden)
    about: str = ""  # Markdown: what the group is drawn from, on its own line (three or four groups)


def compared_groups(groups: Sequence[Group], who: str, about: str) -> None:
    """Say that the slide compares `groups` rather than one cohort: the presenter line then gives
    each group's n per arm and design, `who` they are ("with a baseline Villalta total") and
    `about` (Markdown: what each group is drawn from, e.g. the cohorts' filters)."""
    st.session_state[_SET] = (list(groups), who, about)


def _arm_counts(
    by_arm: pd.Series,
    arms: Sequence[str] = tuple(vocab.ARMS),
    forced: Collection[str] = frozenset(),
    cohort_by_arm: Mapping[str, int] | None = None,
) -> str:
    """A line's n per arm: hidden below k or as the other's complement, where `forced`, and, for a part of the
    cohort (`cohort_by_arm`: the cohort's n per arm, shown in its drawer), where the cohort's n of the arm is
    hidden (display.part_hidden)."""
    shield = state.protection()
    by_arm = by_arm.reindex(list(arms), fill_value=0)
    hidden = display.part_hidden(by_arm.to_dict(), cohort_by_arm or {}, shield, list(by_arm.index))
    return ", ".join(
        f"{shield.count(int(n), hidden[arm] or (shield.active and arm in forced))} {vocab.ARMS[arm].lower()}"
        for arm, n in by_arm.items()
    )


def cohort_line(line: Line, spec: PageSpec, cohort: CohortFilter) -> None:
    """The one line above the page's charts (the analysis set the page declared, else the cohort),
    and the links to move on or leave. Drawn after the page ran, into the line laid out above it."""
    shown = st.session_state.get(_SET)
    if shown is not None and isinstance(shown[0], list):
        _groups_line(line, spec, *shown)
        return
    forced: Collection[str] = frozenset()
    sizes = query("cohort_size_by_study_arm", cohort.as_params())
    sizes = sizes[sizes.patients > 0]
    cohort_by_arm = sizes.groupby("arm").patients.sum()
    if shown is None:
        by_arm = cohort_by_arm
        kinds, who = set(sizes.design), ""
    else:
        counts, studies, who, forced = shown
        by_arm = pd.Series(counts)
        table = query("studies")
        designs = dict(zip(table.study_id, table.design, strict=True))
        kinds = {designs[s] for s in studies if s in designs} if sum(counts.values()) else set()
        who = f" {who}"
        if by_arm.sum() > 0:  # a one-arm set (patency: stented patients) names its arm, not "0 medical"
            by_arm = by_arm[by_arm > 0]
    arms = _arm_counts(
        by_arm, list(by_arm.index) if shown is not None else tuple(vocab.ARMS), forced, cohort_by_arm.to_dict()
    )
    saved = cohorts.active()
    named = f"**{escape.markdown(saved.name)}**: " if saved else ""
    note = f"  \n{escape.markdown(saved.note)}" if saved and saved.note else ""
    _draw_line(
        line,
        spec,
        f"**{spec.title}** · {named}{cohort.describe(escape.markdown)} · n = {arms}{who} · {_design(kinds)}"
        + f"{_data_badges()}{note}",
    )


def _data_badges() -> str:
    """Whether the data are synthetic and whether small cells are hidden, for the end of the line."""
    shield = state.protection()
    info = query("dataset_info").iloc[0]
    synthetic = " · :orange-badge[:material/science: synthetic data]" if bool(info.synthetic) else ""
    # "k = 5" kept on one line (non-breaking spaces): the line wrapped between "(k =" and "5)" at 1280x720
    protected = f" · small cells hidden (k\u00a0=\u00a0{shield.k})" if shield.active else ""
    return synthetic + protected


def _groups_line(line: Line, spec: PageSpec, groups: list[Group], who: str, about: str) -> None:
    """The line above a slide that compares groups: each group's n per arm and design."""
    table = query("studies")
    designs = dict(zip(table.study_id, table.design, strict=True))
    kinds = [
        {designs[s] for s in group.studies if s in designs} if sum(group.n_by_arm.values()) else set()
        for group in groups
    ]
    alike = all(k == kinds[0] for k in kinds)  # one design for all: said once, so the line stays short
    parts = []
    for group, kind in zip(groups, kinds, strict=True):
        arms = _arm_counts(pd.Series(dict(group.n_by_arm), dtype="int64"), list(group.n_by_arm), group.hidden_arms)
        if group.hidden:
            shield = state.protection()
            arms = ", ".join(f"{shield.label} {vocab.ARMS[arm].lower()}" for arm in group.n_by_arm)
        parts.append(f"**{escape.markdown(group.name)}** (n = {arms}{'' if alike else f'; {_design(kind)}'})")
    each = f"; {'both' if len(groups) == 2 else 'each'} {_design(kinds[0])}" if alike else ""
    if any(group.about for group in groups):  # three or four: one short line per group, its n and what it is
        # (third review of issue 28, finding 3: one sentence of four groups wrapped to 8 lines on a slide)
        rows = []
        for group, kind in zip(groups, kinds, strict=True):
            arms = _arm_counts(pd.Series(dict(group.n_by_arm), dtype="int64"), list(group.n_by_arm), group.hidden_arms)
            if group.hidden:
                arms = ", ".join(f"{state.protection().label} {vocab.ARMS[arm].lower()}" for arm in group.n_by_arm)
            short = "" if alike else f", {'pooled' if len(kind) > 1 else _design(kind)}"
            rows.append(f"  \n**{escape.markdown(group.name)}** {arms}{short}: {group.about}")
        pooled = not alike and any(len(kind) > 1 for kind in kinds)
        said = f"; each {_design(kinds[0])}" if alike else "; pooled: randomized and observational" * pooled
        what = f"{who}{said}" + (f" · {about}" if about else "")
        _draw_line(line, spec, f"**{spec.title}** · {what}{_data_badges()}", "".join(rows))
        return
    _draw_line(line, spec, f"**{spec.title}** · {' against '.join(parts)}{each}, {who} · {about}{_data_badges()}")


# A presentation clicker sends these keys: ArrowRight, PageDown or Space step forward, ArrowLeft or
# PageUp back, Home and End go to the first and the last slide, Escape leaves presenter mode; F opens
# the cohort drawer (Escape closes it while it is open; the steps still step). The
# listener is added once per browser tab; it clicks the hidden links presenter_keys holds (so each
# step is the same in-app navigation as a click on Next), and ignores keys typed into a field, but for
# PageDown and PageUp in a field of the cohort drawer (a clicker's, after a filter was chosen there).
# Presses come faster than a slide is drawn (a clicker pressed three times): each counts from where the
# presses before it lead, not from the slide on screen. The hidden box holds a link to every slide of
# the run (presenter_to_<n>) and says which is on screen (presenter_at_<n>_of_<count>); the listener
# keeps the slide the presses lead to and, once the slide it last opened is drawn (the box says so, or
# 20 s passed), opens that one directly, without drawing the slides between (review 9: one press of ten
# at 1.5 s was lost, clicking a link of the slide being left, or none while the next was drawn). A press
# made while a run goes on that the listener did not start (the speaker view moved the room) waits for
# the run's end and counts from the slide then drawn: the box of the slide left stays until the run
# draws the new one (review 27c, finding 1: 5 -> 2 for two ArrowLeft made as soon as 5 showed). On a
# page that is not one of the slides (a slide skipped for showing nothing) the presses wait in turn.
KEYS_SCRIPT = """<script>
(() => {
  if (window.ptsPresenterKeys) return;
  window.ptsPresenterKeys = true;
  const targets = {ArrowRight: "next", PageDown: "next", " ": "next", ArrowLeft: "previous", PageUp: "previous",
                   Home: "first", End: "last", Escape: "exit", f: "drawer"};
  let lead = null;  // the slide the presses lead to (a number), while it is not on screen
  let queue = [];  // presses not yet counted (made during a run, or on a page not one of the slides): "next", ...
  // While a press is still to be carried out the page's root element says so (data-pts-pressing, no style
  // reads it): the browser tests wait for the page to be final (ui/screen.py), and it is not final yet.
  const pressing = () =>
    document.documentElement.toggleAttribute("data-pts-pressing", lead !== null || queue.length > 0);
  const leads = (from, target, count) =>
    ({next: Math.min(from + 1, count), previous: Math.max(from - 1, 1), first: 1, last: count})[target];
  const running = () => {  // a run of the app is going on (or asked for)
    const app = document.querySelector("[data-testid='stApp']");
    const state = app ? app.dataset.testScriptState : "";
    return state === "running" || state === "rerunRequested";
  };
  let opened = null;  // {to, at}: the slide last opened by a click (a number, or the links then), and when
  let last = null;  // the place last seen: {here, count}
  const place = () => {
    const box = document.querySelector("[class*='st-key-presenter_at_']");
    const found = box && /st-key-presenter_at_(\\d+)_of_(\\d+)/.exec(box.className);
    return found ? {here: Number(found[1]), count: Number(found[2])} : null;
  };
  const links = () => [...document.querySelectorAll(".st-key-presenter_keys a")]
    .map((a) => a.getAttribute("href")).join(" ");
  let seen = "", since = 0;  // what the hidden box held at the last look, and since when
  let quiet = 0;  // since when no run is going on (a link clicked during a run, e.g. the one the drawer's
  // closing asks for, is lost to it)
  let closing = 0;  // when the drawer was last closed for a step
  let waiting = 0;  // since when a press waits to be carried out
  const settled = () => {  // the slide last opened is drawn, its links with it, and held still for 0.3 s
    // No run for 0.3 s; but the window's sharing status runs every second, and on a loaded machine a run of it
    // may take most of that second: after 1 s of waiting, any moment with no run going will do.
    // After 2.5 s a slide's own link (a lead) is clicked even while a run goes on: with the room following,
    // the status runs may leave no gap at all on a loaded machine (a press waited 20 s); a click lost to a run
    // is made again below. Presses still to be counted (the queue) wait for no run: they count from the slide
    // the run draws.
    const waited = Date.now() - waiting;
    const calm = (!running() && (Date.now() - quiet > 300 || waited > 1000)) || (lead !== null && waited > 2500);
    const still = links() !== "" && Date.now() - since > 300 && calm;
    if (!opened || Date.now() - opened.at > 20000) return still;
    const at = place();
    const there = typeof opened.to === "number" ? at && at.here === opened.to : links() !== opened.to;
    // A click on a slide's own link that, 3 s on, changed nothing on the page or left it on its slide with
    // no run for 1 s, was lost (made as a run began): the listener clicks it again (the same slide: a second
    // click never steps further).
    const lost = typeof opened.to === "number" && Date.now() - opened.at > 3000 &&
      (since < opened.at || (!running() && Date.now() - quiet > 1000));
    return (there || lost) && still;
  };
  const click = (selector, to) => {
    const link = document.querySelector(selector);
    if (!link) return false;
    opened = {to: to, at: Date.now()};
    link.click();
    return true;
  };
  // where the listener stands, for a browser test's failure message
  window.ptsPresenterState = () => ({lead, queue, opened, last, seen, since, quiet, now: Date.now(),
    running: running(), place: place(), links: links()});
  setInterval(() => {
    if (running()) quiet = Date.now();
    const at = place();
    if (at) last = at;
    const now = (at ? `${at.here} ` : "") + links();
    if (now !== seen) { seen = now; since = Date.now(); }
    pressing();
    if (lead === null && !queue.length) { waiting = Date.now(); return; }
    // A step with the cohort drawer open closes it first: a click on a link would close it too, and the
    // run its closing asks for would take the place of the step's.
    if (document.querySelector("[data-testid='stPopoverBody']")) {
      const button = document.querySelector(".st-key-presenter_drawer button");
      if (button && Date.now() - closing > 1000) { closing = Date.now(); quiet = Date.now() + 200; button.click(); }
      return;
    }
    if (!settled()) return;
    opened = null;
    if (lead === null && queue.length && at) {  // presses made while a run went on: from the slide now drawn
      lead = queue.reduce((from, name) => leads(from, name, at.count), at.here);
      queue = [];
    }
    if (lead !== null) {
      if (at && at.here === lead) { lead = null; return; }
      if (!click(`.st-key-presenter_to_${lead} a`, lead)) lead = null;
      return;
    }
    const name = queue.shift();
    click(`.st-key-presenter_key_${name} a`, links());  // none (Next on the last slide): the press is spent
  }, 50);
  // A filter chosen in the drawer's list (a click on an option, or Enter in the open list) lets go of its
  // box: the focus leaves it and its list closes, so a clicker's next key (ArrowRight, Space, ...) is the
  // slide's, and one Escape closes the drawer (review 27b: the box kept the focus with its list open, and
  // ArrowRight moved its caret, Space opened its list again, Escape only closed the list).
  // The drawer F opened takes the focus (itself, not a field: a clicker's keys still step), so that Tab goes on
  // to its first chip (review 27d, finding 5: the focus stayed on the page, a keyboard-only presenter could not
  // reach the drawer).
  const focusDrawer = (tries) => {
    const body = document.querySelector("[data-testid='stPopoverBody']");
    if (!body) { if (tries > 0) setTimeout(() => focusDrawer(tries - 1), 50); return; }
    if (!body.hasAttribute("tabindex")) body.tabIndex = -1;
    body.focus({ preventScroll: true });
  };
  const drawerField = () => {
    const active = document.activeElement;
    return active && active.tagName === "INPUT" && active.closest("[data-testid='stPopoverBody']") ? active : null;
  };
  const letGo = () => setTimeout(() => { const field = drawerField(); if (field) field.blur(); }, 0);
  document.addEventListener("click", (event) => {
    if (event.target && event.target.closest && event.target.closest("[role='option']") && drawerField()) letGo();
  }, true);
  document.addEventListener("keydown", (event) => {
    const box = drawerField();
    if (event.key === "Enter" && box && box.getAttribute("aria-expanded") === "true") letGo();
  }, true);
  document.addEventListener("keydown", (event) => {
    const target = targets[event.key];
    const field = event.target && (event.target.isContentEditable ||
      ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName));
    // With the cohort drawer open, Escape closes it (the drawer's own key); a clicker's steps still step
    // (most clickers have no Escape), and keys typed into the drawer's fields stay there (field above).
    const drawerOpen = document.querySelector("[data-testid='stPopoverBody']");
    if (drawerOpen && event.key === "Escape") return;
    // A clicker's PageDown / PageUp step even from a field of the drawer (a filter just chosen keeps the
    // focus in its box, review 27): no one types them into a filter, and a clicker has no other way out.
    const clicker = (event.key === "PageDown" || event.key === "PageUp") && drawerOpen &&
      event.target && event.target.closest && event.target.closest("[data-testid='stPopoverBody']");
    if (!target || (field && !clicker) || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (target === "drawer") {
      const button = document.querySelector(".st-key-presenter_drawer button");
      if (!button) return;
      event.preventDefault();
      button.click();
      focusDrawer(40);
      return;
    }
    // Not on a slide (the analyst's view after Exit): the key is the page's. Between two slides the
    // line stays (it is laid out first), its links not yet drawn: the press counts all the same.
    if (!document.querySelector(".st-key-presenter_keys, .st-key-presenter_line")) return;
    event.preventDefault();
    if (target === "exit") {
      lead = null; queue = []; opened = null;
      click(".st-key-presenter_key_exit a", null);
      return;
    }
    const at = place() || last;
    // The slide on screen may not be the one the run going on draws (the speaker view moved the room: its
    // line shows the new slide before the run draws the box that says so, review 27c, finding 1): a press
    // made during a run, or with no box drawn, counts once the run is over, from the slide then drawn.
    if (lead === null && (!place() || running() || queue.length)) { queue.push(target); pressing(); return; }
    lead = leads(lead !== null ? lead : at.here, target, at.count);
    pressing();
  }, true);
})();
</script>"""


@dataclass(frozen=True)
class Step:
    """Where a step link goes: a page script, its query, its label and what it opens."""

    script: str
    query: dict[str, list[str]]
    label: str
    opens: str  # Markdown: the slide it opens, for the link's tooltip and the hidden key links


def _page_step(page: PageSpec | None, here: dict[str, list[str]]) -> Step | None:
    return None if page is None else Step(page.script, here, page.title, page.title)


def _talk_step(shown: talks.Presented, position: int, label: str) -> Step | None:
    if position == shown.position or not 1 <= position <= len(shown.talk.slides):
        return None
    # A slide changed live opens as it was left (talks.keep_live), until the talk is left.
    script, query_ = talks.slide_target(shown.talk, position, talks.live_slides(shown.talk.slug))
    title = escape.markdown(shown.talk.slides[position - 1].title)
    return Step(script, query_, label, f"slide {position}: {title}")


def _steps(spec: PageSpec, here: dict[str, list[str]], shown: talks.Presented | None) -> dict[str, Step | None]:
    """First, previous, next and last: along the talk's slides when a talk is presented, else along
    the analysis pages that show something."""
    if shown is not None:
        count = len(shown.talk.slides)
        return {
            "first": _talk_step(shown, 1, "First"),
            "previous": _talk_step(shown, shown.position - 1, "Previous"),
            "next": _talk_step(shown, shown.position + 1, "Next"),
            "last": _talk_step(shown, count, "Last"),
        }
    slides = _slides(here)
    previous, following = _neighbours(spec, here)
    return {
        "first": _page_step(slides[0] if slides and slides[0] != spec else None, here),
        "previous": _page_step(previous, here),
        "next": _page_step(following, here),
        "last": _page_step(slides[-1] if slides and slides[-1] != spec else None, here),
    }


def _places(spec: PageSpec, here: dict[str, list[str]], shown: talks.Presented | None) -> tuple[int, list[Step]] | None:
    """Every slide the keys step along, and the place of this one (1..n): the talk's slides (as the
    presenter left them, talks.keep_live), else the pages that show something; None on a page that
    is not one of them (skipped for showing nothing)."""
    if shown is not None:
        live = talks.live_slides(shown.talk.slug)
        places = []
        for position in range(1, len(shown.talk.slides) + 1):
            script, query_ = talks.slide_target(shown.talk, position, live)
            places.append(Step(script, query_, str(position), f"slide {position}"))
        return shown.position, places
    slides = _slides(here)
    if spec not in slides:
        return None
    return slides.index(spec) + 1, [_page_step(p, here) or Step(p.script, here, p.title, p.title) for p in slides]


def _keys(
    spec: PageSpec,
    steps: dict[str, Step | None],
    leave: dict[str, list[str]],
    places: tuple[int, list[Step]] | None,
) -> None:
    """The hidden links the keys click (presenter.css hides presenter_keys) and the key listener:
    first, previous, next, last and leave, and a link to every slide with the place of this one
    (presses faster than a slide is drawn open the slide they lead to: KEYS_SCRIPT)."""
    with st.container(key="presenter_keys"):
        for name, step in steps.items():
            if step is not None:
                with st.container(key=f"presenter_key_{name}"):
                    st.page_link(step.script, label=f"{name.title()} slide: {step.opens}", query_params=step.query)
        with st.container(key="presenter_key_exit"):
            st.page_link(spec.script, label="Leave presenter view", query_params=leave)
        if places is not None:
            at, every = places
            with st.container(key=f"presenter_at_{at}_of_{len(every)}"):
                for number, step in enumerate(every, start=1):
                    with st.container(key=f"presenter_to_{number}"):
                        st.page_link(step.script, label=f"To {step.opens}", query_params=step.query)
        st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)  # in the hidden box: it takes no room either


LIVE_KEPT = (
    "Cohort changed on this slide: it stays so when you step away and back, until you leave the talk (Exit or Escape)."
)
LIVE_BACK = "This slide shows its stored cohort again."


def _live(shown: talks.Presented, here: dict[str, list[str]]) -> bool:
    """A talk's slide whose cohort the presenter changed here (the drawer): kept for the slide until
    the talk is left (talks.keep_live), written for the speaker view while sharing, and said at the
    moment of the change. Whether the slide shows a cohort changed live."""
    changed, kept = talks.keep_live(shown, here)
    if changed:
        following.keep_live(shown.talk.slug, shown.position, kept)
        st.toast(LIVE_KEPT if kept is not None else LIVE_BACK, icon=":material/filter_list:")
    return kept is not None


def _draw_rows(line: Line, rows: str) -> None:
    if rows:
        with line.below if line.below is not None else line.words:
            st.markdown(rows.removeprefix("  \n"), width="stretch")


def _draw_line(line: Line, spec: PageSpec, text: str, rows: str = "") -> None:
    """The line's words (`rows`: Markdown lines, each starting with a line break, drawn under the line across
    the slide's whole width, where the words beside the links would wrap to many lines)."""
    here = state.url_query()
    shown = talks.presented()
    # A follower's window sees the same mark as the presenter's (it changes nothing itself).
    live = shown is not None and (talks.changed_live(shown, here) if state.following() else _live(shown, here))
    steps = _steps(spec, here, shown)
    if shown is not None:  # the talk's place first: "Slide 2 of 5: <its title>"
        title = f"**{escape.markdown(shown.slide.title)}**"
        if live:  # the title was the stored slide's: struck, and what changed said beside it (review 27)
            change = talks.live_change(shown, here)
            title = f"~~{title}~~ :blue-badge[:material/filter_list: changed live{f': {change}' if change else ''}]"
        text = f"Slide {shown.position} of {len(shown.talk.slides)}: {title} · {text}"
    _draw_rows(line, rows)
    if state.following():  # read-only: no steps, no keys; the way out leaves following too
        with line.words:
            st.markdown(text, width="stretch")
        with line.leave:
            st.page_link(
                spec.script,
                label="Stop following",
                icon=":material/close_fullscreen:",
                query_params=following.stop_following_query(here),
            )
        return
    # present=0, not an absent key: the app then writes the address itself (a link to the page one is
    # on loses its query in the browser otherwise). Leaving presenter mode leaves the talk too.
    leave = {**{k: v for k, v in here.items() if k not in ("present", "talk", "slide")}, "present": ["0"]}
    st.session_state[LINE] = text + rows
    with line.words:
        st.markdown(text, width="stretch")
    with line.steps:
        for name, icon in (("previous", "arrow_back"), ("next", "arrow_forward")):
            if step := steps[name]:
                st.page_link(
                    step.script,
                    label=step.label,
                    icon=f":material/{icon}:",
                    query_params=step.query,
                    help=f"{name.title()}: {step.opens}" if shown is not None else None,
                )
    with line.leave:
        st.page_link(spec.script, label="Exit presenter view", icon=":material/close_fullscreen:", query_params=leave)
    _keys(spec, steps, leave, _places(spec, here, shown))
    # Last: the slide is drawn (its chart above, this line), so the speaker view may say "Now" of it.
    following.presenter_settled(spec)
