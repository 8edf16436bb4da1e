"""An exported chart image says what it shows: the page, the cohort, the patients per arm of the
analysis set, the design and the synthetic-data mark, as a caption in the image itself. The caption
read from the SVG is compared whole with one written here from the database and the address."""

from xml.etree import ElementTree

import duckdb
import pytest

from pts_explorer import exports
from pts_explorer.config import DUCKDB_CONFIG
from tests.app.test_presenter_and_exports import _prepared

SVG = "{http://www.w3.org/2000/svg}"


def svg_caption(svg: bytes) -> list[str]:
    """The lines of the image's caption (the annotation under the plot), as the SVG holds them."""
    root = ElementTree.fromstring(svg)
    texts = [t for t in root.iter(f"{SVG}text") if t.get("class") == "annotation-text"]
    captions = [[span.text or "" for span in t.iter(f"{SVG}tspan")] for t in texts]
    found = [lines for lines in captions if len(lines) == 2 and lines[1].startswith("n = ")]
    assert len(found) == 1, captions
    return found[0]


def _per_arm(db_path, where: str) -> str:
    con = duckdb.connect(str(db_path), read_only=True, config=DUCKDB_CONFIG)
    rows = dict(
        con.execute(
            "SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"LEFT JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0 WHERE {where} GROUP BY p.arm"
        ).fetchall()
    )
    name, synthetic = con.execute("SELECT dataset_name, synthetic FROM dataset_info").fetchone()
    con.close()
    assert synthetic
    return f"{rows.get('stent', 0)} stent, {rows.get('medical', 0)} medical", name


@pytest.mark.parametrize("fmt", ["svg"])
def test_effects_image_names_the_randomized_set_it_shows(app_on, demo_db, fmt):
    query = {"site": ["common_iliac", "femoral"], "grade": ["<50%", "occlusion"]}
    at = _prepared(app_on, demo_db, "effects", query)
    page = at.session_state["_export_page"]
    chart = page.charts[0]
    image = exports.chart_image(chart.figure, fmt, exports.caption(page))
    arms, dataset = _per_arm(
        demo_db,
        "s.design = 'randomized' AND p.obstruction_site IN ('common_iliac', 'femoral') "
        "AND (p.stenosis_pct < 50 OR p.stenosis_pct >= 100)",
    )
    assert svg_caption(image) == [
        "Effects · Common iliac, Femoral; <50%, Occlusion",
        f"n = {arms} · randomized comparison · synthetic demo data, not real patients · {dataset}",
    ]


def test_overview_image_says_the_cohort_pools_both_designs(app_on, demo_db):
    at = _prepared(app_on, demo_db, "overview", {"sex": "female", "ulcer": "yes"})
    page = at.session_state["_export_page"]
    image = exports.chart_image(page.charts[0].figure, "svg", exports.caption(page))
    arms, dataset = _per_arm(demo_db, "p.sex = 'female' AND b.ulcer_present")
    assert svg_caption(image) == [
        "Overview · Female; ulcer at baseline",
        f"n = {arms} · pooled randomized and observational, not a randomized comparison · synthetic demo data, "
        f"not real patients · {dataset}",
    ]


def test_the_png_is_still_a_1920_by_1080_slide_with_its_caption(app_on, demo_db):
    at = _prepared(app_on, demo_db, "overview")
    page = at.session_state["_export_page"]
    png = exports.chart_image(page.charts[0].figure, "png", exports.caption(page))
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1920, 1080)


def test_a_long_caption_line_is_wrapped_not_cut():
    import plotly.graph_objects as go

    lines = ["Effects · " + "; ".join(f"filter number {i}" for i in range(30)), "n = 1 stent, 2 medical · randomized"]
    svg = exports.chart_image(go.Figure(go.Scatter(x=[1], y=[1])), "svg", lines)
    root = ElementTree.fromstring(svg)
    (text,) = [t for t in root.iter(f"{SVG}text") if t.get("class") == "annotation-text"]
    shown = [span.text for span in text.iter(f"{SVG}tspan")]
    assert len(shown) > 2 and all(len(line) <= exports.CAPTION_CHARS for line in shown)
    assert " ".join(shown[:-1]) == lines[0] and shown[-1] == lines[1]
