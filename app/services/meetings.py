"""Group sessions: planning a round's meetings (scheduler.booking), confirming, moving and cancelling them,
reminders, and the invitations with calendar files. Services flush; the caller commits and then sends the mail."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays
from flask import current_app, url_for
from sqlalchemy import and_, case, func, select, update

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    GroupMember,
    GroupStatus,
    MailStatus,
    MatchingRound,
    Meeting,
    MeetingStatus,
    MentoringGroup,
    OutboundEmail,
    Reminder,
    Response,
    Role,
    RoundEvent,
    SessionRecord,
    SupervisorAbsence,
    SupervisorWindow,
    User,
)
from app.services import calendar, mail
from app.services.errors import ServiceError
from scheduler import booking

DEFAULT_WINDOWS = tuple(booking.Window(weekday=d, start=time(8, 30), end=time(18, 0)) for d in range(5))
PROBLEM_TEXTS = {
    "supervisor_unavailable": _l("The supervisor has no time window in the weeks around this date."),
    "holidays_or_absences": _l("Public holidays or the supervisor's absence cover the weeks around this date."),
    "supervisor_overbooked": _l("The supervisor has no free slot left in the weeks around this date."),
    "cycle_too_short": _l("The group's cycle is too short for a meeting."),
}


def to_utc(moment: datetime) -> datetime:
    """A naive local time (Europe/Berlin) as an aware UTC time."""
    return moment.replace(tzinfo=calendar.BERLIN).astimezone(UTC)


def participants(group: MentoringGroup) -> list[User]:
    """Everyone a group's meetings concern: the HR leads of its companies that have not declined, and the
    supervisor."""
    people = [person for member in group.members if member.response != Response.DECLINED
              for person in member.application.company.hr_leads
              if person.is_active and person.role in (Role.HR_LEAD, Role.COLLEAGUE)]
    if group.supervisor is not None and group.supervisor.is_active:
        people.append(group.supervisor)
    return people


def supervisor_calendar(user: User, *, excluding_groups: set[int]) -> booking.SupervisorCalendar:
    windows = tuple(booking.Window(weekday=w.weekday, start=w.starts, end=w.ends) for w in db.session.scalars(
        select(SupervisorWindow).where(SupervisorWindow.user_id == user.id).order_by(SupervisorWindow.weekday)))
    absences = tuple((a.starts_on, a.ends_on) for a in db.session.scalars(
        select(SupervisorAbsence).where(SupervisorAbsence.user_id == user.id)))
    busy = tuple((calendar.local(m.starts_at).replace(tzinfo=None), calendar.local(m.ends_at).replace(tzinfo=None))
                 for m in db.session.scalars(
                     select(Meeting).join(MentoringGroup).where(
                         MentoringGroup.supervisor_id == user.id, Meeting.status == MeetingStatus.CONFIRMED,
                         MentoringGroup.id.not_in(excluding_groups or {0}))))
    return booking.SupervisorCalendar(id=str(user.id), windows=windows or DEFAULT_WINDOWS, absences=absences,
                                      busy=busy)


def settings_for(round_: MatchingRound, time_limit_s: float = 20.0) -> booking.BookingSettings:
    programme = round_.programme
    return booking.BookingSettings(cadence_weeks=programme.cadence_weeks, duration_minutes=programme.meeting_minutes,
                                   travel_buffer_minutes=programme.travel_buffer_minutes,
                                   state_code=programme.state_code, time_limit_s=time_limit_s)


def _group_to_plan(group: MentoringGroup) -> booking.GroupToPlan:
    members = tuple(booking.Company(weekdays=frozenset(m.application.weekdays or ()),
                                    times=frozenset(m.application.times_of_day or ()))
                    for m in group.members if m.response != Response.DECLINED)
    return booking.GroupToPlan(id=str(group.id), supervisor_id=str(group.supervisor_id), starts_on=group.starts_on,
                               ends_on=group.ends_on, in_person=group.mode != "online", members=members)


@dataclass
class PlanOutcome:
    meetings: int
    problems: list[booking.Problem]


def plan_round(round_: MatchingRound, *, actor: User, now: datetime) -> PlanOutcome:
    """Propose the meetings of the round's active groups that have no confirmed meetings yet (replacing earlier
    proposals). Flushes."""
    groups = [g for g in round_.groups if g.is_active and g.supervisor_id
              and not any(m.status == MeetingStatus.CONFIRMED for m in g.meetings)]
    if not groups:
        raise ServiceError(_l("Every group of this round has its meetings already."))
    ids = {g.id for g in groups}
    supervisors = {g.supervisor for g in groups}
    calendars = [supervisor_calendar(s, excluding_groups=ids) for s in supervisors]
    result = booking.plan([_group_to_plan(g) for g in groups], calendars, settings_for(round_))
    for group in groups:
        for meeting in [m for m in group.meetings if m.status == MeetingStatus.PROPOSED]:
            group.meetings.remove(meeting)
    db.session.flush()
    by_id = {str(g.id): g for g in groups}
    for planned in result.meetings:
        group = by_id[planned.group_id]
        group.meetings.append(Meeting(
            number=planned.number, starts_at=to_utc(planned.starts_at), ends_at=to_utc(planned.ends_at),
            status=MeetingStatus.PROPOSED, is_in_person=group.mode != "online",
            place=None if group.mode == "online" else group.mentor.application.company.name + ", "
            + (group.mentor.application.company.municipality or ""),
            uid=f"{uuid.uuid4()}@tandem", created_at=now))
    db.session.flush()
    problems = [{"group": int(p.group_id), "number": p.number, "code": p.code,
                 "target": p.target.isoformat() if p.target else None} for p in result.problems]
    db.session.add(RoundEvent(round_id=round_.id, actor_id=actor.id, kind="plan",
                              details={"meetings": len(result.meetings), "problems": problems}, created_at=now))
    return PlanOutcome(len(result.meetings), list(result.problems))


def _reminders(meeting: Meeting, now: datetime) -> None:
    """Reminder rows for every participant, `reminder_days` before the meeting (none that would already be late)."""
    days = meeting.group.programme.reminder_days or [7, 1]
    for user in participants(meeting.group):
        for before in sorted(set(days)):
            due = meeting.starts_at - timedelta(days=before)
            exists = db.session.scalar(select(Reminder).where(
                Reminder.meeting_id == meeting.id, Reminder.user_id == user.id, Reminder.days_before == before))
            if exists is not None:
                if exists.queued_at is None:
                    exists.due_at = due
                continue
            db.session.add(Reminder(meeting_id=meeting.id, user_id=user.id, days_before=before, due_at=due))


def _invite(meeting: Meeting, template: str, now: datetime, **context) -> list[OutboundEmail]:
    link = url_for("groups.detail", group_id=meeting.group_id, _external=True)
    mails = []
    for user in participants(meeting.group):
        ics = calendar.invitation(meeting, recipient=(user.email, user.full_name), now=now, link=link)
        mails.append(mail.queue_mail(user.email, template, locale=user.locale, now=now, calendar=ics, user=user,
                                     meeting=meeting, group=meeting.group, link=link,
                                     starts=calendar.local(meeting.starts_at), **context))
    return mails


def confirm_round_meetings(round_: MatchingRound, *, actor: User, now: datetime,
                           notify: bool = True) -> list[OutboundEmail]:
    """Confirm the proposed meetings: invitations with calendar files go out (unless the demo loader passes
    notify=False), reminders are set. Flushes."""
    proposed = [m for g in round_.groups if g.is_active for m in g.meetings if m.status == MeetingStatus.PROPOSED]
    if not proposed:
        raise ServiceError(_l("There are no proposed meetings to confirm."))
    mails = []
    for meeting in proposed:
        meeting.status, meeting.updated_at = MeetingStatus.CONFIRMED, now
    db.session.flush()
    for meeting in proposed:
        _reminders(meeting, now)
        if notify:
            mails += _invite(meeting, "meeting_invitation", now)
    db.session.flush()
    db.session.add(RoundEvent(round_id=round_.id, actor_id=actor.id, kind="confirm_meetings",
                              details={"meetings": len(proposed)}, created_at=now))
    return mails


def check_slot(meeting: Meeting, starts_local: datetime) -> None:
    """Refuse a new time that breaks a booking rule, with the reason."""
    group = meeting.group
    programme = group.programme
    duration = timedelta(minutes=programme.meeting_minutes)
    day = starts_local.date()
    if not group.starts_on <= day <= group.ends_on:
        raise ServiceError(_l("The date lies outside the group's cycle (%(start)s to %(end)s).",
                              start=group.starts_on.strftime("%d.%m.%Y"), end=group.ends_on.strftime("%d.%m.%Y")),
                           "starts_on")
    if day in holidays.country_holidays("DE", subdiv=programme.state_code, years=day.year):
        raise ServiceError(_l("This day is a public holiday in the programme's federal state."), "starts_on")
    supervisor = group.supervisor
    if supervisor is not None:
        own = supervisor_calendar(supervisor, excluding_groups=set())
        if not booking.inside_windows(own.windows, starts_local, starts_local + duration):
            raise ServiceError(_l("The supervisor is not available at this time."), "starts_on")
        if any(lo <= day <= hi for lo, hi in own.absences):
            raise ServiceError(_l("The supervisor is absent on this day."), "starts_on")
        pad = timedelta(minutes=programme.travel_buffer_minutes if meeting.is_in_person else 0)
        others = db.session.scalars(select(Meeting).join(MentoringGroup).where(
            MentoringGroup.supervisor_id == supervisor.id, Meeting.id != meeting.id,
            Meeting.status != MeetingStatus.CANCELLED)).all()
        start, end = to_utc(starts_local), to_utc(starts_local + duration)
        for other in others:
            other_pad = timedelta(minutes=programme.travel_buffer_minutes if other.is_in_person else 0)
            if start < other.ends_at + other_pad and other.starts_at < end + pad:
                raise ServiceError(_l("The supervisor has another meeting at this time."), "starts_on")


def move_meeting(meeting: Meeting, starts_local: datetime, *, actor: User, now: datetime) -> list[OutboundEmail]:
    """Move one meeting; the booking rules are checked again. A confirmed meeting's participants get the update
    (same UID, higher SEQUENCE) and its reminders follow the new time. Flushes."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceError(_l("This meeting has been cancelled."))
    if meeting.starts_at <= now:
        raise ServiceError(_l("A meeting that has begun cannot be moved."))
    if to_utc(starts_local) <= now:
        raise ServiceError(_l("The new time lies in the past."), "starts_on")
    check_slot(meeting, starts_local)
    duration = meeting.ends_at - meeting.starts_at
    meeting.starts_at, meeting.ends_at = to_utc(starts_local), to_utc(starts_local) + duration
    meeting.updated_at = now
    if meeting.status != MeetingStatus.CONFIRMED:
        db.session.flush()
        return []
    meeting.sequence += 1
    db.session.flush()
    for reminder in db.session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id)):
        reminder.due_at = meeting.starts_at - timedelta(days=reminder.days_before)
        if reminder.due_at > now:
            reminder.queued_at = None  # the reminder for the new date goes out again
    _record(meeting, "move_meeting", actor, now)
    return _invite(meeting, "meeting_changed", now)


