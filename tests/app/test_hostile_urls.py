"""Hostile URL parameters on every page: no exception, nothing of them reaches the page as SQL or a
path, and the address the app writes back holds known keys with allowed values only.

Property-based (hypothesis): injection payloads, unicode, 100 kB strings, NUL bytes, huge and
negative numbers, repeated and empty keys, for known and unknown keys alike. About 1,100 cases
in all (HOSTILE_EXAMPLES per page) under the full Hypothesis profile, a tenth under the quick one
(tests/tiers.py).
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pts_explorer import settings as url_settings
from pts_explorer.config import PAGES
from tests.app.test_pages import _texts
from tests.tiers import examples

HOSTILE_EXAMPLES = examples(1_100 // len(PAGES))  # about 1,100 cases in all, however many pages there are
PAYLOADS = [
    "'; DROP TABLE patients; --",
    "1 OR 1=1",
    "stent' OR '1'='1",
    '" UNION SELECT * FROM duckdb_settings() --',
    "$visit_month",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "../../../../etc/passwd",
    "/work/main/data/pts_outcomes.duckdb",
    "%00",
    "\x00",
    "stent\x00medical",
    "é͂̀ 漢字 🫀 \u202e",
    "A" * 100_000,
    "9" * 400,
    "-99999999999999999999",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-0",
    "0x10",
    "6.5",
    "",
    " ",
    "True; SELECT 1",
    "femoral,common_iliac",
]
KNOWN_KEYS = list(url_settings.SETTINGS.settings)
VALID = {  # a few valid values, so hostile ones also meet real cohorts
    "site": ["femoral", "common_iliac"],
    "age": ["30", "60"],
    "visit": ["6", "12"],
    "outcome": ["vcss"],
    "endpoint": ["primary_patency"],
}
LEAKS = re.compile(r"SELECT|DROP TABLE|UNION|<script|onerror|/etc/passwd|/work/|Traceback")

values = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30), st.integers().map(str))
keys = st.one_of(
    st.sampled_from(KNOWN_KEYS), st.sampled_from(["", " ", "x" * 300, "site[]", "SITE"]), st.text(max_size=8)
)
queries = st.dictionaries(
    keys,
    st.lists(st.one_of(values, st.sampled_from([v for vs in VALID.values() for v in vs])), min_size=0, max_size=4),
    max_size=6,
)


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_hostile_urls_never_break_a_page(app_on, small_db, page):
    @settings(
        max_examples=HOSTILE_EXAMPLES,
        deadline=None,
        derandomize=True,  # the same cases on every run: a failure is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(query=queries)
    def check(query):
        at = app_on(small_db, query)
        at = (at if page == "home" else at.switch_page(f"app_pages/{page}.py")).run()  # one run, on that page
        assert not at.exception, (query, at.exception)
        presented = any(m.value.startswith("**") and " · n = " in m.value for m in at.markdown)
        assert at.header or presented, query  # the page itself rendered (in presenter mode under its line)
        assert not [e.value for e in at.error if "Something went wrong" in e.value], query
        text = _texts(at)
        assert not LEAKS.search(text), (query, LEAKS.search(text))
        for key in at.query_params:  # what the app wrote back: known keys, canonical allowed values
            assert key in url_settings.SETTINGS, (query, key)
            raw = at.query_params[key]
            written = [raw] if isinstance(raw, str) else list(raw)
            setting = url_settings.SETTINGS[key]
            assert setting.encode(setting.parse(written)) == written, (key, written)
            if key == "study":
                assert set(written) <= {"TRIAL", "REGISTRY"}, written

    check()
