"""Small counts on the subgroup forest: a group that stands in two factors (a named subgroup equal
to a level of another factor) must not show in one the count hidden in the other, or the hidden
small count is recovered by subtraction (found by an outside review in presenter mode)."""

import pandas as pd

from pts_explorer.display.effects import protect_forest
from pts_explorer.privacy import Protection


def _forest(rows):
    frame = pd.DataFrame(rows, columns=["factor", "level", "n_stent", "n_medical"])
    frame["estimate"], frame["ci_low"], frame["ci_high"], frame["estimable"] = 1.0, 0.0, 2.0, True
    return frame


def test_a_count_hidden_in_one_factor_is_hidden_where_the_same_group_stands_in_another():
    forest = _forest(
        [
            ("study_id", "TRIAL", 112, 111),
            ("obstruction_site", "ivc", 4, 5),  # 4 < k = 5: hidden
            ("obstruction_site", "common_iliac", 45, 40),
            ("obstruction_site", "external_iliac", 28, 30),
            ("obstruction_site", "common_femoral", 20, 21),
            ("obstruction_site", "femoral", 15, 15),  # hidden as the complement of the IVC count
            ("named", "Femoral obstruction", 15, 15),  # the same patients as obstruction_site femoral
        ]
    )
    out = protect_forest(forest, Protection(5))
    shown = dict(zip(out.level, out.n_stent_text, strict=True))
    assert shown["ivc"] == "hidden" and shown["femoral"] == "hidden"
    assert shown["Femoral obstruction"] == "hidden"
    # Every visible stent count of the site factor plus the study total: the hidden two cannot be split.
    assert [shown[k] for k in ("TRIAL", "common_iliac", "external_iliac", "common_femoral")] == [
        "112",
        "45",
        "28",
        "20",
    ]
    # The named subgroup is one row (a line of its own): once hidden it needs no partner.
    assert shown["TRIAL"] == "112"
