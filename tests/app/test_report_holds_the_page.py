"""The HTML report holds what the page drew: every chart and every table (nothing drawn past the
exports), each under the heading a reader knows it by, and the design of the comparison."""

import html
from urllib.parse import parse_qsl

import pytest

from pts_explorer import exports
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.ui import recorder
from tests.app.test_presenter_and_exports import _prepared

PAGES = {p.name: p for p in ANALYSIS_PAGES}
DESIGNS = ("randomized", "observational", "pooled")


def _report(app_on, db, name):
    spec = PAGES[name]
    at = _prepared(app_on, db, name, dict(parse_qsl(spec.example)))
    page: exports.PageExport = at.session_state["_export_page"]
    return at, page, exports.report_html(page)


def _machine_title(key: str) -> str:
    return key.replace("_", " ").capitalize()


@pytest.mark.parametrize("name", list(PAGES))
def test_the_report_holds_every_chart_and_table_under_its_title(app_on, demo_db, name):
    at, page, report = _report(app_on, demo_db, name)
    drawn_charts = at.get("plotly_chart")
    assert drawn_charts and len(page.charts) == len(drawn_charts)
    assert report.count("<div class='chart'>") == len(drawn_charts)
    for chart in page.charts:
        assert chart.title != _machine_title(chart.key), chart.key
        assert chart.figure.layout.title.text == chart.title  # the report shows it on the figure
    drawn_tables = [d.value for d in at.dataframe]
    assert len(page.tables) == len(drawn_tables), [t.title for t in page.tables]
    for table, drawn in zip(page.tables, drawn_tables, strict=True):
        assert list(table.frame.columns) == list(drawn.columns) and len(table.frame) == len(drawn)
        assert table.title not in (recorder.UNTITLED, _machine_title(table.key), ""), table.key
        assert f"<h2>{html.escape(table.title)}</h2>" in report


def _design_lines(report: str) -> list[str]:
    return [line.split("</p>")[0] for line in report.split("<p class='design'><b>Design:</b> ")[1:]]


@pytest.mark.parametrize("name", list(PAGES))
def test_the_report_states_the_design_the_page_states(app_on, demo_db, name):
    at, page, report = _report(app_on, demo_db, name)
    lines = _design_lines(report)
    assert lines, "no design statement in the report"
    shown = " ".join(e.value for kind in (at.markdown, at.info, at.warning, at.caption) for e in kind)
    for line, design in zip(lines, dict.fromkeys((d.statement, d.arms) for d in page.designs), strict=True):
        statement, arms = design
        assert line == f"{html.escape(statement)} (n = {html.escape(arms)})"
        assert any(word in statement.lower() for word in DESIGNS + ("one arm only",)), statement
        assert statement.split(": ", 1)[1] in shown.replace("**", "")  # the words the page showed


def test_the_report_holds_the_effects_ancova_its_numbers_and_what_it_leaves_out(app_on, demo_db):
    """The ANCOVA is drawn as key numbers, not a table: the report holds it all the same, under its
    title, with the numbers the page shows and the complete-case statement beside them."""
    at, page, report = _report(app_on, demo_db, "effects")
    month = at.session_state["visit"]
    shown = {m.label: m.value for m in at.metric}
    (result,) = [r for r in page.results if r.title == f"ANCOVA at month {month}"]
    assert result.values == {
        "Difference": shown["Difference"],
        "95% CI": shown["95% CI"],
        "p-value": shown["p-value"],
        "Patients (stent / medical)": shown["Patients"],
    }
    complete_case = next(c.value for c in at.caption if c.value.startswith("Complete-case analysis"))
    assert result.note.endswith(complete_case)
    assert f"<h2>ANCOVA at month {month}</h2>" in report
    assert html.escape(complete_case) in report
