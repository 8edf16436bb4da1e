"""Hostile URL parameters on every page: no exception, nothing of them reaches the page as SQL or a
path, and the address the app writes back holds known keys with allowed values only.

What the URL parser makes of a hostile value (thousands of random queries, and each payload alone on
each key) is tests/unit/test_hostile_url_values.py's: every page reads its address through that
parser. Here each page opens with three queries built from the same payloads, for what the page
does with what the parser gives: every payload on every known key at once, one payload per key
(each key alone with a different one), and the odd keys with the payloads next to valid values.
"""

import re
from urllib.parse import urlencode

import pytest
from streamlit.runtime.state.query_params import sanitize_query_string

from pts_explorer import settings as url_settings
from pts_explorer.config import PAGES
from tests.app.test_pages import _texts
from tests.unit.test_hostile_url_values import KNOWN_KEYS, ODD_KEYS, PAYLOADS, VALID

LEAKS = re.compile(r"SELECT|DROP TABLE|UNION|<script|onerror|/etc/passwd|/work/|Traceback")
LONG = max(PAYLOADS, key=len)  # 100 kB: on two keys only, to stay under Streamlit's limits (below)
QUERIES = {
    **{  # Streamlit keeps at most 1,000 fields: every payload on every key takes three queries
        f"every payload on every key ({part})": {
            key: [p for p in PAYLOADS[start::3] if p != LONG or key in ("outcome", "site")] for key in KNOWN_KEYS
        }
        for part, start in (("first third", 0), ("second third", 1), ("last third", 2))
    },
    "one payload per key": {key: [PAYLOADS[i % len(PAYLOADS)]] for i, key in enumerate(KNOWN_KEYS)},
    "odd keys, payloads among valid values": {
        **{key: PAYLOADS[i::4] for i, key in enumerate(ODD_KEYS)},
        **{key: [PAYLOADS[i], *valid, PAYLOADS[-1 - i]] for i, (key, valid) in enumerate(VALID.items())},
    },
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_each_query_reaches_the_app(name):
    """Streamlit drops a whole query string over its limits (length, number of fields): such a query
    would test nothing."""
    encoded = urlencode(QUERIES[name], doseq=True)
    assert sanitize_query_string(encoded) == encoded


def test_every_payload_meets_every_known_key():
    halves = [query for name, query in QUERIES.items() if name.startswith("every payload")]
    for key in KNOWN_KEYS:
        assert set().union(*(half[key] for half in halves)) | {LONG} == set(PAYLOADS), key
    assert sum(LONG in values for half in halves for values in half.values()) == 2


@pytest.mark.parametrize("name", list(QUERIES))
@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_hostile_urls_never_break_a_page(app_on, small_db, page, name):
    query = QUERIES[name]
    at = app_on(small_db, query)
    at = (at if page == "home" else at.switch_page(f"app_pages/{page}.py")).run()  # one run, on that page
    assert not at.exception, (name, at.exception)
    presented = any(m.value.startswith("**") and " · n = " in m.value for m in at.markdown)
    assert at.header or presented, name  # the page itself rendered (in presenter mode under its line)
    assert not [e.value for e in at.error if "Something went wrong" in e.value], name
    text = _texts(at)
    assert not LEAKS.search(text), (name, LEAKS.search(text))
    for key in at.query_params:  # what the app wrote back: known keys, canonical allowed values
        assert key in url_settings.SETTINGS, (name, key)
        raw = at.query_params[key]
        written = [raw] if isinstance(raw, str) else list(raw)
        setting = url_settings.SETTINGS[key]
        assert setting.encode(setting.parse(written)) == written, (key, written)
        if key == "study":
            assert set(written) <= {"TRIAL", "REGISTRY"}, written
