"""Accounts: registration, login with throttling, password reset, invitations, deactivation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import Company, OneTimeToken, Programme, Role, TokenPurpose, User
from app.services import audit, login_sessions, tokens
from app.services.errors import ServiceError
from app.services.passwords import hash_password, password_problems, verify_password

INVITABLE_ROLES = (Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _check_password(password: str, *user_inputs: str) -> None:
    problems = password_problems(password, user_inputs)
    if problems:
        raise ServiceError(problems[0], field="password")


def _check_email_free(email: str) -> None:
    if find_user_by_email(email) is not None:
        raise ServiceError(_l("An account with this e-mail address exists already."), field="email")


def register_hr_lead(
    *, email: str, password: str, full_name: str, company_name: str, locale: str | None, now: datetime
) -> User:
    """Create a company and its HR lead. Flushes; the caller commits."""
    email = normalise_email(email)
    _check_email_free(email)
    _check_password(password, email, full_name, company_name)
    company = Company(name=company_name.strip(), created_at=now)
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=Role.HR_LEAD,
        company=company,
        locale=locale,
        created_at=now,
    )
    db.session.add_all([company, user])
    db.session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_minutes: int = 0


def authenticate(email: str, password: str, *, now: datetime) -> LoginResult:
    """Check e-mail and password; failed attempts are counted per account in the database and lock it a while.

    Flushes; the caller commits (also on failure, so that the count is kept).
    """
    cfg = current_app.config
    user = find_user_by_email(email)
    if user is None:
        # Spend the time of a hash anyway, so that response times do not reveal which accounts exist.
        verify_password(_dummy_hash(), password)
        audit.record("login_failed", None, now, email=normalise_email(email)[:254])
        return LoginResult(None)
    if user.locked_until is not None and user.locked_until > now:
        remaining = int((user.locked_until - now).total_seconds() // 60) + 1
        return LoginResult(None, locked_minutes=remaining)
    matches, needs_rehash = verify_password(user.password_hash, password)
    if not matches or not user.is_active:
        if not matches:
            _count_failure(user, now, cfg["LOGIN_MAX_FAILURES"], timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]))
        audit.record("login_failed", None, now, user, email=user.email)
        return LoginResult(None)
    if needs_rehash:
        user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", user, now, user)
    db.session.flush()
    return LoginResult(user)


def _count_failure(user: User, now: datetime, max_failures: int, lock_for: timedelta) -> None:
    # An atomic increment: concurrent attempts on several workers are all counted.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_login_count=User.failed_login_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    if user.failed_login_count >= max_failures:
        user.locked_until = now + lock_for
        user.failed_login_count = 0
    db.session.flush()


_DUMMY_HASH: dict[str, str] = {}


def _dummy_hash() -> str:
    key = "{ARGON2_TIME_COST}-{ARGON2_MEMORY_COST}".format(**current_app.config)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password-just-for-timing")
    return _DUMMY_HASH[key]


def start_password_reset(email: str, *, now: datetime) -> tuple[User, str] | None:
    """Issue a reset token for an active account; None if there is none (the caller says the same either way)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    raw = tokens.issue_token(
        TokenPurpose.PASSWORD_RESET, email=user.email, user_id=user.id, now=now, valid_for=timedelta(hours=hours)
    )
    return user, raw


def reset_token_is_valid(raw_token: str, *, now: datetime) -> bool:
    return tokens.find_valid_token(raw_token, TokenPurpose.PASSWORD_RESET, now) is not None


def reset_password(raw_token: str, new_password: str, *, now: datetime) -> User:
    """Set a new password from a reset link; the link works once and ends all other sessions."""
    token = tokens.find_valid_token(raw_token, TokenPurpose.PASSWORD_RESET, now)
    user = db.session.get(User, token.user_id) if token else None
    if token is None or user is None or not user.is_active:
        raise ServiceError(_l("This link is invalid or has expired. Please request a new one."))
    _check_password(new_password, user.email, user.full_name)
    if not tokens.redeem_token(token, now):
        raise ServiceError(_l("This link is invalid or has expired. Please request a new one."))
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    user.failed_login_count = 0
    user.locked_until = None
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str, *, now: datetime) -> None:
    """Change one's own password; other sessions of the account end."""
    matches, _ = verify_password(user.password_hash, current_password)
    if not matches:
        raise ServiceError(_l("The current password is not correct."), field="current_password")
    _check_password(new_password, user.email, user.full_name)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    db.session.flush()


