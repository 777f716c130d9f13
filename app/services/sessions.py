"""The session log: what a supervisor records after a group session, who may read which part, measures and
their progress, feedback, and the audit of confidential reads. Services flush; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Amendment,
    Application,
    Attendance,
    Company,
    ConfidentialNote,
    Feedback,
    GroupMember,
    GroupStatus,
    Measure,
    MeasureStatus,
    Meeting,
    MeetingStatus,
    MentoringGroup,
    Response,
    Role,
    SessionRecord,
    User,
    programme_coordinator,
)
from app.services import audit, mail
from app.services.errors import ServiceError
from app.services.meetings import meeting_link, participants

EDIT_WINDOW = timedelta(days=14)
FUNCTIONS = ("hr", "management", "works_council", "staff")
OUTCOMES = ("held", "no_show")
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5",
                "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Markdown as safe HTML: raw HTML in the text is not passed through, and the result is sanitised again
    (nh3), so a <script> in a note is shown as text and never runs."""
    html = _markdown.render(text or "")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}}, link_rel="noopener noreferrer",
                      url_schemes={"http", "https", "mailto"})
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


# -- who may read what -----------------------------------------------------------------------------------------

def coordinates(user: User, group: MentoringGroup) -> bool:
    if user.role != Role.COORDINATOR:
        return False
    return db.session.scalar(select(programme_coordinator.c.user_id).where(
        programme_coordinator.c.user_id == user.id,
        programme_coordinator.c.programme_id == group.programme_id)) is not None


def _note(meeting: Meeting) -> ConfidentialNote | None:
    return db.session.scalar(select(ConfidentialNote).where(ConfidentialNote.meeting_id == meeting.id))


def _may_read(user: User, meeting: Meeting, note: ConfidentialNote | None) -> bool:
    author_id = note.author_id if note else meeting.group.supervisor_id
    return user.id == author_id or coordinates(user, meeting.group)


def may_read_confidential(user: User, meeting: Meeting) -> bool:
    """Only the note's author (the group's supervisor) and the programme's coordinators. One query for the note
    (and one for a coordinator's programmes): call it once per request."""
    return _may_read(user, meeting, _note(meeting))


def may_record(user: User, meeting: Meeting) -> bool:
    return user.role == Role.SUPERVISOR and meeting.group.supervisor_id == user.id


def own_application_ids(user: User, group: MentoringGroup) -> set[int]:
    if user.role not in (Role.HR_LEAD, Role.COLLEAGUE):
        return set()
    return {m.application_id for m in group.members if m.application.company_id == user.company_id}


def visible_measures(user: User, group: MentoringGroup) -> list[Measure]:
    """An HR lead sees their own company's measures, and the others' where the group agreed to share them."""
    measures = list(db.session.scalars(select(Measure).where(Measure.group_id == group.id)
                                       .order_by(Measure.due_on.is_(None), Measure.due_on, Measure.id)
                                       .options(joinedload(Measure.application).joinedload(Application.company))))
    if user.role not in (Role.HR_LEAD, Role.COLLEAGUE) or group.shares_measures:
        return measures
    own = own_application_ids(user, group)
    return [m for m in measures if m.application_id in own]


def read_confidential(meeting: Meeting, reader: User, now: datetime) -> ConfidentialNote | None:
    """The confidential note, for those who may read it; every read is audited. Flushes."""
    note = _note(meeting)
    if not _may_read(reader, meeting, note):
        raise ServiceError(_l("Only the supervisor and the programme coordination can read this note."))
    audit.record("read_confidential_note", reader, now, meeting, found=note is not None)
    db.session.flush()
    return note


# -- recording -------------------------------------------------------------------------------------------------

@dataclass
class PersonPresent:
    application_id: int
    person: str
    function: str


@dataclass
class NewMeasure:
    application_id: int
    title: str
    owner: str
    due_on: date | None


