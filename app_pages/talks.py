"""Talks: views in order (a page with its cohort and settings), each with a title and speaker
notes, kept in the workspace with the saved cohorts. Slides are added with "Add to talk" on any
page with a chart; here they are reordered, renamed, annotated, duplicated and deleted, and the talk
is presented (its short link opens slide 1 in presenter mode; the keys step along its slides), or
taken away: Download gives it as one HTML file that steps offline, or as a PDF of its slides."""

from collections.abc import Callable

import streamlit as st

from pts_explorer import escape, ui, workspace
from pts_explorer.filters import CohortFilter
from pts_explorer.settings import COHORT_KEYS, SETTINGS
from pts_explorer.ui import auth, cohorts, state, talk_slides, talks

_PROBLEM = "_talks_problem"  # what the last edit refused, shown above the slides
_CHOSEN = "_talks_chosen"  # the talk this session edits
_DELETED = "_talks_deleted"  # the slide deleted last (workspace.Slide), which Undo puts back


def _keys(slide: workspace.Slide) -> tuple[str, str, str]:
    """One slide's title and notes fields, and the version they were filled from."""
    return f"slide_title_{slide.id}", f"slide_notes_{slide.id}", f"_slide_base_{slide.id}"


def _load(slide: workspace.Slide) -> None:
    title_key, notes_key, base_key = _keys(slide)
    st.session_state[title_key], st.session_state[notes_key] = slide.title, slide.notes
    st.session_state[base_key] = (slide.version, slide.title, slide.notes)


def _seed(slide: workspace.Slide) -> None:
    """Fill a slide's fields with its stored text: when first shown, and when it changed elsewhere
    while the fields here are unchanged."""
    title_key, notes_key, base_key = _keys(slide)
    base = st.session_state.get(base_key)
    unseen = title_key not in st.session_state or notes_key not in st.session_state or base is None
    if unseen or (
        base is not None
        and base[0] != slide.version
        and (st.session_state[title_key], st.session_state[notes_key]) == base[1:]
    ):
        _load(slide)


def _edit(change: Callable[..., object], *args: object) -> None:
    """Run one change of the workspace from a button, before the page is drawn again."""
    try:
        change(*args)
    except workspace.SlideConflict as conflict:
        _load(conflict.current)  # their text is shown now; the message says to make the change again
        st.session_state[_PROBLEM] = str(conflict)
    except workspace.WorkspaceError as problem:
        auth.refused(problem, "talks")
        st.session_state[_PROBLEM] = str(problem)


def _save_slide(slide: workspace.Slide) -> None:
    title_key, notes_key, base_key = _keys(slide)
    version = st.session_state[base_key][0]
    try:
        saved = talks.store().update_slide(slide.id, st.session_state[title_key], st.session_state[notes_key], version)
    except workspace.SlideConflict as conflict:
        _load(conflict.current)
        st.session_state[_PROBLEM] = str(conflict)
    except workspace.WorkspaceError as problem:
        st.session_state[_PROBLEM] = str(problem)
    else:
        _load(saved)
        # Said, not only seen in the list (review 27, finding 9: a save gave no confirmation).
        st.toast(
            f"Slide {saved.position} saved: **{escape.markdown(saved.title)}**, with its notes.",
            icon=":material/check_circle:",
        )


def _delete_slide(slide_id: int) -> None:
    try:
        st.session_state[_DELETED] = talks.store().delete_slide(slide_id)
    except workspace.WorkspaceError as problem:
        st.session_state[_PROBLEM] = str(problem)


def _undo_delete() -> None:
    gone = st.session_state.pop(_DELETED, None)
    if gone is not None:
        _edit(talks.store().restore_slide, gone)


def _new_talk() -> None:
    try:
        shared = bool(st.session_state.get("new_talk_shared", True))
        talk = talks.store().new_talk(st.session_state.get("new_talk_title", ""), shared)
    except workspace.WorkspaceError as problem:
        st.session_state[_PROBLEM] = str(problem)
    else:
        st.session_state[_CHOSEN] = talk.slug
        st.session_state.pop("talks_choice", None)
        st.session_state["new_talk_title"] = ""


def _rename(slug: str) -> None:
    _edit(talks.store().rename_talk, slug, st.session_state.get(f"talk_title_{slug}", ""))


def _set_shared(slug: str) -> None:
    _edit(talks.store().set_talk_shared, slug, bool(st.session_state.get(f"share_talk_{slug}")))


