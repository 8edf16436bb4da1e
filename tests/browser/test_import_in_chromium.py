"""The Import page in Chromium: a malformed upload is rejected with its rule and the live file keeps
its bytes; a clean one replaces the served data; and a file replaced while the server runs is what
the next page load shows (DuckDB would otherwise keep reading the old file, docs/import.md §3)."""

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from pts_explorer.atomic import write_atomically
from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.importer.formats.contract import write_contract
from tests.browser.app_driver import act_and_wait, cohort_total, open_page, wait_idle
from tests.browser.conftest import serving
from tests.browser.import_verdict import expect_verdict
from tests.malformed_sources import CASES


@pytest.fixture(scope="module")
def live_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("live") / "pts_outcomes.duckdb"


@pytest.fixture(scope="module")
def live_server(live_db, small_db):
    shutil.copyfile(small_db, live_db)
    with serving(live_db) as url:
        yield url


@pytest.fixture
def fresh_live(live_db, small_db, live_server) -> Path:
    """The live file back to the small cohort (380 patients) before each test, atomically."""
    write_atomically(live_db, lambda tmp: shutil.copyfile(small_db, tmp))
    return live_db


@pytest.fixture(scope="module")
def contract_examples(small_db, one_patient_db, tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name, source in (("small", small_db), ("one", one_patient_db)):
        folder = tmp_path_factory.mktemp(f"contract_{name}")
        con = duckdb.connect(str(source), read_only=True, config=DUCKDB_CONFIG)
        write_contract(con, folder)
        con.close()
        out[name] = folder
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _upload_and_import(page: Page, files: list[Path], button: str = "Import and replace") -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Profile").click()
    page.get_by_role("option", name="contract", exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    expect(page.get_by_text(files[-1].name).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    act_and_wait(page, lambda: page.get_by_role("button", name=button).click(), timeout=120_000)


def test_a_malformed_upload_is_rejected_with_its_rule_and_the_live_file_unchanged(
    live_server, fresh_live, contract_examples, page, tmp_path
):
    case = next(c for c in CASES if c.name == "vocabulary in another case")
    folder = tmp_path / "upload"
    shutil.copytree(contract_examples["small"], folder)
    case.edit(folder)
    sources = sorted(folder.iterdir())
    before = _digest(fresh_live)
    open_page(page, f"{live_server}/import")
    _upload_and_import(page, sources)
    expect_verdict(page, "rejected", "contract", sources, tmp_path, synthetic=None)
    with page.expect_download() as download:
        page.get_by_role("button", name="Issues (CSV)").click()
    issues = Path(download.value.path()).read_text()
    assert "allowed:patients.arm,patients.csv,2," in issues  # rule, file, line
    assert _digest(fresh_live) == before


def test_a_clean_upload_replaces_the_served_data(live_server, fresh_live, contract_examples, page, tmp_path):
    open_page(page, f"{live_server}/overview")
    assert cohort_total(page) == "380 of 380 patients"
    open_page(page, f"{live_server}/import")
    sources = sorted(contract_examples["one"].iterdir())
    _upload_and_import(page, sources)
    expect_verdict(page, "imported", "contract", sources, tmp_path, synthetic=None)
    open_page(page, f"{live_server}/overview")
    assert cohort_total(page) == "1 of 1 patients"
    assert fresh_live.with_name("pts_outcomes.previous.duckdb").exists()  # the replaced file is kept


def test_a_file_replaced_while_the_server_runs_is_shown_on_the_next_load(live_server, fresh_live, one_patient_db, page):
    open_page(page, f"{live_server}/overview")
    assert cohort_total(page) == "380 of 380 patients"
    write_atomically(fresh_live, lambda tmp: shutil.copyfile(one_patient_db, tmp))
    open_page(page, f"{live_server}/overview")
    assert cohort_total(page) == "1 of 1 patients"
