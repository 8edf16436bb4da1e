"""Who benefits split by any patient attribute (#26): a category of the patients table (the centre, with
the largest shown apart and the others pooled) and a continuous attribute cut at typed points, read off the
page and recomputed from the contract tables with pandas and statsmodels formulas (not the app's queries,
its split module or its design matrices); whole cells compared. Typed cut points that are not numbers
give a message naming the fix, never a traceback."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from lifelines import CoxPHFitter

from pts_explorer import escape
from pts_explorer.importer import run_import
from pts_explorer.importer.pipeline import Options
from tests.app.test_benefit_handwritten import handwritten  # noqa: F401  (the hand-written trial fixture)
from tests.app.test_benefit_page import ARM, _analysis_set, _interval, _p, _page, _signed, _table


def _effect_row(sub: pd.DataFrame, label: str) -> list[str]:
    n_stent, n_medical = int((sub.arm == "stent").sum()), int((sub.arm == "medical").sum())
    if min(n_stent, n_medical) < 3:
        return [label, f"{n_stent:,}", f"{n_medical:,}", "–", "–", "–", "randomized"]
    fit = smf.ols(f"change ~ {ARM} + baseline", sub).fit()
    term = f"{ARM}[T.stent]"
    low, high = fit.conf_int().loc[term]
    return [
        label,
        f"{n_stent:,}",
        f"{n_medical:,}",
        _signed(fit.params[term]),
        _interval(low, high),
        _p(fit.pvalues[term]),
        "randomized",
    ]


def _differences(part: pd.DataFrame, column: str, reference: str, labels: dict[str, str]) -> list[list[str]]:
    """Each group's difference in effect from `reference`: the groups' ANCOVAs in one model (arm and
    baseline within each group), with Holm's adjustment over the differences shown."""
    group = f"C({column}, Treatment({reference!r}))"
    fit = smf.ols(f"change ~ {ARM} * {group} + baseline * {group}", part).fit()
    others = [g for g in labels if g != reference and g in set(part[column])]
    terms = [f"{ARM}[T.stent]:{group}[T.{g}]" for g in others]
    raw = np.array([fit.pvalues[t] for t in terms])
    order = np.argsort(raw, kind="stable")
    stepped = np.minimum(np.maximum.accumulate((len(raw) - np.arange(len(raw))) * raw[order]), 1.0)
    holm = np.empty_like(raw)
    holm[order] = stepped
    rows = []
    for g, term, p, adjusted in zip(others, terms, raw, holm, strict=True):
        low, high = fit.conf_int().loc[term]
        rows.append(
            [f"{labels[g]} − {labels[reference]}", _signed(fit.params[term]), _interval(low, high), _p(p)]
            + [_p(adjusted if len(others) > 1 else p)]
        )
    return rows


def test_stenosis_cut_at_typed_points_gives_each_range_its_effect_and_the_differences(app_on, demo_db, demo_con):
    data = _analysis_set(demo_con)
    at = _page(app_on, demo_db, {"by": "stenosis_pct", "cuts": "70, 90"})
    x = data.stenosis_pct
    data["range"] = np.select([x < 70, x < 90], ["low", "middle"], "high")
    labels = {"low": "< 70", "middle": "70 to < 90", "high": "90+"}
    assert _table(at, "Group").astype(str).values.tolist() == [
        _effect_row(data[data.range == g], label) for g, label in labels.items()
    ]
    largest = max(labels, key=lambda g: int((data.range == g).sum()))  # the page's default reference
    assert _table(at, "Difference in effect").astype(str).values.tolist() == _differences(
        data, "range", largest, labels
    )
    assert at.text_input(key="cuts").value == "70, 90"
    assert (at.query_params["by"], at.query_params["cuts"]) == ("stenosis_pct", "70, 90")  # the link holds them


