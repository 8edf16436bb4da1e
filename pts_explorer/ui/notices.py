"""What every page says around its numbers: the dataset and synthetic-data notice, database
problems, empty cohorts, the design of the comparison, and how each number was computed."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from pts_explorer import config, db, display, escape, sql, validation, vocab
from pts_explorer.filters import AnalysisSettings, CohortFilter
from pts_explorer.ui import auth, cohorts, exporting, filter_panel, recorder, state, talks
from pts_explorer.ui.data import data_is_fast, engine_description, open_database, query
from pts_explorer.ui.elements import arm_counts, table

LOG = logging.getLogger("pts_explorer")
CONFOUNDING = "treatment was chosen by clinicians, so arm differences may reflect confounding (Overview: SMDs)."


def small_cell_notice() -> None:
    """Say that small cells are hidden, and what k is, whenever they are."""
    shield = state.protection()
    if shield.active:
        st.markdown(f":violet-badge[:material/shield: Small cells hidden] {shield.notice()}")


def unexpected_error(page_title: str) -> None:
    """The error boundary: a short message with a reference the server log also holds; the
    traceback (with any SQL, file path or stack frame) stays in the log."""
    reference = f"E-{secrets.token_hex(4).upper()}"
    LOG.exception("unexpected error %s on page %r", reference, page_title)
    st.error(
        f"**Something went wrong on this page** (reference {reference}). The details are in the server's log "
        "under that reference; nothing was changed. Try another setting, *Reset filters*, or reload the page; "
        "if it happens again, send the reference to whoever runs this app.",
        icon=":material/report:",
    )


def require_database() -> validation.Report:
    """Open the checked database, or show what is wrong and how to fix it, and stop the page;
    returns the check report (its warnings)."""
    try:
        return open_database()
    except db.DamagedFile as problem:
        damaged_file_page(problem)
        state.stop()
    except db.DatabaseProblem as problem:
        _database_problem_page(config.db_path(), problem)
        state.stop()


def damaged_file_page(problem: db.DamagedFile, cause: BaseException | None = None) -> None:
    """The one page every page shows when DuckDB finds the data file damaged (a block whose checksum
    does not match, a file cut short), at the check on opening or in a page's query: what happened
    and what to do; DuckDB's own message goes to the log, never a number from the file."""
    reference = f"E-{secrets.token_hex(4).upper()}"
    served = config.db_path()
    previous = f"{served.stem}.previous{served.suffix}"
    LOG.error(
        "damaged data file %s: %s %s", reference, problem.message, " ".join(problem.details), exc_info=cause or problem
    )
    st.title("PTS Outcomes Explorer")
    st.error(f"**{escape.markdown(problem.message)}**", icon=":material/broken_image:")
    st.markdown(
        "Some of its bytes are not the ones DuckDB wrote (each block of the file carries a checksum, and one does "
        "not match): a disk fault, a copy cut short or an edit in place. Every page stops here, and "
        "nothing was changed.\n\n"
        "**What to do**: whoever runs the app restores the file from a backup, or imports the source files "
        "again (the Import page, or `python -m pts_explorer.importer`); the synthetic demo is rebuilt with "
        "`make demo-data`. An import keeps the file it replaced as "
        f"{escape.markdown(previous)} beside it, which the Import page can restore. The server's log has DuckDB's "
        f"message under reference {reference}."
    )
    st.page_link("app_pages/import_data.py", label="Open the Import page", icon=":material/upload_file:")


def findings_table(findings: list[validation.Finding]) -> None:
    """Problems as plain text in a table (values from the file are never read as Markdown)."""
    table(
        pd.DataFrame(
            {
                "Severity": [f.severity.capitalize() for f in findings],
                "Problem": [f.message.replace("`", "") for f in findings],
                "Rows": [f"{f.count:,}" if f.examples else "" for f in findings],
                "Examples": ["; ".join(f.examples) for f in findings],
                "Rule": [f.rule for f in findings],
            }
        ),
        key="findings_table",
    )