def editable(meeting: Meeting, now: datetime) -> bool:
    """The record may be changed for 14 days after the session; later only amendments are added."""
    return now <= meeting.ends_at + EDIT_WINDOW


def record_session(meeting: Meeting, *, outcome: str, questions: str, topics: list[str], minutes: str,
                   present: list[PersonPresent], measures: list[NewMeasure], confidential: str, actor: User,
                   now: datetime) -> SessionRecord:
    """Record a session after it has begun: attendance, questions, topics, minutes, measures and the confidential
    note. Flushes."""
    if not may_record(actor, meeting):
        raise ServiceError(_l("Only the group's supervisor records its sessions."))
    if meeting.status != MeetingStatus.CONFIRMED:
        raise ServiceError(_l("Only a confirmed session can be recorded."))
    if meeting.starts_at > now:
        raise ServiceError(_l("The session has not begun yet."))
    if outcome not in OUTCOMES:
        raise ServiceError(_l("Please say whether the session was held."), "outcome")
    members = {m.application_id for m in meeting.group.members}
    for person in present:
        if person.application_id not in members or person.function not in FUNCTIONS or not person.person.strip():
            raise ServiceError(_l("Each person present needs a name, a company of the group and a function."),
                               "attendance")
    for measure in measures:
        if measure.application_id not in members or not measure.title.strip() or not measure.owner.strip():
            raise ServiceError(_l("Each measure needs a company of the group, what is to be done and who owns it."),
                               "measures")
        if measure.due_on is not None and measure.due_on < meeting.starts_at.date():
            raise ServiceError(_l("A measure cannot be due before the session."), "measures")
    record = db.session.get(SessionRecord, meeting.id)
    if record is not None and not editable(meeting, now):
        raise ServiceError(_l("The 14 days for changes have passed. Add an amendment instead."))
    if record is None:
        record = SessionRecord(meeting_id=meeting.id, recorded_by_id=actor.id, recorded_at=now, outcome=outcome)
        db.session.add(record)
    else:
        record.updated_at = now
    record.outcome, record.questions, record.topics = outcome, questions.strip() or None, sorted(set(topics))
    record.minutes = minutes.strip() or None
    record.attendance = [Attendance(application_id=p.application_id, person=p.person.strip()[:120],
                                    function=p.function) for p in present]
    for measure in measures:
        db.session.add(Measure(group_id=meeting.group_id, meeting_id=meeting.id, application_id=measure.application_id,
                               title=measure.title.strip()[:300], owner=measure.owner.strip()[:120],
                               due_on=measure.due_on, created_at=now))
    note = db.session.scalar(select(ConfidentialNote).where(ConfidentialNote.meeting_id == meeting.id))
    if confidential.strip():
        if note is None:
            db.session.add(ConfidentialNote(meeting_id=meeting.id, author_id=actor.id, body=confidential.strip(),
                                            created_at=now))
        else:
            note.body, note.updated_at = confidential.strip(), now
    elif note is not None:
        db.session.delete(note)
    meeting.notes_recorded_at = meeting.notes_recorded_at or now
    db.session.flush()
    return record


def amend(meeting: Meeting, body: str, *, actor: User, now: datetime) -> Amendment:
    """A visible addition to the minutes, the only change after the edit window."""
    if not may_record(actor, meeting):
        raise ServiceError(_l("Only the group's supervisor records its sessions."))
    record = db.session.get(SessionRecord, meeting.id)
    if record is None:
        raise ServiceError(_l("Record the session first."))
    if not body.strip():
        raise ServiceError(_l("Please write the amendment."), "body")
    amendment = Amendment(meeting_id=meeting.id, body=body.strip(), author_id=actor.id, created_at=now)
    record.amendments.append(amendment)
    db.session.flush()
    return amendment


