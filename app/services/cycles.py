"""The end of a cycle: groups whose end date has passed are closed (the final self-assessment requested, the group
marked completed), each company gets its certificate of participation, and a company can apply for a next cycle.
Services flush; the caller commits (and sends the queued mail afterwards)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from app import maturity
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    ApplicationStatus,
    Attendance,
    Company,
    GroupMember,
    GroupStatus,
    MaturityAssessment,
    Measure,
    MeasureStatus,
    Meeting,
    MeetingStatus,
    MentoringGroup,
    OutboundEmail,
    Programme,
    Response,
    Role,
    SessionRecord,
    User,
)
from app.services import calendar, mail
from app.services.errors import ServiceError
from app.services.sessions import coordinates

# A self-assessment from this long before the cycle's end onwards counts as the final one (the request for it goes
# out three weeks before the end; some answer a little earlier).
FINAL_WINDOW = timedelta(days=42)


# -- closing ---------------------------------------------------------------------------------------------------

def close_ended_groups(now: datetime) -> list[OutboundEmail]:
    """Close every active group whose end date has passed (in Berlin): mark it completed, mark its companies'
    applications completed (they are no longer drawn into rounds until they apply for a next cycle), ask each
    company for its final self-assessment where that was not asked yet, and tell the HR leads that their
    certificate is ready. Each group is claimed with a conditional UPDATE, so that a job run twice (or by two
    processes) closes it and mails once. Flushes; the caller commits and then sends the mail."""
    today = calendar.local(now).date()
    ids = db.session.scalars(select(MentoringGroup.id).where(
        MentoringGroup.status == GroupStatus.ACTIVE, MentoringGroup.ends_on < today)
        .order_by(MentoringGroup.id)).all()
    mails: list[OutboundEmail] = []
    for group_id in ids:
        claimed = db.session.execute(
            update(MentoringGroup).where(MentoringGroup.id == group_id, MentoringGroup.status == GroupStatus.ACTIVE,
                                         MentoringGroup.ends_on < today)
            .values(status=GroupStatus.COMPLETED, completed_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        group = db.session.get(MentoringGroup, group_id, populate_existing=True)
        for member in group.members:
            if member.response == Response.DECLINED:
                continue
            mails += _close_member(group, member, now)
    db.session.flush()
    return mails


def _close_member(group: MentoringGroup, member: GroupMember, now: datetime) -> list[OutboundEmail]:
    application = member.application
    if application.status == ApplicationStatus.APPROVED:
        application.status = ApplicationStatus.COMPLETED
        application.updated_at = now
    # The final self-assessment is asked once: three weeks before the end by the re-assessment job, or here.
    asked_now = db.session.execute(
        update(GroupMember).where(GroupMember.id == member.id, GroupMember.end_assessment_asked_at.is_(None))
        .values(end_assessment_asked_at=now).execution_options(synchronize_session=False)).rowcount == 1
    needs_final = asked_now or final_assessment(application.company, group) is None
    link = current_app.config["BASE_URL"].rstrip("/") + f"/certificates/{member.id}"  # no request in the job
    mails = []
    for lead in application.company.hr_leads:
        if lead.is_active and lead.role == Role.HR_LEAD:
            mails.append(mail.queue_mail(lead.email, "cycle_completed", locale=lead.locale, now=now, user=lead,
                                         group=group, member=member, link=link, needs_final=needs_final))
    return mails


# -- the certificate -------------------------------------------------------------------------------------------

def _complete(company: Company) -> list[MaturityAssessment]:
    return [a for a in company.assessments if a.is_complete]


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), calendar.BERLIN)


def start_assessment(company: Company, group: MentoringGroup) -> MaturityAssessment | None:
    """The self-assessment the company started the cycle with: its latest up to the start day, else its first."""
    done = _complete(company)
    before = [a for a in done if a.created_at < _end_of(group.starts_on)]
    return before[-1] if before else (done[0] if done else None)


def final_assessment(company: Company, group: MentoringGroup) -> MaturityAssessment | None:
    """The self-assessment at the end of the cycle: the latest one marked as final after the start, or from the last
    six weeks of the cycle onwards."""
    start = start_assessment(company, group)
    window = _end_of(group.ends_on) - FINAL_WINDOW
    late = [a for a in _complete(company) if a is not start and a.created_at >= _end_of(group.starts_on)
            and (a.phase == "end" or a.created_at >= window)]
    return late[-1] if late else None


@dataclass(frozen=True)
class MeasureLine:
    title: str
    owner: str
    status: str
    due_on: date | None


@dataclass(frozen=True)
class AreaLine:
    key: str
    title: str
    start: int | None
    end: int | None

    @property
    def change(self) -> int | None:
        return self.end - self.start if self.start is not None and self.end is not None else None


@dataclass(frozen=True)
class Certificate:
    """What a company did in one cycle, as plain values for the page and the PDF."""

    member_id: int
    group_id: int
    company_name: str
    role: str
    programme_name: str
    region: str
    mentor_name: str
    supervisor_name: str | None
    starts_on: date
    ends_on: date
    completed_at: datetime | None
    sessions_held: int
    sessions_attended: int
    measures: list[MeasureLine]
    start: MaturityAssessment | None
    end: MaturityAssessment | None
    areas: list[AreaLine]
    # The programme's carrier (Träger) and its public funding note. ISSUE 15 PARTS 2/3: filled from the programme's
    # carrier and funding note columns once they exist (see _programme_credits); until then None, and the
    # certificate leaves them out.
    carrier: str | None
    funding_note: str | None
    application_id: int
    may_apply_again: bool

    @property
    def measures_done(self) -> int:
        return sum(1 for m in self.measures if m.status == MeasureStatus.DONE)

    @property
    def areas_improved(self) -> int:
        return sum(1 for a in self.areas if a.change and a.change > 0)


def _programme_credits(programme: Programme) -> tuple[str | None, str | None]:
    """The carrier's name and the funding note, where the programme has them (issue 15, parts 2 and 3)."""
    carrier = getattr(programme, "carrier", None)
    carrier_name = getattr(carrier, "name", carrier if isinstance(carrier, str) else None)
    note = getattr(programme, "funding_note", None)
    return (carrier_name or None), (note or None)


def certificate(member: GroupMember) -> Certificate:
    """The certificate of participation of one company in one completed group."""
    group, application = member.group, member.application
    company = application.company
    held = db.session.scalars(
        select(Meeting.id).join(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .where(Meeting.group_id == group.id, Meeting.status == MeetingStatus.CONFIRMED,
               SessionRecord.outcome == "held")).all()
    attended = db.session.scalar(
        select(func.count(func.distinct(Attendance.meeting_id)))
        .where(Attendance.meeting_id.in_(held or [0]), Attendance.application_id == application.id)) or 0
    measures = [MeasureLine(m.title, m.owner, m.status, m.due_on) for m in db.session.scalars(
        select(Measure).where(Measure.group_id == group.id, Measure.application_id == application.id)
        .order_by(Measure.due_on.is_(None), Measure.due_on, Measure.id))]
    start, end = start_assessment(company, group), final_assessment(company, group)
    before, after = (start.scores if start else {}), (end.scores if end else {})
    areas = [AreaLine(d.key, str(d.title), before.get(d.key), after.get(d.key)) for d in maturity.DIMENSIONS]
    carrier, funding_note = _programme_credits(group.programme)
    return Certificate(
        member_id=member.id, group_id=group.id, company_name=company.name, role=member.role,
        programme_name=group.programme.name, region=group.programme.region,
        mentor_name=group.mentor.application.company.name if group.mentor else "",
        supervisor_name=group.supervisor.full_name if group.supervisor else None,
        starts_on=group.starts_on, ends_on=group.ends_on, completed_at=group.completed_at,
        sessions_held=len(held), sessions_attended=int(attended), measures=measures, start=start, end=end,
        areas=areas, carrier=carrier, funding_note=funding_note, application_id=application.id,
        may_apply_again=application.status == ApplicationStatus.COMPLETED)


def may_read_certificate(user: User, member: GroupMember) -> bool:
    """The company's HR lead, its colleagues (who may read the group), and the programme's coordinators; only for
    a completed group and a company that did not decline. Nobody else, administrators included."""
    group = member.group
    if not group.is_completed or member.response == Response.DECLINED:
        return False
    if user.role in (Role.HR_LEAD, Role.COLLEAGUE):
        return user.company_id is not None and user.company_id == member.application.company_id
    return coordinates(user, group)


def readable_certificates(user: User, group: MentoringGroup) -> list[GroupMember]:
    """The places in a completed group whose certificate the user may read (for the group page's links)."""
    if not group.is_completed:
        return []
    return [m for m in group.members if may_read_certificate(user, m)]


# -- coordinators: completed groups apart from running ones -------------------------------------------------------

@dataclass(frozen=True)
class CompletedGroup:
    group_id: int
    mentor_name: str | None
    supervisor_name: str | None
    starts_on: date
    ends_on: date
    completed_at: datetime | None
    companies: list[tuple[int, str]]  # (member id, company name) of the companies that did not decline


def count_completed(programme_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(MentoringGroup).where(
        MentoringGroup.programme_id == programme_id, MentoringGroup.status == GroupStatus.COMPLETED))


def completed_groups(programme_id: int, limit: int = 50) -> list[CompletedGroup]:
    """The programme's completed groups, most recently ended first (at most `limit`), with their companies (for
    the certificate links)."""
    ids = db.session.scalars(select(MentoringGroup.id).where(
        MentoringGroup.programme_id == programme_id, MentoringGroup.status == GroupStatus.COMPLETED)
        .order_by(MentoringGroup.ends_on.desc(), MentoringGroup.id).limit(limit)).all()
    groups = db.session.scalars(
        select(MentoringGroup).where(MentoringGroup.id.in_(ids or [0]))
        .order_by(MentoringGroup.ends_on.desc(), MentoringGroup.id)
        .options(joinedload(MentoringGroup.supervisor),
                 selectinload(MentoringGroup.members).joinedload(GroupMember.application)
                 .joinedload(Application.company))).unique().all()
    return [CompletedGroup(
        group_id=g.id, mentor_name=g.mentor.application.company.name if g.mentor else None,
        supervisor_name=g.supervisor.full_name if g.supervisor else None, starts_on=g.starts_on, ends_on=g.ends_on,
        completed_at=g.completed_at,
        companies=[(m.id, m.application.company.name) for m in g.members if m.response != Response.DECLINED])
        for g in groups]


# -- the next cycle ----------------------------------------------------------------------------------------------

def _accepts_applications(programme: Programme, now: datetime) -> bool:
    """The programme's application window (issue 15, part 3: open from/until); before that part, its open flag."""
    rule = getattr(programme, "accepts_applications_on", None)
    return rule(calendar.local(now).date()) if rule is not None else bool(programme.is_open)


def apply_again(application: Application, *, actor: User, now: datetime) -> Application:
    """Open the company's completed application again as a draft for the programme's next cycle, with all its
    answers kept (the form comes pre-filled); the HR lead checks them and submits as before. Flushes."""
    if application.status != ApplicationStatus.COMPLETED:
        raise ServiceError(_l("Your company can apply for a next cycle once its current cycle has ended."))
    if not _accepts_applications(application.programme, now):
        raise ServiceError(_l("This programme does not accept applications at the moment. The programme "
                              "coordination will tell you when the next call opens."))
    application.status = ApplicationStatus.DRAFT
    application.submitted_at = None  # the last decision stays recorded; the coordinator decides again
    application.updated_at = now
    db.session.flush()
    return application
