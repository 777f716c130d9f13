"""The coordinator's review of applications: lists, decisions, change proposals, mentor thresholds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import maturity
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    ChangeProposal,
    Company,
    CompanyRole,
    MaturityAssessment,
    OutboundEmail,
    Programme,
    User,
)
from app.services import companies, mail
from app.services.errors import ServiceError

SORTS = ("name", "submitted", "score")


@dataclass(frozen=True)
class ApplicationRow:
    application: Application
    company: Company
    assessment: MaturityAssessment | None


def latest_assessments(company_ids: list[int]) -> dict[int, MaturityAssessment]:
    """The newest assessment of each company, in one query."""
    if not company_ids:
        return {}
    newest = (
        select(MaturityAssessment.company_id, func.max(MaturityAssessment.id).label("id"))
        .where(MaturityAssessment.company_id.in_(company_ids))
        .group_by(MaturityAssessment.company_id)
        .subquery()
    )
    rows = db.session.scalars(select(MaturityAssessment).join(newest, MaturityAssessment.id == newest.c.id))
    return {row.company_id: row for row in rows}


def list_applications(programme: Programme, *, role: str = "", status: str = "", sector: str = "", size: str = "",
                      level: str = "", sort: str = "name") -> list[ApplicationRow]:
    """Applications of a programme, filtered and sorted, each with the company's latest assessment."""
    query = (
        select(Application, Company)
        .join(Company, Company.id == Application.company_id)
        .where(Application.programme_id == programme.id)
        .options(selectinload(Application.proposals))
    )
    if role:
        query = query.where(Application.role == role)
    if status:
        query = query.where(Application.status == status)
    if sector:
        query = query.where(Company.sector == sector)
    if size:
        query = query.where(Company.headcount_band == size)
    pairs = db.session.execute(query).all()
    latest = latest_assessments([company.id for _, company in pairs])
    # Mentors are checked against the thresholds (mentor_shortfall reads the answers): load theirs in one query.
    mentors = [latest[c.id].id for a, c in pairs if a.role == CompanyRole.MENTOR and c.id in latest]
    if mentors:
        db.session.scalars(select(MaturityAssessment).where(MaturityAssessment.id.in_(mentors))
                           .options(selectinload(MaturityAssessment.answers))).all()
    rows = [ApplicationRow(a, c, latest.get(c.id)) for a, c in pairs]
    if level:
        rows = [r for r in rows if r.assessment is not None and r.assessment.level == level]
    if sort == "submitted":
        rows.sort(key=lambda r: (r.application.submitted_at is None, r.application.submitted_at, r.company.name))
    elif sort == "score":
        rows.sort(key=lambda r: (-(r.assessment.overall if r.assessment else -1), r.company.name))
    else:
        rows.sort(key=lambda r: r.company.name.lower())
    return rows


@dataclass(frozen=True)
class Shortfall:
    overall: int | None
    threshold: int
    dimensions: list[str]


def mentor_shortfall(application: Application, assessment: MaturityAssessment | None) -> Shortfall | None:
    """For a mentor applicant below the programme's threshold: the overall score and the dimensions that fall short."""
    if application.role != CompanyRole.MENTOR:
        return None
    programme = application.programme
    if assessment is None:
        return Shortfall(None, programme.mentor_min_overall, [])
    score = maturity.score_assessment(assessment.scores)
    weak = maturity.shortfalls(score, programme.mentor_min_dimension)
    if score.overall >= programme.mentor_min_overall and not weak:
        return None
    return Shortfall(score.overall, programme.mentor_min_overall, list(weak))


DECISIONS = {
    "approve": ApplicationStatus.APPROVED,
    "reject": ApplicationStatus.REJECTED,
    "request_changes": ApplicationStatus.CHANGES_REQUESTED,
}


def decide(application: Application, decision: str, reason: str, *, actor: User,
           now: datetime) -> list[OutboundEmail]:
    """Approve, reject (with a reason) or send back for changes (with a reason); tells the HR leads by mail."""
    if decision not in DECISIONS:
        raise ServiceError(_l("Please choose a decision."))
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.CHANGES_REQUESTED) or (
        decision == "request_changes" and application.status == ApplicationStatus.CHANGES_REQUESTED
    ):
        raise ServiceError(_l("This application is not waiting for a decision."))
    reason = (reason or "").strip()
    if decision != "approve" and not reason:
        raise ServiceError(_l("Please give a reason; the company will read it."), field="reason")
    application.status = DECISIONS[decision]
    application.decision_reason = reason or None
    application.decided_at = now
    application.decided_by_id = actor.id
    application.updated_at = now
    db.session.flush()
    return [
        mail.queue_mail(lead.email, f"application_{decision}", locale=lead.locale, now=now, user=lead,
                        company=application.company, programme=application.programme, reason=reason)
        for lead in application.company.hr_leads if lead.is_active
    ]


def decide_proposal(proposal: ChangeProposal, accept: bool, *, actor: User, now: datetime) -> None:
    """Apply or discard the changes an HR lead proposed after approval. Flushes."""
    if proposal.status != "pending":
        raise ServiceError(_l("This change has been decided already."))
    application = proposal.application
    if accept:
        company = application.company
        company_values = {k.split(".", 1)[1]: v["new"] for k, v in proposal.changes.items() if k.startswith("company.")}
        if company_values:
            place = companies.resolve_municipality(company_values.get("municipality", company.municipality))
            for key, value in company_values.items():
                setattr(company, key, value)
            company.municipality_geonameid = place.geonameid
            company.latitude, company.longitude = place.latitude, place.longitude
            company.updated_at = now
        app_values = {k.split(".", 1)[1]: v["new"] for k, v in proposal.changes.items()
                      if k.startswith("application.")}
        if "role" in app_values:
            application.role = app_values.pop("role")
        if "needs" in app_values or "offers" in app_values:
            current = companies.application_values(application)
            companies.replace_topics(application, app_values.pop("needs", current["needs"]),
                                      app_values.pop("offers", current["offers"]))
        companies.apply_application_values(application, app_values, application.programme, company)
        application.updated_at = now
    proposal.status = "accepted" if accept else "rejected"
    proposal.decided_by_id = actor.id
    proposal.decided_at = now
    db.session.flush()