def _database_problem_page(path: Path, problem: db.DatabaseProblem) -> None:
    """What is wrong with the file, and the two ways forward: the demo, or an import; for a file
    another program holds open, only what fits: close it, or wait, then reload."""
    st.title("PTS Outcomes Explorer")
    st.error(f"**The outcomes database cannot be used.** {problem.message}", icon=":material/error:")
    if problem.report is not None:
        st.markdown(
            f"{len(problem.report.errors)} problem(s) found by {problem.report.rules_checked} checks of the data "
            "contract; no page shows numbers from this file until they are fixed."
        )
        findings_table(problem.report.findings)
    elif problem.details:
        st.text("\n".join(problem.details))
    from_env = " (from $PTS_DB)" if path != config.DEFAULT_DB_PATH else ""
    if isinstance(problem, db.FileInUse):  # a passing state of a sound file: no demo, no import, no other file
        st.markdown(
            "Nothing is wrong with the file itself. Once the other program has closed it (or finished writing), "
            f"reload this page. The app is looking at `{db.shown_name(path)}`{from_env}."
        )
        return
    demo = config.DEFAULT_DB_PATH.relative_to(config.PROJECT_ROOT).as_posix()  # as the project's folder names it
    st.markdown(
        f"""
**To explore the synthetic demo cohort**, build it (a few seconds) and reload this page:

```
make demo-data        # or: python -m pts_explorer.synthetic --out {demo}
```

**To explore your own data**, import a trial or registry export (CSV, Excel, Parquet, CDISC ADaM or
REDCap) on the Import page or with `python -m pts_explorer.importer`, or point the app at a DuckDB
file that follows the data contract (see `data/README.md`): `PTS_DB=/path/to/outcomes.duckdb make run`.

The app is looking at `{db.shown_name(path)}`{from_env}.
"""
    )
    st.page_link("app_pages/import_data.py", label="Open the Import page", icon=":material/upload_file:")


def data_warnings(report: validation.Report) -> None:
    """One line when the data break a warning rule, with a link to the list."""
    if not report.warnings:
        return
    broken = [f for f in report.warnings if f.rule != "derived:stale"]  # a file-level finding, not rows
    rows = sum(f.count for f in broken)
    unscheduled = sum(f.count for f in broken if f.rule == "schedule:visits")
    effect = (
        f"the numbers leave out the {unscheduled:,} visit(s) outside the schedule and include the rest"
        if unscheduled
        else "the numbers include them"
    )
    text = f"{rows:,} row(s) break {len(broken)} check(s) of the data contract; {effect}." if broken else ""
    if broken and auth.current_access().restricted:  # the checks count every study's rows: no counts here
        text = "Rows of the file break checks of the data contract (counted over every study, so not shown here)."
    if len(broken) < len(report.warnings):
        text += " The derived tables are stale: pages read the contract tables (same numbers, slower)."
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="data_warnings"):
        st.markdown(f":orange-badge[:material/warning: Data warnings] {text.strip()}", width="content")
        st.page_link("app_pages/data_checks.py", label="See the data checks", query_params=state.url_query())


def dataset_banner() -> None:
    """One line: the dataset, and the synthetic-data notice whenever the file says it is synthetic."""
    info = query("dataset_info").iloc[0]
    with st.container(key="dataset_line"):
        if bool(info.synthetic):
            st.markdown(
                ":orange-badge[:material/science: Synthetic demo data] "
                f"**{escape.markdown(info.dataset_name)}**: generated patients calibrated to published figures, "
                "not real people; "
                "not for clinical decisions."
            )
        else:
            st.caption(f"Dataset: **{escape.markdown(info.dataset_name)}** · {int(info.patients):,} patients")


