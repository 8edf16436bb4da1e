"""The frame around every page: settings state, database check, the filter panel (the sidebar's first
thing: the cohort), notices, the page menu (under the cohort, drawn last with the settings the run
ends with: the address it writes), and one URL write at the end of the run (also when a page stops
early)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pts_explorer import atomic, config, db, escape
from pts_explorer.config import PageSpec
from pts_explorer.ui import auth, data, elements, exporting, filter_panel, following, notices, presenter, screen, state

STYLESHEET = Path(__file__).with_name("app.css")


# The first things a keyboard reaches on every page (after Streamlit's own skip link): links to the cohort's
# filters and past them to the page menu (shown when focused; app.css). The filters' target sits above
# them (filter_panel.FILTERS_ANCHOR), the menu's above the menu (MENU_ANCHOR).
SKIP_LINKS = (
    '<a class="pts-skip" href="#cohort-filters">Skip to the cohort filters</a>'
    '<a class="pts-skip" href="#page-menu">Skip to the page menu</a>'
)
SKIP_TO_MENU = '<a class="pts-skip" href="#page-menu">Skip to the page menu</a>'  # no filters (Import)
MENU_ANCHOR = '<div id="page-menu" tabindex="-1" aria-label="Page menu"></div>'


def _page_menu(sections: dict[str, list[st.Page]]) -> None:
    """Links to every page carrying the current query, so a page switch keeps the cohort and the
    settings in the URL and adds one browser history entry (Streamlit's own menu, also its top bar
    (st.navigation position="top"), clears the query, which adds a second entry without it). Compact:
    two columns under the cohort, in the sections' order down each column."""
    query = state.url_query()
    st.html(MENU_ANCHOR)
    st.markdown("#### Pages")
    pages = [page for members in sections.values() for page in members]
    # Down the first column, then the second: a narrow screen stacks the columns, and the order stays the menu's.
    half = (len(pages) + 1) // 2
    for column, members in zip(st.columns(2, gap="small"), (pages[:half], pages[half:]), strict=True):
        with column:
            for page in members:
                st.page_link(page, label=page.title, icon=page.icon or None, query_params=query)


@st.cache_resource(show_spinner=False)
def _swept_at_start() -> int:
    """Once per server process: remove what an import killed mid-way (kill -9, a power cut) left
    in the private work folder and beside the data file (atomic.sweep_leftovers)."""
    return len(atomic.sweep_leftovers(config.db_path().parent))


def run(page: st.Page, sections: dict[str, list[st.Page]], spec: PageSpec) -> None:
    """Run `page` inside the shared frame; `sections` are the menu's pages by section. A page that
    does not need data (Import) runs without the database check and the cohort filters; in
    presenter mode the page runs alone, under one line that states its cohort."""
    st.html(STYLESHEET)  # style only: takes no space on the page
    auth.forget_address()  # after sign-in: the address asked for before it is used (app.py) and forgotten
    _swept_at_start()
    st.session_state["_page"] = page.url_path
    state.begin_run()
    exporting.begin()
    presenting = state.presenting() and spec.needs_data
    presenter.begin()
    if not (presenting and state.current("talk")) and not state.following():
        following.talk_left()  # the slides a presenter changed live open as stored again
    # On every page, in one place (the page's layout keeps its shape); it measures on a slide.
    screen.mount(spec if presenting else None)
    if presenting:
        presenter.style()
    else:
        # with the skip links: a click on a chart's legend clicks its entry's filter button (elements.LEGEND_CLICKS)
        st.sidebar.html(
            (SKIP_LINKS if spec.needs_data else SKIP_TO_MENU) + elements.LEGEND_CLICKS, unsafe_allow_javascript=True
        )
        auth.sidebar_user()  # with sign-in configured: who is signed in, and sign-out
    menu = None  # the page menu's place in the sidebar: under the cohort
    notices.run_token()  # hidden; drawn before anything can stop the page (tests wait on it)
    opened = (page.url_path, auth.cohort_query(state.url_query()))
    centres_asked: dict[str, list[str]] = {}  # an address newly opened: its centres are checked once the data are
    if st.session_state.get("_audited_open") != opened:  # the trail: each page and cohort a user opens, once
        st.session_state["_audited_open"] = opened
        auth.record("open", page=page.url_path or "home", cohort=opened[1])
        raw = {key: st.query_params.get_all(key) for key in st.query_params}
        centres_asked = raw
        if refused := auth.refused_studies(raw):  # an address, saved cohort or Compare cohort of another study
            asked = auth.cohort_query(raw)
            auth.record("denied", page=page.url_path or "home", cohort=asked, detail=f"studies {', '.join(refused)}")
            if named := [s for s in refused if s in raw.get("study", [])]:  # a saved cohort's: its own notice
                listed = ", ".join(f"'{escape.markdown(s)}'" for s in named)
                state.notice(f"The address asks for Study {listed}, a study you may not see: it is left out.")
        for ref, problem in auth.refused_compared(raw):  # Compare's b=<slug> of another user's private cohort
            asked = auth.cohort_query({ref: raw[ref][:1]})
            auth.record("denied", page=page.url_path or "home", cohort=asked, detail=problem.detail)
            state.notice(f"Cohort {ref.upper()}: {problem}")
    auth.permissions_notice()  # a permissions file that cannot be used: said on every page
    changed_settings = st.container()
    failed = False
    line = None  # presenter mode: the line above the slide, filled once the page said what it shows
    try:
        if spec.needs_data:
            report = notices.require_database()
            auth.unknown_studies_notice(data.served_studies())  # for the operator: ids the data do not hold
            _audit_centres(page, centres_asked)
            if presenting:
                line = presenter.start_line()
                filter_panel.sidebar_filters(line.drawer)
            else:
                filter_panel.sidebar_filters()
                menu = st.sidebar.container(key="page_nav")
                notices.dataset_banner()
                notices.data_warnings(report)
                notices.small_cell_notice()
        changed_settings = st.container()
        page.run()
    except state.PageStop:
        pass
    except Exception as exc:  # st.stop and st.rerun are BaseExceptions and pass through
        failed = True
        if db.is_damage(exc):  # a damaged block a page's query met: the same page as at opening
            notices.damaged_file_page(db.damaged(config.db_path(), exc), exc)
        else:
            notices.unexpected_error(page.title)
    finally:
        if not presenting:  # also when the page failed or the data could not be read: a way elsewhere
            with menu if menu is not None else st.sidebar.container(key="page_nav"):
                _page_menu(sections)
        if line is not None:
            if failed:  # what the page said it shows may be half-made: the line states the cohort
                presenter.begin()
            presenter.cohort_line(line, spec, filter_panel.cohort())
        state.publish()
        with changed_settings:
            notices.setting_notices()
        if spec.needs_data and not failed:  # also after st.stop: an empty cohort can be exported as such
            exporting.fill(spec.title, filter_panel.cohort())


def _audit_centres(page: st.Page, raw: dict[str, list[str]]) -> None:
    """An address newly opened that names a centre of a study the user may not see (center=TC01, or a saved
    cohort's): recorded as denied, as a study is (the pages show none of its patients)."""
    if not raw or not auth.may_see_only_some_studies():
        return
    if refused := auth.refused_centers(raw, *data.served_centers()):
        asked = auth.cohort_query(raw)
        auth.record("denied", page=page.url_path or "home", cohort=asked, detail=f"centres {', '.join(refused)}")


def opened_with_query() -> bool:
    """True on the first run of a session opened from an address that carries settings."""
    return state.run_number() == 0 and bool(state.opening_query())
