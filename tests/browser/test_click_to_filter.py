"""Click a chart to filter (issue 28, item 3): a click on a bar or a curve adds the matching filters
as chips and to the address, as the sidebar would; the page then counts the new cohort. What the
click should set is read off the chart as a person reads it (the bar's name and label and its value,
the curve's name), never from the app's code."""

import re

import duckdb
from playwright.sync_api import Page, expect

from pts_explorer.config import DUCKDB_CONFIG
from tests.browser.app_driver import act_and_wait, new_context, open_page, query

# The place on screen of a bar (its trace's name and its category's label) or of a point past the start
# of a curve (its trace's name), as plotly.js drew them, with the bar's length.
FIND = """([key, name, label]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  for (let t = 0; t < gd.data.length; t++) {
    const full = gd._fullData[t];
    if (full.name !== name) continue;
    for (let i = 0; i < gd.calcdata[t].length; i++) {
      const calc = gd.calcdata[t][i];
      if (full.type === 'bar') {  // the bar as drawn (grouped bars sit beside their category's centre)
        if (full.y[i] !== label) continue;
        const bars = gd.querySelectorAll('.barlayer .trace')[full.index];
        const r = bars.querySelectorAll('.point')[i].getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2, value: calc.s};
      }
      if (!Number.isFinite(calc.y) || i === 0) continue;
      const xa = gd._fullLayout[full.xaxis.replace('x', 'xaxis')];
      const ya = gd._fullLayout[full.yaxis.replace('y', 'yaxis')];
      const box = gd.querySelector(`.nsewdrag[data-subplot="${full.xaxis}${full.yaxis}"]`).getBoundingClientRect();
      return {x: box.left + xa.l2p(calc.x), y: box.top + ya.l2p(calc.y), value: null};
    }
  }
  return null;
}"""


def _click(page: Page, key: str, name: str, label: str = "") -> dict:
    found = page.evaluate(FIND, [key, name, label])
    assert found is not None, f"no point of {key} named {name!r} {label!r}"
    act_and_wait(page, lambda: page.mouse.click(found["x"], found["y"]))
    return found


def test_a_click_on_an_overview_bar_filters_to_its_study_and_arm(server, page: Page):
    open_page(page, server + "/overview")
    bar = _click(page, "overview_sizes", "Stent", "REGISTRY (observational)")
    assert query(page) == {"study": ["REGISTRY"], "arm": ["stent"]}
    expect(page.get_by_role("button", name="REGISTRY ×")).to_be_visible()
    expect(page.get_by_role("button", name="Stent ×")).to_be_visible()
    # The cohort the page counts now is the bar that was clicked.
    patients = page.get_by_test_id("stMetric").filter(has_text="Patients").get_by_test_id("stMetricValue")
    assert patients.inner_text() == f"{int(bar['value']):,}"


def test_a_click_on_a_sites_curve_filters_to_that_site(server, page: Page):
    open_page(page, server + "/durability?group=obstruction_site")
    _click(page, "km_chart", "Femoral")
    # Primary patency (the default) is a stent-only endpoint: its curves hold stent patients only.
    assert query(page) == {"group": ["obstruction_site"], "arm": ["stent"], "site": ["femoral"]}
    expect(page.get_by_role("button", name="Femoral ×")).to_be_visible()


# A bar of a chart split into panels, one per subgroup (its panel's title): the trace's name, the bar's
# label and the customdata its hover reads, with its place on screen.
FIND_IN_PANEL = """([key, name, label, panel]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const titles = (gd._fullLayout.annotations || []).map(a => a.text);
  const row = titles.indexOf(panel);
  if (row < 0) return null;
  const yaxis = row === 0 ? 'y' : `y${row + 1}`;
  const layers = gd.querySelectorAll('.barlayer .trace');
  for (let t = 0; t < gd.data.length; t++) {
    const full = gd._fullData[t];
    if (full.name !== name || full.yaxis !== yaxis) continue;
    const i = full.y.indexOf(label);
    if (i < 0) continue;
    const bar = layers[full.index].querySelectorAll('.point')[i];
    bar.scrollIntoView({block: 'center'});  // a tall chart's lower panels lie below the window
    const r = bar.getBoundingClientRect();
    return {x: r.left + Math.max(r.width, 4) / 2, y: r.top + r.height / 2, hover: gd.data[t].customdata[i],
            panels: titles, names: gd._fullData.map(d => d.name)};
  }
  return null;
}"""


