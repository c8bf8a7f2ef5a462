"""compute: KPI definitions → SQL in DuckDB → a Scorecard of actuals, targets and attainment."""

from kpisync.compute.engine import compute
from kpisync.compute.model import Scorecard

__all__ = ["Scorecard", "compute"]
