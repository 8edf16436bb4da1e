"""One source for each SQL fact: the cohort filter is written only in queries/fragments/cohort_filter.sql
and the choice of the outcome column only in vocab.OUTCOMES (the composer writes both where a file
says cohort_filter(), outcome_value() or outcome_stat()); no SQL file under queries/ writes either
out again."""

import re

import pytest

from pts_explorer import sql, vocab

SQL_FILES = sorted(sql.QUERIES_DIR.rglob("*.sql"))
FILTER_SOURCE = sql.FRAGMENTS_DIR / "cohort_filter.sql"


def _code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("--")]


def _normal(line: str) -> str:
    """A line as a copy of the filter would write it: any parameter prefix (b_), table alias (r.) or
    leading AND/WHERE and the spacing do not make it another filter."""
    line = re.sub(r"\$b_", "$", line)
    line = re.sub(r"\b[a-z]\.(?=[a-z_])", "", line)
    line = re.sub(r"^\s*(WHERE|AND)\s+", "", line.strip(), flags=re.I)
    return re.sub(r"\s+", " ", line)


def _filter_conditions() -> set[str]:
    return {_normal(line) for line in _code_lines(FILTER_SOURCE.read_text(encoding="utf-8"))}


def test_the_filter_source_is_one_condition_per_dimension():
    conditions = _filter_conditions()
    columns = ("study_id", "arm", "obstruction_site", "stenosis_grade", "baseline_band", "sex", "age_years")
    assert len(conditions) == 8
    assert all(any(re.search(rf"\b{c}\b", line) for line in conditions) for c in (*columns, "baseline_ulcer"))


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(sql.QUERIES_DIR).as_posix())
def test_no_file_writes_the_cohort_filter_again(path):
    if path == FILTER_SOURCE:
        return
    conditions = _filter_conditions()
    copied = [line for line in _code_lines(path.read_text(encoding="utf-8")) if _normal(line) in conditions]
    assert copied == [], f"{path.name} writes the cohort filter out: say cohort_filter() instead"


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(sql.QUERIES_DIR).as_posix())
def test_no_file_writes_the_outcome_choice_again(path):
    code = "\n".join(_code_lines(path.read_text(encoding="utf-8")))
    assert not re.search(r"CASE\s+\$outcome", code, re.I), f"{path.name}: say outcome_value() instead"
    for column in vocab.OUTCOMES:
        assert not re.search(rf"WHEN\s+'{column}'", code), f"{path.name} lists outcome {column}"


def test_every_cohort_filter_is_the_source_with_its_parameters():
    """Where a statement says cohort_filter() or cohort_filter(b_), its composed text holds the
    fragment's conditions, with cohort B's parameters prefixed b_ and nothing else changed."""
    conditions = [" ".join(line.split()) for line in _code_lines(FILTER_SOURCE.read_text(encoding="utf-8"))]
    allowed = " ".join(_code_lines((FILTER_SOURCE.parent / "allowed_studies.sql").read_text(encoding="utf-8")))
    conditions.append(" ".join(f"AND {allowed}".split()))  # the studies the user may see: never prefixed
    a, b = sql.cohort_filter(), sql.cohort_filter("b_")
    assert [" ".join(line.split()) for line in a.splitlines()[1:-1]] == conditions
    unprefixed = {"allowed_studies"}
    assert b.replace("$b_", "$") == a
    assert sorted(sql.param_names(b)) == sorted(p if p in unprefixed else f"b_{p}" for p in sql.param_names(a))

    def flat(text: str) -> str:
        return " ".join(text.split())

    overlap = flat(sql.compose("cohort_overlap", fast=True))
    assert flat(a) in overlap and flat(b) in overlap
    for name in ("cohort", "patient_cells", "visit_cells", "responder_cells", "analysis_visits"):
        code = "\n".join(_code_lines(sql.load_sql(name)))
        assert flat(a) in flat(code) and "cohort_filter" not in code, name
    assert flat(b) in flat(sql.load_sql("cohort_b")) and flat(b) in flat(sql.load_sql("cohort_b", fast=True))


def test_the_outcome_choice_is_the_vocabulary():
    case = sql.outcome_value("b_")
    assert re.findall(r"WHEN '(\w+)' THEN b_(\w+)::DOUBLE", case) == [(c, c) for c in vocab.OUTCOMES]
    assert re.findall(r"WHEN '(\w+)' THEN stat_(\w+)\n", sql.outcome_stat()) == [(c, c) for c in vocab.OUTCOMES]
    for name, fast in (("outcome_values", False), ("trajectory_summary", True), ("analysis_visit", True)):
        code = "\n".join(_code_lines(sql.load_sql(name, fast)))
        assert "outcome_value(" not in code and "CASE $outcome" in code, name


def test_a_marker_in_a_comment_stays_a_comment():
    text = "-- the filter: cohort_filter(), outcome_value() and outcome_stat()\nSELECT 1"
    assert sql.expand(text) == text


CLOCK_FACTS = {  # how each fact of the time-to-event clocks reads when written out (issue 25 item 2)
    "how a clock ends": re.compile(r"WHEN death_day <= last_contact_day THEN 2"),
    "the day it ends": re.compile(r"coalesce\(death_day, last_contact_day\), last_contact_day\)"),
    "a Safety clock's status": re.compile(r"WHEN \w+_death IS NOT NULL THEN 2"),
    "a Safety window's first complication": re.compile(r"min\(v\.event_day\) FILTER"),
    "the patient columns of a clock": re.compile(
        r"\bc\.high_grade_site,\s*\n\s*(c\.baseline_ulcer|CASE WHEN c\.baseline_ulcer)"
    ),
    "the baseline attributes": re.compile(r"b\.vcss AS baseline_vcss"),
    "the first event days": re.compile(r"min\(event_day\) FILTER \(WHERE event_type"),
}
WRITTEN_IN = {"patient_attributes.sql": {"the baseline attributes"}, "event_days.sql": {"the first event days"}}


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(sql.QUERIES_DIR).as_posix())
def test_no_file_writes_a_clock_or_the_baseline_attributes_out(path):
    """The clocks' facts are written once in pts_explorer/sql.py (endpoint_clocks(), endpoint_end(),
    endpoint_status(), safety_*(), time_to_event_columns(), clock_patient_columns()) and the baseline
    attributes once in queries/shared/patient_attributes.sql, which patient_cohort reads, and the first
    event days once in queries/shared/event_days.sql, which patient_events stores and time_to_event reads."""
    code = "\n".join(_code_lines(path.read_text(encoding="utf-8")))
    written = {fact for fact, shape in CLOCK_FACTS.items() if shape.search(code)}
    assert written <= WRITTEN_IN.get(path.name, set()), path


def test_the_clock_facts_are_found_where_they_are_written_out():
    """The shapes above find each fact in the composed statements (a shape that matched nothing would
    prove nothing)."""
    from pts_explorer import derived

    endpoints = derived.statement("patient_endpoints")
    composed = endpoints + sql.compose("time_to_event") + derived.statement("patient_cohort")
    composed += derived.statement("patient_events")
    assert {fact for fact, shape in CLOCK_FACTS.items() if shape.search(composed)} == set(CLOCK_FACTS)