def test_a_click_on_a_safety_bar_adds_its_filter_chip_and_the_url_key(server, page: Page):
    open_page(page, server + "/safety?split=obstruction_site")
    found = page.evaluate(FIND_IN_PANEL, ["complication_bars", "Stent", "Access-site bleeding", "Femoral"])
    assert found is not None, "no Stent bar of Access-site bleeding in the Femoral panel"
    act_and_wait(page, lambda: page.mouse.click(found["x"], found["y"]))
    assert query(page) == {"split": ["obstruction_site"], "arm": ["stent"], "site": ["femoral"]}
    expect(page.get_by_role("button", name="Stent ×")).to_be_visible()
    expect(page.get_by_role("button", name="Femoral ×")).to_be_visible()
    # The chart now draws that cohort: the femoral stent patients alone, the same bar as was clicked.
    after = page.evaluate(FIND_IN_PANEL, ["complication_bars", "Stent", "Access-site bleeding", "Femoral"])
    assert after is not None and after["panels"] == ["Femoral"] and set(after["names"]) == {"Stent"}
    assert after["hover"] == found["hover"]


# The legend's entries as plotly.js drew them (its text, in the legend's order).
LEGEND = """(key) => [...document.querySelectorAll(`.st-key-${key} .js-plotly-plot .legend .traces .legendtext`)]
    .map(t => t.textContent)"""


def test_a_legend_entrys_button_filters_to_its_curve(server, page: Page):
    # Streamlit's plotly events cannot report a click on the legend (issue 28 item 3): each entry of the
    # legend is a button under the chart; one click there sets the entry's filter as a click on its curve does.
    open_page(page, server + "/durability?group=obstruction_site")
    entries = page.evaluate(LEGEND, "km_chart")
    buttons = page.locator(".st-key-km_chart_legend_filters").get_by_role("button")
    # Their accessible names (the icon is aria-hidden), in order: the legend's entries.
    names = buttons.evaluate_all("els => els.map(e => e.querySelector('[data-testid=stMarkdownContainer]').innerText)")
    assert names == entries
    assert entries == ["IVC", "Common iliac", "External iliac", "Common femoral", "Femoral"]
    act_and_wait(page, lambda: buttons.filter(has_text="External iliac").click())
    assert query(page) == {"group": ["obstruction_site"], "arm": ["stent"], "site": ["external_iliac"]}
    expect(page.get_by_role("button", name="External iliac ×")).to_be_visible()
    assert page.evaluate(LEGEND, "km_chart") == ["External iliac"]  # the chart now draws that group alone


# A bar of a vertical bar chart split into titled panels (subplots numbered row by row, as their titles are):
# the trace's name, the bar at category `label`, its hover's count (customdata), with its place on screen.
FIND_COLUMN_IN_PANEL = """([key, name, label, panel]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const titles = (gd._fullLayout.annotations || []).map(a => a.text);
  const n = titles.indexOf(panel);
  if (n < 0) return null;
  const xaxis = n === 0 ? 'x' : `x${n + 1}`;
  const layers = gd.querySelectorAll('.barlayer .trace');
  for (let t = 0; t < gd.data.length; t++) {
    const full = gd._fullData[t];
    if (full.name !== name || full.xaxis !== xaxis) continue;
    const i = full.x.indexOf(label);
    if (i < 0) continue;
    const bar = layers[full.index].querySelectorAll('.point')[i];
    bar.scrollIntoView({block: 'center'});
    const r = bar.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + Math.max(r.height, 4) / 2, n: gd.data[t].customdata[i], panels: titles};
  }
  return null;
}"""


def _patients(page: Page) -> str:
    """The cohort's count, as the sidebar writes it ("**60** of 2,640 patients")."""
    line = page.get_by_test_id("stSidebar").get_by_test_id("stMarkdownContainer").filter(has_text=COHORT_LINE)
    return line.first.inner_text().split(" of ")[0].strip()


COHORT_LINE = re.compile(r"^[\d,]+ of ([\d,]+|hidden) patients$")

# The last point of a curve (its trace's name), where curves that start together have parted, on screen.
LAST_POINT = """([key, name]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  for (let t = 0; t < gd.data.length; t++) {
    const full = gd._fullData[t];
    if (full.name !== name || full.mode !== 'lines+markers') continue;
    const calc = gd.calcdata[t];
    for (let i = calc.length - 1; i > 0; i--) {
      if (!Number.isFinite(calc[i].y)) continue;
      const xa = gd._fullLayout[full.xaxis.replace('x', 'xaxis')];
      const ya = gd._fullLayout[full.yaxis.replace('y', 'yaxis')];
      const box = gd.querySelector(`.nsewdrag[data-subplot="${full.xaxis}${full.yaxis}"]`).getBoundingClientRect();
      return {x: box.left + xa.l2p(calc[i].x), y: box.top + ya.l2p(calc[i].y)};
    }
  }
  return null;
}"""


