"""The session log: who reads which note, hostile Markdown, the edit window, measures and feedback."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from app import demo
from app.extensions import db
from app.models import AuditEvent, Feedback, Measure, Meeting, MeetingStatus, SessionRecord, User, utcnow
from app.services import sessions
from app.services.errors import ServiceError
from tests.conftest import csrf_token, login

SECRET = "Frau K. pflegt ihren Vater seit März"
HOSTILE = ("<script>alert('x')</script>\n\n[klick](javascript:alert(1))\n\n"
           "<img src=x onerror=alert(2)>\n\n**Fett** und eine Liste:\n\n- eins\n- zwei")


def _held_meeting(app) -> dict:
    """A past confirmed session of the demo's published round, recorded by its supervisor with a confidential
    note, hostile Markdown in the minutes and one measure per company."""
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.CONFIRMED,
                                                           Meeting.ends_at < utcnow())
                                     .order_by(Meeting.starts_at)).first()
        group = meeting.group
        supervisor = group.supervisor
        # The demo recorded this session already: start from an unrecorded one.
        db.session.execute(delete(Feedback).where(Feedback.meeting_id == meeting.id))
        db.session.execute(delete(Measure).where(Measure.group_id == group.id))
        db.session.delete(db.session.get(SessionRecord, meeting.id))
        db.session.flush()
        members = [(m.application_id, m.application.company.hr_leads[0].email) for m in group.members]
        sessions.record_session(
            meeting, outcome="held", questions="Wie sprechen wir Pflege an?", topics=[], minutes=HOSTILE,
            present=[sessions.PersonPresent(members[0][0], "Anja Beispiel", "hr")],
            measures=[sessions.NewMeasure(app_id, f"Maßnahme {i}", "Personalabteilung", None)
                      for i, (app_id, _) in enumerate(members)],
            confidential=SECRET, actor=supervisor, now=meeting.ends_at + timedelta(hours=1))
        db.session.commit()
        other = db.session.scalar(select(User).where(User.role == "hr_lead", User.company_id.not_in(
            [m.application.company_id for m in group.members])))
        return {"meeting": meeting.id, "group": group.id, "supervisor": supervisor.email, "members": members,
                "outsider": other.email}


def _client(app, email):
    client = app.test_client()
    login(client, email, demo.DEMO_PASSWORD)
    return client


def _audits(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "read_confidential_note"))


def test_confidential_note_reaches_only_its_author_and_the_coordinators_and_every_read_is_logged(app, demo_world):
    held = _held_meeting(app)
    page = f"/meetings/{held['meeting']}"
    # The companies of the group read the minutes but never the note: not on any page, feed or export.
    member = _client(app, held["members"][1][1])
    for path in (page, f"/groups/{held['group']}", "/hr/"):
        body = member.get(path).get_data(as_text=True)
        assert SECRET not in body, path
    assert "Wie sprechen wir Pflege an?" in member.get(page).get_data(as_text=True)
    assert member.get(f"{page}/confidential").status_code == 403
    with app.app_context():
        from app.services import meetings

        token = meetings.issue_feed_token(db.session.scalar(select(User).where(
            User.email == held["members"][1][1])))
        db.session.commit()
    assert SECRET not in member.get(f"/calendar/{token}.ics").get_data(as_text=True)
    outsider = _client(app, held["outsider"])
    assert outsider.get(page).status_code == 404
    # The supervisor (author) and the coordinator read it; each read is one audit row. Admins do not.
    before = _audits(app)
    supervisor = _client(app, held["supervisor"])
    assert f"{page}/confidential" in supervisor.get(page).get_data(as_text=True)  # past the edit window: a link
    assert SECRET in supervisor.get(f"{page}/confidential").get_data(as_text=True)
    coordinator = _client(app, "coordinator@example.org")
    assert SECRET not in coordinator.get(page).get_data(as_text=True)  # only behind the logged read
    assert SECRET in coordinator.get(f"{page}/confidential").get_data(as_text=True)
    assert _audits(app) == before + 2
    coordinator_export = coordinator.get(f"/coordinator/rounds/{demo_world['published']}/instance.json")
    assert SECRET not in coordinator_export.get_data(as_text=True)
    admin = _client(app, "admin@example.org")
    assert admin.get(f"{page}/confidential").status_code == 403


def test_hostile_markdown_is_shown_as_text_and_never_runs(app, demo_world):
    held = _held_meeting(app)
    body = _client(app, held["members"][0][1]).get(f"/meetings/{held['meeting']}").get_data(as_text=True)
    minutes = body[body.index('class="border rounded p-3 my-2 minutes"'):]
    minutes = minutes[:minutes.index("</div>")]
    # No tag of the text survives as a tag, and no link leads to script: all of it is shown as text.
    assert "<script" not in minutes and "<img" not in minutes and 'href="javascript' not in minutes
    assert "&lt;script&gt;" in minutes and "&lt;img src=x onerror=alert(2)&gt;" in minutes
    assert "<strong>Fett</strong>" in minutes and "<li>eins</li>" in minutes


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<a href='javascript:x'>a</a>",
                                  "[a](javascript:alert(1))", "<iframe src=x></iframe>",
                                  "<svg onload=alert(1)>", "![x](x onerror=alert(1))"])
def test_render_markdown_sanitises(text):
    """Parsed as a browser would: only harmless tags, no event handlers, links only to http(s) or mailto."""
    from html.parser import HTMLParser

    found: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(str(sessions.render_markdown(text)))
    for tag, attrs in found:
        assert tag in sessions.ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ("href", "rel"), (tag, name)
            if name == "href":
                assert value.split(":")[0] in ("http", "https", "mailto") or ":" not in value, value


@pytest.mark.dates
def test_edits_close_after_fourteen_days_and_amendments_stay_visible(app, demo_world):
    held = _held_meeting(app)
    with app.app_context():
        meeting = db.session.get(Meeting, held["meeting"])
        supervisor = meeting.group.supervisor
        late = meeting.ends_at + timedelta(days=15)
        with pytest.raises(ServiceError):
            sessions.record_session(meeting, outcome="held", questions="", topics=[], minutes="neu", present=[],
                                    measures=[], confidential="", actor=supervisor, now=late)
        db.session.rollback()
        sessions.amend(meeting, "Nachtrag: Termin für den Leitfaden ist der 1. Juli.", actor=supervisor, now=late)
        db.session.commit()
    body = _client(app, held["members"][0][1]).get(f"/meetings/{held['meeting']}").get_data(as_text=True)
    assert "Nachtrag: Termin für den Leitfaden" in body and "&lt;script&gt;" in body


def test_measures_are_updated_by_their_own_company_only(app, demo_world):
    held = _held_meeting(app)
    with app.app_context():
        measures = {m.application_id: m.id for m in db.session.scalars(select(Measure))}
    own_app, own_email = held["members"][1]
    other_app = held["members"][0][0]
    client = _client(app, own_email)
    group_page = f"/groups/{held['group']}"
    client.post(f"/measures/{measures[own_app]}", data={"csrf_token": csrf_token(client, group_page),
                                                        "status": "in_progress", "comment": "Entwurf steht"})
    client.post(f"/measures/{measures[other_app]}", data={"csrf_token": csrf_token(client, group_page),
                                                          "status": "done", "comment": "fremd"})
    with app.app_context():
        assert db.session.get(Measure, measures[own_app]).status == "in_progress"
        assert db.session.get(Measure, measures[other_app]).status == "open"


def test_feedback_is_given_once_and_shown_in_aggregate_only(app, demo_world):
    held = _held_meeting(app)
    page = f"/meetings/{held['meeting']}"
    for (_, email), rating in zip(held["members"], (5, 3), strict=False):
        client = _client(app, email)
        response = client.post(f"{page}/feedback", data={"csrf_token": csrf_token(client, page),
                                                        "feedback-rating": rating,
                                                        "feedback-comment": f"Kommentar {rating}"})
        assert response.status_code == 302
        again = client.post(f"{page}/feedback", data={"csrf_token": csrf_token(client, page), "feedback-rating": 1})
        assert again.status_code == 200
    supervisor_page = _client(app, held["supervisor"]).get(page).get_data(as_text=True)
    assert "4.0" in supervisor_page and "Kommentar 5" not in supervisor_page


@pytest.mark.dates
def test_feedback_is_asked_once_the_day_after_a_held_session(app, demo_world, mailbox):
    held = _held_meeting(app)
    with app.app_context():
        meeting = db.session.get(Meeting, held["meeting"])
        # Other held sessions of the demo fall into the same window on some days: they count as asked already,
        # so that this session's companies are the only ones to ask, whatever the day.
        db.session.execute(update(Meeting).where(Meeting.id != meeting.id).values(feedback_asked_at=meeting.ends_at))
        meeting.feedback_asked_at = None
        db.session.commit()
        assert sessions.ask_for_feedback(meeting.ends_at + timedelta(hours=10)) == 0  # the same evening: not yet
        assert sessions.ask_for_feedback(meeting.ends_at + timedelta(days=15)) == 0  # two weeks on: no longer
        now = meeting.ends_at + timedelta(hours=26)
        assert sessions.ask_for_feedback(now) == len(held["members"])
        assert sessions.ask_for_feedback(now) == 0  # once
        from app.services import mail

        mail.deliver_due(utcnow())
    requests = [m for m in mailbox.messages() if f"/meetings/{held['meeting']}" in m.body]
    assert {m.recipient for m in requests} == {email for _, email in held["members"]}


@pytest.mark.dates
def test_companies_are_asked_to_reassess_in_the_middle_and_near_the_end(app, demo_world, mailbox):
    from app.models import GroupMember, MentoringGroup

    with app.app_context():
        # The running groups (the demo's other programme has a completed one).
        groups = db.session.scalars(select(MentoringGroup).where(MentoringGroup.status == "active")).all()
        for member in (m for g in groups for m in g.members):
            member.mid_assessment_asked_at = member.end_assessment_asked_at = None
        db.session.commit()
        group = groups[0]
        middle = datetime.combine(group.starts_on + (group.ends_on - group.starts_on) / 2, time(9), UTC)
        # Every company of every group whose middle has come (the demo's groups share their dates).
        count = sum(len(g.members) for g in groups if g.starts_on + (g.ends_on - g.starts_on) / 2 <= middle.date())
        assert sessions.ask_for_reassessment(middle - timedelta(days=2)) == 0
        assert sessions.ask_for_reassessment(middle) == count
        assert sessions.ask_for_reassessment(middle) == 0
        end = datetime.combine(group.ends_on - timedelta(days=20), time(9), UTC)
        ending = sum(len(g.members) for g in groups if g.ends_on - timedelta(days=21) <= end.date())
        assert sessions.ask_for_reassessment(end) == ending
        assert all(m.end_assessment_asked_at for m in db.session.scalars(select(GroupMember).where(
            GroupMember.group_id == group.id)))
        from app.services import mail

        mail.deliver_due(end)  # the mails were queued at those (future) times
    assert any("phase=middle" in m.body for m in mailbox.messages())
    assert any("phase=end" in m.body for m in mailbox.messages())


def test_an_hr_lead_invites_a_colleague_who_reads_but_does_not_change(app, demo_world, mailbox):
    held = _held_meeting(app)
    lead_email = held["members"][1][1]
    lead = _client(app, lead_email)
    lead.post("/hr/colleagues", data={"csrf_token": csrf_token(lead, "/hr/"), "email": "betriebsrat@example.org"})
    link = mailbox.last_link("betriebsrat@example.org")
    path = link.split("://", 1)[1].split("/", 1)[1]
    colleague = app.test_client()
    page = colleague.get(f"/{path}")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = colleague.post(f"/{path}", data={"csrf_token": token, "full_name": "Bernd Betriebsrat",
                                                "password": "Pflegekoffer-im-Sommer-2026",
                                                "password_confirm": "Pflegekoffer-im-Sommer-2026"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/groups/")
    assert f"/groups/{held['group']}" in colleague.get("/groups/").get_data(as_text=True)
    body = colleague.get(f"/meetings/{held['meeting']}").get_data(as_text=True)
    assert "Wie sprechen wir Pflege an?" in body and SECRET not in body
    assert colleague.get(f"/meetings/{held['meeting']}/confidential").status_code == 403
    with app.app_context():
        measure_id = db.session.scalars(select(Measure.id)).first()
        from app.services import meetings

        meeting = db.session.get(Meeting, held["meeting"])
        assert "betriebsrat@example.org" in {u.email for u in meetings.participants(meeting.group)}
    fresh = csrf_token(colleague, f"/groups/{held['group']}")
    assert colleague.post(f"/measures/{measure_id}", data={"csrf_token": fresh, "status": "done"}).status_code == 403
    assert colleague.get("/hr/").status_code == 403


def _reference_overview(group, now) -> tuple:
    """The groups overview's figures for one group, counted from its objects the plain way."""
    meetings = list(group.meetings)
    records = {m.id: db.session.get(SessionRecord, m.id) for m in meetings}
    past = [m for m in meetings if m.status == MeetingStatus.CONFIRMED and m.ends_at < now]
    held = [m for m in past if records[m.id] is not None and records[m.id].outcome == "held"]
    companies = sum(1 for m in group.members if m.response != "declined")
    present = sum(len({a.application_id for a in records[m.id].attendance}) for m in held)
    measures = db.session.scalars(select(Measure).where(Measure.group_id == group.id)).all()
    open_ = [x for x in measures if x.status in ("open", "in_progress")]
    ratings = [f.rating for m in held for f in db.session.scalars(select(Feedback).where(Feedback.meeting_id == m.id))]
    return (sum(1 for m in meetings if m.status != MeetingStatus.CANCELLED), len(held),
            sum(1 for m in meetings if m.status == MeetingStatus.CANCELLED),
            sum(1 for m in past if records[m.id] is None and m.ends_at < now - timedelta(hours=24)),
            round(100 * present / (companies * len(held))) if held and companies else None,
            len(open_), sum(1 for x in open_ if x.due_on and x.due_on < now.date()),
            sum(1 for x in measures if x.status == "done"),
            len(ratings), round(sum(ratings) / len(ratings), 1) if ratings else None)


