"""Presenter mode (present=1) and the page exports in AppTest: no controls, one cohort line, large
type, small cells hidden; exports hide small cells too, and what they hold is what the page showed."""

import io
import json
import re
import subprocess
import sys
import zipfile
from urllib.parse import parse_qsl

import pandas as pd
import pytest

from pts_explorer import exports, settings, vocab
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.settings import COHORT_KEYS
from tests.app.test_pages import _texts


def _open(app_on, db, page, query=None):
    at = app_on(db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_present_is_a_url_setting_written_as_1():
    present = settings.SETTINGS["present"]
    assert present.parse(["1"]) is True and present.parse(["true"]) is True and present.parse(["nonsense"]) is False
    assert present.encode(True) == ["1"] and present.encode(False) is None


@pytest.mark.parametrize("page", [p.name for p in ANALYSIS_PAGES])
def test_presenter_mode_shows_the_page_alone_in_large_type(app_on, demo_db, page):
    example = dict(parse_qsl(next(p.example for p in ANALYSIS_PAGES if p.name == page)))
    at = _open(app_on, demo_db, page, {"present": "1", "site": ["common_iliac", "femoral"], **example})
    # No controls but the cohort drawer's (the sidebar's filters, in the line's "Cohort" popover)
    assert not at.selectbox and not at.toggle and not at.number_input and not at.radio
    drawer = [k for k in COHORT_KEYS if k != "ulcer" and k not in vocab.MORE_FILTERS]  # none of More filters is set
    assert sorted(w.key for w in [*at.multiselect, *at.slider]) == sorted([*drawer, "more_filters"])
    assert not at.expander and not at.header  # no expanders; the cohort line names the page
    line = _texts(at)
    title = next(p.title for p in ANALYSIS_PAGES if p.name == page)
    if page == "compare":  # the two groups the slide compares (whole line: test_compare_page)
        assert (
            f"**{title}** · **A only** (n = " in line and "**A**: the sidebar's filters (Common iliac, Femoral)" in line
        )
    else:
        assert f"**{title}** · Common iliac, Femoral · n = " in line
    assert "synthetic data" in line and "small cells hidden (k\u00a0=\u00a05)" in line
    charts = at.get("plotly_chart")
    assert charts
    figure = json.loads(charts[0].proto.spec)
    assert figure["layout"]["title"]["font"]["size"] >= 22
    assert figure["layout"]["xaxis"]["tickfont"]["size"] >= 16
    links = {link.proto.label for link in at.get("page_link")}
    assert "Exit presenter view" in links


def test_presenter_next_and_exit_links_keep_the_cohort(app_on, demo_db):
    at = _open(app_on, demo_db, "trajectories", {"present": "1", "site": "femoral"})
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert "present=1" in links["Effects"].query_string and "site=femoral" in links["Effects"].query_string
    assert "present=0" in links["Exit presenter view"].query_string
    assert "site=femoral" in links["Exit presenter view"].query_string


def _prepared(app_on, db, page, query=None):
    at = _open(app_on, db, page, query)
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    return at


def _page_export(at, title, db_path=None):
    items = at.session_state["_export_items"]
    fingerprint = "fp"
    if db_path is not None:
        from pts_explorer import db, derived

        con = db.open_read_only(db_path)
        fingerprint = derived.fingerprint(con)
        con.close()
    return exports.PageExport(
        page=title,
        cohort="test cohort",
        query={},
        dataset="demo",
        synthetic=True,
        fingerprint=fingerprint,
        protection="small cells hidden",
        charts=items["charts"],
        tables=items["tables"],
        methods=items["methods"],
        queries=list(items["queries"].values()),
    )


def test_preparing_exports_hides_small_cells_and_offers_the_downloads(app_on, demo_db):
    at = _open(app_on, demo_db, "overview", {"site": "ivc", "sex": "male"})
    assert "Small cells hidden" not in _texts(at)
    at.button(key="export_prepare").click().run()
    assert "Small cells hidden" in _texts(at) and "Export view" in _texts(at)
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Report (HTML)", "Reproduce (zip)", "Patient rows (CSV, zip)", "PNG", "SVG"} <= labels
    at.button(key="export_done").click().run()
    assert "Small cells hidden" not in _texts(at)


def test_a_cohort_below_k_has_no_patient_level_export(app_on, demo_db):
    at = _prepared(app_on, demo_db, "overview", {"site": "femoral", "sex": "female", "age": ["80", "90"]})  # 2
    rows = [b for b in at.get("download_button") if b.proto.label.startswith("Patient rows")]
    assert rows and all(b.proto.disabled for b in rows)


def test_the_report_holds_what_the_page_showed_and_opens_offline(app_on, demo_db):
    at = _prepared(app_on, demo_db, "trajectories")
    page = _page_export(at, "Trajectories")
    page_html = exports.report_html(page)
    assert page_html.count("<div class='chart'>") == len(at.get("plotly_chart")) == 3
    assert page_html.count("Plotly.newPlot") == 3 and page_html.count("plotly.js v") == 1  # inlined once
    assert not re.search(r"<script[^>]*\bsrc=", page_html.split("plotly.js v")[0])  # no script from elsewhere
    shown = at.dataframe[0].value
    assert str(shown.iloc[0, 0]) in page_html and "Synthetic data" in page_html
    assert "queries/trajectory_summary.sql" in page_html and "duckdb" in page_html  # the SQL that ran, versions


def test_chart_images_are_a_slide_png_and_an_svg(app_on, demo_db):
    at = _prepared(app_on, demo_db, "overview")
    chart = at.session_state["_export_items"]["charts"][0]
    png = exports.chart_image(chart.figure, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1920, 1080)
    from xml.etree import ElementTree

    svg = ElementTree.fromstring(exports.chart_image(chart.figure, "svg"))
    assert svg.tag.endswith("svg")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_cohort_rows_reload_to_the_same_cohort(app_on, demo_db, fmt):
    from pts_explorer import db

    params_query = {"site": ["common_iliac", "femoral"], "grade": ["70-99%", "occlusion"]}
    at = _prepared(app_on, demo_db, "overview", params_query)
    page = _page_export(at, "Overview")
    from pts_explorer.filters import CohortFilter

    cohort = CohortFilter(site=("common_iliac", "femoral"), grade=("70-99%", "occlusion"))
    con = db.open_read_only(demo_db)
    data = exports.cohort_rows(con, cohort.as_params(), fmt, page, 5)
    expected = db.run_query(con, "cohort_counts", cohort.as_params())
    con.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        patients = read(io.BytesIO(archive.read(f"patients.{fmt}")))
        visits = read(io.BytesIO(archive.read(f"visits.{fmt}")))
        meta = json.loads(archive.read("cohort.json"))
    assert {"data_dictionary.csv", "cohort.json", "README.txt"} <= names
    assert len(patients) == int(expected.matching.sum()) == meta["patients"]
    assert patients.groupby("arm").size().to_dict() == expected.set_index("arm").matching[lambda s: s > 0].to_dict()
    assert set(visits.patient_id) <= set(patients.patient_id)
    assert set(patients.obstruction_site) <= {"common_iliac", "femoral"}


def test_the_bundle_reproduces_the_page_in_a_fresh_folder(app_on, demo_db, tmp_path):
    at = _prepared(app_on, demo_db, "effects")
    page = _page_export(at, "Effects", demo_db)
    assert page.methods
    data = exports.bundle(page, demo_db)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    copy = tmp_path / "elsewhere.duckdb"
    copy.write_bytes(demo_db.read_bytes())  # the script reads the file a colleague has
    done = subprocess.run([sys.executable, "reproduce.py", str(copy)], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warning" not in done.stdout  # the fingerprint matched
    results = json.loads((folder / "results.json").read_text())
    for i, method in enumerate(page.methods, start=1):
        namespace: dict = {}
        # The page's own number, on the copy: this process may hold the demo file open with the
        # app's configuration, and DuckDB refuses a second handle with another one.
        snippet = method.snippet.replace(repr(demo_db.name), repr(str(copy)))  # a snippet names the file alone
        exec(compile(snippet, "<snippet>", "exec"), namespace)
        _close(results[f"number_{i:02d}"], _plain(namespace["result"]), method.method)


def _close(got, want, where):
    if isinstance(want, dict):
        assert set(got) == set(want), where
        for key in want:
            _close(got[key], want[key], f"{where} / {key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for a, b in zip(got, want, strict=True):
            _close(a, b, where)
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, nan_ok=True), where
    else:
        assert got == want, where


def _plain(value):
    if hasattr(value, "columns"):  # as the bundle's script does
        named = any(name is not None for name in value.index.names)
        value = (value.reset_index() if named else value).to_dict(orient="list")
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def test_next_skips_a_compare_whose_cohorts_hold_the_same_patients_by_other_definitions(app_on, demo_db, demo_con):
    """Review 27d, finding 3: the sidebar's filters (both studies named, 70%+ common iliac or common femoral) and
    Compare's default B (the named subgroup of those patients) differ as choices but hold the same patients; Next
    stepped to a Compare slide saying so. It steps past it (and past Candidate without a profile), as for A = B."""
    filters = {
        "study": ["TRIAL", "REGISTRY"],
        "site": ["common_iliac", "common_femoral"],
        "grade": ["70-99%", "occlusion"],
    }
    studies = {s for (s,) in demo_con.execute("SELECT study_id FROM studies").fetchall()}
    assert studies == {"TRIAL", "REGISTRY"}  # every study: the same patients as the subgroup, which names none
    at = _open(app_on, demo_db, "adjusted", {"present": "1", **filters})
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    assert links["Durability"] == "durability" and "Compare" not in links
    at = _open(app_on, demo_db, "adjusted", {"present": "1", **filters, "grade": ["occlusion"]})
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    assert links["Compare"] == "compare"
