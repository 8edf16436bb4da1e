"""The Import page's parts: profiles on offer, uploads saved safely, the report shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from pts_explorer import atomic, config
from pts_explorer.importer import ImportReport, builtin_names


def import_profiles() -> dict[str, str]:
    """Built-in profiles by name (the contract's own layout first), then edited copies in the
    profiles folder by path: name -> label."""
    offered = {name: name for name in sorted(builtin_names(), key=lambda n: (n != "contract", n))}
    folder = config.user_profiles_dir()
    if folder.is_dir():
        offered |= {str(p): f"{p.stem} (edited copy)" for p in sorted(folder.glob("*.toml"))}
    return offered


def save_uploads(uploads: list[Any], folder: Path) -> list[Path]:
    """Uploaded files written into `folder` under their base name only (never a path from the browser)."""
    saved = []
    for i, upload in enumerate(uploads):
        name = Path(upload.name).name.lstrip(".") or f"upload-{i}"
        target = folder / name
        if target.exists():
            target = folder / f"{target.stem}-{i}{target.suffix}"
        target.write_bytes(upload.getvalue())
        saved.append(target)
    return saved


def import_report(report: ImportReport) -> None:
    """What an import found: the outcome, per file and per rule, and the report to download."""
    if report.imported:
        st.success(
            f"**{report.outcome.capitalize()}**. Every page now shows the new data.", icon=":material/check_circle:"
        )
        st.page_link("app_pages/overview.py", label="Open the Overview", icon=":material/arrow_forward:")
    elif report.errors:
        st.error(
            f"**{report.outcome.capitalize()}**. Fix the problems below and import again.", icon=":material/error:"
        )
    else:
        st.info(f"**{report.outcome.capitalize()}**.", icon=":material/fact_check:")
    cols = st.columns(4)
    cols[0].metric("Errors", f"{report.errors:,}")
    cols[1].metric("Warnings", f"{report.warnings:,}")
    if report.tables.get("patients"):  # what the sources hold, as mapped onto the contract
        cols[2].metric("Patients", f"{report.tables['patients']:,}")
        cols[3].metric("Visits", f"{report.tables.get('visits', 0):,}")
    st.markdown("**Files**")
    counts = {c: st.column_config.NumberColumn(format="localized") for c in report.file_frame().columns[1:]}
    st.dataframe(report.file_frame(), hide_index=True, key="import_files_table", column_config=counts)
    if report.funnel:
        st.markdown("**Where the records went**: per file, the records read, those each rule set aside, those kept")
        st.dataframe(
            report.funnel_frame(),
            hide_index=True,
            key="import_funnel_table",
            column_config={"Records": st.column_config.NumberColumn(format="localized")},
        )
    if report.rules:
        st.markdown("**Problems, one line per rule and file** (the first lines and the values seen)")
        wide = {"What is wrong, and what to do": st.column_config.TextColumn(width="large")}
        st.dataframe(report.rule_frame(), hide_index=True, key="import_rules_table", column_config=wide)
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("Issues (CSV)", report.csv(), "import_issues.csv", "text/csv", icon=":material/download:")
    right.download_button("Report (HTML)", report.html(), "import_report.html", "text/html", icon=":material/download:")


def restore_previous(target: Path) -> None:
    atomic.restore_previous(target)
