"""Throttles on logging in, registering and reset mails: counted in the database per client address (behind a
proxy, the address it forwards), so every worker and host counts together (test_scale_out.py shows two processes)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import OneTimeToken, Role, ThrottleCounter, utcnow
from app.services import mail, throttle
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def app_with(app, database_url, smtp_server):
    """Build the app over the test database with some settings changed; its connections closed afterwards."""
    built = []

    def build(**overrides):
        built.append(create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, MAIL_PORT=smtp_server["port"],
                                DEV_MAIL_DIR=smtp_server["dir"], **overrides))
        return built[-1]

    yield build
    for application in built:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def strict_app(app_with):
    """The app with the production limits, made small (the shared test app has them lifted)."""
    return app_with(THROTTLE_LOGIN=(3, 600), THROTTLE_REGISTER=(2, 3600), THROTTLE_PASSWORD_RESET=(4, 3600),
                    THROTTLE_RESET_MAIL=(2, 3600))


def client_from(application, address: str):
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


WRONG = "wrong-password-123"


def post_login(client, email: str, password: str = WRONG, **kw):
    return client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": email,
                                       "password": password}, **kw)


def test_logins_from_one_address_are_throttled_others_are_not(strict_app, make):
    user = make.user(Role.SUPERVISOR)
    stranger = make.user(Role.SUPERVISOR)
    attacker = client_from(strict_app, "203.0.113.7")
    for target in (user, stranger, user):  # three tries at different accounts
        assert post_login(attacker, target.email).status_code == 200
    response = post_login(attacker, stranger.email, PASSWORD)  # even the right password, over the limit
    body = response.get_data(as_text=True)
    assert response.status_code == 429 and "Zu viele Anfragen" in body
    assert attacker.get("/supervisor/").status_code == 302
    # Somebody at another address logs in as usual.
    assert post_login(client_from(strict_app, "198.51.100.2"), stranger.email, PASSWORD).status_code == 302


def test_a_forged_forwarded_header_does_not_reset_the_count(strict_app, make):
    user = make.user(Role.SUPERVISOR)
    attacker = client_from(strict_app, "203.0.113.7")
    statuses = [post_login(attacker, user.email, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_behind_a_proxy_the_forwarded_address_counts(app_with, make):
    proxied = app_with(THROTTLE_LOGIN=(2, 600), PROXY_HOPS=1)
    user = make.user(Role.SUPERVISOR)
    proxy = client_from(proxied, "127.0.0.1")  # every request arrives from the proxy
    first = [post_login(proxy, user.email, headers={"X-Forwarded-For": "203.0.113.7"}).status_code
             for _ in range(3)]
    assert first == [200, 200, 429]
    other = post_login(proxy, user.email, PASSWORD, headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 302


def test_registering_is_throttled_per_address(strict_app):
    statuses = []
    for n in range(3):
        client = client_from(strict_app, "203.0.113.7")  # a new browser each time, the same address
        statuses.append(client.post("/register", data={
            "csrf_token": csrf_token(client, "/register"), "company_name": f"Firma {n}", "full_name": "Eva Muster",
            "email": f"eva{n}@firma.example", "password": "Pflegekoffer-im-Sommer-2026",
            "password_confirm": "Pflegekoffer-im-Sommer-2026"}).status_code)
    assert statuses == [302, 302, 429]


def test_reset_mails_to_one_address_are_limited_whoever_asks(strict_app, make, mailbox):
    user = make.user(Role.SUPERVISOR)
    bodies = []
    for n in range(4):  # four different addresses ask for the same account
        client = client_from(strict_app, f"203.0.113.{n}")
        response = client.post("/password/forgot", data={"csrf_token": csrf_token(client), "email": user.email})
        assert response.status_code == 302
        bodies.append(client.get(response.headers["Location"]).get_data(as_text=True))
    with strict_app.app_context():
        mail.deliver_due(utcnow())  # as the scheduler does: the requests only queue the mails
    assert len(mailbox.messages(user.email)) == 2
    with strict_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OneTimeToken)) == 2
    # The answer is the same every time: nobody learns that the limit was reached, or who has an account.
    assert all("Falls es zu dieser Adresse ein Konto gibt" in body for body in bodies)


def test_reset_requests_from_one_address_are_throttled(strict_app):
    client = client_from(strict_app, "203.0.113.7")
    statuses = [client.post("/password/forgot", data={"csrf_token": csrf_token(client),
                                                      "email": f"nobody{n}@example.org"}).status_code
                for n in range(5)]
    assert statuses == [302, 302, 302, 302, 429]


def test_a_new_window_starts_at_one(app, ctx):
    now = utcnow()
    assert all(throttle.allow("login:x", limit=2, seconds=600, now=now) for _ in range(2))
    assert not throttle.allow("login:x", limit=2, seconds=600, now=now)
    assert throttle.allow("login:x", limit=2, seconds=600, now=now + timedelta(seconds=600))
    assert db.session.scalar(select(ThrottleCounter.hits).where(ThrottleCounter.key == "login:x")) == 1
    db.session.commit()


def test_old_counters_are_purged(app, ctx):
    now = utcnow()
    throttle.allow("login:old", limit=2, seconds=600, now=now)
    throttle.allow("login:new", limit=2, seconds=600, now=now)
    db.session.execute(update(ThrottleCounter).where(ThrottleCounter.key == "login:old")
                       .values(window_start=now - timedelta(days=2)))
    assert throttle.purge(now) == 1
    assert db.session.scalars(select(ThrottleCounter.key)).all() == ["login:new"]
    db.session.commit()
