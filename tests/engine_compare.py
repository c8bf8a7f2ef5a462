"""Two scorecards' exports compared as the engine issue asks: values to the cent, ratios
(attainment, percent units) to 1e-9, everything else exactly."""

from __future__ import annotations

from decimal import Decimal

from kpisync.compute.model import Scorecard
from kpisync.site.exports import score_rows

CENT, RATIO = Decimal("0.005"), Decimal("1e-9")


def _close(a, b, tolerance: Decimal) -> bool:
    if a is None or b is None or a == "" or b == "":
        return a == b
    return abs(Decimal(a) - Decimal(b)) <= tolerance


def assert_same_scores(expected: Scorecard, actual: Scorecard) -> int:
    """Raises on the first differing cell; the number of rows compared."""
    rows, others = list(score_rows(expected)), list(score_rows(actual))
    assert [_key(r) for r in rows] == [_key(r) for r in others]
    for row, other in zip(rows, others, strict=True):
        value_tolerance = CENT if row["unit"] == "currency" else RATIO
        for name in row:
            tolerance = {"actual": value_tolerance, "target": value_tolerance,
                         "attainment": RATIO}.get(name)
            same = (row[name] == other[name] if tolerance is None
                    else _close(row[name], other[name], tolerance))
            assert same, f"{_key(row)} {name}: {row[name]!r} != {other[name]!r}"
    return len(rows)


def _key(row) -> tuple:
    return (row["kpi"], row["period_key"], row["scope"], row["scope_id"])
