"""The HTML report holds what the page drew: every chart and every table (nothing drawn past the
exports), each under the heading a reader knows it by, and the design of the comparison."""

import html
import json
import re
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1.element_tree import Dataframe, Table

from pts_explorer import escape, exports
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.ui import recorder

PAGES = {p.name: p for p in ANALYSIS_PAGES}
DESIGNS = ("randomized", "observational", "pooled")


# Views beyond each page's first: with what a reader opens on request (an expander drawn only then).
VIEWS = {
    **{name: (name, dict(parse_qsl(spec.example)), ()) for name, spec in PAGES.items()},
    "durability, hazard ratio and residuals": (
        "durability",
        {"endpoint": "ulcer_healing", "group": "arm"},
        ("schoenfeld_open",),
    ),
}


@pytest.fixture(scope="module")
def reports() -> dict:
    """Each view rendered and exported once for the module (one AppTest run of its page): every test
    of a view reads the same page and report, which no test changes."""
    return {}


def _report(app_on, db, view, reports):
    if view not in reports:
        reports[view] = _render(app_on, db, view)
    return reports[view]


def _render(app_on, db, view):
    name, query, opened = VIEWS[view]
    at = app_on(db, query)
    at.switch_page(f"app_pages/{name}.py").run()
    for key in opened:  # the reader opens the expander
        at.session_state[key] = True
        at.run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    page: exports.PageExport = at.session_state["_export_page"]
    return at, page, exports.report_html(page)


def _machine_title(key: str) -> str:
    return key.replace("_", " ").capitalize()


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_report_holds_every_chart_and_table_under_its_title(app_on, demo_db, reports, view):
    at, page, report = _report(app_on, demo_db, view, reports)
    drawn_charts = at.get("plotly_chart")
    assert drawn_charts and len(page.charts) == len(drawn_charts)
    headings = re.findall(r"<div class='chart'><h2>([^<]*)</h2>", report)  # each chart under its heading
    assert len(headings) == report.count("<div class='chart'>") == len(drawn_charts)
    for chart, drawn, heading in zip(page.charts, drawn_charts, headings, strict=True):
        title = json.loads(drawn.proto.spec)["layout"]["title"]["text"]  # the title the page drew
        assert chart.title == title != _machine_title(chart.key), chart.key
        assert html.unescape(heading) == exports.plotly_text(title) != "", chart.key
    drawn_tables = [d.value for d in _in_order(at.main, (Dataframe, Table))]  # data grids and wrapped tables
    assert len(page.tables) == len(drawn_tables), [t.title for t in page.tables]
    for table, drawn in zip(page.tables, drawn_tables, strict=True):
        headers = [re.sub(r"\\(.)", r"\1", str(c)) for c in drawn.columns]  # a wrapped table's: Markdown-escaped
        assert list(table.frame.columns) == headers and len(table.frame) == len(drawn)
        assert table.title not in (recorder.UNTITLED, _machine_title(table.key), ""), table.key
        assert f"<h2>{html.escape(table.title)}</h2>" in report


def _design_lines(report: str) -> list[str]:
    return [line.split("</p>")[0] for line in report.split("<p class='design'><b>Design:</b> ")[1:]]


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_report_states_the_design_the_page_states(app_on, demo_db, reports, view):
    at, page, report = _report(app_on, demo_db, view, reports)
    lines = _design_lines(report)
    assert lines, "no design statement in the report"
    sources = [e.value for kind in (at.markdown, at.info, at.warning, at.caption) for e in kind]
    shown = " ".join(escape.markdown_text(source) for source in sources)  # as the page reads
    for line, design in zip(lines, dict.fromkeys((d.statement, d.arms) for d in page.designs), strict=True):
        statement, arms = design
        assert line == f"{html.escape(statement.removeprefix('Design: '))} (n = {html.escape(arms)})"
        assert any(word in statement.lower() for word in DESIGNS + ("one arm only",)), statement
        assert statement.split(": ", 1)[1] in shown  # the words the page showed


