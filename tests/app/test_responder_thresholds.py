"""Responders' threshold chart in words (#22 re-review): the risk difference (stent minus medical,
percentage points) at threshold 1, the chosen threshold and 15, read off the page whole and
recomputed here with pandas from the contract tables, with the denominators the page's method
states (non-responder imputation: every patient of the analysis set with a baseline Villalta whose
study schedules the visit and who was enrolled long enough before the study's data cut-off to
reach it; not seen there, dead or lost counts as a non-responder). Where an arm's responders,
non-responders or patients are 1 to 4 and small cells are protected (presenter mode, exports), the
difference is hidden, and the words say so rather than call it not computable."""

import html

import pandas as pd
import pytest

from pts_explorer import vocab

K = 5  # the small-cell threshold in presenter mode and exports (pts_explorer.toml; "small cells hidden (k = 5)")


@pytest.fixture(scope="module")
def tables(demo_con):
    return {name: demo_con.execute(f"SELECT * FROM {name}").df() for name in ("patients", "visits", "studies")}


def _difference(tables, month: int, threshold: int, registry: bool, protected: bool) -> str:
    patients, visits, studies = tables["patients"], tables["visits"], tables["studies"]
    schedule = {s: [int(m) for m in months] for s, months in zip(studies.study_id, studies.visit_months, strict=True)}
    design = dict(zip(studies.study_id, studies.design, strict=True))
    enrolled = pd.to_datetime(patients.enrolled_on)
    cut_off = (enrolled + pd.to_timedelta(patients.last_contact_day, unit="D")).groupby(patients.study_id).max()
    # a visit counts where its study schedules it
    visits = visits[
        [
            m in schedule[s]
            for m, s in zip(
                visits.visit_month, visits.patient_id.map(patients.set_index("patient_id").study_id), strict=True
            )
        ]
    ]
    baseline = visits[(visits.visit_month == 0) & visits.villalta_total.notna()].set_index("patient_id").villalta_total
    at_visit = visits[visits.visit_month == month].set_index("patient_id").villalta_total
    p = patients[registry | (patients.study_id.map(design) == "randomized")]
    due = p[
        p.study_id.map(lambda s: month in schedule[s])
        & (
            pd.to_datetime(p.enrolled_on) + pd.Timedelta(days=round(month * vocab.DAYS_PER_MONTH))
            <= p.study_id.map(cut_off)
        )
        & p.patient_id.isin(baseline.index)
    ]
    shares, hidden = {}, False
    for arm in ("stent", "medical"):
        ids = due[due.arm == arm].patient_id
        improvement = ids.map(baseline) - ids.map(at_visit)  # NaN where not seen: a non-responder
        n, x = len(ids), int((improvement >= threshold).sum())
        hidden = hidden or any(0 < c < K for c in (n, x, n - x))
        shares[arm] = x / n if n else float("nan")
    rd = shares["stent"] - shares["medical"]
    if pd.isna(rd):
        return "not computable"
    if hidden and protected:
        return "hidden (small cells)"
    value = int(abs(100 * rd) + 0.5) * (1 if rd >= 0 else -1)  # half away from zero, whole points
    return f"{value:+d}" if value else "0"


def _alt_text(at) -> str:
    found = [html.unescape(m.value) for m in at.markdown if "Risk difference at each threshold" in m.value]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"threshold": "7"},
        {"threshold": "2", "registry": "True", "visit": "12"},
        {"protected": "1"},
        {"protected": "1", "threshold": "10"},
    ],
    ids=["default", "threshold-7", "pooled-month-12", "protected", "protected-threshold-10"],
)
def test_threshold_chart_text_is_the_risk_difference_at_1_chosen_and_15(app_on, demo_db, tables, query, monkeypatch):
    # small cells hidden as in presenter mode and the exports (a slide ends with its key numbers: this chart is
    # the analyst page's, drawn there with PTS_PROTECT_SMALL_CELLS)
    query = dict(query)
    protected = query.pop("protected", None) == "1"
    if protected:
        monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    at = app_on(demo_db, query)
    at.switch_page("app_pages/responders.py").run()
    assert not at.exception, at.exception
    month, threshold = int(query.get("visit", 6)), int(query.get("threshold", vocab.DEFAULT_THRESHOLD))
    registry = query.get("registry") == "True"
    words = ", ".join(f"{t}: {_difference(tables, month, t, registry, protected)}" for t in sorted({1, threshold, 15}))
    title = f"Risk difference in responders (Villalta points) by threshold, month {month}"
    assert _alt_text(at) == (
        f'<p class="sr-only">Chart: {title}. Risk difference at each threshold, percentage points: {words}.</p>'
    )
