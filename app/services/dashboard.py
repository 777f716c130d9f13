"""The programme at a glance: the figures coordinators report, for a period, with the charts' data."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select

from app import maturity
from app.extensions import db
from app.models import (
    Application,
    Attendance,
    Company,
    Feedback,
    GroupMember,
    GroupStatus,
    MaturityAnswer,
    MaturityAssessment,
    Measure,
    MeasureStatus,
    Meeting,
    MeetingStatus,
    MentoringGroup,
    Response,
    SessionRecord,
)
from app.services.calendar import local


@dataclass
class Dashboard:
    since: date
    until: date
    companies: dict[tuple[str, str], int]
    groups_active: int
    groups_finished: int
    meetings_held: int
    meetings_planned: int
    meetings_cancelled: int
    attendance_rate: float | None
    feedback_average: float | None
    feedback_count: int
    measures_agreed: int
    measures_done: int
    maturity_first: dict[str, float] = field(default_factory=dict)
    maturity_latest: dict[str, float] = field(default_factory=dict)
    maturity_companies: int = 0
    months: list[tuple[str, int, int]] = field(default_factory=list)  # (month, held, planned)
    score_bins: list[tuple[str, int]] = field(default_factory=list)
    attendance_by_group: list[tuple[str, float]] = field(default_factory=list)


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    return (datetime.combine(since, time.min, UTC), datetime.combine(until + timedelta(days=1), time.min, UTC))


def build(programme_ids: list[int], since: date, until: date, now: datetime) -> Dashboard:
    """Every figure of the dashboard for the programmes and the period (meetings, measures and feedback by date;
    companies, groups and maturity as they stand)."""
    start, end = _bounds(since, until)
    companies = {(role, status): n for role, status, n in db.session.execute(
        select(Application.role, Application.status, func.count()).where(Application.programme_id.in_(programme_ids))
        .group_by(Application.role, Application.status))}
    groups = db.session.execute(select(MentoringGroup.id, MentoringGroup.status, MentoringGroup.ends_on).where(
        MentoringGroup.programme_id.in_(programme_ids))).all()
    group_ids = [g.id for g in groups]
    active = sum(1 for g in groups if g.status == GroupStatus.ACTIVE and g.ends_on >= now.date())
    finished = sum(1 for g in groups if g.status == GroupStatus.COMPLETED
                   or (g.status == GroupStatus.ACTIVE and g.ends_on < now.date()))
    # One row per meeting of the period with the companies present at it (each once, however many of its people
    # came), counted by a subquery per meeting (an index lookup each) rather than joined as an aggregated table,
    # which PostgreSQL without table statistics would run again for every meeting.
    present = (select(func.count(func.distinct(Attendance.application_id)))
               .where(Attendance.meeting_id == SessionRecord.meeting_id).correlate(SessionRecord).scalar_subquery())
    meetings = db.session.execute(
        select(Meeting.group_id, Meeting.starts_at, Meeting.status, SessionRecord.outcome, present)
        .outerjoin(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .where(Meeting.group_id.in_(group_ids or [0]), Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.status != MeetingStatus.PROPOSED)).all()
    # Each group's members (those who did not decline are expected at every session), mentor and match scores.
    members: Counter[int] = Counter()
    mentor_names: dict[int, str] = {}
    scores = []
    for group_id, role, response, score, name in db.session.execute(
            select(GroupMember.group_id, GroupMember.role, GroupMember.response, GroupMember.score, Company.name)
            .join(Application, Application.id == GroupMember.application_id)
            .join(Company, Company.id == Application.company_id)
            .where(GroupMember.group_id.in_(group_ids or [0])).order_by(GroupMember.id)):
        if response != Response.DECLINED:
            members[group_id] += 1
        if role == "mentor":
            mentor_names[group_id] = name
        if score is not None:
            scores.append(score)
    held = planned = cancelled = 0
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_group: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for group_id, starts_at, status, outcome, present in meetings:
        if outcome == "held":
            held += 1
            by_group[group_id][0] += present
            by_group[group_id][1] += members.get(group_id, 0)
        if status == MeetingStatus.CONFIRMED:
            planned += 1
            moment = local(starts_at)
            counts = per_month[f"{moment.year:04d}-{moment.month:02d}"]
            counts[1] += 1
            if outcome == "held":
                counts[0] += 1
        elif status == MeetingStatus.CANCELLED:
            cancelled += 1
    came, expected = sum(v[0] for v in by_group.values()), sum(v[1] for v in by_group.values())
    feedback_count, feedback_avg = db.session.execute(
        select(func.count(Feedback.id), func.avg(Feedback.rating))
        .join(SessionRecord, SessionRecord.meeting_id == Feedback.meeting_id)
        .join(Meeting, Meeting.id == Feedback.meeting_id)
        .where(Meeting.group_id.in_(group_ids or [0]), Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.status != MeetingStatus.PROPOSED, SessionRecord.outcome == "held")).one()
    measures = db.session.execute(select(Measure.status, func.count()).where(
        Measure.group_id.in_(group_ids or [0]), Measure.created_at >= start, Measure.created_at < end)
        .group_by(Measure.status)).all()
    dashboard = Dashboard(
        since=since, until=until, companies=companies, groups_active=active, groups_finished=finished,
        meetings_held=held, meetings_planned=planned, meetings_cancelled=cancelled,
        attendance_rate=round(100 * came / expected, 1) if expected else None,
        feedback_average=round(float(feedback_avg), 2) if feedback_avg is not None else None,
        feedback_count=int(feedback_count or 0), measures_agreed=sum(n for _, n in measures),
        measures_done=sum(n for s, n in measures if s == MeasureStatus.DONE),
        months=[(month, v[0], v[1]) for month, v in sorted(per_month.items())],
        score_bins=_score_bins(scores),
        attendance_by_group=sorted(((mentor_names.get(gid, str(gid)), round(100 * v[0] / v[1], 1))
                                    for gid, v in by_group.items() if v[1]), key=lambda row: row[0]),
    )
    _maturity(dashboard, programme_ids)
    return dashboard


def _score_bins(scores: list[int]) -> list[tuple[str, int]]:
    """Match scores (0–100) of the mentees in the programmes' groups, in bins of ten."""
    bins = Counter(min(9, int(s / 100)) for s in scores)
    return [(f"{10 * b}–{10 * b + 10}", bins.get(b, 0)) for b in range(10)]


