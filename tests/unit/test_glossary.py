"""The Glossary covers every method the pages name; tooltips quote it."""

import importlib
import pkgutil
import re

from pts_explorer import analytics, glossary

# Method names as the pages' method lines spell them (analytics *_METHOD constants).
METHOD_NAMES = (
    "Welch",
    "ANCOVA",
    "MMRM",
    "REML",
    "Satterthwaite",
    "Kaplan-Meier",
    "log-rank",
    "Cox",
    "Aalen-Johansen",
    "Gray",
    "Clopper-Pearson",
    "Garwood",
    "Newcombe",
    "Wilson",
    "Katz",
    "standardized mean difference",
    "t-distribution",
)


def _method_lines() -> str:
    lines = []
    for module in pkgutil.iter_modules(analytics.__path__):
        mod = importlib.import_module(f"pts_explorer.analytics.{module.name}")
        lines += [v for k, v in vars(mod).items() if k.endswith("METHOD") and isinstance(v, str)]
    return "\n".join(lines)


def _glossary_text() -> str:
    return "\n".join(f"{t.name} {t.text} {t.detail}" for t in glossary.TERMS).lower()


def test_every_method_a_page_names_is_explained():
    named = [m for m in METHOD_NAMES if m.lower() in _method_lines().lower()]
    assert len(named) >= 12  # the list above tracks the method lines
    text = _glossary_text().replace("t-distribution", "t-based")
    missing = [m for m in named if m.lower().replace("t-distribution", "t-based") not in text]
    assert not missing


def test_every_term_has_plain_words_a_source_and_a_section():
    assert len({t.key for t in glossary.TERMS}) == len(glossary.TERMS)
    for term in glossary.TERMS:
        assert term.section in glossary.SECTIONS, term.key
        assert 40 < len(term.text) < 500, term.key  # one or two sentences
        assert re.search(r"\d{4}|README|https://", term.source), term.key  # dated, linked, or the data contract


def test_tooltips_quote_the_glossary():
    tip = glossary.tip("welch", "cox")
    assert glossary.BY_KEY["welch"].text in tip and glossary.BY_KEY["cox"].text in tip
    assert "Glossary" in tip
    assert set(glossary.COLUMN_TERMS.values()) <= set(glossary.BY_KEY)
    assert "Secondary patency" in glossary.endpoint_tip() and "VEINES-QOL" in glossary.outcome_tip()


def test_search_keeps_section_order_and_matches_text():
    assert list(glossary.by_section()) == list(glossary.SECTIONS)
    found = glossary.by_section("restenosis")
    assert [t.key for terms in found.values() for t in terms] == ["primary_patency"]
    assert glossary.by_section("no such term at all") == {}