def invite_user(
    *, email: str, role: str, programme_ids: list[int], actor: User, now: datetime
) -> tuple[OneTimeToken, str]:
    """Invite a supervisor, coordinator or admin by mail; the account is created when they accept."""
    if role not in INVITABLE_ROLES:
        raise ServiceError(_l("This role cannot be invited."), field="role")
    email = normalise_email(email)
    _check_email_free(email)
    if role == Role.COORDINATOR and not programme_ids:
        raise ServiceError(_l("Choose at least one programme for a coordinator."), field="programmes")
    days = current_app.config["INVITATION_DAYS"]
    audit.record("invite", actor, now, email=email, role=role)
    raw = tokens.issue_token(
        TokenPurpose.INVITATION,
        email=email,
        role=role,
        programme_ids=programme_ids if role == Role.COORDINATOR else [],
        created_by_id=actor.id,
        now=now,
        valid_for=timedelta(days=days),
    )
    return tokens.find_valid_token(raw, TokenPurpose.INVITATION, now), raw


def invite_colleague(*, email: str, actor: User, now: datetime) -> tuple[OneTimeToken, str]:
    """An HR lead invites a colleague of their own company, who then reads the company's group pages."""
    if actor.role != Role.HR_LEAD or actor.company_id is None:
        raise ServiceError(_l("Only HR leads invite colleagues."))
    email = normalise_email(email)
    _check_email_free(email)
    audit.record("invite", actor, now, email=email, role=Role.COLLEAGUE)
    raw = tokens.issue_token(TokenPurpose.INVITATION, email=email, role=Role.COLLEAGUE, company_id=actor.company_id,
                             created_by_id=actor.id, now=now,
                             valid_for=timedelta(days=current_app.config["INVITATION_DAYS"]))
    return tokens.find_valid_token(raw, TokenPurpose.INVITATION, now), raw


def colleagues_of(user: User) -> list[User]:
    return list(db.session.scalars(select(User).where(User.company_id == user.company_id,
                                                      User.role == Role.COLLEAGUE).order_by(User.full_name)))


def find_invitation(raw_token: str, *, now: datetime) -> OneTimeToken | None:
    return tokens.find_valid_token(raw_token, TokenPurpose.INVITATION, now)


def accept_invitation(raw_token: str, *, full_name: str, password: str, locale: str | None, now: datetime) -> User:
    """Create the invited account from a valid invitation link."""
    token = tokens.find_valid_token(raw_token, TokenPurpose.INVITATION, now)
    if token is None:
        raise ServiceError(_l("This invitation is invalid or has expired. Please ask for a new one."))
    _check_email_free(token.email)
    _check_password(password, token.email, full_name)
    if not tokens.redeem_token(token, now):
        raise ServiceError(_l("This invitation is invalid or has expired. Please ask for a new one."))
    user = User(
        email=token.email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=token.role,
        company_id=token.company_id if token.role == Role.COLLEAGUE else None,
        locale=locale,
        created_at=now,
    )
    if token.role == Role.COORDINATOR and token.programme_ids:
        user.coordinated_programmes = list(
            db.session.scalars(select(Programme).where(Programme.id.in_(token.programme_ids)))
        )
    db.session.add(user)
    db.session.flush()
    return user


def deactivate_user(user: User, *, actor: User, now: datetime) -> None:
    """Deactivate an account; its live sessions end at their next request."""
    if user.id == actor.id:
        raise ServiceError(_l("You cannot deactivate your own account."))
    user.is_active = False
    user.deactivated_at = now
    user.session_version += 1
    login_sessions.end_all(user, now=now)
    audit.record("deactivate_user", actor, now, user, email=user.email, role=user.role)
    db.session.flush()


def reactivate_user(user: User, *, actor: User, now: datetime) -> None:
    """Allow a deactivated account to log in again."""
    user.is_active = True
    user.deactivated_at = None
    audit.record("reactivate_user", actor, now, user, email=user.email, role=user.role)
    db.session.flush()


def logout_everywhere(user: User, *, now: datetime) -> None:
    """End every session of this account, on every device."""
    user.session_version += 1
    login_sessions.end_all(user, now=now)
    db.session.flush()
