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
- `allowed_studies()`, `allowed_studies(<column>)`: the studies the signed-in user may see
  (queries/fragments/allowed_studies.sql, the bound list $allowed_studies; NULL = every study), as a
  condition on study_id or the column named; cohort_filter() ends with it, unprefixed, so every
  statement that filters a cohort is limited to those studies, and a file that reads a table without
  the cohort filter says it itself.
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
- `endpoint_clocks()`: patient_endpoints' start, end and status of every endpoint of ENDPOINT_CLOCKS (who
  is eligible, when the clock starts, the event that ends it); `endpoint_end(<event>)` and
  `endpoint_status(<event>)`: how a clock ends (the event, death first, or censoring at last contact), in
  those columns and in time_to_event over the contract tables.
- `safety_windows()`, `safety_firsts()`, `safety_followed()`, `safety_clocks()`: patient_endpoints' Safety
  clocks, per period of SAFETY_PERIODS and kind of SAFETY_KINDS (safety()).
- `time_to_event_columns(<alias>)`, `clock_patient_columns(<alias>)`: the patient columns handed on with
  each clock (CLOCK_PATIENT_COLUMNS), as time_to_event's rows hold them or as patient_endpoints stores them.
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
from typing import NamedTuple

from pts_explorer.config import QUERIES_DIR
from pts_explorer.filters import FUNNEL_FIELDS
from pts_explorer.vocab import MORE_FILTERS, OUTCOMES, RESPONDER_THRESHOLDS

SHARED_DIR = QUERIES_DIR / "shared"
FAST_DIR = QUERIES_DIR / "fast"
POPULATION_DIR = FAST_DIR / "population"  # twins for a statement run over a population (name@population)
FRAGMENTS_DIR = QUERIES_DIR / "fragments"
_COHORT_FILTER = re.compile(r"\bcohort_filter\(\s*(\w*)\s*\)")
_ALLOWED_STUDIES = re.compile(r"\ballowed_studies\(\s*([\w.]*)\s*\)")
_MORE_FILTER = re.compile(r"\bmore_filter\(\s*(\w*)\s*\)")
_MORE_SPREAD = re.compile(r"\bmore_filter_spread\(\s*\)")
_FUNNEL_STEPS = re.compile(r"^(\s*)funnel_steps\(\s*(patient_attributes|agg_patient_cells)\s*\)\s*$")
_OUTCOME_VALUE = re.compile(r"\boutcome_value\(\s*(\w*)\s*\)")
_OUTCOME_STAT = re.compile(r"\boutcome_stat\(\s*\)")
_ENDPOINT_CLOCK = re.compile(r"\bendpoint_clock\(\s*(start|end|status)\s*\)")
_THRESHOLD_VALUES = re.compile(r"\bthreshold_values\(\s*\)")


class Clock(NamedTuple):
    """A time-to-event endpoint's clock as patient_endpoints stores it: its short name there (columns
    <short>_start, _end, _status), who is eligible, the day the clock starts and the first day of the
    event that ends it (columns of patient_endpoints' `clocked`)."""

    short: str
    eligible: str
    start: str
    event: str


