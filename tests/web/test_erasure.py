"""Art. 17: after erasing a company, nothing of it or its people can be found in the database; figures remain."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app import demo
from app.extensions import db
from app.models import Application, GroupMember, OutboundEmail, SessionRecord, User, utcnow
from app.services import dashboard, erasure
from tests.conftest import csrf_token, login


def _dump(app) -> str:
    """Every value of every table, as text: what a database dump would show."""
    with app.app_context():
        parts = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                parts.extend(str(value) for value in row if value is not None)
        return "\n".join(parts).lower()


def test_erasing_a_company_leaves_nothing_of_it_but_anonymous_figures(app, demo_world, mailbox):
    with app.test_request_context(), app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "hr5@example.org"))
        company = lead.company
        name, person, email = company.name, lead.full_name, lead.email
        # Minutes that name the company and the person, as supervisors write them.
        record = db.session.scalars(select(SessionRecord)).first()
        record.minutes = (record.minutes or "") + f"\n\n{person} ({name}) berichtet vom Pflege-Guide."
        db.session.commit()
        counts_before = dashboard.build([demo_world["programme"]], utcnow().date().replace(year=2020),
                                        utcnow().date(), utcnow())
        applications = db.session.scalar(select(func.count()).select_from(Application))
        places = db.session.scalar(select(func.count()).select_from(GroupMember))
    assert name.lower() in _dump(app) and email in _dump(app)
    # The HR lead withdraws consent: processing stops and the coordinators are asked to erase.
    client = app.test_client()
    login(client, email, demo.DEMO_PASSWORD)
    client.post("/hr/consent/withdraw", data={"csrf_token": csrf_token(client, "/hr/consent")})
    assert any(name in m.subject for m in mailbox.messages("coordinator@example.org"))
    # The coordinator erases the company (typing its name to confirm).
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org", demo.DEMO_PASSWORD)
    with app.app_context():
        company_id = db.session.scalar(select(User.company_id).where(User.email == email))
    page = f"/companies/{company_id}"
    refused = coordinator.post(f"{page}/erase", data={"csrf_token": csrf_token(coordinator, page), "confirm": "x"})
    assert refused.status_code == 302 and name.lower() in _dump(app)
    coordinator.post(f"{page}/erase", data={"csrf_token": csrf_token(coordinator, page), "confirm": name})
    mailbox.clear()
    dump = _dump(app)
    for needle in (name, person, email):
        assert needle.lower() not in dump, needle
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == applications
        assert db.session.scalar(select(func.count()).select_from(GroupMember)) == places
        counts_after = dashboard.build([demo_world["programme"]], utcnow().date().replace(year=2020),
                                       utcnow().date(), utcnow())
        assert counts_after.meetings_held == counts_before.meetings_held
        assert counts_after.groups_active == counts_before.groups_active
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail).where(
            OutboundEmail.recipient == email)) == 0
    with app.app_context():
        from app.models import AuditEvent

        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"leave_requested", "erase_company", "erase_person"} <= actions
    # The erased person can no longer log in.
    fresh = app.test_client()
    response = fresh.post("/login", data={"csrf_token": csrf_token(fresh, "/login"), "email": email,
                                          "password": demo.DEMO_PASSWORD})
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)


def test_an_admin_erases_a_person(app, demo_world):
    admin = app.test_client()
    login(admin, "admin@example.org", demo.DEMO_PASSWORD)
    with app.app_context():
        supervisor = db.session.scalar(select(User).where(User.email == "supervisor2@example.org"))
        user_id, name = supervisor.id, supervisor.full_name
    admin.post(f"/admin/users/{user_id}/erase", data={"csrf_token": csrf_token(admin, "/admin/users"),
                                                      "confirm": "supervisor2@example.org"})
    dump = _dump(app)
    assert "supervisor2@example.org" not in dump and name.lower() not in dump
    with app.app_context():
        assert db.session.get(User, user_id).is_active is False
        db.session.execute(text("SELECT 1"))
    assert erasure.ERASED.lower() in dump


@pytest.mark.dates
def test_retention_warns_thirty_days_ahead_then_deletes_notes_and_names_but_keeps_counts(app, demo_world, mailbox):
    from datetime import UTC, datetime, time, timedelta

    from app.models import Attendance, ConfidentialNote, MatchingRound

    with app.app_context():
        group = db.session.get(MatchingRound, demo_world["published"]).groups[0]
        due = erasure.retention_due(group)
        meeting_ids = [m.id for m in group.meetings]
        notes = db.session.scalar(select(func.count()).select_from(ConfidentialNote).where(
            ConfidentialNote.meeting_id.in_(meeting_ids)))
        present = db.session.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.meeting_id.in_(meeting_ids)))
        assert notes and present
        at = lambda day: datetime.combine(day, time(3), UTC)  # noqa: E731
        from app.models import MentoringGroup

        # The demo's completed cycle of its other programme ended long before: its retention comes first.
        earlier = [g for g in db.session.scalars(select(MentoringGroup)) if erasure.retention_due(g) <= due - timedelta(days=31)]
        assert erasure.apply_retention(at(due - timedelta(days=31)))[1] == len(earlier)
        assert erasure.apply_retention(at(due - timedelta(days=31))) == (0, 0)
        same = sum(1 for g in db.session.scalars(select(MentoringGroup)) if erasure.retention_due(g) == due)
        assert erasure.apply_retention(at(due - timedelta(days=30))) == (same, 0)  # the demo's groups share dates
        assert erasure.apply_retention(at(due - timedelta(days=10))) == (0, 0)  # warned once only
        from app.services import mail

        mail.deliver_due(at(due))
        assert erasure.apply_retention(at(due))[1] >= 1
        assert db.session.scalar(select(func.count()).select_from(ConfidentialNote).where(
            ConfidentialNote.meeting_id.in_(meeting_ids))) == 0
        rows = db.session.scalars(select(Attendance).where(Attendance.meeting_id.in_(meeting_ids))).all()
        assert len(rows) == present and {r.person for r in rows} == {erasure.ERASED}
        from app.models import AuditEvent

        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_applied")) is not None
    assert any("30" in m.subject for m in mailbox.messages("coordinator@example.org"))


def test_a_coordinator_erases_one_person_of_a_company(app, demo_world):
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org", demo.DEMO_PASSWORD)
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "hr7@example.org"))
        company_id, user_id, name = lead.company_id, lead.id, lead.full_name
    page = f"/companies/{company_id}"
    body = coordinator.get(page).get_data(as_text=True)
    title = body[body.index("<title>"):body.index("</title>")]
    assert "<" not in title[len("<title>"):] and body.count(f"{page}/erase") == 1
    coordinator.post(f"{page}/people/{user_id}/erase", data={"csrf_token": csrf_token(coordinator, page),
                                                             "confirm": "hr7@example.org"})
    dump = _dump(app)
    assert "hr7@example.org" not in dump and name.lower() not in dump
    with app.app_context():
        from app.models import Company

        assert not db.session.get(Company, company_id).name.startswith(erasure.ERASED)  # the company stays