def cancel_meeting(meeting: Meeting, reason: str, *, actor: User, now: datetime) -> list[OutboundEmail]:
    """Cancel one meeting (the others stay); participants get a cancellation for their calendars. Flushes."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceError(_l("This meeting has been cancelled already."))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Please give a reason for the participants."), "reason")
    was_confirmed = meeting.status == MeetingStatus.CONFIRMED
    meeting.status, meeting.cancel_reason, meeting.updated_at = MeetingStatus.CANCELLED, reason[:2000], now
    meeting.sequence += 1
    db.session.flush()
    for reminder in db.session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id,
                                                              Reminder.queued_at.is_(None))):
        db.session.delete(reminder)
    _record(meeting, "cancel_meeting", actor, now)
    return _invite(meeting, "meeting_cancelled", now, reason=meeting.cancel_reason) if was_confirmed else []


def _record(meeting: Meeting, kind: str, actor: User, now: datetime) -> None:
    db.session.add(RoundEvent(round_id=meeting.group.round_id, actor_id=actor.id, kind=kind,
                              details={"group": meeting.group_id, "meeting": meeting.number}, created_at=now))


def queue_due_reminders(now: datetime) -> int:
    """Queue the reminders that are due, each exactly once: the row is claimed with a conditional UPDATE in the
    same transaction that queues its mail. Reminders of meetings that have begun or were cancelled are skipped.
    Commits per reminder (it runs in the scheduler)."""
    due = db.session.scalars(select(Reminder.id).join(Meeting).where(
        Reminder.queued_at.is_(None), Reminder.due_at <= now, Meeting.starts_at > now,
        Meeting.status == MeetingStatus.CONFIRMED).order_by(Reminder.due_at, Reminder.id)).all()
    db.session.commit()
    queued = 0
    for reminder_id in due:
        claimed = db.session.execute(
            update(Reminder).where(Reminder.id == reminder_id, Reminder.queued_at.is_(None))
            .values(queued_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        reminder = db.session.get(Reminder, reminder_id)
        meeting, user = reminder.meeting, reminder.user
        # The days still to go (a reminder that fell due while the scheduler was down says the true number).
        days = max(1, (calendar.local(meeting.starts_at).date() - calendar.local(now).date()).days)
        email = mail.queue_mail(user.email, "meeting_reminder", locale=user.locale, now=now, user=user,
                                meeting=meeting, group=meeting.group, days=days,
                                starts=calendar.local(meeting.starts_at), link=group_link(meeting.group_id))
        reminder.email_id = email.id
        db.session.commit()
        queued += 1
    return queued


def group_link(group_id: int) -> str:
    """A link for mails sent outside a request (the scheduler): from the configured base address."""
    return current_app.config["BASE_URL"].rstrip("/") + f"/groups/{group_id}"


def meeting_link(meeting_id: int) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + f"/meetings/{meeting_id}"


def meetings_for(user: User) -> list[Meeting]:
    """Every confirmed or cancelled meeting of the groups a user takes part in (for the calendar feed)."""
    query = select(Meeting).join(MentoringGroup).where(Meeting.status != MeetingStatus.PROPOSED,
                                                       MentoringGroup.status == GroupStatus.ACTIVE)
    if user.role == Role.SUPERVISOR:
        query = query.where(MentoringGroup.supervisor_id == user.id)
    elif user.role in (Role.HR_LEAD, Role.COLLEAGUE) and user.company_id is not None:
        # Only groups in which the user's company has not declined its place.
        query = query.where(MentoringGroup.id.in_(
            select(GroupMember.group_id).join(Application, GroupMember.application_id == Application.id)
            .where(Application.company_id == user.company_id, GroupMember.response != Response.DECLINED)))
    else:
        return []
    return list(db.session.scalars(query.order_by(Meeting.starts_at)))


def issue_feed_token(user: User) -> str:
    """A new secret for the user's calendar feed; the old link stops working. Flushes."""
    token = secrets.token_urlsafe(24)
    user.calendar_token_hash = hashlib.sha256(token.encode()).hexdigest()
    db.session.flush()
    return token


