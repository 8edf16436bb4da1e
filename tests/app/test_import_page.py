"""The Import page in AppTest: usable when the served file is broken or missing, switched off by the
operator's setting, and an import from files on disk shows its report."""

from pathlib import Path

import duckdb

from tests import broken_files
from tests.app.test_pages import _texts


def _import_page(app_on, db: Path):
    at = app_on(db).run()
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception, at.exception
    return at


def test_the_import_page_works_when_the_served_file_is_broken(app_on, demo_db, tmp_path):
    broken = broken_files.build(
        next(b for b in broken_files.ERRORS if b.name == "duplicated patients"), demo_db, tmp_path
    )
    at = _import_page(app_on, broken)
    text = _texts(at)
    assert [h.value for h in at.header] == ["Import your data"] and "cannot be used" not in text
    assert at.selectbox(key="import_profile").options[0] == "contract"
    assert at.button(key="import_run").disabled  # nothing uploaded yet


def test_a_missing_database_page_offers_the_import(app_on, tmp_path):
    at = app_on(tmp_path / "none.duckdb").run()
    assert not at.exception
    assert "The outcomes database cannot be used" in _texts(at)
    assert any("Import" in link.proto.label for link in at.get("page_link"))
    at = _import_page(app_on, tmp_path / "none.duckdb")
    assert [h.value for h in at.header] == ["Import your data"]


def test_the_operator_can_switch_in_app_import_off(app_on, small_db, monkeypatch):
    monkeypatch.setenv("PTS_IMPORT_IN_APP", "0")
    at = _import_page(app_on, small_db)
    assert [i.value for i in at.info] == [
        "**Importing in the browser is switched off on this server** (`[import] in_app` in pts_explorer.toml). "
        "Whoever runs the app imports from the command line:"
    ]
    assert not at.button  # no way to replace the data here
    assert "python -m pts_explorer.importer" in "".join(c.value for c in at.code)


def test_an_imported_file_shows_where_it_came_from(app_on, small_db, tmp_path):
    from pts_explorer.importer import run_import
    from pts_explorer.importer.examples import write_examples

    write_examples(small_db, tmp_path / "examples")
    out = tmp_path / "imported.duckdb"
    report = run_import("adam", sorted((tmp_path / "examples" / "adam").iterdir()), out, progress=lambda _: None)
    at = app_on(out).run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    with duckdb.connect(str(out), read_only=True) as con:
        when, version = con.execute("SELECT imported_at, importer_version FROM import_info").fetchone() or (None, None)
    said = (
        f"Imported {when:%Y-%m-%d %H:%M} UTC with profile **adam v1** (importer {version}); "
        f"{report.warnings:,} warning(s) stored, listed on Data checks."
    )
    assert [c.value for c in at.caption if c.value.startswith("Imported ")] == [said]
    manifest = at.dataframe[-1].value  # the last table on the page
    assert set(manifest["Source file"]) == {"adae.xpt", "adqs.xpt", "adsl.xpt", "adtte.xpt", "dataset.toml"}
    at.switch_page("app_pages/data_checks.py").run()
    reconciliation = at.dataframe[0].value  # no finding: the first table is the reconciliation
    assert list(reconciliation["Event status differs"]) == [0]  # the sponsor's patency equals the app's


def test_the_problems_table_shows_each_message_whole(app_on, small_db, tmp_path):
    """Review finding 12: the Problems table cut long messages at the column's width (the whole text
    only in the expander and the CSV). Each cell now holds the whole message, wrapped; the table is
    Markdown, so the cell is the message escaped, and reads (without its escapes) as the message."""
    import re

    from pts_explorer.importer import Options, run_import

    folder = Path(__file__).resolve().parents[1] / "fixtures" / "deaths" / "contract"
    report = run_import(
        "contract",
        sorted(folder.glob("*.csv")),
        tmp_path / "checked.duckdb",
        Options(synthetic=True, name="wording", check_only=True),
        progress=lambda _: None,
    )
    assert [len(r.message) > 150 for r in report.rules] == [True]  # longer than a grid cell of 400 px shows
    at = app_on(small_db).run()
    at.switch_page("app_pages/import_data.py").run()
    at.session_state["import_report"] = report
    at.run()
    assert not at.exception, at.exception
    (table,) = [t.value for t in at.table]
    shown = [re.sub(r"\\(.)", r"\1", cell) for cell in table["What is wrong, and what to do"]]
    assert shown == [r.message for r in report.rules]
    assert list(table["Count"]) == [f"{r.count:,}" for r in report.rules]
