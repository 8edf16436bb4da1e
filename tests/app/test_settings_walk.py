"""Every path of three page switches over the analysis pages keeps every setting the user did not
change: the address, the store behind it and every control drawn hold the values the session
started with (issue 22, item 2: the Visit fell from month 6 to month 1 on a page switch)."""

from __future__ import annotations

import json
from itertools import product
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from pts_explorer import vocab
from pts_explorer.config import ANALYSIS_PAGES, PAGES
from pts_explorer.settings import SETTINGS

PAGE_NAMES = [p.name for p in ANALYSIS_PAGES]


def _other(key: str) -> Any:
    """A value of a setting that is neither its default nor its first option: a control that
    fell back to either shows it."""
    setting = SETTINGS[key]
    options = [o for o in setting.options if o != setting.default]
    return options[-1]


# Every setting the analysis pages draw, away from its default where that keeps the pages cheap
# (the registry stays off: its models are slow to fit), with the values a user might pick.
STARTING_VALUES: dict[str, Any] = {
    "age": (25, 85),
    "sex": ["female", "male"],
    "outcome": "vcss",
    "visit": 12,  # a visit of the randomized trial, not its first and not the default
    "threshold": vocab.DEFAULT_THRESHOLD + 1,
    "scale": _other("scale"),
    "by_study": not SETTINGS["by_study"].default,
    "patients": _other("patients"),
    "adjust": ["age_years"],
    "mmrm": _other("mmrm"),
    "definition": _other("definition"),
    "imputation": _other("imputation"),
    "endpoint": _other("endpoint"),
    "randomized": not SETTINGS["randomized"].default,
    "group": _other("group"),
    "cox_adjust": ["sex"],
    "split": _other("split"),
    "period": _other("period"),
    "compare_arm": _other("compare_arm"),
    "ps_estimate": "responders",
    "ps_covariates": ["stenosis_grade", "age_years", "sex"],
    "ps_method": "iptw",
    "ps_trim": _other("ps_trim"),
    "ps_caliper": _other("ps_caliper"),
    "ps_trial_eligible": not SETTINGS["ps_trial_eligible"].default,
    "c_site": "common_iliac",
    "c_stenosis": 100,
    "c_villalta": 17,
    "c_k": 50,
}
STARTING_QUERY = SETTINGS.encode_all(STARTING_VALUES)


def _walk_over_every_triple(names: list[str]) -> list[str]:
    """A walk through the pages that holds every sequence of three pages (a page may follow
    itself: its menu link reruns it) as consecutive steps: an Eulerian circuit of the graph
    whose nodes are ordered pairs of pages and whose edges are the triples (a de Bruijn walk)."""
    unused = {(a, b): list(names) for a, b in product(names, repeat=2)}
    stack, circuit = [(names[0], names[0])], []
    while stack:
        a, b = stack[-1]
        if unused[(a, b)]:
            stack.append((b, unused[(a, b)].pop()))
        else:
            circuit.append(stack.pop())
    circuit.reverse()
    return [circuit[0][0]] + [b for _, b in circuit]


WALK = _walk_over_every_triple(PAGE_NAMES)
PARTS = 4  # the walk in four parts, each in a session of its own, so pytest-xdist can spread them


def _part(number: int) -> list[str]:
    """One part of the walk, with the two pages before it: every triple of the walk is walked
    whole in some part."""
    size = -(-(len(WALK) - 2) // PARTS)
    return WALK[number * size : (number + 1) * size + 2]


def test_the_walk_holds_every_triple_of_pages():
    triples = {tuple(WALK[i : i + 3]) for i in range(len(WALK) - 2)}
    assert triples == set(product(PAGE_NAMES, repeat=3))
    assert len(WALK) == len(PAGE_NAMES) ** 3 + 2
    walked = {tuple(part[i : i + 3]) for part in map(_part, range(PARTS)) for i in range(len(part) - 2)}
    assert walked == triples


def _widgets(node: Any) -> list[Any]:
    found = []
    for child in getattr(node, "children", {}).values():
        if getattr(child, "key", None) in SETTINGS and hasattr(child, "value"):
            found.append(child)
        found.extend(_widgets(child))
    return found


def _shown(at: AppTest) -> dict[str, list[str] | None]:
    """Each settings control drawn on the page, with its value as the URL writes it."""
    return {w.key: SETTINGS[w.key].encode(w.value) for w in _widgets(at.main) + _widgets(at.sidebar)}


def _query(at: AppTest) -> dict[str, list[str]]:
    return {key: [v] if isinstance(v, str) else list(v) for key, v in at.query_params.items()}


def _walk(at: AppTest, walk: list[str]) -> set[str]:
    """Switch through the pages of `walk` in one session opened on STARTING_QUERY, checking at each
    step that every setting holds its starting value; the settings drawn on the way."""
    scripts = {p.name: p.script for p in PAGES}
    at.run()  # the home page: st.navigation registers the pages' addresses
    for key, values in STARTING_QUERY.items():
        at.query_params[key] = values  # a shared link: the address is the authority
    drawn: set[str] = set()
    for step, name in enumerate(walk):
        at.switch_page(scripts[name]).run()
        where = f"step {step}: {' -> '.join(walk[max(0, step - 2) : step + 1])}"
        assert not at.exception, (where, at.exception)
        assert _query(at) == STARTING_QUERY, where
        shown = _shown(at)
        expected = {key: SETTINGS[key].encode(STARTING_VALUES.get(key, SETTINGS[key].default)) for key in shown}
        assert shown == expected, where
        assert not [n.value for n in at.info if "changed from" in n.value], where
        drawn |= set(shown)
        if name == "subgroups":  # the forest plot names the visit it shows
            titles = [json.loads(el.proto.spec)["layout"]["title"]["text"] for el in at.get("plotly_chart")]
            outcome = vocab.OUTCOMES[STARTING_VALUES["outcome"]].label
            assert titles == [f"Adjusted treatment effect on {outcome} at month 12 by subgroup"], where
    return drawn


def test_each_page_once_draws_every_starting_setting(app_on, small_db):
    """The walk's check is not empty: every setting of STARTING_VALUES is on screen somewhere."""
    assert set(STARTING_VALUES) - {"c_k"} <= _walk(app_on(small_db), PAGE_NAMES)


@pytest.mark.parametrize("part", range(PARTS))
def test_every_path_of_three_pages_keeps_every_setting(app_on, small_db, part):
    _walk(app_on(small_db), _part(part))
