"""The filters' help without a Tab stop per help icon (fourth review of issue 28): "Explain the filters" writes
each filter's help under it, for keyboard users, whose Tab no longer stops on the icons."""

from pts_explorer import glossary
from pts_explorer.ui import filter_panel


def _sidebar_captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_explain_the_filters_writes_each_filters_help_under_it(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    counts = filter_panel.COUNTS_HELP
    helps = [
        f"{glossary.tip('randomized')}  \n{counts}",
        f"Stent (with angioplasty), or medical management alone.  \n{counts}",
        f"{glossary.tip('obstruction_site')}  \n{counts}",
        f"{glossary.tip('stenosis_grade')}  \n{counts}",
        f"{glossary.tip('pts_band')}  \n{counts}",
        counts,  # Sex
        "An open venous ulcer at the month-0 visit (CEAP C6); it puts the PTS band at severe.  \n" + counts,
        filter_panel.MORE_HELP,
    ]
    assert not any(text in helps for text in _sidebar_captions(at))  # off: the help icons only
    at.toggle(key=filter_panel.EXPLAIN).set_value(True).run()
    assert not at.exception, at.exception
    assert [text for text in _sidebar_captions(at) if text in helps] == helps  # each once, in the filters' order


def test_the_help_block_is_plain_text_for_descriptions():
    block = filter_panel.help_block([("Study", "**Randomized**: <b>chance</b> [more](x)  \nnext _line_")])
    assert block == (
        '<div id="cohort-filter-help" hidden><span id="cohort-help-0" data-label="Study">Randomized: '
        "&lt;b&gt;chance&lt;/b&gt; more next line</span></div>"
    )
