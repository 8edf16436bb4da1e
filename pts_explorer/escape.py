"""Text that comes from the data file or from users (dataset and study names and descriptions,
study ids, saved cohorts' names and notes), escaped for the place it is shown, so it reads as the
text it is and never as markup: Streamlit's Markdown (images, links, colour and icon directives,
LaTeX), plotly's text (a subset of HTML: links, bold, line breaks) and an HTML page.

Text the app itself writes (labels of the vocabulary) is never passed here: it keeps its markup."""

from __future__ import annotations

import html as _html
import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; Streamlit's Markdown
# also reads `:colour[...]`, `:material/icon:` and `$...$`, so the colon and dollar are escaped too.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&\"'=^%@;,?/])")


def markdown(text: object) -> str:
    """Text shown literally inside Streamlit Markdown (st.markdown, captions, alerts, badges, labels)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def plotly(text: object) -> str:
    """Text shown literally in a plotly figure (trace names, ticks, hover text, titles): plotly reads
    < > and & as markup and decodes the entities back to the characters."""
    return _html.escape(str(text), quote=False)


def html(text: object) -> str:
    """Text shown literally in an HTML page, in an element or in a quoted attribute."""
    return _html.escape(str(text), quote=True)
