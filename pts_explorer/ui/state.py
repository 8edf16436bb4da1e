"""Settings that stay put: URL-bound controls with one value per session, whatever the page.

Where a setting's value comes from at the start of a run:
- a query the app did not write itself (a shared link, browser Back/Forward, an edited address):
  the URL, every key of it; an absent key means the default;
- otherwise the session's store, which the widgets are seeded from.

The URL holds the cohort and every setting away from its default, on every page, written once
per run: the browser adds a history entry for each change of the query string, so one write per
run gives one Back step per user action. The page menu (frame.py) links to each page with this
same query, so navigating adds exactly one history entry and never clears the settings.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

import streamlit as st

from pts_explorer import config, privacy, workspace
from pts_explorer.settings import COHORT_KEYS, SETTINGS, as_int, cut_points
from pts_explorer.ui import auth

_STORE = "_settings"  # key -> value, for every setting this session has seen
_PUBLISHED = "_published_query"  # the query string the app wrote last
_NOTICES = "_setting_notices"
_NOTICES_PAGE = "_setting_notices_page"  # the page whose run said them
_NEXT_NOTICES = "_next_run_notices"  # said by the run a link switched to (notice_next)
SCREEN_RERUN = "_screen_rerun"  # set by the screen's report (ui/screen.py): this run draws the same slide again
_RUN = "_run_no"
DRAWER = "presenter_drawer"  # the cohort drawer's key (presenter.start_line): True while it is open
_DRAWER_KEYS = "_drawer_keys"  # the settings whose controls the last run drew in the cohort drawer
_DRAWER_WAS_OPEN = "_drawer_was_open"  # whether the drawer was open when the last run began


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(_STORE, {})


def _query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _canonical(query: dict[str, list[str]]) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in query.items()))


def begin_run() -> None:
    """Settle, once at the start of a run, where the settings come from.

    A query that differs from the one the app wrote last (Back/Forward, a link, an edited
    address) is the authority. Otherwise a widget the user just changed holds the newest value:
    the store takes it now, so links drawn before the widget (the page menu) carry it.
    """
    st.session_state[_RUN] = st.session_state.get(_RUN, 0) + 1
    # A slide's run again for the screen the browser reported (ui/screen.py) is the same opening: what the
    # first run said of the link stays (the link's query is already cleaned, e.g. a malformed talk= left
    # out, so this run would not say it again: review 27b, a malformed talk name was dropped silently).
    # Only on the same page at the address the last run wrote (a step made meanwhile is another opening).
    page = st.session_state.get("_page")
    same = st.session_state.get(_NOTICES_PAGE) == page and _canonical(_query()) == st.session_state.get(_PUBLISHED)
    resized = st.session_state.pop(SCREEN_RERUN, False)
    carried = st.session_state.get(_NOTICES, []) if resized and same else []
    st.session_state[_NOTICES_PAGE] = page
    st.session_state[_NOTICES] = list(carried) + st.session_state.pop(_NEXT_NOTICES, [])
    query = _query()
    published = st.session_state.get(_PUBLISHED)
    store = _store()
    in_drawer, open_before = st.session_state.get(_DRAWER_KEYS, set()), st.session_state.get(_DRAWER_WAS_OPEN, False)
    open_now = bool(st.session_state.get(DRAWER, False))
    st.session_state[_DRAWER_KEYS], st.session_state[_DRAWER_WAS_OPEN] = set(), open_now
    if _canonical(query) == published or (published is None and not query):
        for key in [key for key in SETTINGS.settings if key in st.session_state]:
            if key in in_drawer and not (open_before and open_now):
                # A control of the closed cohort drawer: the browser mounts a popover's content only while
                # it is open, so it never took the value a slide's address seeded and sends back the one it
                # last showed (the Talks page's sidebar: site=[]), which no one chose. Seeded again.
                st.session_state.pop(key)
            else:
                store[key] = _by_name(key, st.session_state[key])
        return
    parsed = SETTINGS.parse_all(query)
    _announce_unknown(query, parsed)
    for key in list(store) + list(parsed):
        store[key] = parsed.get(key, SETTINGS[key].default)
    if store.get("cohort"):
        open_saved(store["cohort"])
    for key in SETTINGS.settings:
        st.session_state.pop(key, None)  # widgets re-seed from the store when drawn


def _means_default(key: str, raw: str) -> bool:
    """Whether a URL string writes the setting's default itself (visit=6, registry=False)."""
    setting = SETTINGS[key]
    return setting.parse([raw]) == setting.default and raw.strip().lower() in (
        str(setting.default).lower(),
        "false",
        "0",  # a flag off as the app writes it itself (Exit presenter view: present=0)
        "no",
        "none",
        "",
    )


