"""The test tiers of tests/tiers.py: each marker is registered, each slow test named there exists,
every test that needs Spark is in the spark tier, and HYPOTHESIS_PROFILE picks the number of examples."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pts_explorer.config import PROJECT_ROOT
from tests.tiers import SLOW, SPREAD, load_durations, longest_first, tiers

TESTS = PROJECT_ROOT / "tests"


def test_every_tier_is_a_registered_marker_and_make_test_fast_leaves_each_out():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    registered = {m.split(":")[0] for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert registered == {"browser", "spark", "slow"}
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert '-m "not browser and not spark and not slow"' in makefile


def test_make_test_spreads_the_modules_over_the_workers_with_the_spark_tests_on_one():
    """`make test` and `make test-fast` run on one pytest-xdist worker per core; `--dist loadgroup`
    keeps each xdist_group on one worker: a module's tests (its fixtures built once), every Spark
    test, and no group for the modules in SPREAD, whose tests go out one by one."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("test", "test-fast"):
        recipe = makefile.split(f"\n{target}:")[1].split("\n\n")[0]
        assert "-n $(WORKERS) --dist loadgroup" in recipe, target
    code = (
        "import pytest\n"
        "class Groups:\n"
        "    def pytest_collection_finish(self, session):\n"
        "        for item in session.items:\n"
        "            marker = item.get_closest_marker('xdist_group')\n"
        "            print('GROUP', item.nodeid.split('::')[0], marker.args[0] if marker else None)\n"
        "pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', "
        "'tests/unit/test_spark.py', 'tests/unit/test_portability.py', 'tests/app/test_settings_walk.py'], "
        "plugins=[Groups()])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    groups = {tuple(line.split()[1:]) for line in result.stdout.splitlines() if line.startswith("GROUP ")}
    assert groups == {
        ("tests/unit/test_spark.py", "spark"),
        ("tests/unit/test_portability.py", "tests/unit/test_portability.py"),
        ("tests/app/test_settings_walk.py", "None"),
    }, result.stdout + result.stderr
    assert all((PROJECT_ROOT / path).is_file() for path in SPREAD)


def test_under_loadgroup_each_module_runs_whole_on_one_worker_in_its_order():
    """Run as `make test` runs (two workers, --dist loadgroup): every test of a module ran on one worker, in
    the order collected. Under pytest 9, pytest-xdist's own loadgroup put each test in a group of its own
    (its "@group" node-id suffix no longer takes), so a module's tests were spread over both workers and
    ran out of order: a module whose tests build on each other (one server, one audit trail) failed in CI."""
    modules = ["tests/unit/test_docs.py", "tests/unit/test_audit.py"]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder", "-v"]
        + ["-p", "no:cacheprovider", *modules],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *modules],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout.splitlines()
    workers: dict[str, set[str]] = {}
    order: dict[str, list[str]] = {}
    for line in ran.stdout.splitlines():  # "[gw1] [ 10%] PASSED tests/unit/test_docs.py::test_x "
        parts = line.split(" PASSED ")
        if len(parts) == 2 and line.startswith("[gw"):
            nodeid = parts[1].strip()
            module = nodeid.split("::")[0]
            workers.setdefault(module, set()).add(line.split("]")[0] + "]")
            order.setdefault(module, []).append(nodeid)
    assert {module: len(found) for module, found in workers.items()} == {module: 1 for module in modules}, ran.stdout
    for module in modules:
        assert order[module] == [line for line in collected if line.startswith(module + "::")], ran.stdout


