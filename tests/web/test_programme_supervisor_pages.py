"""Issue 15, part 4, through the pages: the coordinator's supervisors page (invite, capacity, remove), the mails,
and the invitation that links the new account to the programme."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ProgrammeSupervisor, Role, User
from tests.conftest import csrf_token, login


def _page(make):
    programme = make.programme("Programm Borken")
    coordinator = make.user(Role.COORDINATOR, programmes=[programme], full_name="Karin Lammers")
    return programme, coordinator


def test_empty_page_says_what_to_do(app, make):
    programme, coordinator = _page(make)
    client = app.test_client()
    login(client, coordinator.email)
    html = client.get(f"/coordinator/programmes/{programme.id}/supervisors").get_data(as_text=True)
    assert "Noch keine Supervisorin und kein Supervisor im Programm" in html
    assert 'name="email"' in html and 'name="max_groups"' in html


def test_existing_supervisor_is_added_and_told_by_mail(app, make, mailbox):
    programme, coordinator = _page(make)
    supervisor = make.user(Role.SUPERVISOR, email="sv@example.org", full_name="<b>Dr. Anna</b> Supervision",
                           locale="de")
    client = app.test_client()
    login(client, coordinator.email)
    url = f"/coordinator/programmes/{programme.id}/supervisors"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "email": "SV@example.org",
                                      "max_groups": "3"})
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "&lt;b&gt;Dr. Anna&lt;/b&gt;" in html and "<b>Dr. Anna</b>" not in html
    with app.app_context():
        link = db.session.get(ProgrammeSupervisor, (programme.id, supervisor.id))
        assert link.max_groups == 3
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "supervisor_added"))
    mail = mailbox.messages("sv@example.org")[-1]
    assert "Programm Borken" in mail.subject and "3" in mail.body and "Karin Lammers" in mail.body


def test_unknown_address_is_invited_and_serves_the_programme_once_registered(app, make, mailbox):
    programme, coordinator = _page(make)
    client = app.test_client()
    login(client, coordinator.email)
    url = f"/coordinator/programmes/{programme.id}/supervisors"
    client.post(url, data={"csrf_token": csrf_token(client, url), "email": "neu@beratung.de", "max_groups": "2"})
    assert "neu@beratung.de" in client.get(url).get_data(as_text=True)  # listed as invited
    mail = mailbox.messages("neu@beratung.de")[-1]
    assert "Programm Borken" in mail.subject
    link = mailbox.last_link("neu@beratung.de")
    path = link.split("localhost", 1)[-1] if "localhost" in link else "/" + link.split("/", 3)[3]
    visitor = app.test_client()
    response = visitor.post(path, data={"csrf_token": csrf_token(visitor, path), "full_name": "Nele Neu",
                                        "password": "Pflegekoffer-im-Sommer-26",
                                        "password_confirm": "Pflegekoffer-im-Sommer-26"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "neu@beratung.de"))
        assert user.role == Role.SUPERVISOR
        assert db.session.get(ProgrammeSupervisor, (programme.id, user.id)).max_groups == 2


def test_bad_entries_are_shown_at_their_fields(app, make):
    programme, coordinator = _page(make)
    make.user(Role.HR_LEAD, email="hr@example.org")
    client = app.test_client()
    login(client, coordinator.email)
    url = f"/coordinator/programmes/{programme.id}/supervisors"
    for data, words in [({"email": "kein-at", "max_groups": "2"}, "gültige E-Mail-Adresse"),
                        ({"email": "x@example.org", "max_groups": "99"}, "zwischen 0 und 20"),
                        ({"email": "hr@example.org", "max_groups": "2"}, "kein aktives Supervisor-Konto")]:
        html = client.post(url, data={"csrf_token": csrf_token(client, url), **data}).get_data(as_text=True)
        assert "error-summary" in html and words in html, words
    with app.app_context():
        assert db.session.scalar(select(ProgrammeSupervisor)) is None


def test_capacity_and_removal(app, make):
    programme, coordinator = _page(make)
    supervisor = make.user(Role.SUPERVISOR, full_name="Frank Heselhaus")
    with app.app_context():
        db.session.add(ProgrammeSupervisor(programme_id=programme.id, user_id=supervisor.id, max_groups=2))
        db.session.commit()
    client = app.test_client()
    login(client, coordinator.email)
    base = f"/coordinator/programmes/{programme.id}/supervisors"
    token = csrf_token(client, base)
    client.post(f"{base}/{supervisor.id}/capacity", data={"csrf_token": token, "max_groups": "-3"})
    with app.app_context():
        assert db.session.get(ProgrammeSupervisor, (programme.id, supervisor.id)).max_groups == 2
    client.post(f"{base}/{supervisor.id}/capacity", data={"csrf_token": token, "max_groups": "5"})
    with app.app_context():
        assert db.session.get(ProgrammeSupervisor, (programme.id, supervisor.id)).max_groups == 5
    response = client.post(f"{base}/{supervisor.id}/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "Frank Heselhaus" in response.get_data(as_text=True)  # named in the confirmation
    with app.app_context():
        assert db.session.get(ProgrammeSupervisor, (programme.id, supervisor.id)) is None
    assert client.post(f"{base}/{supervisor.id}/remove", data={"csrf_token": token}).status_code == 404


def test_a_supervisor_of_another_programme_is_not_reachable(app, make):
    programme, coordinator = _page(make)
    other = make.programme("Fremdes Programm")
    supervisor = make.user(Role.SUPERVISOR)
    with app.app_context():
        db.session.add(ProgrammeSupervisor(programme_id=other.id, user_id=supervisor.id, max_groups=2))
        db.session.commit()
    client = app.test_client()
    login(client, coordinator.email)
    token = csrf_token(client)
    assert client.post(f"/coordinator/programmes/{programme.id}/supervisors/{supervisor.id}/capacity",
                       data={"csrf_token": token, "max_groups": "4"}).status_code == 404
    assert client.get(f"/coordinator/programmes/{other.id}/supervisors").status_code == 404


def test_upgrade_links_supervisors_to_the_programmes_they_serve(backend, tmp_path, smtp_server):
    """Migration 0015 on an existing database: a supervisor of a programme's round serves that programme (with their
    own limit as capacity); one who serves none yet serves every programme, as before."""
    import contextlib

    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from tests.conftest import postgres_database

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_database()) if backend == "postgresql" else \
            f"sqlite:///{tmp_path / 'old.db'}"
        old = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_PORT=smtp_server["port"])
        with old.app_context():
            upgrade(revision="0014_cycle_close")
            with db.engine.begin() as conn:
                for pid in (1, 2):
                    conn.execute(text("INSERT INTO programme (id, name, region, state_code, mentor_min_overall, "
                                      "mentor_min_dimension, created_at) VALUES (:id, :name, 'Kreis Borken', 'NW', "
                                      "50, 2, CURRENT_TIMESTAMP)"), {"id": pid, "name": f"Programm {pid}"})
                for uid, email, role in ((1, "k@example.org", "coordinator"), (2, "busy@example.org", "supervisor"),
                                         (3, "free@example.org", "supervisor")):
                    conn.execute(text('INSERT INTO "user" (id, email, full_name, password_hash, role, is_active, '
                                      "session_version, failed_login_count, created_at) VALUES (:id, :email, "
                                      "'Person', 'x', :role, TRUE, 1, 0, CURRENT_TIMESTAMP)"),
                                 {"id": uid, "email": email, "role": role})
                conn.execute(text("INSERT INTO supervisor_profile (user_id, max_groups, max_travel_km, updated_at) "
                                  "VALUES (2, 3, 50, CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO matching_round (id, programme_id, name, status, starts_on, "
                                  "cycle_months, group_min, group_max, min_maturity_gap, weights, is_fair, "
                                  "time_limit_s, created_at, version) VALUES (1, 2, 'Runde', 'draft', '2027-01-01', "
                                  "12, 2, 4, 10, '{}', FALSE, 20, CURRENT_TIMESTAMP, 1)"))
                conn.execute(text("INSERT INTO round_supervisor (round_id, user_id) VALUES (1, 2)"))
            upgrade()
            with db.engine.connect() as conn:
                links = set(conn.execute(text("SELECT programme_id, user_id, max_groups FROM programme_supervisor")))
            db.session.remove()
            db.engine.dispose()  # before the database is dropped: no connection is left to the garbage collector
    assert links == {(2, 2, 3), (1, 3, 4), (2, 3, 4)}