ENDPOINT_CLOCKS = {
    "primary_patency": Clock("pp", "stent_eligible", "procedure_day", "primary_loss_day"),
    "assisted_primary_patency": Clock("app", "stent_eligible", "procedure_day", "assisted_loss_day"),
    "secondary_patency": Clock("sp", "stent_eligible", "procedure_day", "secondary_loss_day"),
    "freedom_from_reintervention": Clock("ffr", "stent_eligible", "procedure_day", "reintervention_day"),
    "ulcer_healing": Clock("uh", "baseline_ulcer", "0", "ulcer_healed_day"),
    "freedom_from_recurrent_dvt": Clock("fdvt", "TRUE", "0", "recurrent_dvt_day"),
}
# patient_endpoints' short name of each time-to-event endpoint (its columns <short>_start, _end, _status)
ENDPOINT_COLUMNS = {endpoint: clock.short for endpoint, clock in ENDPOINT_CLOCKS.items()}
# The patient columns handed on with each clock (time_to_event's rows; patient_endpoints stores them, with
# baseline_ulcer a boolean where time_to_event says 'yes' or 'no')
CLOCK_PATIENT_COLUMNS = (
    "patient_id",
    "study_id",
    "arm",
    "obstruction_site",
    "stenosis_grade",
    "sex",
    "age_years",
    "age_group",
    "baseline_band",
    "lesion_group",
    "high_grade_site",
    "baseline_ulcer",
    "last_contact_day",
    "sample_key",
)
# Safety's complication clocks (patient_endpoints, as queries/complication_counts.sql defines them), per
# period: its short name, the day its clock starts, and the first and last day of its window (columns of
# patient_endpoints' `clocked`: anchor_day, last_contact_day); per kind of complication, who is counted
SAFETY_PERIODS = {
    "w30": ("anchor_day", "anchor_day", "least(last_contact_day, anchor_day + 30)"),  # within 30 days
    "a30": ("anchor_day + 30", "anchor_day + 31", "last_contact_day"),  # after 30 days
    "any": ("0", "0", "last_contact_day"),  # any time
}
SAFETY_KINDS = {"shared": "", "stent": " AND arm = 'stent'"}  # either arm; the stent arm only
_SAFETY = re.compile(r"\b(safety_windows|safety_firsts|safety_followed|safety_clocks)\(\s*\)")
_ENDPOINT_END = re.compile(r"\bendpoint_end\(\s*(\w+)\s*\)")
_ENDPOINT_STATUS = re.compile(r"\bendpoint_status\(\s*(\w+)\s*\)")
_ENDPOINT_CLOCKS = re.compile(r"\bendpoint_clocks\(\s*\)")
_PATIENT_COLUMNS = re.compile(r"\b(clock_patient_columns|time_to_event_columns)\(\s*(\w*)\s*\)")
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
    """The sidebar's cohort filter (queries/fragments/cohort_filter.sql), its parameters prefixed, and
    the studies the user may see (allowed_studies, never prefixed: every cohort is limited alike)."""
    body = _strip_comments((FRAGMENTS_DIR / "cohort_filter.sql").read_text(encoding="utf-8")).strip()
    lines = _PARAM.sub(lambda m: f"${prefix}{m.group(1)}", body).splitlines()
    return _block("(", [*lines, f"AND {allowed_studies()}"], ")", indent)


def allowed_studies(column: str = "") -> str:
    """The studies the user may see (queries/fragments/allowed_studies.sql, $allowed_studies) as a
    condition on `column` (default study_id)."""
    body = _strip_comments((FRAGMENTS_DIR / "allowed_studies.sql").read_text(encoding="utf-8")).strip()
    return body.replace("study_id", column) if column else body


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


def endpoint_end(event: str) -> str:
    """The day a time-to-event clock ends: the event (column `event`), death or last contact, the first."""
    return f"least(coalesce({event}, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day)"


def endpoint_status(event: str, indent: str = "") -> str:
    """How a time-to-event clock ends: 1 the event (column `event`) by last contact and not after death, 2
    death first, 0 censored."""
    lines = [
        f"WHEN {event} <= last_contact_day AND (death_day IS NULL OR {event} <= death_day) THEN 1",
        "WHEN death_day <= last_contact_day THEN 2",
        "ELSE 0",
    ]
    return _block("CASE", lines, "END", indent)


def endpoint_clocks(indent: str = "") -> str:
    """patient_endpoints' clock of every endpoint of ENDPOINT_CLOCKS: <short>_start, <short>_end and
    <short>_status (TINYINT), all NULL where the patient is not eligible; one column a line, with commas."""
    columns = []
    for c in ENDPOINT_CLOCKS.values():
        status = endpoint_status(c.event, indent + "    ")
        columns += [
            f"CASE WHEN {c.eligible} THEN {c.start} END AS {c.short}_start",
            f"CASE WHEN {c.eligible} THEN {endpoint_end(c.event)} END\n{indent}    AS {c.short}_end",
            f"CASE WHEN {c.eligible} THEN\n{indent}    {status}\n{indent}END::TINYINT AS {c.short}_status",
        ]
    return f",\n{indent}".join(columns)


