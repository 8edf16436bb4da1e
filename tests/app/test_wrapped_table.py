"""A wrapped table (ui.table(wrap=True): st.table, which reads Markdown, so that long cells wrap
whole) shows text from the data as the text it is: every cell and header escaped."""

from streamlit.testing.v1 import AppTest

from tests.app.test_hostile_text import BADGE, BOLD, IMAGE, LINK, LIVE_MARKDOWN, _literal

HOSTILE = f"RC01 {IMAGE} {LINK} {BADGE} {BOLD}"


def _page():
    import pandas as pd

    from pts_explorer import ui
    from tests.app.test_wrapped_table import HOSTILE

    ui.table(
        pd.DataFrame({"Element": ["Assignment"], f"Text {HOSTILE}": [f"Centres pooled: {HOSTILE}"]}),
        key="t",
        title="T",
        wrap=True,
    )


def test_every_cell_and_header_of_a_wrapped_table_reads_as_its_text():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, at.exception
    assert not at.dataframe
    (table,) = at.table
    cells = [str(c) for c in table.value.columns] + [str(v) for v in table.value.to_numpy().ravel()]
    for cell in cells:
        for live in LIVE_MARKDOWN:
            assert live not in cell
    assert [_literal(c) for c in cells] == ["Element", f"Text {HOSTILE}", "Assignment", f"Centres pooled: {HOSTILE}"]
