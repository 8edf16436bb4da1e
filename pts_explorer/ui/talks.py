"""Talks in the page layer: "Add to talk" beside a page's title, the talk a presenter steps
through (`talk=<slug>&slide=<n>` in presenter mode), and the address of each of its slides.

A slide opens its page with the settings it was added with, on the data served now, in presenter
mode, with the talk and its own number in the address; a setting no longer valid there is changed
and announced as any link's is (state.control, state.begin_run)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from pts_explorer import escape, workspace
from pts_explorer.config import ANALYSIS_PAGES, PageSpec
from pts_explorer.filters import CohortFilter
from pts_explorer.settings import SETTINGS
from pts_explorer.ui import auth, state

PAGE = "talks"  # the Talks page's url_path
NEW = ""  # the "new talk" choice of Add to talk
_ADDED = "_talk_added"  # what the last Add to talk said: ("success" | "error", Markdown, talk slug)
_LAST = "_talk_last"  # the talk chosen in Add to talk last (NEW: a new one); offered first on every page


def store() -> workspace.Workspace:
    return auth.store()


def page_of(slide: workspace.Slide) -> PageSpec | None:
    """The page a slide shows, or None when the app has no such analysis page any more."""
    return next((p for p in ANALYSIS_PAGES if p.name == slide.page), None)


def slide_query(talk: workspace.Talk, position: int) -> dict[str, list[str]]:
    """The address query of slide `position` (1..n) presented: its settings, present, the talk and
    its number, in the registry's order (the order the app writes an address in)."""
    slide = talk.slides[position - 1]
    values = SETTINGS.parse_all({**slide.query, "present": ["1"], "talk": [talk.slug], "slide": [str(position)]})
    return SETTINGS.encode_all(values)


def slide_target(
    talk: workspace.Talk, position: int, live: Mapping[int, dict[str, list[str]]] | None = None
) -> tuple[str, dict[str, list[str]]]:
    """The page script and query that open slide `position`; a slide whose page no longer exists
    opens the Talks page on its talk, which says so. `live`: the slides the presenter changed live
    (position -> address, live_slides), opened as they were left."""
    spec = page_of(talk.slides[position - 1])
    if spec is None:
        return f"app_pages/{PAGE}.py", {"talk": [talk.slug], "slide": [str(position)]}
    if live and position in live:
        return spec.script, live[position]
    return spec.script, slide_query(talk, position)


# A presenter who changes a slide's cohort live (the drawer) and steps away finds the slide as it was
# left on stepping back, until the talk is left: this window's changed slides, {"talk": slug,
# "slides": {position: address}}.
_LIVE = "_talk_live"


def live_slides(slug: str) -> dict[int, dict[str, list[str]]]:
    """The slides of talk `slug` this window changed live (position -> the address they were left at)."""
    kept = st.session_state.get(_LIVE) or {}
    return dict(kept.get("slides", {})) if kept.get("talk") == slug else {}


def _address(here: Mapping[str, list[str]]) -> dict[str, list[str]]:
    now = SETTINGS.encode_all(SETTINGS.parse_all({k: v for k, v in here.items() if k in SETTINGS}))
    return {k: v for k, v in now.items() if k not in ("follow", "share")}


def changed_live(shown: Presented, here: Mapping[str, list[str]]) -> bool:
    """Whether the slide on screen (its address `here`, a follower's too) differs from the slide as
    stored: the cohort is what a slide changes live (its drawer); a setting the page replaced on
    opening (no longer valid there) is not a change of the presenter's."""
    return workspace.clean_query(_address(here)) != workspace.clean_query(shown.slide.query)


def live_change(shown: Presented, here: Mapping[str, list[str]]) -> str:
    """What the presenter changed on the slide, in words (Markdown), e.g. "Common iliac removed"."""
    stored, now = SETTINGS.parse_all(shown.slide.query), SETTINGS.parse_all(_address(here))
    before = CohortFilter.from_mapping(stored, stored.get("study", []))  # type: ignore[arg-type]
    after = CohortFilter.from_mapping(now, now.get("study", []))  # type: ignore[arg-type]
    said = after.changes_from(before, escape.markdown)
    if stored.get("cohort") != now.get("cohort"):  # a saved cohort chosen or dropped
        name = now.get("cohort")
        cohort = f"saved cohort {escape.markdown(name)}" if name else "saved cohort removed"
        said = f"{said}, {cohort}" if said else cohort
    return said


