"""Cookies of this browser. Streamlit sets none of its own: the page's JavaScript writes one (its value
percent-encoded, so it holds no quote, semicolon or space), and the server reads it from the browser's
request when a session starts (`st.context.cookies`: a cookie written during a session is read by the next
one, after a reload)."""

from __future__ import annotations

from urllib.parse import quote, unquote

import streamlit as st


def write(name: str, value: str, seconds: int) -> None:
    """Keep `value` under `name` for `seconds` (0: remove it), for every path of this site."""
    st.html(
        f"<script>document.cookie = '{name}={quote(value, safe='')}; path=/; max-age={int(seconds)}; SameSite=Lax' "
        "+ (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def read(name: str) -> str:
    """The value this browser sent under `name` ("" without one; also where no browser sent cookies)."""
    raw = st.context.cookies.get(name)
    return unquote(raw) if isinstance(raw, str) else ""
