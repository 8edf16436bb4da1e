"""DuckDB's memory limit: small by default (config.DUCKDB_CONFIG), raised to its ceiling
(config.DUCKDB_MEMORY_CEILING) for the statements that cannot run within it and cannot spill."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import duckdb

from pts_explorer.config import DUCKDB_MEMORY_CEILING

T = TypeVar("T")


def with_headroom(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """work(), run again with the instance's memory limit raised to the ceiling if it ran out of
    memory (the limit stays raised: the instance has shown it needs it)."""
    try:
        return work()
    except duckdb.OutOfMemoryException:
        # The ceiling is a checked memory size from the deployment's settings, not user input.
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_CEILING}'")
        return work()
