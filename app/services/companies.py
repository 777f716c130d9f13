"""Companies in a programme: consent, profile, application, needs and strengths, self-assessment."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app import maturity
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    ApplicationStatus,
    ApplicationTopic,
    ChangeProposal,
    Company,
    CompanyRole,
    Consent,
    Exclusion,
    MaturityAnswer,
    MaturityAssessment,
    Programme,
    User,
)
from app.services import calendar, gazetteer
from app.services.errors import ServiceError

# The consent text shown to HR leads has a version; a new text needs a new version and new consent.
CONSENT_VERSION = "2026-11"

PROFILE_FIELDS = ("name", "sector", "headcount_band", "has_works_council", "has_shift_work", "municipality",
                  "has_charta", "has_audit", "has_pflege_guide", "has_pflegekoffer", "caregiver_estimate")
APPLICATION_FIELDS = ("cycle_min_months", "cycle_max_months", "meeting_modes", "weekdays", "times_of_day",
                      "max_travel_km", "mentee_capacity")


def active_consent(company: Company) -> Consent | None:
    return db.session.scalar(
        select(Consent).where(Consent.company_id == company.id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.given_at.desc())
    )


def _require_consent(company: Company) -> None:
    if active_consent(company) is None:
        raise ServiceError(_l("Please give your consent first; without it Tandem stores no data about your company."))


def give_consent(company: Company, *, actor: User, now: datetime) -> Consent:
    """Record explicit consent with its time and text version. Flushes."""
    consent = active_consent(company)
    if consent is not None and consent.text_version == CONSENT_VERSION:
        return consent
    consent = Consent(company_id=company.id, user_id=actor.id, text_version=CONSENT_VERSION, given_at=now)
    db.session.add(consent)
    db.session.flush()
    return consent


def withdraw_consent(company: Company, *, actor: User, now: datetime) -> None:
    """Withdraw consent: processing stops, open and approved applications are withdrawn. Flushes."""
    for consent in db.session.scalars(
        select(Consent).where(Consent.company_id == company.id, Consent.withdrawn_at.is_(None))
    ):
        consent.withdrawn_at = now
    for application in company.applications:
        if application.status != ApplicationStatus.REJECTED:
            application.status = ApplicationStatus.WITHDRAWN
            application.updated_at = now
    db.session.flush()


def resolve_municipality(text: str) -> gazetteer.Place:
    """The one place a municipality input names, or a ServiceError with suggestions."""
    found = gazetteer.find(text)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ServiceError(
            _l("Several places have this name. Please choose one: %(places)s",
               places="; ".join(p.label for p in found)),
            field="municipality",
        )
    suggestions = gazetteer.suggest(text)
    if suggestions:
        raise ServiceError(
            _l("We do not know this municipality. Did you mean: %(places)s?",
               places="; ".join(p.label for p in suggestions)),
            field="municipality",
        )
    raise ServiceError(_l("We do not know this municipality. Please check the spelling."), field="municipality")


def _company_values(company: Company) -> dict:
    return {field: getattr(company, field) for field in PROFILE_FIELDS}


def application_values(application: Application) -> dict:
    return {field: getattr(application, field) for field in APPLICATION_FIELDS} | {
        "questions": application.questions or "",
        "exclusions": [e.name for e in application.exclusions],
        "needs": {t.topic: t.priority for t in application.needs},
        "offers": {t.topic: t.priority for t in application.offers},
    }


def _diff(old: dict, new: dict) -> dict:
    return {key: {"old": old.get(key), "new": value} for key, value in new.items() if old.get(key) != value}


def _approved(company: Company) -> list[Application]:
    return [a for a in company.applications if a.status == ApplicationStatus.APPROVED]


def _propose(application: Application, changes: dict, actor: User, now: datetime) -> ChangeProposal:
    """Merge changes into the application's pending proposal (one at a time), keeping the first 'old' values."""
    proposal = application.pending_proposal
    if proposal is None:
        proposal = ChangeProposal(application=application, changes={}, created_by_id=actor.id, created_at=now)
        db.session.add(proposal)
    merged = dict(proposal.changes)
    for key, change in changes.items():
        old = merged[key]["old"] if key in merged else change["old"]
        if old == change["new"]:
            merged.pop(key, None)
        else:
            merged[key] = {"old": old, "new": change["new"]}
    proposal.changes = merged
    proposal.created_at = now
    if not merged:
        db.session.delete(proposal)
    return proposal


