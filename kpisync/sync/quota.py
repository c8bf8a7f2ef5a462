"""API quota guards: stop a sync before it eats the org's daily API requests.

Every REST call counts against the org's rolling 24-hour limit, which integrations and users
share; a sync that used it all up would lock everyone out until calls free up. Two guards,
checked before each call from the client's count and the latest ``Sforce-Limit-Info``:

* run budget: this run makes at most this many calls (default 10% of the daily limit);
* org floor: no call is made once the org's remaining requests are down to this many
  (default 20% of the daily limit), whoever used them.

A guard that trips raises ``kpisync.errors.QuotaReached`` between two pages;
``kpisync.sync.jobs`` turns it into a partial report (the pages already stored keep their
checkpoint, and the next run resumes after them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Allowance:
    """A number of API requests: a fraction of the org's daily limit, or an absolute count."""

    #: share of the daily limit, 0 < fraction <= 1; None when ``requests`` is set
    fraction: float | None = None
    requests: int | None = None

    def __post_init__(self) -> None:
        if (self.fraction is None) == (self.requests is None):
            raise ValueError("an Allowance needs exactly one of fraction and requests")
        if self.fraction is not None and not 0 <= self.fraction <= 1:
            raise ValueError(f"fraction must be between 0 and 1, got {self.fraction}")
        if self.requests is not None and self.requests < 0:
            raise ValueError(f"requests must be 0 or more, got {self.requests}")

    @classmethod
    def parse(cls, text: str) -> Allowance:
        """``"10%"`` or ``"0.1"`` (a share of the daily limit) or ``"500"`` (requests).

        Raises ValueError with a message for people.
        """
        value = text.strip()
        percent = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", value)
        if percent and float(percent.group(1)) <= 100:
            return cls(fraction=float(percent.group(1)) / 100)
        if re.fullmatch(r"\d+", value):
            return cls(requests=int(value))
        if re.fullmatch(r"0?\.\d+|1\.0*|0", value):
            return cls(fraction=float(value))
        raise ValueError(f"expected a percentage (10%), a fraction (0.1) or a number of "
                         f"requests (500), got {text!r}")

    def of(self, daily_limit: int) -> int:
        """The number of requests this allowance is for an org with ``daily_limit``."""
        if self.requests is not None:
            return self.requests
        return int(daily_limit * (self.fraction or 0.0))

    def __str__(self) -> str:
        if self.requests is not None:
            return f"{self.requests:,} requests"
        return f"{(self.fraction or 0.0) * 100:g}% of the daily limit"


@dataclass(frozen=True)
class QuotaGuard:
    """When a sync must stop making API calls; see the module docstring."""

    run_budget: Allowance = Allowance(fraction=0.10)
    org_floor: Allowance = Allowance(fraction=0.20)

    def check(self, calls_made: int, usage: tuple[int, int] | None) -> str | None:
        """Why the next call must not be made, or None when it may.

        ``calls_made``: calls this run so far; ``usage``: (used, limit) from the latest
        Sforce-Limit-Info, None before Salesforce first answered (then only an absolute run
        budget can be checked: the first call is what tells the limit).
        """
        if usage is None:
            budget = self.run_budget.requests
            if budget is not None and calls_made >= budget:
                return f"run budget reached: {calls_made:,} API calls made of {self.run_budget}"
            return None
        used, limit = usage
        budget = self.run_budget.of(limit)
        if calls_made >= budget:
            return (f"run budget reached: {calls_made:,} API calls made of {budget:,} allowed "
                    f"({self.run_budget}; the org's daily limit is {limit:,})")
        remaining, floor = limit - used, self.org_floor.of(limit)
        if remaining <= floor:
            return (f"org API floor reached: {max(remaining, 0):,} of {limit:,} daily API "
                    f"requests remain, and kpisync leaves at least {floor:,} "
                    f"({self.org_floor}) to other users")
        return None


#: The defaults: 10% of the daily limit per run, 20% of it left to the org's other users.
DEFAULT_QUOTA = QuotaGuard()