def _delete_talk(slug: str) -> None:
    _edit(talks.store().delete_talk, slug)
    st.session_state.pop(_CHOSEN, None)
    st.session_state.pop("talks_choice", None)


def _settings_text(slide: workspace.Slide) -> str:
    """What a slide shows besides its page, in words: its cohort and its settings away from the defaults."""
    parsed = SETTINGS.parse_all(slide.query)
    cohort = CohortFilter.from_mapping(parsed, parsed.get("study", []))  # type: ignore[arg-type]
    words = [f"saved cohort {parsed['cohort']}" if parsed.get("cohort") else cohort.describe()]
    others = [f"{k} {', '.join(v)}" for k, v in slide.query.items() if k not in COHORT_KEYS and k != "cohort"]
    return " · ".join(words + others)


st.header("Talks", anchor=False)
space = talks.store()
st.markdown(
    "A talk is views in order: each slide is a page with its cohort and settings, a title and speaker notes (the "
    "notes are not shown on the slide). Add slides with **Add to talk** beside the title of any page with a chart; "
    "each slide shows the data served when it is presented. Talks are kept with the saved cohorts "
    f"(`{space.path.name}`), at most {workspace.MAX_TALKS:,}, each of at most {workspace.MAX_SLIDES:,} slides."
)
try:
    every = space.talks()
except workspace.WorkspaceError as unusable:
    st.error(escape.markdown(unusable), icon=":material/error:")
    ui.stop()

asked_slug = state.current("talk")  # a link's talk=<slug> (Add to talk's link, an address): shown first
refused: workspace.WorkspaceError | None = None
if asked_slug and asked_slug not in {t.slug for t in every}:
    try:
        space.opened_talk(asked_slug)
    except workspace.WorkspaceError as not_opened:  # another user's private talk (Refused), or unreadable
        refused = not_opened
    if refused is not None:
        if st.session_state.get("_talks_refused") != asked_slug:  # once per address, not once per run
            st.session_state["_talks_refused"] = asked_slug
            auth.refused(refused, "talks")
        st.error(escape.markdown(refused), icon=":material/lock:")
    else:
        st.warning(
            f"No talk is called **{asked_slug}** here (deleted, or kept in another workspace).",
            icon=":material/warning:",
        )
elif asked_slug and st.session_state.get("_talks_asked") != asked_slug:  # once: then the reader's choice holds
    st.session_state[_CHOSEN] = asked_slug
    st.session_state.pop("talks_choice", None)
st.session_state["_talks_asked"] = asked_slug

with st.form("new_talk", border=False), st.container(horizontal=True, vertical_alignment="bottom"):
    st.text_input("New talk", key="new_talk_title", max_chars=workspace.MAX_NAME, placeholder="Its title")
    if auth.configured():  # the local tool's one user owns everything, shared as before
        st.checkbox("Share with the team", value=True, key="new_talk_shared", help=cohorts.SHARED_HELP)
    st.form_submit_button("Start a talk", icon=":material/add:", on_click=_new_talk)

if problem := st.session_state.pop(_PROBLEM, None):
    st.error(escape.markdown(problem), icon=":material/error:")
every = space.talks()
if not every:
    st.info(
        "No talk yet: start one above, or press **Add to talk** beside the title of any page with a chart.",
        icon=":material/slideshow:",
    )
    ui.stop()

titles = {t.slug: t.title for t in every}
chosen_slug = st.session_state.get(_CHOSEN)
slugs = list(titles)
chosen_slug = st.selectbox(
    "Talk",
    slugs,
    index=slugs.index(chosen_slug) if chosen_slug in slugs else 0,
    format_func=lambda slug: titles[slug],
    key="talks_choice",
)
st.session_state[_CHOSEN] = chosen_slug
talk = space.talk(chosen_slug)
if talk is None:  # deleted in another session since the list was read
    st.warning("That talk no longer exists (deleted in another session?).", icon=":material/warning:")
    ui.stop()