@pytest.mark.dates
def test_groups_overview_counts_orders_and_pages(app, demo_world):
    from app.models import Attendance, MentoringGroup

    now = utcnow()
    with app.app_context():
        groups = db.session.scalars(select(MentoringGroup).where(MentoringGroup.status == "active")
                                    .order_by(MentoringGroup.starts_on, MentoringGroup.id)).all()
        late = groups[-1]
        recorded = [m for m in late.meetings if db.session.get(SessionRecord, m.id) is not None]
        # The last group wants attention: a session without its notes, a measure past its date; a cancelled
        # session; and two people of one company at a session count once.
        db.session.delete(db.session.get(SessionRecord, recorded[0].id))
        db.session.flush()
        if len(recorded) > 1:
            attendance = db.session.get(SessionRecord, recorded[1].id).attendance
            if attendance:
                db.session.add(Attendance(meeting_id=recorded[1].id, application_id=attendance[0].application_id,
                                          person="Zweite Person", function="staff"))
        db.session.add(Measure(group_id=late.id, application_id=late.members[0].application_id, title="Leitfaden",
                               owner="HR", due_on=now.date() - timedelta(days=3), status="open"))
        upcoming = [m for m in late.meetings if m.starts_at > now]
        if upcoming:
            upcoming[0].status = MeetingStatus.CANCELLED
        db.session.commit()

        found = sessions.overviews(demo_world["programme"], now, sort="start", per_page=1000)
        assert [r.group_id for r in found.rows] == [g.id for g in groups]
        for row, group in zip(found.rows, groups, strict=True):
            assert (row.planned, row.held, row.cancelled, row.missing_notes, row.attendance_rate, row.open_measures,
                    row.overdue_measures, row.done_measures, row.feedback.count,
                    row.feedback.average) == _reference_overview(group, now)
        assert found.rows[-1].missing_notes >= 1 and found.rows[-1].overdue_measures >= 1

        first = sessions.overviews(demo_world["programme"], now, per_page=1)
        most = max(found.rows, key=lambda r: (r.missing_notes, r.overdue_measures))
        assert (first.rows[0].missing_notes, first.rows[0].overdue_measures) == (most.missing_notes,
                                                                                most.overdue_measures)
        assert first.pages == len(groups) and first.needing_attention == sum(r.needs_attention for r in found.rows)
        only = sessions.overviews(demo_world["programme"], now, attention_only=True)
        assert {r.group_id for r in only.rows} == {r.group_id for r in found.rows if r.needs_attention}
        assert sessions.overviews(demo_world["programme"], now, page=99, per_page=1).page == len(groups)

    client = _client(app, "coordinator@example.org")
    url = f"/coordinator/programmes/{demo_world['programme']}/groups"
    body = client.get(url).get_data(as_text=True)
    assert body.index(f'href="/groups/{most.group_id}"') < min(
        body.index(f'href="/groups/{g.id}"') for g in groups if g.id != most.group_id)
    filtered = client.get(url + "?sort=start&attention=y&page=7").get_data(as_text=True)
    assert f'href="/groups/{late.id}"' in filtered
    assert client.get(url + "?sort=nonsense&page=-3&attention=").status_code == 200
