"""Issue 27, item 2: a presenter changes the cohort without leaving the slide. The line's cohort
drawer holds the cohort's chips (each removes its filter) and the filters (each adds one); the page
redraws in presenter mode, and the line states the new cohort with its n per arm, recounted here
from the contract tables."""

import duckdb

from pts_explorer.config import DUCKDB_CONFIG

LINE_START = "**Trajectories** · "


def _line(at) -> str:
    lines = [m.value for m in at.markdown if m.value.startswith(LINE_START)]
    assert len(lines) == 1, [m.value for m in at.markdown]
    return lines[0]


DESIGNS = {("randomized",): "randomized", ("observational",): "observational"}
BADGES = " · :orange-badge[:material/science: synthetic data] · small cells hidden (k\u00a0=\u00a05)"


def _counted(db, where: str, params: list) -> str:
    """n per arm and the design of the cohort's patients, as the whole rest of the line says them."""
    with duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG) as con:
        n = dict(con.execute(f"SELECT arm, count(*) FROM patients WHERE {where} GROUP BY arm", params).fetchall())
        designs = tuple(
            d
            for (d,) in con.execute(
                f"SELECT DISTINCT s.design FROM patients JOIN studies AS s USING (study_id) WHERE {where} ORDER BY 1",
                params,
            ).fetchall()
        )
    design = DESIGNS.get(designs, "pooled randomized and observational")
    return f"n = {n['stent']:,} stent, {n['medical']:,} medical · {design}{BADGES}"


def _query(at) -> dict[str, list[str]]:
    """The address the app wrote (AppTest gives a lone value as a string)."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def _open(app_on, db, query):
    at = app_on(db, query)
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception, at.exception
    return at


def test_a_chip_in_the_drawer_removes_its_filter_and_the_slide_stays(app_on, demo_db):
    at = _open(app_on, demo_db, {"present": "1", "site": ["common_iliac", "femoral"]})
    before = _counted(demo_db, "obstruction_site IN (?, ?)", ["common_iliac", "femoral"])
    assert _line(at) == f"{LINE_START}Common iliac, Femoral · {before}"
    at.button(key="chip_site_femoral").click().run()
    assert not at.exception
    after = _counted(demo_db, "obstruction_site = ?", ["common_iliac"])
    assert after != before
    assert _line(at) == f"{LINE_START}Common iliac · {after}"
    assert _query(at) == {"site": ["common_iliac"], "present": ["1"]}
    assert [b.key for b in at.button if b.key.startswith("chip_")] == ["chip_site_common_iliac"]


def test_a_filter_set_in_the_drawer_narrows_the_cohort_on_the_slide(app_on, demo_db):
    at = _open(app_on, demo_db, {"present": "1", "site": ["common_iliac"]})
    at.session_state["presenter_drawer"] = True  # the presenter opens the drawer (key F): a run
    at.run()
    at.multiselect(key="grade").set_value(["70-99%", "occlusion"]).run()
    assert not at.exception
    n = _counted(demo_db, "obstruction_site = ? AND stenosis_grade IN (?, ?)", ["common_iliac", "70-99%", "occlusion"])
    assert _line(at) == f"{LINE_START}Common iliac; 70-99%, Occlusion · {n}"
    assert _query(at) == {"site": ["common_iliac"], "grade": ["70-99%", "occlusion"], "present": ["1"]}
    assert [b.key for b in at.button if b.key.startswith("chip_")] == [
        "chip_site_common_iliac",
        "chip_grade_70-99%",
        "chip_grade_occlusion",
    ]


def test_a_closed_drawers_controls_keep_the_slides_cohort(app_on, demo_db):
    """The browser mounts the drawer's controls only while it is open, and sends back, with any run
    it asks for, the values it last showed (another page's sidebar): a run with the drawer closed
    keeps the slide's cohort whatever the closed controls send; the same change in the open drawer
    narrows it."""
    at = _open(app_on, demo_db, {"present": "1", "site": ["common_iliac"]})
    at.multiselect(key="site").set_value([]).run()  # the drawer closed: a value no one chose here
    assert _query(at) == {"site": ["common_iliac"], "present": ["1"]}
    at.session_state["presenter_drawer"] = True
    at.run()
    at.multiselect(key="site").set_value([]).run()  # chosen in the open drawer
    assert _query(at) == {"present": ["1"]}
