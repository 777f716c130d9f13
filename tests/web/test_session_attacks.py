"""Hostile use of sessions and links: fixation, replay after logout, deactivated accounts, reset links again and late.

Each test plays the attacker with a second test client that holds a copy of the victim's cookies, the way a
stolen or planted cookie would arrive.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import LoginSession, OneTimeToken, Role, User, utcnow
from app.services import tokens
from tests.conftest import PASSWORD, csrf_token, login

SESSION, REMEMBER = "tandem_session", "tandem_remember"
NEW_PASSWORD = "Pflegekoffer-im-Herbst-2026"


def copy_cookies(source, *names):
    """A fresh client holding copies of the source client's cookies of these names."""
    thief = source.application.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"{name} not set"
        thief.set_cookie(name, cookie.value)
    return thief


def is_logged_in(client) -> bool:
    """The supervisor's start page opens (200) or sends to the login page (302)."""
    status = client.get("/supervisor/").status_code
    assert status in (200, 302)
    return status == 200


def log_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_a_planted_session_does_not_survive_the_login(app, make):
    victim = make.user(Role.SUPERVISOR)
    browser = app.test_client()
    browser.get("/login")
    with browser.session_transaction() as sess:
        sess["planted_by_attacker"] = "x"
    planted = copy_cookies(browser, SESSION)
    before = browser.get_cookie(SESSION).value
    login(browser, victim.email)
    assert browser.get_cookie(SESSION).value != before
    with browser.session_transaction() as sess:
        assert "planted_by_attacker" not in sess
    assert is_logged_in(browser)
    # The attacker's copy of the cookie from before the login opens nothing.
    assert not is_logged_in(planted)


def test_a_cookie_copied_before_logout_is_worthless_afterwards(app, make):
    user = make.user(Role.SUPERVISOR)
    browser = app.test_client()
    login(browser, user.email)
    other_device = app.test_client()
    login(other_device, user.email)
    stolen = copy_cookies(browser, SESSION)
    assert is_logged_in(stolen)
    assert log_out(browser).status_code == 302
    assert not is_logged_in(browser)
    assert not is_logged_in(stolen)
    # Logging out ends this device's session only.
    assert is_logged_in(other_device)


def test_a_remember_me_cookie_copied_before_logout_is_worthless_afterwards(app, make):
    user = make.user(Role.SUPERVISOR)
    browser = app.test_client()
    response = browser.post("/login", data={"csrf_token": csrf_token(browser, "/login"), "email": user.email,
                                            "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    stolen = copy_cookies(browser, REMEMBER)  # the remember-me cookie alone logs in a new browser session
    assert is_logged_in(stolen)
    log_out(browser)
    assert not is_logged_in(copy_cookies(stolen, REMEMBER))


def test_logout_everywhere_ends_every_copy(app, make):
    user = make.user(Role.SUPERVISOR)
    browser, laptop = app.test_client(), app.test_client()
    login(browser, user.email)
    login(laptop, user.email)
    stolen = copy_cookies(laptop, SESSION)
    response = browser.post("/account/logout-everywhere", data={"csrf_token": csrf_token(browser, "/account")})
    assert response.status_code == 302
    assert not any(is_logged_in(c) for c in (browser, laptop, stolen))
    with app.app_context():
        sessions = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
        assert len(sessions) == 2 and all(s.ended_at is not None for s in sessions)


def test_a_login_session_ends_at_its_expiry(app, make):
    user = make.user(Role.SUPERVISOR)
    browser = app.test_client()
    login(browser, user.email)
    assert is_logged_in(browser)
    with app.app_context():
        db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not is_logged_in(browser)


def test_the_cookie_names_a_login_session_the_database_knows(app, make):
    """A cookie signed with the right key but with a made-up session secret (or none) opens nothing."""
    user = make.user(Role.SUPERVISOR)
    browser = app.test_client()
    login(browser, user.email)
    for forged in (f"{user.id}:1:made-up-secret", f"{user.id}:1:", f"{user.id}:1", "x:y:z"):
        with browser.session_transaction() as sess:
            sess["_user_id"] = forged
        assert not is_logged_in(browser), forged


def test_a_deactivated_account_is_refused_everywhere(app, make):
    admin, victim = make.user(Role.ADMIN), make.user(Role.SUPERVISOR)
    browser = app.test_client()
    response = browser.post("/login", data={"csrf_token": csrf_token(browser, "/login"), "email": victim.email,
                                            "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    stolen_session, stolen_remember = copy_cookies(browser, SESSION), copy_cookies(browser, REMEMBER)
    admin_client = app.test_client()
    login(admin_client, admin.email)
    response = admin_client.post(f"/admin/users/{victim.id}/deactivate",
                                 data={"csrf_token": csrf_token(admin_client, "/admin/users")})
    assert response.status_code == 302
    assert not any(is_logged_in(c) for c in (browser, stolen_session, stolen_remember))
    fresh = app.test_client()
    response = fresh.post("/login", data={"csrf_token": csrf_token(fresh, "/login"), "email": victim.email,
                                          "password": PASSWORD})
    assert response.status_code == 200 and not is_logged_in(fresh)
    # A password reset does not bring the account back either: no mail, no token.
    fresh.post("/password/forgot", data={"csrf_token": csrf_token(fresh), "email": victim.email})
    with app.app_context():
        assert db.session.get(User, victim.id).is_active is False
        assert db.session.scalars(select(OneTimeToken).where(
            OneTimeToken.user_id == victim.id)).all() == []


def reset_link_path(app, mailbox, email: str) -> str:
    """The link of the reset mail, sent from the outbox as the scheduler does (the request only queues it)."""
    from app.services import mail

    with app.app_context():
        mail.deliver_due(utcnow())
    return "/" + mailbox.last_link(email).split("//", 1)[1].split("/", 1)[1]


def test_a_reset_link_works_once(app, make, mailbox):
    user = make.user(Role.SUPERVISOR)
    client = app.test_client()
    client.post("/password/forgot", data={"csrf_token": csrf_token(client), "email": user.email})
    path = reset_link_path(app, mailbox, user.email)
    data = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert client.post(path, data={"csrf_token": csrf_token(client, path), **data}).status_code == 302
    again = app.test_client()
    page = again.get(path).get_data(as_text=True)
    assert "ungültig oder abgelaufen" in page
    response = again.post(path, data={"csrf_token": csrf_token(again), "password": "Noch-ein-Passwort-2027",
                                      "password_confirm": "Noch-ein-Passwort-2027"})
    assert response.status_code == 200 and "ungültig oder abgelaufen" in response.get_data(as_text=True)
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_a_reset_link_past_its_two_hours_is_refused(app, make):
    user = make.user(Role.SUPERVISOR)
    with app.app_context():
        raw = tokens.issue_token("password_reset", email=user.email, user_id=user.id,
                                 now=utcnow() - timedelta(hours=2, minutes=1), valid_for=timedelta(hours=2))
        db.session.commit()
        old_hash = db.session.get(User, user.id).password_hash
    client = app.test_client()
    path = f"/password/reset/{raw}"
    assert "ungültig oder abgelaufen" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client), "password": NEW_PASSWORD,
                                       "password_confirm": NEW_PASSWORD})
    assert response.status_code == 200 and "ungültig oder abgelaufen" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == old_hash
