"""Journey of issue 6: the coordinator reviews and confirms the proposed group sessions of a published round,
moves one meeting, and the participants' mails arrive with the new time and an updated calendar entry."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import MatchingRound, Meeting, User, utcnow
from app.services import calendar, meetings, rounds
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser


def _publish_draft_round(app, round_id: int) -> None:
    """The demo's draft round, solved and published (what the rounds journey does in the browser)."""
    with app.test_request_context(), app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        run = rounds.request_run(db.session.get(MatchingRound, round_id), actor=coordinator, now=utcnow())
        db.session.commit()
        rounds.execute_run(run.id, now_fn=utcnow)
        rounds.publish_round(db.session.get(MatchingRound, round_id), actor=coordinator, now=utcnow(), notify=False)
        db.session.commit()


def test_coordinator_confirms_the_plan_and_moves_a_meeting(page, backend, app, demo_world, mailbox):
    _publish_draft_round(app, demo_world["draft"])
    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(f"/coordinator/rounds/{demo_world['draft']}#meetings")
    page.locator("form[action$='/meetings/plan'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_text("vorgeschlagen").first).to_be_visible()
    shot(page, "meetings-proposed", backend)
    page.locator(f"a[href$='/rounds/{demo_world['draft']}/calendar']").click()
    expect(page.locator("table.calendar-grid")).to_be_visible()
    shot(page, "meetings-calendar", backend)
    page.go_back()
    page.locator("form[action$='/meetings/confirm'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        meeting = min((m for g in round_.groups for m in g.meetings), key=lambda m: m.starts_at)
        meeting_id, uid = meeting.id, meeting.uid
        old = calendar.local(meeting.starts_at).replace(tzinfo=None)
        recipients = {u.email for u in meetings.participants(meeting.group)}
    assert all(any(uid in m.calendar for m in mailbox.messages(email)) for email in recipients)
    mailbox.clear()
    page.goto(f"/meetings/{meeting_id}")
    shot(page, "meeting-detail", backend)
    for days in range(1, 15):  # the next day on which the planner's rules allow the same time
        new = old + timedelta(days=days)
        page.locator("#move-starts_on").fill(new.date().isoformat())
        page.locator("#move-starts_at").fill(new.strftime("%H:%M"))
        page.locator("form[action$='/move'] [type=submit]").click()
        if page.locator(".alert-success").count():
            break
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "meeting-moved", backend)
    with app.app_context():
        assert calendar.local(db.session.get(Meeting, meeting_id).starts_at).replace(tzinfo=None) == new
    for email in recipients:
        mails = [m for m in mailbox.messages(email) if uid in m.calendar]
        assert mails, email
        event = next(iter(icalendar.Calendar.from_ical(mails[-1].calendar).walk("VEVENT")))
        assert event.decoded("dtstart").replace(tzinfo=None) == new and int(event["sequence"]) == 1
        assert new.strftime("%H:%M") in mails[-1].body
