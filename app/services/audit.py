"""The audit log: who did what sensitive thing and when. Append-only for the application: rows are added,
never changed or deleted (a flush that tries is refused)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import AuditEvent, User
from app.services import spreadsheets

ACTIONS = {
    "login": _l("Login"),
    "login_failed": _l("Failed login"),
    "invite": _l("Invitation sent"),
    "deactivate_user": _l("Account deactivated"),
    "reactivate_user": _l("Account reactivated"),
    "read_confidential_note": _l("Confidential note read"),
    "export_companies": _l("Companies exported"),
    "export_round": _l("Round exported"),
    "export_audit": _l("Audit log exported"),
    "export_personal_data": _l("Own data downloaded"),
    "erase_person": _l("Person erased"),
    "erase_company": _l("Company erased"),
    "leave_requested": _l("Company asked to leave"),
    "retention_applied": _l("Retention period applied"),
    "export_report": _l("Funder report exported"),
    "organisation_created": _l("Organisation recorded"),
    "organisation_changed": _l("Organisation changed"),
    "programme_created": _l("Programme created"),
    "programme_partners_changed": _l("Carrier or partners changed"),
    "coordinator_assigned": _l("Coordinator assigned"),
    "coordinator_removed": _l("Coordinator removed"),
    "programme_settings_changed": _l("Programme settings changed"),
}


def record(action: str, actor: User | None, now: datetime, obj=None, **details) -> None:
    """Add one entry. Flushes with the caller's transaction."""
    db.session.add(AuditEvent(created_at=now, actor_id=actor.id if actor else None, action=action,
                              object_type=type(obj).__name__ if obj is not None else None,
                              object_id=getattr(obj, "id", None) if obj is not None else None, details=details))


@event.listens_for(Session, "before_flush")
def _append_only(session, flush_context, instances) -> None:
    if session.info.get("audit_redaction"):  # erasure (Art. 17) redacts names in entries; nothing else may
        return
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the audit log is append-only")


def search(*, action: str = "", actor: str = "", since: date | None = None, until: date | None = None,
           limit: int = 500) -> list[tuple[AuditEvent, User | None]]:
    """Entries newest first, filtered by action, by the actor's e-mail (part of it) and by period."""
    query = select(AuditEvent, User).outerjoin(User, AuditEvent.actor_id == User.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(User.email.contains(actor.strip().lower()))
    if since:
        query = query.where(AuditEvent.created_at >= datetime.combine(since, time.min).astimezone())
    if until:
        query = query.where(AuditEvent.created_at < datetime.combine(until + timedelta(days=1), time.min).astimezone())
    return [(row[0], row[1]) for row in db.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))]


def to_csv(rows: list[tuple[AuditEvent, User | None]]) -> bytes:
    """The entries as CSV, through the one writer that neutralises formulas (an e-mail address may start with =)."""
    return spreadsheets.csv_bytes([["time (UTC)", "action", "actor", "object", "details"]] + [
        [entry.created_at.isoformat(timespec="seconds"), entry.action, user.email if user else "",
         f"{entry.object_type or ''} {entry.object_id or ''}".strip(),
         "; ".join(f"{k}={v}" for k, v in sorted((entry.details or {}).items()))]
        for entry, user in rows])