def revoke_feed_token(user: User) -> None:
    user.calendar_token_hash = None
    db.session.flush()


def user_for_feed(token: str) -> User | None:
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    return db.session.scalar(select(User).where(User.calendar_token_hash == digest, User.is_active.is_(True)))


@dataclass(frozen=True)
class SessionSummary:
    """One group's sessions at a glance: how many are planned (not cancelled), still proposed, recorded as held,
    and the next one (not cancelled, not yet over)."""

    planned: int
    proposed: int
    held: int
    next_id: int | None
    next_starts_at: datetime | None


def session_totals(round_: MatchingRound) -> tuple[int, int]:
    """The sessions of a round's active groups: how many are planned (not cancelled), how many still proposed."""
    planned, proposed = db.session.execute(
        select(func.sum(case((Meeting.status != MeetingStatus.CANCELLED, 1), else_=0)),
               func.sum(case((Meeting.status == MeetingStatus.PROPOSED, 1), else_=0)))
        .join(MentoringGroup, and_(MentoringGroup.id == Meeting.group_id, MentoringGroup.round_id == round_.id,
                                   MentoringGroup.status == GroupStatus.ACTIVE))).one()
    return int(planned or 0), int(proposed or 0)


def session_summaries(round_: MatchingRound, now: datetime, group_ids: list[int]) -> dict[int, SessionSummary]:
    """group id → its session summary, for those of the groups that are active groups of the round; two aggregate
    queries, no meeting objects (a round has thousands of meetings)."""
    in_round = and_(MentoringGroup.id == Meeting.group_id, MentoringGroup.round_id == round_.id,
                    MentoringGroup.status == GroupStatus.ACTIVE, MentoringGroup.id.in_(group_ids or [0]))
    counts = db.session.execute(
        select(Meeting.group_id,
               func.sum(case((Meeting.status != MeetingStatus.CANCELLED, 1), else_=0)).label("planned"),
               func.sum(case((Meeting.status == MeetingStatus.PROPOSED, 1), else_=0)).label("proposed"),
               func.count(SessionRecord.meeting_id).label("held"))
        .join(MentoringGroup, in_round)
        .outerjoin(SessionRecord, and_(SessionRecord.meeting_id == Meeting.id, SessionRecord.outcome == "held"))
        .group_by(Meeting.group_id)).all()
    coming = and_(Meeting.status != MeetingStatus.CANCELLED, Meeting.ends_at > now)
    first = (select(Meeting.group_id, func.min(Meeting.starts_at).label("starts_at"))
             .join(MentoringGroup, in_round).where(coming).group_by(Meeting.group_id).subquery())
    following: dict[int, tuple[int, datetime]] = {}
    for group_id, meeting_id, starts_at in db.session.execute(
            select(Meeting.group_id, Meeting.id, Meeting.starts_at)
            .join(first, and_(first.c.group_id == Meeting.group_id, first.c.starts_at == Meeting.starts_at))
            .where(coming).order_by(Meeting.id)):
        following.setdefault(group_id, (meeting_id, starts_at))
    return {row.group_id: SessionSummary(int(row.planned or 0), int(row.proposed or 0), int(row.held or 0),
                                         *following.get(row.group_id, (None, None)))
            for row in counts}