def _maturity(dashboard: Dashboard, programme_ids: list[int]) -> None:
    """Mean per area of the mentee companies' first and latest self-assessment (those with two or more).
    Averaged in SQL: a large programme has tens of thousands of answers, which are not worth fetching."""
    mentees = select(Application.company_id).where(Application.programme_id.in_(programme_ids),
                                                   Application.role == "mentee")
    order = (MaturityAssessment.created_at, MaturityAssessment.id)
    ranked = (select(MaturityAssessment.company_id, MaturityAssessment.id,
                     func.row_number().over(partition_by=MaturityAssessment.company_id, order_by=order).label("first"),
                     func.row_number().over(partition_by=MaturityAssessment.company_id,
                                            order_by=[c.desc() for c in order]).label("last"),
                     func.count().over(partition_by=MaturityAssessment.company_id).label("n"))
              .where(MaturityAssessment.company_id.in_(mentees), MaturityAssessment.is_complete.is_(True),
                     MaturityAssessment.id.in_(select(MaturityAnswer.assessment_id)))
              .subquery())
    dashboard.maturity_companies = db.session.scalar(
        select(func.count()).select_from(ranked).where(ranked.c.first == 1, ranked.c.n >= 2)) or 0
    # Per company and area: the first and the latest score, where both were given.
    pairs = (select(MaturityAnswer.dimension,
                    func.max(case((ranked.c.first == 1, MaturityAnswer.score))).label("first"),
                    func.max(case((ranked.c.last == 1, MaturityAnswer.score))).label("latest"))
             .join(ranked, ranked.c.id == MaturityAnswer.assessment_id)
             .where(ranked.c.n >= 2, (ranked.c.first == 1) | (ranked.c.last == 1), MaturityAnswer.score.is_not(None),
                    MaturityAnswer.dimension.in_(maturity.DIMENSION_KEYS))
             .group_by(ranked.c.company_id, MaturityAnswer.dimension).having(func.count(MaturityAnswer.score) == 2)
             .subquery())
    rows = db.session.execute(select(pairs.c.dimension, func.avg(pairs.c.first), func.avg(pairs.c.latest))
                              .group_by(pairs.c.dimension)).all()
    dashboard.maturity_first = {key: round(float(avg), 2) for key, avg, _ in rows}
    dashboard.maturity_latest = {key: round(float(avg), 2) for key, _, avg in rows}
