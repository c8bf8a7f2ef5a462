"""Store comparisons for the sync tests: a resumed or faulted sync must leave exactly what a
clean sync leaves."""

from __future__ import annotations

from pathlib import Path

import duckdb


def snapshot(store: Path) -> dict[str, object]:
    """Every raw table's columns and sorted rows, and each object's checkpoint, as text (in
    UTC, which compares as exactly as the values and needs no pytz)."""
    with duckdb.connect(str(store), read_only=True) as db:
        db.execute("SET TimeZone = 'UTC'")
        tables = sorted(name for (name,) in db.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()
            if name.startswith("sf_"))
        content: dict[str, object] = {}
        for table in tables:
            cursor = db.execute(f'SELECT COLUMNS(*)::VARCHAR FROM "{table}" ORDER BY ALL')
            content[table] = ([c[0] for c in cursor.description], cursor.fetchall())
        content["sync_state"] = db.execute(
            "SELECT sobject, watermark::VARCHAR, watermark_id, fields::VARCHAR FROM sync_state "
            "ORDER BY sobject"
        ).fetchall()
    return content