def dataset_provenance() -> None:
    """Where the loaded data come from: the description, and for an import its profile, when, and
    every source file with its size and SHA-256, so a number can be traced to the files behind it."""
    if state.presenting():
        return
    info = query("dataset_info").iloc[0]
    imported = query("import_info")
    with st.expander("About this dataset", icon=":material/info:"):
        description = escape.markdown(info.description) if info.description else "no description"
        st.markdown(f"**{escape.markdown(info.dataset_name)}**: {description}")
        st.caption(f"Queries run on {engine_description()}.")
        if imported.empty:
            source = "generated by pts_explorer.synthetic" if bool(info.synthetic) else "not imported by this app"
            st.caption(f"{int(info.patients):,} patients, {int(info.visits):,} visits; {source}.")
            return
        row = imported.iloc[0]
        st.caption(
            f"Imported {row.imported_at:%Y-%m-%d %H:%M} UTC with profile **{row.profile} v{row.profile_version}** "
            f"(importer {row.importer_version}); {int(row.warnings):,} warning(s) stored, listed on Data checks."
        )
        manifest = query("import_manifest")
        table(
            pd.DataFrame(
                {
                    "Source file": manifest.file,
                    "Size": [display.file_size(int(b)) for b in manifest.bytes],
                    "Rows read": manifest.rows,
                    "SHA-256": manifest.sha256,
                }
            ),
            key="import_manifest",
        )


def setting_notices() -> None:
    """Settings this run had to change because their value does not apply here."""
    for text in state.setting_notices():
        st.info(text, icon=":material/published_with_changes:")


def empty_cohort(cohort: CohortFilter) -> None:
    """The normal, expected state of a filter combination that matches nobody; for a user who may see no
    study at all, that instead (no filter can widen it)."""
    if auth.current_access().studies == frozenset():
        st.info(
            "**You may see no study**, so no patient is shown. The permissions file grants you none: ask its "
            "administrator to add you (or one of your groups) to a grant.",
            icon=":material/lock:",
        )
        return
    st.info(
        f"**No patients match the current filters** ({cohort.describe(escape.markdown)}). "
        "Widen a filter in the sidebar or press *Reset filters*.",
        icon=":material/filter_alt_off:",
    )


def study_designs(cohort: CohortFilter, randomized_only: bool) -> pd.DataFrame:
    """study_id, design and patients per arm of the studies in an analysis set."""
    sizes = query("cohort_size_by_study_arm", cohort.as_params())
    return sizes[sizes.design == "randomized"] if randomized_only else sizes


def analysis_designs(settings: AnalysisSettings) -> pd.DataFrame:
    """The studies of an analysis set (cohort, randomized only or not): study_id, design, arm, patients."""
    return study_designs(settings.cohort, settings.randomized_only)


def no_analysis_data(settings: AnalysisSettings) -> None:
    """Why an analysis set is empty: nobody matches the filters, or nobody has the visits needed."""
    if int(query("cohort_counts", settings.cohort.as_params()).matching.sum()) == 0:
        empty_cohort(settings.cohort)
        return
    where = " among randomized patients" if settings.randomized_only else ""
    advice = "Include observational (registry) patients, or choose another visit." if where else "Choose another visit."
    st.info(
        f"**No patient in this cohort has the outcome at baseline and month {settings.visit_month}{where}.** {advice}",
        icon=":material/event_busy:",
    )


POOLED = "pooled randomized and observational, not a randomized comparison"
POOLED_REMEDIES = {
    "split": "Split by study to keep the trial's randomized contrast separate.",
    "registry": "Switch off *Include observational (registry) patients* for the randomized contrast alone.",
    "randomized": "Switch on *Randomized only* for the randomized contrast alone.",
    "filter": "Choose one study in the sidebar for a single design.",
}


def pooled_studies(designs: dict[str, str]) -> str:
    """The studies a pooled comparison draws on, with their designs, as a statement: what presenter
    mode says in place of a remedy, whose control it hides ("Studies: REGISTRY (observational) and
    TRIAL (randomized).")."""
    parts = [f"{escape.markdown(sid)} ({design})" for sid, design in sorted(designs.items())]
    return "Studies: " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + "."


