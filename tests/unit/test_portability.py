"""The portability rules of docs/scale-out.md §3, checked on every SQL file the app runs, so a query that
would break on Spark fails here before the DuckDB-vs-Spark comparison (tests/unit/test_spark.py).
Needs sqlglot only (the test group has it, as does the Spark extra); skipped without it, a failure
under PTS_REQUIRE_SPARK=1."""

import os
import re

import pytest

try:
    import sqlglot
    from sqlglot import exp
except ImportError as missing:
    if os.environ.get("PTS_REQUIRE_SPARK"):
        raise
    pytest.skip(f"{missing.name} is not installed (the test group or the Spark extra has it)", allow_module_level=True)

from pts_explorer import sql
from pts_explorer.config import QUERIES_DIR

FILES = sorted(
    p
    for folder in (
        QUERIES_DIR,
        QUERIES_DIR / "shared",
        QUERIES_DIR / "fast",
        QUERIES_DIR / "fast" / "population",
        QUERIES_DIR / "fragments",
    )
    for p in folder.glob("*.sql")  # not queries/derived/: DuckDB writes those tables itself
)
ALLOWED_CASTS = {"VARCHAR", "VARCHAR[]", "DOUBLE", "INTEGER", "BOOLEAN"}


def _code(path) -> str:
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(QUERIES_DIR).as_posix())
def test_the_portability_rules_hold(path):
    code = _code(path)
    # 1. array_length(), not len(), on lists (sqlglot makes len() Spark's string LENGTH).
    assert not re.search(r"\blen\s*\(", code, re.I), "rule 1: use array_length(), not len()"
    # 2. SQL-standard UNPIVOT, not DuckDB's UNPIVOT t ON ... INTO NAME ... VALUE ...
    assert not re.search(r"\bUNPIVOT\s+\w+\s+ON\b|\bINTO\s+NAME\b", code, re.I), "rule 2: standard UNPIVOT"
    # 4. samples and orders from sample_key (md5 of the patient id), the same on every engine.
    assert not re.search(r"\b(hash|random|setseed)\s*\(|USING\s+SAMPLE|TABLESAMPLE", code, re.I), "rule 4"
    if re.search(r"LIMIT\s+\$max_patients", code):
        assert re.search(r"ORDER BY\s+(\w+\.)?sample_key", code), "rule 4: a sample is ordered by sample_key"
    # 5. quantiles only through quantile_cont (one translation); never WITHIN GROUP (made approximate).
    assert not re.search(r"WITHIN\s+GROUP|\bpercentile_(cont|disc)\s*\(|\bmedian\s*\(", code, re.I), "rule 5"
    # 6. parameters are scalars or lists of a plain type.
    for cast in re.findall(r"\$\w+::([A-Z]+(?:\[\])?)", code):
        assert cast in ALLOWED_CASTS, f"rule 6: parameter cast to {cast}"


def _lateral_aliases_in_windows(text: str) -> list[str]:
    """Names a window's PARTITION BY or ORDER BY takes from an alias of the same SELECT list."""
    found = []
    for select in sqlglot.parse_one(text, read="duckdb").find_all(exp.Select):
        aliases = {e.alias for e in select.expressions if isinstance(e, exp.Alias)}
        for window in select.find_all(exp.Window):
            if window.find_ancestor(exp.Select) is not select:
                continue
            parts = list(window.args.get("partition_by") or []) + [window.args.get("order")]
            for part in filter(None, parts):
                found += [c.name for c in part.find_all(exp.Column) if not c.table and c.name in aliases]
    return found


@pytest.mark.parametrize("name", [n for n in sql.query_names()])
def test_no_window_reads_a_lateral_alias(name):
    # 3. Spark cannot partition or order a window by an alias of the same SELECT list.
    for fast in (False, True):
        assert _lateral_aliases_in_windows(sql.compose(name, fast)) == [], f"rule 3 in {name}"


def test_the_rules_catch_what_they_guard():
    lateral = "SELECT CASE WHEN x THEN a ELSE b END AS g, row_number() OVER (PARTITION BY g ORDER BY k) FROM t"
    assert _lateral_aliases_in_windows(lateral) == ["g"]
    nested = "SELECT g, row_number() OVER (PARTITION BY g ORDER BY k) FROM (SELECT a AS g, k FROM t)"
    assert _lateral_aliases_in_windows(nested) == []
