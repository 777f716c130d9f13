"""Backup and restore for both databases: every row of every table as portable, gzipped JSON, restored into an
empty database of either kind (SQLite or PostgreSQL) at the same schema revision."""
from __future__ import annotations

import gzip
import json
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import func, select, text

from app.extensions import db

FORMAT = "tandem-backup/1"


def _encode(value):
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        (key, raw), = value.items()
        if key == "$datetime":
            return datetime.fromisoformat(raw)
        if key == "$date":
            return date.fromisoformat(raw)
        if key == "$time":
            return time.fromisoformat(raw)
    return value


def revision() -> str | None:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def create(path: Path) -> dict[str, int]:
    """Write every table's rows to `path`; returns the row count per table."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = [{k: _encode(v) for k, v in row._mapping.items()} for row in db.session.execute(select(table))]
        tables[table.name] = rows
    payload = {"format": FORMAT, "revision": revision(), "tables": tables}
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    return {name: len(rows) for name, rows in tables.items()}


def restore(path: Path) -> dict[str, int]:
    """Load a backup into this database, which must be empty and at the backup's schema revision (run
    `flask db upgrade` first). Everything happens in one transaction."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    if payload.get("format") != FORMAT:
        raise ValueError(f"not a Tandem backup (format {payload.get('format')!r})")
    if payload.get("revision") != revision():
        raise ValueError(f"the backup is at schema {payload.get('revision')}, this database at {revision()}: "
                         "upgrade the database (or restore into one at that revision)")
    for table in db.metadata.sorted_tables:
        if db.session.scalar(select(func.count()).select_from(table)):
            raise ValueError(f"the database is not empty (table {table.name} has rows)")
    counts = {}
    for table in db.metadata.sorted_tables:
        rows = [{k: _decode(v) for k, v in row.items()} for row in payload["tables"].get(table.name, [])]
        if rows:
            db.session.execute(table.insert(), rows)
        counts[table.name] = len(rows)
    if db.engine.dialect.name == "postgresql":  # identity sequences continue after the restored ids
        for table in db.metadata.sorted_tables:
            if "id" in table.c and counts.get(table.name):
                # Table names come from our own metadata, never from input.
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM \"{table.name}\"))"))
    db.session.commit()
    return counts
