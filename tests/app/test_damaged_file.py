"""A damaged outcomes file (zeros written over some of its bytes, as a disk fault or an edit in
place leaves it) is named on every page: one "the data file is damaged" page, never numbers from
it, never the generic error box (#24 item 8).

The damage is made here, by hand, on a copy of the demo file: 256 KiB of zeros at several offsets,
and once over the block of one derived table only (the file then passed the contract checks and
four pages showed numbers)."""

import shutil

import duckdb
import pytest

from pts_explorer.config import DATA_PAGES
from tests.app.test_pages import _texts

HEADERS = 3 * 4096  # a DuckDB file: a main header and two database headers, then its blocks
ZEROS = b"\0" * 262144


def _zero(path, offsets):
    with open(path, "r+b") as f:
        for offset in offsets:
            f.seek(offset)
            f.write(ZEROS)


def _block_of(path, table: str) -> int:
    """The byte offset of the first block holding `table`'s data (DuckDB's storage info)."""
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{path}' AS f (READ_ONLY)")
    size = con.execute("SELECT block_size FROM pragma_database_size() WHERE database_name = 'f'").fetchone()[0]
    block = con.execute(f"SELECT min(block_id) FROM pragma_storage_info('f.main.{table}') WHERE block_id >= 0")
    block_id = block.fetchone()[0]
    con.close()
    return HEADERS + block_id * size


@pytest.fixture(scope="module")
def damaged(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    several = folder / "several.duckdb"
    shutil.copy(demo_db, several)
    size = several.stat().st_size
    _zero(several, [size // 5, size // 2, size * 4 // 5])
    derived_only = folder / "derived_only.duckdb"
    shutil.copy(demo_db, derived_only)
    _zero(derived_only, [_block_of(derived_only, "agg_responder_cells")])
    return {"several": several, "derived_only": derived_only}


EXPECTED = "**The data file {name} is damaged.**"  # the name escaped for Markdown (its underscore)


@pytest.mark.parametrize("which", ["several", "derived_only"])
@pytest.mark.parametrize("page", [p.name for p in DATA_PAGES])
def test_every_page_names_the_damaged_file(app_on, damaged, which, page):
    at = app_on(damaged[which])
    (at if page == "home" else at.switch_page(f"app_pages/{page}.py")).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [EXPECTED.format(name=damaged[which].name.replace("_", "\\_"))]
    text = _texts(at)
    assert "Something went wrong" not in text
    assert "restores the file from a backup" in text
    assert str(damaged[which].parent) not in text  # no server path
    assert not at.get("plotly_chart") and not at.metric and not at.dataframe  # no number from this file
    assert "Synthetic demo data" not in text


def test_a_damaged_block_met_by_a_page_query_shows_the_same_page(app_on, demo_db, monkeypatch):
    """Damage the check on opening did not meet (the file damaged while served, its blocks already
    checked): a query raises DuckDB's corruption error, and the page says the file is damaged
    instead of the generic error box."""
    import duckdb

    from pts_explorer import db

    at = app_on(demo_db).run()
    assert not at.exception and not at.error

    def damaged_query(*args, **kwargs):
        raise duckdb.Error(
            "Corrupt database file: computed checksum 5381 does not match stored checksum 0 in block at location 536576"
        )

    monkeypatch.setattr(db, "run_query", damaged_query)
    at.switch_page("app_pages/responders.py").run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [EXPECTED.format(name=demo_db.name.replace("_", "\\_"))]
    assert "Something went wrong" not in _texts(at)