def update_measure(measure: Measure, status: str, comment: str, *, actor: User, now: datetime) -> None:
    """The HR lead of the measure's company reports progress. Flushes."""
    if actor.role != Role.HR_LEAD or measure.application.company_id != actor.company_id:
        raise ServiceError(_l("Only the company that agreed the measure updates it."))
    if status not in {s.value for s in MeasureStatus}:
        raise ServiceError(_l("Please choose a status."), "status")
    measure.status, measure.comment = status, (comment or "").strip()[:2000] or None
    measure.updated_at, measure.updated_by_id = now, actor.id
    db.session.flush()


def give_feedback(meeting: Meeting, user: User, rating: int, comment: str, *, now: datetime) -> Feedback:
    """A participant rates a held session once (1–5). Flushes."""
    record = db.session.get(SessionRecord, meeting.id)
    if record is None or record.outcome != "held":
        raise ServiceError(_l("Feedback is possible once the session has been held and recorded."))
    if user not in participants(meeting.group) or user.role != Role.HR_LEAD:
        raise ServiceError(_l("Only the companies of the group give feedback."))
    if not 1 <= rating <= 5:
        raise ServiceError(_l("Please choose 1 to 5 stars."), "rating")
    if db.session.scalar(select(Feedback).where(Feedback.meeting_id == meeting.id, Feedback.user_id == user.id)):
        raise ServiceError(_l("You have already given feedback on this session. Thank you!"))
    feedback = Feedback(meeting_id=meeting.id, user_id=user.id, rating=rating,
                        comment=(comment or "").strip()[:2000] or None, created_at=now)
    db.session.add(feedback)
    db.session.flush()
    return feedback


@dataclass
class FeedbackSummary:
    count: int
    average: float | None


def feedback_summary(meeting_ids: list[int]) -> FeedbackSummary:
    """Feedback in aggregate only: how many gave it and the mean rating."""
    if not meeting_ids:
        return FeedbackSummary(0, None)
    count, average = db.session.execute(select(func.count(Feedback.id), func.avg(Feedback.rating)).where(
        Feedback.meeting_id.in_(meeting_ids))).one()
    return FeedbackSummary(int(count or 0), round(float(average), 1) if average is not None else None)


@dataclass
class GroupOverview:
    group_id: int
    starts_on: date
    ends_on: date
    mentor_name: str | None
    supervisor_name: str | None
    planned: int
    held: int
    cancelled: int
    missing_notes: int
    attendance_rate: float | None
    open_measures: int
    overdue_measures: int
    done_measures: int
    feedback: FeedbackSummary

    @property
    def needs_attention(self) -> bool:
        """A session without notes a day after it ended, or a measure past its date, wants the coordinator."""
        return bool(self.missing_notes or self.overdue_measures)


OVERVIEW_SORTS = ("attention", "start", "mentor")


