"""Throttling by fixed windows counted in the database (one atomic upsert per hit, so no worker or host can
miss another's hits; Flask-Limiter's memory storage would count per worker process)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import ThrottleCounter


def _window_start(now: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def count(key: str, *, seconds: int, now: datetime) -> int:
    """Count one hit on `key` in the current fixed window of `seconds`; returns the window's hits. Flushes."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ThrottleCounter).values(key=key[:300], window_start=_window_start(now, seconds), hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ThrottleCounter.key],
        set_={"hits": case((ThrottleCounter.window_start == statement.excluded.window_start,
                            ThrottleCounter.hits + 1), else_=1),
              "window_start": statement.excluded.window_start},
    ).returning(ThrottleCounter.hits)
    return db.session.execute(statement).scalar_one()


def allow(key: str, *, limit: int, seconds: int, now: datetime) -> bool:
    """Count one hit on `key`; False once the current window of `seconds` has had more than `limit`. Flushes."""
    return count(key, seconds=seconds, now=now) <= limit


def current(key: str, *, seconds: int, now: datetime) -> tuple[int, datetime]:
    """The hits on `key` in the current window of `seconds` (without counting one), and when that window ends."""
    start = _window_start(now, seconds)
    hits = db.session.scalar(select(ThrottleCounter.hits).where(ThrottleCounter.key == key[:300],
                                                                ThrottleCounter.window_start == start))
    return hits or 0, start + timedelta(seconds=seconds)


def forget(key: str, *, prefix: bool = False) -> None:
    """Delete the counter `key` (or every counter whose key starts with it). Flushes."""
    condition = ThrottleCounter.key.startswith(key, autoescape=True) if prefix else ThrottleCounter.key == key
    db.session.execute(delete(ThrottleCounter).where(condition).execution_options(synchronize_session=False))


def purge(now: datetime) -> int:
    """Delete counters whose window ended more than a day ago. Flushes."""
    result = db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_start < now - timedelta(days=1))
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0
