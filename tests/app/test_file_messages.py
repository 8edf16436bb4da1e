"""What the pages say about the data file names it relative to the data folder (never the server's
path), and a file another program holds open for writing is called that, not 'not a DuckDB
database' (#24 items 9 and 10)."""

import os
import shutil
import subprocess
import sys

from pts_explorer.config import PROJECT_ROOT
from tests.app.test_pages import _texts


def _paths_in(text: str, *folders) -> list[str]:
    return [str(f) for f in (*folders, PROJECT_ROOT) if str(f) in text]


def test_the_cannot_be_used_page_names_no_server_path(app_on, tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    at = app_on(bad).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "**The outcomes database cannot be used.** bad.duckdb could not be opened as a DuckDB database."
    ]
    text = _texts(at) + "\n".join(t.value for t in at.text)
    assert _paths_in(text, tmp_path) == []
    assert "The app is looking at `bad.duckdb` (from $PTS_DB)." in text
    assert "--out data/pts_outcomes.duckdb" in text


def test_a_missing_file_is_named_without_its_folder(app_on, tmp_path):
    at = app_on(tmp_path / "absent.duckdb").run()
    assert [e.value for e in at.error] == [
        "**The outcomes database cannot be used.** No outcomes database at absent.duckdb."
    ]
    assert _paths_in(_texts(at), tmp_path) == []


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # a write connection: DuckDB locks the file for this process
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin
"""


def test_a_file_held_open_for_writing_is_said_to_be_in_use(app_on, demo_db, tmp_path):
    held = tmp_path / "held.duckdb"
    shutil.copyfile(demo_db, held)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(held)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        at = app_on(held).run()
        assert not at.exception
        assert [e.value for e in at.error] == [
            "**The outcomes database cannot be used.** held.duckdb is in use by another program, which holds it "
            "open for writing (DuckDB lets no other process read a file while one writes to it). Close that "
            "program's connection (a DuckDB shell, a notebook, a script), or have it open the file read-only, "
            "then reload this page."
        ]
        said = "\n".join(t.value for t in at.text)
        assert said == f"The program holding it: {holder_name()} (process {holder.pid})."
        assert "not a DuckDB database" not in _texts(at) and "could not be opened" not in _texts(at)
        assert _paths_in(_texts(at) + said, tmp_path) == []
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    at.run()  # the other program let go: the next run opens the file (the lock was not kept as its verdict)
    assert not at.exception
    assert not at.error
    assert at.metric or at.get("plotly_chart") or "Synthetic demo data" in _texts(at)


def holder_name() -> str:
    """The name DuckDB gives the holding process: its executable's file name."""

    return os.path.basename(os.path.realpath(sys.executable))
