"""Durability with a group of 1 to k-1 patients (review 27, finding 5): TRIAL patients with an IVC
obstruction, recurrent DVT. The group gets no curve, a note over the chart and the caption name it,
its estimates read "hidden" (not a dash), a drawn group with no event yet has no interval to
show, and neither the test across groups nor the hazard ratio says which group has an event."""

import json
import re
from urllib.parse import parse_qsl

import duckdb

from pts_explorer.db import DUCKDB_CONFIG

QUERY = "study=TRIAL&site=ivc&endpoint=freedom_from_recurrent_dvt"
K = 5


def _counts(db):
    """Per arm: patients and patients with a recurrent DVT, counted by hand from the file."""
    con = duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG)
    rows = con.execute(
        """SELECT p.arm, count(*) AS n,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM events e WHERE e.patient_id = p.patient_id
                                                  AND e.event_type = 'recurrent_dvt')) AS with_event
           FROM patients p WHERE p.study_id = 'TRIAL' AND p.obstruction_site = 'ivc' GROUP BY p.arm"""
    ).fetchall()
    con.close()
    return {arm: (n, e) for arm, n, e in rows}


def _open(app_on, db, present):
    query = dict(parse_qsl(QUERY)) | ({"present": "1"} if present else {})
    at = app_on(db, query).run()
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception, at.exception
    return at


def _key_line(at):
    def find(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None) == "presenter_numbers":
                return child
            if (found := find(child)) is not None:
                return found
        return None

    return [c.value for c in find(at.main).children.values()][0]


def test_the_group_too_small_to_draw_is_named_and_its_estimates_hidden(app_on, demo_db, monkeypatch):
    counts = _counts(demo_db)
    stent_n, stent_events = counts["stent"]
    medical_n, medical_events = counts["medical"]
    assert 1 <= stent_n < K and medical_n >= K and medical_events == 0  # the case the review met
    assert stent_events > 0
    slide = _open(app_on, demo_db, present=True)
    chart = json.loads(slide.get("plotly_chart")[0].proto.spec)
    notes = [a["text"] for a in chart["layout"].get("annotations", [])]
    assert "Not drawn, fewer than 5 patients: Stent" in notes, notes
    curves = {t.get("name") for t in chart["data"] if t.get("mode") != "text" and t.get("x")}  # drawn: points
    assert curves == {None, "Medical"}, curves  # the medical curve and its band
    # Medical at 2 years: the estimator's, with 1 to 4 still at risk, which protection takes: said hidden, not a
    # dash (review 27e, finding 3); at 5 and 10 years nobody is at risk: a dash
    assert re.sub(r"\\(.)", r"\1", _key_line(slide)) == (  # as a reader sees it: Markdown escapes removed
        "Stent: 1 to 10 years **hidden** · "  # every estimate of the group hidden: said once
        "Medical: 1 year **0.0% (no event yet: no CI)** · 2 years **hidden** · 5 years **–** · 10 years **–**"
    )
    captions = [c.value for c in slide.caption]
    assert [c for c in captions if "Not drawn" in c] == [
        "Small cells hidden: each step of a curve holds at least 5 events (neighbouring event times are pooled into "
        "one step, drawn at the last of them, with the estimate there); a curve stops where fewer than 5 of its "
        "patients remain at risk, or before its last events when fewer than 5 follow its last step; a group with 1 "
        "to 4 events is not drawn; numbers at risk are rounded to the nearest 5, and none is shown where a group "
        "starts with 1 to 4 patients; estimates at landmarks are read off the drawn curve. Not drawn, fewer than 5 "
        "patients: Stent."
    ]
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")  # the analyst page, small cells hidden as on a slide
    page = _open(app_on, demo_db, present=False)
    said = [c.value for c in page.caption] + [i.value for i in page.info]
    assert not [s for s in said if "p = " in s or "at least one event" in s], said
    assert "Hazard ratio not shown, a group has fewer than 5 patients or events (small cells hidden)." in [
        i.value for i in page.info
    ]
    table = page.dataframe[0].value
    assert table.set_index(table.columns[0]).loc["Stent"].tolist()[:4] == ["hidden"] * 4
