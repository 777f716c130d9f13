"""Art. 17 GDPR: erasing a person or a whole company. Personal data are deleted or overwritten, texts that name
them are redacted, and what the funder report counts stays only as anonymous figures (role, status, size band,
sector, group membership, attendance counts, scores)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Amendment,
    Application,
    Attendance,
    AuditEvent,
    ChangeProposal,
    Company,
    ConfidentialNote,
    Consent,
    Exclusion,
    Feedback,
    GroupMember,
    ImportBatch,
    MaturityAnswer,
    Measure,
    OneTimeToken,
    OutboundEmail,
    ProgrammeSupervisor,
    Role,
    RoundEvent,
    RoundRun,
    SessionRecord,
    User,
)
from app.services import audit, organisations, programmes
from app.services.errors import ServiceError

ERASED = "[gelöscht]"
# Every text that may name a person or a company, and JSON that may hold names.
TEXT_COLUMNS = ((SessionRecord, "minutes"), (SessionRecord, "questions"), (ConfidentialNote, "body"),
                (Amendment, "body"), (Measure, "title"), (Measure, "owner"), (Measure, "comment"),
                (GroupMember, "decline_reason"), (Feedback, "comment"), (Application, "questions"),
                (Application, "decision_reason"), (Attendance, "person"), (Exclusion, "name"),
                (OutboundEmail, "subject"), (OutboundEmail, "body_text"), (OutboundEmail, "calendar"))
JSON_COLUMNS = ((RoundEvent, "details"), (RoundRun, "instance"), (RoundRun, "result"), (ChangeProposal, "changes"),
                (ImportBatch, "rows"))


def _pattern(needles: list[str]) -> re.Pattern | None:
    needles = sorted({n.strip() for n in needles if n and len(n.strip()) >= 3}, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE) if needles else None


def _scrub(value, pattern: re.Pattern):
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    return value


def redact(needles: list[str]) -> int:
    """Replace every mention of the needles (names, e-mail addresses) in free texts and stored JSON."""
    pattern = _pattern(needles)
    if pattern is None:
        return 0
    changed = 0
    for model, column in TEXT_COLUMNS:
        attribute = getattr(model, column)
        for row in db.session.scalars(select(model).where(attribute.is_not(None))):
            text = getattr(row, column)
            if pattern.search(text):
                setattr(row, column, pattern.sub(ERASED, text))
                changed += 1
    for model, column in JSON_COLUMNS:
        for row in db.session.scalars(select(model)):
            value = getattr(row, column)
            scrubbed = _scrub(value, pattern)
            if scrubbed != value:
                setattr(row, column, scrubbed)
                changed += 1
    # The audit log is append-only for everything but erasure: names in its details are redacted too.
    db.session.info["audit_redaction"] = True
    for entry in db.session.scalars(select(AuditEvent)):
        scrubbed = _scrub(entry.details, pattern)
        if scrubbed != entry.details:
            entry.details = scrubbed
            changed += 1
    db.session.flush()
    db.session.info.pop("audit_redaction", None)
    return changed


def erase_person(user: User, *, actor: User, now: datetime) -> None:
    """Delete a person's data: the account stays as an empty, locked shell so that counts and references hold."""
    if user.id == actor.id:
        raise ServiceError(_l("You cannot erase your own account here. Ask another administrator."))
    needles = [user.full_name, user.email]
    db.session.execute(delete(OneTimeToken).where(OneTimeToken.email == user.email))
    db.session.execute(delete(OutboundEmail).where(OutboundEmail.recipient == user.email))
    for feedback in db.session.scalars(select(Feedback).where(Feedback.user_id == user.id)):
        feedback.user_id, feedback.comment = None, None
    for consent in db.session.scalars(select(Consent).where(Consent.user_id == user.id)):
        consent.user_id = None
    # A supervisor no longer serves any programme (the groups they led keep their rows, without the name).
    db.session.execute(delete(ProgrammeSupervisor).where(ProgrammeSupervisor.user_id == user.id))
    # Where the person is named as the contact of an organisation or a programme, the contact goes.
    for row in [*organisations.for_person(user.email), *programmes.for_person(user.email)]:
        row.contact_name = row.contact_email = row.contact_phone = None
    user.email = f"erased-{user.id}@erased.invalid"
    user.full_name = ERASED
    user.password_hash = "!"  # noqa: S105 - no password matches it
    user.is_active, user.deactivated_at, user.locale = False, now, None
    user.session_version += 1
    user.last_login_at = user.locked_until = user.calendar_token_hash = None
    user.company_id = None
    db.session.flush()
    redact(needles)
    audit.record("erase_person", actor, now, user)


