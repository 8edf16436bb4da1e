"""Text from the data file and from users is shown as text (issue 24, item 5): dataset and study
names and descriptions, study ids, saved cohorts' names and notes never become an image, a link, a
colour tag or an icon in Streamlit's Markdown, nor a link or markup in a plotly figure, the HTML
report or an SVG export. The hostile file is generated here: the small database, copied, with its
names replaced."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs

import duckdb
import pytest

from pts_explorer import derived, escape, exports, workspace
from pts_explorer.config import ANALYSIS_PAGES, DATA_PAGES, PAGES
from tests.app.test_saved_cohorts import _save_in_sidebar
from tests.broken_files import unconstrained_copy

IMAGE = "![x](http://127.0.0.1:9/x.png)"
LINK = "[click](http://evil.example)"
BADGE = "x] :red[INJECTED] [y"
ANCHOR = '<a href="http://evil.example">S1</a>'
IMG = "<img src=x onerror=alert(1)>"
BOLD = "**bold**"
LATEX = "$x^2$"
ICON = ":material/warning:"

DATASET = f"{IMAGE} {BADGE}"
DESCRIPTION = f"{LINK} {LATEX} {ICON} {IMG} {BOLD}"
TRIAL = f"{BADGE} {BOLD}"  # the trial's study id
REGISTRY = ANCHOR  # the registry's study id
COHORT_NAME = f"{BADGE} {IMAGE}"
COHORT_NOTE = f"{LINK} {LATEX} {ICON} {BOLD} {ANCHOR}"

# Raw Markdown that would render as something else than its text (none of the app's own text holds these).
LIVE_MARKDOWN = (
    "![x](",
    "](http://127",
    "](http://evil",
    ":red[INJECTED]",
    "$x^2$",
    "**bold**",
    ":material/warning: <",
)
# Raw markup plotly (and a browser) would read as a link, an image or bold.
LIVE_HTML = ("<a href", "<img", "</a>")
EXAMPLES = {p.script: parse_qs(p.example) for p in ANALYSIS_PAGES}
# Where study ids go into figures: the sizes chart, one panel and line per study, one curve per study.
STUDY_CHARTS = {
    "app_pages/overview.py": {},
    "app_pages/trajectories.py": {"by_study": ["True"]},
    "app_pages/durability.py": {"group": ["study_id"]},
}


@pytest.fixture(scope="module")
def hostile_db(small_db, tmp_path_factory):
    path = unconstrained_copy(small_db, tmp_path_factory.mktemp("hostile") / "hostile.duckdb")
    con = duckdb.connect(str(path))
    try:
        con.execute("UPDATE dataset_info SET dataset_name = ?, description = ?", [DATASET, DESCRIPTION])
        for old, new in (("TRIAL", TRIAL), ("REGISTRY", REGISTRY)):
            con.execute("UPDATE studies SET study_id = ?, description = ? WHERE study_id = ?", [new, DESCRIPTION, old])
            con.execute("UPDATE patients SET study_id = ? WHERE study_id = ?", [new, old])
        assert con.execute("SELECT count(DISTINCT study_id) FROM patients").fetchone() == (2,)
    finally:
        con.close()
    derived.rebuild(path)
    return path


def _literal(markdown: str) -> str:
    """What a reader sees of Markdown source as far as escapes go: a backslash before punctuation drops."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(escape.WORD_JOINER, "")  # invisible


def _markdown_values(at) -> list[str]:
    """The Markdown source of every element that renders Markdown, labels included."""
    values = [e.value for kind in (at.markdown, at.caption, at.info, at.warning, at.success, at.error) for e in kind]
    values += [e.value for kind in (at.title, at.header, at.subheader) for e in kind]
    values += [e.label for kind in (at.checkbox, at.button, at.metric, at.expander, at.text_input) for e in kind]
    values += [link.proto.label for link in at.get("page_link")]
    values += [str(e.proto.help) for kind in (at.markdown, at.metric) for e in kind if e.proto.help]
    return [str(v) for v in values]