def default_month(meetings: list[Meeting], today: date) -> date:
    upcoming = [calendar.local(m.starts_at).date() for m in meetings if calendar.local(m.starts_at).date() >= today]
    first = min(upcoming) if upcoming else today
    return first.replace(day=1)


def save_windows(user: User, weekdays: list[int], starts: time, ends: time) -> None:
    """The supervisor's weekly times: the same window on each chosen weekday (replacing the earlier ones)."""
    if not weekdays:
        raise ServiceError(_l("Please choose at least one day."), "weekdays")
    if ends <= starts or (datetime.combine(date.min, ends) - datetime.combine(date.min, starts)) < timedelta(hours=2):
        raise ServiceError(_l("The window must be at least two hours long and end after it starts."), "ends")
    for window in db.session.scalars(select(SupervisorWindow).where(SupervisorWindow.user_id == user.id)):
        db.session.delete(window)
    for day in sorted(set(weekdays)):
        if day not in range(7):
            raise ServiceError(_l("Please choose at least one day."), "weekdays")
        db.session.add(SupervisorWindow(user_id=user.id, weekday=day, starts=starts, ends=ends))
    db.session.flush()


def add_absence(user: User, starts_on: date, ends_on: date, note: str, *, now: datetime) -> SupervisorAbsence:
    if ends_on < starts_on:
        raise ServiceError(_l("The absence must end on or after its first day."), "ends_on")
    if ends_on < now.date():
        raise ServiceError(_l("This absence lies in the past."), "ends_on")
    absence = SupervisorAbsence(user_id=user.id, starts_on=starts_on, ends_on=ends_on, note=note[:200])
    db.session.add(absence)
    db.session.flush()
    return absence


