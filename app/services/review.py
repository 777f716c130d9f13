"""The coordinator's review of applications: lists, decisions, change proposals, mentor thresholds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app import maturity
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    ApplicationStatus,
    ChangeProposal,
    Company,
    CompanyRole,
    MaturityAnswer,
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


def _applications_query(programme: Programme, *, role: str, status: str, sector: str, size: str, level: str,
                        sort: str) -> Select:
    """Applications of a programme with their company and the company's newest assessment, filtered and sorted in
    SQL (ties broken by id, so that pages neither repeat nor skip a row)."""
    # The newest assessment looked up per company (index on company_id): a plan that does not depend on statistics.
    newest = (select(func.max(MaturityAssessment.id)).where(MaturityAssessment.company_id == Company.id)
              .correlate(Company).scalar_subquery())
    query = (
        select(Application, Company, MaturityAssessment)
        .join(Company, Company.id == Application.company_id)
        .outerjoin(MaturityAssessment, MaturityAssessment.id == newest)
        .where(Application.programme_id == programme.id)
    )
    if role:
        query = query.where(Application.role == role)
    if status:
        query = query.where(Application.status == status)
    if sector:
        query = query.where(Company.sector == sector)
    if size:
        query = query.where(Company.headcount_band == size)
    if level:
        query = query.where(MaturityAssessment.level == level)
    if sort == "submitted":
        order = [Application.submitted_at.is_(None), Application.submitted_at, Company.name]
    elif sort == "score":
        order = [func.coalesce(MaturityAssessment.overall, -1).desc(), Company.name]
    else:
        order = [func.lower(Company.name)]
    return query.order_by(*order, Application.id)


def _rows(query: Select) -> list[ApplicationRow]:
    """The rows of a query of _applications_query, with the change proposals that the list marks."""
    return [ApplicationRow(a, c, m) for a, c, m in
            db.session.execute(query.options(selectinload(Application.proposals))).all()]


def list_applications(programme: Programme, *, role: str = "", status: str = "", sector: str = "", size: str = "",
                      level: str = "", sort: str = "name") -> list[ApplicationRow]:
    """Applications of a programme, filtered and sorted, each with the company's latest assessment."""
    return _rows(_applications_query(programme, role=role, status=status, sector=sector, size=size, level=level,
                                     sort=sort))


@dataclass(frozen=True)
class ApplicationPage:
    rows: list[ApplicationRow]
    shortfalls: dict[int, Shortfall | None]  # application id → shortfall, for the rows shown
    total: int
    page: int
    pages: int
    first: int  # the position of the page's first row in the whole list, from 1
    last: int


def application_page(programme: Programme, *, page: int, per_page: int, role: str = "", status: str = "",
                     sector: str = "", size: str = "", level: str = "", sort: str = "name") -> ApplicationPage:
    """One page of the programme's applications, filtered and sorted in SQL; only its rows are loaded and checked
    against the mentor thresholds. A page number out of range shows the nearest page."""
    query = _applications_query(programme, role=role, status=status, sector=sector, size=size, level=level,
                                sort=sort)
    total = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(Application.id).order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = _rows(query.limit(per_page).offset((page - 1) * per_page))
    # The mentors' answers as plain values, in one query (as objects they cost more than the rest of the page).
    mentors = [r.assessment.id for r in rows if r.application.role == CompanyRole.MENTOR and r.assessment]
    answers: dict[int, dict[str, int | None]] = {m: {} for m in mentors}
    for assessment_id, dimension, score in db.session.execute(
            select(MaturityAnswer.assessment_id, MaturityAnswer.dimension, MaturityAnswer.score)
            .where(MaturityAnswer.assessment_id.in_(mentors or [0]))):
        answers[assessment_id][dimension] = score
    shortfalls = {r.application.id: mentor_shortfall(r.application, r.assessment,
                                                     scores=answers.get(r.assessment.id) if r.assessment else None)
                  for r in rows}
    first = (page - 1) * per_page + 1 if rows else 0
    return ApplicationPage(rows, shortfalls, total, page, pages, first, first + len(rows) - 1 if rows else 0)


@dataclass(frozen=True)
class Shortfall:
    overall: int | None
    threshold: int
    dimensions: list[str]


def mentor_shortfall(application: Application, assessment: MaturityAssessment | None, *,
                     scores: dict[str, int | None] | None = None) -> Shortfall | None:
    """For a mentor applicant below the programme's threshold: the overall score and the dimensions that fall short.
    scores: the assessment's answers if the caller has them already (else they are read from the assessment)."""
    if application.role != CompanyRole.MENTOR:
        return None
    programme = application.programme
    if assessment is None:
        return Shortfall(None, programme.mentor_min_overall, [])
    score = maturity.score_assessment(assessment.scores if scores is None else scores)
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
