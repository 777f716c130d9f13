"""The programme at a glance: the figures coordinators report, for a period, with the charts' data."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

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
    finished = sum(1 for g in groups if g.status == GroupStatus.ACTIVE and g.ends_on < now.date())
    meetings = db.session.execute(
        select(Meeting.id, Meeting.group_id, Meeting.starts_at, Meeting.status, SessionRecord.outcome)
        .outerjoin(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .where(Meeting.group_id.in_(group_ids or [0]), Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.status != MeetingStatus.PROPOSED)).all()
    held = [m for m in meetings if m.outcome == "held"]
    planned = [m for m in meetings if m.status == MeetingStatus.CONFIRMED]
    cancelled = [m for m in meetings if m.status == MeetingStatus.CANCELLED]
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for m in planned:
        key = local(m.starts_at).strftime("%Y-%m")
        per_month[key][1] += 1
        if m.outcome == "held":
            per_month[key][0] += 1
    members = Counter(dict(db.session.execute(select(GroupMember.group_id, func.count()).where(
        GroupMember.group_id.in_(group_ids or [0]), GroupMember.response != Response.DECLINED)
        .group_by(GroupMember.group_id)).all()))
    present = dict(db.session.execute(select(Attendance.meeting_id, func.count(func.distinct(
        Attendance.application_id))).where(Attendance.meeting_id.in_([m.id for m in held] or [0]))
        .group_by(Attendance.meeting_id)).all())
    by_group: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for m in held:
        by_group[m.group_id][0] += present.get(m.id, 0)
        by_group[m.group_id][1] += members.get(m.group_id, 0)
    came, expected = sum(v[0] for v in by_group.values()), sum(v[1] for v in by_group.values())
    feedback_count, feedback_avg = db.session.execute(select(func.count(Feedback.id), func.avg(Feedback.rating))
                                                      .where(Feedback.meeting_id.in_([m.id for m in held] or [0]))
                                                      ).one()
    measures = db.session.execute(select(Measure.status, func.count()).where(
        Measure.group_id.in_(group_ids or [0]), Measure.created_at >= start, Measure.created_at < end)
        .group_by(Measure.status)).all()
    names = dict(db.session.execute(
        select(MentoringGroup.id, Application.id).join(GroupMember, GroupMember.group_id == MentoringGroup.id)
        .join(Application, GroupMember.application_id == Application.id)
        .where(MentoringGroup.id.in_(group_ids or [0]), GroupMember.role == "mentor")).all())
    mentor_names = _company_names(list(names.values()))
    dashboard = Dashboard(
        since=since, until=until, companies=companies, groups_active=active, groups_finished=finished,
        meetings_held=len(held), meetings_planned=len(planned), meetings_cancelled=len(cancelled),
        attendance_rate=round(100 * came / expected, 1) if expected else None,
        feedback_average=round(float(feedback_avg), 2) if feedback_avg is not None else None,
        feedback_count=int(feedback_count or 0), measures_agreed=sum(n for _, n in measures),
        measures_done=sum(n for s, n in measures if s == MeasureStatus.DONE),
        months=[(month, v[0], v[1]) for month, v in sorted(per_month.items())],
        score_bins=_score_bins(group_ids),
        attendance_by_group=sorted(((mentor_names.get(names.get(gid), str(gid)), round(100 * v[0] / v[1], 1))
                                    for gid, v in by_group.items() if v[1]), key=lambda row: row[0]),
    )
    _maturity(dashboard, programme_ids)
    return dashboard


def _company_names(application_ids: list[int]) -> dict[int, str]:
    return dict(db.session.execute(select(Application.id, Company.name).join(Company)
                                   .where(Application.id.in_(application_ids or [0]))).all())


def _score_bins(group_ids: list[int]) -> list[tuple[str, int]]:
    """Match scores (0–100) of the mentees in the programmes' groups, in bins of ten."""
    scores = db.session.scalars(select(GroupMember.score).where(GroupMember.group_id.in_(group_ids or [0]),
                                                                GroupMember.score.is_not(None))).all()
    bins = Counter(min(9, int(s / 100)) for s in scores)
    return [(f"{10 * b}–{10 * b + 10}", bins.get(b, 0)) for b in range(10)]


def _maturity(dashboard: Dashboard, programme_ids: list[int]) -> None:
    """Mean per area of the mentee companies' first and latest self-assessment (those with two or more)."""
    company_ids = db.session.scalars(select(Application.company_id).where(
        Application.programme_id.in_(programme_ids), Application.role == "mentee")).all()
    rows = db.session.execute(
        select(MaturityAssessment.company_id, MaturityAssessment.id, MaturityAnswer.dimension, MaturityAnswer.score)
        .join(MaturityAnswer).where(MaturityAssessment.company_id.in_(company_ids or [0]),
                                    MaturityAssessment.is_complete.is_(True))
        .order_by(MaturityAssessment.company_id, MaturityAssessment.created_at, MaturityAssessment.id)).all()
    by_company: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)
    for company_id, assessment_id, dimension, score in rows:
        by_company[company_id].setdefault(assessment_id, {})[dimension] = score
    firsts, latests = defaultdict(list), defaultdict(list)
    for assessments in by_company.values():
        if len(assessments) < 2:
            continue
        ordered = list(assessments.values())
        for key in maturity.DIMENSION_KEYS:
            if ordered[0].get(key) is not None and ordered[-1].get(key) is not None:
                firsts[key].append(ordered[0][key])
                latests[key].append(ordered[-1][key])
    dashboard.maturity_companies = sum(1 for a in by_company.values() if len(a) >= 2)
    dashboard.maturity_first = {k: round(sum(v) / len(v), 2) for k, v in firsts.items()}
    dashboard.maturity_latest = {k: round(sum(v) / len(v), 2) for k, v in latests.items()}
