"""Who benefits in Chromium (#26): the seed's question (high-grade common iliac against femoral
obstruction, randomized patients, month 6) asked from a shared link in a fresh browser. The page's
difference in effect, its CI and the interaction p are read off the page (the key chart's text
alternative) and recomputed from the contract tables with pandas and a statsmodels formula."""

import numpy as np
import statsmodels.formula.api as smf
from playwright.sync_api import Page

from tests.browser.app_driver import new_context, open_page

ARM = "C(arm, Treatment('medical'))"


def _expected(con) -> str:
    patients, visits = con.table("patients").df(), con.table("visits").df()
    trial = set(con.execute("SELECT study_id FROM studies WHERE design = 'randomized'").df().study_id)
    score = visits.pivot_table(index="patient_id", columns="visit_month", values="villalta_total", aggfunc="max")
    both = score[[0, 6]].dropna()
    rows = patients.set_index("patient_id").loc[both.index]
    rows = rows.assign(
        site=np.where(rows.stenosis_pct >= 70, rows.obstruction_site, "below_70"),
        baseline=both[0],
        change=both[6] - both[0],
    )
    part = rows[rows.study_id.isin(trial) & rows.site.isin(["common_iliac", "femoral"])]
    effects = []
    for site in ("common_iliac", "femoral"):
        fit = smf.ols(f"change ~ {ARM} + baseline", part[part.site == site]).fit()
        effects.append(fit.params[f"{ARM}[T.stent]"])
    group = "C(site, Treatment('common_iliac'))"  # the largest group: the page's default reference
    joint = smf.ols(f"change ~ {ARM} * {group} + baseline * {group}", part).fit()
    term = f"{ARM}[T.stent]:C(site, Treatment('common_iliac'))[T.femoral]"
    low, high = joint.conf_int().loc[term]
    p = joint.pvalues[term]
    return (
        "Chart: Stent effect on Villalta total at month 6 by site of a high-grade obstruction, and the differences. "
        f"Effect (stent − medical, points) by group: Common iliac, 70%+ {effects[0]:+.2f}; Femoral, 70%+ "
        f"{effects[1]:+.2f}. Differences in effect: Femoral, 70%+ − Common iliac, 70%+ {joint.params[term]:+.2f} "
        f"({low:.2f} to {high:.2f}). Interaction test p = {p:.3f}."
    )


def _chart_text(page: Page) -> str:
    return page.locator("p.sr-only").filter(has_text="Chart: Stent effect").first.inner_text().strip()


def _link_address(page: Page) -> str:
    page.get_by_role("button", name="Link", exact=True).click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").locator("code")
    return code.inner_text().strip()


def test_the_seed_question_from_a_shared_link(server, browser, demo_con):
    first = new_context(browser, viewport={"width": 1280, "height": 720}).new_page()
    open_page(first, f"{server}/benefit?groups=common_iliac&groups=femoral")
    address = _link_address(first)
    first.context.close()

    fresh = new_context(browser, viewport={"width": 1280, "height": 720}).new_page()
    open_page(fresh, address)
    assert _chart_text(fresh) == _expected(demo_con)
    box = fresh.locator(".st-key-benefit_chart").bounding_box()
    assert box is not None and box["y"] < 720  # the key chart starts in the first screen
    fresh.context.close()