def keep_live(shown: Presented, here: Mapping[str, list[str]]) -> tuple[bool, dict[str, list[str]] | None]:
    """After a slide of a talk ran: remember its address when it differs from the slide as stored
    (the cohort changed live), forget it when it is as stored again. Returns whether the address
    kept for the slide changed in this run, and the address kept (None: as stored)."""
    kept = st.session_state.get(_LIVE) or {}
    if kept.get("talk") != shown.talk.slug:
        kept = {"talk": shown.talk.slug, "slides": {}}
    slides = dict(kept["slides"])
    now = _address(here)
    before = slides.get(shown.position)
    if not changed_live(shown, here):
        slides.pop(shown.position, None)
    else:
        slides[shown.position] = now
    st.session_state[_LIVE] = {"talk": shown.talk.slug, "slides": slides}
    after = slides.get(shown.position)
    return after != before, after


def forget_live() -> bool:
    """The talk was left (or another opened): its slides open as stored again. Whether any was kept."""
    return bool((st.session_state.pop(_LIVE, None) or {}).get("slides"))


@dataclass(frozen=True)
class Presented:
    """The talk a presenter steps through and the slide on screen (1..len(talk.slides))."""

    talk: workspace.Talk
    position: int

    @property
    def slide(self) -> workspace.Slide:
        return self.talk.slides[self.position - 1]


def presented() -> Presented | None:
    """The talk of this run's address in presenter mode, at its slide; None (with a notice when the
    address names a talk that cannot be shown) when the pages step in their usual order."""
    slug, position = state.current("talk"), state.current("slide")
    if not slug or not state.presenting():
        return None
    try:  # a follower shows the presenter's talk: sharing it to the room is the presenter's choice
        talk = store().talk(slug) if state.following() else store().opened_talk(slug)
    except workspace.WorkspaceError as problem:
        if st.session_state.get("_talk_refused") != slug:  # once per talk, not once per slide
            st.session_state["_talk_refused"] = slug
            auth.refused(problem, str(st.session_state.get("_page", "")))
        state.notice(escape.markdown(problem))
        return None
    if talk is None:
        state.notice(
            f"No talk is called **{slug}** here (deleted, or kept in another workspace): Previous and Next step "
            "through the pages."
        )
        return None
    if not talk.slides:
        state.notice(f"The talk **{escape.markdown(talk.title)}** has no slides yet: add views to it first.")
        return None
    if position is None or not 1 <= position <= len(talk.slides):
        state.notice(
            f"The address names no slide of the talk **{escape.markdown(talk.title)}** (it has "
            f"{len(talk.slides)}; `slide=1` is the first): Previous and Next step through the pages."
        )
        return None
    return Presented(talk, position)


def opening_slide(query: Mapping[str, list[str]]) -> tuple[str, dict[str, list[str]]] | None:
    """The short link of a talk, `/talks?talk=<slug>&present=1`: the page and query of its first
    slide, or of the slide `slide=<n>` names (a number past its last slide opens slide 1, said so);
    None when the address is not one, or its talk has no slides (the Talks page says so)."""
    if not SETTINGS["present"].parse(query.get("present", [])):
        return None
    slug = SETTINGS["talk"].parse(query.get("talk", []))
    try:
        talk = store().opened_talk(str(slug)) if slug else None
    except workspace.WorkspaceError:
        return None  # the Talks page says why
    if talk is None or not talk.slides:
        return None
    asked = query.get("slide", [])
    position = SETTINGS["slide"].parse(asked)
    if isinstance(position, int) and 1 <= position <= len(talk.slides):
        return slide_target(talk, position)
    if asked:  # the number itself is not quoted: a link's text can be anything
        state.notice_next(
            f"The link's **slide** is not a slide of the talk **{escape.markdown(talk.title)}** (it has "
            f"{len(talk.slides)}; `slide=1` is the first): it opens at slide 1."
        )
    return slide_target(talk, 1)


