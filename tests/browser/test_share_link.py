"""The Link button's address, opened in a fresh browser, shows the same page, cohort and settings
(issue 22, item 1: it named the page twice, /effects/effects?..., and opened a blank page)."""

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from pts_explorer.config import PAGES
from pts_explorer.settings import SETTINGS
from tests.browser.app_driver import new_context, open_page
from tests.browser.conftest import serving

COHORT = {"site": ["common_iliac", "common_femoral"], "age": ["30", "80"]}
# Settings of each page away from their defaults (the page's own controls and the shared ones).
SETTINGS_BY_PAGE = {
    "overview": {},
    "trajectories": {"outcome": ["vcss"], "scale": ["change"], "patients": ["25"]},
    "effects": {"outcome": ["vcss"], "visit": ["12"], "mmrm": ["ml"], "adjust": ["age_years"]},
    "subgroups": {"outcome": ["veines_qol"], "visit": ["3"]},
    "benefit": {"visit": ["12"], "groups": ["common_iliac", "common_femoral"], "modifier": ["baseline"]},
    "responders": {"visit": ["12"], "threshold": ["5"], "definition": ["responders_band"], "imputation": ["complete"]},
    "adjusted": {
        "visit": ["12"],
        "ps_estimate": ["responders"],
        "ps_method": ["iptw"],
        "ps_trim": ["0.1"],
        "ps_covariates": ["stenosis_grade", "age_years"],
    },
    "compare": {"outcome": ["vcss"], "visit": ["12"], "compare_arm": ["stent"]},
    "cohorts": {},
    "candidate": {"c_site": ["common_iliac"], "c_stenosis": ["100"], "c_villalta": ["17"], "c_k": ["50"]},
    "durability": {"endpoint": ["freedom_from_recurrent_dvt"], "group": ["sex"], "randomized": ["True"]},
    "safety": {"split": ["stenosis_grade"], "period": ["any time"]},
}
# No cohort header: Talks has a short link, the speaker view's address is its key alone.
# The audit trail: an admin's record, no view to share.
NO_LINK = {"home", "glossary", "data_checks", "import_data", "talks", "speaker", "audit"}


def test_the_pages_with_a_link_are_every_page_but_home_and_reference():
    assert set(SETTINGS_BY_PAGE) | NO_LINK == {p.name for p in PAGES}
    assert not set(SETTINGS_BY_PAGE) & NO_LINK


def _canonical(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """A query as the app writes it: known keys in registry order, defaults left out."""
    return SETTINGS.encode_all(SETTINGS.parse_all(query))


def _view(page) -> dict:
    """What a reader takes the view to be: the page, its title and heading, the cohort's chips,
    the settings in the address."""
    url = urlparse(page.url)
    return {
        "path": url.path,
        "query": parse_qs(url.query),
        "title": page.title(),
        "heading": page.get_by_test_id("stHeading").first.inner_text(),
        "chips": page.locator(".st-key-active_filters").get_by_role("button").all_inner_texts(),
    }


def _link_address(page) -> str:
    page.get_by_role("button", name="Link", exact=True).click()
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").locator("code")
    return code.inner_text().strip()


def _round_trip(browser, root: str, name: str) -> None:
    spec = next(p for p in PAGES if p.name == name)
    query = COHORT | SETTINGS_BY_PAGE[name]
    context = new_context(browser, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    open_page(page, f"{root}/{spec.url_path}?{urlencode(query, doseq=True)}")
    before = _view(page)
    assert before["path"] == urlparse(f"{root}/{spec.url_path}").path
    assert before["query"] == _canonical(query)  # the app kept every setting it was given
    assert before["chips"]  # the cohort is on screen
    address = _link_address(page)
    # the whole address: the browser's root, the page's path once, the same query
    assert urlparse(address)._replace(query="") == urlparse(page.url)._replace(query="")
    assert parse_qs(urlparse(address).query) == before["query"]
    context.close()

    fresh = new_context(browser, viewport={"width": 1400, "height": 1000})
    reopened = fresh.new_page()
    open_page(reopened, address)
    assert _view(reopened) == before
    fresh.close()


@pytest.mark.parametrize("name", list(SETTINGS_BY_PAGE))
def test_the_link_reopens_the_same_view_in_a_fresh_browser(server, browser, name):
    _round_trip(browser, server, name)


def test_the_link_holds_the_base_path_the_server_runs_under(demo_db, browser):
    with serving(demo_db, base_path="pts/explorer") as root:
        assert root.endswith("/pts/explorer")
        for name in ("effects", "overview"):
            _round_trip(browser, root, name)
