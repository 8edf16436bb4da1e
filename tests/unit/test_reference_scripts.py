"""Every reference CSV that holds R output has the R script beside it that writes it, and each
script names the R packages and versions it ran with (issue 25, item 5). Cheap: R is not run here;
docs/reference-values.md says how to rerun the scripts.

A CSV in tests/reference is either the `# Output:` of a script there, or an input written from
the app and listed as such in tests/reference/README.md; any other CSV fails."""

import re
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SCRIPTS = sorted(REFERENCE.glob("*.R"))
HEADER = re.compile(r"^# (Packages|Input|Output|Run from the repository root): (.*)$", re.M)
PACKAGE = re.compile(r"\b([A-Za-z][A-Za-z0-9.]*) (\d+(?:[.-]\d+)+)\b")  # "nlme 3.1-162"
LIBRARY = re.compile(r"^\s*library\((\w+)\)", re.M)
APP_INPUTS = "## Inputs written from the app"


def _header(script: Path) -> dict[str, str]:
    return dict(HEADER.findall(script.read_text(encoding="utf-8")))


def _names(line: str) -> list[str]:
    return re.findall(r"tests/reference/([\w.-]+)", line)


def _outputs() -> dict[str, Path]:
    written: dict[str, Path] = {}
    for script in SCRIPTS:
        for name in _names(_header(script).get("Output", "")):
            assert name not in written, f"{name} is the output of {written[name].name} and {script.name}"
            written[name] = script
    return written


def _app_inputs() -> set[str]:
    text = (REFERENCE / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^{APP_INPUTS}[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, f"tests/reference/README.md has no section {APP_INPUTS!r}"
    return set(re.findall(r"^- `([\w.-]+\.csv)`", section.group(1), re.M))


def _versions() -> dict[str, str]:
    lines = (REFERENCE / "R-versions.txt").read_text(encoding="utf-8").splitlines()
    return dict(line.split()[:2] for line in lines if line.strip() and not line.startswith("#"))


def test_there_are_scripts():
    assert {s.name for s in SCRIPTS} >= {"candidate_model.R", "mmrm_trial_villalta.R", "cox_zph_lung.R"}


def test_every_csv_is_a_scripts_output_or_a_listed_input_from_the_app():
    outputs, inputs = set(_outputs()), _app_inputs()
    assert not outputs & inputs, f"listed as app input but written by R: {outputs & inputs}"
    csvs = {p.name for p in REFERENCE.glob("*.csv")}
    assert csvs - outputs - inputs == set(), "a reference CSV without the R script that writes it"
    assert (outputs | inputs) - csvs == set(), "named but not in tests/reference"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_says_how_it_runs_what_it_reads_and_writes(script):
    header = _header(script)
    assert header.get("Run from the repository root") == f"Rscript tests/reference/{script.name}"
    assert _names(header.get("Output", "")), f"{script.name}: no '# Output: tests/reference/<file>' line"
    code = script.read_text(encoding="utf-8")
    for name in _names(header["Output"]):
        assert re.search(rf"write\.csv\(.*\"{re.escape(name)}\"", code), f"{script.name} does not write {name}"
    for name in _names(header.get("Input", "")):
        assert (REFERENCE / name).is_file(), f"{script.name} reads {name}, which is missing"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_names_its_r_packages_and_the_versions_of_r_versions_txt(script):
    named = dict(PACKAGE.findall(_header(script).get("Packages", "")))
    assert "R" in named, f"{script.name}: '# Packages:' does not name the R version"
    loaded = set(LIBRARY.findall(script.read_text(encoding="utf-8")))
    assert loaded <= set(named), f"{script.name} loads {loaded - set(named)} without naming its version"
    versions = _versions()
    for package, version in named.items():
        assert versions.get(package) == version, (
            f"{script.name}: {package} {version}, R-versions.txt says {versions.get(package)}"
        )