# What Markdown is written with: emphasis, code, escapes, a badge or an icon. The demo file's names
# hold none of these characters, so any of them in the report's words is Markdown shown raw.
MARKDOWN_MARKS = re.compile(r"[*`\\]|__|:[a-z]+-badge\[|:material/")


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_reports_words_hold_no_markdown(app_on, demo_db, reports, view):
    """The design statements, the notes, the small-cell notice and the results' words read as the
    page shows them: no asterisk, backslash or backtick of the Markdown they were written in."""
    at, page, report = _report(app_on, demo_db, view, reports)
    words = [
        *_design_lines(report),
        *re.findall(r"<p class='(?:note|meta)'>(.*?)</p>", report, flags=re.S),
        *re.findall(r"<p><b>Cohort:</b> (.*?)</p>", report),
    ]
    notice = (  # the small-cell notice, in the words the page shows (its emphasis read, not shown)
        "Counts from 1 to 4 are hidden, and so are statistics of groups that small; where counts add up to a "
        "total, a second count is hidden too, so none can be worked out by subtraction on this page; counts "
        "written down from two cohorts or two pages can still be subtracted."  # what it holds (review 28e)
    )
    assert notice in words
    for line in words:
        assert not MARKDOWN_MARKS.search(html.unescape(line)), line


def test_the_report_holds_the_effects_ancova_its_numbers_and_what_it_leaves_out(app_on, demo_db, reports):
    """The ANCOVA is drawn as key numbers, not a table: the report holds it all the same, under its
    title, with the numbers the page shows and the complete-case statement beside them."""
    at, page, report = _report(app_on, demo_db, "effects", reports)
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
    assert result.note == (
        "Stent minus medical change from baseline, points; model: change ~ C(arm, Treatment('medical')) + baseline; "
        f"lower Villalta total is better. {complete_case}"
    )
    assert f"<h2>ANCOVA at month {month}</h2>" in report
    assert html.escape(complete_case) in report


# The page's frame, not its content: the header (its actions, the cohort chips, the dataset line),
# the Export menu and the "How this was computed" expanders, whose SQL the report has apart.
FRAME_CONTAINERS = ("page_actions", "active_filters", "dataset_line")
WORDS = ("caption", "warning", "info", "error", "markdown")


def _words(node, out: list[str]) -> list[str]:
    """The text elements the page drew in its content, in order, as their Markdown source."""
    if getattr(node, "children", None) is not None:
        if node.type == "popover" or (node.type == "expander" and node.label == "How this was computed"):
            return out
        if node.type == "flex_container" and node.key in FRAME_CONTAINERS:
            return out
        if node.type == "flex_container" and (node.key or "").endswith("_legend_filters"):
            return out  # a chart's legend entries as filter buttons: controls, not words of the view
        for child in node.children.values():
            _words(child, out)
    elif node.type in WORDS and not node.value.startswith('<p class="sr-only">'):  # sr-only: the chart's summary
        out.append(node.value)
    return out


def _in_order(node, kinds: tuple[type, ...]) -> list:
    """The elements of these kinds under `node`, in the order the page drew them."""
    if isinstance(node, kinds):
        return [node]
    children = getattr(node, "children", None) or {}
    return [found for child in children.values() for found in _in_order(child, kinds)]


def _report_text(report: str) -> str:
    """What a reader of the report sees: its text, without the markup, the scripts or the figures."""
    body = re.sub(r"<head>.*?</head>|<script.*?</script>", " ", report, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("view", ["effects", "durability", "durability, hazard ratio and residuals"])
def test_the_report_holds_every_note_the_page_shows(app_on, demo_db, reports, view):
    """Every sentence the page shows beside its numbers (a test's p, a multiplicity caution, an
    observational warning, what a chart averages over) is in the report, as the page reads."""
    at, page, report = _report(app_on, demo_db, view, reports)
    text = _report_text(report)
    shown = _words(at.main, [])
    assert shown
    for source in shown:
        if source.startswith(":violet-badge[:material/download: Export view]"):
            continue  # the page's own note that it is drawn as its exports
        words = escape.markdown_text(re.sub(r"^:[a-z]+-badge\[[^\]]*\] ", "", source))  # a badge: its sentence
        assert " ".join(words.split()) in text, source


def test_durabilitys_report_holds_the_residuals_and_the_multiplicity_note(app_on, demo_db, reports):
    """With the Schoenfeld expander open, the report holds its chart beside the curves, and the
    multiplicity caution under the hazard ratio, whole, as the page reads it."""
    at, page, report = _report(app_on, demo_db, "durability, hazard ratio and residuals", reports)
    assert [c.key for c in page.charts] == ["km_chart", "schoenfeld_chart"]
    assert "<h2>Is the hazard ratio constant over time? (dashed: the model&#x27;s estimate)</h2>" in report
    (caution,) = [c.value for c in at.caption if c.value.startswith("Multiplicity: ")]
    assert f"<p class='note'>{html.escape(escape.markdown_text(caution))}</p>" in report
