"""The store: the raw Salesforce tables and the sync state, in one DuckDB file (the default)
or on a PostgreSQL server (``Store.connect``; see ``backend``).

Layout (compute relies on it):

* one table per object, ``sf_<object lowercased>``, columns named exactly as the Salesforce
  fields (always quoted), ``"Id"`` the primary key, types from the describe type (``SF_TYPES``);
* ``sync_state``: one row per object, the watermark ``(SystemModstamp, Id)`` of the last record
  stored, the fields synced, and when the last full read finished;
* ``meta``: the schema version, so an older kpisync refuses a store a newer one wrote.

``database`` holds the statements on the raw tables, ``state`` the sync state rows,
``backend`` the seam to the database (``duckdb_file``, ``postgres``).
"""

from kpisync.store.database import DIALECT, SCHEMA_VERSION, SF_TYPES, Store
from kpisync.store.state import SyncState

__all__ = ["DIALECT", "SCHEMA_VERSION", "SF_TYPES", "Store", "SyncState"]
