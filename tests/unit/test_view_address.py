"""The Link button's address (issue 22, item 1): the app's root as the browser reached it, the
page's path once, and the query; on the home page, under a base path, and without a browser."""

import pytest

from pts_explorer.ui.notices import view_address

QUERY = {"site": ["femoral", "common_iliac"], "grade": ["<50%"], "visit": ["12"]}
ENCODED = "site=femoral&site=common_iliac&grade=%3C50%25&visit=12"


@pytest.mark.parametrize(
    ("page_url", "page_path", "expected"),
    [
        # st.context.url already ends with the page's path: it is not added a second time
        ("http://127.0.0.1:8501/effects", "effects", f"http://127.0.0.1:8501/effects?{ENCODED}"),
        ("http://127.0.0.1:8501/effects/", "effects", f"http://127.0.0.1:8501/effects?{ENCODED}"),
        ("http://127.0.0.1:8501/import", "import", f"http://127.0.0.1:8501/import?{ENCODED}"),
        # --server.baseUrlPath (or a proxy's prefix), also one equal to a page's path
        ("https://host.org/pts/explorer/effects", "effects", f"https://host.org/pts/explorer/effects?{ENCODED}"),
        ("https://host.org/effects/effects", "effects", f"https://host.org/effects/effects?{ENCODED}"),
        # the home page has the empty path
        ("http://127.0.0.1:8501", "", f"http://127.0.0.1:8501/?{ENCODED}"),
        ("https://host.org/pts/", "", f"https://host.org/pts/?{ENCODED}"),
        # a page URL without the page's path (the root alone) gets it
        ("https://host.org/pts", "subgroups", f"https://host.org/pts/subgroups?{ENCODED}"),
        # no browser connected (AppTest): an address relative to the server's root
        (None, "effects", f"/effects?{ENCODED}"),
    ],
)
def test_the_address_names_the_page_once(page_url, page_path, expected):
    assert view_address(page_url, page_path, QUERY) == expected


def test_a_view_at_its_defaults_has_no_query():
    assert view_address("http://127.0.0.1:8501/overview", "overview", {}) == "http://127.0.0.1:8501/overview"
