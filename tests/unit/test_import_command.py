"""The command the Import page prints for a saved profile works as printed, pasted in a shell in the
project folder (review 8, finding 4: it said `--profile profiles/x.toml` for a file in
data/profiles/, and the importer answered "use one of adam, contract, ... or a .toml path")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer.command import command_line

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "adam_review8"
SOURCES = " ".join(f"tests/fixtures/adam_review8/{n}" for n in ("adsl.csv", "adqs.csv", "adae.csv"))


def _run_as_printed(printed: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The printed command in a shell in the project folder, its SOURCES... replaced by the files
    (the one part the page leaves to the user) and `--real` added (the files do not say)."""
    assert printed.count("SOURCES...") == 1
    line = printed.replace("SOURCES...", f"--real {SOURCES}").replace("--report-html report.html", "--quiet")
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` is the project's
    return subprocess.run(
        ["bash", "-c", line], cwd=PROJECT_ROOT, env={**env, "PATH": path}, capture_output=True, text=True, timeout=300
    )


def test_the_printed_command_works_for_a_profile_saved_beside_a_database_in_the_project(tmp_path):
    data = Path(tempfile.mkdtemp(dir=PROJECT_ROOT / "data", prefix="test-command-"))
    try:
        (data / "profiles").mkdir()
        profile = data / "profiles" / "pts01.toml"
        shutil.copyfile(FIXTURE / "pts01.toml", profile)
        db = data / "served.duckdb"
        printed = command_line(str(profile), db)
        relative = data.relative_to(PROJECT_ROOT).as_posix()
        assert printed == (
            f"python -m pts_explorer.importer --profile {relative}/profiles/pts01.toml --out {relative}/served.duckdb "
            "\\\n    SOURCES... --report-html report.html"
        )
        env = {k: v for k, v in os.environ.items() if k != "PTS_DB"}
        done = _run_as_printed(printed, env)
        assert done.returncode == 0, done.stdout + done.stderr
        first = done.stdout.splitlines()[0]  # the time it took is the machine's: any tenths of a second
        assert re.fullmatch(
            r"Import with profile pts01-adam v1: imported 8 patients into served\.duckdb "
            r"\(0 errors, 13 warnings, \d+\.\d s\)",
            first,
        ), first
        assert db.is_file()
    finally:
        shutil.rmtree(data)


def test_the_printed_command_works_for_a_database_outside_the_project(tmp_path):
    (tmp_path / "profiles").mkdir()
    profile = tmp_path / "profiles" / "pts01.toml"
    shutil.copyfile(FIXTURE / "pts01.toml", profile)
    db = tmp_path / "served.duckdb"
    printed = command_line(str(profile), db)
    assert printed == (
        'python -m pts_explorer.importer --profile "$(dirname "$PTS_DB")"/profiles/pts01.toml --out "$PTS_DB" '
        "\\\n    SOURCES... --report-html report.html"
    )
    done = _run_as_printed(printed, {**os.environ, "PTS_DB": str(db)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert db.is_file()


def test_a_toml_path_that_is_not_there_is_said_so():
    done = subprocess.run(
        [sys.executable, "-m", "pts_explorer.importer", "--profile", "profiles/x.toml", "--out", "unused.duckdb",
         "--quiet", f"{FIXTURE}/adsl.csv"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines()[1] == (
        "  ERROR: x.toml: no file 'profiles/x.toml' (a relative path is read from the folder the import runs in, "
        f"{PROJECT_ROOT}) [profile, 1]"
    )
