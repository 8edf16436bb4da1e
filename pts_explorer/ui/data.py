"""Cached data access: one read-only DuckDB instance per file version, query results cached by
(query, bound parameters, file version), and the cached model fits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from pts_explorer import config, db
from pts_explorer.analytics import effects


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, version: str) -> duckdb.DuckDBPyConnection:
    """One read-only DuckDB instance per process and file version; queries take cursors from it.

    A replaced file has a new version, so the next run opens it; the old handle is dropped from
    the cache, not closed, so queries still running on its cursors in other sessions finish.
    """
    return db.open_read_only(Path(path))


def _freeze(params: dict[str, Any]) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _thaw(frozen: tuple) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in frozen}


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _cached_query(name: str, frozen_params: tuple, path: str, version: str) -> pd.DataFrame:
    return db.run_query(_connection(path, version), name, _thaw(frozen_params))


def _key(name: str, params: dict[str, Any]) -> tuple[tuple, str, str]:
    path = config.db_path()
    used = db.bind_params(name, params)[1]
    return _freeze(used), str(path), db.data_version(path)


def query(name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run a named query, cached by (query, parameters, data file version)."""
    return _cached_query(name, *_key(name, params or {}))


def open_database() -> None:
    """Open (or reuse) the database; raises db.DatabaseProblem with what is wrong."""
    path = config.db_path()
    _connection(str(path), db.data_version(path))


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Fitting the repeated-measures model…")
def _mmrm_fits(frozen_params: tuple, path: str, version: str, method: str) -> dict:
    return effects.mmrm_by_study(_cached_query("analysis_long", frozen_params, path, version), method)


def mmrm_fits(params: dict[str, Any], method: str = "reml") -> dict:
    """MMRM per study for the analysis set, cached by (parameters, data version, method)."""
    return _mmrm_fits(*_key("analysis_long", params), method)
