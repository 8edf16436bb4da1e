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
    found = [lines for lines in captions if len(lines) >= 2 and lines[1].startswith("n = ")]
    assert len(found) == 1, captions
    return [found[0][0], " ".join(found[0][1:])]  # the n line as written, wrapped to the width at spaces


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
    where = (
        "s.design = 'randomized' AND p.obstruction_site IN ('common_iliac', 'femoral') "
        "AND (p.stenosis_pct < 50 OR p.stenosis_pct >= 100)"
    )
    cohort, dataset = _per_arm(demo_db, where)
    seen = dict(  # the analysis set the page states: seen at baseline and month 6 (not the cohort)
        _query(
            demo_db,
            f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month = 6 "
            f"WHERE {where} AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL GROUP BY p.arm",
        )
    )
    modelled = dict(  # the MMRM's set: a baseline and at least one later visit
        _query(
            demo_db,
            f"SELECT p.arm, count(DISTINCT p.patient_id) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month > 0 "
            f"WHERE {where} AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL GROUP BY p.arm",
        )
    )
    arms = f"{seen.get('stent', 0)} stent, {seen.get('medical', 0)} medical"
    mmrm = f"{modelled.get('stent', 0)} stent, {modelled.get('medical', 0)} medical"
    assert arms != cohort
    assert svg_caption(image) == [
        "Effects · Common iliac, Femoral; <50%, Occlusion",
        f"n = {mmrm} in the MMRM; {arms} seen at month 6 in the ANCOVA · randomized comparison · synthetic demo "
        f"data, not real patients · {dataset}",
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


# --- each chart's caption states the patients that chart draws, not the cohort's ------------------

# The visits a chart reads: at a month of the patient's study's schedule (data/README.md).
SCHEDULED = (
    "SELECT v.* FROM visits v JOIN patients p USING (patient_id) JOIN studies s USING (study_id) "
    "WHERE list_contains(s.visit_months, v.visit_month)"
)


def _query(db_path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True, config=DUCKDB_CONFIG)
    rows = con.execute(sql).fetchall()
    con.close()
    return rows


def _arms_words(counts: dict[str, list[int]], per: str) -> str:
    """Patients per arm as a caption states them: one number, or the smallest and largest."""
    words, ranged = [], False
    for arm in ("stent", "medical"):
        low, high = min(counts.get(arm, [0])), max(counts.get(arm, [0]))
        ranged |= low != high
        words.append(f"{low:,} {arm}" if low == high else f"{low:,} to {high:,} {arm}")
    return ", ".join(words) + (f" per {per}" if ranged else "")


def _chart_caption(at, key: str) -> list[str]:
    page = at.session_state["_export_page"]
    (chart,) = [c for c in page.charts if c.key == key]
    return svg_caption(exports.chart_image(chart.figure, "svg", exports.caption(page, chart)))


def test_the_symptom_heat_maps_image_states_the_patients_seen_at_both_visits(app_on, demo_db):
    """The heat map averages each item over the randomized patients seen at baseline and at month 6
    (the contract requires every item of a visit): fewer than the cohort's randomized patients."""
    at = _prepared(app_on, demo_db, "effects")
    assert at.session_state["visit"] == 6 and at.toggle(key="registry").value is False
    seen = dict(
        _query(
            demo_db,
            f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month = 6 "
            "WHERE s.design = 'randomized' GROUP BY p.arm",
        )
    )
    cohort, dataset = _per_arm(demo_db, "s.design = 'randomized'")
    arms = f"{seen['stent']:,} stent, {seen['medical']:,} medical"
    assert arms != cohort  # some randomized patients missed month 6: the cohort's n would be wrong here
    assert _chart_caption(at, "symptom_heatmap") == [
        "Effects · All patients",
        f"n = {arms} · randomized comparison · synthetic demo data, not real patients · {dataset}",
    ]


def test_the_mmrm_image_states_each_visits_patients(app_on, demo_db):
    at = _prepared(app_on, demo_db, "effects")
    per_visit: dict[str, list[int]] = {}
    ((months,),) = _query(demo_db, "SELECT visit_months FROM studies WHERE design = 'randomized'")
    for month in (m for m in months if m > 0):
        rows = _query(
            demo_db,
            f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month = {month} "
            "WHERE s.design = 'randomized' AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL "
            "GROUP BY p.arm",
        )
        for arm, n in rows:
            per_visit.setdefault(arm, []).append(n)
    ((dataset,),) = _query(demo_db, "SELECT dataset_name FROM dataset_info")
    assert _chart_caption(at, "mmrm_chart")[1] == (
        f"n = {_arms_words(per_visit, 'visit')} · randomized comparison · synthetic demo data, not real patients · "
        f"{dataset}"
    )


def test_the_ulcer_healing_curves_image_states_the_patients_with_an_ulcer(app_on, demo_db):
    at = _prepared(app_on, demo_db, "durability", {"endpoint": "ulcer_healing", "group": "arm"})
    arms, dataset = _per_arm(demo_db, "b.ulcer_present")
    assert _chart_caption(at, "km_chart") == [
        "Durability · All patients",
        f"n = {arms} · pooled randomized and observational, not a randomized comparison · synthetic demo data, "
        f"not real patients · {dataset}",
    ]


EDGE_PX = 8  # an image's outer strip in which nothing is drawn: a title or a label there is cut


@pytest.mark.parametrize(
    ("page_name", "query"),
    [("effects", {}), ("trajectories", {}), ("durability", {"endpoint": "ulcer_healing", "group": "arm"})],
)
def test_nothing_of_an_exported_png_touches_its_edges(app_on, demo_db, page_name, query):
    """The title and the axis labels of every chart of the page lie inside the 1920 x 1080 PNG: its
    outer strip is empty (transparent), where a title at the figure's edge or a long tick label
    beyond a fixed margin would be cut (the MMRM title and the heat map's item names were)."""
    import io

    from PIL import Image

    at = _prepared(app_on, demo_db, page_name, query)
    page = at.session_state["_export_page"]
    for chart in page.charts:
        image = Image.open(io.BytesIO(exports.chart_image(chart.figure, "png", exports.caption(page))))
        alpha = image.getchannel("A")
        width, height = image.size
        for side, box in {
            "left": (0, 0, EDGE_PX, height),
            "top": (0, 0, width, EDGE_PX),
            "right": (width - EDGE_PX, 0, width, height),
            "bottom": (0, height - EDGE_PX, width, height),
        }.items():
            assert alpha.crop(box).getextrema()[1] == 0, f"{chart.key}: something drawn at the {side} edge"


def test_the_forests_image_states_the_patients_seen_at_the_month(app_on, demo_db):
    at = _prepared(app_on, demo_db, "subgroups")
    assert at.session_state["visit"] == 6
    seen = dict(
        _query(
            demo_db,
            f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month = 6 "
            "WHERE s.design = 'randomized' AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL "
            "GROUP BY p.arm",
        )
    )
    ((dataset,),) = _query(demo_db, "SELECT dataset_name FROM dataset_info")
    assert _chart_caption(at, "forest")[1] == (
        f"n = {seen['stent']:,} stent, {seen['medical']:,} medical · randomized comparison · synthetic demo data, "
        f"not real patients · {dataset}"
    )


def test_the_safety_curves_image_after_30_days_states_the_patients_followed_past_day_30(app_on, demo_db):
    """After 30 days, the curves start at day 31 from the procedure (stent) or enrollment (medical):
    a patient last seen before then is not in them."""
    at = _prepared(app_on, demo_db, "safety", {"period": "after 30 days"})
    followed = dict(
        _query(
            demo_db,
            "SELECT p.arm, count(*) FROM patients p LEFT JOIN procedures pr USING (patient_id) "
            "WHERE p.last_contact_day >= CASE WHEN p.arm = 'stent' THEN coalesce(pr.procedure_day, 0) ELSE 0 END + 31 "
            "GROUP BY p.arm",
        )
    )
    cohort, dataset = _per_arm(demo_db, "TRUE")
    arms = f"{followed['stent']:,} stent, {followed['medical']:,} medical"
    assert arms != cohort  # some patients were last seen within 30 days
    assert _chart_caption(at, "complication_chart")[1] == (
        f"n = {arms} · pooled randomized and observational, not a randomized comparison · synthetic demo data, "
        f"not real patients · {dataset}"
    )


def test_the_trajectory_image_states_each_visits_patients(app_on, demo_db):
    """Trajectories' mean curves have other patients at each visit (the trial's months 1 and 3, the
    registry's to month 120): the caption gives the range of the points' patients per arm, not the
    cohort, and not two studies' patients added up (#22 item 12; outside review)."""
    at = _prepared(app_on, demo_db, "trajectories")
    rows = _query(
        demo_db,
        f"SELECT p.arm, p.study_id, v.visit_month, count(v.villalta_total) FROM patients p JOIN ({SCHEDULED}) v "
        "ON v.patient_id = p.patient_id GROUP BY ALL",
    )
    per_visit: dict[str, list[int]] = {}  # each point's patients: one panel per study (the page's default)
    for arm, _study, _month, n in rows:
        per_visit.setdefault(arm, []).append(n)
    cohort, dataset = _per_arm(demo_db, "TRUE")
    arms = _arms_words(per_visit, "visit")
    assert arms != cohort
    page = at.session_state["_export_page"]
    (chart,) = [c for c in page.charts if c.key == "trajectory_chart"]
    root = ElementTree.fromstring(exports.chart_image(chart.figure, "svg", exports.caption(page, chart)))
    texts = [t for t in root.iter(f"{SVG}text") if t.get("class") == "annotation-text"]
    (lines,) = [
        lines
        for t in texts
        if (lines := [s.text or "" for s in t.iter(f"{SVG}tspan")])[:1] == ["Trajectories · All patients"]
    ]
    assert " ".join(lines[1:]) == (  # a long line is wrapped at a space
        f"n = {arms} · one panel per study, randomized and observational · synthetic demo data, not real patients "
        f"· {dataset}"
    )
