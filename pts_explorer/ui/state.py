"""Settings that stay put: URL-bound controls with one value per session, whatever the page.

Where a setting's value comes from at the start of a run:
- a URL the app did not write itself (a shared link, browser Back/Forward, an edited address):
  the URL, every key of it; an absent key means the default;
- otherwise the session's store, which outlives the widgets (Streamlit deletes a widget's state
  when the user navigates to a page without it).

The URL always holds the cohort and every setting away from its default, on every page, written
once per run: the browser adds a history entry for each change of the query string, so one write
per run gives one Back step per user action, and navigation leaves the query string unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from pts_explorer.settings import SETTINGS

_STORE = "_settings"  # key -> value, for every setting this session has seen
_PUBLISHED = "_published_query"  # the query string the app wrote last
_NOTICES = "_setting_notices"
_RUN = "_run_no"


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(_STORE, {})


def _query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _canonical(query: dict[str, list[str]]) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in query.items()))


def begin_run(page_changed: bool) -> None:
    """Decide, once at the start of a run, whether this run's URL is the authority.

    In-app navigation arrives with an empty query (Streamlit clears it); the store then carries
    the settings over. Any other query the app did not publish itself wins over the store.
    """
    st.session_state[_RUN] = st.session_state.get(_RUN, 0) + 1
    st.session_state[_NOTICES] = []
    query = _query()
    published = st.session_state.get(_PUBLISHED)
    if _canonical(query) == published or (not query and page_changed):
        return
    if published is None and not query:
        return  # a fresh session on a plain address: defaults
    parsed = SETTINGS.parse_all(query)
    store = _store()
    for key in list(store) + list(parsed):
        store[key] = parsed.get(key, SETTINGS[key].default)
    for key in SETTINGS.settings:
        st.session_state.pop(key, None)  # widgets re-seed from the store below


def current(key: str) -> Any:
    """A setting's value this run (the store), or its default."""
    return _store().get(key, SETTINGS[key].default)


def _fallback(key: str, valid: Sequence) -> Any:
    default = SETTINGS[key].default
    if SETTINGS[key].kind == "choices":
        return [v for v in current(key) if v in valid]
    return default if default in valid or not valid else valid[0]


def _describe(value: Any, format_func: Callable[[Any], str] | None) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_describe(v, format_func) for v in value) or "none"
    return format_func(value) if format_func else str(value)


def control(key: str, widget: Callable[..., Any], *args: Any, valid: Sequence | None = None, **kwargs: Any) -> Any:
    """Seed a widget from the session (or an authoritative URL), draw it, and register its value.

    `valid`: the values allowed here when they depend on the data (a study's visits); a stored
    value outside them is changed to a valid one and the change is announced (setting_notices).
    The widget is drawn as widget(*args, key=key, **kwargs); it returns the value to use.
    """
    setting = SETTINGS[key]
    value = st.session_state[key] if key in st.session_state else current(key)
    if not setting.is_valid(value, valid):
        replacement = _fallback(key, valid or setting.options)
        if setting.kind != "choices":  # unknown filter values are dropped silently (URL contract)
            label = str(args[0]) if args else key
            fmt = kwargs.get("format_func")
            old, new = _describe(value, fmt), _describe(replacement, fmt)
            st.session_state[_NOTICES].append(
                f"**{label}** changed from {old} to {new}: {old} is not available for this selection."
            )
        value = replacement
        st.session_state.pop(key, None)
    if key not in st.session_state:
        st.session_state[key] = list(value) if isinstance(value, list | tuple) and setting.kind == "choices" else value
    result = widget(*args, key=key, **kwargs)
    _store()[key] = result
    return result


def setting_notices() -> list[str]:
    """Settings changed this run because their value did not apply here."""
    return list(st.session_state.get(_NOTICES, []))


def set_value(key: str, value: Any) -> None:
    """Change a setting from code (a reset button's callback), widget and store alike."""
    _store()[key] = value
    st.session_state[key] = value


def publish() -> None:
    """Write the URL once for this run: the cohort and every setting away from its default."""
    query = SETTINGS.encode_all(_store())
    if _canonical(query) != _canonical(_query()):
        st.query_params.from_dict(query)
    st.session_state[_PUBLISHED] = _canonical(query)


def run_number() -> int:
    return int(st.session_state.get(_RUN, 0))
