"""SQL files by name: loading, composing with the shared cohort, and their $parameters."""

from __future__ import annotations

import functools
import re

from pts_explorer.config import QUERIES_DIR

# Queries other queries may read as relations, in dependency order (a later one may read an earlier).
SHARED_RELATIONS = ("cohort", "analysis_cohort", "outcome_values", "time_to_event")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_LEADING_WITH = re.compile(r"^\s*with\s", re.IGNORECASE)


def _reads(body: str, relation: str) -> bool:
    return re.search(rf"\b(from|join)\s+{relation}\b", body, re.IGNORECASE) is not None


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


def _body(name: str) -> str:
    return _strip_comments(load_sql(name)).strip().rstrip(";")


@functools.cache
def compose(name: str) -> str:
    """The runnable SQL of a query: the shared relations it reads (directly or through another
    shared relation) are prepended as CTEs, so one cohort definition serves every query."""
    body = _body(name)
    needed: set[str] = set()
    grew = True
    while grew:
        texts = [body, *(_body(r) for r in needed)]
        new = {r for r in SHARED_RELATIONS if r != name and r not in needed and any(_reads(t, r) for t in texts)}
        needed |= new
        grew = bool(new)
    if not needed:
        return body
    ctes = ",\n".join(f"{rel} AS (\n{_body(rel)}\n)" for rel in SHARED_RELATIONS if rel in needed)
    if _LEADING_WITH.match(body):
        return _LEADING_WITH.sub(lambda _: f"WITH {ctes},\n", body, count=1)
    return f"WITH {ctes}\n{body}"


def param_names(sql: str) -> set[str]:
    """The $named parameters a statement uses (comments and string literals ignored)."""
    return set(_PARAM.findall(_COMMENT_OR_STRING.sub(" ", sql)))