def ask_for_feedback(now: datetime) -> int:
    """The day after a held and recorded session, ask its companies for feedback (once). Commits per session."""
    ids = db.session.scalars(select(Meeting.id).join(SessionRecord, SessionRecord.meeting_id == Meeting.id).where(
        SessionRecord.outcome == "held", Meeting.status == MeetingStatus.CONFIRMED,
        Meeting.ends_at < now - timedelta(hours=20), Meeting.feedback_asked_at.is_(None),
        Meeting.ends_at > now - timedelta(days=14))).all()
    db.session.commit()
    asked = 0
    for meeting_id in ids:
        claimed = db.session.execute(update(Meeting).where(Meeting.id == meeting_id,
                                                           Meeting.feedback_asked_at.is_(None))
                                     .values(feedback_asked_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        meeting = db.session.get(Meeting, meeting_id)
        link = meeting_link(meeting.id)
        for user in participants(meeting.group):
            if user.role == Role.HR_LEAD:
                mail.queue_mail(user.email, "feedback_request", locale=user.locale, now=now, user=user,
                                meeting=meeting, group=meeting.group, link=link)
                asked += 1
        db.session.commit()
    return asked


def ask_for_reassessment(now: datetime) -> int:
    """In the middle and near the end of a group's cycle, ask its companies to repeat their self-assessment
    (once each), so that they see their progress. Commits."""
    today = now.date()
    asked = 0
    groups = db.session.scalars(select(MentoringGroup).where(MentoringGroup.status == GroupStatus.ACTIVE)).all()
    for group in groups:
        middle = group.starts_on + (group.ends_on - group.starts_on) / 2
        closing = group.ends_on - timedelta(days=21)
        for member in group.members:
            if member.response == Response.DECLINED:
                continue
            for phase, due, column in (("middle", middle, "mid_assessment_asked_at"),
                                       ("end", closing, "end_assessment_asked_at")):
                if today < due or getattr(member, column) is not None:
                    continue
                if phase == "middle" and today >= closing:
                    setattr(member, column, now)  # too late for the middle one: the end one follows
                    continue
                setattr(member, column, now)
                for lead in member.application.company.hr_leads:
                    if lead.is_active and lead.role == Role.HR_LEAD:
                        mail.queue_mail(lead.email, "reassessment_request", locale=lead.locale, now=now,
                                        user=lead, group=group, phase=phase, member=member)
                        asked += 1
    db.session.commit()
    return asked


@dataclass
class OverviewPage:
    rows: list[GroupOverview]
    total: int
    needing_attention: int
    page: int
    pages: int


def overviews(programme_id: int, now: datetime, *, sort: str = "attention", attention_only: bool = False,
              page: int = 1, per_page: int = 50) -> OverviewPage:
    """One page of the programme's active groups at a glance for the coordinator: sessions held and planned,
    attendance, measures, feedback and missing notes. Grouped queries of plain values, a fixed number however many
    groups; what orders and filters the list (missing notes, overdue measures, mentor) is counted for every group,
    the rest only for the groups on the page. sort: "attention" (missing notes, then overdue measures, most
    first), "start" or "mentor"."""
    active = (select(MentoringGroup.id).where(MentoringGroup.programme_id == programme_id,
                                              MentoringGroup.status == GroupStatus.ACTIVE).scalar_subquery())
    groups = db.session.execute(
        select(MentoringGroup.id, MentoringGroup.starts_on, MentoringGroup.ends_on, User.full_name)
        .outerjoin(User, User.id == MentoringGroup.supervisor_id).where(MentoringGroup.id.in_(active))
        .order_by(MentoringGroup.starts_on, MentoringGroup.id)).all()
    mentors: dict[int, str] = {}
    companies: dict[int, int] = {}
    for group_id, role, response, name in db.session.execute(
            select(GroupMember.group_id, GroupMember.role, GroupMember.response, Company.name)
            .join(Application, Application.id == GroupMember.application_id)
            .join(Company, Company.id == Application.company_id)
            .where(GroupMember.group_id.in_(active)).order_by(GroupMember.id)):
        if role == "mentor":
            mentors.setdefault(group_id, name)
        if response != Response.DECLINED:
            companies[group_id] = companies.get(group_id, 0) + 1

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # A confirmed session that ended more than a day ago and has no record yet. Counted in CASE rather than
    # filtered in WHERE, so that PostgreSQL reads the meetings by group only (not also the whole status index).
    missing = {group_id: int(n) for group_id, n in db.session.execute(
        select(Meeting.group_id, count((Meeting.status == MeetingStatus.CONFIRMED)
                                       & (Meeting.ends_at < now - timedelta(hours=24))
                                       & SessionRecord.meeting_id.is_(None)))
        .outerjoin(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .where(Meeting.group_id.in_(active)).group_by(Meeting.group_id)) if n}
    is_open = Measure.status.in_((MeasureStatus.OPEN, MeasureStatus.IN_PROGRESS))
    measures = {row.group_id: row for row in db.session.execute(
        select(Measure.group_id, count(is_open).label("open"),
               count(is_open & (Measure.due_on < now.date())).label("overdue"),
               count(Measure.status == MeasureStatus.DONE).label("done"))
        .where(Measure.group_id.in_(active)).group_by(Measure.group_id))}

    def overdue(group_id: int) -> int:
        return int(measures[group_id].overdue) if group_id in measures else 0

    if attention_only:
        groups = [g for g in groups if missing.get(g.id) or overdue(g.id)]
    if sort == "attention":
        groups.sort(key=lambda g: (-missing.get(g.id, 0), -overdue(g.id)))  # stable: by start date within
    elif sort == "mentor":
        groups.sort(key=lambda g: ((mentors.get(g.id) or "").casefold(), g.starts_on, g.id))
    pages = max(1, -(-len(groups) // per_page))
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * per_page:page * per_page]
    shown_ids = [g.id for g in shown] or [0]

    # One row per meeting with its record's outcome and the companies present (each once, however many of its
    # people came), then summed per group. Attendance is aggregated inside, not joined as an aggregated table:
    # without table statistics PostgreSQL re-runs such a joined aggregate for every meeting.
    per_meeting = (
        select(Meeting.group_id, Meeting.status, Meeting.ends_at, SessionRecord.outcome,
               func.count(func.distinct(Attendance.application_id)).label("present"))
        .outerjoin(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .outerjoin(Attendance, Attendance.meeting_id == SessionRecord.meeting_id)
        .where(Meeting.group_id.in_(shown_ids))
        .group_by(Meeting.id, Meeting.group_id, Meeting.status, Meeting.ends_at, SessionRecord.outcome).subquery())
    held = ((per_meeting.c.status == MeetingStatus.CONFIRMED) & (per_meeting.c.ends_at < now)
            & (per_meeting.c.outcome == "held"))
    sessions_ = {row.group_id: row for row in db.session.execute(
        select(per_meeting.c.group_id,
               count(per_meeting.c.status != MeetingStatus.CANCELLED).label("planned"),
               count(per_meeting.c.status == MeetingStatus.CANCELLED).label("cancelled"),
               count(held).label("held"),
               func.coalesce(func.sum(case((held, per_meeting.c.present), else_=0)), 0).label("present"))
        .group_by(per_meeting.c.group_id))}
    feedback = {group_id: FeedbackSummary(int(n), round(float(avg), 1) if avg is not None else None)
                for group_id, n, avg in db.session.execute(
                    select(Meeting.group_id, func.count(Feedback.id), func.avg(Feedback.rating))
                    .join(Feedback, Feedback.meeting_id == Meeting.id)
                    .join(SessionRecord, SessionRecord.meeting_id == Meeting.id)
                    .where(Meeting.group_id.in_(shown_ids), SessionRecord.outcome == "held")
                    .group_by(Meeting.group_id))}
    rows = []
    for group_id, starts_on, ends_on, supervisor_name in shown:
        s, m = sessions_.get(group_id), measures.get(group_id)
        n_held, n_companies = int(s.held) if s else 0, companies.get(group_id, 0)
        rows.append(GroupOverview(
            group_id=group_id, starts_on=starts_on, ends_on=ends_on, mentor_name=mentors.get(group_id),
            supervisor_name=supervisor_name, planned=int(s.planned) if s else 0, held=n_held,
            cancelled=int(s.cancelled) if s else 0, missing_notes=missing.get(group_id, 0),
            attendance_rate=(round(100 * int(s.present) / (n_companies * n_held))
                             if n_held and n_companies else None),
            open_measures=int(m.open) if m else 0, overdue_measures=int(m.overdue) if m else 0,
            done_measures=int(m.done) if m else 0, feedback=feedback.get(group_id, FeedbackSummary(0, None))))
    return OverviewPage(rows=rows, total=len(groups), page=page, pages=pages,
                        needing_attention=sum(1 for g in groups if missing.get(g.id) or overdue(g.id)))