def _assert_markdown_is_text(at, where: str) -> list[str]:
    values = _markdown_values(at)
    for value in values:
        for live in LIVE_MARKDOWN:
            assert live not in value, f"{where}: {live!r} reaches Markdown unescaped in {value!r}"
    return values


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):  # a legend group is an identifier, never shown
        return [s for k, v in node.items() if k != "legendgroup" for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _figure_strings(at) -> list[str]:
    return [s for el in at.get("plotly_chart") for s in _strings(json.loads(el.proto.spec))]


def _run(app_on, db, page, query=None):
    at = app_on(db, query or {})
    if page == "app_pages/import_data.py":
        # AppTest finds a page before the first run by its file name; the Import page's address is
        # /import, found only once st.navigation has registered the pages (a first run, of home).
        at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", [p.script for p in PAGES])
def test_every_page_shows_data_names_as_text(app_on, hostile_db, page):
    at = _run(app_on, hostile_db, page, EXAMPLES.get(page, {}))
    values = _assert_markdown_is_text(at, page)
    shown = "\n".join(_literal(v) for v in values)
    if page in {p.script for p in DATA_PAGES}:
        assert DATASET in shown, "the dataset line names the dataset, literally"
    for text in _figure_strings(at):
        for live in LIVE_HTML:
            assert live not in text, f"{page}: {live!r} reaches a figure unescaped in {text!r}"


def test_home_shows_study_ids_and_overview_the_description_literally(app_on, hostile_db):
    at = _run(app_on, hostile_db, "app_pages/home.py")
    shown = "\n".join(_literal(v) for v in _assert_markdown_is_text(at, "home"))
    for text in (TRIAL, REGISTRY):
        assert f"**{text}** (" in shown  # bold, as the app writes it, around the literal id
    at = _run(app_on, hostile_db, "app_pages/overview.py")
    shown = [_literal(m.value) for m in at.markdown]
    about = [text for text in shown if DATASET in text and DESCRIPTION in text]
    assert about == [f"**{DATASET}**: {DESCRIPTION}"]


@pytest.mark.parametrize("page", list(STUDY_CHARTS))
def test_study_ids_in_charts_are_plotly_text(app_on, hostile_db, page):
    at = _run(app_on, hostile_db, page, {**EXAMPLES[page], **STUDY_CHARTS[page]})
    strings = _figure_strings(at)
    assert strings
    for text in strings:
        for live in LIVE_HTML:
            assert live not in text, f"{page}: {live!r} in {text!r}"
    joined = "\n".join(strings)
    assert "&lt;a href=&quot;" in joined or '&lt;a href="http://evil.example"&gt;S1&lt;/a&gt;' in joined


def _saved(workspace_file, db) -> workspace.SavedCohort:
    return workspace.Workspace(workspace_file).save(COHORT_NAME, {}, DATASET, "other-fingerprint", {}, COHORT_NOTE)


@pytest.mark.parametrize("page", ["app_pages/cohorts.py", "app_pages/overview.py", "app_pages/compare.py"])
def test_saved_cohort_names_and_notes_are_text(app_on, small_db, workspace_file, page):
    saved = _saved(workspace_file, small_db)  # on a file of ordinary names: the cohort's are the hostile ones
    query = {"cohort": saved.slug} if page != "app_pages/compare.py" else {"a": saved.slug}
    at = _run(app_on, small_db, page, query)
    shown = "\n".join(_literal(v) for v in _assert_markdown_is_text(at, page))
    assert COHORT_NAME in shown
    if page != "app_pages/cohorts.py":
        assert COHORT_NOTE in shown
    for text in _figure_strings(at):
        for live in LIVE_HTML:
            assert live not in text, f"{page}: {live!r} reaches a figure unescaped in {text!r}"


def test_saving_and_importing_hostile_names_answer_in_text(app_on, small_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    space.save(COHORT_NAME, {}, "demo", "x", {}, COHORT_NOTE)
    at = _save_in_sidebar(app_on(small_db).run(), COHORT_NAME.upper(), COHORT_NOTE)  # a name already taken
    assert not at.exception, at.exception
    _assert_markdown_is_text(at, "sidebar save")
    refusal = [e.value for e in at.error]
    assert any(COHORT_NAME.upper() in _literal(v) and "already called" in v for v in refusal), refusal
    at = _run(app_on, small_db, "app_pages/cohorts.py")
    at.file_uploader(key="import_cohorts").upload("same.json", space.export_json().encode(), "application/json")
    at.run()
    at.button(key="import_cohorts_run").click().run()
    assert not at.exception, at.exception
    notes = [s.value for s in at.success]
    assert any(COHORT_NAME in _literal(v) and "imported as" in v for v in notes), notes
    _assert_markdown_is_text(at, "import notes")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _live_tags(markup: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(markup)
    hostile = ("evil.example", "127.0.0.1", "onerror")
    return [(tag, attrs) for tag, attrs in parser.tags if any(h in json.dumps(attrs) for h in hostile) or tag == "img"]


@pytest.mark.parametrize("page", ["app_pages/overview.py", "app_pages/trajectories.py"])
def test_report_and_svg_hold_no_markup_from_data(app_on, hostile_db, workspace_file, page):
    saved = _saved(workspace_file, hostile_db)
    at = _run(app_on, hostile_db, page, {**EXAMPLES[page], **STUDY_CHARTS[page], "cohort": saved.slug})
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    export: exports.PageExport = at.session_state["_export_page"]
    report = exports.report_html(export)
    assert _live_tags(report) == []
    # the figures inside the report are JSON for plotly.js: study ids there are plotly text
    for live in ('<a href=\\"http://evil', '<a href="http://evil', "<img src=x"):
        assert live not in report
    parser = _Tags()
    parser.feed(report)
    assert any(COHORT_NOTE in t for t in parser.text), "the note is in the report, as text"
    svg = exports.chart_image(export.charts[0].figure, "svg", exports.caption(export)).decode()
    assert _live_tags(svg) == []
    assert "evil.example" not in "".join(attrs.get("href", "") for _, attrs in _Tags_tags(svg))


def _Tags_tags(markup: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags
