"""Accounts: registration, login with throttling, password reset, invitations, deactivation."""
from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Company,
    OneTimeToken,
    OutboundEmail,
    Programme,
    ProgrammeSupervisor,
    Role,
    TokenPurpose,
    User,
)
from app.services import audit, login_sessions, mail, throttle, tokens
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


def request_registration(
    *, email: str, password: str, full_name: str, company_name: str, locale: str | None, now: datetime,
    programme_id: int | None = None,
) -> OutboundEmail:
    """Start registering a company: a new address gets a link that creates the company and its HR lead; an address
    with an account gets a mail saying that someone tried, and nothing is created or changed.

    The page and the time it takes are the same either way (the password is hashed in both, the mail only queued;
    the scheduler sends it), so registering tells nobody who has an account. Nothing about the company is stored
    before its link is opened: the details wait in the link's token, with the password's hash. Flushes.
    """
    email = normalise_email(email)
    _check_password(password, email, full_name, company_name)
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is not None:
        # The mail carries nothing the visitor typed: whoever tried cannot put words into someone else's mailbox.
        return mail.queue_mail(existing.email, "registration_exists", locale=existing.locale or locale, now=now,
                               user=existing, login_link=url_for("auth.login", _external=True),
                               reset_link=url_for("auth.forgot_password", _external=True))
    hours = current_app.config["REGISTRATION_HOURS"]
    raw = tokens.issue_token(TokenPurpose.REGISTRATION, email=email, role=Role.HR_LEAD, now=now,
                             valid_for=timedelta(hours=hours),
                             payload={"full_name": full_name.strip(), "company_name": company_name.strip(),
                                      "password_hash": password_hash, "locale": locale,
                                      # "Jetzt bewerben" on a programme's page: its application comes next.
                                      "programme_id": programme_id})
    return mail.queue_mail(email, "registration_confirm", locale=locale, now=now, hours=hours,
                           link=url_for("auth.confirm_registration", token=raw, _external=True))


def find_registration(raw_token: str, *, now: datetime) -> OneTimeToken | None:
    return tokens.find_valid_token(raw_token, TokenPurpose.REGISTRATION, now)


def confirm_registration(raw_token: str, password: str, *, now: datetime) -> User:
    """Create the company and its HR lead from a registration link, for whoever knows the password chosen when
    registering (someone who registered another person's address cannot have that person complete it for them).
    Flushes; the caller commits."""
    invalid = ServiceError(_l("This link is invalid or has expired. Please register again."))
    token = find_registration(raw_token, now=now)
    if token is None:
        raise invalid
    details = token.payload or {}
    if not verify_password(details.get("password_hash", ""), password or "")[0]:
        raise ServiceError(_l("This is not the password you chose when registering."), field="password")
    if find_user_by_email(token.email) is not None:
        raise ServiceError(_l("An account with this e-mail address exists already. Please log in, or set a new "
                              "password if you have forgotten it."))
    if not tokens.redeem_token(token, now):
        raise invalid
    company = Company(name=details["company_name"], created_at=now)
    user = User(
        email=token.email,
        full_name=details["full_name"],
        password_hash=details["password_hash"],
        role=Role.HR_LEAD,
        company=company,
        locale=details.get("locale"),
        created_at=now,
    )
    db.session.add_all([company, user])
    db.session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    locked_minutes: int = 0


