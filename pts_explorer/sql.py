"""SQL files by name: loading, composing with the shared cohort, and their $parameters."""

from __future__ import annotations

import functools
import re

from pts_explorer.config import QUERIES_DIR

COHORT_QUERY = "cohort"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_LEADING_WITH = re.compile(r"^\s*with\s", re.IGNORECASE)
_USES_COHORT = re.compile(r"\bfrom\s+cohort\b|\bjoin\s+cohort\b", re.IGNORECASE)


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


@functools.cache
def load_sql(name: str) -> str:
    """Text of queries/<name>.sql. `name` must be one of query_names(): never a user string."""
    if name not in query_names():
        raise KeyError(f"no query named {name!r}")
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


@functools.cache
def compose(name: str) -> str:
    """The runnable SQL of a query: queries that read `cohort` get queries/cohort.sql as a CTE.

    One cohort definition serves every query, so a filter means the same thing on every page.
    """
    body = _strip_comments(load_sql(name)).strip().rstrip(";")
    if name == COHORT_QUERY or not _USES_COHORT.search(body):
        return body
    cohort = _strip_comments(load_sql(COHORT_QUERY)).strip().rstrip(";")
    cte = f"cohort AS (\n{cohort}\n)"
    if _LEADING_WITH.match(body):
        return _LEADING_WITH.sub(f"WITH {cte},\n", body, count=1)
    return f"WITH {cte}\n{body}"


def param_names(sql: str) -> set[str]:
    """The $named parameters a statement uses (comments and string literals ignored)."""
    return set(_PARAM.findall(_COMMENT_OR_STRING.sub(" ", sql)))
