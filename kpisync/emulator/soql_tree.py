"""The SOQL subset's syntax tree, its error, and datetime literal normalisation: what the
parser (``soql``) produces and the evaluator (``soql_eval``) consumes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` and ``message`` as Salesforce sends them."""

    def __init__(self, error_code: str, message: str):
        self.error_code = error_code
        self.message = message
        super().__init__(f"{error_code}: {message}")


# ------------------------------------------------------------------------------ the tree

@dataclass(frozen=True)
class Compare:
    field: str
    ftype: str
    op: str  # = != < <= > >= LIKE
    value: object


@dataclass(frozen=True)
class InList:
    field: str
    ftype: str
    values: tuple
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND / OR
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class OrderItem:
    field: str
    ftype: str
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class Query:
    """A parsed query, with object and field names in their canonical casing."""

    sobject: str
    fields: tuple[str, ...]
    is_count: bool
    where: object | None
    order: tuple[OrderItem, ...]
    limit: int | None


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$")


def datetime_literal(text: str) -> str | None:
    """A SOQL/ISO datetime as Salesforce stores it: UTC, 'YYYY-MM-DDTHH:MM:SS.mmm+0000'.

    Also accepts the stored form itself (offset without a colon). None if invalid.
    """
    match = _DATETIME.match(text) or _DATETIME.match(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2",
                                                             text))
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, sign, oh, om = match.groups()
    try:
        offset = timedelta(hours=int(oh or 0), minutes=int(om or 0))
        tz = timezone(-offset if sign == "-" else offset)
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          int((frac or "0")[:3].ljust(3, "0")) * 1000, tzinfo=tz)
    except ValueError:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"
