"""An import killed with SIGKILL (issue 24, item 4) at four moments: while reading, mapping and
checking (the command-line importer, killed when it says it reached that step), and while the new
database is being built beside the live one. Each time the live file keeps its exact bytes; what
the killed process left (its staging database, its half-built file and WAL) is in this user's
private folder (mode 0700) or beside the target, and the next import removes it."""

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer.examples import write_examples


@pytest.fixture(scope="module")
def contract_csvs(small_db, tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("killed_examples")
    write_examples(small_db, out)
    return sorted((out / "contract").iterdir())


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp)}


def _import_command(target: Path, sources: list[Path]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pts_explorer.importer",
        "--profile",
        "contract",
        "--synthetic",
        "--out",
        str(target),
        *map(str, sources),
    ]


def _private(tmp: Path) -> Path:
    return tmp / f"pts_explorer-{os.getuid()}"


def _kill_when_it_says(command: list[str], env: dict[str, str], line_start: str) -> int:
    """Run `command`; SIGKILL it as soon as its progress (stderr) prints a line starting so."""
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    seen = []
    assert child.stderr is not None
    for raw in child.stderr:
        line = raw.decode()
        seen.append(line)
        if line.startswith(line_start):
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    assert child.returncode == -signal.SIGKILL, f"it finished before {line_start!r}: {seen}"
    return child.pid


# A child that builds the new file (DuckDB writes the file and its WAL) and is killed mid-build.
BUILDER = """
import sys, time
from pathlib import Path
import duckdb
from pts_explorer.atomic import write_atomically

def build(tmp):
    con = duckdb.connect(str(tmp))
    con.execute("CREATE TABLE patients AS SELECT range AS patient_id FROM range(1000)")
    print("building", file=sys.stderr, flush=True)
    time.sleep(600)

write_atomically(Path(sys.argv[1]), build)
"""


@pytest.mark.parametrize("moment", ["… read ", "… mapping onto", "… checking every rule", "building"])
def test_an_import_killed_mid_way_leaves_the_live_file_and_nothing_the_next_import_keeps(
    moment, contract_csvs, small_db, tmp_path
):
    tmp, data = tmp_path / "tmp", tmp_path / "data"
    tmp.mkdir()
    data.mkdir()
    target = data / "pts_outcomes.duckdb"
    shutil.copyfile(small_db, target)
    before = target.read_bytes()
    if moment == "building":
        pid = _kill_when_it_says([sys.executable, "-c", BUILDER, str(target)], _env(tmp), moment)
        leftovers = sorted(p.name for p in data.iterdir() if p.name != target.name)
        assert leftovers == [f".{target.name}.building-{pid}", f".{target.name}.building-{pid}.wal"]
    else:
        pid = _kill_when_it_says(_import_command(target, contract_csvs), _env(tmp), moment)
        (staging,) = _private(tmp).iterdir()
        assert staging.name.startswith(f"import-{pid}-") and (staging / "staging.duckdb").exists()
    assert target.read_bytes() == before  # the live file: its exact bytes
    assert moment == "building" or stat.S_IMODE(_private(tmp).stat().st_mode) == 0o700

    # The next import (a check is enough) removes what the killed one left, and only that.
    done = subprocess.run(
        [*_import_command(target, contract_csvs), "--check", "--quiet"],
        cwd=PROJECT_ROOT,
        env=_env(tmp),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in data.iterdir()) == [target.name]
    assert list(_private(tmp).iterdir()) == []
    assert target.read_bytes() == before


def test_a_live_process_work_is_never_swept(tmp_path, monkeypatch):
    from pts_explorer import atomic

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    mine = atomic.work_dir("import")
    (tmp_path / "data").mkdir()
    building = tmp_path / "data" / f".x.duckdb.building-{os.getpid()}"
    building.write_bytes(b"")
    assert atomic.sweep_leftovers(tmp_path / "data") == []
    assert mine.exists() and building.exists()
    assert stat.S_IMODE(atomic.private_dir().stat().st_mode) == 0o700