def safety(part: str, indent: str = "") -> str:
    """patient_endpoints' Safety clocks of SAFETY_PERIODS and SAFETY_KINDS, one column a line with commas:
    safety_windows(), each period's first and last day (<p>_low, <p>_high); safety_firsts(), the first
    day of each kind and of death within each window, over `windows AS w` and `kinds AS v`;
    safety_followed(), whether the patient is followed on the window's first day (over w); safety_clocks(),
    each period's origin and per kind its stop (the complication, death or the window's end, the first) and
    status (1 the complication, 2 death first, 0 censored), NULL where not followed or not counted."""
    columns: list[str] = []
    for p, (origin, low, high) in SAFETY_PERIODS.items():
        if part == "safety_windows":
            columns += [f"{low} AS {p}_low", f"{high} AS {p}_high"]
        elif part == "safety_firsts":
            columns += [
                f"min(v.event_day) FILTER (WHERE v.kind = '{k}' AND v.event_day BETWEEN w.{p}_low AND w.{p}_high)"
                f" AS {p}_{k}"
                for k in (*SAFETY_KINDS, "death")
            ]
        elif part == "safety_followed":
            columns.append(f"w.{p}_high >= w.{p}_low AS {p}_followed")
        else:
            columns.append(f"CASE WHEN {p}_followed THEN {origin} END AS {p}_origin")
            for k, counted in SAFETY_KINDS.items():
                when = f"CASE WHEN {p}_followed{counted} THEN"
                stop = f"least(coalesce({p}_{k}, {p}_high), coalesce({p}_death, {p}_high))"
                status = _block(
                    "CASE",
                    [
                        f"WHEN {p}_{k} IS NOT NULL AND ({p}_death IS NULL OR {p}_{k} <= {p}_death) THEN 1",
                        f"WHEN {p}_death IS NOT NULL THEN 2",
                        "ELSE 0",
                    ],
                    "END",
                    indent + "    ",
                )
                columns += [
                    f"{when} {stop} END\n{indent}    AS {p}_{k}_stop",
                    f"{when}\n{indent}    {status}\n{indent}END::TINYINT AS {p}_{k}_status",
                ]
    return f",\n{indent}".join(columns)


def patient_columns(kind: str, alias: str, indent: str = "") -> str:
    """CLOCK_PATIENT_COLUMNS of the relation `alias` (none: unqualified), one a line with commas: as stored
    (clock_patient_columns), or as time_to_event hands them on (baseline_ulcer 'yes' or 'no')."""
    prefix = f"{alias}." if alias else ""
    columns = [
        f"CASE WHEN {prefix}{name} THEN 'yes' ELSE 'no' END AS {name}"
        if name == "baseline_ulcer" and kind == "time_to_event_columns"
        else f"{prefix}{name}"
        for name in CLOCK_PATIENT_COLUMNS
    ]
    return f",\n{indent}".join(columns)


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
    line = _ALLOWED_STUDIES.sub(lambda m: allowed_studies(m.group(1)), line)
    line = _MORE_FILTER.sub(lambda m: more_filter(m.group(1), indent), line)
    line = _MORE_SPREAD.sub(lambda m: more_filter_spread(indent).lstrip(), line)
    line = _OUTCOME_STAT.sub(lambda m: outcome_stat(indent), line)
    line = _ENDPOINT_CLOCK.sub(lambda m: endpoint_clock(m.group(1), indent), line)
    line = _THRESHOLD_VALUES.sub(lambda m: threshold_values(), line)
    line = _ENDPOINT_CLOCKS.sub(lambda m: endpoint_clocks(indent), line)
    line = _SAFETY.sub(lambda m: safety(m.group(1), indent), line)
    line = _ENDPOINT_STATUS.sub(lambda m: endpoint_status(m.group(1), indent), line)
    line = _ENDPOINT_END.sub(lambda m: endpoint_end(m.group(1)), line)
    line = _PATIENT_COLUMNS.sub(lambda m: patient_columns(m.group(1), m.group(2), indent), line)
    return _OUTCOME_VALUE.sub(lambda m: outcome_value(m.group(1), indent), line)


def expand(text: str, without: tuple[str, ...] = ()) -> str:
    """A file's text with cohort_filter(...), more_filter(...), more_filter_spread(), funnel_steps(...),
    outcome_value(...), outcome_stat(), endpoint_clock(...), endpoint_clocks(), endpoint_end(...),
    endpoint_status(...), the patient columns and threshold_values() written out, outside comment lines
    (module docstring); `without`: cohort_filter() less the patients of the filters with those prefixes
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


def shared_ctes(text: str) -> list[str]:
    """The shared relations a statement's text reads, directly or through one another (as composed
    from the contract tables), each as a CTE `name AS (...)`, each after the relations it reads: for
    the derived tables' statements (pts_explorer/derived.py), which are not composed by name."""
    body = _strip_comments(text)
    needed = {r for r in shared_names() if _reads(body, r)}
    frontier = set(needed)
    while frontier:
        frontier = {d for r in frontier for d in dependencies(r)} - needed
        needed |= frontier
    graph = {r: sorted(dependencies(r)) for r in sorted(needed)}
    return [f"{rel} AS (\n{_body(rel)}\n)" for rel in graphlib.TopologicalSorter(graph).static_order()]


def param_names(sql: str) -> set[str]:
    """The $named parameters a statement uses (comments and string literals ignored)."""
    return set(_PARAM.findall(_COMMENT_OR_STRING.sub(" ", sql)))
