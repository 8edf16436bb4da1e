"""The one core module that imports Streamlit: cached data access, the shared filter panel,
and the notices every page shows (synthetic data, empty cohort, database problems)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pts_explorer import config, db, vocab
from pts_explorer.analytics import effects
from pts_explorer.filters import LIST_FIELDS, CohortFilter

FILTER_DEFAULTS: dict[str, object] = {
    "study": (), "arm": (), "site": (), "grade": (), "band": (), "sex": (),
    "age": (vocab.AGE_MIN, vocab.AGE_MAX), "ulcer": None,
}  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Data access
# ----------------------------------------------------------------------------------------------


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, version: str):
    """One read-only DuckDB instance per process and file version; queries take cursors from it.

    A replaced file has a new version, so the next run opens it; the old handle is dropped from
    the cache, not closed, so queries still running on its cursors in other sessions finish.
    """
    return db.open_read_only(Path(path))


def _freeze(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _cached_query(name: str, frozen_params: tuple, path: str, version: str) -> pd.DataFrame:
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in frozen_params}
    return db.run_query(_connection(path, version), name, params)


def query(name: str, params: dict | None = None) -> pd.DataFrame:
    """Run a named query, cached by (query, parameters, data file version)."""
    path = config.db_path()
    used = db.bind_params(name, params or {})[1]
    return _cached_query(name, _freeze(used), str(path), db.data_version(path))


def require_database() -> None:
    """Open the database, or show what is wrong and how to fix it, and stop the page."""
    path = config.db_path()
    try:
        _connection(str(path), db.data_version(path))
    except db.DatabaseProblem as problem:
        _database_problem_page(path, problem)
        st.stop()


def _database_problem_page(path: Path, problem: db.DatabaseProblem) -> None:
    st.title("PTS Outcomes Explorer")
    st.error(f"**The outcomes database cannot be used.** {problem.message}", icon=":material/error:")
    if problem.details:
        st.markdown("\n".join(f"- {d}" for d in problem.details))
    st.markdown(
        f"""
**To explore the synthetic demo cohort**, build it (a few seconds) and reload this page:

```
make demo-data        # or: python -m pts_explorer.synth --out {config.DEFAULT_DB_PATH}
```

**To explore your own data**, point the app at a DuckDB file that follows the data contract
(see `data/README.md`): `PTS_DB=/path/to/outcomes.duckdb make run`.

The app is looking at `{path}`{" (from $PTS_DB)" if path != config.DEFAULT_DB_PATH else ""}.
"""
    )


# ----------------------------------------------------------------------------------------------
# Shared filters, bound to the URL
# ----------------------------------------------------------------------------------------------
# Streamlit's own bind="query-params" writes a widget's *display labels* into the URL
# ("Common iliac"); the data contract wants its codes (site=common_iliac), so the URL is kept in
# sync here: read once when a session starts, written back on every run.


def init_from_url(key: str, default: object, parse) -> None:
    """Seed a widget's state from the URL the first time the session sees the widget."""
    if key not in st.session_state:
        raw = st.query_params.get_all(key)
        st.session_state[key] = parse(raw) if raw else default


def publish_to_url(key: str, value: object, default: object) -> None:
    """Show a widget's value in the URL (repeated keys for lists), or drop it at its default."""
    if value == default or value in (None, [], ()):
        st.query_params.pop(key, None)
    elif isinstance(value, list | tuple):
        st.query_params[key] = [str(v) for v in value]
    else:
        st.query_params[key] = str(value)


def url_choice(key: str, options: list, default: object) -> None:
    """Seed a page widget from the URL: the last value there that names one of `options`."""
    by_text = {str(o): o for o in options}
    init_from_url(key, default, lambda raw: next((by_text[r] for r in reversed(raw) if r in by_text), default))


def url_multi(key: str, options: list) -> None:
    """Seed a multiselect from the URL: the repeated values that name one of `options`."""
    init_from_url(key, [], lambda raw: [o for o in options if str(o) in raw])


def publish_choices(defaults: dict[str, object]) -> None:
    """Write the page widgets' current values to the URL (after the widgets are drawn)."""
    for key, default in defaults.items():
        publish_to_url(key, st.session_state.get(key, default), default)


def _parse_filter(key: str, raw: list[str], studies: list[str]) -> object:
    parsed = CohortFilter.from_mapping({key: raw}, studies)
    value = getattr(parsed, key)
    return list(value) if isinstance(value, tuple) and key != "age" else value


def current_filter() -> CohortFilter:
    """The cohort selected in the sidebar (widget keys are the URL parameter names)."""
    studies = query("studies")["study_id"].tolist()
    values = {key: st.session_state.get(key, default) for key, default in FILTER_DEFAULTS.items()}
    return CohortFilter.from_mapping(values, studies)