def _announce_unknown(query: dict[str, list[str]], parsed: dict[str, Any]) -> None:
    """A link's setting value the app does not know is replaced by the default (or left out of a
    list): say so, naming the key (never echoing the value). Unknown cohort filter values are dropped
    silently (the data contract's URL rule); saved cohorts and Compare's cohorts are announced where
    they are read."""
    for key, raw in query.items():
        setting = SETTINGS.settings.get(key)
        if setting is not None and setting.kind == "range" and raw and _cut_range(raw, setting.bounds):
            low, high = setting.bounds
            whole = parsed.get(key) in (None, (low, high))
            notice(  # the numbers are the filter's own bounds, not the link's text
                f"The link's **{key}** range reaches past the values this filter takes ({low} to {high}): cut to "
                + ("them, which leaves it restricting nothing." if whole else "them.")
            )
            continue
        if key == "talk" and parsed.get(key) is None and any(raw):  # a known talk's slug is checked where read
            notice(  # review 27, finding 9: a malformed one was dropped without a word
                "No talk is called that here: the link's **talk** is not a talk's short name (its 8 letters and "
                "digits, as in the talk's short link). Choose a talk on the Talks page."
            )
            continue
        if setting is None or key in COHORT_KEYS or setting.kind in ("slug", "cohort_ref") or not raw:
            continue
        if setting.kind == "choices":
            unknown = [v for v in raw if setting.options and not setting.known(v, setting.options)]
        else:
            unknown = [] if parsed[key] != setting.default or any(_means_default(key, v) for v in raw) else raw[-1:]
        if unknown:  # the value itself is not quoted: a link's text can be anything, of any length
            if setting.kind == "choices":
                several = len(unknown) > 1
                default = tuple(setting.default) if isinstance(setting.default, list | tuple) else ()
                none_left = len(unknown) == len(raw) and tuple(parsed.get(key) or ()) == default and default
                notice(  # none left: say the default is what is used, naming it (the allow-list's own words)
                    f"The link's **{key}** has {len(unknown)} {'values' if several else 'value'} this app does not "
                    "know: left out"
                    + (
                        f"; none it knows was left, so the default is used: all {len(default)} "
                        f"({', '.join(str(v) for v in default)})."
                        if none_left
                        else "."
                    )
                )
            else:
                notice(f"The link's **{key}** value is not one this app knows: replaced by the default.")


def _cut_range(raw: list[str], bounds: tuple[int, int]) -> bool:
    """Whether a link's range of two whole numbers reaches past the setting's bounds, so that it is cut
    to them: "dvt=5000&dvt=1" read as 3-1200 months."""
    numbers = [as_int(v) for v in raw]  # whole numbers only, as the setting reads them (settings.as_int)
    if len(numbers) != 2 or None in numbers:
        return False
    low, high = sorted(n for n in numbers if n is not None)
    return low < bounds[0] or high > bounds[1]


_SAVED = "_saved_cohort"  # the saved cohort this session opened: (slug, its filters as URL parameters)


def open_saved(slug: str) -> bool:
    """Apply a saved cohort's filters (a `cohort=<slug>` link, or the sidebar); False, with a
    notice, when no cohort is saved under that name."""
    store = _store()
    refused = False
    try:
        saved = auth.store().opened(slug)
    except workspace.Refused as problem:  # another user's private cohort, without the manage_cohorts right
        st.session_state[_NOTICES].append(f"{problem} The link's other settings apply.")
        auth.record(
            "denied",
            page=str(st.session_state.get("_page", "")) or "home",
            cohort=f"cohort={slug}",
            detail=problem.detail,
        )
        saved, refused = None, True
    except workspace.WorkspaceError as problem:
        st.session_state[_NOTICES].append(str(problem))
        saved = None
    if saved is None:
        if not refused:
            st.session_state[_NOTICES].append(
                f"No saved cohort is called **{slug}** here (deleted, or saved in another workspace): the link's "
                "other settings apply."
            )
        store["cohort"] = None
        st.session_state.pop(_SAVED, None)
        return False
    parsed = SETTINGS.parse_all(saved.query)
    for key in COHORT_KEYS:
        store[key] = parsed.get(key, SETTINGS[key].default)
    store["cohort"] = slug
    st.session_state[_SAVED] = (slug, saved.query)
    return True


def notice(text: str) -> None:
    """A notice for the top of this run's page."""
    st.session_state.setdefault(_NOTICES, []).append(text)


