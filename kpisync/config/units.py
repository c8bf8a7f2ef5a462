"""Whether a KPI's ``unit`` fits what its measure produces.

``unit: days`` and ``unit: minutes`` say the KPI's values are a length of time. kpisync makes
one itself for a ``duration`` measure (the days or minutes between two date fields), but never
converts a field's values: an average of ``Opportunity.Amount`` shown as "41.5 days", or of
``Task.CallDurationInSeconds`` shown as "245 min", would print a wrong figure with nothing to
say so. So a length-of-time unit on a count, or on a sum, average, median, min or max, must be
the unit the field itself holds. A custom field (``Days_Open__c``) cannot be known offline and
is trusted; ratios and formulas combine other KPIs and are not checked here.
"""

from __future__ import annotations

from yaml.nodes import Node

from kpisync.config.fields import path_type
from kpisync.config.model import Measure
from kpisync.config.problems import Problems, semantic
from kpisync.sobjects import FIELD_NAME, SObject, UnknownLookup, resolve_path

TIME_UNITS = ("days", "minutes")
#: standard fields whose values are a length of time, and what in
TIME_FIELDS = {("Event", "DurationInMinutes"): "minutes",
               ("Task", "CallDurationInSeconds"): "seconds"}
#: the unit that shows a field of each Salesforce type as it is
_FITTING = {"currency": "currency", "percent": "percent", "int": "count", "double": "count"}
_WHERE_TIME_FITS = ("days and minutes fit a duration measure, such as {duration: {from: "
                    "CreatedDate, to: CloseDate}}, or a field that holds them (Event."
                    "DurationInMinutes holds minutes)")


@semantic
def check_unit(unit: str, measure: Measure, node: Node, path: str, problems: Problems,
               sobject: SObject | None) -> None:
    """Report a length-of-time ``unit`` (at its ``node``) on a measure that is not one."""
    if unit not in TIME_UNITS:
        return
    if measure.kind in ("count", "distinct_count"):
        problems.add(node, path, f"unit: {unit} is a length of time, and a count is a number of "
                                 f"records: use unit: count; {_WHERE_TIME_FITS}")
    elif measure.field is not None and sobject is not None:
        message = _field_problem(unit, measure.field, sobject)
        if message:
            problems.add(node, path, message)


def _field_problem(unit: str, name: str, sobject: SObject) -> str | None:
    """What is wrong with showing field ``name``'s values in ``unit``, if anything."""
    field_type = path_type(sobject, name)
    held = _held_time(sobject, name)
    label = f"{sobject.name}.{name}"
    if held == unit or field_type is None:
        return None  # the field holds this unit, or is a custom field nobody can check offline
    if held == "minutes":
        return (f"unit: {unit} does not fit {label}, which holds minutes: use unit: minutes "
                "(kpisync shows a field's values as they are, it does not convert them)")
    if held is not None:
        return (f"unit: {unit} does not fit {label}, which holds {held}: kpisync has no {held} "
                "unit and does not convert a field's values, so use unit: count to show the "
                f"{held} as a number")
    article = "an" if field_type[0] in "aeiou" else "a"
    fitting = _FITTING.get(field_type, "count")
    return (f"unit: {unit} is a length of time, and {label} is {article} {field_type} field, "
            f"not one: use unit: {fitting}; {_WHERE_TIME_FITS}")


def _held_time(sobject: SObject, name: str) -> str | None:
    """The unit of time a standard field holds (at the end of a lookup path too), if any."""
    if not all(FIELD_NAME.match(part) for part in name.split(".")):
        return None
    try:
        found = resolve_path(sobject.name, name)
    except UnknownLookup:
        return None
    return TIME_FIELDS.get((found.sobject, found.field))