def test_make_test_prints_where_the_time_goes():
    """CI runs `make test`: its log lists the 25 slowest test phases (setup, call and teardown)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest:")[1].split("\n\n")[0]
    pytest_line = next(line for line in recipe.splitlines() if "-m pytest" in line)
    assert pytest_line.split()[-1] == "--durations=25", pytest_line


@pytest.mark.parametrize("nodeid", list(SLOW))
def test_each_slow_test_exists(nodeid):
    path, name = nodeid.split("::")
    tree = ast.parse((PROJECT_ROOT / path).read_text())
    assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, nodeid
    assert tiers(f"{nodeid}[a parameter]") >= {"slow"}


def test_every_test_module_that_starts_spark_is_in_the_spark_tier():
    starting = [
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in TESTS.rglob("test_*.py")
        if p != Path(__file__)
        and any(
            mark in p.read_text()
            for mark in ("spark.check_available()", "import pyspark", "require_spark()", "test_spark.engines")
        )
    ]
    # the query comparison, the study restriction on Spark (its fixture) and the app on Spark in Chromium
    assert len(starting) >= 3, starting
    assert all("spark" in tiers(f"{path}::test") for path in starting), starting


def test_only_those_are_in_the_spark_tier():
    portability = "tests/unit/test_portability.py::test_the_portability_rules_hold"  # sqlglot only: the inner loop
    assert tiers(portability) == set()
    assert tiers("tests/browser/test_spark_in_chromium.py::test_x[overview]") == {"browser", "spark"}
    assert tiers("tests/browser/test_first_screen.py::test_x") == {"browser"}


def _examples(profile: str) -> subprocess.CompletedProcess:
    code = "from hypothesis import settings; from tests.tiers import examples; "
    code += "print(examples(300), settings().max_examples)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"HYPOTHESIS_PROFILE": profile, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("profile", "shown"), [("full", "300 100"), ("quick", "30 10"), ("", "300 100")])
def test_the_hypothesis_profile_sets_the_number_of_examples(profile, shown):
    result = _examples(profile)
    assert result.stdout.split() == shown.split(), result.stderr


def test_an_unknown_profile_is_refused():
    result = _examples("fast")
    assert result.returncode != 0 and "HYPOTHESIS_PROFILE='fast': the profiles are full, quick" in result.stderr


def test_conftest_marks_the_collected_tests():
    """The markers reach the tests pytest collects: `-m spark` keeps test_spark's tests only."""
    files = ["tests/unit/test_spark.py", "tests/unit/test_portability.py"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", "spark", *files],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    collected = [line.split("::")[0] for line in result.stdout.splitlines() if "::" in line]
    assert collected and set(collected) == {"tests/unit/test_spark.py"}, result.stdout + result.stderr


def test_the_groups_that_took_longest_run_first_each_whole():
    """pytest-xdist hands the groups out in the order collected (the Makefile's --no-loadscope-reorder):
    longest first by the recorded table, each group's tests together in their own order; a module not
    recorded counts as its tests times the median seconds per test of its folder's recorded modules."""
    nodeids = [
        "tests/unit/test_a.py::one",
        "tests/unit/test_a.py::two",
        "tests/unit/test_new.py::one",
        "tests/unit/test_new.py::two",
        "tests/unit/test_new.py::three",
        "tests/browser/test_b.py::one",
        "tests/unit/test_spark.py::parity[everyone]",
        "tests/app/test_settings_walk.py::walk[0]",  # SPREAD: one module's tests, each its own xdist group
        "tests/browser/test_spark_in_chromium.py::same[overview]",
        "tests/app/test_settings_walk.py::walk[1]",
        "tests/browser/test_new.py::one",
    ]
    recorded = {
        "tests/unit/test_a.py": {"seconds": 4.0, "tests": 2},  # 2 s a test: test_new.py's 3 tests count 6 s
        "tests/unit/test_other.py": {"seconds": 2.0, "tests": 1},
        "tests/browser/test_b.py": {"seconds": 5.0, "tests": 1},  # test_new.py's one test counts 5 s, after it
        "spark": {"seconds": 400.0, "tests": 9},
        "tests/app/test_settings_walk.py": {"seconds": 160.0, "tests": 4},
    }
    order = [nodeids[i] for i in longest_first(nodeids, recorded)]
    assert order == [
        "tests/unit/test_spark.py::parity[everyone]",
        "tests/browser/test_spark_in_chromium.py::same[overview]",
        "tests/app/test_settings_walk.py::walk[0]",
        "tests/app/test_settings_walk.py::walk[1]",
        "tests/unit/test_new.py::one",
        "tests/unit/test_new.py::two",
        "tests/unit/test_new.py::three",
        "tests/browser/test_b.py::one",
        "tests/browser/test_new.py::one",
        "tests/unit/test_a.py::one",
        "tests/unit/test_a.py::two",
    ]
    assert sorted(longest_first(nodeids, {})) == list(range(len(nodeids)))  # no table: every test still runs


def test_the_recorded_table_names_the_groups_as_run():
    """tests/durations.json (written by `make durations`) is keyed as tests/tiers.py groups the tests."""
    recorded = load_durations()
    assert "spark" in recorded and all(k == "spark" or (PROJECT_ROOT / k).suffix == ".py" for k in recorded)
    assert all(entry["seconds"] >= 0 and entry["tests"] >= 1 for entry in recorded.values())
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("test", "test-fast", "durations"):
        recipe = makefile.split(f"\n{target}:")[1].split("\n\n")[0]
        assert "--dist loadgroup --no-loadscope-reorder" in recipe, target
    assert "--record-durations" in makefile.split("\ndurations:")[1].split("\n\n")[0]
