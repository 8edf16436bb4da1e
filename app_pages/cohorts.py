"""Saved cohorts: every cohort saved under a name, its link, and what it holds in the data served
now, a page of them at a time; open, rename, note, duplicate, delete; share a set as JSON. A change
of name or note carries the version it started from: when someone else saved in between, the page
shows their text and lets the reader load it or save theirs over it deliberately."""

import hashlib
import math

import pandas as pd
import streamlit as st

from pts_explorer import escape, ui, workspace
from pts_explorer.ui import auth, cohorts

CONFLICT = "_cohort_conflict"
PAGE = "cohorts"  # this page's address, as the audit trail names it
SIGN_IN = auth.configured()  # owners are shown, and sharing chosen, only where users sign in


def _keys(slug: str) -> tuple[str, str, str]:
    """The name and note fields of one cohort's form, and the version they started from."""
    return f"edit_name_{slug}", f"edit_note_{slug}", f"_edit_base_{slug}"


def _seed(picked: workspace.SavedCohort) -> None:
    """Fill the form with the stored name and note, and remember their version: on first showing,
    and again when the stored cohort moved on while the reader has not changed the form."""
    name_key, note_key, base_key = _keys(picked.slug)
    base = st.session_state.get(base_key)
    if name_key not in st.session_state or note_key not in st.session_state or base is None:
        _load(picked)  # first shown (or its fields were not on the last run)
    elif base[0] != picked.version and (st.session_state[name_key], st.session_state[note_key]) == base[1:]:
        _load(picked)  # changed elsewhere while the reader changed nothing here


def _load(saved: workspace.SavedCohort) -> None:
    name_key, note_key, base_key = _keys(saved.slug)
    st.session_state[name_key], st.session_state[note_key] = saved.name, saved.note
    st.session_state[base_key] = (saved.version, saved.name, saved.note)


def _save(slug: str, name: str, note: str, version: int) -> None:
    """Save a name and note from `version`; a conflict is kept to be shown with both texts."""
    st.session_state.pop(CONFLICT, None)
    try:
        saved = cohorts.store().update(slug, name, note, version)
    except workspace.CohortConflict as conflict:
        st.session_state[CONFLICT] = (slug, conflict, name, note)
    except workspace.WorkspaceError as problem:
        auth.refused(problem, PAGE)
        st.session_state["_cohort_problem"] = str(problem)
    else:
        _load(saved)


def _set_shared(slug: str) -> None:
    """Share a cohort with the team or make it private, from its toggle (its owner, or manage_cohorts)."""
    try:
        cohorts.store().set_shared(slug, bool(st.session_state.get(f"share_cohort_{slug}")))
    except workspace.WorkspaceError as problem:
        auth.refused(problem, PAGE)
        st.session_state["_cohort_problem"] = str(problem)
        st.session_state.pop(f"share_cohort_{slug}", None)


def _load_theirs(slug: str) -> None:
    _, conflict, _, _ = st.session_state.pop(CONFLICT)
    _load(conflict.current)


def _overwrite(slug: str) -> None:
    """Save the reader's text over the version they have now read (refused again if it moved on)."""
    _, conflict, name, note = st.session_state[CONFLICT]
    _save(slug, name, note, conflict.current.version)


def _conflict(picked: workspace.SavedCohort) -> None:
    found = st.session_state.get(CONFLICT)
    if not found or found[0] != picked.slug:
        return
    _, conflict, name, note = found
    theirs = conflict.current
    st.error(escape.markdown(conflict), icon=":material/sync_problem:")
    mine_col, theirs_col = st.columns(2)
    with theirs_col:
        when = escape.markdown(workspace.when(theirs.updated_at))
        st.markdown(f"**Saved by someone else** (version {theirs.version}, {when})")
        st.text(f"Name: {theirs.name}")
        st.text(f"Note: {theirs.note or '(none)'}")
    with mine_col:
        st.markdown(f"**Yours** (started from version {conflict.started})")
        st.text(f"Name: {name}")
        st.text(f"Note: {note or '(none)'}")
    load, overwrite = st.columns(2)
    load.button(
        "Load their version (drop mine)",
        key="conflict_load",
        icon=":material/refresh:",
        on_click=_load_theirs,
        args=(picked.slug,),
    )
    overwrite.button(
        "Save mine over theirs",
        key="conflict_overwrite",
        icon=":material/save_as:",
        on_click=_overwrite,
        args=(picked.slug,),
    )


IMPORTED = "_cohorts_imported"  # what the last import said: ("success" | "error", its text)


def _import() -> None:
    """Import the uploaded file before the page is drawn (a button's callback), so the list below
    already holds what was imported; what it said is shown under the button."""
    upload = st.session_state.get("import_cohorts")
    if upload is None:
        return
    try:
        added, notes = cohorts.store().import_json(
            upload.getvalue(),
            studies=cohorts.studies(),
            shared=bool(st.session_state.get("import_cohorts_shared", True)),
        )
    except workspace.WorkspaceError as problem:
        st.session_state[IMPORTED] = ("error", escape.markdown(problem))
    else:
        said = f"Imported {added} saved cohort(s)." + "".join(f"  \n{escape.markdown(n)}" for n in notes)
        st.session_state[IMPORTED] = ("success", said)


ui.page_header("Saved cohorts")
space = cohorts.store()
st.markdown(
    "A saved cohort keeps the sidebar's filters under a name, with a note. Its link (`?cohort=` and its short "
    "name) opens it on any page, also after a restart. Save one from **Saved cohorts** in the sidebar. They are "
    f"kept in a small database of their own beside the outcomes file (`{space.path.name}`), at most "
    f"{workspace.MAX_STORED:,}."
)
try:
    total = space.count()
