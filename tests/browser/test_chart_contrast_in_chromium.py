"""What Chromium draws, in the light and the dark colour scheme (the app follows the system's): the
page background is the theme's (white, #0E1117), the charts let it show through, and every opaque
line, marker and bar plotly draws keeps a WCAG contrast of at least 3:1 against it."""

import pytest

from tests.browser.app_driver import new_context, wait_idle
from tests.contrast import BACKGROUNDS, MIN_CONTRAST, MIN_TEXT_CONTRAST, contrast, parse

# Every opaque stroke and fill of the traces, with the opacity it is drawn with (its own and its
# ancestors' within the chart), and the chart's own backgrounds.
DRAWN = """
(chart) => {
  const root = document.querySelector(`.st-key-${chart} .js-plotly-plot`);
  const svg = root.querySelector('svg.main-svg');
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e && e !== root; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const out = [];
  const marks = root.querySelectorAll(
    '.scatterlayer .trace path.js-line, .scatterlayer .trace .points path, .barlayer .trace .point path');
  for (const el of marks) {
    const s = getComputedStyle(el);
    const o = opacity(el);
    if (el.classList.contains('js-line') || s.fill === 'none') {
      if (parseFloat(s.strokeWidth) > 0) out.push([s.stroke, o * parseFloat(s.strokeOpacity)]);  // no band edge
    } else {
      out.push([s.fill, o * parseFloat(s.fillOpacity)]);
    }
  }
  const bg = root.querySelector('.bg');
  return {
    marks: out.filter(m => m[0] !== 'none'),
    paper: svg.style.background || getComputedStyle(svg).backgroundColor,
    plot: bg ? getComputedStyle(bg).fill + ' ' + getComputedStyle(bg).fillOpacity : 'none',
    app: getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor,
  };
}
"""

VIEWS = {
    "trajectories?by_study=False&patients=10": ("trajectory_chart", "difference_chart", "band_chart"),
    "durability?endpoint=primary_patency&group=obstruction_site": ("km_chart",),
}


def _hex(css: str) -> str:
    (r, g, b), _ = parse(css)
    return f"#{r:02X}{g:02X}{b:02X}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_charts_keep_3_to_1_against_the_page_in_both_colour_schemes(browser, server, scheme):
    context = new_context(browser, viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    page = context.new_page()
    try:
        checked = 0
        for address, charts in VIEWS.items():
            page.goto(f"{server}/{address}")
            page.wait_for_selector(".st-key-run_token", state="attached", timeout=120_000)
            wait_idle(page, timeout=120_000)  # a busy machine: the whole run, however long it takes
            for chart in charts:
                page.wait_for_function(
                    "(c) => { const r = document.querySelector(`.st-key-${c} .js-plotly-plot`);"
                    " return r && r.querySelectorAll('.trace').length > 0; }",
                    arg=chart,
                    timeout=60_000,
                )
                drawn = page.evaluate(DRAWN, chart)
                background = _hex(drawn["app"])
                assert background == BACKGROUNDS[scheme], f"{scheme} theme background {drawn['app']}"
                assert parse(drawn["paper"])[1] == 0, f"{chart}: the chart paper is not transparent: {drawn['paper']}"
                assert drawn["plot"].endswith(" 0"), f"{chart}: the plot area is not transparent: {drawn['plot']}"
                opaque = {_hex(c) for c, alpha in drawn["marks"] if alpha >= 0.999 and parse(c)[1] == 1}
                assert opaque, f"{chart}: no opaque mark found"
                low = {c: round(contrast(c, background), 2) for c in opaque if contrast(c, background) < MIN_CONTRAST}
                assert not low, f"{chart} on {scheme}: {low}"
                checked += len(opaque)
        assert checked >= 10  # arms, estimate, four bands and hidden or not, five sites
    finally:
        context.close()


# The numbers at risk under the Kaplan-Meier curves: each printed count's colour as drawn.
AT_RISK = """
(chart) => {
  const root = document.querySelector(`.st-key-${chart} .js-plotly-plot`);
  return {
    texts: [...root.querySelectorAll('.scatterlayer .trace .textpoint text')].map(
      (el) => [el.textContent, getComputedStyle(el).fill]),
    app: getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor,
  };
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_numbers_at_risk_keep_4_5_to_1_as_text_in_both_colour_schemes(browser, server, scheme):
    """Text needs 4.5:1 (WCAG 1.4.3): the stent row's blue was 3.49:1 on the dark theme."""
    context = new_context(browser, viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{server}/durability?endpoint=primary_patency&group=obstruction_site")
        page.wait_for_selector(".st-key-run_token", state="attached", timeout=120_000)
        wait_idle(page, timeout=120_000)
        page.wait_for_function(
            "() => { const r = document.querySelector('.st-key-km_chart .js-plotly-plot');"
            " return r && r.querySelectorAll('.textpoint text').length > 0; }",
            timeout=60_000,
        )
        drawn = page.evaluate(AT_RISK, "km_chart")
        background = _hex(drawn["app"])
        assert background == BACKGROUNDS[scheme]
        assert len(drawn["texts"]) >= 5 * 6  # five sites, a count at each tick
        low = {
            (text, _hex(fill)): round(contrast(_hex(fill), background), 2)
            for text, fill in drawn["texts"]
            if contrast(_hex(fill), background) < MIN_TEXT_CONTRAST
        }
        assert not low, f"numbers at risk on {scheme}: {low}"
    finally:
        context.close()
