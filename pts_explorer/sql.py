"""SQL files by name: loading, composing with the shared relations, and their $parameters.

`queries/*.sql` are the statements pages run; `queries/shared/*.sql` are relations other
statements read by name (`FROM cohort`). Composing a statement prepends every shared relation it
reads, directly or through another shared relation, as a CTE, ordered by their dependencies.

`queries/fast/<name>.sql` answers the statement or relation `<name>` from the derived tables a file
may hold (pts_explorer/derived.py): the same columns and rows, from pre-aggregated cells or the
denormalised patient-visit table. Composing with `fast=True` takes each file's fast twin where
there is one.

`<name>@<population>` runs a statement over another population than the sidebar's cohort: the
relation `<population>` (one of POPULATIONS) stands in for `cohort`, so the Candidate page's
matched patients go through the same trajectory, responder and survival statements as every page
(and Compare's cohort without the patients of the other cohort).
Only the population relation and the patient-level twins (PATIENT_LEVEL_TWINS) may then use their
fast twin: the other twins read cells aggregated over the cohort filter's dimensions, which a list
of patients is not. A patient-level twin that filters a per-patient table by the sidebar's filter
itself (no join to `cohort`) has a second twin in queries/fast/population/<name>.sql that reads the
population instead, used under a population.
Two populations are filters themselves (CELL_POPULATIONS): the cohort less the patients that the
filters of other cohorts (cohort_filter(b_), or x1_ to x3_) hold. Every derived table carries the
filter's columns, and a cell holds patients alike in all of them, so a cell is in such a population
whole or not at all: with `fast`, every statement over one runs its own fast twins (cells or
per-patient tables) with the cohort's filter cohort_filter() written as "cohort_filter() AND
(cohort_filter(b_)) IS NOT TRUE" (IS NOT TRUE: a value the other filter cannot judge leaves the
patient out of that cohort, as the population relation says). The other cohorts' "More filters" are
left out of that condition: a statement whose "More filters" restrict never runs fast (db.run_query).

These facts are written once and put in place when a file is loaded (load_sql), so no file repeats them:
- `cohort_filter()`: the sidebar's cohort filter, queries/fragments/cohort_filter.sql, over the
  columns of the relation the file reads; `cohort_filter(b_)`: the same filter with every parameter
  prefixed b_ (Compare's cohort B).
- `more_filter()`: the "More filters" of vocab.MORE_FILTERS (patient columns as sets or ranges), over a
  patient-level relation (the cohort relations, option counts and the funnel); prefixed like
  cohort_filter(). The pre-aggregated cells do not carry these columns: a statement whose "More
  filters" restrict runs as composed from the patient-level relations, never its fast twin
  (db.run_query).
- `more_filter_spread()`: how the values of each "More filters" range are spread over the patients (one
  SELECT per range of vocab.MORE_FILTERS, joined by UNION ALL; queries/more_filter_distribution.sql).
- `funnel_steps(patient_attributes)`, `funnel_steps(agg_patient_cells)`: the cohort funnel's steps 1 to
  len(filters.FUNNEL_FIELDS), one SELECT each joined by UNION ALL, counting the patients (or summing the
  cells' patients) that the filters of step k keep (cohort_filter(f<k>_), and over patients more_filter(f<k>_)),
  so a filter added to the sidebar or to vocab.MORE_FILTERS is a step of both without touching the SQL.
- `endpoint_clock(start)`, `(end)`, `(status)`: the column of patient_endpoints the parameter $endpoint
  names, by a CASE over ENDPOINT_COLUMNS (the endpoints' short names there).
- `threshold_values()`: the responder thresholds a user may choose (vocab.RESPONDER_THRESHOLDS), "(1), (2),
  ...", the threshold sweep's and those the derived responder counts are stored for.
- `outcome_value()`: the column the parameter $outcome names, as DOUBLE, by a CASE over the outcome
  columns of vocab.OUTCOMES (the allow-list); `outcome_value(b_)`: of the columns named b_<outcome>
  (the patient's month-0 values in patient_visits); `outcome_stat()`: of stat_<outcome> (the
  sufficient statistics of agg_visit_cells).
"""

from __future__ import annotations

import functools
import graphlib
import re
from pathlib import Path

from pts_explorer.config import QUERIES_DIR
from pts_explorer.filters import FUNNEL_FIELDS
from pts_explorer.vocab import MORE_FILTERS, OUTCOMES, RESPONDER_THRESHOLDS

