"""How replication tools name the Salesforce tables they write, and which of their columns
say that a record is gone (docs/engines.md, "Bring your own tables").

* ``fivetran``: Fivetran's Salesforce connector writes snake_case tables and columns
  (``user_role``, ``owner_id``, ``call_duration_in_seconds``; a custom ``Meeting_Held__c``
  becomes ``meeting_held_c``, ``Product2`` ``product_2``) and adds ``_fivetran_deleted`` (and
  ``_fivetran_synced``) to every table. Salesforce's own ``IsDeleted`` is ``is_deleted``.
* ``airbyte``: Airbyte's Salesforce source into a SQL destination, in the deduplicated sync
  mode (one row per Id): the stream's name and the field names lower-cased (``userrole``,
  ``ownerid``, ``meeting_held__c``), beside Airbyte's ``_airbyte_*`` columns; a deleted
  record is kept with ``isdeleted`` true.
* ``salesforce``: the API names as they are (``"Task"."OwnerId"``), as several loaders and
  hand-written pipelines keep them.

``STORE_LAYOUT`` is kpisync's own store (``sf_task``, ``"OwnerId"``): what ``kpisync validate
--online`` checks on a server without a ``mapping:``.

A record is gone when any of the object's soft-delete columns is true: the preset's own and
the column of ``IsDeleted`` where the object has that field. The store keeps no deleted
records, so those rows are left out as the store leaves them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    #: object API name -> table name
    table: Callable[[str], str]
    #: field API name -> column name
    column: Callable[[str], str]
    #: columns the tool adds to every table that are true for a record gone from Salesforce
    deleted: tuple[str, ...] = ()
    #: the tool's own bookkeeping columns and their types (DuckDB spelling), which
    #: ``kpisync.store.load.copy_store`` adds when it lays a store out in this preset
    bookkeeping: tuple[tuple[str, str], ...] = ()


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")


def snake_case(name: str) -> str:
    """``CallDurationInSeconds`` -> ``call_duration_in_seconds``, ``Meeting_Held__c`` ->
    ``meeting_held_c``, ``Product2Id`` -> ``product_2_id``: Fivetran's names."""
    spaced = _CAMEL.sub("_", name.replace("__", "_"))
    return re.sub("_+", "_", spaced).lower()


def _same(name: str) -> str:
    return name


def _lower(name: str) -> str:
    return name.lower()


PRESETS: dict[str, Preset] = {
    "salesforce": Preset("salesforce", _same, _same),
    "fivetran": Preset("fivetran", snake_case, snake_case, deleted=("_fivetran_deleted",),
                       bookkeeping=(("_fivetran_deleted", "BOOLEAN"),
                                    ("_fivetran_synced", "TIMESTAMP WITH TIME ZONE"))),
    "airbyte": Preset("airbyte", _lower, _lower,
                      bookkeeping=(("_airbyte_raw_id", "VARCHAR"),
                                   ("_airbyte_extracted_at", "TIMESTAMP WITH TIME ZONE"))),
}

STORE_LAYOUT = Preset("kpisync", lambda sobject: f"sf_{sobject.lower()}", _same)
