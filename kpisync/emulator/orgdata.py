"""The in-memory Salesforce org the emulator serves: records per object, shaped as REST JSON.

Values are stored exactly as Salesforce's REST API returns them (dates ``'YYYY-MM-DD'``,
datetimes ``'YYYY-MM-DDTHH:MM:SS.000+0000'`` in UTC, numbers as int/float, booleans, None), so
the server can hand rows out without converting them and tests can compare against samples.
Every record carries ``Id`` and, except on User/UserRole, ``IsDeleted`` and ``SystemModstamp``.

Changes go through ``insert``/``update``/``delete`` so SystemModstamp moves the way a real org
moves it: that is what incremental sync keys on. Two changes on purpose do not move it the
usual way, because Salesforce's do not either: ``recalculate`` changes a formula or roll-up
summary field (Salesforce computes those when read, and never bumps SystemModstamp for
them), and ``late_commit`` stamps a change with the time its transaction began, as a long
transaction that commits after a reader went past that time does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from kpisync.sobjects import SOBJECTS

# Objects without IsDeleted in their standard field list (setup objects are never soft-deleted).
_NO_SOFT_DELETE = frozenset({"User", "UserRole"})


def now_stamp() -> str:
    """The current instant as Salesforce writes a datetime: UTC, whole seconds, with the
    ``.000`` milliseconds its JSON always carries (SOQL datetime literals have no fraction
    either, which is why a watermark to the second loses nothing)."""
    return salesforce_stamp(datetime.now(UTC))


def salesforce_stamp(moment: datetime) -> str:
    """``moment`` (timezone-aware) as Salesforce's JSON writes a datetime, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class OrgData:
    """Records per object as Salesforce's REST JSON shapes them.

    dates 'YYYY-MM-DD', datetimes 'YYYY-MM-DDTHH:MM:SS.000+0000' (UTC), currency/double as float
    or int, booleans, None. Each record has at least Id, and (except User/UserRole) IsDeleted and
    SystemModstamp. ``custom_fields`` (e.g. ``{"Event": {"Meeting_Held__c": "boolean"}}``) is
    merged with the standard fields of ``kpisync.sobjects`` for describe and SOQL;
    ``formula_fields`` (e.g. ``{"Opportunity": ["Weighted__c"]}``) names the fields describe
    marks ``calculated``.

    Thread-safe: the emulator serves requests from several threads while a test mutates data.
    """

    def __init__(
        self,
        records: dict[str, list[dict]] | None = None,
        custom_fields: dict[str, dict[str, str]] | None = None,
        formula_fields: dict[str, Iterable[str]] | None = None,
    ):
        self._lock = threading.RLock()
        self._formulas = {obj: frozenset(names) for obj, names in (formula_fields or {}).items()}
        self._rows: dict[str, list[dict]] = {}
        # Id -> position in _rows: rows are replaced, never mutated (copy-on-write), so a list
        # handed out by records() (a query cursor's snapshot) never changes under its holder.
        self._index: dict[str, dict[str, int]] = {}
        self._custom = {obj: dict(fields) for obj, fields in (custom_fields or {}).items()}
        for name in SOBJECTS:
            self._ensure(name)
        for name in self._custom:
            self._ensure(name)
        for sobject, rows in (records or {}).items():
            self._ensure(sobject)
            for row in rows:
                self._add(sobject, dict(row))

    def _ensure(self, sobject: str) -> None:
        self._rows.setdefault(sobject, [])
        self._index.setdefault(sobject, {})

    def _add(self, sobject: str, record: dict) -> None:
        if "Id" not in record:
            raise ValueError(f"{sobject} record has no Id: {record!r}")
        if record["Id"] in self._index[sobject]:
            raise ValueError(f"duplicate {sobject} Id {record['Id']}")
        if sobject not in _NO_SOFT_DELETE:
            record.setdefault("IsDeleted", False)
        self._index[sobject][record["Id"]] = len(self._rows[sobject])
        self._rows[sobject].append(record)

    def _known(self, sobject: str) -> None:
        if sobject not in self._rows:
            raise KeyError(f"unknown object {sobject!r}")

    def objects(self) -> list[str]:
        """Every object the org knows, standard ones first, in a stable order."""
        with self._lock:
            return list(self._rows)

    def has_object(self, sobject: str) -> bool:
        with self._lock:
            return sobject in self._rows

    def records(self, sobject: str) -> list[dict]:
        """All rows of ``sobject`` including soft-deleted ones.

        A new list of row dicts that the store never mutates afterwards (changes replace rows);
        callers must not mutate them either.
        """
        with self._lock:
            self._known(sobject)
            return list(self._rows[sobject])

    def get(self, sobject: str, record_id: str) -> dict | None:
        """The row with this Id (a copy), or None."""
        with self._lock:
            self._known(sobject)
            pos = self._index[sobject].get(record_id)
            return dict(self._rows[sobject][pos]) if pos is not None else None

    def fields(self, sobject: str) -> dict[str, str]:
        """Field name -> describe type: the standard catalogue plus this org's custom fields."""
        with self._lock:
            self._known(sobject)
            standard = SOBJECTS[sobject].fields if sobject in SOBJECTS else {"Id": "id"}
            return {**standard, **self._custom.get(sobject, {})}

    def formula_fields(self, sobject: str) -> frozenset[str]:
        """The fields of ``sobject`` that are formulas or roll-up summaries."""
        return self._formulas.get(sobject, frozenset())

    def recalculate(self, sobject: str, record_id: str, **values) -> dict:
        """A formula or roll-up summary field takes new values (its inputs changed elsewhere):
        SystemModstamp stays as it is, as in Salesforce. ValueError for any other field."""
        others = set(values) - self.formula_fields(sobject)
        if others:
            raise ValueError(f"not formula fields of {sobject}: {', '.join(sorted(others))}")
        with self._lock:
            pos = self._pos(sobject, record_id)
            row = {**self._rows[sobject][pos], **values}
            self._rows[sobject][pos] = row
            return dict(row)

    def late_commit(self, sobject: str, record_id: str, began: datetime, **changes) -> dict:
        """Change a record as a transaction that began at ``began`` and commits now does:
        SystemModstamp is ``began``, possibly older than what a reader already saw."""
        with self._lock:
            pos = self._pos(sobject, record_id)
            row = {**self._rows[sobject][pos], **changes, "Id": record_id}
            row["SystemModstamp"] = salesforce_stamp(began)
            if "LastModifiedDate" in self.fields(sobject):
                row["LastModifiedDate"] = row["SystemModstamp"]
            self._rows[sobject][pos] = row
            return dict(row)

    def custom_fields(self, sobject: str) -> dict[str, str]:
        with self._lock:
            return dict(self._custom.get(sobject, {}))

    def insert(self, sobject: str, record: dict) -> dict:
        """Add a record, stamping SystemModstamp/LastModifiedDate (and CreatedDate if absent)."""
        with self._lock:
            self._ensure(sobject)
            row = dict(record)
            stamp = now_stamp()
            row["SystemModstamp"] = stamp
            if "LastModifiedDate" in self.fields(sobject):
                row["LastModifiedDate"] = stamp
            if "CreatedDate" in self.fields(sobject):
                row.setdefault("CreatedDate", stamp)
            self._add(sobject, row)
            return dict(row)

    def update(self, sobject: str, record_id: str, **changes) -> dict:
        """Change fields of one record in place and bump its modstamps to now."""
        with self._lock:
            pos = self._pos(sobject, record_id)
            row = {**self._rows[sobject][pos], **changes, "Id": record_id}
            self._touch(sobject, row)
            self._rows[sobject][pos] = row
            return dict(row)

    def delete(self, sobject: str, record_id: str) -> dict:
        """Soft-delete: IsDeleted becomes True (the row stays, as in the recycle bin)."""
        with self._lock:
            pos = self._pos(sobject, record_id)
            if sobject in _NO_SOFT_DELETE:
                raise ValueError(f"{sobject} records cannot be deleted")
            row = {**self._rows[sobject][pos], "IsDeleted": True}
            self._touch(sobject, row)
            self._rows[sobject][pos] = row
            return dict(row)

    def count(self, sobject: str) -> int:
        """Rows of ``sobject``, deleted ones included."""
        with self._lock:
            self._known(sobject)
            return len(self._rows[sobject])

    def _pos(self, sobject: str, record_id: str) -> int:
        self._known(sobject)
        try:
            return self._index[sobject][record_id]
        except KeyError:
            raise KeyError(f"no {sobject} with Id {record_id}") from None

    def _touch(self, sobject: str, row: dict) -> None:
        stamp = now_stamp()
        row["SystemModstamp"] = stamp
        if "LastModifiedDate" in self.fields(sobject):
            row["LastModifiedDate"] = stamp
