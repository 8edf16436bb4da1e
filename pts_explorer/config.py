"""Deployment settings, read from the environment with defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = PROJECT_ROOT / "queries"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema.sql"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "pts_outcomes.duckdb"

# DuckDB settings used on every read-only open; one dict so every open matches (DuckDB refuses a
# second handle on the same file with a different configuration).
DUCKDB_CONFIG = {"threads": "2", "memory_limit": "4GB"}


def db_path() -> Path:
    """The outcomes database the app reads: $PTS_DB, or the demo file."""
    return Path(os.environ.get("PTS_DB") or DEFAULT_DB_PATH)
