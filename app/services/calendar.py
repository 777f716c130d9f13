"""iCalendar (RFC 5545) files for group sessions: invitations, updates, cancellations and private feeds.

Times are in Europe/Berlin with its VTIMEZONE; each meeting keeps one UID, and SEQUENCE rises with every change
sent out, so Outlook and Thunderbird update the entry they have instead of adding a second one. Entries carry
names of companies, the time, the place and a link, never anything about anyone's caregiving.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from app.models import Meeting, MeetingStatus

BERLIN = ZoneInfo("Europe/Berlin")
PRODID = "-//Tandem//Unternehmens-Mentoring//DE"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def local(moment: datetime) -> datetime:
    return moment.astimezone(BERLIN)


def plain(text: str) -> str:
    """A name as one line of text: RFC 5545 allows no control characters in a value (a line break in a name would
    start a line of its own in some programs, and icalendar refuses it in a parameter), so they become spaces."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def meeting_title(meeting: Meeting) -> str:
    mentor = meeting.group.mentor
    name = plain(mentor.application.company.name) if mentor else ""
    return f"Tandem: Gesprächsrunde {meeting.number} – Gruppe {name}"


def _event(meeting: Meeting, now: datetime, link: str | None, attendees: Iterable[tuple[str, str]] = ()) -> Event:
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", local(meeting.starts_at))
    event.add("dtend", local(meeting.ends_at))
    event.add("summary", meeting_title(meeting))
    place = plain(meeting.place or "") or ("Online" if not meeting.is_in_person else "")
    if place:
        event.add("location", place)
    companies = ", ".join(plain(m.application.company.name) for m in meeting.group.members)
    description = f"Unternehmen: {companies}"
    if link:
        description += f"\n{link}"
        event.add("url", link)
    event.add("description", description)
    cancelled = meeting.status == MeetingStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender.split("<")[-1].rstrip(">").strip()
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText("Tandem")
    event.add("organizer", organizer)
    for email, name in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(plain(name))
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def invitation(meeting: Meeting, *, recipient: tuple[str, str], now: datetime, link: str | None) -> tuple[str, str]:
    """(METHOD, text) of the invitation, update or cancellation of one meeting for one participant."""
    method = "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"
    calendar = _calendar(method)
    calendar.add_component(_event(meeting, now, link, [recipient]))
    calendar.add_missing_timezones()
    return method, calendar.to_ical().decode("utf-8")


def feed(meetings: Iterable[Meeting], *, now: datetime, name: str) -> bytes:
    """A subscribable calendar with all of a person's meetings (cancelled ones marked as such)."""
    calendar = _calendar(None)
    calendar.add("x-wr-calname", vText(plain(name)))
    for meeting in meetings:
        calendar.add_component(_event(meeting, now, None))
    calendar.add_missing_timezones()
    return calendar.to_ical()