def _reset_filters() -> None:
    for key, default in FILTER_DEFAULTS.items():
        st.session_state[key] = [] if key in LIST_FIELDS else default


def _multiselect(label: str, key: str, options: dict[str, str], help_text: str) -> None:
    st.multiselect(label, list(options), key=key, format_func=lambda v: options.get(v, v), placeholder="All",
                   help=help_text or None)  # fmt: skip


def sidebar_filters() -> CohortFilter:
    """The filter panel shared by every page, with live counts per arm."""
    studies = query("studies")
    for key, default in FILTER_DEFAULTS.items():
        init_from_url(key, [] if key in LIST_FIELDS else default,
                      lambda raw, key=key: _parse_filter(key, raw, studies.study_id.tolist()))  # fmt: skip
    with st.sidebar:
        st.markdown("### Cohort")
        counts_box = st.container(key="cohort_counts")
        study_labels = dict(zip(studies.study_id, studies.study_id + " · " + studies.design, strict=True))
        _multiselect("Study", "study", study_labels, "Randomized trial and/or observational registry.")
        _multiselect("Arm", "arm", vocab.ARMS, "Stent (with angioplasty) or medical management.")
        _multiselect("Obstruction site", "site", vocab.SITES, "Most proximal obstructed segment.")
        _multiselect("Stenosis grade", "grade", vocab.GRADES, "Diameter reduction on venography.")
        _multiselect("Baseline PTS band", "band", vocab.BANDS, "Villalta band at the month-0 visit.")
        _multiselect("Sex", "sex", vocab.SEXES, "")
        st.slider("Age, years", vocab.AGE_MIN, vocab.AGE_MAX, key="age")
        st.segmented_control("Ulcer at baseline", list(vocab.ULCER), key="ulcer",
                             format_func={"yes": "With ulcer", "no": "Without"}.get)  # fmt: skip
        st.button("Reset filters", on_click=_reset_filters, icon=":material/restart_alt:", key="reset_filters")
    cohort = current_filter()
    for key, default in FILTER_DEFAULTS.items():
        publish_to_url(key, getattr(cohort, key), default)
    with counts_box:
        _cohort_counts(cohort)
    return cohort


def _cohort_counts(cohort: CohortFilter) -> None:
    counts = query("cohort_counts", cohort.as_params()).set_index("arm")
    total, matching = int(counts.total.sum()), int(counts.matching.sum())
    st.markdown(f"**{matching:,}** of {total:,} patients")
    cols = st.columns(2)
    for col, arm in zip(cols, ("stent", "medical"), strict=True):
        row = counts.loc[arm] if arm in counts.index else pd.Series({"total": 0, "matching": 0})
        col.metric(vocab.ARMS[arm], f"{int(row.matching):,}", f"of {int(row.total):,}",
                   delta_color="off", delta_arrow="off")  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Analysis pages: shared controls and cached model fits
# ----------------------------------------------------------------------------------------------

MAX_MODEL_PATIENTS = 20_000


def analysis_controls(cohort: CohortFilter, with_outcome: bool = True) -> dict:
    """Outcome, visit and analysis-set controls shared by the Effects, Subgroups and Responders
    pages, mirrored in the URL. Returns the query parameters of the analysis."""
    defaults = {"outcome": "villalta_total", "visit": 6, "registry": False}
    studies = query("studies")
    url_choice("registry", [True, False], defaults["registry"])
    cols = st.columns([2, 1.4, 2.2] if with_outcome else [1.4, 2.2], vertical_alignment="bottom")
    if with_outcome:
        url_choice("outcome", list(vocab.OUTCOMES), defaults["outcome"])
        cols[0].selectbox("Outcome", list(vocab.OUTCOMES), format_func=lambda k: vocab.OUTCOMES[k].label,
                          key="outcome")  # fmt: skip
    include_registry = cols[-1].toggle(
        "Include observational (registry) patients", key="registry",
        help="Off: randomized patients only, the unconfounded comparison. On: registry patients are added and "
        "the comparison becomes observational.",
    )  # fmt: skip
    eligible = studies if include_registry else studies[studies.design == "randomized"]
    months = sorted({int(m) for months in eligible.visit_months for m in months if m > 0}) or [6]
    url_choice("visit", months, 6 if 6 in months else months[0])
    if st.session_state["visit"] not in months:
        st.session_state["visit"] = 6 if 6 in months else months[0]
    cols[-2].selectbox("Visit", months, key="visit", format_func=lambda m: f"Month {m}")
    publish_choices(defaults if with_outcome else {k: v for k, v in defaults.items() if k != "outcome"})
    return {
        **cohort.as_params(),
        "outcome": st.session_state.get("outcome", defaults["outcome"]) if with_outcome else "villalta_total",
        "visit_month": st.session_state["visit"],
        "randomized_only": not include_registry,
        "max_patients": MAX_MODEL_PATIENTS,
    }


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Fitting the repeated-measures model…")
def _mmrm_fits(frozen_params: tuple, path: str, version: str) -> dict:
    return effects.mmrm_by_study(_cached_query("analysis_long", frozen_params, path, version))