def test_centre_shows_the_eight_largest_apart_and_pools_the_others(app_on, demo_db, demo_con):
    data = _analysis_set(demo_con)
    at = _page(app_on, demo_db, {"by": "center_id"})
    sizes = data.center_id.value_counts()
    order = sorted(sizes.index, key=lambda c: (-int(sizes[c]), c))
    shown, pooled = order[:8], order[8:]
    data["centre"] = data.center_id.where(data.center_id.isin(shown), "pooled")
    labels = {**{c: c for c in shown}, "pooled": f"Other centres ({len(pooled)})"}
    assert len(pooled) > 1
    assert _table(at, "Group").astype(str).values.tolist() == [
        _effect_row(data[data.centre == g], label) for g, label in labels.items()
    ]
    n_stent = data.groupby("centre").arm.apply(lambda a: (a == "stent").sum())
    n_medical = data.groupby("centre").arm.apply(lambda a: (a == "medical").sum())
    estimable = [g for g in labels if min(n_stent.get(g, 0), n_medical.get(g, 0)) >= 3]
    part = data[data.centre.isin(estimable)]
    largest = max(estimable, key=lambda g: int((part.centre == g).sum()))
    assert _table(at, "Difference in effect").astype(str).values.tolist() == _differences(
        part, "centre", largest, {g: labels[g] for g in estimable}
    )
    notes = [c.value for c in at.caption if c.value.startswith("Centre has")]
    assert notes == [
        f"Centre has {len(order)} levels among these patients: the 8 largest are compared apart and the other "
        f"{len(pooled)} pooled as one group, Other centres ({len(pooled)}), so the model holds no interaction term "
        "fitted on a handful of patients."
    ]


def test_a_link_names_centres_to_compare_and_the_one_compared_with(app_on, demo_db, demo_con):
    data = _analysis_set(demo_con)
    sizes = data.center_id.value_counts()
    first, second = sorted(sizes.index, key=lambda c: (-int(sizes[c]), c))[:2]
    query = {"by": "center_id", "groups": [f"center:{first}", f"center:{second}", "center:NOWHERE"]}
    at = _page(app_on, demo_db, {**query, "reference": f"center:{second}"})
    part = data[data.center_id.isin([first, second])]
    assert _table(at, "Group").astype(str).values.tolist() == [
        _effect_row(part[part.center_id == c], c) for c in (first, second)
    ]
    assert _table(at, "Difference in effect").astype(str).values.tolist() == _differences(
        part, "center_id", second, {first: first, second: second}
    )


def test_typed_cut_points_that_are_not_usable_say_what_to_type(app_on, demo_db):
    at = _page(app_on, demo_db, {"by": "age_years"})
    assert at.text_input(key="cuts").value == ""  # empty: the attribute's own, 50 and 65
    assert [list(v) for v in (_table(at, "Group").Group,)] == [["< 50", "50 to < 65", "65+"]]
    for typed, fix in (
        ("fifty", "type numbers only (a point for decimals, e.g. 27.5), separated by commas, e.g. 70, 90"),
        ("50, 50", "type each cut point once"),
        ("1, 2, 3, 4, 5, 6", "type at most 5 cut points, separated by commas"),
    ):
        at.text_input(key="cuts").set_value(typed).run()
        assert not at.exception, at.exception
        assert [i.value for i in at.info if i.value.startswith("**These cut points")] == [
            f"**These cut points cannot be used**: {fix}."
        ]
        assert not at.dataframe  # no numbers from cut points the user did not mean
    at.text_input(key="cuts").set_value("60").run()
    assert list(_table(at, "Group").Group) == ["< 60", "60+"]


def test_a_cut_between_two_hand_written_groups_gives_the_effects_known_by_construction(app_on, handwritten):  # noqa: F811
    """The hand-written trial's common iliac patients have 90% stenosis and its femoral ones 80%: cut at 85,
    the ranges are those two groups, whose effects are -6 and -2 by construction (the difference -4)."""
    at = app_on(handwritten, {"by": "stenosis_pct", "cuts": "85"})
    at.switch_page("app_pages/benefit.py").run()
    assert not at.exception, at.exception
    groups = _table(at, "Group")
    assert groups[["Group", "n stent", "n medical", "Effect, points"]].astype(str).values.tolist() == [
        ["< 85", "12", "12", "-2.00"],
        ["85+", "12", "12", "-6.00"],
    ]
    differences = _table(at, "Difference in effect")
    assert differences[["Difference in effect", "Difference, points"]].astype(str).values.tolist() == [
        ["85+ − < 85", "-4.00"]
    ]
    mmrm = _table(at, "Difference from < 85")
    assert mmrm[["Group", "Effect, points", "Difference from < 85"]].astype(str).values.tolist() == [
        ["< 85", "-2.00", "reference"],
        ["85+", "-6.00", "-4.00"],
    ]


