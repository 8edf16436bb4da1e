"""A result that small-cell protection hides is said to be hidden on a slide, in the words the tables use for
a hidden cell, not shown as a dash that reads "not computable" (README, Presenting; review 27e, finding 3):
in the IVC cohort the TRIAL holds 4 stent and 6 medical patients (fewer than k = 5 stent), so every
TRIAL result of it is hidden, and the slide's key numbers, its chart's text alternative and its empty
panel say so. And a complication only a stent can cause shows the stent arm only (review 27e, finding 7)."""

import html
import json
import re
from urllib.parse import parse_qsl

import duckdb
import pytest

from pts_explorer import vocab
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.db import DUCKDB_CONFIG

IVC = {"site": "ivc"}
HIDDEN = "hidden"  # Protection.label: how the tables write a hidden cell


def _open(app_on, db, name, query):
    spec = next(p for p in ANALYSIS_PAGES if p.name == name)
    at = app_on(db, {**dict(parse_qsl(spec.example)), **query})
    at.switch_page(spec.script).run()
    assert not at.exception, at.exception
    return at


def _slide(app_on, db, name, query):
    return _open(app_on, db, name, {**query, "present": "1"})


def _analyst(app_on, db, monkeypatch, name, query, protected=True):
    """The analyst page, small cells hidden as a slide hides them (or not)."""
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1" if protected else "0")
    return _open(app_on, db, name, query)


def _line(at) -> str:
    """The slide's key numbers as a reader reads them (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", at.session_state["_presenter_key_numbers"])


def _table(at, column):
    """The page's table that has the column."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


@pytest.fixture(scope="module")
def ivc_trial(demo_db):
    """The demo cohort's IVC patients in the TRIAL, per arm, counted from the database."""
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    rows = con.execute(
        "SELECT arm, count(*) FROM patients WHERE obstruction_site = 'ivc' AND study_id = 'TRIAL' GROUP BY arm"
    ).fetchall()
    con.close()
    arms = dict(rows)
    assert arms == {"stent": 4, "medical": 6}  # the stent arm below k = 5: the trial's results are hidden
    return arms


def test_trajectories_slide_says_the_trials_results_are_hidden(app_on, demo_db, monkeypatch, ivc_trial):
    slide = _slide(app_on, demo_db, "trajectories", IVC)
    page = _analyst(app_on, demo_db, monkeypatch, "trajectories", IVC)
    differences = _table(page, "Welch 95% CI")
    registry = differences[differences.Study == "REGISTRY"].iloc[-1]
    trial_visit = differences[differences.Study == "TRIAL"]["Visit (month)"].iloc[-1]
    assert _line(slide) == (
        f"REGISTRY, month {registry['Visit (month)']}: difference in mean change "
        f"**{registry['Difference, points']}** · Welch 95% CI **{registry['Welch 95% CI']}** · "
        f"TRIAL, month {trial_visit}: difference in mean change **{HIDDEN}** · Welch 95% CI **{HIDDEN}**"
    )
    # the chart's text alternative: the registry's means at its last visit, the trial's said hidden
    means = _table(page, "Mean, points (0-33)")
    registry_means = means[means.Study == "REGISTRY"]
    last = registry_means[registry_means["Visit (month)"] == registry_means["Visit (month)"].max()]
    mean = dict(zip(last.Arm, last["Mean, points (0-33)"], strict=True))
    alternative = next(m.value for m in slide.markdown if 'class="sr-only"' in m.value)
    assert html.unescape(re.sub(r"<[^>]+>", "", alternative)) == (
        "Chart: Villalta total by arm: mean and 95% CI (lower is better). Mean Villalta total at the last visit: "
        f"REGISTRY month {registry['Visit (month)']}: stent {mean['Stent']}, medical {mean['Medical']}; "
        f"TRIAL month {trial_visit}: stent {HIDDEN}, medical {HIDDEN}."
    )
    # the trial's panel, drawn empty, says why
    chart = json.loads(slide.get("plotly_chart")[0].proto.spec)
    assert [a["text"] for a in chart["layout"]["annotations"]] == [
        "REGISTRY",
        "TRIAL",
        "Curves hidden: fewer than 5 patients in an arm",
    ]


def test_effects_slide_says_the_trials_difference_is_hidden(app_on, demo_db, ivc_trial):
    assert _line(_slide(app_on, demo_db, "effects", IVC)) == (
        f"TRIAL, month 6: difference **{HIDDEN}** · 95% CI **{HIDDEN}** · p **{HIDDEN}**"
    )


def test_responders_slide_says_the_risk_difference_is_hidden(app_on, demo_db, ivc_trial):
    assert _line(_slide(app_on, demo_db, "responders", IVC)) == (
        f"Month 6: stent **{HIDDEN} of {HIDDEN}** · medical **{HIDDEN} of {HIDDEN}** · "
        f"risk difference, % points **{HIDDEN}** · 95% CI **{HIDDEN}**"
    )


def test_durability_slide_says_an_estimate_protection_took_is_hidden(app_on, demo_db, monkeypatch):
    """IVC stent patients: fewer than 5 are still at risk at 5 and 10 years (the curve stops before), while the
    estimator gives both a value: protection took them, so they read hidden, and so in the table."""
    unprotected = _table(_analyst(app_on, demo_db, monkeypatch, "durability", IVC, protected=False), "5 years")
    assert "–" not in set(unprotected.iloc[0][["1 year", "2 years", "5 years", "10 years"]])
    page = _table(_analyst(app_on, demo_db, monkeypatch, "durability", IVC), "5 years")
    row = page.iloc[0]
    assert [row["5 years"], row["10 years"]] == [HIDDEN, HIDDEN]
    assert _line(_slide(app_on, demo_db, "durability", IVC)) == (
        f"Stent: 1 year **{row['1 year']}** · 2 years **{row['2 years']}** · 5 years **{HIDDEN}** · "
        f"10 years **{HIDDEN}**"
    )


def test_safety_slide_shows_a_stent_only_complication_for_the_stent_arm_only(app_on, demo_db, monkeypatch):
    arms = {arm: f"{label}: patients, % (95% CI)" for arm, label in vocab.ARMS.items()}
    counted = _table(_analyst(app_on, demo_db, monkeypatch, "safety", {}, protected=False), "Complication")

    def patients(row) -> int:  # patients with the complication in both arms, as the table counts them
        return sum(int(row[column].split(" of ")[0].replace(",", "")) for column in arms.values())

    first, second = sorted(counted.Complication, key=lambda c: -patients(counted.set_index("Complication").loc[c]))[:2]
    table = _table(_analyst(app_on, demo_db, monkeypatch, "safety", {}), "Complication").set_index("Complication")
    stent_only = {vocab.EVENT_LABELS[e] for e in vocab.STENT_COMPLICATIONS}
    assert {first, second} <= stent_only  # the demo cohort's two most frequent need a stent
    assert _line(_slide(app_on, demo_db, "safety", {})) == (
        f"{first}: stent **{table.at[first, arms['stent']]}** · {second}: stent **{table.at[second, arms['stent']]}**"
    )