def erase_company(company: Company, *, actor: User, now: datetime) -> None:
    """Erase a company and everyone of it; its applications, assessments' scores and group places stay as
    anonymous figures."""
    needles = [company.name]
    for user in db.session.scalars(select(User).where(User.company_id == company.id)).all():
        erase_person(user, actor=actor, now=now)
    for consent in db.session.scalars(select(Consent).where(Consent.company_id == company.id,
                                                             Consent.withdrawn_at.is_(None))):
        consent.withdrawn_at = now
    for application in company.applications:
        application.questions = application.decision_reason = None
        application.exclusions.clear()
        db.session.execute(delete(ChangeProposal).where(ChangeProposal.application_id == application.id))
    for assessment in company.assessments:
        db.session.execute(
            MaturityAnswer.__table__.update().where(MaturityAnswer.assessment_id == assessment.id).values(comment=None))
    company.name = f"{ERASED} #{company.id}"
    company.municipality = company.municipality_geonameid = company.latitude = company.longitude = None
    company.caregiver_estimate = None
    company.updated_at = now
    db.session.flush()
    redact(needles)
    audit.record("erase_company", actor, now, company)


def may_erase(user: User, company: Company) -> bool:
    """An administrator erases any company (and its people); a coordinator only one whose every application, of any
    status, is in a programme they coordinate. A company's profile, self-assessments and people serve all its
    programmes at once, so the coordination of one programme must not erase them from under another that still
    works with the company: then an administrator decides (see programmes_not_coordinated)."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COORDINATOR:
        return False
    programmes = {a.programme_id for a in company.applications}
    return bool(programmes) and not programmes - _coordinated(user)


def programmes_not_coordinated(user: User, company: Company) -> int:
    """How many of the company's programmes the coordinator does not coordinate: why they may not erase it."""
    return len({a.programme_id for a in company.applications} - _coordinated(user))


def administrators() -> list[User]:
    """The active administrators: whom a coordinator asks to erase a company of several programmes."""
    return list(db.session.scalars(select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
                                   .order_by(User.full_name, User.id)))


def _coordinated(user: User) -> set[int]:
    from app.access import coordinated_programme_ids

    return coordinated_programme_ids(user) if user.role == Role.COORDINATOR else set()


def request_leave(company: Company, *, actor: User, now: datetime) -> list:
    """An HR lead's wish to leave (or a withdrawn consent): processing stops at once, and the coordinators of the
    company's programmes are asked by mail to erase it. Flushes; returns the queued mails."""
    from flask import url_for

    from app.services import companies, mail

    companies.withdraw_consent(company, actor=actor, now=now)
    audit.record("leave_requested", actor, now, company)
    link = url_for("companies.detail", company_id=company.id, _external=True)
    coordinators = {c for a in company.applications for c in a.programme.coordinators
                    if c.is_active and c.role == Role.COORDINATOR}
    recipients = sorted(coordinators, key=lambda c: c.id)
    if not any(may_erase(c, company) for c in recipients):
        # No coordinator covers all of the company's programmes: only an administrator may erase it.
        recipients += [a for a in administrators() if a not in coordinators]
    return [mail.queue_mail(c.email, "leave_requested", locale=c.locale, now=now, user=c, company=company,
                            link=link) for c in recipients]


RETENTION_WARNING = timedelta(days=30)


def retention_due(group) -> date:
    return group.ends_on + relativedelta(months=group.programme.retention_months)


def apply_retention(now: datetime) -> tuple[int, int]:
    """Delete confidential notes and attendance details (names) of groups whose cycle ended longer ago than the
    programme's retention period; warn the coordinators 30 days before. Counts stay (who came is kept per company,
    without names). Commits. Returns (groups warned, groups purged)."""
    from flask import current_app

    from app.models import ConfidentialNote, Meeting, MentoringGroup
    from app.services import mail

    warned = purged = 0
    today = now.date()
    for group in db.session.scalars(select(MentoringGroup).where(MentoringGroup.retention_done_at.is_(None))):
        due = retention_due(group)
        if today >= due:
            meeting_ids = [m.id for m in db.session.scalars(select(Meeting).where(Meeting.group_id == group.id))]
            db.session.execute(delete(ConfidentialNote).where(ConfidentialNote.meeting_id.in_(meeting_ids or [0])))
            for row in db.session.scalars(select(Attendance).where(Attendance.meeting_id.in_(meeting_ids or [0]))):
                row.person = ERASED
            group.retention_done_at = now
            audit.record("retention_applied", None, now, group, notes_and_attendance=len(meeting_ids))
            purged += 1
        elif today >= due - RETENTION_WARNING and group.retention_warned_at is None:
            group.retention_warned_at = now
            link = current_app.config["BASE_URL"].rstrip("/") + f"/groups/{group.id}"
            for coordinator in group.programme.coordinators:
                if coordinator.is_active and coordinator.role == Role.COORDINATOR:
                    mail.queue_mail(coordinator.email, "retention_warning", locale=coordinator.locale, now=now,
                                    user=coordinator, group=group, due=due, link=link)
            warned += 1
    db.session.commit()
    return warned, purged
