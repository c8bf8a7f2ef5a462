"""Numbers and dates as a sales leader reads them, and as the CSV/JSON exports store them.

Two families, kept apart on purpose: ``display_*`` rounds for people ("$12,300", "87%"), while
``export_*`` keeps the exact value at a fixed number of places per unit so that a spreadsheet
sums the exported cells to the cent. Rounding for people is half-up ("31.25" → "31.3%"), the
rule people expect, not Python's default banker's rounding.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

MISSING = "—"

#: currencies written with a leading symbol; every other ISO code follows the number
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}

#: a KPI's unit in words, for definitions and column heads
UNIT_WORDS = {"count": "Count", "currency": "Currency", "percent": "Percent", "days": "Days",
              "minutes": "Minutes"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ONE = Decimal(1)
_PLACES = {0: Decimal(1), 1: Decimal("0.1"), 2: Decimal("0.01"), 4: Decimal("0.0001")}


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(_PLACES[places], rounding=ROUND_HALF_UP)


def _grouped(value: Decimal, places: int) -> str:
    """``value`` rounded to ``places`` with thousands separators, never in exponent form."""
    rounded = _round(value, places)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    return f"{rounded:,.{places}f}"


def display_value(value: Decimal | None, unit: str, currency: str = "USD") -> str:
    """A KPI actual or target in its unit: "1,234", "$12,300", "31.5%", "42.3 days", "12 min"."""
    if value is None:
        return MISSING
    if unit == "count":
        # Counts are whole; an average of counts (calls per day) keeps one decimal.
        places = 0 if value == value.to_integral_value() else 1
        return _grouped(value, places)
    if unit == "currency":
        return display_money(value, currency)
    if unit == "percent":
        return f"{_grouped(value, 1)}%"
    if unit == "days":
        return f"{_grouped(value, 1)} days"
    if unit == "minutes":
        return f"{_grouped(value, 0)} min"
    return _grouped(value, 0 if value == value.to_integral_value() else 2)


def as_decimal(value) -> Decimal | None:
    """A value read from the store (an int, a float from DuckDB, a Decimal) as a Decimal,
    through its text so a float does not bring binary noise along."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def display_money(value: Decimal, currency: str) -> str:
    """Whole currency units: a scorecard compares thousands, cents are noise on it."""
    amount = _grouped(abs(value), 0)
    sign = "-" if _round(value, 0) < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {currency.upper()}"


def display_attainment(attainment: Decimal | None) -> str:
    """Attainment (1 = on target) as a whole percentage: "87%"."""
    if attainment is None:
        return MISSING
    return f"{_grouped(attainment * 100, 0)}%"


def display_rate(rate: Decimal | None) -> str:
    """A conversion rate (0.125) as a percentage with one decimal: "12.5%"."""
    if rate is None:
        return MISSING
    return f"{_grouped(rate * 100, 1)}%"


def display_weight(percent: Decimal | None) -> str:
    """A percentage given in percent (a tier weight of 50, a cap of 150): "50%"."""
    return MISSING if percent is None else f"{_grouped(percent, 0)}%"


def initials(name: str) -> str:
    """"Dana Whitfield" → "D. W.": the first letter or digit of each word, for sites shown
    where reps should not be named; a name with none (all emoji) becomes "?"."""
    letters = [next((c for c in word if c.isalnum()), "") for word in name.split()]
    letters = [c.upper() for c in letters if c]
    return " ".join(f"{c}." for c in letters) or "?"


def bar_width(attainment: Decimal | None) -> str:
    """The CSS width of an attainment bar, clamped to 0-100 %: past the target the bar is full."""
    if attainment is None or attainment <= 0:
        return "0%"
    share = min(attainment, _ONE) * 100
    return f"{_round(share, 1)}%"


def display_share(share: Decimal) -> str:
    """A 0..1 share (time elapsed) as a whole percentage."""
    return f"{_grouped(share * 100, 0)}%"


def display_date(day: date) -> str:
    """"17 Jun 2026": unambiguous in every locale, unlike 06/17/2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def display_range(start: date, end: date) -> str:
    """"1 Jun – 30 Jun 2026", or with both years when the range spans two."""
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} – {display_date(end)}"
    return f"{display_date(start)} – {display_date(end)}"


def display_datetime(moment: datetime) -> str:
    """"17 Jun 2026, 09:30 EDT" in the moment's own timezone."""
    zone = moment.tzname() or ""
    return f"{display_date(moment.date())}, {moment:%H:%M} {zone}".rstrip()


#: places kept in the exports, per unit; attainment and rates get 4
EXPORT_PLACES = {"count": 0, "currency": 2, "percent": 4, "days": 4, "minutes": 4}


def export_value(value: Decimal | None, unit: str) -> str | None:
    """The exact text of a value in the exports: counts whole, money to the cent, the rest to
    4 places; None stays None (an empty cell, a JSON null)."""
    if value is None:
        return None
    places = EXPORT_PLACES.get(unit, 4)
    if places == 0 and value != value.to_integral_value():
        places = 4  # an average count (3.5 calls a day) must not be rounded to a whole call
    return f"{_round(value, places):f}"


def export_ratio(value: Decimal | None) -> str | None:
    """Attainment or a conversion rate, to 4 places."""
    return None if value is None else f"{_round(value, 4):f}"
