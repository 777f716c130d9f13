"""Journey of issue 7: a supervisor records a session (attendance, minutes, two measures, a confidential note);
an HR lead of the group reads the minutes and updates a measure; nobody of the companies sees the note."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from app import demo
from app.extensions import db
from app.models import Feedback, Measure, Meeting, MeetingStatus, SessionRecord, utcnow
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser
NOTE = "Herr B. wirkt sehr belastet; beim nächsten Mal behutsam nachfragen."


def test_supervisor_records_a_session_and_an_hr_lead_updates_a_measure(page, backend, app, demo_world):
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONFIRMED,
                                                           Meeting.ends_at < utcnow()).order_by(Meeting.starts_at)
                                     ).first()
        # Start from a session that is not yet recorded, ended an hour ago (inside the edit window).
        db.session.execute(delete(Feedback).where(Feedback.meeting_id == meeting.id))
        db.session.execute(delete(Measure).where(Measure.group_id == meeting.group_id))
        db.session.execute(delete(SessionRecord).where(SessionRecord.meeting_id == meeting.id))
        duration = meeting.ends_at - meeting.starts_at
        meeting.ends_at = utcnow().replace(microsecond=0) - duration / 2
        meeting.starts_at = meeting.ends_at - duration
        meeting.notes_recorded_at = None
        db.session.commit()
        meeting_id, group_id = meeting.id, meeting.group_id
        supervisor = meeting.group.supervisor.email
        mentees = [(m.application_id, m.application.company.name, m.application.company.hr_leads[0].email)
                   for m in meeting.group.mentees]
    log_in(page, supervisor, demo.DEMO_PASSWORD)
    page.goto(f"/meetings/{meeting_id}")
    page.locator(f"input[name='att-{mentees[0][0]}-0-name']").fill("Claudia Terhorst")
    page.locator(f"select[name='att-{mentees[0][0]}-0-function']").select_option("hr")
    page.locator(f"input[name='att-{mentees[1][0]}-0-name']").fill("Thomas Böing")
    page.locator(f"select[name='att-{mentees[1][0]}-0-function']").select_option("works_council")
    page.locator("#questions").fill("Wie erreichen wir Beschäftigte, die nicht darüber sprechen?")
    page.locator("#minutes").fill("### Ergebnisse\n\n- Pflege-Lotsin benennen\n- **Infoabend** im Frühjahr")
    for row, (app_id, _, _) in enumerate(mentees[:2]):
        page.locator(f"select[name='measure-{row}-company']").select_option(str(app_id))
        page.locator(f"input[name='measure-{row}-title']").fill(f"Pflege-Lotsin benennen ({row + 1})")
        page.locator(f"input[name='measure-{row}-owner']").fill("Personalleitung")
    page.locator("#confidential").fill(NOTE)
    shot(page, "session-record-form", backend)
    page.locator("form[action$='/record'] button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".minutes strong")).to_have_text("Infoabend")
    shot(page, "session-recorded", backend)
    # The HR lead of a mentee company reads the minutes, not the note, and updates its measure.
    page.locator("form[action$='/logout'] button").first.click()
    log_in(page, mentees[0][2], demo.DEMO_PASSWORD)
    page.goto(f"/meetings/{meeting_id}")
    expect(page.locator(".minutes")).to_contain_text("Pflege-Lotsin benennen")
    assert NOTE not in page.content()
    page.goto(f"/groups/{group_id}")
    row = page.locator("#measures tr", has_text="Pflege-Lotsin benennen (1)")
    row.locator("select[name=status]").select_option("in_progress")
    row.locator("input[name=comment]").fill("Gespräch mit Frau K. geplant")
    row.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert NOTE not in page.content()
    shot(page, "group-measures", backend)
    with app.app_context():
        measure = db.session.scalar(select(Measure).where(Measure.title == "Pflege-Lotsin benennen (1)"))
        assert measure.status == "in_progress" and measure.comment == "Gespräch mit Frau K. geplant"
