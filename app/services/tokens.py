"""Single-use links: issued with a secret that only the mail carries, redeemed exactly once."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import OneTimeToken


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def issue_token(
    purpose: str,
    *,
    email: str,
    now: datetime,
    valid_for: timedelta,
    user_id: int | None = None,
    role: str | None = None,
    programme_ids: list[int] | None = None,
    created_by_id: int | None = None,
    company_id: int | None = None,
    payload: dict | None = None,
) -> str:
    """Store a new token and return its secret (to be put into a link, never stored)."""
    raw = secrets.token_urlsafe(32)
    db.session.add(
        OneTimeToken(
            purpose=purpose,
            token_hash=_digest(raw),
            email=email,
            user_id=user_id,
            role=role,
            programme_ids=list(programme_ids or []),
            created_by_id=created_by_id,
            company_id=company_id,
            payload=payload,
            expires_at=now + valid_for,
        )
    )
    db.session.flush()
    return raw


def find_valid_token(raw: str, purpose: str, now: datetime) -> OneTimeToken | None:
    """The unused, unexpired token for this secret, or None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == _digest(raw), OneTimeToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    return token


def redeem_token(token: OneTimeToken, now: datetime) -> bool:
    """Mark the token used with a conditional update, so two concurrent redemptions cannot both win."""
    result = db.session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None), OneTimeToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(token)
    return True


def purge_expired(now: datetime) -> int:
    """Delete one-time tokens that have expired or been used. Flushes."""
    from sqlalchemy import delete, or_

    result = db.session.execute(delete(OneTimeToken).where(or_(OneTimeToken.expires_at < now,
                                                               OneTimeToken.used_at.is_not(None))))
    return result.rowcount or 0
