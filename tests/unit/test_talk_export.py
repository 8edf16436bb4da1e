"""A talk's HTML export (#27 item 7) read as a browser's parser reads it: one section per slide, every
text from users or the data shown as text (a title typed as <b>x</b> reads "<b>x</b>", makes no
bold element), no address on the network in any src or href, plotly.js inlined once, each slide's
figure read back whole from its script element (a trace named "</script>" cannot end it early)."""

import json
from datetime import UTC, datetime
from html.parser import HTMLParser

import plotly.graph_objects as go
import pytest

from pts_explorer import talk_export

HOSTILE = "<b>x</b> & <script>alert(1)</script> \"quoted\" 'single'"
MADE = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)


class Page(HTMLParser):
    """Elements with their attributes and the text directly inside each, as a browser's parser splits them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.stack: list[list] = []
        self.texts: list[tuple[str, dict, str]] = []  # (tag, attributes, whole text inside)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in ("meta", "br", "link", "img", "input"):
            self.stack.append([tag, attributes, ""])

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, attributes, text = self.stack.pop()
            self.texts.append((open_tag, attributes, text))
            if self.stack:
                self.stack[-1][2] += text
            if open_tag == tag:
                return

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data

    def of_class(self, name: str) -> list[tuple[str, dict, str]]:
        return [t for t in self.texts if name in (t[1].get("class") or "").split()]


def _figure(name: str) -> str:
    """A figure as JSON; json.dumps (not plotly's writer, which escapes "<" itself) leaves "</script>" as is."""
    figure = go.Figure(go.Bar(x=[1, 2], y=[3, 4], name=name), layout={"title": {"text": "Patients by arm"}})
    return json.dumps(figure.to_plotly_json(), default=list)


def _talk(synthetic: bool = True) -> talk_export.TalkContent:
    slides = []
    for position, (title, notes) in enumerate(
        [(HOSTILE, "Say **this** <i>now</i>"), ("Effects: Common iliac", ""), ("Safety", "Line one\nline two")], 1
    ):
        line = (
            f"Slide {position} of 3: {title} · Overview · Study <i>A</i> & B · n = 154 stent, 200 medical · randomized"
        )
        slides.append(
            talk_export.SlideContent(
                position=position,
                title=title,
                notes=notes,
                page="Overview",
                line=line + (" · synthetic data" if synthetic else "") + " · small cells hidden (k = 5)",
                figure=_figure("</script><b>stent</b>"),
                summary=f"Bars of {HOSTILE}",
            )
        )
    return talk_export.TalkContent(
        title=f"Talk {HOSTILE}",
        dataset="PTS demo <cohort>",
        data_file="pts_outcomes.duckdb",
        synthetic=synthetic,
        slides=tuple(slides),
    )


def _parsed(talk: talk_export.TalkContent, **options) -> Page:
    page = Page()
    page.feed(talk_export.talk_html(talk, MADE, **options))
    page.close()
    return page


def test_one_section_per_slide_only_the_first_shown():
    page = _parsed(_talk())
    sections = [a for tag, a in page.elements if tag == "section"]
    assert [s["id"] for s in sections] == ["slide-1", "slide-2", "slide-3"]
    assert ["hidden" in s for s in sections] == [False, True, True]
    assert [s["aria-label"] for s in sections] == ["Slide 1 of 3", "Slide 2 of 3", "Slide 3 of 3"]
    printed = _parsed(_talk(), print_all=True)
    assert ["hidden" in a for tag, a in printed.elements if tag == "section"] == [False, False, False]
    assert ("body", {"class": "print"}) in printed.elements


def test_titles_lines_notes_and_names_from_users_or_data_are_text():
    talk = _talk()
    page = _parsed(talk)
    # No element made from what a user typed or the data hold: only the page's own tags.
    tags = {tag for tag, _ in page.elements}
    assert tags == {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "script",
        "body",
        "section",
        "p",
        "span",
        "div",
        "footer",
        "aside",
    }
    assert [t[2] for t in page.of_class("title")] == [HOSTILE, "Effects: Common iliac", "Safety"]
    assert [t[2] for t in page.of_class("line")] == [s.line for s in talk.slides]
    assert [t[2] for t in page.of_class("talk")] == [f"Talk {HOSTILE}"] * 3
    assert [t[2] for t in page.of_class("notes")] == [
        "Speaker notes, slide 1: Say **this** <i>now</i>",
        "Speaker notes, slide 2: No speaker notes for this slide.",
        "Speaker notes, slide 3: Line one\nline two",
    ]
    assert [a["aria-label"] for _, a, _ in page.of_class("chart")] == [f"Bars of {HOSTILE}"] * 3
    footer = [t[2] for t in page.texts if t[0] == "footer"]
    assert (
        footer
        == [
            f"Talk {HOSTILE}Synthetic data: generated patients, not real people"
            "Data: PTS demo <cohort> (pts_outcomes.duckdb)Exported 2026-12-06 07:30 UTC→ next · ← previous · N notes"
        ]
        * 3
    )
    assert [t[2] for t in page.texts if t[0] == "title"] == [f"Talk {HOSTILE}: PTS Outcomes Explorer talk"]


def test_the_synthetic_mark_only_on_synthetic_data():
    assert len(_parsed(_talk(synthetic=True)).of_class("synthetic")) == 3
    assert _parsed(_talk(synthetic=False)).of_class("synthetic") == []


def test_each_figure_reads_back_whole_and_plotly_is_inlined_once():
    talk = _talk()
    page = _parsed(talk)
    figures = [text for _, _, text in page.of_class("figure")]
    assert [json.loads(f) for f in figures] == [json.loads(s.figure) for s in talk.slides]
    scripts = [text for tag, attributes, text in page.texts if tag == "script" and "class" not in attributes]
    assert len(scripts) == 2  # plotly.js in the head, the stepping at the end
    assert scripts[0].count("plotly.js v") >= 1 and "Plotly.newPlot" in scripts[1]


def test_no_address_on_the_network_in_any_src_or_href():
    page = _parsed(_talk())
    addresses = [
        value for _, attributes in page.elements for key, value in attributes.items() if key in ("src", "href")
    ]
    assert addresses == []  # nothing fetched: not a script, a style sheet, an image or a font
    assert not [a for _, a in page.elements if a.get("rel")]


def test_a_talk_without_slides_is_refused_by_name():
    empty = talk_export.TalkContent(title="Empty one", dataset="d", data_file="f", synthetic=False)
    with pytest.raises(
        talk_export.ExportError, match=r"^The talk 'Empty one' has no slides yet: add views to it first\.$"
    ):
        talk_export.talk_html(empty)


def test_a_title_the_line_does_not_start_with_is_not_marked():
    slide = talk_export.SlideContent(1, "Other", "", "Overview", "Overview · <b>Femoral</b>", _figure("a"))
    talk = talk_export.TalkContent(title="t", dataset="d", data_file="f", synthetic=False, slides=(slide,))
    page = _parsed(talk)
    assert page.of_class("title") == [] and [t[2] for t in page.of_class("line")] == ["Overview · <b>Femoral</b>"]


def test_the_content_goes_through_json_unchanged():
    talk = _talk()
    assert talk_export.TalkContent.from_dict(json.loads(json.dumps(talk.as_dict()))) == talk
    assert talk.stem == "pts_talk_talk_b_x_b_script_alert_1_script_quoted_single"
    assert talk_export.TalkContent(title="Été: «β»", dataset="", data_file="", synthetic=False).stem == "pts_talk_t"


def test_a_text_slide_says_its_pages_words_as_text_where_the_others_have_a_chart():
    # Review 27d, finding 4: a slide whose page draws no chart (Candidate saved without a profile) is a text slide.
    talk = _talk()
    words = f"This slide shows no candidate: {HOSTILE}."
    text_slide = talk_export.SlideContent(2, "Candidate", "", "Candidate", talk.slides[1].line, "", said=words)
    talk = talk_export.TalkContent(**{**talk.__dict__, "slides": (talk.slides[0], text_slide, talk.slides[2])})
    page = _parsed(talk)
    assert [a["id"] for tag, a in page.elements if tag == "section"] == ["slide-1", "slide-2", "slide-3"]
    assert [t[2] for t in page.of_class("said")] == [words]  # as text: no element made of it
    assert [a["aria-label"] for _, a, _ in page.of_class("chart")] == [f"Bars of {HOSTILE}"] * 2
    assert [json.loads(t[2]) for t in page.of_class("figure")] == [json.loads(talk.slides[0].figure)] * 2
    assert talk_export.TalkContent.from_dict(json.loads(json.dumps(talk.as_dict()))) == talk
