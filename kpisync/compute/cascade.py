"""The cascade: how each step of the funnel converts into the next, per scope and period.

Read forwards, a low rate shows where a rep or team loses deals (many calls, few
conversations); the site highlights the weakest step. This is period conversion (this month's
meetings over this month's conversations), not cohort conversion, which follows the same
records through the funnel and comes with opportunity stage history later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from kpisync.compute.model import CascadeStep, KpiResult, Period
from kpisync.config.model import Config


def cascade_steps(
    config: Config, periods: Iterable[Period], results: Iterable[KpiResult]
) -> Iterator[CascadeStep]:
    results = list(results)
    actual = {(r.kpi_id, r.period_key, r.scope, r.scope_id): r.actual for r in results}
    scopes = list(dict.fromkeys((r.scope, r.scope_id) for r in results))
    pairs = list(zip(config.cascade, config.cascade[1:], strict=False))
    for period in periods:
        for scope, scope_id in scopes:
            for from_kpi, to_kpi in pairs:
                from_actual = actual.get((from_kpi, period.key, scope, scope_id))
                to_actual = actual.get((to_kpi, period.key, scope, scope_id))
                yield CascadeStep(
                    from_kpi=from_kpi,
                    to_kpi=to_kpi,
                    period_key=period.key,
                    scope=scope,
                    scope_id=scope_id,
                    from_actual=from_actual,
                    to_actual=to_actual,
                    rate=conversion(from_actual, to_actual),
                )


def conversion(from_actual: Decimal | None, to_actual: Decimal | None) -> Decimal | None:
    if not from_actual or to_actual is None:
        return None
    return (to_actual / from_actual).quantize(Decimal("0.0001"))