def design_notice(
    sizes: pd.DataFrame,
    split_by_study: bool = False,
    remedy: str = "filter",
    analysed: pd.Series | None = None,
    counts: str | None = None,
) -> None:
    """Say whether the arm comparison on screen is randomized, observational, or a pooled mix.

    sizes: rows of cohort_size_by_study_arm (study_id, design, ...); remedy: which control of
    this page keeps the designs apart (a key of POOLED_REMEDIES); in presenter mode, where no
    control is shown, the pooled studies and their designs are named instead; analysed: the
    patients per arm of the analysis set the page's results use, when fewer than the cohort's
    (those seen at the visit, those with an ulcer at baseline): the n the report and the image
    captions give; counts: those patients in words, when the page has two analysis sets.
    """
    by_arm = sizes.groupby("arm").patients.sum() if "patients" in sizes else pd.Series(dtype=int)
    recorded = by_arm if analysed is None else analysed
    present = [arm for arm in vocab.ARMS if by_arm.get(arm, 0) > 0]
    shield = state.protection()
    if len(present) == 1:
        one_arm = (
            f"**One arm only**: this cohort holds {vocab.ARMS[present[0]].lower()} patients only "
            f"(n = {shield.count(int(by_arm[present[0]]))}), so nothing is compared between arms."
        )
        st.info(one_arm, icon=":material/info:")
        record_design("one arm only, no comparison", one_arm, recorded, counts)
        _small_cohort(by_arm)
        return
    _small_cohort(by_arm)
    designs = dict(zip(sizes.study_id, sizes.design, strict=False))
    kinds = set(designs.values())
    if kinds == {"randomized"}:
        line = ":green-badge[:material/balance: Randomized comparison] trial patients analysed as randomized."
    elif kinds == {"observational"}:
        line = f":orange-badge[:material/visibility: Observational comparison] {CONFOUNDING}"
    elif split_by_study:
        parts = ", ".join(f"**{escape.markdown(sid)}** {d}" for sid, d in sorted(designs.items()))
        line = f":blue-badge[:material/call_split: One panel per study] {parts}; in observational studies {CONFOUNDING}"
    elif kinds:
        line = (
            ":orange-badge[:material/call_split: Pooled randomized and observational patients] "
            f"Not a randomized comparison. {pooled_studies(designs) if state.presenting() else POOLED_REMEDIES[remedy]}"
        )
    else:
        return
    st.markdown(line)
    if len(kinds) == 1:
        kind = f"{next(iter(kinds))} comparison"
    else:
        kind = "one panel per study, randomized and observational" if split_by_study else POOLED
    record_design(kind, line, recorded, counts)


def record_design(kind: str, line: str, by_arm: pd.Series | None = None, counts: str | None = None) -> None:
    """The design statement a page showed (Markdown, badges allowed) as plain text, with the
    analysis set's patients per arm as shown (or `counts`, in words), for the report and the
    exported images' captions."""
    if counts is None:
        counts = arm_counts(by_arm)
    text = re.sub(r":[a-z]+-badge\[(?::material/[a-z_]+: )?([^\]]*)\] ", r"\1: ", line)  # "Badge: the rest"
    recorder.add_design(kind, escape.markdown_text(text), counts)


def record_result(title: str, values: dict[str, str], note: str = "") -> None:
    """A result the page showed as key numbers (metrics), with the words beside it, for the report."""
    recorder.add_result(title, values, note)


COHORT_DESIGNS = {
    "randomized": "randomized trial patients",
    "observational": "observational (registry) patients",
}


