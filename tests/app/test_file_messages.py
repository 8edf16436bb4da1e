"""What the pages say about the data file names it relative to the data folder (never the server's
path), and a file another program holds open for writing is called that, not 'not a DuckDB
database' (#24 items 9 and 10)."""

import os
import re
import shutil
import subprocess
import sys

import duckdb

from pts_explorer.config import DUCKDB_CONFIG, PROJECT_ROOT
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
        # Only what fits a file in use: no demo to build, no import, no other file to point at.
        # The main area: the sidebar keeps its page menu (a way elsewhere).
        assert [m.value for m in at.main.markdown] == [
            "Nothing is wrong with the file itself. Once the other program has closed it (or finished writing), "
            "reload this page. The app is looking at `held.duckdb` (from $PTS_DB)."
        ]
        assert [c.value for c in at.code] == []
        assert "Open the Import page" not in [link.proto.label for link in at.get("page_link")]
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


def test_the_workspace_error_names_no_server_path(app_on, demo_db, workspace_file):
    workspace_file.write_bytes(b"not a database" * 50)
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    text = _texts(at)
    said = r"The saved cohorts' workspace \(workspace.sqlite\) cannot be used\: file is not a database."  # escaped
    assert said in text
    assert _paths_in(text, workspace_file.parent) == []


def _import_page(app_on, db):
    at = app_on(db).run()
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception, at.exception
    return at


def test_the_import_command_names_no_server_path(app_on, demo_db, tmp_path):
    served = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, served)
    at = _import_page(app_on, served)
    assert [c.value for c in at.code] == [
        'python -m pts_explorer.importer --profile contract --out "$PTS_DB" \\\n'
        "    dataset_info.csv studies.csv patients.csv visits.csv procedures.csv events.csv --report-html report.html"
    ]
    assert _paths_in(_texts(at), tmp_path) == []


def test_the_upload_limit_and_its_setting_are_said(app_on, demo_db):
    at = _import_page(app_on, demo_db)
    captions = [c.value for c in at.caption]
    assert (
        "Up to 200 MB per file in the browser: a larger file is refused before it reaches the server (a red note "
        "under it). Whoever runs the app can raise the limit with `server.maxUploadSize` (in MB) in "
        "`.streamlit/config.toml`, or import large files from the command line, faster and without an upload:"
    ) in captions


def _upload_examples(at, small_db, tmp_path):
    from pts_explorer.importer.examples import write_examples

    write_examples(small_db, tmp_path / "examples")
    at.selectbox(key="import_profile").set_value("adam").run()
    uploader = at.file_uploader(key="import_files")
    for path in sorted((tmp_path / "examples" / "adam").iterdir()):
        uploader.upload(path.name, path.read_bytes(), "application/octet-stream")
    return at.run()


def test_the_success_message_names_the_file_not_its_folder(app_on, demo_db, small_db, tmp_path):
    served = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, served)
    at = _upload_examples(_import_page(app_on, served), small_db, tmp_path)
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    [success] = [s.value for s in at.success]
    with duckdb.connect(str(small_db), read_only=True, config=DUCKDB_CONFIG) as con:
        # The ADaM example is the trial's (one study: a sponsor's package), so its patients are the trial's.
        (patients,) = con.execute(
            "SELECT count(*) FROM patients JOIN studies USING (study_id) WHERE design = 'randomized'"
        ).fetchone()
    taken = re.fullmatch(
        rf"\*\*Imported {patients} patients into served\.duckdb \(0 errors, 0 warnings, (\d+\.\d) s\)\*\*\. "
        r"Every page now shows the new data\.",
        success,
    )
    assert taken, success  # the whole message; only the seconds it took are read, not known
    assert _paths_in(_texts(at), tmp_path) == []


def test_a_full_disk_while_writing_the_new_file_is_said(app_on, demo_db, small_db, tmp_path, monkeypatch):
    """The disk fills while DuckDB writes the new file beside the served one: the importer's
    builder raises what DuckDB raised on a 2 MiB tmpfs (tried by hand; a test cannot mount one)."""
    import duckdb

    from pts_explorer.importer import pipeline

    served = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, served)
    before = served.read_bytes()

    def full(con, tmp, *args):
        raise duckdb.IOException(
            f'IO Error: Checkpoint failed for database "build". The database has been invalidated. Original '
            f'error: Could not write file "{tmp}": No space left on device'
        )

    monkeypatch.setattr(pipeline, "_build", full)
    at = _upload_examples(_import_page(app_on, served), small_db, tmp_path)
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "**The disk is full: the import stopped, and served.duckdb was not changed.** There is no space left in "
        "the data folder, beside `served.duckdb`: an import writes the new file there before it replaces the old "
        "one, so it needs about as much free space as the new file. Old copies such as `served.previous.duckdb` "
        "(the last import's undo) can go. Whoever runs the app frees space there and imports again; the command "
        "line says the same (`No space left on device`)."
    ]
    assert "Something went wrong" not in _texts(at)
    assert served.read_bytes() == before


def test_a_full_disk_while_saving_the_upload_is_said(app_on, demo_db, small_db, tmp_path, monkeypatch):
    """The disk of the temporary folder fills while the upload is saved: the writer raises ENOSPC."""
    import errno

    from pts_explorer import ui

    def full(uploads, folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / uploads[0].name))

    monkeypatch.setattr(ui, "save_uploads", full)
    at = _upload_examples(_import_page(app_on, demo_db), small_db, tmp_path)
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    target = demo_db.name.replace("_", "\\_")  # the served file, its name as Markdown shows it
    assert [e.value for e in at.error] == [
        f"**The disk is full: the import stopped, and {target} was not changed.** There is no space left in the "
        "server's temporary folder (`$TMPDIR`, where uploads and the import's staging database are written while "
        "it runs): the import needs about twice the size of the uploaded files there. Whoever runs the app frees "
        "space there and imports again; the command line says the same (`No space left on device`)."
    ]


def test_the_spark_engine_message_names_no_server_path(app_on, demo_db, tmp_path, monkeypatch):
    served = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, served)
    monkeypatch.setenv("PTS_ENGINE", "spark")
    monkeypatch.delenv("PTS_SPARK_DATABASE", raising=False)
    at = app_on(served).run()
    assert not at.exception, at.exception
    [error] = [e.value for e in at.error]
    assert error == (
        "**The outcomes database cannot be used.** PTS_ENGINE=spark reads a directory of Parquet tables, and "
        "served.duckdb is not one: run `make export-parquet` and point PTS_DB at data/parquet (or name a catalog "
        "in PTS_SPARK_DATABASE)."
    )
    assert _paths_in(_texts(at), tmp_path) == []
