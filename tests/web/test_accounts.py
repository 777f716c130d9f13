"""Registering, logging in, throttling, password reset, invitations and deactivation, through the real forms."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Company, OneTimeToken, Role, User, utcnow
from app.services import accounts, tokens
from tests.conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "Pflegekoffer-im-Sommer-2026"


def post_form(client, path, data, token_page=None):
    data = {"csrf_token": csrf_token(client, token_page or path), **data}
    return client.post(path, data=data)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def deliver(app) -> None:
    """Send what the outbox holds, as the scheduler does (reset and registration mails only wait there)."""
    from app.services import mail

    with app.app_context():
        mail.deliver_due(utcnow())


def test_register_mails_a_link_that_creates_company_and_hr_lead(app, client, mailbox):
    response = post_form(client, "/register", {
        "company_name": "Tischlerei Beispiel GmbH", "full_name": "Eva Beispiel", "email": "Eva@Example.org",
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response.headers["Location"] == "/register/sent"
    assert count(app, User) == 0 and count(app, Company) == 0  # nothing before the link is opened
    deliver(app)
    path = "/" + mailbox.last_link("eva@example.org").split("//", 1)[1].split("/", 1)[1]
    page = client.get(path).get_data(as_text=True)
    assert "Tischlerei Beispiel GmbH" in page and "eva@example.org" in page
    # Only whoever knows the password chosen when registering completes it.
    response = post_form(client, path, {"password": "not-the-chosen-password"})
    assert response.status_code == 200 and count(app, User) == 0
    response = post_form(client, path, {"password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/hr/"
    assert "Tischlerei Beispiel GmbH" in client.get("/hr/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "eva@example.org"))
        assert user.role == Role.HR_LEAD and user.company.name == "Tischlerei Beispiel GmbH"
        assert user.password_hash.startswith("$argon2id$")
    # The link works once.
    assert "ungültig oder abgelaufen" in app.test_client().get(path).get_data(as_text=True)


def test_register_refuses_common_password_and_writes_nothing(app, client):
    response = post_form(client, "/register", {
        "company_name": "Firma", "full_name": "Eva", "email": "eva@example.org",
        "password": "password1234", "password_confirm": "password1234",
    })
    assert response.status_code == 200
    assert "zu häufig" in response.get_data(as_text=True)
    assert count(app, User) == 0 and count(app, Company) == 0


def test_register_with_a_taken_email_says_the_same_and_mails_the_owner(app, client, make, mailbox):
    make.user(email="taken@example.org")
    response = post_form(client, "/register", {
        "company_name": "Firma", "full_name": "Eva", "email": "TAKEN@example.org",
        "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response.headers["Location"] == "/register/sent"
    assert count(app, User) == 1 and count(app, Company) == 1 and count(app, OneTimeToken) == 0
    deliver(app)
    [notice] = mailbox.messages("taken@example.org")
    assert "bereits ein Tandem-Konto" in notice.body and "/login" in notice.body and "/password/forgot" in notice.body


def test_each_role_lands_on_its_start_page(app, make):
    programme = make.programme()
    expected = {Role.HR_LEAD: "/hr/", Role.SUPERVISOR: "/supervisor/", Role.COORDINATOR: "/coordinator/",
                Role.ADMIN: "/admin/users"}
    for role, start in expected.items():
        user = make.user(role, programmes=[programme] if role == Role.COORDINATOR else [])
        response = login(app.test_client(), user.email)
        assert response.headers["Location"] == start


def test_login_next_only_to_local_paths(app, make):
    user = make.user(Role.ADMIN)
    for target, expected in [("/admin/invite", "/admin/invite"), ("https://evil.example/", "/admin/users"),
                             ("//evil.example/x", "/admin/users"), ("/\\evil.example", "/admin/users")]:
        client = app.test_client()
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD,
                                               "next": target})
        assert response.headers["Location"] == expected


def test_failed_logins_lock_that_address_out_for_a_while(app, make):
    user = make.user(Role.SUPERVISOR)
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = post_form(client, "/login", {"email": user.email, "password": "wrong-password-123"})
        assert "nicht korrekt" in response.get_data(as_text=True)
    # Now even the right password is refused from this address until the window ends.
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "Zu viele" in response.get_data(as_text=True)
    with app.test_request_context():
        later = utcnow() + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])
        assert accounts.authenticate(user.email, PASSWORD, client="127.0.0.1", now=later).user is not None
        db.session.rollback()
    # After the lock ends, the right password works again.
    with app.app_context():
        from app.models import ThrottleCounter

        db.session.execute(ThrottleCounter.__table__.delete())
        db.session.commit()
    assert login(app.test_client(), user.email).status_code == 302


def test_logout_ends_the_session(app, make):
    user = make.user(Role.SUPERVISOR)
    client = app.test_client()
    login(client, user.email)
    assert client.get("/supervisor/").status_code == 200
    post_form(client, "/logout", {}, token_page="/account")
    assert client.get("/supervisor/").status_code == 302


def test_password_reset_link_works_once_and_expires(app, client, make, mailbox):
    user = make.user(Role.HR_LEAD, email="hr@example.org")
    response = post_form(client, "/password/forgot", {"email": "hr@example.org"})
    assert response.status_code == 302
    deliver(app)
    link = mailbox.last_link("hr@example.org")
    path = link.split("//", 1)[1].split("/", 1)[1]
    path = "/" + path
    response = post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    # The same link a second time: refused, password unchanged.
    response = post_form(app.test_client(), path, {"password": "Ein-ganz-anderes-Passwort-9", "password_confirm":
                                                   "Ein-ganz-anderes-Passwort-9"})
    assert response.status_code == 200 and "ungültig oder abgelaufen" in response.get_data(as_text=True)
    # An expired token is refused too.
    with app.app_context():
        raw = tokens.issue_token("password_reset", email=user.email, user_id=user.id, now=utcnow() - timedelta(hours=3),
                                 valid_for=timedelta(hours=2))
        db.session.commit()
        try:
            accounts.reset_password(raw, "Noch-ein-neues-Passwort-7", now=utcnow())
            raise AssertionError("expired token accepted")
        except accounts.ServiceError:
            db.session.rollback()


def test_forgot_password_says_the_same_for_unknown_addresses(app, client, mailbox):
    response = post_form(client, "/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mailbox.messages() == []
    assert count(app, OneTimeToken) == 0


def test_password_reset_ends_other_sessions(app, make, mailbox):
    user = make.user(Role.SUPERVISOR)
    other_device = app.test_client()
    login(other_device, user.email)
    client = app.test_client()
    post_form(client, "/password/forgot", {"email": user.email})
    deliver(app)
    path = "/" + mailbox.last_link(user.email).split("//", 1)[1].split("/", 1)[1]
    post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert other_device.get("/supervisor/").status_code == 302


def test_admin_invites_coordinator_who_accepts(app, make, mailbox):
    programme = make.programme("Programm Münsterland")
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    response = post_form(client, "/admin/invite", {"email": "neu@example.org", "role": "coordinator",
                                                   "programmes": [str(programme.id)]})
    assert response.status_code == 302
    mail = mailbox.messages("neu@example.org")[-1]
    assert "Einladung" in mail.subject
    path = "/" + mailbox.last_link("neu@example.org").split("//", 1)[1].split("/", 1)[1]
    invited = app.test_client()
    response = post_form(invited, path, {"full_name": "Neue Koordination", "password": NEW_PASSWORD,
                                         "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/coordinator/"
    assert "Programm Münsterland" in invited.get("/coordinator/").get_data(as_text=True)
    # Single use: a second acceptance is refused.
    response = post_form(app.test_client(), path, {"full_name": "Noch jemand", "password": NEW_PASSWORD,
                                                   "password_confirm": NEW_PASSWORD})
    assert "ungültig oder abgelaufen" in response.get_data(as_text=True)
    assert count(app, User) == 2


def test_coordinator_invitation_needs_a_programme(app, make, mailbox):
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    response = post_form(client, "/admin/invite", {"email": "neu@example.org", "role": "coordinator"})
    assert response.status_code == 200 and "mindestens ein Programm" in response.get_data(as_text=True)
    assert mailbox.messages() == [] and count(app, OneTimeToken) == 0


def test_hr_lead_role_cannot_be_invited(app, make):
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    response = post_form(client, "/admin/invite", {"email": "neu@example.org", "role": "hr_lead"})
    assert response.status_code == 200 and count(app, OneTimeToken) == 0


def test_deactivation_ends_live_sessions_and_blocks_login(app, make):
    admin = make.user(Role.ADMIN)
    victim = make.user(Role.SUPERVISOR)
    victim_client = app.test_client()
    login(victim_client, victim.email)
    assert victim_client.get("/supervisor/").status_code == 200
    admin_client = app.test_client()
    login(admin_client, admin.email)
    response = post_form(admin_client, f"/admin/users/{victim.id}/deactivate", {}, token_page="/admin/users")
    assert response.status_code == 302
    assert victim_client.get("/supervisor/").status_code == 302
    response = post_form(app.test_client(), "/login", {"email": victim.email, "password": PASSWORD})
    assert response.status_code == 200
    post_form(admin_client, f"/admin/users/{victim.id}/reactivate", {}, token_page="/admin/users")
    assert login(app.test_client(), victim.email).status_code == 302


def test_admin_cannot_deactivate_themselves(app, make):
    admin = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    post_form(client, f"/admin/users/{admin.id}/deactivate", {}, token_page="/admin/users")
    assert client.get("/admin/users").status_code == 200


def test_change_password_logs_out_other_devices_but_not_this_one(app, make):
    user = make.user(Role.COORDINATOR)
    this, other = app.test_client(), app.test_client()
    login(this, user.email)
    login(other, user.email)
    response = post_form(this, "/account", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                            "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert this.get("/account").status_code == 200
    assert other.get("/account").status_code == 302


def test_remember_me_cookie_is_safe(app, make):
    user = make.user(Role.SUPERVISOR)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD,
                                           "remember": "y"})
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("tandem_remember=")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert "Expires=" in cookies[0]


def test_outdated_password_hash_is_upgraded_on_login(app, make):
    from argon2 import PasswordHasher

    user = make.user(Role.SUPERVISOR)
    with app.app_context():
        row = db.session.get(User, user.id)
        row.password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
        old = row.password_hash
        db.session.commit()
    login(app.test_client(), user.email)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash != old
