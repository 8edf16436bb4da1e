"""SQL files by name: loading, composing with the shared relations, and their $parameters.

`queries/*.sql` are the statements pages run; `queries/shared/*.sql` are relations other
statements read by name (`FROM cohort`). Composing a statement prepends every shared relation it
reads, directly or through another shared relation, as a CTE, ordered by their dependencies.

`queries/fast/<name>.sql` answers the statement or relation `<name>` from the derived tables a file
may hold (pts_explorer/derived.py): the same columns and rows, from pre-aggregated cells or the
denormalised patient-visit table. Composing with `fast=True` takes each file's fast twin where
there is one.
"""

from __future__ import annotations

import functools
import graphlib
import re
from pathlib import Path

from pts_explorer.config import QUERIES_DIR

SHARED_DIR = QUERIES_DIR / "shared"
FAST_DIR = QUERIES_DIR / "fast"
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_LEADING_WITH = re.compile(r"^\s*with\s", re.IGNORECASE)


@functools.cache
def _files() -> dict[str, Path]:
    files = {p.stem: p for p in sorted(QUERIES_DIR.glob("*.sql"))}
    for path in sorted(SHARED_DIR.glob("*.sql")):
        if path.stem in files:
            raise ValueError(f"query name {path.stem!r} is both a statement and a shared relation")
        files[path.stem] = path
    return files


def query_names() -> list[str]:
    """Every SQL file's name: the statements and the shared relations (which also run alone)."""
    return sorted(_files())


def shared_names() -> list[str]:
    return sorted(p.stem for p in SHARED_DIR.glob("*.sql"))


def fast_names() -> list[str]:
    """The statements and relations with a fast twin in queries/fast/."""
    return sorted(p.stem for p in FAST_DIR.glob("*.sql"))


@functools.cache
def load_sql(name: str, fast: bool = False) -> str:
    """Text of the SQL file `name` (its fast twin if asked and there is one). `name` must be one of
    query_names(): never a user string."""
    files = _files()
    if name not in files:
        raise KeyError(f"no query named {name!r}")
    twin = FAST_DIR / f"{name}.sql"
    return (twin if fast and twin.exists() else files[name]).read_text(encoding="utf-8")


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _body(name: str, fast: bool = False) -> str:
    return _strip_comments(load_sql(name, fast)).strip().rstrip(";")


def _reads(body: str, relation: str) -> bool:
    return re.search(rf"\b(from|join)\s+{relation}\b", body, re.IGNORECASE) is not None


@functools.cache
def dependencies(name: str, fast: bool = False) -> frozenset[str]:
    """The shared relations a file (or its fast twin) reads directly."""
    body = _body(name, fast)
    return frozenset(r for r in shared_names() if r != name and _reads(body, r))


def _needed(name: str, fast: bool) -> set[str]:
    needed: set[str] = set()
    frontier = set(dependencies(name, fast))
    while frontier:
        needed |= frontier
        frontier = {d for r in frontier for d in dependencies(r, fast)} - needed
    return needed


@functools.cache
def compose(name: str, fast: bool = False) -> str:
    """The runnable SQL of a file: the shared relations it needs are prepended as CTEs, each after
    the relations it reads, so one cohort definition serves every query. `fast`: every file's
    fast twin where there is one."""
    body = _body(name, fast)
    needed = _needed(name, fast)
    if not needed:
        return body
    graph = {r: sorted(dependencies(r, fast)) for r in sorted(needed)}  # sorted: the same text in every process
    order = graphlib.TopologicalSorter(graph).static_order()
    ctes = ",\n".join(f"{rel} AS (\n{_body(rel, fast)}\n)" for rel in order)
    if _LEADING_WITH.match(body):
        return _LEADING_WITH.sub(lambda _: f"WITH {ctes},\n", body, count=1)
    return f"WITH {ctes}\n{body}"


def param_names(sql: str) -> set[str]:
    """The $named parameters a statement uses (comments and string literals ignored)."""
    return set(_PARAM.findall(_COMMENT_OR_STRING.sub(" ", sql)))
