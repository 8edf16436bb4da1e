"""Who benefits says only what the numbers support (review s8, finding 1): a difference whose CI
includes 0, or whose Holm-adjusted p is not small, is read as a point estimate with no evidence of a
difference; the across-visits and across-outcomes lines say they are not adjusted for multiplicity;
a claimed difference has the one test of all groups at once beside it. Whole sentences compared."""

import numpy as np

from pts_explorer import escape
from tests.app.test_benefit_page import _analysis_set, _joint_difference, _long, _page, _table


def _bullets(at) -> list[str]:
    return escape.markdown_text(next(m.value for m in at.markdown if m.value.startswith("- "))).split("\n")


def test_a_claimed_difference_has_the_interaction_test_beside_it(app_on, demo_db):
    at = _page(app_on, demo_db, {})
    differences = _table(at, "Difference in effect").astype(str)
    label = "Common iliac, 70%+ − Below 70%, any site"
    row = differences[differences["Difference in effect"] == label].iloc[0]
    assert float(row["p, Holm-adjusted"]) < 0.05  # the demo's claim: below 0.05 once adjusted
    caption = next(c.value for c in at.caption if c.value.startswith("4 differences on screen"))
    f_p = caption.rpartition("p = ")[2].rstrip(".")
    assert float(f_p) >= 0.05  # ... while the test of all groups at once is not
    low, high = (float(v) for v in row["95% CI"].split(" to "))
    assert high < 0
    want = (
        "- The stent's benefit is larger in Common iliac, 70%+ than in Below 70%, any site: difference in effect "
        f"{row['Difference, points']} points (95% CI {row['95% CI']}); the CI excludes 0 (Holm-adjusted p = "
        f"{row['p, Holm-adjusted']}); the interaction F-test of all groups at once: p = {f_p}, which does not show "
        "the effect differing between the groups: read this difference with caution."
    )
    assert [line for line in _bullets(at) if line.startswith("- The stent's benefit is larger in Common iliac")] == [
        want
    ]


def test_without_evidence_of_a_difference_the_visits_line_speaks_of_point_estimates(app_on, demo_db, demo_con):
    """By centre every difference's CI includes 0: TC15's line across visits, recomputed from the
    contract tables at every other visit, reads as a point estimate with no evidence of a difference."""
    data = _analysis_set(demo_con)
    at = _page(app_on, demo_db, {"by": "center_id"})
    sizes = data.center_id.value_counts()
    order = sorted(sizes.index, key=lambda c: (-int(sizes[c]), c))
    shown = order[:8]
    long = _long(demo_con)
    long["centre"] = long.center_id.where(long.center_id.isin(shown), "pooled")
    n_stent = data[data.center_id.isin(shown)].groupby("center_id").arm.apply(lambda a: (a == "stent").sum())
    n_medical = data[data.center_id.isin(shown)].groupby("center_id").arm.apply(lambda a: (a == "medical").sum())
    estimable = [c for c in shown if min(n_stent.get(c, 0), n_medical.get(c, 0)) >= 3] + ["pooled"]
    part = long[long.centre.isin(estimable)]
    month6 = part[part.visit_month == 6]
    main = float(_joint_difference(month6, "centre", "pooled", "TC15")[0])
    low6, high6 = (float(v) for v in _joint_difference(month6, "centre", "pooled", "TC15")[1].split(" to "))
    assert low6 < 0 < high6
    larger = main < 0  # Villalta: lower is better
    same, clear = [], []
    visits = sorted(m for m in part.visit_month.unique() if m != 6)
    for month in visits:
        estimate, interval, _ = _joint_difference(part[part.visit_month == month], "centre", "pooled", "TC15")
        if (float(estimate) < 0) == larger:
            same.append(month)
        low, high = (float(v) for v in interval.split(" to "))
        if low > 0 or high < 0:
            clear.append(month)
    assert not clear  # the demo: no visit's CI excludes 0
    months = ("month " if len(same) == 1 else "months ") + ", ".join(str(m) for m in same)
    want = (
        "- Across visits (Villalta total; not adjusted for multiplicity): the point estimate of the stent's benefit "
        f"is {'larger' if larger else 'smaller'} in TC15 than in Other centres ({len(order) - 8}), as at month 6, "
        f"at {len(same)} of the {len(visits)} other visits with an estimate"
        + (f" ({months})" if same and len(same) < len(visits) else "")
        + "; the CI includes 0 at each of them: no evidence of a difference."
    )
    assert [line for line in _bullets(at) if line.startswith("- Across visits") and " in TC15 " in line] == [want]
    assert np.isfinite(main)