def mmrm_fits(params: dict) -> dict:
    """MMRM per study for the analysis set, cached by (parameters, data version)."""
    path = config.db_path()
    used = db.bind_params("analysis_long", params)[1]
    return _mmrm_fits(_freeze(used), str(path), db.data_version(path))


# ----------------------------------------------------------------------------------------------
# Notices
# ----------------------------------------------------------------------------------------------


def dataset_banner() -> None:
    """Dataset name, and the synthetic-data notice whenever the file says it is synthetic."""
    info = query("dataset_info").iloc[0]
    if bool(info.synthetic):
        st.warning(
            f"**Synthetic demo data.** {info.dataset_name}: generated patients calibrated to "
            "published figures, not real people. Do not use for clinical decisions.",
            icon=":material/science:",
        )
    else:
        st.caption(f"Dataset: **{info.dataset_name}** · {int(info.patients):,} patients")


def empty_cohort(cohort: CohortFilter) -> None:
    """The normal, expected state of a filter combination that matches nobody."""
    st.info(
        f"**No patients match the current filters** ({cohort.describe()}). "
        "Widen a filter in the sidebar or press *Reset filters*.",
        icon=":material/filter_alt_off:",
    )


def analysis_designs(params: dict) -> pd.DataFrame:
    """study_id and design of the studies in an analysis set (cohort, randomized only or not)."""
    sizes = query("cohort_size_by_study_arm", params)
    if params.get("randomized_only"):
        sizes = sizes[sizes.design == "randomized"]
    return sizes[["study_id", "design"]].drop_duplicates()


def no_analysis_data(cohort: CohortFilter, params: dict) -> None:
    """Why an analysis set is empty: nobody matches the filters, or nobody has the visits needed."""
    if int(query("cohort_counts", params).matching.sum()) == 0:
        empty_cohort(cohort)
        return
    where = " among randomized patients" if params.get("randomized_only") else ""
    st.info(
        f"**No patient in this cohort has the outcome at baseline and month {params['visit_month']}{where}.** "
        + ("Include observational (registry) patients, or choose another visit." if where else "Choose another visit."),
        icon=":material/event_busy:",
    )


def design_notice(sizes: pd.DataFrame, split_by_study: bool = False) -> None:
    """Say whether the arm comparison on screen is randomized, observational, or a pooled mix.

    sizes: rows of cohort_size_by_study_arm (study_id, design, ...).
    """
    designs = dict(zip(sizes.study_id, sizes.design, strict=False))
    kinds = set(designs.values())
    confounding = (
        "treatment was chosen by clinicians (stenting favoured for high-grade iliac lesions), "
        "so arm differences may reflect confounding; see the baseline SMDs on the Overview page."
    )
    if kinds == {"randomized"}:
        st.success("**Randomized comparison**: trial patients analysed as randomized.", icon=":material/balance:")
    elif kinds == {"observational"}:
        st.warning(f"**Observational comparison**: {confounding}", icon=":material/visibility:")
    elif split_by_study:
        parts = [f"**{sid}** is {'a randomized' if d == 'randomized' else 'an observational'} comparison"
                 for sid, d in sorted(designs.items())]  # fmt: skip
        st.info(f"One panel per study: {'; '.join(parts)}. In observational studies {confounding}",
                icon=":material/call_split:")  # fmt: skip
    elif kinds:
        st.warning(
            "**Pooled randomized and observational patients**: this is not a randomized comparison. "
            "Split by study to keep the trial's randomized contrast separate.",
            icon=":material/call_split:",
        )


def how_computed(name: str, params: dict, method: str, snippet: str) -> None:
    """The SQL that ran with its bound values, the method, and a snippet that reproduces it."""
    text, bound = db.bind_params(name, params)
    with st.expander("How this was computed", icon=":material/code:"):
        st.markdown(f"**Method:** {method}")
        st.markdown(f"**SQL**: `queries/{name}.sql`, with the shared cohort (`queries/cohort.sql`) as a CTE. "
                    "Bound parameters:")  # fmt: skip
        st.json(bound, expanded=False)
        st.code(text, language="sql")
        st.markdown("**Reproduce in Python** (pandas + statsmodels, straight from the DuckDB file):")
        st.code(snippet, language="python")


def run_token() -> None:
    """A counter that changes on every completed run; browser tests wait on it."""
    st.session_state["_run_no"] = st.session_state.get("_run_no", 0) + 1
    with st.sidebar.container(key="run_token"):
        st.caption(f"run {st.session_state['_run_no']}")
