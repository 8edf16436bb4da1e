"""The test tiers: which tests `make test-fast` leaves out, and how many examples a property test runs.

Markers (registered in pyproject.toml, applied by tests/conftest.py):
- browser: everything under tests/browser (a real `streamlit run` and Debian's Chromium);
- spark: the test modules named test_spark* (Spark local mode: the Spark extra and Java 17);
- slow: each test in SLOW, one that took more than 20 s on its own (all its parameters together) on this
  project's 2-core machine.
`make test-fast` runs `-m "not browser and not spark and not slow"`; `make test` runs every test.

Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (the Makefile sets it): `full`, what `make test` and
CI run, every property test at the number of examples it names; `quick`, the inner loop, a tenth of
them (never fewer than 10). Both are derandomized: the same cases on every run, so a failure is
reproducible.
"""

import json
import os
import statistics
from pathlib import Path, PurePosixPath

from hypothesis import settings

SLOW_SECONDS = 20
# "path::test" (every parameter of the test), with what it took alone: CPU seconds of the test's own call
# (with its subprocesses), measured file by file under the quick profile, the machine being shared.
SLOW = {
    "tests/app/test_settings_walk.py::test_every_path_of_three_pages_keeps_every_setting": "about 5 min",
    # 56 AppTest page runs (4 hostile queries x 14 pages); the inner loop keeps the parser's own property
    # test (tests/unit/test_hostile_url_values.py). 3 min with -n 2 at load 5-8.
    "tests/app/test_hostile_urls.py::test_hostile_urls_never_break_a_page": "about 3 min",
    # the demo's export in every import profile's format (about 90 s to write), then one import of each
    "tests/unit/test_importer.py::test_each_example_export_imports_back_into_identical_tables": "about 2 min",
    # Measured in one AppTest run with -n 2 at load 15-22 (wall seconds of all parameters, about five times
    # the CPU seconds the test takes alone; the settings walk took 890 s so, 220 s alone).
    "tests/app/test_reproduce_bundles.py::test_the_bundle_reproduces_the_numbers_on_the_page": "712 s at load 20",
    "tests/app/test_small_cells.py::test_no_page_shows_a_count_below_k": "361 s at load 20",
    "tests/app/test_edge_states.py::test_tables_read_like_a_paper": "242 s at load 20",
    "tests/app/test_import_sdtm_assistant.py::"
    "test_a_refused_sdtm_delivery_becomes_an_import_by_the_assistants_choices": "108 s at load 20",
}


# Modules whose tests pytest-xdist hands out one by one: each test starts from nothing of its own module.
# Every other module runs whole on one worker (`--dist loadgroup`, the group being its path), so a
# module- or session-scoped fixture of it is built once per run, not once per worker; the Spark tests
# all run on one worker (the group "spark"), so one Spark JVM runs at a time.
SPREAD = {"tests/app/test_settings_walk.py", "tests/app/test_hostile_urls.py"}


def group(nodeid: str) -> str | None:
    """The xdist group of a test (its pytest node id): the tests of a group run on one worker."""
    path = nodeid.split("::")[0]
    if "spark" in tiers(nodeid):
        return "spark"
    return None if path in SPREAD else path


# The seconds each group took (a module, the Spark tests, or a SPREAD module: tests/durations.json), so that
# pytest-xdist starts the longest first and the two workers finish together. The groups are handed out as
# collected (the Makefile's --no-loadscope-reorder): xdist's own order, by number of tests, says nothing of
# their cost (the Spark group's 9 tests, about 8 minutes, came 80th of 279; the settings walk's four tests of
# 35-45 s each and a one-test browser module of 46 s came among the last). `make durations` records the table.
DURATIONS = Path(__file__).with_name("durations.json")


def scope(nodeid: str) -> str:
    """The key a test's recorded time is kept under: its xdist group, or its module's path (SPREAD)."""
    return group(nodeid) or nodeid.split("::")[0]


def load_durations(path: Path = DURATIONS) -> dict[str, dict[str, float]]:
    """{scope: {"seconds": wall seconds of its tests' setup, call and teardown, "tests": how many}}."""
    return json.loads(path.read_text())["scopes"] if path.exists() else {}


def longest_first(nodeids: list[str], recorded: dict[str, dict[str, float]]) -> list[int]:
    """The order to run the tests in (indices into `nodeids`): the scopes that took longest first, each
    scope's tests together in their collected order. A scope not recorded (a new module) is estimated
    at its number of tests times the median seconds per test of the recorded scopes in its folder, or
    one second a test when none of its folder is (xdist's own order, by number of tests, when no
    scope is recorded)."""
    members: dict[str, list[int]] = {}
    for i, nodeid in enumerate(nodeids):
        members.setdefault(scope(nodeid), []).append(i)
    per_test: dict[str, list[float]] = {}
    for key, entry in recorded.items():
        if entry["tests"]:
            per_test.setdefault(str(PurePosixPath(key).parent), []).append(entry["seconds"] / entry["tests"])

    def seconds(key: str) -> float:
        if key in recorded:
            return recorded[key]["seconds"]
        rates = per_test.get(str(PurePosixPath(key).parent)) or [1.0]
        return len(members[key]) * statistics.median(rates)

    ordered = sorted(members, key=lambda key: -seconds(key))  # stable: equal times keep the collected order
    return [i for key in ordered for i in members[key]]


def tiers(nodeid: str) -> set[str]:
    """The markers a test gets from where it lives (its pytest node id)."""
    path = PurePosixPath(nodeid.split("::")[0])
    found = set()
    if path.parts[:2] == ("tests", "browser"):
        found.add("browser")
    if path.name.startswith("test_spark"):
        found.add("spark")
    if nodeid.split("[")[0] in SLOW:
        found.add("slow")
    return found


SHARE = {"full": 1.0, "quick": 0.1}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or "full"
if PROFILE not in SHARE:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE!r}: the profiles are {', '.join(SHARE)}")


def examples(full: int) -> int:
    """The number of examples a property test runs: `full` under the full profile, its share under
    the quick one (never fewer than 10)."""
    return max(10, round(full * SHARE[PROFILE]))


for _name, _share in SHARE.items():
    # A property test that names no number gets the same share of Hypothesis's own default, 100.
    settings.register_profile(_name, max_examples=max(10, round(100 * _share)), deadline=None, derandomize=True)
settings.load_profile(PROFILE)
