"""Art. 15/20 GDPR: everything Tandem holds about a person and their company, as JSON and as readable HTML."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

from flask import render_template
from sqlalchemy import or_, select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    AuditEvent,
    Consent,
    Feedback,
    GroupMember,
    Measure,
    MentoringGroup,
    Response,
    Role,
    SessionRecord,
    User,
)
from app.services import audit, organisations, programmes, supervisors
from app.services.errors import ServiceError
from app.services.passwords import verify_password


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj, *fields: str) -> dict:
    return {f: _plain(getattr(obj, f)) for f in fields}


def collect(user: User) -> dict:
    """What the person may read of themselves and their company in the app, nothing more (README, "What the
    download holds"): for everyone the account, the feedback they gave and the audit entries about them; for an
    HR lead the company's profile, consents, self-assessments with comments, applications with exclusions and
    decision reasons, and its groups; for a colleague only what the group pages show them. Confidential supervisor
    notes are not data about the person who asks, and stay out."""
    data: dict = {"account": _row(user, "email", "full_name", "role", "locale", "is_active", "created_at",
                                  "last_login_at"),
                  "feedback_given": [_row(f, "meeting_id", "rating", "comment", "created_at") for f in
                                     db.session.scalars(select(Feedback).where(Feedback.user_id == user.id))],
                  "audit_log": [_row(e, "created_at", "action", "object_type", "object_id") for e in
                                db.session.scalars(select(AuditEvent).where(or_(
                                    AuditEvent.actor_id == user.id,
                                    (AuditEvent.object_type == "User") & (AuditEvent.object_id == user.id)))
                                    .order_by(AuditEvent.id))],
                  # Where the person is named as the contact of an organisation or a programme.
                  "named_as_contact": [
                      {"of": row.name, **_row(row, "contact_name", "contact_email", "contact_phone")}
                      for row in [*organisations.for_person(user.email), *programmes.for_person(user.email)]]}
    if user.role == Role.SUPERVISOR:
        data["programmes_served"] = [{"programme": p.name, "max_groups": n} for p, n in supervisors.programmes_of(user)]
    company = user.company
    if company is None:
        return data
    if user.role == Role.HR_LEAD:
        return data | _for_hr_lead(company)
    if user.role == Role.COLLEAGUE:
        return data | _for_colleague(company)
    return data


def _for_hr_lead(company) -> dict:
    """Everything the HR lead reads and enters about the company."""
    data: dict = {
        "company": _row(company, "name", "sector", "headcount_band", "municipality", "has_works_council",
                        "has_shift_work", "has_charta", "has_audit", "has_pflege_guide", "has_pflegekoffer",
                        "caregiver_estimate", "created_at"),
        "consents": [_row(c, "purpose", "text_version", "given_at", "withdrawn_at") for c in
                     db.session.scalars(select(Consent).where(Consent.company_id == company.id))],
        "assessments": [{**_row(a, "phase", "overall", "level", "created_at"), "scores": a.scores,
                         "comments": a.comments} for a in company.assessments],
        "applications": [{
            **_row(application, "role", "status", "cycle_min_months", "cycle_max_months", "meeting_modes",
                   "weekdays", "times_of_day", "max_travel_km", "mentee_capacity", "questions", "submitted_at",
                   "decided_at", "decision_reason"),
            "programme": application.programme.name,
            "topics": [_row(t, "kind", "topic", "priority") for t in application.topics],
            "exclusions": [e.name for e in application.exclusions]} for application in company.applications]}
    data["groups"] = [
        {**_place(member), "decline_reason": member.decline_reason, "score": member.score}
        if member.response != Response.DECLINED else _declined_place(member)
        for member in _places(company)]
    return data


def _for_colleague(company) -> dict:
    """What a colleague reads on the company's group pages: the company's card (name, sector, size, location, the
    overall score and level of its newest self-assessment) and the groups it has not declined, with their
    sessions' shared minutes and the company's measures. No consents, comments, exclusions, questions or reasons."""
    places = [m for m in _places(company) if m.response != Response.DECLINED]
    newest = next((a for a in reversed(company.assessments) if a.is_complete), None)
    card = _row(company, "name", "sector", "headcount_band", "municipality") if places else _row(company, "name")
    return {"company": card,
            "maturity": _row(newest, "overall", "level") if places and newest is not None else None,
            "groups": [_place(member) for member in places]}


def _places(company) -> list[GroupMember]:
    return list(db.session.scalars(select(GroupMember).join(Application)
                                   .where(Application.company_id == company.id).order_by(GroupMember.id)))


def _place(member: GroupMember) -> dict:
    """A group the company takes part in: as its group page shows it to the company."""
    group: MentoringGroup = member.group
    sessions = []
    for meeting in group.meetings:
        record = db.session.get(SessionRecord, meeting.id)
        sessions.append({**_row(meeting, "number", "starts_at", "ends_at", "status", "place", "cancel_reason"),
                         "minutes": record.minutes if record else None,
                         "amendments": [a.body for a in record.amendments] if record else []})
    application = member.application
    return {"programme": group.programme.name,
            "mentor": group.mentor.application.company.name if group.mentor else None,
            "starts_on": _plain(group.starts_on), "ends_on": _plain(group.ends_on), "role": member.role,
            "answer": member.response,
            "needs": [t.topic for t in application.needs], "strengths": [t.topic for t in application.offers],
            "sessions": sessions,
            "measures": [_row(m, "title", "owner", "due_on", "status", "comment") for m in
                         db.session.scalars(select(Measure).where(Measure.group_id == group.id,
                                                                  Measure.application_id == member.application_id))]}


def _declined_place(member: GroupMember) -> dict:
    """A group the company declined: only its own answer, nothing of the group's other companies or sessions."""
    group: MentoringGroup = member.group
    return {"programme": group.programme.name, "starts_on": _plain(group.starts_on),
            "ends_on": _plain(group.ends_on), "role": member.role, "answer": member.response,
            "responded_at": _plain(member.responded_at), "decline_reason": member.decline_reason}


def export(user: User, password: str, *, now: datetime) -> bytes:
    """A ZIP with data.json and data.html, after the person re-entered their password; the export is logged."""
    matches, _ = verify_password(user.password_hash, password or "")
    if not matches:
        raise ServiceError(_l("The password is not correct."), "password")
    data = collect(user)
    audit.record("export_personal_data", user, now, user)
    db.session.flush()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        archive.writestr("data.html", render_template("account/data_export.html", data=data, user=user, now=now))
    return buffer.getvalue()