except workspace.WorkspaceError as unusable:  # said once, as an error: no list, no export or import
    st.error(escape.markdown(unusable), icon=":material/error:")
    ui.stop()
if not total:
    st.info("No cohort is saved yet.", icon=":material/bookmarks:")
else:
    pages = math.ceil(total / workspace.PAGE_SIZE)
    page = 1
    if st.session_state.get("cohorts_page", 1) > pages:  # cohorts were deleted since
        st.session_state["cohorts_page"] = pages
    if pages > 1:
        pager, _ = st.columns([1, 3])
        page = int(pager.number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="cohorts_page"))
    saved = cohorts.saved_page(page)
    first = (page - 1) * workspace.PAGE_SIZE + 1
    st.caption(f"Saved cohorts {first:,}-{first + len(saved) - 1:,} of {total:,}, by name.")
    shield = ui.protection()
    rows = []
    for c in saved:
        now = cohorts.counts(cohorts.filter_of(c.query))
        rows.append(
            {
                "Name": c.name,
                "Filters": cohorts.filter_of(c.query).describe(),
                "Patients now (stent / medical)": " / ".join(shield.count(now.get(a, 0)) for a in ("stent", "medical")),
                "Saved on": c.dataset_name + (" (other data)" if cohorts.other_data(c) else ""),
                "Link": f"?cohort={c.slug}",
                "Note": c.note,
            }
            | ({"Owner": cohorts.sharing(c.owner, c.shared)} if SIGN_IN else {})
        )
    ui.table(pd.DataFrame(rows), key="saved_cohorts_table", rows=len(rows))

    by_slug = {c.slug: c for c in saved}
    slugs = list(by_slug)
    last = st.session_state.get("_managed_cohort")
    # Keyed by the names too: a browser keeps a keyed selectbox's old option labels after a rename.
    names = "|".join(c.name for c in saved)
    chosen = st.selectbox(
        "Cohort",
        slugs,
        index=slugs.index(last) if last in slugs else 0,
        format_func=lambda slug: by_slug[slug].name,
        key=f"manage_cohort_{hashlib.sha1(names.encode()).hexdigest()[:8]}",
        help="The cohorts of this page",
    )
    st.session_state["_managed_cohort"] = chosen
    picked = by_slug[chosen]
    if cohorts.other_data(picked):
        ui.saved_on_other_data_notice(picked)
    opened = {**ui.url_query(), "cohort": [picked.slug]}
    st.page_link(
        "app_pages/overview.py",
        label=f"Open {escape.markdown(picked.name)}",
        icon=":material/open_in_new:",
        query_params=opened,
    )
    left, right = st.columns(2)
    _seed(picked)
    name_key, note_key, base_key = _keys(picked.slug)
    with left.form("rename_cohort", border=True):
        st.text_input("Name", key=name_key)
        st.text_area("Note", key=note_key, height=90)
        started = st.session_state[base_key][0]
        st.form_submit_button(
            "Save name and note",
            on_click=lambda: _save(picked.slug, st.session_state[name_key], st.session_state[note_key], started),
        )
    with left:
        if problem := st.session_state.pop("_cohort_problem", None):
            st.error(escape.markdown(problem), icon=":material/error:")
    with right:
        if SIGN_IN:
            cohorts.sharing_control(
                picked.owner,
                picked.shared,
                f"share_cohort_{picked.slug}",
                _set_shared,
                picked.slug,
                space.who.may_change(picked.owner),
            )
        if st.button("Duplicate", icon=":material/content_copy:", key="duplicate_cohort"):
            try:
                copy = space.duplicate(picked.slug)
            except workspace.WorkspaceError as problem:
                st.error(escape.markdown(problem), icon=":material/error:")
            else:
                st.success(f"Saved a copy as **{escape.markdown(copy.name)}**.")
        confirm = st.checkbox(f"Yes, delete {escape.markdown(picked.name)}", key="confirm_delete")
        if st.button("Delete", icon=":material/delete:", disabled=not confirm, key="delete_cohort"):
            try:
                space.delete(picked.slug)
            except workspace.WorkspaceError as problem:
                auth.refused(problem, PAGE)
                st.error(escape.markdown(problem), icon=":material/error:")
            else:
                st.rerun()
    _conflict(picked)  # under both columns: the two texts side by side need the width

st.subheader("Share a set of saved cohorts", anchor=False)
left, right = st.columns(2)
# Who asks and what they may see, taken in the run: the download is built on its own thread.
_limited, _who = auth.current_access().restricted, auth.current_identity()


def _shared() -> str:
    """The JSON of every saved cohort (without the counts they were saved with, for a user limited to some
    studies: workspace.export_json), recorded in the audit trail as an export."""
    made = space.export_json(limited=_limited)
    size = len(made.encode("utf-8"))
    auth.record("export", "cohorts", kind="json", size=size, detail="pts_saved_cohorts.json", who=_who)
    return made


left.download_button(
    "Export all as JSON", _shared, "pts_saved_cohorts.json", "application/json", icon=":material/download:"
)
right.caption(
    f"A file of at most {workspace.MAX_IMPORT_COHORTS:,} cohorts ({workspace.MAX_IMPORT_BYTES // 1_000_000} MB), "
    "in the form the export writes; a file with any problem is refused whole, naming the cohort and the field."
)
upload = right.file_uploader("Import a JSON export", type=["json"], key="import_cohorts")
if SIGN_IN:
    right.checkbox("Share the imported cohorts with the team", value=True, key="import_cohorts_shared")
if upload is not None:
    right.button("Import", key="import_cohorts_run", on_click=_import)
if said := st.session_state.pop(IMPORTED, None):
    kind, text = said
    if kind == "error":
        right.error(text, icon=":material/error:")
    else:
        right.success(text)
