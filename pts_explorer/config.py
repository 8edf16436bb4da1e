"""Deployment settings, read from the environment with defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = PROJECT_ROOT / "queries"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema.sql"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "pts_outcomes.duckdb"

# DuckDB settings used on every read-only open; one dict so every open matches (DuckDB refuses a
# second handle on the same file with a different configuration).
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {"threads": "2", "memory_limit": "4GB"}


def db_path() -> Path:
    """The outcomes database the app reads: $PTS_DB, or the demo file."""
    return Path(os.environ.get("PTS_DB") or DEFAULT_DB_PATH)


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: its script app_pages/<name>.py, served at /<name>."""

    name: str
    title: str
    icon: str  # a Material Symbols name
    section: str

    @property
    def script(self) -> str:
        return f"app_pages/{self.name}.py"


PAGES = (
    PageSpec("overview", "Overview", "groups", "Cohort"),
    PageSpec("trajectories", "Trajectories", "show_chart", "Outcomes"),
    PageSpec("effects", "Effects", "functions", "Outcomes"),
    PageSpec("subgroups", "Subgroups", "account_tree", "Outcomes"),
    PageSpec("responders", "Responders", "how_to_reg", "Outcomes"),
    PageSpec("durability", "Durability", "timeline", "Stents over time"),
    PageSpec("safety", "Safety", "health_and_safety", "Stents over time"),
)
