"""Group sessions: planning a round, confirming with calendar files, moving and cancelling (UID and SEQUENCE),
reminders exactly once, and the private calendar feed."""
from __future__ import annotations

from datetime import datetime, timedelta

import holidays
import icalendar
import pytest
from sqlalchemy import delete, func, select

from app import demo
from app.extensions import db
from app.models import MatchingRound, Meeting, MeetingStatus, Reminder, User, utcnow
from app.services import calendar, mail, meetings
from app.services.errors import ServiceError
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.dates  # the demo's sessions, reminders and periods depend on the day

HEALTH_WORDS = ("pflegebedürftig", "diagnose", "demenz", "krank")


def _published(app, demo_world) -> MatchingRound:
    return db.session.get(MatchingRound, demo_world["published"])


def _coordinator() -> User:
    return db.session.scalar(select(User).where(User.email == "coordinator@example.org"))


def _event(text: str) -> tuple[icalendar.Calendar, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(text)
    return parsed, next(iter(parsed.walk("VEVENT")))


def test_plan_confirm_move_and_cancel_keep_uid_and_raise_sequence(app, demo_world, mailbox):
    with app.test_request_context(), app.app_context():
        round_ = _published(app, demo_world)
        group_ids = [g.id for g in round_.groups]
        db.session.execute(delete(Meeting).where(Meeting.group_id.in_(group_ids)))
        db.session.commit()
        round_ = _published(app, demo_world)
        outcome = meetings.plan_round(round_, actor=_coordinator(), now=utcnow())
        db.session.commit()
        planned = db.session.scalars(select(Meeting).where(Meeting.group_id.in_(group_ids))).all()
        assert outcome.meetings == len(planned) > 0 and all(m.status == MeetingStatus.PROPOSED for m in planned)
        nrw = holidays.country_holidays("DE", subdiv="NW", years=range(2025, 2030))
        for meeting in planned:
            start = calendar.local(meeting.starts_at)
            assert start.date() not in nrw and start.weekday() < 5
            assert meeting.group.starts_on <= start.date() <= meeting.group.ends_on
        mails = meetings.confirm_round_meetings(round_, actor=_coordinator(), now=utcnow())
        db.session.commit()
        mail.deliver_due(utcnow(), ids=[m.id for m in mails])
        first = min((m for m in planned if m.starts_at > utcnow() + timedelta(days=2)), key=lambda m: m.starts_at)
        uid, recipients = first.uid, {u.email for u in meetings.participants(first.group)}
        assert db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.meeting_id == first.id))
    invitations = [m for m in mailbox.messages() if uid in m.calendar]
    assert {m.recipient for m in invitations} == recipients
    parsed, event = _event(invitations[0].calendar)
    assert parsed["method"] == "REQUEST" and int(event["sequence"]) == 0
    assert event.decoded("dtstart").tzinfo is not None and "Europe/Berlin" in invitations[0].calendar
    assert list(parsed.walk("VTIMEZONE"))
    assert not any(word in (m.body + m.calendar).lower() for m in invitations for word in HEALTH_WORDS)
    # The coordinator moves it by a day through the web page: same UID, SEQUENCE 1, the new time.
    mailbox.clear()
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    with app.app_context():
        meeting = db.session.get(Meeting, first.id)
        old = calendar.local(meeting.starts_at).replace(tzinfo=None)
    for days in range(1, 15):  # the next day that keeps every rule (weekday, no holiday, supervisor free)
        candidate = old + timedelta(days=days)
        page = f"/meetings/{first.id}"
        response = client.post(f"{page}/move", data={"csrf_token": csrf_token(client, page),
                                                     "move-starts_on": candidate.date().isoformat(),
                                                     "move-starts_at": candidate.strftime("%H:%M")})
        if response.status_code == 302:
            break
        assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    else:
        raise AssertionError("no day in the next two weeks was accepted")
    moved = [m for m in mailbox.messages() if uid in m.calendar]
    assert {m.recipient for m in moved} == recipients
    parsed, event = _event(moved[0].calendar)
    assert int(event["sequence"]) == 1 and event["uid"] == uid
    assert event.decoded("dtstart").replace(tzinfo=None) == candidate
    with app.app_context():
        reminder = db.session.scalars(select(Reminder).where(Reminder.meeting_id == first.id)).first()
        meeting = db.session.get(Meeting, first.id)
        assert reminder.due_at == meeting.starts_at - timedelta(days=reminder.days_before)
    # Cancelled: METHOD:CANCEL with a higher SEQUENCE; the other meetings stay.
    mailbox.clear()
    response = client.post(f"/meetings/{first.id}/cancel", data={"csrf_token": csrf_token(client, page),
                                                                 "cancel-reason": "Die Supervisorin ist erkrankt."})
    assert response.status_code == 302
    cancelled = [m for m in mailbox.messages() if uid in m.calendar]
    parsed, event = _event(cancelled[0].calendar)
    assert parsed["method"] == "CANCEL" and int(event["sequence"]) == 2 and event["status"] == "CANCELLED"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.meeting_id == first.id, Reminder.queued_at.is_(None))) == 0
        others = db.session.scalars(select(Meeting).where(Meeting.group_id == first.group_id,
                                                          Meeting.id != first.id)).all()
        assert others and all(m.status == MeetingStatus.CONFIRMED for m in others)