def cohort_design_notice(result: str, designs: dict[str, dict[str, str]], labels: dict[str, str], counts: str) -> None:
    """Compare's design notice, beside one result: where each cohort's patients in that result
    come from (randomized trial, observational registry, or both pooled), and that cohorts are not
    randomized against each other.

    designs: per side ("A", "B"), the design of each study the result counts patients from
    (analytics.compare.Comparison.designs); labels: what each side holds ("A without B"...);
    counts: the patients of each side, in words (for the report).
    """
    parts = []
    for side, studies in designs.items():
        kinds = sorted(set(studies.values()))
        named = {kind: ", ".join(escape.markdown(s) for s, d in sorted(studies.items()) if d == kind) for kind in kinds}
        if not studies:
            what = "no patients"
        elif len(kinds) == 1:
            what = f"{COHORT_DESIGNS.get(kinds[0], kinds[0] + ' patients')} only ({named[kinds[0]]})"
        else:
            what = "pooled " + " and ".join(f"{k} ({named[k]})" for k in kinds) + " patients"
        parts.append(f"**{escape.markdown(labels.get(side, side))}**: {what}")
    line = (
        f":orange-badge[:material/call_split: Cohort against cohort, not randomized] {result}: "
        + "; ".join(parts)
        + ". Patients are not randomized between cohorts: they may differ in more than their filters (Table 1)."
    )
    st.markdown(line)
    record_design("cohort against cohort, not randomized", line, counts=counts)


SMALL_ARM = 10  # below this many patients in an arm, every estimate is very imprecise


def _small_cohort(by_arm: pd.Series) -> None:
    small = {arm: int(n) for arm, n in by_arm.items() if 0 < n < SMALL_ARM}
    if small:
        shield = state.protection()
        arms = by_arm.reindex(list(vocab.ARMS), fill_value=0)
        hidden = dict(zip(arms.index, shield.mask(arms.tolist()), strict=True))  # the arms add up to the cohort
        sizes = ", ".join(
            f"{vocab.ARMS.get(str(arm), arm)} n = {shield.count(n, hidden.get(arm))}" for arm, n in small.items()
        )
        st.warning(
            f"**Very small cohort** ({sizes}): estimates are very imprecise; a mean needs 2 patients for an "
            "interval and the models need 3 per arm. Widen the filters for a usable answer.",
            icon=":material/warning:",
        )


def python_tools(snippet: str) -> str:
    """What a reproduction snippet runs on, as its heading says it: pandas and statsmodels, and the app's
    own package where the snippet imports it (it then runs only where `pts_explorer` is installed or
    bundled: the Export menu's *Reproduce (zip)* carries the modules it needs)."""
    if "from pts_explorer" in snippet or "import pts_explorer" in snippet:
        return (
            "pandas, statsmodels and the app's own `pts_explorer` package, straight from the DuckDB file; it runs "
            "where the app is installed or in the Export menu's *Reproduce (zip)*, which bundles the modules it needs"
        )
    return "pandas + statsmodels, straight from the DuckDB file"


def how_computed(name: str, params: dict[str, Any], method: str, snippet: str, r_snippet: str = "") -> None:
    """The SQL that ran with its bound values, the method, and a snippet that reproduces it (not
    in presenter mode; always in the page's exports); `r_snippet`: R that recomputes the number
    from the page's patient-level export, shown after the Python."""
    recorder.add_method(name, params, method, snippet)
    if state.presenting():
        return
    text, bound = db.bind_params(name, params)
    with st.expander("How this was computed", icon=":material/code:"):
        st.markdown(f"**Method:** {method}")
        base, population = sql.split_name(name)
        shared = (
            f"the patients of `queries/shared/{population}.sql` in place of the cohort"
            if population
            else "the shared cohort (`queries/shared/cohort.sql`)"
        )
        st.markdown(f"**SQL**: `queries/{base}.sql`, with {shared} as a CTE. Bound parameters:")
        if data_is_fast() and sql.compose(name, fast=True) != sql.compose(name):
            st.caption(
                "This file holds derived tables (pre-aggregated cells, a denormalised visit table), so the app ran "
                "this query with the fast twins in `queries/fast/`; they return the same rows as the SQL below, "
                "which reads the contract tables and runs on any copy of the data."
            )
        st.json(bound, expanded=False)
        st.code(text, language="sql")
        st.markdown(f"**Reproduce in Python** ({python_tools(snippet)}):")
        st.code(snippet, language="python")
        if r_snippet:
            st.markdown("**Reproduce in R** (from the analysed-patients CSV of the Export menu):")
            st.code(r_snippet, language="r")


