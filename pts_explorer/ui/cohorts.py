"""Saved cohorts and named subgroups in the page layer: the workspace of this server, the choices
a page offers (the current filters, each named subgroup, each saved cohort), and what a choice
stands for (a cohort filter, a label, a note, and whether it was saved on other data)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from pts_explorer import access, config, derived, escape, subgroups, workspace
from pts_explorer.analytics import compare as analytics_compare
from pts_explorer.filters import CohortFilter
from pts_explorer.rows import each_row
from pts_explorer.settings import SETTINGS
from pts_explorer.ui import auth, state
from pts_explorer.ui.data import data_fingerprint, query, served_studies

CURRENT = "current"
SUBGROUP = "sub:"


def store() -> workspace.Workspace:
    return auth.store()


SHARED_HELP = (
    "Shared: every user of the app lists and opens it (each sees only the patients of the studies they may see). "
    "Private: only you, and users with the manage_cohorts right. Only you (or that right) can change or delete it."
)


def sharing(owner: str, shared: bool) -> str:
    """Whose an item is and who sees it, in words (the owner is the sign-in's user id, shown as text)."""
    who = owner or "owner unknown (saved before owners were recorded)"
    return f"{who}, {'shared with the team' if shared else 'private'}"


def sharing_control(owner: str, shared: bool, key: str, on_change: Any, slug: str, may_change: bool) -> None:
    """A saved item's owner in words and its "Shared with the team" switch (the Saved cohorts and Talks
    pages, with sign-in): only its owner, or the manage_cohorts right, may switch it."""
    st.caption(escape.markdown(f"Saved by {sharing(owner, shared)}."))
    st.toggle(
        "Shared with the team",
        value=shared,
        key=key,
        on_change=on_change,
        args=(slug,),
        help=SHARED_HELP,
        disabled=not may_change,
    )


PAGE = "cohorts"  # the Saved cohorts page's url_path: it says itself, once, that the workspace cannot be used


def saved_cohorts() -> list[workspace.SavedCohort]:
    """Every saved cohort; none, with a notice (on the Saved cohorts page, the page's own error),
    when the workspace cannot be read."""
    try:
        return store().cohorts()
    except workspace.WorkspaceError as problem:
        if st.session_state.get("_page") != PAGE:
            state.notice(escape.markdown(str(problem)))  # its text may quote the file: shown as text
        return []


def saved_page(page: int) -> list[workspace.SavedCohort]:
    """One page (from 1) of the saved cohorts by name, workspace.PAGE_SIZE to a page."""
    try:
        return store().cohorts(offset=(page - 1) * workspace.PAGE_SIZE, limit=workspace.PAGE_SIZE)
    except workspace.WorkspaceError as problem:
        state.notice(escape.markdown(str(problem)))
        return []


def named_subgroups() -> tuple[subgroups.Subgroup, ...]:
    """The built-in definitions and the operator's (subgroups.toml beside the outcomes file); the
    built-ins alone, with a notice, when the operator's file cannot be used."""
    found, problem = _loaded_subgroups(config.db_path().parent / "subgroups.toml")
    if problem:
        state.notice(f"The named subgroups of the operator's file are not used: {problem}")
    return found


@cache
def _loaded_subgroups(extra: Path) -> tuple[tuple[subgroups.Subgroup, ...], str]:
    try:
        return tuple(subgroups.load(extra=extra)), ""
    except subgroups.SubgroupError as problem:
        return tuple(subgroups.load()), str(problem)


def arms_text(values: dict[str, int]) -> str:
    """'120 stent / 98 medical', small counts hidden where the app hides them."""
    shield = state.protection()
    return " / ".join(f"{shield.count(int(values.get(arm, 0)))} {arm}" for arm in ("stent", "medical"))


@dataclass(frozen=True)
class Choice:
    ref: str  # "current", "sub:<name>" or a saved cohort's slug
    label: str
    cohort: CohortFilter
    note: str = ""
    saved: workspace.SavedCohort | None = None
    prespecified: str = ""  # a named subgroup's protocol or SAP reference, when its file gives one

    def about(self) -> str:
        """Markdown: the cohort's label, its filters (unless the label states them already) and its
        note; the study ids, a saved cohort's name and note are text, escaped."""
        filters = self.cohort.describe(escape.markdown)
        if self.ref == CURRENT:
            return f"The sidebar's filters ({filters})"
        if self.saved is None:  # a named subgroup: the app's and the operator's words
            return f"{self.label} ({filters})" + (f". {self.note}" if self.note else "")
        note = f". {escape.markdown(self.note)}" if self.note else ""
        return f"Saved: {escape.markdown(self.saved.name)} ({filters}){note}"


def studies() -> list[str]:
    return query("studies").study_id.tolist()


def filter_of(url_query: dict[str, list[str]], known: list[str] | None = None) -> CohortFilter:
    """The cohort filter of a query; `known`: the data's studies, when the caller has them already."""
    return CohortFilter.from_mapping(SETTINGS.parse_all(url_query), studies() if known is None else known)


def choices(current: CohortFilter) -> dict[str, Choice]:
    """What a cohort can be: the sidebar's filters, a named subgroup, or a saved cohort."""
    out = {CURRENT: Choice(CURRENT, f"The sidebar's filters ({current.describe()})", current)}
    for group in named_subgroups():
        out[SUBGROUP + group.name] = Choice(
            SUBGROUP + group.name, group.label, filter_of(group.query), group.why, prespecified=group.prespecified
        )
    known = studies()  # once, not once per saved cohort (a workspace holds up to 500)
    for saved in saved_cohorts():
        out[saved.slug] = Choice(saved.slug, f"Saved: {saved.name}", filter_of(saved.query, known), saved.note, saved)
    return out


def same_patients(here: dict[str, list[str]]) -> bool:
    """Whether Compare's cohorts A and B in the address `here` hold the same patients within its arm choice, where
    the page shows nothing to compare: the same choice, or two definitions of one set of patients (the sidebar's
    filters and the named subgroup they equal: review 27d, finding 3, a slide stepped to that said so)."""
    ref_a, ref_b = (SETTINGS[key].parse(here.get(key, [])) for key in ("a", "b"))
    if ref_a == ref_b:
        return True
    options = choices(filter_of(here))
    if ref_a not in options or ref_b not in options:  # the page says which is unknown: a slide of its own
        return False
    arms = analytics_compare.arms_of(str(SETTINGS["compare_arm"].parse(here.get("compare_arm", []))))
    sizes = analytics_compare.overlap(query, options[str(ref_a)].cohort, options[str(ref_b)].cohort, arms)
    return analytics_compare.relation_of(sizes) == analytics_compare.SAME


def other_data(saved: workspace.SavedCohort) -> bool:
    """Whether a saved cohort was made on another dataset than the one served."""
    found = data_fingerprint()
    return bool(saved.fingerprint) and saved.fingerprint not in (found, access.hidden(found))


def active() -> workspace.SavedCohort | None:
    """The saved cohort on screen: opened, and its filters unchanged since."""
    slug = state.saved_slug()
    try:
        return store().get(slug) if slug else None
    except workspace.WorkspaceError:
        return None


def unmatched_study_notice(studies: list[str]) -> None:
    """A saved cohort just opened whose study filter names a study the data served do not hold (the
    file was replaced since it was saved, or it comes from other data): the filter cannot apply and is
    left out when the widgets are drawn, so say so instead of silently showing more patients."""
    saved = active()
    unknown = [s for s in state.current("study") or [] if s not in studies] if saved else []
    if not saved or not unknown:
        return
    state.notice(
        f"The saved cohort **{escape.markdown(saved.name)}** filters Study by {_left_out(unknown)}: that "
        "filter matches nobody here and is left out, so this page does not show the saved cohort but the patients "
        "of its other filters."
    )


def _left_out(unknown: list[str]) -> str:
    """'<ids>', which is a study you may not see / not a study of the data served now (or both)."""
    listed = ", ".join(f"'{escape.markdown(s)}'" for s in unknown)
    served = set(served_studies()) if auth.current_access().restricted else set()
    which = (
        "a study you may not see"
        if all(s in served for s in unknown)
        else "not a study of the data served now"
        if not served & set(unknown)
        else "not a study of the data served now or one you may not see"
    )
    return f"{listed}, which is {which}"


def compared_study_notice(name: str, choice: Choice, known: list[str]) -> None:
    """A compared saved cohort (A..D) whose study filter names a study this user cannot have: the filter is
    left out (filter_of), so the cohort holds the patients of its other filters; say so under its name."""
    if choice.saved is None:
        return
    unknown = [s for s in choice.saved.query.get("study", []) if s not in known]
    if unknown:
        st.warning(
            f"Cohort {name}, the saved cohort **{escape.markdown(choice.saved.name)}**, filters Study by "
            f"{_left_out(unknown)}: that filter is left out, so cohort {name} holds the patients of its other "
            "filters, not the saved cohort.",
            icon=":material/filter_alt_off:",
        )


def counts(cohort: CohortFilter) -> dict[str, int]:
    """Patients per arm of a cohort on the served data."""
    rows = query("cohort_counts", cohort.as_params())
    return {str(r.arm): int(r.matching) for r in each_row(rows)}


def saved_on_other_data_notice(saved: workspace.SavedCohort) -> None:
    """Say that a saved cohort comes from other data, and how its counts differ here."""
    now = counts(filter_of(saved.query))
    shield = state.protection()

    def arms(values: dict[str, int]) -> str:
        return ", ".join(f"{shield.count(int(values.get(arm, 0)))} {arm}" for arm in ("stent", "medical"))

    name, dataset = escape.markdown(saved.name), escape.markdown(saved.dataset_name)  # users' and data's text
    # The patients it held when saved are the saver's view: a user limited to some studies is not told them.
    held = "" if auth.current_access().restricted else f"it held {arms(saved.counts)} patients there; "
    st.warning(
        f"**{name}** was saved on other data (**{dataset}**, fingerprint "
        f"`{derived.short(saved.fingerprint)}`): {held}its filters select "
        f"{arms(now)} patients in the data served now.",
        icon=":material/dataset:",
    )


def sidebar_panel(cohort: CohortFilter) -> None:
    """Save the sidebar's filters under a name, or open a saved cohort. The menu is drawn when it is
    opened (a rerun): its subgroup counts are not computed on every run of every page. It opens in the
    sidebar's own flow (an expander), not a popover: a popover at the sidebar's foot is cut to the room
    left under it and scrolls inside a box (84 px at 1280x720 with "More filters" open)."""
    saved = saved_cohorts()  # an unreadable workspace or subgroups file is noticed on every page
    groups = {group.name: group for group in named_subgroups()}
    menu = st.expander("Saved cohorts", icon=":material/bookmarks:", key="saved_cohorts_menu", on_change="rerun")
    if not menu.open:
        return
    with menu:
        if saved:
            by_slug = {c.slug: c for c in saved}
            st.selectbox(
                "Open",
                list(by_slug),
                index=None,
                placeholder="Choose a saved cohort",
                format_func=lambda slug: by_slug[slug].name,
                key="saved_open",
                on_change=_open_chosen,
            )
        st.selectbox(
            "Apply a named subgroup",
            list(groups),
            index=None,
            placeholder="Choose a ready-made cohort",
            format_func=lambda name: f"{groups[name].label} ({arms_text(counts(filter_of(groups[name].query)))})",
            key="subgroup_apply",
            on_change=_apply_subgroup,
            help="Versioned definitions (subgroups.toml), with the patients per arm each holds in the data served",
        )
        with st.form("save_cohort", clear_on_submit=True, border=False):
            # No max_chars: a browser would cut a long pasted name silently; the workspace refuses it in words.
            name = st.text_input("Save these filters as", placeholder="a name")
            note = st.text_area("Note (optional)", height=68)
            # With sign-in only: the local tool's one user owns everything, and it stays shared as before.
            shared = not auth.configured() or st.checkbox(
                "Share with the team", value=True, key="save_cohort_shared", help=SHARED_HELP
            )
            if st.form_submit_button("Save", icon=":material/bookmark_add:"):
                _save(name, note, cohort, shared)
        st.page_link("app_pages/cohorts.py", label="Manage saved cohorts", icon=":material/bookmarks:")


def _apply_subgroup() -> None:
    """Replace the filters (the arm chosen stays) by a named subgroup's definition."""
    name = st.session_state.get("subgroup_apply")
    group = next((g for g in named_subgroups() if g.name == name), None)
    st.session_state["subgroup_apply"] = None
    if group is None:
        return
    parsed = SETTINGS.parse_all(group.query)
    for key in subgroups.FILTER_KEYS:
        state.set_value(key, parsed.get(key, SETTINGS[key].default))


def _open_chosen() -> None:
    slug = st.session_state.get("saved_open")
    if slug and state.open_saved(slug):
        state.reseed_cohort_widgets()
    st.session_state["saved_open"] = None


def _save(name: str, note: str, cohort: CohortFilter, shared: bool = True) -> None:
    info = query("dataset_info").iloc[0]
    try:
        saved = store().save(
            name, state.cohort_query(), str(info.dataset_name), data_fingerprint(), counts(cohort), note, shared
        )
    except workspace.WorkspaceError as problem:
        st.error(escape.markdown(problem), icon=":material/error:")  # it quotes the name typed
        return
    auth.record(
        "save",
        page=str(st.session_state.get("_page", "")) or "home",
        cohort=auth.cohort_query(saved.query),
        detail=f"saved cohort {saved.slug}",
    )
    state.open_saved(saved.slug)
    st.success(
        f"Saved as **{escape.markdown(saved.name)}**; its link opens it on any page.", icon=":material/bookmark_added:"
    )


def _unknown(ref: str) -> str:
    """A cohort a link names that is not here: a named subgroup this server does not define, or a
    saved cohort deleted since or saved in another workspace (which of the two, the workspace cannot tell)."""
    if ref.startswith(SUBGROUP):
        return f"{ref} (not a named subgroup here)"
    return f"{ref} (not a saved cohort here: deleted, or saved on another server)"


def two_cohorts(current: CohortFilter, column_a: Any, column_b: Any) -> tuple[Choice, Choice]:
    """Cohorts A and B (URL keys a and b) chosen in two columns of the page, with a notice for a
    saved cohort made on other data; the page stops, saying so, when A and B are the same choice."""
    options = choices(current)
    refs = list(options)

    def label(ref: str) -> str:
        return options[ref].label if ref in options else _unknown(ref)

    ref_a = state.control("a", column_a.selectbox, "Cohort A", refs, valid=refs, format_func=label)
    ref_b = state.control("b", column_b.selectbox, "Cohort B", refs, valid=refs, format_func=label)
    a, b = options[ref_a], options[ref_b]
    known = studies()
    for name, choice in (("A", a), ("B", b)):
        if choice.saved is not None and other_data(choice.saved):
            saved_on_other_data_notice(choice.saved)
        compared_study_notice(name, choice, known)
    if ref_a == ref_b:
        said = (  # on a slide nobody can choose: say what the room sees (review 27c, finding 10)
            "This slide compares a cohort with itself (A and B are the same): there is nothing to compare."
            if state.presenting()
            else "Cohort A and cohort B are the same: choose another cohort for B."
        )
        st.info(said, icon=":material/compare_arrows:")
        state.stop()
    return a, b


def more_cohorts(current: CohortFilter, column: Any, a: Choice, b: Choice) -> dict[str, Choice]:
    """Cohorts C and D (URL keys c and d), chosen in a popover in `column` beside A and B: none, one or
    both, by name ("C", "D"). A choice already made for another cohort is left out, saying so."""
    options = choices(current)
    refs = list(options)

    def label(ref: str | None) -> str:
        if ref is None:
            return "None"
        return options[ref].label if ref in options else _unknown(ref)

    made = [r for r in (state.current("c"), state.current("d")) if r]
    title = "Add C, D" if not made else f"+ {len(made)} cohort{'s' * (len(made) > 1)}"
    box = (
        column.popover(title, icon=":material/library_add:", width="stretch", help="Compare up to four cohorts")
        if state.controls_drawn()
        else contextlib.nullcontext()
    )
    with box:
        ref_c = state.control("c", st.selectbox, "Cohort C", [None, *refs], valid=[None, *refs], format_func=label)
        ref_d = state.control("d", st.selectbox, "Cohort D", [None, *refs], valid=[None, *refs], format_func=label)
    out: dict[str, Choice] = {}
    taken = {a.ref: "A", b.ref: "B"}
    for name, ref in (("C", ref_c), ("D", ref_d)):
        if ref is None:
            continue
        if ref in taken:
            st.info(
                f"Cohort {name} is the same as cohort {taken[ref]}: left out. Choose another cohort for {name}.",
                icon=":material/compare_arrows:",
            )
            continue
        taken[ref] = name
        choice = options[ref]
        if choice.saved is not None and other_data(choice.saved):
            saved_on_other_data_notice(choice.saved)
        compared_study_notice(name, choice, studies())
        out[name] = choice
    return out