SHARED_DIR = QUERIES_DIR / "shared"
FAST_DIR = QUERIES_DIR / "fast"
POPULATION_DIR = FAST_DIR / "population"  # twins for a statement run over a population (name@population)
FRAGMENTS_DIR = QUERIES_DIR / "fragments"
_COHORT_FILTER = re.compile(r"\bcohort_filter\(\s*(\w*)\s*\)")
_MORE_FILTER = re.compile(r"\bmore_filter\(\s*(\w*)\s*\)")
_MORE_SPREAD = re.compile(r"\bmore_filter_spread\(\s*\)")
_FUNNEL_STEPS = re.compile(r"^(\s*)funnel_steps\(\s*(patient_attributes|agg_patient_cells)\s*\)\s*$")
_OUTCOME_VALUE = re.compile(r"\boutcome_value\(\s*(\w*)\s*\)")
_OUTCOME_STAT = re.compile(r"\boutcome_stat\(\s*\)")
_ENDPOINT_CLOCK = re.compile(r"\bendpoint_clock\(\s*(start|end|status)\s*\)")
_THRESHOLD_VALUES = re.compile(r"\bthreshold_values\(\s*\)")
# patient_endpoints' short name of each time-to-event endpoint (its columns <short>_start, _end, _status)
ENDPOINT_COLUMNS = {
    "primary_patency": "pp",
    "assisted_primary_patency": "app",
    "secondary_patency": "sp",
    "freedom_from_reintervention": "ffr",
    "ulcer_healing": "uh",
    "freedom_from_recurrent_dvt": "fdvt",
}
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
_LEADING_WITH = re.compile(r"^\s*with\s", re.IGNORECASE)
POPULATIONS = ("matched_cohort", "cohort_without_b", "cohort_alone")  # relations that may stand in for `cohort`
# Populations that are the cohort less the patients of other cohorts' filters (by their parameters'
# prefixes), as their relations in queries/shared/ say: under `fast`, cohort_filter() less those filters.
CELL_POPULATIONS = {"cohort_without_b": ("b_",), "cohort_alone": ("x1_", "x2_", "x3_")}
# Twins that read the patients through `cohort` (or analysis_cohort) joined by patient id, with
# per-patient derived tables, or a per-patient derived table whole for every patient (outcome_values,
# which the statements join to the cohort): they answer for any population.
PATIENT_LEVEL_TWINS = frozenset({"time_to_event", "trajectory_sample", "responder_pairs", "outcome_values"})


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


def cohort_filter(prefix: str = "", indent: str = "") -> str:
    """The sidebar's cohort filter (queries/fragments/cohort_filter.sql), its parameters prefixed."""
    body = _strip_comments((FRAGMENTS_DIR / "cohort_filter.sql").read_text(encoding="utf-8")).strip()
    lines = _PARAM.sub(lambda m: f"${prefix}{m.group(1)}", body).splitlines()
    return _block("(", lines, ")", indent)


def more_filter(prefix: str = "", indent: str = "") -> str:
    """The "More filters" (vocab.MORE_FILTERS) as one condition over the columns of a patient-level
    relation, its parameters prefixed: a set's $<key> VARCHAR[] (empty = no restriction), a range's
    $<key>_min and $<key>_max INTEGER, inclusive (NULL = no restriction; a restricted range leaves out
    patients without a value)."""
    lines: list[str] = []
    for f in MORE_FILTERS.values():
        if f.kind == "set":
            values = f"${prefix}{f.key}::VARCHAR[]"
            condition = f"(array_length({values}) = 0 OR list_contains({values}, {f.column}))"
        else:
            low, high = (f"${prefix}{name}::INTEGER" for name in f.params())
            condition = f"({low} IS NULL OR {f.column} BETWEEN {low} AND {high})"
        lines.append(condition if not lines else f"AND {condition}")
    return _block("(", lines, ")", indent)


