"""Hostile URL values against the URL parser itself: every page reads its address through
SETTINGS.parse_all (pts_explorer/ui/state.begin_run), so what a hostile value can become is
settled here, thousands of cases in a few seconds. tests/app/test_hostile_urls.py opens each page
with a few queries built from the same payloads, for what the page does with what the parser gives.

Property-based (hypothesis): injection payloads, unicode, 100 kB strings, NUL bytes, huge and
negative numbers, repeated and empty keys, for known and unknown keys alike.
"""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pts_explorer.settings import MAX_RAW_LENGTH, SETTINGS, cut_points, cut_text
from tests.tiers import examples

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
    # near misses of the forms a saved cohort, a cohort to compare and the Villalta items take
    "abcd1234'; DROP TABLE patients; --",
    "sub:x OR 1=1",
    "2132x100010 UNION SELECT 1",
    "ABCD1234",
]
KNOWN_KEYS = list(SETTINGS.settings)
ODD_KEYS = ["", " ", "x" * 300, "site[]", "SITE"]
VALID = {  # a few valid values, so hostile ones also meet real cohorts
    "site": ["femoral", "common_iliac"],
    "age": ["30", "60"],
    "visit": ["6", "12"],
    "outcome": ["vcss"],
    "endpoint": ["primary_patency"],
}
VALID_VALUES = [v for vs in VALID.values() for v in vs]
FORMS = {  # what a saved cohort's name, a cohort to compare and the Villalta items look like
    "slug": re.compile(r"[a-z0-9]{8}"),
    "cohort_ref": re.compile(r"current|[a-z0-9]{8}|sub:[A-Za-z_][A-Za-z0-9_]*"),
    "items": re.compile(r"[0-3x]{11}"),
}
STUDIES = ("TRIAL", "REGISTRY")  # the demo database's studies: where the page checks `study`

values = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30), st.integers().map(str))
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(ODD_KEYS), st.text(max_size=8))
queries = st.dictionaries(keys, st.lists(st.one_of(values, st.sampled_from(VALID_VALUES)), max_size=4), max_size=6)


def _usable(raw: list[str]) -> list[str]:
    return [r for r in raw if 0 < len(r) <= MAX_RAW_LENGTH and "\x00" not in r]


@settings(
    max_examples=examples(1_500),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query=queries)
def test_a_hostile_query_parses_to_allowed_values_that_round_trip(query):
    parsed = SETTINGS.parse_all(query)
    assert set(parsed) == {k for k in query if k in SETTINGS}  # unknown keys dropped, never an error
    for key, value in parsed.items():
        setting = SETTINGS[key]
        raw = query[key]
        if setting.options:  # a static allow-list: the value is on it, or the default
            assert setting.is_valid(value) or value == setting.default, (key, raw, value)
        elif setting.kind == "choices":  # `study`: the database's own values, checked by the page
            assert value == list(dict.fromkeys(_usable(raw))), (key, raw, value)
            assert [s for s in SETTINGS[key].parse(raw, STUDIES)] == [s for s in STUDIES if s in raw]
        elif setting.kind in ("number", "range"):  # within the setting's bounds, whole numbers only
            numbers = list(value) if isinstance(value, tuple) else [value]
            assert value == setting.default or all(
                type(n) is int and setting.bounds[0] <= n <= setting.bounds[1] for n in numbers
            ), (key, raw, value)
        elif setting.kind == "flag":
            assert value is True or value is False, (key, raw, value)
        elif setting.kind == "cuts":  # cut points: numbers, written as the page writes them, or the default
            cuts = cut_points(str(value))
            assert value == setting.default or (not isinstance(cuts, str) and cut_text(cuts) == value), (key, value)
        else:  # slug, cohort_ref, items: a value of the setting's own form, one the URL held, or the default
            assert value == setting.default or (value in raw and FORMS[setting.kind].fullmatch(value)), (key, value)
        written = setting.encode(value)
        if written is None:  # the default is written as no key at all
            assert value == setting.default or value == [], (key, value)
        else:  # what the app writes back reads as the same value, and is written the same way again
            assert all(0 < len(w) <= MAX_RAW_LENGTH and "\x00" not in w for w in written), (key, written)
            assert setting.parse(written) == value, (key, written, value)
            assert setting.encode(setting.parse(written)) == written, (key, written)


def test_every_payload_on_every_key_alone():
    """Each payload as the only value of each key: the cases a random draw may miss. Each gives the
    key's default, but for three: `study` (and the centre of "More filters") keeps a usable value for
    the page to check against the database, "-0" is the number 0 where any whole number is allowed (the
    Candidate's profile, which pts_explorer.candidate checks for what is possible), and a number is a
    cut point (`cuts`)."""
    for key in KNOWN_KEYS:
        setting = SETTINGS[key]
        for payload in PAYLOADS:
            kept = setting.default
            if key in ("study", "center") and _usable([payload]):  # the data's own values, checked where drawn
                kept = [payload]
            elif setting.kind == "number" and not setting.options and payload == "-0" and setting.bounds[0] <= 0:
                kept = 0
            elif setting.kind == "cuts" and payload in ("-0", "6.5"):  # a number: a cut point, as it is written
                kept = {"-0": "0", "6.5": "6.5"}[payload]
            assert setting.parse([payload]) == kept, (key, payload)
