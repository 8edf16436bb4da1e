"""Text that comes from the data file or from users (dataset and study names and descriptions,
study ids, saved cohorts' names and notes), escaped for the place it is shown, so it reads as the
text it is and never as markup: Streamlit's Markdown (images, links, colour and icon directives,
LaTeX), plotly's text (a subset of HTML: links, bold, line breaks) and an HTML page.

Text the app itself writes (labels of the vocabulary) is never passed here: it keeps its markup."""

from __future__ import annotations

import html as _html
import re

# The characters Markdown reads as markup anywhere in a line (emphasis, code, links and images,
# tables, HTML and entities, strikethrough), each backslash-escaped as CommonMark allows for any
# ASCII punctuation; Streamlit's Markdown also reads `:colour[...]`, `:material/icon:` and LaTeX
# `$...$`, so the colon and the dollar are escaped too.
_INLINE = re.compile(r"([\\`*_{}\[\]()|<>:~$&])")
# Markers that are markup only at the start of a line: a heading, a list item, a quote, a setext
# underline or a thematic break (a name or a note may hold several lines).
_LINE_START = re.compile(r"^([ \t]*)([-+#=>]|\d+[.)])", re.MULTILINE)


# Streamlit's Markdown links bare addresses and e-mail addresses in the text it shows, after the
# escapes are read (GFM autolink literals: mdast-util-gfm-autolink-literal finds
# /(https?:\/\/|www(?=\.))([-.\w]+).../ and /...@([-\w]+(?:\.[-\w]+)+)/ in text nodes), so no
# backslash can stop it: an invisible word joiner (U+2060) after "http", "https", "www" and "@"
# breaks the pattern and the text still reads the same.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|\bwww(?=\.)|@)")


def markdown(text: object) -> str:
    """Text shown literally inside Streamlit Markdown (st.markdown, captions, alerts, badges,
    labels, help): it reads as the characters it holds, never as an image, a link (a bare address
    included), a colour or an icon; ordinary names ("High-grade CIV/CFV", "Registry 2025.1") keep
    their Markdown source."""
    unlinked = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, str(text))
    escaped = _INLINE.sub(r"\\\1", unlinked)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def plotly(text: object) -> str:
    """Text shown literally in a plotly figure (trace names, ticks, hover text, titles): plotly reads
    < > and & as markup and decodes the entities back to the characters."""
    return _html.escape(str(text), quote=False)


_MARKDOWN_IN_HTML = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]:$~|#!"})


def html_in_markdown(text: object) -> str:
    """Text inside the raw HTML of a Markdown element (Streamlit's unsafe_allow_html): HTML-escaped,
    and Markdown's and Streamlit's markup characters written as character references, which a
    browser (and a screen reader) shows as the characters."""
    return str(text).translate(_MARKDOWN_IN_HTML)


def html(text: object) -> str:
    """Text shown literally in an HTML page, in an element or in a quoted attribute."""
    return _html.escape(str(text), quote=True)


# The inline Markdown the app writes in its own sentences (Streamlit's flavour), for markdown_text:
# a backslash escape, a code span, a link (its words kept), a badge or colour directive with its label,
# an icon, and the emphasis markers (an underscore only at a word's edge: within a word it is a letter).
_MARKDOWN_TOKEN = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|`(?P<code>[^`]*)`"
    r"|\[(?P<link>(?:\\.|[^\]\\])*)\]\([^)\s]*\)"
    r"|:[a-z]+(?:-badge|-background)?\[(?::material/[a-z0-9_]+: ?)?(?P<label>(?:\\.|[^\]\\])*)\]"
    r"|:material/[a-z0-9_]+: ?"
    r"|\*\*|\*|~~|(?<!\w)__?|__?(?!\w)"
)


def markdown_text(markdown: str) -> str:
    """The plain text a line of Streamlit Markdown reads as on the page, for a place that shows
    text (the HTML report, an image caption): emphasis, code marks, icons and directives drop
    out, a link or a badge or colour keeps its words, and a backslash escape (how markdown() above shows a
    value of the data) gives back the character it shows. Only for the app's own sentences with
    values passed through markdown(); the result is text, to be escaped for where it goes."""

    def token(match: re.Match[str]) -> str:
        if match["escaped"] is not None:
            return match["escaped"]
        if match["code"] is not None:
            return match["code"]
        if match["label"] is not None:
            return markdown_text(match["label"])
        if match["link"] is not None:
            return markdown_text(match["link"])
        return ""

    return _MARKDOWN_TOKEN.sub(token, markdown).replace(WORD_JOINER, "")
