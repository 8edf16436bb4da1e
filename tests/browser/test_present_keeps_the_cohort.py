"""Present keeps the cohort whole (review of issue 28, finding 1): a value chosen in a filter whose
count is hidden on the slide (fewer than k patients) was dropped on the way into presenter mode, and
the slide counted another cohort. Streamlit reads a multiselect's value back by its options' labels,
and a label carries its count ("IVC (4)", "IVC (hidden)"); the cohort drawer, closed, keeps the old
labels in the browser. Here the address and the slide after a click on Present are compared whole
with the cohort the analyst had: sidebar filters, More filters, a count that changed under a chosen
value, and a saved cohort. The cases are found in the demo data by their counts."""

import itertools

import duckdb
from playwright.sync_api import Page

from pts_explorer import vocab
from pts_explorer.config import DUCKDB_CONFIG
from tests.browser.app_driver import (
    act_and_wait,
    new_context,
    open_page,
    open_saved_cohorts,
    pick_option,
    query,
)

K = 5  # the default small-cell threshold (presenter mode hides counts 1..K-1)
CHOSEN = "center_id = ? AND obstruction_site IN (?, ?) AND ceap_c IN (?, ?)"  # a centre, two sites, two classes


def _small_values(demo_db) -> tuple[str, list[str], list[str]]:
    """A centre, two sites and two CEAP classes of it (each pair in the app's order) such that, with
    all four chosen, one site and one class each have 1..K-1 patients (hidden on the slide) and the
    other K or more; the small site first among the sites."""
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)  # as the session's other handles
    rows = con.execute("SELECT center_id, obstruction_site, ceap_c, count(*) FROM patients GROUP BY ALL").fetchall()
    con.close()
    n = {(c, s, p): int(k) for c, s, p, k in rows}
    centres = sorted({c for c, _, _ in n})
    for centre, sites, classes in itertools.product(
        centres, itertools.combinations(vocab.SITES, 2), itertools.combinations(vocab.CEAP_CLASSES, 2)
    ):
        site_n = [sum(n.get((centre, s, p), 0) for p in classes) for s in sites]
        class_n = sorted(sum(n.get((centre, s, p), 0) for s in sites) for p in classes)
        if 0 < site_n[0] < K <= site_n[1] and 0 < class_n[0] < K <= class_n[1]:
            return centre, list(sites), list(classes)
    raise AssertionError("the demo data has no centre with a small site and a small CEAP class")


def _arms(demo_db, where: str, params: list) -> str:
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)  # as the session's other handles
    got = dict(con.execute(f"SELECT arm, count(*) FROM patients WHERE {where} GROUP BY arm", params).fetchall())
    con.close()
    return f"n = {got.get('stent', 0):,} stent, {got.get('medical', 0):,} medical"


def _line(page: Page) -> list[str]:
    """The slide's line, its parts as written: page, cohort, n per arm, design, data, protection."""
    return page.locator(".st-key-presenter_line [data-testid='stMarkdownContainer']").first.inner_text().split(" · ")


def _present(page: Page) -> None:
    act_and_wait(page, lambda: page.get_by_role("link", name="Present").click())


def _typed(browser, url: str) -> list[str]:
    """The slide's line when present=1 is typed into the address (a fresh browser)."""
    context = new_context(browser, viewport={"width": 1280, "height": 720})
    other = context.new_page()
    open_page(other, url)
    line = _line(other)
    context.close()
    return line


def test_present_keeps_every_chosen_value_whose_count_the_slide_hides(server, browser, demo_db, page: Page):
    centre, sites, classes = _small_values(demo_db)
    address = "&".join([*(f"site={s}" for s in sites), f"center={centre}", *(f"ceap={c}" for c in classes)])
    open_page(page, f"{server}/overview?{address}")
    _present(page)
    assert query(page) == {"site": sites, "center": [centre], "ceap": classes, "present": ["1"]}
    line = _line(page)
    expected = _arms(demo_db, CHOSEN, [centre, *sites, *classes])
    assert line[2] == expected
    assert line == _typed(browser, f"{server}/overview?{address}&present=1")
    # The drawer holds them too, the small ones hidden.
    act_and_wait(page, lambda: page.get_by_role("button", name="Cohort").click())  # the drawer opens: a run
    words = {s: vocab.SITES[s] for s in sites}
    drawer_sites = page.locator(".st-key-site [data-tag] span[title]").all_inner_texts()
    assert [t.split(" (")[0] for t in drawer_sites] == [words[s] for s in sites]
    assert drawer_sites[0] == f"{words[sites[0]]} (hidden)"


def test_a_chosen_value_whose_count_changed_is_kept_in_the_panel_and_on_the_slide(server, demo_db, page: Page):
    centre, sites, _ = _small_values(demo_db)
    open_page(page, f"{server}/overview?center={centre}")
    pick_option(page, "Obstruction site", vocab.SITES[sites[0]])
    pick_option(page, "Sex", "Female")  # narrows the cohort: the chosen site's count beside it changes
    assert query(page) == {"site": [sites[0]], "sex": ["female"], "center": [centre]}
    pick_option(page, "Obstruction site", vocab.SITES[sites[1]])
    assert query(page) == {"site": sites, "sex": ["female"], "center": [centre]}
    _present(page)
    assert query(page) == {"site": sites, "sex": ["female"], "center": [centre], "present": ["1"]}
    expected = _arms(demo_db, "center_id = ? AND obstruction_site IN (?, ?) AND sex = 'female'", [centre, *sites])
    assert _line(page)[2] == expected


def test_present_keeps_a_saved_cohort_whose_values_the_slide_hides(server, browser, demo_db, page: Page):
    centre, sites, classes = _small_values(demo_db)
    address = "&".join([*(f"site={s}" for s in sites), f"center={centre}", *(f"ceap={c}" for c in classes)])
    open_page(page, f"{server}/trajectories?{address}")
    open_saved_cohorts(page)
    page.get_by_label("Save these filters as").fill("Small cells kept on the slide")
    act_and_wait(page, lambda: page.get_by_role("button", name="Save", exact=True).click())
    [slug] = query(page)["cohort"]
    page.keyboard.press("Escape")
    open_page(page, f"{server}/trajectories?cohort={slug}")
    _present(page)
    assert query(page) == {"cohort": [slug], "present": ["1"]}
    expected = _arms(demo_db, CHOSEN, [centre, *sites, *classes])
    line = _line(page)
    assert line[2] == expected
    typed = _typed(browser, f"{server}/trajectories?{address}&present=1")  # the filters, without the name
    assert line == [typed[0], f"Small cells kept on the slide: {typed[1]}", *typed[2:]]