def windows_of(user: User) -> list[SupervisorWindow]:
    return list(db.session.scalars(select(SupervisorWindow).where(SupervisorWindow.user_id == user.id)
                                   .order_by(SupervisorWindow.weekday)))


def absences_of(user: User) -> list[SupervisorAbsence]:
    return list(db.session.scalars(select(SupervisorAbsence).where(SupervisorAbsence.user_id == user.id)
                                   .order_by(SupervisorAbsence.starts_on)))


NUDGE_AFTER = timedelta(hours=24)


def nudge_missing_notes(now: datetime) -> int:
    """Remind a supervisor once when a held session has no notes 24 hours after it ended. Commits per nudge."""
    ids = db.session.scalars(select(Meeting.id).where(
        Meeting.status == MeetingStatus.CONFIRMED, Meeting.ends_at < now - NUDGE_AFTER,
        Meeting.notes_recorded_at.is_(None), Meeting.nudged_at.is_(None))).all()
    db.session.commit()
    sent = 0
    for meeting_id in ids:
        claimed = db.session.execute(update(Meeting).where(Meeting.id == meeting_id, Meeting.nudged_at.is_(None))
                                     .values(nudged_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        meeting = db.session.get(Meeting, meeting_id)
        supervisor = meeting.group.supervisor
        if supervisor is not None and supervisor.is_active:
            mail.queue_mail(supervisor.email, "notes_missing", locale=supervisor.locale, now=now, user=supervisor,
                            meeting=meeting, group=meeting.group, starts=calendar.local(meeting.starts_at),
                            link=group_link(meeting.group_id))
            sent += 1
        db.session.commit()
    return sent


def failed_mails(limit: int = 20) -> list[OutboundEmail]:
    """Mail that could not be delivered after the last try, newest first."""
    return list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.status == MailStatus.FAILED)
                                   .order_by(OutboundEmail.id.desc()).limit(limit)))
