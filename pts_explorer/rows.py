"""Rows of a small data frame with attribute access, as DataFrame.itertuples() gives them, without
its fixed cost: pandas builds a new namedtuple class on every call (about 1.5 ms, more than a
small table's whole shaping); here one class per set of columns is built once and kept."""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterator
from typing import Any

import pandas as pd


@functools.lru_cache(maxsize=512)
def _row_type(columns: tuple[str, ...]) -> Any:
    return collections.namedtuple("Row", columns, rename=True)


def each_row(frame: pd.DataFrame) -> Iterator[Any]:
    """frame.itertuples(index=False): one named tuple per row, the same values and field names."""
    row_type = _row_type(tuple(str(c) for c in frame.columns))
    return map(row_type._make, zip(*(frame.iloc[:, i] for i in range(frame.shape[1])), strict=True))