def update_profile(company: Company, values: dict, *, actor: User, now: datetime) -> ChangeProposal | None:
    """Save the company profile; once an application is approved, the change becomes a proposal. Flushes."""
    _require_consent(company)
    values = {key: values[key] for key in PROFILE_FIELDS if key in values}
    place = resolve_municipality(values["municipality"])
    values["municipality"] = place.label
    changes = _diff(_company_values(company), values)
    approved = _approved(company)
    if approved and changes:
        proposal = None
        for application in approved:
            proposal = _propose(application, {f"company.{k}": v for k, v in changes.items()}, actor, now)
        db.session.flush()
        return proposal
    for key, value in values.items():
        setattr(company, key, value)
    company.municipality_geonameid = place.geonameid
    company.latitude, company.longitude = place.latitude, place.longitude
    company.updated_at = now
    db.session.flush()
    return None


def open_programmes(now: datetime) -> list[Programme]:
    """The programmes that accept applications today (their window, see Programme.accepts_applications_on)."""
    today = calendar.local(now).date()
    return list(db.session.scalars(select(Programme).where(Programme.accepting_on(today)).order_by(Programme.name)))


def _match_exclusions(names: list[str], programme: Programme, own_company: Company) -> list[Exclusion]:
    """Link each named company to a registered one of the same name where there is exactly one."""
    rows = []
    for name in names:
        matches = db.session.scalars(
            select(Company.id).where(func.lower(Company.name) == name.lower(), Company.id != own_company.id)
        ).all()
        rows.append(Exclusion(name=name, company_id=matches[0] if len(matches) == 1 else None))
    return rows


def save_application(
    company: Company, programme: Programme, role: str, values: dict, *, actor: User, now: datetime,
    expected_version: int | None = None,
) -> tuple[Application, ChangeProposal | None]:
    """Create or change the company's application to a programme. Flushes."""
    _require_consent(company)
    if values["cycle_min_months"] > values["cycle_max_months"]:
        raise ServiceError(_l("The shortest cycle length must not be longer than the longest."),
                           field="cycle_min_months")
    if role == CompanyRole.MENTOR and not values.get("mentee_capacity"):
        raise ServiceError(_l("Please say how many mentee companies you can take."), field="mentee_capacity")
    if role not in (CompanyRole.MENTOR, CompanyRole.MENTEE):
        raise ServiceError(_l("Please choose mentor or mentee."), field="role")
    application = db.session.scalar(
        select(Application).where(Application.company_id == company.id, Application.programme_id == programme.id)
    )
    if application is None:
        if not programme.accepts_applications_on(calendar.local(now).date()):
            raise ServiceError(_l("This programme does not accept applications at the moment."))
        application = Application(company=company, programme=programme, role=role, created_at=now,
                                  status=ApplicationStatus.DRAFT)
        db.session.add(application)
    elif expected_version is not None and application.version != expected_version:
        raise ServiceError(_l("Someone else has changed this application meanwhile. Please reload the page."))
    if application.status == ApplicationStatus.WITHDRAWN:
        application.status = ApplicationStatus.DRAFT
    if role == CompanyRole.MENTEE:
        values["mentee_capacity"] = None
    names = _clean_names(values.pop("exclusions", []))
    new = {key: values[key] for key in APPLICATION_FIELDS} | {"questions": values.get("questions") or "",
                                                             "exclusions": names}
    if application.status == ApplicationStatus.APPROVED:
        old = application_values(application)
        changes = _diff({k: old[k] for k in new}, new)
        if role != application.role:
            changes["application.role"] = {"old": application.role, "new": role}
        proposal = _propose(application, {f"application.{k}" if "." not in k else k: v
                                          for k, v in changes.items()}, actor, now) if changes else None
        db.session.flush()
        return application, proposal
    apply_application_values(application, new, programme, company)
    application.role = role
    application.updated_at = now
    db.session.flush()
    return application, None


