"""Exports in the page frame: what a page draws is collected as it runs (charts, tables, methods)
and offered, at the end of the run, in the page's Export menu: chart images, an HTML report, the
cohort's patient rows and a reproducibility bundle, each built only when its button is pressed.

Every export hides small cells (counts below k): preparing the exports redraws the page with
small-cell protection on, so what a file holds is what the page shows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from pts_explorer import config, escape, exports
from pts_explorer.filters import CohortFilter
from pts_explorer.identity import Identity
from pts_explorer.ui import auth, cohorts, recorder, state
from pts_explorer.ui.data import connection, limited, query, shown_fingerprint

_SLOT = "_export_slot"
PAGE = "_export_page"
exporting = state.exporting


def begin() -> None:
    """A new run: nothing recorded yet, and no Export menu slot."""
    recorder.begin()
    st.session_state.pop(_SLOT, None)


def menu() -> None:
    """The Export menu (drawn in the page header; its downloads are added at the end of the run)."""
    with st.popover(
        "Export", icon=":material/download:", key="export_menu", help="Download what this page shows", type="tertiary"
    ):
        if not exporting():
            k, _ = config.small_cells()
            st.caption(
                f"Exports hide counts below {k} (small-cell protection). Preparing them redraws this page as the "
                "files will hold it."
            )
            st.button("Prepare exports", key="export_prepare", on_click=_set, args=(True,), icon=":material/tune:")
        else:
            st.session_state[_SLOT] = st.container()
            st.button("Back to the full view", key="export_done", on_click=_set, args=(False,))


def _set(value: bool) -> None:
    st.session_state[state.EXPORTING] = value


def fill(page_title: str, cohort: CohortFilter) -> None:
    """The downloads of this run, into the Export menu."""
    slot = st.session_state.get(_SLOT)
    items = st.session_state.get(recorder.ITEMS)
    if slot is None or items is None:
        return
    page = _page_export(page_title, cohort, items)
    st.session_state[PAGE] = page  # what the downloads below are built from (the tests read it)
    path, con = config.db_path(), connection()  # taken here: the downloads run on their own threads
    k, _ = config.small_cells()
    with slot:
        st.markdown("**This page**")
        _download("Report (HTML)", lambda: exports.report_html(page), f"{page.stem}.html", "text/html", "export_html")
        _download(
            "Reproduce (zip)",
            lambda: exports.bundle(page, path),
            f"{page.stem}_reproduce.zip",
            "application/zip",
            "export_bundle",
        )
        patients = int(query("cohort_counts", cohort.as_params()).matching.sum())
        st.markdown("**The cohort's patients** (every row of the four tables)")
        too_few = bool(k) and patients < k
        may = auth.current_access().may("export_rows")  # the permissions file's export_rows right
        params = limited(cohort.as_params())  # the user's studies only (a download runs on its own thread)
        for fmt, mime in (("csv", "application/zip"), ("parquet", "application/zip")):
            _download(
                f"Patient rows ({fmt.upper()}, zip)",
                partial(exports.cohort_rows, con, params, fmt, page, k)
                if may
                else partial(
                    _refused,
                    str(st.session_state.get("_page", "")) or "home",
                    auth.cohort_query(state.url_query()),
                    auth.current_identity(),
                ),
                f"{page.stem}_cohort_{fmt}.zip",
                mime,
                f"export_rows_{fmt}",
                disabled=too_few or not may,
                help_text=(
                    "Your permissions do not include patient-row exports (export_rows)"
                    if not may
                    else f"Fewer than {k} patients: no patient-level export"
                    if too_few
                    else None
                ),
            )
        rows = items.get("patients")
        if rows is not None:
            few = bool(k) and len(rows.frame) < k
            st.markdown("**The analysed patients** (one row each, with an R script that recomputes the estimate)")
            _download(
                "Analysed patients (CSV + R, zip)",
                partial(exports.patient_rows, rows, page, k) if may else partial(_refused, *_who_where()),
                f"{page.stem}_patients.zip",
                "application/zip",
                "export_patients",
                disabled=few or not may,  # patient rows: the export_rows right, as the cohort's rows
                help_text=(
                    "Your permissions do not include patient-row exports (export_rows)"
                    if not may
                    else f"Fewer than {k} patients: no patient-level export"
                    if few
                    else None
                ),
            )
        if page.charts:
            st.markdown("**Charts** (PNG 1920 × 1080 for slides, SVG for print)")
        for i, chart in enumerate(page.charts):
            st.caption(chart.title)
            left, right = st.columns(2)
            with left:
                _download(
                    "PNG",
                    partial(exports.chart_image, chart.figure, "png", exports.caption(page, chart)),
                    f"{chart.key}.png",
                    "image/png",
                    f"export_png_{i}",
                )
            with right:
                _download(
                    "SVG",
                    partial(exports.chart_image, chart.figure, "svg", exports.caption(page, chart)),
                    f"{chart.key}.svg",
                    "image/svg+xml",
                    f"export_svg_{i}",
                )


def _who_where() -> tuple[str, str, Identity]:
    """The page, the cohort (its URL query) and the user, taken in the run: a download builds on its own thread."""
    page = str(st.session_state.get("_page", "")) or "home"
    return page, auth.cohort_query(state.url_query()), auth.current_identity()


def _refused(page: str, cohort: str, who: Identity) -> bytes:
    """A patient-row export the user's permissions do not include: never built, whatever the browser sends;
    the attempt goes into the audit trail."""
    auth.record("denied", page, cohort, detail="patient-row export without the export_rows right", who=who)
    raise PermissionError("patient-row exports need the export_rows right")


def _audited(build: Callable[[], bytes | str], name: str, page: str, cohort: str, who: Identity) -> bytes | str:
    """Build a download and record it in the audit trail: its file kind, cohort and size (never its content)."""
    made = build()
    kind = name.rsplit("_", 1)[-1] if "_cohort_" in name else name.rsplit(".", 1)[-1]
    size = len(made.encode("utf-8") if isinstance(made, str) else made)
    auth.record("export", page, cohort, kind=kind, size=size, detail=name, who=who)
    return made


def _download(
    label: str,
    build: Callable[[], bytes | str],
    name: str,
    mime: str,
    key: str,
    disabled: bool = False,
    help_text: str | None = None,
) -> None:
    """A download built on demand, on its own thread, when the button is pressed (and then recorded in the
    audit trail: who, the page, the cohort, the file's kind and size)."""
    made = partial(
        _audited,
        build,
        name,
        str(st.session_state.get("_page", "")) or "home",
        auth.cohort_query(state.url_query()),
        auth.current_identity(),
    )
    st.download_button(
        label, made, file_name=name, mime=mime, key=key, on_click="ignore", disabled=disabled, help=help_text
    )


def _page_export(page_title: str, cohort: CohortFilter, items: dict) -> exports.PageExport:
    info = query("dataset_info").iloc[0]
    shield = state.protection()
    saved = cohorts.active()
    return exports.PageExport(
        page=page_title,
        cohort=items.get("cohort") or (f"{saved.name}: {cohort.describe()}" if saved else cohort.describe()),
        note=saved.note if saved else "",
        query=state.url_query(),
        filters=state.cohort_query(),
        dataset=str(info.dataset_name),
        synthetic=bool(info.synthetic),
        fingerprint=shown_fingerprint(),
        protection=escape.markdown_text(shield.notice()) if shield.active else "",
        charts=list(items["charts"]),
        tables=list(items["tables"]),
        methods=list(items["methods"]),
        queries=list(items["queries"].values()),
        designs=list(items["designs"]),
        results=list(items.get("results", [])),
        notes=list(items.get("notes", [])),
    )