def test_a_move_that_breaks_a_rule_is_refused_with_the_reason(app, demo_world):
    with app.test_request_context(), app.app_context():
        meeting = db.session.scalars(select(Meeting).where(Meeting.starts_at > utcnow() + timedelta(days=3))
                                     .order_by(Meeting.starts_at)).first()
        start = calendar.local(meeting.starts_at).replace(tzinfo=None)
        saturday = start + timedelta(days=(5 - start.weekday()) % 7 or 7)
        nrw = holidays.country_holidays("DE", subdiv="NW", years=[start.year, start.year + 1])
        holiday = next(d for d in sorted(nrw) if d > start.date() and d < meeting.group.ends_on and d.weekday() < 5)
        for when in (saturday, datetime.combine(holiday, start.time()), start.replace(hour=6),
                     datetime.combine(meeting.group.ends_on + timedelta(days=7), start.time())):
            try:
                meetings.move_meeting(meeting, when, actor=_coordinator(), now=utcnow())
            except ServiceError as refused:
                assert refused.field == "starts_on", when
            else:
                raise AssertionError(f"moving to {when} was accepted")
            db.session.rollback()


def test_reminders_are_queued_once_and_never_for_a_meeting_that_has_begun(app, demo_world, mailbox):
    with app.app_context():
        now = utcnow()
        future = db.session.scalars(select(Meeting).where(Meeting.starts_at > now + timedelta(days=2))
                                    .order_by(Meeting.starts_at)).first()
        past = db.session.scalars(select(Meeting).where(Meeting.starts_at < now)).first()
        # One reminder fell due while the scheduler was down; one of a meeting that has already begun.
        db.session.execute(delete(Reminder).where(Reminder.queued_at.is_(None), Reminder.due_at <= now))
        late = Reminder(meeting_id=future.id, user_id=meetings.participants(future.group)[0].id, days_before=30,
                        due_at=now - timedelta(hours=5))
        stale = Reminder(meeting_id=past.id, user_id=meetings.participants(past.group)[0].id, days_before=30,
                         due_at=past.starts_at - timedelta(days=30))
        db.session.add_all([late, stale])
        db.session.commit()
        assert meetings.queue_due_reminders(now) == 1
        assert meetings.queue_due_reminders(now) == 0  # a second run of the job sends nothing again
        mail.deliver_due(now)
        assert db.session.get(Reminder, stale.id).queued_at is None
        recipient = db.session.get(Reminder, late.id).user.email
    reminders = [m for m in mailbox.messages(recipient) if "Erinnerung" in m.subject]
    assert len(reminders) == 1
    assert not any(word in reminders[0].body.lower() for word in HEALTH_WORDS)


def test_private_calendar_feed_lists_the_users_meetings_and_can_be_revoked(app, demo_world):
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONFIRMED)).first()
        user = meetings.participants(meeting.group)[0]
        token = meetings.issue_feed_token(user)
        db.session.commit()
        expected = {m.uid for m in meetings.meetings_for(user)}
        user_id = user.id
    client = app.test_client()
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    parsed = icalendar.Calendar.from_ical(response.data)
    assert {str(e["uid"]) for e in parsed.walk("VEVENT")} == expected and meeting.uid in expected
    with app.app_context():
        meetings.revoke_feed_token(db.session.get(User, user_id))
        db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_supervisor_is_nudged_once_about_a_session_without_notes(app, demo_world, mailbox):
    with app.app_context():
        now = utcnow()
        held = db.session.scalars(select(Meeting).where(Meeting.ends_at < now - timedelta(days=1),
                                                        Meeting.status == MeetingStatus.CONFIRMED)).all()
        assert held
        # The first has its notes; the others (recorded by the demo) are taken back to unrecorded.
        held[0].notes_recorded_at = held[0].ends_at + timedelta(hours=2)
        for meeting in held[1:]:
            meeting.notes_recorded_at = None
        db.session.commit()
        assert meetings.nudge_missing_notes(now) == len(held) - 1
        assert meetings.nudge_missing_notes(now) == 0
        mail.deliver_due(now)
        supervisors = {m.group.supervisor.email for m in held[1:]}
    nudges = [m for m in mailbox.messages() if "dokumentieren" in m.subject]
    assert len(nudges) == len(held) - 1 and {m.recipient for m in nudges} == supervisors


def test_failed_mail_shows_on_the_coordinators_start_page(app, demo_world):
    from app.models import MailStatus, OutboundEmail

    with app.app_context():
        db.session.add(OutboundEmail(recipient="weg@example.org", subject="Einladung", body_text="x",
                                     status=MailStatus.FAILED, attempts=8, last_error="550 no such user"))
        db.session.commit()
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    page = client.get("/coordinator/").get_data(as_text=True)
    assert "weg@example.org" in page and "550 no such user" in page