st.subheader(escape.markdown(talk.title), anchor=False)
with st.container(horizontal=True, gap="small", vertical_alignment="center", key="talk_actions"):
    if talk.slides:
        script, query = talks.slide_target(talk, 1)
        st.page_link(
            script,
            label="Present",
            icon=":material/co_present:",
            query_params=query,
            help="Slide 1 in presenter mode; Next, the arrow keys and a clicker step along the slides",
        )
    with st.popover("Short link", icon=":material/link:", type="tertiary"):
        st.caption("This address presents the talk from its first slide, on the data served then:")
        st.code(ui.view_address(st.context.url, talks.PAGE, {"talk": [talk.slug], "present": ["1"]}), language=None)
    if talk.slides:
        talk_slides.downloads(talk)
    with st.popover("Rename or delete", icon=":material/edit:", type="tertiary"):
        if auth.configured():
            cohorts.sharing_control(
                talk.owner,
                talk.shared,
                f"share_talk_{talk.slug}",
                _set_shared,
                talk.slug,
                space.who.may_change(talk.owner),
            )
        title_key = f"talk_title_{talk.slug}"
        if st.session_state.get(f"_talk_title_was_{talk.slug}") != talk.title:
            st.session_state[title_key] = talk.title
            st.session_state[f"_talk_title_was_{talk.slug}"] = talk.title
        st.text_input("Title", key=title_key, max_chars=workspace.MAX_NAME)
        st.button("Rename", key="rename_talk", on_click=_rename, args=(talk.slug,))
        sure = st.checkbox("Yes, delete this talk and its slides", key=f"confirm_delete_talk_{talk.slug}")
        st.button(
            "Delete the talk",
            key="delete_talk",
            icon=":material/delete:",
            disabled=not sure,
            on_click=_delete_talk,
            args=(talk.slug,),
        )

gone = st.session_state.get(_DELETED)
if gone is not None and gone.talk == talk.slug:  # Delete acts at once; Undo puts the slide back at its place
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="slide_deleted"):
        st.info(
            f"Slide {gone.position} deleted: **{escape.markdown(gone.title)}**, with its notes.",
            icon=":material/delete:",
            width="stretch",
        )
        st.button("Undo", key="undo_delete", icon=":material/undo:", on_click=_undo_delete)

if not talk.slides:
    st.info("No slides yet: press **Add to talk** beside the title of any page with a chart.", icon=":material/add:")
    ui.stop()

count = len(talk.slides)
st.caption(f"{count} slide{'s' if count > 1 else ''}, in the order they are presented.")
for slide in talk.slides:
    spec = talks.page_of(slide)
    with st.container(border=True, key=f"slide_{slide.id}"):
        words, buttons = st.container(), st.container()  # the buttons in one row under the words
        with words:
            page_title = spec.title if spec else f"{slide.page} (no such page now)"
            st.markdown(f"**{slide.position}. {escape.markdown(slide.title)}**")
            st.caption(f"{escape.markdown(page_title)} · {escape.markdown(_settings_text(slide))}")
            if spec is None:
                st.warning(
                    f"This app has no page **{escape.markdown(slide.page)}** now: the slide cannot be shown. "
                    "Delete it, or add the view again from a page.",
                    icon=":material/warning:",
                )
        with buttons.container(horizontal=True, gap="small"):
            if spec is not None:
                script, query = talks.slide_target(talk, slide.position)
                st.page_link(script, label="Show", icon=":material/open_in_new:", query_params=query)
            st.button(
                "Up",
                key=f"up_{slide.id}",
                icon=":material/arrow_upward:",
                disabled=slide.position == 1,
                on_click=_edit,
                args=(space.move_slide, slide.id, -1),
                help="Move this slide one place earlier",
            )
            st.button(
                "Down",
                key=f"down_{slide.id}",
                icon=":material/arrow_downward:",
                disabled=slide.position == count,
                on_click=_edit,
                args=(space.move_slide, slide.id, 1),
                help="Move this slide one place later",
            )
            st.button(
                "Duplicate",
                key=f"duplicate_{slide.id}",
                icon=":material/content_copy:",
                on_click=_edit,
                args=(space.duplicate_slide, slide.id),
            )
            st.button(
                "Delete",
                key=f"delete_{slide.id}",
                icon=":material/delete:",
                on_click=_delete_slide,
                args=(slide.id,),
                help="Delete this slide and its notes (Undo puts it back)",
            )
        _seed(slide)
        title_key, notes_key, _ = _keys(slide)
        with st.expander("Title and speaker notes"), st.form(f"slide_form_{slide.id}", border=False):
            st.text_input("Title", key=title_key, max_chars=workspace.MAX_NAME)
            st.text_area("Speaker notes (not shown on the slide)", key=notes_key, height=90)
            st.form_submit_button("Save title and notes", on_click=_save_slide, args=(slide,))
        if slide.notes:
            st.text(f"Speaker notes: {slide.notes}")
