"""Issue 29: no page reads the visit table whole for a small matched set. Every statement a page runs over
the Candidate page's matched patients (`<name>@matched_cohort`, found in the pages' and the core's
sources) is planned by DuckDB (EXPLAIN, not run) over 20 matched patients, as a file with current derived
tables runs it, and every scan of a visit table (visits, patient_visits) must be reached through the
matched patients: the first join on patient_id above the scan has the scan on its probe side and the
matched patients (the unnested $matched_ids, directly or through a CTE) on its build side, and between
the two the visits pass only through projections, filters and the probe sides of other joins. DuckDB then
builds its hash table from the matched patients and filters the visits by it as they are scanned (its
join-filter pushdown), and joins each visit to nothing else first. A scan whose first such join is with
every patient (scheduled_visits joins the visits to the patients and studies), that is aggregated,
sorted or hashed on its way (every patient's visits counted, then the matched patients' counts kept),
or that meets no join on patient_id at all, reads the visit table whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pts_explorer import db
from tests.unit.test_queries import SAMPLE_PARAMS

ROOT = Path(__file__).resolve().parents[2]
VISIT_TABLES = ("visits", "patient_visits")
STREAMING = ("PROJECTION", "FILTER")  # operators a visit passes through one at a time, on its way to a join
MATCHED = re.compile(r"[\"'](\w+)@matched_cohort[\"']")


def _over_matched() -> list[str]:
    """The statements run over the matched patients, as the sources name them."""
    sources = [*ROOT.glob("app_pages/*.py"), *ROOT.glob("pts_explorer/**/*.py")]
    return sorted({m for path in sources for m in MATCHED.findall(path.read_text(encoding="utf-8"))})


def _nodes(node: dict):
    yield node
    for child in node.get("children", []):
        yield from _nodes(child)


def _info(node: dict) -> dict:
    info = node.get("extra_info", {})
    return info if isinstance(info, dict) else {}


def _conditions(node: dict) -> str:
    found = _info(node).get("Conditions", "")
    return " ".join(found) if isinstance(found, list) else str(found)


def whole_visit_scans(plan: list[dict]) -> list[str]:
    """The scans of a visit table in an EXPLAIN (FORMAT json) plan that are not reached through the matched
    patients (see the module's docstring), each described in a few words; [] when every one is."""
    ctes = {_info(n).get("Table Index"): n for root in plan for n in _nodes(root) if n.get("name") == "CTE"}

    def holds_matched(node: dict, seen: frozenset = frozenset()) -> bool:
        for n in _nodes(node):
            if n.get("name") == "UNNEST":
                return True
            index = _info(n).get("CTE Index")
            inner = n.get("name") == "CTE_SCAN" and index in ctes and index not in seen
            if inner and holds_matched(ctes[index]["children"][0], seen | {index}):
                return True
        return False

    found: list[str] = []

    def walk(node: dict, path: list[dict]) -> None:
        table = str(_info(node).get("Table", "")).rpartition(".")[2]
        if table in VISIT_TABLES:
            child, verdict = node, f"{table}: no join on patient_id above it"
            for above in reversed(path):
                kind = above.get("name", "")
                joins = "JOIN" in kind or kind == "CROSS_PRODUCT"
                if joins and "patient_id" in _conditions(above):
                    probe, build = above["children"][0], above["children"][1]
                    if probe is not child:
                        verdict = f"{table}: on the build side of {kind} ({_conditions(above)})"
                    elif not holds_matched(build):
                        verdict = f"{table}: joined first to what is not the matched patients ({_conditions(above)})"
                    else:
                        verdict = ""
                    break
                if not (kind in STREAMING or (joins and above["children"][0] is child)):
                    verdict = f"{table}: read whole into {kind} before a join on patient_id"
                    break
                child = above
            if verdict:
                found.append(verdict)
        for sub in node.get("children", []):
            walk(sub, [*path, node])

    for root in plan:
        walk(root, [])
    return found


def _plan(con, name: str, params: dict) -> list[dict]:
    text, bound = db.bind_params(name, params, fast=db.has_derived(con))
    return json.loads(con.execute("EXPLAIN (FORMAT json) " + text, bound).fetchall()[0][1])


@pytest.fixture(scope="module")
def matched(demo_db):
    con = db.open_read_only(demo_db)
    assert db.has_derived(con)
    ids = [r[0] for r in con.execute("SELECT patient_id FROM patients ORDER BY md5(patient_id) LIMIT 20").fetchall()]
    yield con, {**SAMPLE_PARAMS, "matched_ids": ids}
    con.close()


def test_the_pages_run_these_statements_over_the_matched_patients():
    assert set(_over_matched()) >= {
        "cohort_size_by_study_arm",
        "trajectory_summary",
        "candidate_baseline",
        "responders_by_visit",
        "km_counts",
        "safety_events",
        "safety_exposure",
        "export_patients",
    }


@pytest.mark.parametrize("name", _over_matched())
def test_over_a_small_matched_set_the_visits_are_read_through_the_matched_patients(matched, name):
    con, params = matched
    assert whole_visit_scans(_plan(con, f"{name}@matched_cohort", params)) == []


def test_a_statement_that_reads_the_visits_whole_is_caught(matched):
    """The check finds a visit table read whole: the matched patients' trajectories composed from the
    contract tables (scheduled_visits joins every visit to its patient before the matched patients), and a
    statement that counts every visit before it keeps the matched patients' counts."""
    con, params = matched
    text, bound = db.bind_params("trajectory_summary@matched_cohort", params, fast=False)
    plan = json.loads(con.execute("EXPLAIN (FORMAT json) " + text, bound).fetchall()[0][1])
    joined = "patient_id = patient_id list_contains(visit_months, visit_month)"
    assert whole_visit_scans(plan) == [f"visits: joined first to what is not the matched patients ({joined})"]
    planted = (
        "SELECT c.patient_id, n.visits FROM (SELECT * FROM patient_cohort WHERE patient_id IN "
        "(SELECT unnest($matched_ids::VARCHAR[]))) AS c INNER JOIN (SELECT patient_id, count(*) AS visits "
        "FROM patient_visits GROUP BY patient_id) AS n ON n.patient_id = c.patient_id"
    )
    explained = con.execute("EXPLAIN (FORMAT json) " + planted, {"matched_ids": bound["matched_ids"]})
    plan = json.loads(explained.fetchall()[0][1])
    assert whole_visit_scans(plan) == ["patient_visits: read whole into HASH_GROUP_BY before a join on patient_id"]
