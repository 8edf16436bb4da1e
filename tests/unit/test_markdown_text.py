"""escape.markdown_text: the plain text a line of the app's Markdown reads as, for the report and
the image captions; values of the data (escaped by escape.markdown) come back as written."""

import re

from hypothesis import given
from hypothesis import strategies as st

from pts_explorer import escape


def test_the_apps_emphasis_code_and_badges_read_as_their_words():
    assert escape.markdown_text("Switch on *Randomized only* for the randomized contrast alone.") == (
        "Switch on Randomized only for the randomized contrast alone."
    )
    assert escape.markdown_text("Counts from 1 to 4 are *hidden*, and **so** are `model` __terms__.") == (
        "Counts from 1 to 4 are hidden, and so are model terms."
    )
    assert escape.markdown_text(":orange-badge[:material/call_split: Pooled patients] Not :red[randomized].") == (
        "Pooled patients Not randomized."
    )
    assert escape.markdown_text("age_years and snake_case stay whole") == "age_years and snake_case stay whole"


def test_a_code_span_keeps_its_characters():
    assert escape.markdown_text("model `change ~ a*b + c_d`") == "model change ~ a*b + c_d"


HOSTILE = [
    "*bold?* _it_ `code` [link](http://x) ![img](y) :red[colour] :material/home: $x$ <b>&amp;",
    "\\ back\\slash \\* escaped",
    "# heading\n- item\n1. one\n> quote",
    "A*B_C D**E",
    "Registry 2025.1 (High-grade CIV/CFV)",
]


def test_a_value_of_the_data_reads_back_as_written():
    for value in HOSTILE:
        assert escape.markdown_text(f"**Study** {escape.markdown(value)}: *pooled*") == f"Study {value}: pooled"


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_any_ascii_value_reads_back_as_written(value):
    assert escape.markdown_text(escape.markdown(value)) == value


# What Streamlit's Markdown (mdast-util-gfm-autolink-literal, in its frontend bundle) turns into a
# link in a text node, that is, after the backslash escapes are read: an address and an e-mail.
GFM_ADDRESS = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
ADDRESSES = [
    "see http://evil.example now",
    "HTTPS://127.0.0.1:9/pix.png",
    "www.evil.example/path",
    "mail me: someone@evil.example",
    "note\nhttps://a.b/c?d=e",
]


def test_a_bare_address_in_the_data_is_not_a_link_and_reads_as_written():
    """An outside review found http://evil.example in a saved cohort's note shown as a link on every
    viewer's slide: the escapes cannot stop an autolink literal, so the text node must not hold one."""
    for value in ADDRESSES:
        shown = escape.markdown(value)
        text_node = re.sub(r"\\(.)", r"\1", shown)  # the text the Markdown parser hands to the autolinker
        assert GFM_ADDRESS.search(text_node) is None and GFM_EMAIL.search(text_node) is None, value
        assert text_node.replace(escape.WORD_JOINER, "") == value  # the same characters, to the reader
        assert escape.markdown_text(f"Note: {shown}") == f"Note: {value}"


def test_a_link_reads_as_its_words():
    """Review 27c, finding 9: the talk's download refusal quoted the Candidate page's instructions with the raw
    link syntax ("an [occluded common iliac vein ...](/candidate?c_site=...)")."""
    said = (
        "For example an [occluded common iliac vein with severe PTS](/candidate?c_site=common_iliac&c_ulcer=yes), "
        "or a [mild *femoral* stenosis](/candidate?c_site=femoral)."
    )
    shown = "For example an occluded common iliac vein with severe PTS, or a mild femoral stenosis."
    assert escape.markdown_text(said) == shown
    assert escape.markdown_text(r"a value \[1\](x) of the data stays") == "a value [1](x) of the data stays"