def client_network(address: str | None) -> str:
    """The client as failed logins count it: its IPv4 address, or its IPv6 /64 (one subscriber's whole network)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "-"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _failures_key(email: str, client: str | None = None) -> str:
    """The counter of failed logins for one typed e-mail address (known or not) from one client network.

    Keyed by the address as typed, not by the account, so that an unknown address is answered exactly like a known
    one; by its hash, so that the counters hold no e-mail addresses. Without `client`: the prefix of all clients.
    """
    digest = hashlib.sha256(normalise_email(email).encode("utf-8", "replace")).hexdigest()[:32]
    return f"login_failed:{digest}:" + (client_network(client) if client is not None else "")


def authenticate(email: str, password: str, *, client: str | None, now: datetime) -> LoginResult:
    """Check e-mail and password. Failed attempts are counted in the database per e-mail address and client
    network: after LOGIN_MAX_FAILURES within LOGIN_LOCK_MINUTES that client is refused for that address until the
    window ends, while the same account still logs in from elsewhere (a lock per account would let anyone lock
    anyone out). Known and unknown addresses get the same answers, in the same time.

    Flushes; the caller commits (also on failure, so that the count is kept).
    """
    cfg = current_app.config
    key = _failures_key(email, client)
    window = cfg["LOGIN_LOCK_MINUTES"] * 60
    failures, window_ends = throttle.current(key, seconds=window, now=now)
    if failures >= cfg["LOGIN_MAX_FAILURES"]:
        return LoginResult(None, locked_minutes=math.ceil((window_ends - now).total_seconds() / 60))
    user = find_user_by_email(email)
    if user is None:
        # Spend the time of a hash anyway, so that response times do not reveal which accounts exist.
        verify_password(_dummy_hash(), password)
        matches, needs_rehash = False, False
    else:
        matches, needs_rehash = verify_password(user.password_hash, password)
    if user is None or not matches or not user.is_active:
        throttle.count(key, seconds=window, now=now)
        audit.record("login_failed", None, now, user, email=user.email if user else normalise_email(email)[:254])
        db.session.flush()
        return LoginResult(None)
    if needs_rehash:
        user.password_hash = hash_password(password)
    throttle.forget(key)
    user.last_login_at = now
    audit.record("login", user, now, user)
    db.session.flush()
    return LoginResult(user)


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
    # Whoever set a new password from the mailbox may log in again at once, from wherever they were refused.
    throttle.forget(_failures_key(user.email), prefix=True)
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
    *, email: str, role: str, programme_ids: list[int], actor: User, now: datetime, payload: dict | None = None
) -> tuple[OneTimeToken, str]:
    """Invite a supervisor, coordinator or admin by mail; the account is created when they accept. A coordinator
    will coordinate the programmes named, a supervisor serve them (with the capacity `payload["max_groups"]`)."""
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
        programme_ids=programme_ids if role in (Role.COORDINATOR, Role.SUPERVISOR) else [],
        payload=payload,
        created_by_id=actor.id,
        now=now,
        valid_for=timedelta(days=days),
    )
    return tokens.find_valid_token(raw, TokenPurpose.INVITATION, now), raw


def invite_colleague(*, email: str, actor: User, locale: str | None, role_name: str, now: datetime) -> OutboundEmail:
    """An HR lead invites a colleague of their own company, who then reads the company's group pages.

    One address, one account: an address that has an account gets no invitation; its owner is told by mail who
    wanted to invite them (and may ask for another address to be invited). The HR lead sees the same confirmation
    either way, so that inviting tells nobody who has an account. Flushes; the caller commits.
    """
    if actor.role != Role.HR_LEAD or actor.company_id is None:
        raise ServiceError(_l("Only HR leads invite colleagues."))
    email = normalise_email(email)
    audit.record("invite", actor, now, email=email, role=Role.COLLEAGUE)
    existing = find_user_by_email(email)
    if existing is not None:
        return mail.queue_mail(existing.email, "invitation_exists", locale=existing.locale or locale, now=now,
                               user=existing, inviter=actor, company_name=actor.company.name)
    days = current_app.config["INVITATION_DAYS"]
    raw = tokens.issue_token(TokenPurpose.INVITATION, email=email, role=Role.COLLEAGUE, company_id=actor.company_id,
                             created_by_id=actor.id, now=now, valid_for=timedelta(days=days))
    return mail.queue_mail(email, "invitation", locale=locale, now=now, inviter=actor, role=role_name, days=days,
                           link=url_for("auth.accept_invitation", token=raw, _external=True))


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
    if token.role == Role.SUPERVISOR and token.programme_ids:
        _serve_programmes(user, token, now)
    return user


# A supervisor invited without a capacity (by an administrator) gets this many groups in each programme named.
SUPERVISOR_DEFAULT_CAPACITY = 2


def _serve_programmes(user: User, token: OneTimeToken, now: datetime) -> None:
    """The supervisor who accepted an invitation serves the programmes it names, with the capacity it carries."""
    capacity = (token.payload or {}).get("max_groups")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 <= capacity <= 20:
        capacity = SUPERVISOR_DEFAULT_CAPACITY
    for programme_id in db.session.scalars(select(Programme.id).where(Programme.id.in_(token.programme_ids))):
        db.session.add(ProgrammeSupervisor(programme_id=programme_id, user_id=user.id, max_groups=capacity,
                                           created_at=now))
    db.session.flush()


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


def invite_administrator(email: str, *, now: datetime) -> str:
    """An invitation to become administrator, issued from the server's command line (`flask admin create`):
    the first account of an empty database, or another administrator later. No password passes the command
    line or the shell history: the person sets it through the link. Returns the link's secret. Flushes."""
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(_l("Please enter a valid e-mail address."), field="email") from exc
    _check_email_free(email)
    audit.record("invite", None, now, email=email, role=Role.ADMIN, via="command line")
    return tokens.issue_token(TokenPurpose.INVITATION, email=email, role=Role.ADMIN, now=now,
                              valid_for=timedelta(days=current_app.config["INVITATION_DAYS"]))