def test_a_click_on_a_trajectory_band_bar_keeps_its_panels_study(server, page: Page):
    # Fourth review of issue 28, finding 3: split by study (the default), a click on the TRIAL panel's Stent
    # month-0 Moderate bar (n = 60) gave arm=stent&band=moderate, 559 patients of both studies.
    open_page(page, server + "/trajectories")
    bar = page.evaluate(FIND_COLUMN_IN_PANEL, ["band_chart", "Moderate (10-14)", "0", "Stent · TRIAL"])
    assert bar is not None, "no month-0 Moderate bar in the Stent · TRIAL panel"
    assert str(bar["n"]) == "60"
    act_and_wait(page, lambda: page.mouse.click(bar["x"], bar["y"]))
    assert query(page) == {"study": ["TRIAL"], "arm": ["stent"], "band": ["moderate"]}
    for chip in ("TRIAL ×", "Stent ×", "Moderate (10-14) ×"):
        expect(page.get_by_role("button", name=chip)).to_be_visible()
    assert _patients(page) == "60"  # the cohort is the bar that was clicked


# The number at risk at time 0 of a survival chart's group (the text row under the curves named `name`).
AT_RISK = """([key, name]) => {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const row = gd.data.find(d => d.mode === 'text' && d.y && d.y[0] === name);
  return row ? row.text[0] : null;
}"""


def test_a_click_on_a_stent_only_curve_filters_to_its_stent_patients(server, demo_db, page: Page):
    # Fourth review of issue 28, finding 6: on a stent-only endpoint the IVC curve (of the IVC stent patients)
    # gave site=ivc, a cohort of 137 of both arms.
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        stent, both = con.execute(
            "SELECT count(*) FILTER (WHERE arm = 'stent'), count(*) FROM patients WHERE obstruction_site = 'ivc'"
        ).fetchone()
    assert (stent, both) == (99, 137)
    open_page(page, server + "/durability?group=obstruction_site&endpoint=secondary_patency")
    at_risk = page.evaluate(AT_RISK, ["km_chart", "IVC"])  # those with a successful procedure, of the 99
    end = page.evaluate(LAST_POINT, ["km_chart", "IVC"])
    assert end is not None, "no IVC curve"
    act_and_wait(page, lambda: page.mouse.click(end["x"], end["y"]))
    assert query(page) == {
        "group": ["obstruction_site"],
        "endpoint": ["secondary_patency"],
        "arm": ["stent"],
        "site": ["ivc"],
    }
    expect(page.get_by_role("button", name="IVC ×")).to_be_visible()
    expect(page.get_by_role("button", name="Stent ×")).to_be_visible()
    assert _patients(page) == "99"
    assert page.evaluate(AT_RISK, ["km_chart", "IVC"]) == at_risk  # the same curve as was clicked


# The place on screen of a legend entry whose text is `name`, as plotly.js drew it.
LEGEND_ENTRY = """([key, name]) => {
  const texts = [...document.querySelectorAll(`.st-key-${key} .js-plotly-plot .legend .traces .legendtext`)];
  const text = texts.find((t) => t.textContent === name);
  if (!text) return null;
  const r = text.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
}"""


def test_a_click_on_a_legend_entry_sets_its_filter_and_says_whom_the_curve_holds(server, demo_db, browser):
    # Fifth review of issue 28, finding 6: at 1440x900 a click on "Femoral" in the Durability chart's legend left
    # the address as it was; the curve then clicked (130 at risk) gave a cohort of 136 that nothing explained.
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        stent, successful = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE pr.technical_success) FROM patients AS p "
            "LEFT JOIN procedures AS pr ON pr.patient_id = p.patient_id "
            "WHERE p.study_id = 'REGISTRY' AND p.arm = 'stent' AND p.obstruction_site = 'femoral'"
        ).fetchone()
    assert (stent, successful) == (136, 130)
    context = new_context(browser, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    open_page(page, server + "/durability?study=REGISTRY&group=obstruction_site")
    at_risk = page.evaluate(AT_RISK, ["km_chart", "Femoral"])
    entry = page.evaluate(LEGEND_ENTRY, ["km_chart", "Femoral"])
    assert entry is not None, "no Femoral entry in the legend"
    act_and_wait(page, lambda: page.mouse.click(entry["x"], entry["y"]))
    # Primary patency is a stent-only endpoint: the entry sets what a click on its curve sets.
    assert query(page) == {
        "study": ["REGISTRY"],
        "group": ["obstruction_site"],
        "arm": ["stent"],
        "site": ["femoral"],
    }
    chips = page.locator(".st-key-active_filters").get_by_role("button").all_inner_texts()  # under the title
    assert [c.strip() for c in chips] == ["REGISTRY ×", "Stent ×", "Femoral ×"]
    assert _patients(page) == f"{stent:,}"
    assert page.evaluate(LEGEND, "km_chart") == ["Femoral"]  # the chart now draws that group alone
    assert page.evaluate(AT_RISK, ["km_chart", "Femoral"]) == at_risk == f"{successful:,}"
    # Beside the chart, whom its curve holds of the cohort the sidebar counts.
    said = page.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(r"^The curves? holds? "))
    assert said.all_inner_texts() == [
        f"The curve holds the {successful:,} of this cohort's {stent:,} stent patients with a technically "
        "successful procedure."
    ]
    context.close()
