"""Rounding as a reader expects it, shared by the text (display) and the charts' labels."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float, decimals: int) -> float:
    """`value` rounded to `decimals` places, a half away from zero, as it reads: 32.5 -> 33 and
    2.675 -> 2.68, as SAS and clinical tables round and as the charts' hover labels (JavaScript's
    toFixed) show an exact half. Python's round() and format() would give 32 (half to even, R's
    rule) and 2.67 (the binary value just below 2.675), and a page's text and chart would disagree."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