def _variant(trial: Path, folder: Path, edit) -> Path:
    """The hand-written trial's CSVs with patients.csv edited (a data manager's export), imported anew."""
    for source in trial.parent.glob("*.csv"):
        shutil.copy(source, folder / source.name)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    edit(patients)
    patients.to_csv(folder / "patients.csv", index=False)
    out = folder / "variant.duckdb"
    report = run_import("contract", sorted(folder.glob("*.csv")), out, Options(synthetic=True), progress=lambda _: None)
    assert report.imported, report.issues.to_string()
    return out


@pytest.fixture(scope="module")
def bmi_partly_missing(handwritten, tmp_path_factory):  # noqa: F811
    """BMI left empty for the first 6 patients, as a data manager exports a value nobody measured."""

    def edit(patients: pd.DataFrame) -> None:
        patients.loc[:5, "bmi"] = ""

    return _variant(handwritten, tmp_path_factory.mktemp("bmi_missing"), edit)


@pytest.fixture(scope="module")
def centres_with_markup(handwritten, tmp_path_factory):  # noqa: F811
    """Two centres whose names a site wrote with Markdown characters: the common iliac patients' and the
    femoral patients'."""

    def edit(patients: pd.DataFrame) -> None:
        patients["center_id"] = np.where(patients.obstruction_site == "common_iliac", "**Nord**", "[Sud](x.org)")

    return _variant(handwritten, tmp_path_factory.mktemp("centres"), edit)


def test_patients_without_a_value_are_left_out_and_the_page_says_how_many(app_on, bmi_partly_missing):
    at = app_on(bmi_partly_missing, {"by": "bmi", "cuts": "25"})
    at.switch_page("app_pages/benefit.py").run()
    assert not at.exception, at.exception
    assert [c.value for c in at.caption if "no recorded" in c.value] == [
        "6 patients of the analysis set have no recorded BMI: in no group, left out."
    ]
    # every recorded BMI is 26.0 (the fixture's): a cut at 25 leaves nobody below it, refused (review s8, 2)
    assert [escape.markdown_text(i.value) for i in at.info if i.value.startswith("**")] == [
        "These cut points cannot be used: 25 cannot split this cohort's patients seen at baseline and month 6: "
        "every one has a BMI of 26 kg/m²."
    ]


def test_a_links_data_valued_groups_are_never_shown_as_markup(app_on, demo_db):
    hostile = {"by": "center_id", "reference": "center:<b>x</b>", "groups": ["center:**bold**", "center:TC15"]}
    at = _page(app_on, demo_db, hostile)
    shown = [e.value for e in [*at.markdown, *at.info, *at.caption, *at.warning] if isinstance(e.value, str)]
    assert not [text for text in shown if "<b>x</b>" in text or "**bold**" in text]
    assert list(_table(at, "Group").Group) == ["TC15"]  # the link's one centre of the data


def test_a_centres_name_is_shown_as_the_text_it_is(app_on, centres_with_markup):
    at = app_on(centres_with_markup, {"by": "center_id", "reference": "center:**Nord**"})
    at.switch_page("app_pages/benefit.py").run()
    assert not at.exception, at.exception
    groups = _table(at, "Group")
    assert groups[["Group", "Effect, points"]].astype(str).values.tolist() == [
        ["**Nord**", "-6.00"],  # the larger group first (a tie: the names' order)
        ["[Sud](x.org)", "-2.00"],
    ]
    assert _table(at, "Difference in effect")["Difference in effect"].tolist() == ["[Sud](x.org) − **Nord**"]
    effect = next(c.value for c in at.caption if c.value.startswith("Effect: "))
    assert "each group against \\*\\*Nord\\*\\*, from" in effect  # escaped: never bold


