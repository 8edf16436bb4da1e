"""Click a chart to filter (issue 28, item 3): a click on a bar or a curve adds the matching filters
as chips and to the address, as the sidebar would; the page then counts the new cohort. What the
click should set is read off the chart as plotly.js holds it (the bar's value, the curve's group),
never from the app's code."""

from playwright.sync_api import Page, expect

from tests.browser.app_driver import act_and_wait, open_page, query

# The trace and point index, and the point's place on screen, of the bar or curve point whose trace
# `meta` names these filters (the app's convention for what a click sets), with the bar's length.
FIND = """([key, wanted]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  for (let t = 0; t < gd.data.length; t++) {
    const trace = gd.data[t];
    const meta = trace.meta || {};
    for (let i = 0; i < gd.calcdata[t].length; i++) {
      const matches = Object.keys(wanted).length > 0 && Object.entries(wanted).every(([field, value]) =>
        Array.isArray(meta[field]) ? meta[field][i] === value : meta[field] === value);
      if (!matches) continue;
      const calc = gd.calcdata[t][i];
      if (trace.type === 'bar') {  // the bar as drawn (grouped bars sit beside their category's centre)
        const bars = gd.querySelectorAll('.barlayer .trace')[gd._fullData[t].index];
        const r = bars.querySelectorAll('.point')[i].getBoundingClientRect();
        return {trace: t, point: i, x: r.left + r.width / 2, y: r.top + r.height / 2, value: calc.s};
      }
      if (!Number.isFinite(calc.y) || i === 0) continue;  // a point on the curve past its start
      const full = gd._fullData[t];
      const xa = gd._fullLayout[full.xaxis.replace('x', 'xaxis')];
      const ya = gd._fullLayout[full.yaxis.replace('y', 'yaxis')];
      const box = gd.querySelector(`.nsewdrag[data-subplot="${full.xaxis}${full.yaxis}"]`).getBoundingClientRect();
      return {trace: t, point: i, x: box.left + xa.l2p(calc.x), y: box.top + ya.l2p(calc.y), value: null};
    }
  }
  return null;
}"""


def _click(page: Page, key: str, wanted: dict) -> dict:
    found = page.evaluate(FIND, [key, wanted])
    assert found is not None, f"no point of {key} with {wanted}"
    act_and_wait(page, lambda: page.mouse.click(found["x"], found["y"]))
    return found


def test_a_click_on_an_overview_bar_filters_to_its_study_and_arm(server, page: Page):
    open_page(page, server + "/overview")
    bar = _click(page, "overview_sizes", {"study": "REGISTRY", "arm": "stent"})
    assert query(page) == {"study": ["REGISTRY"], "arm": ["stent"]}
    expect(page.get_by_role("button", name="REGISTRY ×")).to_be_visible()
    expect(page.get_by_role("button", name="Stent ×")).to_be_visible()
    # The cohort the page counts now is the bar that was clicked.
    patients = page.get_by_test_id("stMetric").filter(has_text="Patients").get_by_test_id("stMetricValue")
    assert patients.inner_text() == f"{int(bar['value']):,}"


def test_a_click_on_a_sites_curve_filters_to_that_site(server, page: Page):
    open_page(page, server + "/durability?group=obstruction_site")
    _click(page, "km_chart", {"site": "femoral"})
    assert query(page) == {"group": ["obstruction_site"], "site": ["femoral"]}
    expect(page.get_by_role("button", name="Femoral ×")).to_be_visible()