def test_cut_points_outside_the_attributes_range_are_refused_naming_it(app_on, demo_db, demo_con):
    """Review s8, finding 2: a cut at 200, -5 or 0 for stenosis % leaves one side empty: refused, with
    the range of stenosis among these patients (recomputed from the contract tables)."""
    stenosis = _analysis_set(demo_con).stenosis_pct.astype(float)
    low, high = f"{stenosis.min():g}", f"{stenosis.max():g}"
    at = _page(app_on, demo_db, {"by": "stenosis_pct"})
    for typed, outside in (("200", "200 is"), ("-5", "-5 is"), ("0, 70", "0 is"), ("-5, 200", "-5, 200 are")):
        at.text_input(key="cuts").set_value(typed).run()
        assert not at.exception, at.exception
        assert [i.value for i in at.info if i.value.startswith("**")] == [
            f"**These cut points cannot be used**: {outside} outside the range of stenosis among this cohort's "
            f"patients seen at baseline and month 6, {low} to {high} %: type cut points above {low} and at most "
            f"{high}."
        ]
        assert not at.dataframe  # no analysis of groups the user did not mean
    at.text_input(key="cuts").set_value(high).run()  # the top of the range: its patients are the upper group
    assert list(_table(at, "Group").Group) == [f"< {high}", f"{high}+"]


def test_refused_cut_points_stay_in_the_box_and_out_of_the_address(app_on, demo_db):
    """Review s8, finding 3: the address carries only cut points the page used (the last, or none), so
    a link never opens another analysis than the sender's; the refused text stays in the box."""
    at = _page(app_on, demo_db, {"by": "stenosis_pct"})
    at.text_input(key="cuts").set_value("80").run()
    assert at.query_params["cuts"] in ("80", ["80"])
    for typed in ("abc", "70, 70", "200"):
        at.text_input(key="cuts").set_value(typed).run()
        assert not at.exception, at.exception
        assert at.text_input(key="cuts").value == typed
        assert at.query_params["cuts"] in ("80", ["80"])
    fresh = _page(app_on, demo_db, {"by": "age_years"})
    fresh.text_input(key="cuts").set_value("abc").run()
    assert "cuts" not in fresh.query_params  # nothing accepted yet: the attribute's own cut points


