"""Shared fixtures: generated databases in a temporary folder (never the demo file in data/). The
test tiers (markers browser, spark, slow) and the Hypothesis profile: tests/tiers.py."""

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.synthetic import generator
from pts_explorer.synthetic.params import SynthParams
from tests.tiers import DURATIONS, group, load_durations, longest_first, scope, tiers

# (importing tests.tiers loads the Hypothesis profile HYPOTHESIS_PROFILE names)

SMALL_PARAMS = replace(SynthParams(), trial_patients=80, registry_patients=300)
# The session's generated files (small_db, demo_db, one_patient_db): written once when built, then only
# read (a test that changes one works on a copy), so a check of their contents holds for the session.
SESSION_FILES: set[Path] = set()


def pytest_addoption(parser):
    parser.addoption(
        "--record-durations",
        action="store_true",
        help=f"write the seconds each group of tests took into {DURATIONS.name} (tests/tiers.py), "
        "keeping the groups this run did not run",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker in sorted(tiers(item.nodeid)):
            item.add_marker(marker)
        if name := group(item.nodeid):  # one worker runs the group (`--dist loadgroup`): tests/tiers.py
            item.add_marker(pytest.mark.xdist_group(name))
    # The groups that took longest first: pytest-xdist hands them out in this order (the Makefile's
    # --no-loadscope-reorder), so the workers finish together (tests/tiers.py).
    order = longest_first([item.nodeid for item in items], load_durations())
    items[:] = [items[i] for i in order]


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` keeps each group of tests/tiers.py on one worker, whole and in order. pytest-xdist's
    own loadgroup reads the group from an "@group" suffix its worker hook writes into each node id, which
    pytest 9 no longer lets it write (the node id is read-only): every test was its own group, a module's
    tests were spread over the workers (each building the module's fixtures) and ran in any order. This
    scheduler asks tests/tiers.py for the group of each node id instead."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid) or nodeid

    return ByGroup(config, log)


_TIMES: dict[str, dict[str, float]] = {}  # scope -> its seconds and tests so far in this run (--record-durations)


def pytest_runtest_logreport(report):
    # Under xdist the controller gets every worker's reports too: it writes the table.
    entry = _TIMES.setdefault(scope(report.nodeid), {"seconds": 0.0, "tests": 0})
    entry["seconds"] = round(entry["seconds"] + report.duration, 2)
    entry["tests"] += report.when == "setup"


def pytest_sessionfinish(session):
    config = session.config
    if not config.getoption("record_durations") or hasattr(config, "workerinput"):
        return
    recorded = load_durations()
    recorded.update(_TIMES)
    table = {
        "note": "Wall seconds of each scope's tests (setup, call, teardown) as last recorded by "
        "`pytest --record-durations` (make durations); tests/tiers.py orders the groups by them.",
        "scopes": {key: recorded[key] for key in sorted(recorded)},
    }
    DURATIONS.write_text(json.dumps(table, indent=1) + "\n")


def _session_file(path: Path) -> Path:
    SESSION_FILES.add(path.resolve())
    return path


@pytest.fixture(scope="session")
def small_db(tmp_path_factory) -> Path:
    """A small generated database (80 trial + 300 registry patients), for query and page tests."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    return _session_file(generator.write_db(path, seed=7, params=SMALL_PARAMS))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The default demo cohort, exactly as `make demo-data` builds it."""
    return _session_file(generator.write_db(tmp_path_factory.mktemp("demo") / "pts_outcomes.duckdb"))


@pytest.fixture
def small_con(small_db):
    # Same settings as the app: DuckDB refuses a second in-process handle with other settings.
    con = duckdb.connect(str(small_db), read_only=True, config=DUCKDB_CONFIG)
    yield con
    con.close()


@pytest.fixture(scope="session")
def _demo_root(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    yield con
    con.close()


@pytest.fixture(scope="module")
def demo_con(_demo_root):
    """A cursor of its own for each module: DuckDB 2.0 refuses `.table()`, `.sql()` and `.register()` on a
    connection whose last `execute()` result was not read to its end (a `fetchone()`, even of a count), so one
    module's count failed whichever module ran next on that worker (CI, stop 40). Within a module the order is
    fixed, so such a failure shows on every run, not by the luck of the schedule."""
    cursor = _demo_root.cursor()
    yield cursor
    cursor.close()


@pytest.fixture(scope="session")
def one_patient_db(tmp_path_factory) -> Path:
    """A database with a single (registry) patient: every comparison is impossible."""
    params = replace(SynthParams(), trial_patients=0, registry_patients=1)
    return _session_file(generator.write_db(tmp_path_factory.mktemp("one") / "one.duckdb", seed=3, params=params))
