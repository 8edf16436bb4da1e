"""Second review of issue 28, finding 2: on a slide (presenter mode hides small cells) and in every
export, the numbers a chart carries (hover text, customdata) obey the tables' protection. Centre TC08
of the demo has 2 stent and 10 medical patients: the line hides both arms' n (the drawer shows the
cohort's 12), so no chart may show the medical n either, or 12 - 10 gives the stent arm's 2.

Counts are recounted here from the contract tables with pandas; what is checked is what a user is
handed: every number in the charts' customdata, the key numbers and the exports' tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

K = 5
TC08 = {"center": "TC08"}


@pytest.fixture(scope="module")
def seen(demo_con) -> pd.DataFrame:
    """Patients per arm with a Villalta total at each visit, and per arm in the centre."""
    return demo_con.execute(
        "SELECT v.visit_month, p.arm, count(*) AS n FROM patients AS p JOIN visits AS v USING (patient_id) "
        "WHERE p.center_id = 'TC08' AND v.villalta_total IS NOT NULL GROUP BY ALL"
    ).df()


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _number(text: str) -> int | None:
    return None if text == "hidden" else int(text.replace(",", ""))


def _no_arm_derivable(by_visit: dict[int, dict[str, str]], recount: dict[tuple[int, str], int]) -> None:
    """Each shown n equals the recount and is not 1..k-1; at no visit is one arm's n shown and the
    other's hidden (the two add up to the visit's patients, at month 0 the cohort's count, shown)."""
    assert by_visit
    for month, arms in by_visit.items():
        for arm, text in arms.items():
            n = _number(text)
            assert n is None or (n == recount[(month, arm)] and not 0 < n < K), (month, arm, text)
        if len(arms) == 2:
            assert list(arms.values()).count("hidden") != 1, (month, arms)


def _trajectory_hover(figure: dict) -> dict[int, dict[str, str]]:
    """Month -> arm -> the n the hover of the mean curves gives (customdata[1])."""
    out: dict[int, dict[str, str]] = {}
    for trace in figure["data"]:
        if trace.get("name") in ("Stent", "Medical") and "customdata" in trace and trace.get("mode"):
            for row in trace["customdata"]:
                out.setdefault(int(float(row[0])), {})[trace["name"].lower()] = str(row[1])
    return out


def _band_bars(figure: dict) -> dict[tuple[str, str], list[str]]:
    """(month, x axis of the arm's panel) -> the n each band's hover gives at that bar."""
    out: dict[tuple[str, str], list[str]] = {}
    for trace in figure["data"]:
        if trace.get("type") == "bar":
            for month, n in zip(trace["x"], trace["customdata"], strict=True):
                out.setdefault((month, trace.get("xaxis", "x")), []).append(str(n))
    return out


@pytest.mark.parametrize("present", [True, False])
def test_trajectory_charts_give_no_hidden_arm_away(app_on, demo_db, seen, present):
    recount = {(int(r.visit_month), r.arm): int(r.n) for r in seen.itertuples()}
    assert recount[(0, "stent")] == 2 and recount[(0, "medical")] == 10  # the case of the review
    at = app_on(demo_db, {**TC08, "present": "1"} if present else TC08)
    at.switch_page("app_pages/trajectories.py").run()
    if not present:  # the exports: Prepare exports draws the page with small cells hidden
        at.button(key="export_prepare").click().run()
    assert not at.exception
    figures = (
        _figures(at) if present else [c.figure.to_plotly_json() for c in at.session_state["_export_items"]["charts"]]
    )
    mean = next(f for f in figures if _trajectory_hover(f))
    _no_arm_derivable(_trajectory_hover(mean), recount)
    assert _trajectory_hover(mean)[0] == {"stent": "hidden", "medical": "hidden"}
    if present:
        return
    # The bands over time: a bar's band counts add up to its arm's n at the visit; where every band
    # of a bar shows its count the arm's n follows, so at a visit both arms' bars must give it or none.
    bands = next(f for f in figures if any(t.get("type") == "bar" and "customdata" in t for t in f["data"]))
    bars = _band_bars(bands)
    for month in {m for m, _ in bars}:
        derived = [
            None if "hidden" in texts else sum(int(t.replace(",", "")) for t in texts)
            for (m, _), texts in bars.items()
            if m == month
        ]
        assert derived.count(None) in (0, len(derived)), (month, derived)
    # The export's tables: the n column of the trajectory table and of the differences alike.
    tables = {t.key: t.frame for t in at.session_state["_export_items"]["tables"]}
    trajectory = tables["trajectory_table"]
    by_visit: dict[int, dict[str, str]] = {}
    for arm, month, n in zip(trajectory["Arm"], trajectory["Visit (month)"], trajectory["n"], strict=True):
        by_visit.setdefault(int(month), {})[arm.lower()] = str(n)
    _no_arm_derivable(by_visit, recount)
    difference = tables["difference_table"]
    for stent, medical in zip(difference["n stent"], difference["n medical"], strict=True):
        assert [str(stent), str(medical)].count("hidden") != 1
    # and the chart's caption of patients per arm
    captions = [c.arms for c in at.session_state["_export_items"]["charts"] if c.arms]
    assert captions and all("10" not in caption.replace(",", " ").split() for caption in captions), captions