def more_filter_spread(indent: str = "") -> str:
    """How the values of each "More filters" range (vocab.MORE_FILTERS of kind "range") are spread over
    the patients of patient_attributes: one SELECT per range, joined by UNION ALL, each giving field (the
    filter's key), value (the value rounded down to a whole unit; NULL for the patients without one),
    patients, and top (the largest value in that unit)."""
    blocks = []
    for f in MORE_FILTERS.values():
        if f.kind != "range":
            continue
        unit = f"CAST(floor({f.column}) AS INTEGER)"
        blocks.append(
            [
                "SELECT",
                f"    '{f.key}' AS field,",
                f"    {unit} AS value,",
                "    count(*) AS patients,",
                f"    max({f.column}) AS top",
                "FROM patient_attributes",
                f"GROUP BY {unit}",
            ]
        )
    lines = [line for n, block in enumerate(blocks) for line in (["UNION ALL"] if n else []) + block]
    return "\n".join(f"{indent}{line}" for line in lines)


def funnel_steps(relation: str, indent: str = "") -> str:
    """The cohort funnel's steps 1..len(FUNNEL_FIELDS) over `relation`: patient_attributes (one row per
    patient, every filter) or agg_patient_cells (cells with their patients, the sidebar's filters: a
    cohort whose "More filters" restrict never runs from the cells, db.run_query). One SELECT per step,
    joined by UNION ALL, each with step and patients; the filters are written out by expand()."""
    lines: list[str] = []
    for k in range(1, len(FUNNEL_FIELDS) + 1):
        if relation == "patient_attributes":
            patients = f"count(*) FILTER (WHERE cohort_filter(f{k}_) AND more_filter(f{k}_))"
        else:
            patients = f"CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f{k}_)), 0) AS BIGINT)"
        lines += [*(["UNION ALL"] if lines else []), f"SELECT {k} AS step, {patients} AS patients FROM {relation}"]
    return "\n".join(f"{indent}{line}" for line in lines)


def outcome_value(prefix: str = "", indent: str = "", cast: str = "::DOUBLE") -> str:
    """The outcome column $outcome names (one of vocab.OUTCOMES), of the columns named prefix+outcome,
    each cast to DOUBLE (the value's type whichever outcome is chosen)."""
    lines = [f"WHEN '{column}' THEN {prefix}{column}{cast}" for column in OUTCOMES]
    return _block("CASE $outcome", lines, "END", indent)


def endpoint_clock(part: str, indent: str = "") -> str:
    """The column of patient_endpoints holding the `part` (start, end or status) of the clock of the
    endpoint $endpoint names (ENDPOINT_COLUMNS)."""
    lines = [f"WHEN '{endpoint}' THEN {short}_{part}" for endpoint, short in ENDPOINT_COLUMNS.items()]
    return _block("CASE $endpoint", lines, "END", indent)


def threshold_values() -> str:
    """The responder thresholds a user may choose (vocab.RESPONDER_THRESHOLDS), as "(1), (2), ...": rows
    of a VALUES list, or the values of an IN list."""
    return ", ".join(f"({t})" for t in RESPONDER_THRESHOLDS)


def outcome_stat(indent: str = "") -> str:
    """The sufficient statistics of the outcome $outcome names: agg_visit_cells' stat_<outcome>."""
    return outcome_value("stat_", indent, cast="")


def _block(first: str, lines: list[str], last: str, indent: str) -> str:
    return "\n".join([first, *(f"{indent}    {line.strip()}" for line in lines), f"{indent}{last}"])


def cohort_filter_without(others: tuple[str, ...], indent: str = "") -> str:
    """The sidebar's cohort filter less the patients the filters prefixed `others` hold (CELL_POPULATIONS)."""
    lines = [cohort_filter("", indent + "    ")]
    lines += [f"AND {cohort_filter(prefix, indent + '    ')} IS NOT TRUE" for prefix in others]
    return _block("(", lines, ")", indent)


def _expand_line(line: str, without: tuple[str, ...] = ()) -> str:
    if line.lstrip().startswith("--"):
        return line
    if steps := _FUNNEL_STEPS.match(line):
        return expand(funnel_steps(steps.group(2), steps.group(1)), without)
    indent = line[: len(line) - len(line.lstrip())]

    def filtered(prefix: str) -> str:
        return cohort_filter_without(without, indent) if without and not prefix else cohort_filter(prefix, indent)

    line = _COHORT_FILTER.sub(lambda m: filtered(m.group(1)), line)
    line = _MORE_FILTER.sub(lambda m: more_filter(m.group(1), indent), line)
    line = _MORE_SPREAD.sub(lambda m: more_filter_spread(indent).lstrip(), line)
    line = _OUTCOME_STAT.sub(lambda m: outcome_stat(indent), line)
    line = _ENDPOINT_CLOCK.sub(lambda m: endpoint_clock(m.group(1), indent), line)
    line = _THRESHOLD_VALUES.sub(lambda m: threshold_values(), line)
    return _OUTCOME_VALUE.sub(lambda m: outcome_value(m.group(1), indent), line)