def test_a_split_by_study_compares_the_hazard_ratios_within_each_study(app_on, demo_db, demo_con):
    """Each group is one study, the Cox model's stratum: the ratio of hazard ratios is the arm x trial term
    of a Cox model stratified by study (lifelines, from the contract tables), not a model that cannot fit."""
    at = _page(app_on, demo_db, {"by": "study_id", "registry": "True"})
    patients = demo_con.table("patients").df().set_index("patient_id")
    events = demo_con.table("events").df()
    first = events[events.event_type == "recurrent_dvt"].groupby("patient_id").event_day.min().reindex(patients.index)
    observed = first.notna() & (first <= patients.last_contact_day)
    stent = (patients.arm == "stent").astype(float)
    frame = pd.DataFrame(
        {
            "stent": stent,
            "stent_in_trial": stent * (patients.study_id == "TRIAL"),
            "duration": np.where(observed, first, patients.last_contact_day),
            "observed": observed.astype(int),
            "study": patients.study_id,
        }
    )
    fit = CoxPHFitter(strata=["study"]).fit(frame, "duration", "observed").summary.loc["stent_in_trial"]
    table = _table(at, "Ratio to REGISTRY").set_index("Group")
    assert table.loc["TRIAL", ["Ratio to REGISTRY", "95% CI of the ratio", "p (interaction)"]].tolist() == [
        f"{fit['exp(coef)']:.2f}",
        _interval(fit["exp(coef) lower 95%"], fit["exp(coef) upper 95%"]),
        _p(fit["p"]),
    ]
    assert [c.value for c in at.caption if c.value.startswith("Split by study")] == [
        "Split by study, each group is one study: the MMRM, fitted per study, has no two groups within a study to "
        "compare, so it shows no difference; the ANCOVA above compares the studies."
    ]


def test_other_cut_points_or_another_split_start_from_every_group(app_on, demo_db):
    """A range's number means another range once the cut points change: the chosen groups and the group
    compared with start again from every group and the largest."""
    at = _page(app_on, demo_db, {"by": "age_years", "cuts": "50, 65", "groups": ["1", "3"], "reference": "3"})
    assert list(_table(at, "Group").Group) == ["< 50", "65+"]
    at.text_input(key="cuts").set_value("60").run()
    assert not at.exception, at.exception
    assert list(_table(at, "Group").Group) == ["< 60", "60+"]
    assert at.selectbox(key="reference").value == "largest"
    at.multiselect(key="groups").set_value(["1"]).run()
    at.selectbox(key="by").set_value("ceap_c").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="groups").value == [] and "cuts" not in at.query_params


def test_ceap_classes_are_compared_even_where_a_class_shares_one_baseline(app_on, demo_db, demo_con):
    """The trial's C3 patients all have the same baseline Villalta: their ANCOVA is their difference in mean
    change (nothing to adjust for), and the model of the differences still holds every class."""
    data = _analysis_set(demo_con)
    assert data[data.ceap_c == "C3"].baseline.nunique() == 1  # what this test is about
    at = _page(app_on, demo_db, {"by": "ceap_c"})
    classes = ["C3", "C4a", "C4b", "C4c", "C5", "C6"]
    assert _table(at, "Group").astype(str).values.tolist() == [_effect_row(data[data.ceap_c == c], c) for c in classes]
    largest = max(classes, key=lambda c: int((data.ceap_c == c).sum()))
    assert _table(at, "Difference in effect").astype(str).values.tolist() == _differences(
        data, "ceap_c", largest, {c: c for c in classes}
    )
    # C3's MMRM (a baseline-by-visit term with one baseline) cannot be fitted: named, with why
    assert [escape.markdown_text(c.value) for c in at.caption if c.value.startswith("No MMRM")] == [
        "No MMRM in C3 (TRIAL): the design matrix is singular (rank 10 of 15: C(visit_month)[1]:baseline, "
        "C(visit_month)[3]:baseline, C(visit_month)[6]:baseline depend on the other columns)."
    ]
    assert "C3" not in list(_table(at, "Difference from C4a").Group)
    # C4a, the largest class, has no recurrent DVT in an arm: no ratio to it (never a ratio to another class)
    assert [escape.markdown_text(i.value) for i in at.info if "hazard ratios" in i.value] == [
        "No ratio of hazard ratios for recurrent DVT: C4a, the group the others are compared with, has no event in "
        "an arm."
    ]
