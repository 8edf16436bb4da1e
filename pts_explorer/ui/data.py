"""Cached data access: one read-only DuckDB instance per file version, query results cached by
(query, bound parameters, file version), and the cached model fits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pts_explorer import access, config, db, derived, validation
from pts_explorer.ui import auth, recorder


@dataclass(frozen=True)
class Opened:
    """A database file version: its connection and check report, or the problem that stops it."""

    con: duckdb.DuckDBPyConnection | None
    report: validation.Report | None
    problem: db.DatabaseProblem | None
    fast: bool = False  # the file holds current derived tables: queries run their fast twins
    fingerprint: str = ""  # a digest of every contract table's rows (exports and saved cohorts name the data by it)


@st.cache_resource(max_entries=2, show_spinner="Checking the data against the contract…")
def _open(path: str, version: str) -> Opened:
    """One read-only DuckDB instance per process and file version, checked once against the
    contract (a broken file's problem is kept too, so it is not checked again on every run).

    A replaced file has a new version, so the next run opens it; the old handle is dropped from
    the cache, not closed, so queries still running on its cursors in other sessions finish.
    """
    try:
        con, report = db.open_checked(Path(path))
    except db.FileInUse:
        raise  # not cached: the next run tries again once the other program lets go
    except db.DatabaseProblem as problem:
        return Opened(None, problem.report, problem)
    try:
        fingerprint = derived.fingerprint(con)
    except duckdb.Error as exc:
        if db.is_damage(exc):
            return Opened(None, None, db.damaged(Path(path), exc))
        raise
    fast = derived.usable(con, fingerprint)
    if not fast and (reason := derived.stale_reason(con, fingerprint)):
        report.findings.append(validation.stale_derived(reason))
    return Opened(con, report, None, fast, fingerprint)


def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    opened = _open(path, version)
    if opened.problem is not None or opened.con is None:
        raise opened.problem or db.DatabaseProblem("The database could not be opened.")
    return opened.con


@st.cache_resource(max_entries=2, show_spinner="Starting Spark…")
def _engine(path: str, version: str) -> db.Engine | None:
    """The engine the pages' queries run on when it is not the embedded DuckDB (PTS_ENGINE)."""
    chosen = config.engine()
    if chosen == "duckdb":
        return None
    if chosen not in config.ENGINES:
        raise db.DatabaseProblem(f"PTS_ENGINE={chosen!r} is not an engine this app knows: use duckdb or spark.")
    from pts_explorer import spark

    folder = Path(path)
    database = config.spark_database()
    if database is None and not folder.is_dir():
        raise db.DatabaseProblem(
            f"PTS_ENGINE=spark reads a directory of Parquet tables, and {db.shown_name(folder)} is not one: run "
            "`make export-parquet` and point PTS_DB at data/parquet (or name a catalog in PTS_SPARK_DATABASE)."
        )
    try:
        return spark.connect(folder=folder if database is None else None, database=database)
    except spark.SparkUnavailable as problem:
        raise db.DatabaseProblem(str(problem)) from problem


def _freeze(params: dict[str, Any]) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _thaw(frozen: tuple) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _cached_query(name: str, frozen_params: tuple, path: str, version: str) -> pd.DataFrame:
    other = _engine(path, version)
    if other is not None:
        return db.run_query(other, name, _thaw(frozen_params))
    con = _connection(path, version)
    return db.run_query(con, name, _thaw(frozen_params), fast=_open(path, version).fast)


def limited(params: dict[str, Any]) -> dict[str, Any]:
    """`params` with the studies this session's user may see ($allowed_studies; pts_explorer/access.py):
    set here, last, on every statement the app runs, so no page or link can widen them."""
    return {**params, "allowed_studies": auth.current_access().allowed_studies()}


def _key(name: str, params: dict[str, Any]) -> tuple[tuple, str, str]:
    path = config.db_path()
    used = db.bind_params(name, limited(params))[1]
    return _freeze(used), str(path), db.data_version(path)


def query(name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run a named query, cached by (query, parameters, data file version)."""
    key = _key(name, params or {})
    recorder.add_query(name, _thaw(key[0]))  # the exports list the SQL a page ran
    return _cached_query(name, *key)


def served_studies() -> list[str]:
    """Every study id of the served file, whatever the user may see: for the operator's check of the
    permissions file's study ids only (auth.unknown_studies_notice), never for a page's numbers."""
    path = config.db_path()
    params = db.bind_params("studies", {"allowed_studies": None})[1]
    return _cached_query("studies", _freeze(params), str(path), db.data_version(path)).study_id.tolist()


def served_centers() -> tuple[list[str], list[str]]:
    """Every centre of the served file, whatever the user may see, and those of the studies the user may see:
    for the audit trail's check of an address's centres only (auth.refused_centers), never for a page's options
    or numbers (not listed among the page's statements either)."""
    path, version = config.db_path(), db.data_version(config.db_path())
    every = db.bind_params("centers", {"allowed_studies": None})[1]
    visible = db.bind_params("centers", limited({}))[1]
    return (
        _cached_query("centers", _freeze(every), str(path), version).center_id.tolist(),
        _cached_query("centers", _freeze(visible), str(path), version).center_id.tolist(),
    )


def open_database() -> validation.Report:
    """Open (or reuse) the checked database; raises db.DatabaseProblem with what is wrong, and
    returns the check report (its warnings) otherwise."""
    path = config.db_path()
    opened = _open(str(path), db.data_version(path))
    _connection(str(path), db.data_version(path))
    _engine(str(path), db.data_version(path))  # a missing Java or pyspark is said here, once
    return opened.report or validation.Report()


def _opened() -> Opened:
    path = config.db_path()
    return _open(str(path), db.data_version(path))


def data_is_fast() -> bool:
    """Whether the served file's derived tables are current: queries run their fast twins."""
    return _opened().fast


def engine_description() -> str:
    """Which engine runs the pages' queries, on what (the About this dataset expander says it)."""
    path = config.db_path()
    other = _engine(str(path), db.data_version(path))
    if other is not None:
        source = Path(str(getattr(other, "source", path))).name  # a folder's name, not the server's paths
        return f"Spark SQL (tables from {source}), translated from DuckDB's dialect by sqlglot"
    if path.is_dir():
        return f"DuckDB over the Parquet tables in {path.name}/"
    return "DuckDB" + (" (the file's derived tables)" if _opened().fast else "")


def data_fingerprint() -> str:
    """The served file's fingerprint (per contract table its rows and a sum of row hashes): kept by the
    server (saved cohorts compare it); what a user is handed is shown_fingerprint()."""
    return _opened().fingerprint


def shown_fingerprint() -> str:
    """The fingerprint a page, export or file hands this session's user: the file's own when they see every
    study; for a user limited to some studies its digest (access.hidden), never the whole file's counts."""
    found = data_fingerprint()
    return access.hidden(found) if auth.current_access().restricted else found


def connection() -> duckdb.DuckDBPyConnection:
    """The served file's connection (for an export built on its own thread: a cursor per query)."""
    path = config.db_path()
    return _connection(str(path), db.data_version(path))


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Fitting the repeated-measures model…")
def _mmrm_fits(frozen_params: tuple, path: str, version: str, method: str) -> dict:
    from pts_explorer.analytics import effects  # here: statsmodels' formula API takes a second to import

    return effects.mmrm_by_study(_cached_query("analysis_long", frozen_params, path, version), method)


def mmrm_fits(params: dict[str, Any], method: str = "reml") -> dict:
    """MMRM per study for the analysis set, cached by (parameters, data version, method)."""
    return _mmrm_fits(*_key("analysis_long", params), method)


# the analytics modules whose models fitted() caches
FITTED = ("heterogeneity", "survival", "competing", "effects", "propensity")


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def fitted(name: str, *args: Any) -> Any:
    """pts_explorer.analytics.<module>.<function>(*args) for name "module.function", cached by its
    arguments (data frames hashed by their values): a rerun with nothing changed refits nothing."""
    import importlib

    module, function = name.split(".")
    if module not in FITTED:
        raise ValueError(f"not a model fitted() caches: {name}")
    return getattr(importlib.import_module(f"pts_explorer.analytics.{module}"), function)(*args)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Fitting the repeated-measures model in each group…")
def _mmrm_groups(
    sources: tuple, path: str, version: str, factor: str, levels: tuple, reference: str, visit: int, method: str
) -> Any:
    from pts_explorer.analytics import heterogeneity

    frames = [_cached_query(name, frozen, path, version).assign(cohort=side) for side, name, frozen in sources]
    long = pd.concat(frames, ignore_index=True)
    return heterogeneity.mmrm_between(long, factor, list(levels), reference, visit, method)


def mmrm_groups(
    sources: dict[str, tuple[str, dict[str, Any]]],
    factor: str,
    levels: list[str],
    reference: str,
    visit: int,
    method: str = "reml",
) -> Any:
    """heterogeneity.mmrm_between over the rows of the sources' statements (analysis_long, or one per
    cohort: the source's name is the row's `cohort`), cached by (statements, data version, settings)."""
    keys = []
    for side, (name, params) in sources.items():
        frozen, path, version = _key(name, params)
        recorder.add_query(name, _thaw(frozen))
        keys.append((side, name, frozen))
    return _mmrm_groups(tuple(keys), path, version, factor, tuple(levels), reference, visit, method)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _mmrm_failures(
    frozen_params: tuple, path: str, version: str, method: str, k: int, hidden_arms: tuple[str, ...]
) -> dict[str, str]:
    from pts_explorer.analytics import effects
    from pts_explorer.privacy import Protection

    long = _cached_query("analysis_long", frozen_params, path, version)
    fits = _mmrm_fits(frozen_params, path, version, method)
    return {
        str(study): effects.mmrm_failure(part, method, Protection(k), hidden_arms)
        for study, part in long.groupby("study_id", sort=True)
        if fits.get(study) is None
    }


def mmrm_failures(
    params: dict[str, Any], method: str = "reml", k: int = 0, hidden_arms: tuple[str, ...] = ()
) -> dict[str, str]:
    """Why the MMRM of each study without a fit (mmrm_fits) could not be fitted, in words; counts
    1..k-1 hidden (k: the page's small-cell protection, 0 when off), and those of `hidden_arms` (arms whose
    count among the cohort reads hidden)."""
    return _mmrm_failures(*_key("analysis_long", params), method, k, tuple(hidden_arms))