def _clean_names(names: list[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        name = name.strip()[:200]
        if name and name.lower() not in (s.lower() for s in seen):
            seen.append(name)
    return seen[:20]


def apply_application_values(application: Application, new: dict, programme: Programme, company: Company) -> None:
    for key in APPLICATION_FIELDS:
        if key in new:
            setattr(application, key, new[key])
    if "questions" in new:
        application.questions = new["questions"] or None
    if "exclusions" in new:
        application.exclusions = _match_exclusions(new["exclusions"], programme, company)


def set_topics(application: Application, needs: dict[str, int], offers: dict[str, int], *, actor: User,
               now: datetime) -> ChangeProposal | None:
    """Replace the needs (mentees) or strengths (mentors) with priorities 1–3. Flushes."""
    _require_consent(application.company)
    for topic, priority in (needs | offers).items():
        if topic not in maturity.TOPICS or priority not in (1, 2, 3):
            raise ServiceError(_l("Please choose topics from the list, each with a priority."))
    if application.role == CompanyRole.MENTEE:
        offers = {}
    else:
        needs = {}
    if application.status == ApplicationStatus.APPROVED:
        old = application_values(application)
        changes = _diff({"needs": old["needs"], "offers": old["offers"]}, {"needs": needs, "offers": offers})
        proposal = _propose(application, {f"application.{k}": v for k, v in changes.items()}, actor, now) \
            if changes else None
        db.session.flush()
        return proposal
    replace_topics(application, needs, offers)
    application.updated_at = now
    db.session.flush()
    return None


def replace_topics(application: Application, needs: dict[str, int], offers: dict[str, int]) -> None:
    application.topics.clear()
    db.session.flush()
    for kind, chosen in (("need", needs), ("offer", offers)):
        for topic, priority in sorted(chosen.items(), key=lambda item: (item[1], item[0])):
            application.topics.append(ApplicationTopic(kind=kind, topic=topic, priority=priority,
                                                       dimension=maturity.TOPICS[topic].dimension))


def record_assessment(company: Company, answers: dict[str, int | None], comments: dict[str, str], *, actor: User,
                      now: datetime, phase: str = "start") -> MaturityAssessment:
    """Keep a new dated self-assessment; earlier ones stay for comparison. Flushes."""
    _require_consent(company)
    try:
        score = maturity.score_assessment(answers)
    except ValueError as exc:
        raise ServiceError(_l("Please choose one level for each area.")) from exc
    assessment = MaturityAssessment(company=company, phase=phase, overall=score.overall, level=score.level.key,
                                    is_complete=score.is_complete, created_by_id=actor.id, created_at=now)
    for key in maturity.DIMENSION_KEYS:
        comment = (comments.get(key) or "").strip() or None
        assessment.answers.append(MaturityAnswer(dimension=key, score=score.dimensions.get(key), comment=comment))
    db.session.add(assessment)
    db.session.flush()
    return assessment


def latest_assessment(company: Company) -> MaturityAssessment | None:
    return company.assessments[-1] if company.assessments else None


def missing_for_submission(application: Application) -> list:
    """What still has to be filled in before the application can be submitted (empty when complete)."""
    company = application.company
    missing = []
    if not company.has_profile:
        missing.append(_l("the company profile (sector, size, location)"))
    if not company.assessments:
        missing.append(_l("the self-assessment"))
    if application.role == CompanyRole.MENTEE and not application.needs:
        missing.append(_l("at least one need"))
    if application.role == CompanyRole.MENTOR and not application.offers:
        missing.append(_l("at least one strength you want to share"))
    return missing


def submit_application(application: Application, *, actor: User, now: datetime) -> None:
    """Hand the application to the coordinator. Flushes."""
    _require_consent(application.company)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES_REQUESTED):
        raise ServiceError(_l("This application has been submitted already."))
    missing = missing_for_submission(application)
    if missing:
        raise ServiceError(_l("Before you submit, please complete: %(items)s.",
                              items=", ".join(str(m) for m in missing)))
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.updated_at = now
    db.session.flush()
