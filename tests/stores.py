"""Store comparisons for the sync tests: a resumed or faulted sync must leave exactly what a
clean sync leaves. Values are compared as text (in UTC), which is as exact as the values
and needs no pytz to fetch a TIMESTAMPTZ."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _raw_tables(db: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'sf_%' "
        "ORDER BY table_name").fetchall()]


def snapshot(store: Path) -> dict[str, object]:
    """Every raw table's columns and sorted rows, and each object's checkpoint."""
    with duckdb.connect(str(store), read_only=True) as db:
        db.execute("SET TimeZone = 'UTC'")
        content: dict[str, object] = {}
        for table in _raw_tables(db):
            cursor = db.execute(f'SELECT COLUMNS(*)::VARCHAR FROM "{table}" ORDER BY ALL')
            content[table] = ([c[0] for c in cursor.description], cursor.fetchall())
        content["sync_state"] = db.execute(
            "SELECT sobject, watermark::VARCHAR, watermark_id, fields::VARCHAR FROM sync_state "
            "ORDER BY sobject"
        ).fetchall()
    return content


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, by Id."""
    with duckdb.connect(str(path), read_only=True) as db:
        db.execute("SET TimeZone = 'UTC'")
        return {t: db.execute(f'SELECT COLUMNS(*)::VARCHAR FROM "{t}" ORDER BY "Id"').fetchall()
                for t in _raw_tables(db)}
