"""Saved cohorts: every cohort saved under a name, its link, and what it holds in the data served
now; open, rename, note, duplicate, delete; share a set as JSON."""

import hashlib

import pandas as pd
import streamlit as st

from pts_explorer import escape, ui, workspace
from pts_explorer.ui import cohorts

ui.page_header("Saved cohorts")
space = cohorts.store()
saved = cohorts.saved_cohorts()
st.markdown(
    "A saved cohort keeps the sidebar's filters under a name, with a note. Its link (`?cohort=` and its short "
    "name) opens it on any page, also after a restart. Save one from **Saved cohorts** in the sidebar. They are "
    f"kept in a small database of their own beside the outcomes file (`{space.path.name}`)."
)
if not saved:
    st.info("No cohort is saved yet.", icon=":material/bookmarks:")
else:
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
    with left.form("rename_cohort", border=True):
        name = st.text_input("Name", value=picked.name)
        note = st.text_area("Note", value=picked.note, height=90)
        if st.form_submit_button("Save name and note"):
            try:
                space.update(picked.slug, name, note)
            except workspace.WorkspaceError as problem:
                st.error(escape.markdown(problem), icon=":material/error:")
            else:
                st.rerun()
    with right:
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
                st.error(escape.markdown(problem), icon=":material/error:")
            else:
                st.rerun()

st.subheader("Share a set of saved cohorts", anchor=False)
left, right = st.columns(2)
left.download_button(
    "Export all as JSON", space.export_json, "pts_saved_cohorts.json", "application/json", icon=":material/download:"
)
upload = right.file_uploader("Import a JSON export", type=["json"], key="import_cohorts")
if upload is not None and right.button("Import", key="import_cohorts_run"):
    try:
        added, notes = space.import_json(upload.getvalue())
    except workspace.WorkspaceError as problem:
        right.error(escape.markdown(problem), icon=":material/error:")
    else:
        right.success(f"Imported {added} saved cohort(s)." + "".join(f"  \n{escape.markdown(n)}" for n in notes))
