"""pyproject.toml's pins and uv.lock agree: every dependency is pinned exactly, at the version the
lock installs, and the lock was written from these pins (uv.lock records what it was resolved
from; `uv lock` after an edit of the pins makes both agree again). The reproducibility bundle pins
the versions the lock installs."""

import tomllib
from collections import defaultdict

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pts_explorer import exports
from pts_explorer.config import PROJECT_ROOT

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
LOCK = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
ROOT = canonicalize_name(PYPROJECT["project"]["name"])


def _pins() -> dict[str, list[str]]:
    """Each role's requirements as written: the runtime, the extras, the dependency groups."""
    project = PYPROJECT["project"]
    roles = {"runtime": project["dependencies"]}
    roles |= {f"extra {name}": reqs for name, reqs in project.get("optional-dependencies", {}).items()}
    roles |= {f"group {name}": reqs for name, reqs in PYPROJECT.get("dependency-groups", {}).items()}
    return roles


def _locked_versions() -> dict[str, set[str]]:
    versions = defaultdict(set)
    for package in LOCK["package"]:
        versions[canonicalize_name(package["name"])].add(package["version"])
    return versions


def _as_locked(requirement: Requirement) -> tuple[str, str, str]:
    """A requirement as uv.lock records it: name, specifier, marker (in single quotes)."""
    marker = str(requirement.marker or "").replace('"', "'")
    return (canonicalize_name(requirement.name), str(requirement.specifier), marker)


def _recorded(entries: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["name"], e.get("specifier", ""), e.get("marker", "")) for e in entries}


def test_there_are_the_roles_the_makefile_installs():
    assert set(_pins()) == {"runtime", "extra spark", "group test", "group lint"}
    assert PYPROJECT["tool"]["uv"]["default-groups"] == []  # a plain `uv sync` (make run) is the runtime only


@pytest.mark.parametrize("role", list(_pins()))
def test_every_requirement_is_pinned_at_the_locked_version(role):
    locked = _locked_versions()
    for text in _pins()[role]:
        requirement = Requirement(text)
        (spec, *more) = requirement.specifier
        assert spec.operator == "==" and not more, f"{role}: {text} is not an exact pin"
        name = canonicalize_name(requirement.name)
        assert locked.get(name) == {spec.version}, f"{role}: {text}, uv.lock has {sorted(locked.get(name, []))}"


def test_the_lock_was_resolved_from_these_pins():
    (root,) = [p for p in LOCK["package"] if p["name"] == ROOT]
    project = PYPROJECT["project"]
    written = {_as_locked(Requirement(t)) for t in project["dependencies"]} | {
        _as_locked(Requirement(f"{t}; extra == '{extra}'"))
        for extra, reqs in project["optional-dependencies"].items()
        for t in reqs
    }
    assert _recorded(root["metadata"]["requires-dist"]) == written, "uv.lock is stale: run `uv lock`"
    groups = {
        group: {_as_locked(Requirement(t)) for t in reqs} for group, reqs in PYPROJECT["dependency-groups"].items()
    }
    recorded = {group: _recorded(reqs) for group, reqs in root["metadata"]["requires-dev"].items()}
    assert recorded == groups, "uv.lock is stale: run `uv lock`"


def test_every_locked_package_is_one_exact_release_with_hashes():
    for package in LOCK["package"]:
        if package["name"] == ROOT:
            continue
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files and all(f["hash"].startswith("sha256:") for f in files), package["name"]


def test_the_reproducibility_bundle_pins_the_locked_versions():
    """The bundle's requirements.txt names the versions installed here; make installs the lock."""
    locked = _locked_versions()
    pinned = exports._pinned_requirements().splitlines()
    assert [line.split("==")[0] for line in pinned] == list(exports.BUNDLED_REQUIREMENTS)
    for line in pinned:
        name, version = line.split("==")
        assert locked[canonicalize_name(name)] == {version}, f"{line}: the venv is not the lock (run make)"


def test_requirements_txt_lists_exactly_the_runtime_pins():
    """requirements.txt (the plain runtime list) holds the same pinned requirements as pyproject's
    [project.dependencies], line for line in the same order: an edit of one without the other fails."""
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    listed = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert listed == PYPROJECT["project"]["dependencies"]
