"""each_row: the rows DataFrame.itertuples(index=False) gives, with one row class per column set."""

import numpy as np
import pandas as pd

from pts_explorer.rows import each_row


def test_rows_equal_itertuples_with_the_same_field_names():
    frame = pd.DataFrame(
        {
            "arm": ["stent", "medical", None],
            "n": pd.Series([3, None, 5], dtype="Int64"),
            "mean": [1.5, np.nan, 2.0],
            "n (%)": ["1 (5%)", "", "2"],  # not a Python name: renamed as pandas renames it
            "class": [True, False, True],  # a keyword: renamed too
        }
    )
    got, expected = list(each_row(frame)), list(frame.itertuples(index=False))

    def plain(r):
        return tuple(None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in r)

    assert [plain(r) for r in got] == [plain(r) for r in expected]
    assert got[0]._fields == expected[0]._fields and got[0].arm == "stent" and got[1].n is pd.NA


def test_one_row_class_per_set_of_columns_and_empty_frames():
    a, b = pd.DataFrame({"x": [1], "y": [2]}), pd.DataFrame({"x": [3], "y": [4]})
    assert type(next(each_row(a))) is type(next(each_row(b)))
    assert list(each_row(a.iloc[0:0])) == []