def test_responders_give_no_hidden_denominator_away(app_on, demo_db, demo_con):
    due = demo_con.execute(
        "SELECT p.arm, count(*) AS n FROM patients AS p WHERE p.center_id = 'TC08' GROUP BY ALL"
    ).df()
    assert dict(zip(due.arm, due.n, strict=True)) == {"stent": 2, "medical": 10}
    at = app_on(demo_db, {**TC08, "present": "1"})
    at.switch_page("app_pages/responders.py").run()
    assert not at.exception
    shares = next(f for f in _figures(at) if f["data"] and f["data"][0].get("type") == "bar")
    by_visit: dict[str, dict[str, str]] = {}
    for trace in shares["data"]:
        for month, row in zip(trace["x"], trace["customdata"], strict=True):
            by_visit.setdefault(month, {})[trace["name"]] = str(row[1])
    for arms in by_visit.values():
        assert list(arms.values()).count("hidden") in (0, len(arms)), by_visit
        assert all(t == "hidden" or int(t.replace(",", "")) >= K for t in arms.values())
    assert by_visit["6"] == {"Stent": "hidden", "Medical": "hidden"}
    # the slide's key numbers: no denominator beside a hidden one
    from tests.app.test_pages import _texts

    key_line = next(line for line in _texts(at).split("\n") if line.startswith("Month 6"))
    assert key_line == (
        "Month 6\\: stent **hidden of hidden** · medical **hidden of hidden** · "
        "risk difference, % points **hidden** · 95% CI **hidden**"  # hidden, not "not computable" (review 27e, 3)
    )


def test_safety_bars_carry_the_tables_cells_hidden_alike(app_on, demo_db):
    """Safety's bars (issue 28 item 3's clickable chart): each bar's hover is the table's cell for its
    complication and arm, hidden where the table hides it, and no bar is drawn where the share is hidden."""
    at = app_on(demo_db, {"center": "RC05", "period": "any time"})
    at.switch_page("app_pages/safety.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    items = at.session_state["_export_items"]
    figure = next(c.figure for c in items["charts"] if c.key == "complication_bars").to_plotly_json()
    table = next(t.frame for t in items["tables"] if t.key == "safety_table").set_index("Complication")
    bars, hidden = 0, 0
    for trace in figure["data"]:
        column = f"{trace['name']}: patients, % (95% CI)"
        for label, length, hover in zip(trace["y"], trace["x"], trace["customdata"], strict=True):
            assert hover == table.at[label, column]
            assert "%" in hover or length == 0, (label, hover, length)  # no bar where the share is hidden
            bars += 1
            hidden += "hidden" in hover
    assert bars and hidden  # the case holds bars the protection hides


def test_no_individual_lines_count_out_a_complement_arm(app_on, demo_db, seen):
    """25 individual patients per arm asked for: the medical arm of TC08 has 10, all of them drawn,
    so its lines would count its n (hidden as the complement of the stent arm's 2)."""
    at = app_on(demo_db, {**TC08, "present": "1", "patients": "25"})
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception
    figure = next(f for f in _figures(at) if _trajectory_hover(f))
    lines = [t for t in figure["data"] if str(t.get("name", "")).endswith("individual patients")]
    patients = [sum(1 for y in t["y"] if y is None) for t in lines]  # a gap after each patient
    assert patients == []


def test_effects_table_and_caption_hide_both_arms_n_where_one_is(app_on, demo_db, demo_con):
    """The MMRM table's n stent / n medical at a visit add up to the visit's patients: where one arm's
    is hidden, the other's reads hidden too, in the exported table and the chart's caption. The trial's
    IVC patients: 3 or 4 stent and 5 or 6 medical seen at each follow-up visit (recounted here)."""
    seen_ivc = demo_con.execute(
        "SELECT v.visit_month, p.arm, count(*) AS n FROM patients AS p JOIN visits AS v USING (patient_id) "
        "WHERE p.study_id = 'TRIAL' AND p.obstruction_site = 'ivc' AND v.villalta_total IS NOT NULL "
        "AND v.visit_month > 0 GROUP BY ALL"
    ).df()
    assert seen_ivc[seen_ivc.arm == "stent"].n.between(1, K - 1).all()
    assert (seen_ivc[seen_ivc.arm == "medical"].n >= K).any()  # what used to be shown beside them
    at = app_on(demo_db, {"study": "TRIAL", "site": "ivc"})
    at.switch_page("app_pages/effects.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    items = at.session_state["_export_items"]
    rows = next(t.frame for t in items["tables"] if t.key == "mmrm_table")[["n stent", "n medical"]]
    assert rows.astype(str).values.tolist() == [["hidden", "hidden"]] * len(rows) and len(rows) > 0
    assert next(c.arms for c in items["charts"] if c.key == "mmrm_chart") == "hidden stent, hidden medical per visit"


def test_a_hidden_responder_share_says_hidden_on_the_chart_never_a_bar_of_zero(app_on, demo_db):
    # Review of issue 27 (a talk's Responders slide): the medical bars whose shares small-cell protection hid
    # were drawn as nothing, read as 0% beside the stent bars. A hidden share is a bar of no height that says
    # "hidden" above the axis, its hover too; a shown one is x/n of its hover, its percentage whole.
    at = app_on(demo_db, {**TC08, "present": "1"}).run()
    at.switch_page("app_pages/responders.py").run()
    assert not at.exception
    shares = next(f for f in _figures(at) if f["data"] and f["data"][0].get("type") == "bar")
    hidden_bars = 0
    for trace in shares["data"]:
        for y, text, (responders, n, share) in zip(trace["y"], trace["text"], trace["customdata"], strict=True):
            if responders == "hidden":
                hidden_bars += 1
                assert (y, text, share) == (0.0, "hidden", "hidden")
            else:
                assert (text, y) == ("", pytest.approx(100 * int(responders) / int(n.replace(",", ""))))
                assert share == f"{int(100 * int(responders) / int(n.replace(',', '')) + 0.5)}%"
    assert hidden_bars >= 2  # the centre's stent arm of 2: hidden at every visit
