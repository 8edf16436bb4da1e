"""Text that comes from the data file or from users (dataset and study names and descriptions,
study ids, saved cohorts' names and notes), escaped for the place it is shown, so it reads as the
text it is and never as markup: Streamlit's Markdown (images, links, colour and icon directives,
LaTeX), plotly's text (a subset of HTML: links, bold, line breaks) and an HTML page.

Text the app itself writes (labels of the vocabulary) is never passed here: it keeps its markup."""

from __future__ import annotations

import html as _html
import re

# The characters Markdown reads as markup (emphasis, code, links and images, headings and lists,
# tables, HTML and entities, setext underlines), each backslash-escaped as CommonMark allows for any
# ASCII punctuation; Streamlit's Markdown also reads `:colour[...]`, `:material/icon:` and LaTeX
# `$...$`, so the colon and the dollar are escaped too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=])")


def markdown(text: object) -> str:
    """Text shown literally inside Streamlit Markdown (st.markdown, captions, alerts, badges, labels)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


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
