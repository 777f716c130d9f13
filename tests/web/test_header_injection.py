"""Line breaks and control characters in names that reach mail headers and iCalendar lines: a company, a person, a
meeting's place, a cancellation's reason. Each mail is parsed as it arrived at the SMTP server (the email
package), each calendar file with icalendar: no header and no calendar line more than Tandem wrote, and every mail
still goes out."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.models import Company, MailStatus, MatchingRound, Meeting, MeetingStatus, OutboundEmail, User, utcnow
from app.services import calendar, erasure, mail, meetings

COMPANY = "Firma\r\nBcc: evil@example.org\r\nX-Evil: 1\x1b\x07"
PERSON = "Eva\r\nATTENDEE;CN=Evil:mailto:evil@example.org\nX-EVIL:1\x0b"
PLACE = "Raum 1\rX-EVIL:1\nEND:VEVENT"
REASON = "Krank\r\nBcc: evil@example.org"
HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
           "content-transfer-encoding"}
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def arrived(mailbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(mailbox.folder.glob("*.eml"))]


def assert_one_event_as_written(ics: str, recipient: str) -> Calendar:
    parsed = Calendar.from_ical(ics)
    [event] = parsed.walk("VEVENT")
    names = {name for component in parsed.walk() for name in component}
    assert not {n for n in names if n.startswith("X-EVIL")}, names
    attendees = event.get("ATTENDEE")
    assert not isinstance(attendees, list), attendees  # one attendee: the recipient
    assert str(attendees).lower() == f"mailto:{recipient}"
    for value in (event["SUMMARY"], event.get("LOCATION", ""), attendees.params.get("CN", "")):
        assert not CONTROL.search(str(value)), repr(value)
    # Every line of the file (unfolded) is a property Tandem wrote; no name put one of its own in.
    unfolded = re.sub(r"\r\n[ \t]", "", ics)
    assert not CONTROL.search(unfolded.replace("\r\n", "")), repr(unfolded)  # no control character but the breaks
    assert not [line for line in unfolded.split("\r\n") if line.startswith(("X-EVIL", "BCC"))]
    return parsed


def test_names_with_line_breaks_stay_inside_their_header_and_calendar_line(app, demo_world, mailbox):
    now = utcnow()
    with app.test_request_context():
        round_ = db.session.get(MatchingRound, demo_world["published"])
        group = next(g for g in round_.groups if g.is_active)
        mentor = group.mentor.application.company
        mentor.name = COMPANY
        people = meetings.participants(group)
        for person in people:
            person.full_name = PERSON
        meeting = db.session.scalars(select(Meeting).where(Meeting.group_id == group.id, Meeting.starts_at > now,
                                                           Meeting.status == MeetingStatus.CONFIRMED)
                                     .order_by(Meeting.starts_at)).first()
        meeting.place, meeting.is_in_person = PLACE, True
        lead = next(u for u in people if u.company_id == mentor.id)
        queued = meetings.cancel_meeting(meeting, REASON, actor=lead, now=now)
        queued += erasure.request_leave(mentor, actor=lead, now=now)
        db.session.commit()
        recipients = {m.recipient for m in queued}
        assert len(queued) >= len(people) + 1
        mail.deliver_due(now)
        assert db.session.scalars(select(OutboundEmail.status)).all() == [MailStatus.SENT] * len(queued)
    messages = arrived(mailbox)
    assert len(messages) == len(queued)
    calendars = 0
    for message in messages:
        assert {name.lower() for name in message} <= HEADERS, message.keys()
        assert len(message.get_all("Subject")) == 1 and len(message.get_all("To")) == 1
        assert str(message["To"]) in recipients
        assert not CONTROL.search(str(message["Subject"])), message["Subject"]
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                calendars += 1
                assert_one_event_as_written(part.get_content(), str(message["To"]))
    assert calendars == len(people)
    leave = next(m for m in messages if "Löschung" in str(m["Subject"]))
    assert str(leave["Subject"]).startswith("Firma Bcc: evil@example.org X-Evil: 1 ")


def test_the_subject_line_keeps_a_name_whole_and_the_body_its_line_breaks(app, make):
    """A line break in a name no longer ends the template's Subject line early (the rest went into the body)."""
    from types import SimpleNamespace

    with app.test_request_context():
        queued = mail.queue_mail("k@example.org", "leave_requested", locale="de", now=utcnow(),
                                 company=SimpleNamespace(name="Firma\nmit Umbruch"),
                                 user=SimpleNamespace(full_name="Kim Koordination"), link="https://example.org/x")
        assert queued.subject == "Firma mit Umbruch bittet um Löschung seiner Daten"
        assert "Firma\nmit Umbruch hat" in queued.body_text
        db.session.rollback()


def test_a_mail_the_email_package_refuses_fails_alone(app, make, mailbox):
    """A header the email package refuses (here a recipient with a line break, which no form lets through) marks
    that one mail failed; the mails after it still go out, and no run of the outbox stops at it."""
    now = utcnow()
    with app.test_request_context():
        bad = mail.queue_mail("a@example.org\r\nBcc: evil@example.org", "password_reset", locale="de", now=now,
                              user=SimpleUser("Eva"), link="https://example.org/x")
        good = mail.queue_mail("b@example.org", "password_reset", locale="de", now=now, user=SimpleUser("Bo"),
                               link="https://example.org/y")
        db.session.commit()
        assert mail.deliver_due(now) == 1
        assert db.session.get(OutboundEmail, bad.id).status == MailStatus.FAILED
        assert db.session.get(OutboundEmail, good.id).status == MailStatus.SENT
    assert [str(m["To"]) for m in arrived(mailbox)] == ["b@example.org"]


class SimpleUser:
    def __init__(self, name: str) -> None:
        self.full_name = name


def test_the_calendar_feed_of_a_person_with_a_line_break_in_the_name(app, demo_world):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "hr1@example.org"))
        user.full_name = PERSON
        token = meetings.issue_feed_token(user)
        db.session.commit()
    response = app.test_client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    parsed = Calendar.from_ical(response.data)
    name = str(parsed["X-WR-CALNAME"]).replace("\\;", ";").replace("\\,", ",")  # as the file escapes them
    assert name == "Tandem – " + calendar.plain(PERSON)
    assert not [n for c in parsed.walk() for n in c if n.startswith("X-EVIL")]
    assert b"\r" not in response.data.replace(b"\r\n", b"")


def test_every_company_name_in_a_calendar_file_is_one_line(app, demo_world):
    with app.test_request_context():
        for company in db.session.scalars(select(Company)):
            company.name = COMPANY
        meeting = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONFIRMED)).first()
        method, ics = calendar.invitation(meeting, recipient=("x@example.org", PERSON), now=utcnow(),
                                          link="https://example.org/g")
        parsed = assert_one_event_as_written(ics, "x@example.org")
        [event] = parsed.walk("VEVENT")
        assert calendar.plain(COMPANY) in str(event["SUMMARY"]) and calendar.plain(COMPANY) in str(
            event["DESCRIPTION"])
        assert event["DTEND"].dt - event["DTSTART"].dt > timedelta(0) and method == "REQUEST"
        db.session.rollback()