def run_token() -> None:
    """A counter that changes on every completed run; browser tests wait on it."""
    with st.sidebar.container(key="run_token"):
        # Hidden by its own style too: app.css hides the box, but while a page loads its stylesheet may not
        # be drawn yet (review 9: "run 1" showed in the sidebar as the Talks page loaded).
        st.html(f'<span style="display: none">run {state.run_number()}</span>')


def page_header(title: str) -> CohortFilter:
    """The page title, the cohort it shows (each restriction a chip that removes it), a link that
    reopens this view, the presenter view and the exports; returns the cohort (parsed once per
    run). In presenter mode the frame's cohort line stands for all of it."""
    cohort = filter_panel.cohort()
    if state.presenting():
        return cohort
    heading, actions = st.columns([1, 1], vertical_alignment="bottom")
    heading.header(title, anchor=False)
    with actions.container(horizontal=True, gap="small", horizontal_alignment="right", key="page_actions"):
        share_link()
        st.page_link(
            f"app_pages/{st.session_state.get('_page', 'overview')}.py",
            label="Present",
            icon=":material/co_present:",
            # "on", not the canonical "1": the app then writes the address itself (a link to the page
            # one is on loses its query in the browser otherwise).
            query_params={**state.url_query(), "present": ["on"]},
            help="This page alone, in large type, for an audience (present=1 in the address)",
        )
        talks.add_to_talk(title, cohort)
        exporting.menu()
    saved = cohorts.active()
    with st.container(horizontal=True, gap="small", key="active_filters", vertical_alignment="center"):
        filter_panel.cohort_caption(cohort)
        if saved:
            st.markdown(
                f":blue-badge[:material/bookmark: {escape.markdown(saved.name)}]",
                width="content",
                help=escape.markdown(saved.note) or None,
            )
        filter_panel.chips(cohort)
    if saved and saved.note:
        st.caption(f"**{escape.markdown(saved.name)}**: {escape.markdown(saved.note)}")
    if saved and cohorts.other_data(saved):
        cohorts.saved_on_other_data_notice(saved)
    if exporting.exporting():
        k, _ = config.small_cells()
        st.markdown(
            f":violet-badge[:material/download: Export view] counts below {k} are hidden, as in the files; "
            "open **Export** for the downloads."
        )
    return cohort


def view_address(page_url: str | None, page_path: str, query: dict[str, list[str]]) -> str:
    """The address that reopens a view: the app's root as the browser reached it, the page's path
    and the query.

    page_url: `st.context.url`, the browser's address of the page without its query: the app's root
    (with any --server.baseUrlPath or proxy prefix) followed by `/<page_path>`, or the root alone on
    the home page (path ""); None without a browser (AppTest), which gives a root-relative address.
    """
    root = (page_url or "").rstrip("/")
    if page_path and root.endswith(f"/{page_path}"):
        root = root.removesuffix(f"/{page_path}")  # the page's path once, never twice
    encoded = urlencode(query, doseq=True)
    return f"{root}/{page_path}" + (f"?{encoded}" if encoded else "")


def share_link() -> None:
    """A button that shows this view's address, with a copy button, to paste into a message."""
    address = view_address(st.context.url, st.session_state.get("_page", ""), state.url_query())
    with st.popover("Link", icon=":material/link:", key="share_link", help="Copy a link to this view", type="tertiary"):
        st.caption("This address reopens this page with the same cohort and settings:")
        st.code(address, language=None, wrap_lines=True)