def test_each_group_left_out_of_the_hazard_ratios_is_named_with_its_own_reason(app_on, demo_db, demo_con):
    """Review s8, finding 4: the Cox models use every randomized patient, not only those seen at month 6;
    a group left out is named with its reason, counted from the contract tables' events."""
    from tests.app.test_benefit_page import _recurrent_dvt

    studies = demo_con.table("studies").df()
    data = _recurrent_dvt(demo_con)
    data = data[data.study_id.isin(studies.study_id[studies.design == "randomized"])]
    at = _page(app_on, demo_db, {})
    groups = _table(at, "Group").astype(str)
    hazards = _table(at, "Events, stent").astype(str)
    labels = {
        "ivc": "IVC, 70%+",
        "common_iliac": "Common iliac, 70%+",
        "external_iliac": "External iliac, 70%+",
        "common_femoral": "Common femoral, 70%+",
        "femoral": "Femoral, 70%+",
        "below_70": "Below 70%, any site",
    }
    reasons = []
    for site, label in labels.items():
        if label not in set(groups.Group) or label in set(hazards.Group):
            continue
        if groups.loc[groups.Group == label, "Effect, points"].iloc[0] == "–":
            reasons.append(
                f"{label} (its effect at month 6 is not estimated: fewer than 3 patients in an arm with the outcome)"
            )
            continue
        events = data[data.site == site].groupby("arm")["observed"].sum().reindex(["stent", "medical"], fill_value=0)
        silent = [arm for arm in ("stent", "medical") if events[arm] == 0]
        assert silent  # a group with events in both arms has its hazard ratio
        reasons.append(
            f"{label} (no recurrent DVT in either arm)"
            if len(silent) == 2
            else f"{label} (no recurrent DVT in the {silent[0]} arm)"
        )
    assert reasons  # the demo leaves groups out
    notes = [c.value for c in at.caption if c.value.startswith("Left out")]
    assert [escape.markdown_text(n) for n in notes] == [
        "Left out (a group needs an event in each arm): " + "; ".join(reasons) + "."
    ]


def test_a_centre_too_small_to_estimate_is_named_and_not_counted_as_modelled(app_on, demo_db, demo_con):
    """Review s8, finding 5: by centre, a shown centre with fewer than 3 patients in an arm is not in the
    models: the presenter line counts the patients the models use (and says how many more are in groups
    too small), and the chart's screen-reader text names the centre as too small."""
    import json
    import re

    data = _analysis_set(demo_con)
    sizes = data.center_id.value_counts()
    order = sorted(sizes.index, key=lambda c: (-int(sizes[c]), c))
    data["centre"] = data.center_id.where(data.center_id.isin(order[:8]), "pooled")
    per_arm = data.groupby(["centre", "arm"]).size().unstack(fill_value=0)
    small = [c for c in order[:8] + ["pooled"] if min(per_arm.loc[c, "stent"], per_arm.loc[c, "medical"]) < 3]
    assert small  # the demo: a centre among the 8 largest too small in an arm (TC08)
    used = data[~data.centre.isin(small)]
    n = used.arm.value_counts()

    at = _page(app_on, demo_db, {"by": "center_id", "present": "1"})
    line = next(m.value for m in at.markdown if m.value.startswith("**Who benefits** · "))
    found = re.search(r" · n = ([^·]+) · ", line)
    assert found
    assert found[1] == (
        f"{n['stent']:,} stent, {n['medical']:,} medical seen at baseline and month 6 in the groups large enough to "
        f"estimate ({len(data) - len(used):,} more in {len(small)} group{'s' if len(small) > 1 else ''} too small "
        "to estimate)"
    )

    analyst = _page(app_on, demo_db, {"by": "center_id"})
    groups = _table(analyst, "Group").astype(str)
    differences = _table(analyst, "Difference in effect").astype(str)
    caption = next(c.value for c in analyst.caption if c.value.startswith(f"{len(differences)} differences on screen"))
    estimated = groups[groups["Effect, points"] != "–"]
    summary = (
        "Effect (stent − medical, points) by group: "
        + "; ".join(f"{g} {e}" for g, e in zip(estimated.Group, estimated["Effect, points"], strict=True))
        + "; too few patients to estimate: "
        + ", ".join(small)
        + ". Differences in effect: "
        + "; ".join(
            f"{label} {d} ({ci})"
            for label, d, ci in differences[["Difference in effect", "Difference, points", "95% CI"]].itertuples(
                index=False
            )
        )
        + f". Interaction test p = {caption.rpartition('p = ')[2].rstrip('.')}."
    )
    title = json.loads(analyst.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    charts = [m.value for m in analyst.markdown if m.value.startswith('<p class="sr-only">Chart: ')]
    assert charts[0] == (
        f'<p class="sr-only">Chart: {escape.html_in_markdown(title)}. {escape.html_in_markdown(summary)}</p>'
    )
