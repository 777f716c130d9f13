"""Throttling by fixed windows counted in the database (one atomic upsert per hit, so no worker or host can
miss another's hits; Flask-Limiter's memory storage would count per worker process)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import ThrottleCounter


def allow(key: str, *, limit: int, seconds: int, now: datetime) -> bool:
    """Count one hit on `key`; False once the current window of `seconds` has had more than `limit`. Flushes."""
    window = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ThrottleCounter).values(key=key[:300], window_start=window, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ThrottleCounter.key],
        set_={"hits": case((ThrottleCounter.window_start == statement.excluded.window_start,
                            ThrottleCounter.hits + 1), else_=1),
              "window_start": statement.excluded.window_start},
    ).returning(ThrottleCounter.hits)
    return db.session.execute(statement).scalar_one() <= limit


def purge(now: datetime) -> int:
    """Delete counters whose window ended more than a day ago. Flushes."""
    result = db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_start < now - timedelta(days=1))
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0