def notice_next(text: str) -> None:
    """A notice for the top of the next run's page (the page a link is switched to)."""
    st.session_state.setdefault(_NEXT_NOTICES, []).append(text)


def saved_slug() -> str | None:
    """The saved cohort on screen: the one opened, while its filters are unchanged."""
    opened = st.session_state.get(_SAVED)
    if not opened or current("cohort") != opened[0]:
        return None
    return opened[0] if _cohort_query(_store()) == opened[1] else None


def _cohort_query(values: dict[str, Any]) -> dict[str, list[str]]:
    return SETTINGS.encode_all({k: v for k, v in values.items() if k in COHORT_KEYS})


def cohort_query() -> dict[str, list[str]]:
    """The cohort filters of this run, as URL parameters."""
    return _cohort_query(_store())


def forget_cohort() -> None:
    """A page that shows no cohort (the audit trail): its address keeps none, so a value no page has
    checked against the data (a study the link names) is not written back."""
    store = _store()
    for key in COHORT_KEYS:
        store[key] = SETTINGS[key].default
    store["cohort"] = None


def reseed_cohort_widgets() -> None:
    """After the store's cohort changed outside the widgets (a saved cohort opened)."""
    for key in COHORT_KEYS:
        st.session_state.pop(key, None)


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


_NAMES = "_option_names"  # key -> {an option's name: the option}, for the multiselects whose labels carry a count
COUNT_SUFFIX = re.compile(r" \((?:[\d,]+|hidden)\)$")  # " (1,234)", " (hidden)": filter_panel._with_count


def _by_name(key: str, value: Any) -> Any:
    """A multiselect's value with every option named by its label read back as the option.

    Streamlit keeps a multiselect's value in the browser as the options' labels ("IVC (4)") and
    reads it back by the labels of the run it arrives in: a label that changed since (the count
    beside it moved, or became "hidden" under protection) comes back as the old label's text, which
    is no option, and Streamlit then drops it. The browser keeps such a value wherever the widget is
    not on screen when the app sends it the new one (the presenter's cohort drawer, closed), and
    sends it on every later run. An option's name (the label without its count) never changes, so
    the old label names its option whatever its count said."""
    names = st.session_state.get(_NAMES, {}).get(key)
    if not names or not isinstance(value, list | tuple):
        return value
    options = set(names.values())
    found = [v if v in options else names.get(COUNT_SUFFIX.sub("", str(v)), v) for v in value]
    return list(dict.fromkeys(found))  # an option once, even if the browser held two of its labels