def expand(text: str, without: tuple[str, ...] = ()) -> str:
    """A file's text with cohort_filter(...), more_filter(...), more_filter_spread(), funnel_steps(...),
    outcome_value(...), outcome_stat(), endpoint_clock(...) and threshold_values() written out, outside
    comment lines (module docstring); `without`: cohort_filter() less the patients of the filters with those prefixes
    (cohort_filter_without)."""
    return "\n".join(_expand_line(line, without) for line in text.split("\n"))


@functools.cache
def load_sql(name: str, fast: bool = False, population: bool = False, without: tuple[str, ...] = ()) -> str:
    """Text of the SQL file `name` (its fast twin if asked and there is one; with `population`, its
    twin over a population where it has one), with the filter and the outcome written out (expand;
    `without` as there). `name` must be one of query_names(): never a user string."""
    files = _files()
    if name not in files:
        raise KeyError(f"no query named {name!r}")
    twin = FAST_DIR / f"{name}.sql"
    if population and (POPULATION_DIR / f"{name}.sql").exists():
        twin = POPULATION_DIR / f"{name}.sql"
    return expand((twin if fast and twin.exists() else files[name]).read_text(encoding="utf-8"), without)


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _body(name: str, fast: bool = False, population: bool = False, without: tuple[str, ...] = ()) -> str:
    return _strip_comments(load_sql(name, fast, population, without)).strip().rstrip(";")


def _reads(body: str, relation: str) -> bool:
    return re.search(rf"\b(from|join)\s+{relation}\b", body, re.IGNORECASE) is not None


@functools.cache
def dependencies(name: str, fast: bool = False, population: bool = False) -> frozenset[str]:
    """The shared relations a file (or its fast twin, over a population with `population`) reads directly."""
    body = _body(name, fast, population)
    return frozenset(r for r in shared_names() if r != name and _reads(body, r))


def split_name(name: str) -> tuple[str, str | None]:
    """A query name and the population it runs over (None: the cohort); unknown ones refused."""
    base, _, population = name.partition("@")
    if population and population not in POPULATIONS:
        raise KeyError(f"no population named {population!r}")
    return base, population or None


@functools.cache
def compose(name: str, fast: bool = False) -> str:
    """The runnable SQL of a file: the shared relations it needs are prepended as CTEs, each after
    the relations it reads, so one cohort definition serves every query. `fast`: every file's
    fast twin where there is one. `name@population`: see the module's docstring."""
    base, population = split_name(name)
    load_sql(base)  # an unknown name is refused before anything else
    without = CELL_POPULATIONS.get(population or "", ()) if fast else ()
    if without:  # a population the derived tables answer as a filter: the statement's own fast twins
        population = None

    def source(relation: str) -> str:
        return population if population and relation == "cohort" else relation

    def twin(relation: str) -> bool:
        return fast and (population is None or relation == population or relation in PATIENT_LEVEL_TWINS)

    over = population is not None  # a twin's population variant (POPULATION_DIR), where it has one

    def reads(relation: str) -> frozenset[str]:
        found = dependencies(source(relation), twin(source(relation)), over)
        return frozenset(r for r in found if r != relation)

    body = _body(base, twin(base), over, without)
    needed: set[str] = set()
    frontier = set(dependencies(base, twin(base), over))
    while frontier:
        needed |= frontier
        frontier = {d for r in frontier for d in reads(r)} - needed
    if not needed:
        return body
    graph = {r: sorted(reads(r)) for r in sorted(needed)}  # sorted: the same text in every process
    order = graphlib.TopologicalSorter(graph).static_order()
    ctes = ",\n".join(f"{rel} AS (\n{_body(source(rel), twin(source(rel)), over, without)}\n)" for rel in order)
    if _LEADING_WITH.match(body):
        return _LEADING_WITH.sub(lambda _: f"WITH {ctes},\n", body, count=1)
    return f"WITH {ctes}\n{body}"


def param_names(sql: str) -> set[str]:
    """The $named parameters a statement uses (comments and string literals ignored)."""
    return set(_PARAM.findall(_COMMENT_OR_STRING.sub(" ", sql)))