def _default_title(page_title: str, cohort: CohortFilter) -> str:
    title = f"{page_title}: {cohort.describe()}"
    return title if len(title) <= workspace.MAX_NAME else title[: workspace.MAX_NAME - 1] + "…"


def _add(page: str, title_key: str) -> None:
    """Add this view to the chosen talk (a new one when asked), before the page is drawn again."""
    space = store()
    try:
        choice = st.session_state.get("talk_choice", NEW)
        workspace.slide_text(st.session_state.get(title_key, ""))  # checked before a new talk is made for it
        if choice == NEW:
            talk = space.new_talk(st.session_state.get("talk_new_title", ""))
        else:
            found = space.talk(choice)
            if found is None:
                raise workspace.WorkspaceError("That talk no longer exists (deleted in another session?).")
            talk = found
        slide = space.add_slide(talk.slug, page, state.url_query(), st.session_state.get(title_key, ""))
    except workspace.WorkspaceError as problem:
        auth.refused(problem, str(st.session_state.get("_page", "")))
        st.session_state[_ADDED] = ("error", escape.markdown(problem), "")
        return
    st.session_state[_LAST] = talk.slug
    st.session_state["talk_new_title"] = ""
    st.session_state[_ADDED] = (
        "success",
        f"Added as slide {slide.position} of **{escape.markdown(talk.title)}**.",
        talk.slug,
    )


def add_to_talk(page_title: str, cohort: CohortFilter) -> None:
    """The Add to talk popover of an analysis page: a talk (or a new one by its title) and the slide's
    title, the page's title and the cohort by default; the slide keeps this page and its settings."""
    spec = next((p for p in ANALYSIS_PAGES if p.url_path == st.session_state.get("_page")), None)
    if spec is None:
        return
    with st.popover(
        "Add to talk",
        icon=":material/playlist_add:",
        key="add_to_talk",
        type="tertiary",
        help="Add this view (page, cohort and settings) as a slide of a talk; the Talks page edits and presents it",
    ):
        try:
            talks = store().talks()
        except workspace.WorkspaceError as problem:
            st.error(escape.markdown(problem), icon=":material/error:")
            return
        titles = {t.slug: t.title for t in talks}
        options = [NEW, *titles]
        # Seeded on every run from the session's own key: a widget gets a new id on each page and opens
        # at its first option there otherwise (see state.control).
        last = st.session_state.get(_LAST)
        st.session_state["talk_choice"] = last if last in options else (talks[0].slug if talks else NEW)
        choice = st.selectbox(
            "Talk",
            options,
            format_func=lambda slug: titles.get(slug, "A new talk…"),
            key="talk_choice",
            on_change=lambda: st.session_state.update({_LAST: st.session_state["talk_choice"]}),
        )
        if choice == NEW:
            st.text_input("New talk's title", key="talk_new_title", max_chars=workspace.MAX_NAME)
        default = _default_title(page_title, cohort)
        title_key = f"talk_slide_title_{hashlib.sha1(default.encode()).hexdigest()[:8]}"  # follows the cohort
        st.text_input("Slide title", value=default, key=title_key, max_chars=workspace.MAX_NAME)
        st.button(
            "Add slide",
            key="talk_add",
            icon=":material/add:",
            type="primary",
            on_click=_add,
            args=(spec.name, title_key),
        )
        if said := st.session_state.pop(_ADDED, None):
            kind, text, slug = said
            if kind == "error":
                st.error(text, icon=":material/error:")
            else:
                st.success(text, icon=":material/check:")
                st.page_link(
                    f"app_pages/{PAGE}.py",
                    label="Edit it on the Talks page",
                    icon=":material/slideshow:",
                    query_params={**state.url_query(), "talk": [slug]},
                )