def control(
    key: str,
    widget: Callable[..., Any],
    *args: Any,
    valid: Sequence | None = None,
    names: Mapping[Any, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Seed a widget from the session (or an authoritative URL), draw it, and register its value.

    `valid`: the values allowed here when they depend on the data (a study's visits); a stored
    value outside them is changed to a valid one and the change is announced (setting_notices).
    `names`: for a multiselect whose labels are an option's name with a count that changes
    (filter_panel's option counts), each option's name: a value the browser sends under an old
    label is read back as its option (_by_name), never dropped.
    The widget is drawn as widget(*args, key=key, **kwargs); it returns the value to use.
    """
    setting = SETTINGS[key]
    if names is not None:
        st.session_state.setdefault(_NAMES, {})[key] = {name: option for option, name in names.items()}
    value = _by_name(key, st.session_state[key]) if key in st.session_state else current(key)
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
    if presenting() and key != "present" and not _IN_DRAWER.get():  # no controls on a projector: the value
        _store()[key] = value
        return value
    if _IN_DRAWER.get():
        st.session_state.setdefault(_DRAWER_KEYS, set()).add(key)
    # Seeded on every run, not only when the key is missing: a widget gets a new id on each page
    # (Streamlit hashes the page into it), and on the run it first appears under that id it ignores
    # the value st.session_state still shows for the key (the old id's) and opens at its first
    # option, e.g. Visit at month 1 after a page switch. The value here is the widget's own newest
    # value whenever the user just changed it (begin_run took it into the store).
    st.session_state[key] = list(value) if isinstance(value, list | tuple) and setting.kind == "choices" else value
    # persist_state="session": Streamlit would otherwise drop the widget's state on a page switch.
    result = widget(*args, key=key, persist_state="session", **kwargs)
    _store()[key] = result
    return result


def setting_notices() -> list[str]:
    """Settings changed this run because their value did not apply here (each said once)."""
    return list(dict.fromkeys(st.session_state.get(_NOTICES, [])))


def set_value(key: str, value: Any) -> None:
    """Change a setting from code (a reset button's callback), widget and store alike."""
    _store()[key] = value
    st.session_state[key] = value


_ACCEPTED = "_accepted_values"  # per typed setting (cut points), the last value the page accepted


def accept(key: str, value: Any) -> None:
    """A typed value the page checked and used: the address may carry it."""
    st.session_state.setdefault(_ACCEPTED, {})[key] = value


def refuse(key: str) -> None:
    """A typed value the page refused (its message beside the box): the address keeps the last value
    accepted, or the default, so a link never opens another analysis than the one it names. The
    text stays in the box."""
    _store()[key] = st.session_state.get(_ACCEPTED, {}).get(key, SETTINGS[key].default)


def url_query() -> dict[str, list[str]]:
    """The query that states this session's cohort and settings (defaults left out). A saved
    cohort whose filters are unchanged is written as `cohort=<slug>` alone. The talk and slide a
    presenter steps through are written only in presenter mode (leaving it leaves the talk). Typed
    cut points that are not numbers (drawn before the page checks them: the page menu) are written
    as the last accepted."""
    values = dict(_store())
    for key, setting in SETTINGS.settings.items():
        typed = str(values.get(key) or "")
        if setting.kind == "cuts" and typed.strip() and isinstance(cut_points(typed), str):
            values[key] = st.session_state.get(_ACCEPTED, {}).get(key, setting.default)
    if not values.get("present"):
        values |= {"talk": None, "slide": None}
    if st.session_state.get("_page") != "speaker":  # a share's key moves its slides: only its speaker view holds it
        values["share"] = None
    if saved_slug():
        values |= {key: SETTINGS[key].default for key in COHORT_KEYS}
    else:
        values["cohort"] = None
    return SETTINGS.encode_all(values)


class PageStop(BaseException):
    """Ends a page's own script early. Unlike st.stop(), which keeps the run stopped at every later
    Streamlit call, it lets the frame finish the run (write the URL, fill the Export menu)."""


def stop() -> NoReturn:
    """End the page here; the frame around it still completes the run."""
    raise PageStop


def end_of_slide() -> None:
    """On a slide (presenter mode) the page ends here, after its key chart, its key numbers and the
    words they need: what an analyst page has under them (headings, notices, tables, more charts)
    stays off the slide (README: the analyst tables give way to one line of key numbers)."""
    if presenting():
        stop()


def publish() -> None:
    """Write the URL once for this run: the cohort and every setting away from its default."""
    query = url_query()
    if _canonical(query) != _canonical(_query()):
        st.query_params.from_dict(query)
    st.session_state[_PUBLISHED] = _canonical(query)


def opening_query() -> dict[str, list[str]]:
    """The address's query, keys of known settings only."""
    return {k: v for k, v in _query().items() if k in SETTINGS.settings}


def presenting() -> bool:
    """Presenter mode: the page alone for an audience, large type, no controls (`present=1`); a
    window that follows a presenter (`follow=<code>`) is always in it."""
    return bool(current("present")) or following()


def following() -> bool:
    """The window follows a presenter's slides (`follow=<code>`): read-only, small cells hidden."""
    return bool(current("follow"))


_IN_DRAWER: contextvars.ContextVar[bool] = contextvars.ContextVar("in_drawer", default=False)


def controls_drawn() -> bool:
    """Whether controls are drawn here: always, except on a projector outside the cohort drawer."""
    return not presenting() or _IN_DRAWER.get()


@contextlib.contextmanager
def drawn_in_presenter() -> Iterator[None]:
    """Controls in this block are drawn in presenter mode too: the cohort drawer of the slide's line
    (presenter.Line), where a presenter changes the cohort without leaving the slide."""
    token = _IN_DRAWER.set(True)
    try:
        yield
    finally:
        _IN_DRAWER.reset(token)


EXPORTING = "_exporting"


def exporting() -> bool:
    """The page is drawn as its exports hold it (small cells hidden), with the downloads."""
    return bool(st.session_state.get(EXPORTING, False))


def protection() -> privacy.Protection:
    """The small-cell protection of this run: on every page when the operator turned it on, and
    always in presenter mode and for exports. A follower's window (the audience's own screens) hides
    small cells whatever the settings say: with the default k (5) when k is set below 2 (off)."""
    k, everywhere = config.small_cells()
    if following() and k < 2:
        return privacy.Protection(config.DEFAULT_MIN_CELL_COUNT)
    return privacy.Protection(k) if everywhere or presenting() or exporting() else privacy.OFF


def run_number() -> int:
    return int(st.session_state.get(_RUN, 0))
