"""Login sessions kept in the database: a cookie is valid only while its session has not ended.

The session cookie is signed, not stored on the server; without this table a cookie copied before a logout
would still open the account afterwards. Each login gets a random secret (in the signed cookie), and the
database keeps its SHA-256 with an end: logging out ends that one session, "log out everywhere", a password
change and deactivation end them all (together with the account's session version).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from app.extensions import db
from app.models import LoginSession, User


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user: User, *, lifetime: timedelta, now: datetime) -> str:
    """Open a login session for the user and return its secret (set on the user for get_id). Flushes."""
    secret = secrets.token_urlsafe(24)
    db.session.add(LoginSession(user_id=user.id, secret_hash=_hash(secret), created_at=now,
                                expires_at=now + lifetime))
    db.session.flush()
    user.login_secret = secret
    return secret


def resolve(user_id: str, *, now: datetime) -> User | None:
    """The active user whose login session the cookie value `id:version:secret` names, or None."""
    ident, version, secret = (user_id.split(":") + ["", "", ""])[:3]
    if not ident.isdigit() or not version.isdigit() or not secret:
        return None
    user = db.session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(ident), User.is_active.is_(True), User.session_version == int(version),
               LoginSession.secret_hash == _hash(secret), LoginSession.ended_at.is_(None),
               LoginSession.expires_at > now)
    )
    if user is not None:
        user.login_secret = secret
    return user


def end(user: User, *, now: datetime) -> None:
    """End the login session of this request (logging out on this device). Flushes."""
    if user.login_secret:
        db.session.execute(update(LoginSession).where(LoginSession.secret_hash == _hash(user.login_secret),
                                                      LoginSession.ended_at.is_(None))
                           .values(ended_at=now).execution_options(synchronize_session=False))
        user.login_secret = None


def end_all(user: User, *, now: datetime) -> None:
    """End every login session of the account. Flushes."""
    db.session.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
                       .values(ended_at=now).execution_options(synchronize_session=False))


def purge(now: datetime) -> int:
    """Delete login sessions that have ended or expired. Flushes."""
    result = db.session.execute(delete(LoginSession).where(
        or_(LoginSession.ended_at.is_not(None), LoginSession.expires_at < now))
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
