"""Fixtures: the app on SQLite and (with TEST_DATABASE_URL) PostgreSQL, a real SMTP server, small factories."""
from __future__ import annotations

import contextlib
import os
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig, normalise_database_url
from app.devmail import list_messages, start_sink
from app.extensions import db
from app.models import Application, Company, Programme, Role, User, utcnow
from app.services.passwords import hash_password

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "correct-horse-battery-staple-42"

BACKENDS = ["sqlite"]
if os.environ.get("TEST_DATABASE_URL"):
    BACKENDS.append("postgresql")

# The days on which the date-sensitive tests (marked `dates`) run besides today. Each is a day on which a rule
# about dates could go wrong: the year's turn, the night the clocks go forward and the night they go back in
# Europe/Berlin, a public holiday of North Rhine-Westphalia only (Corpus Christi; the demo programme is in NW),
# a Monday morning and a Sunday. All other tests run on the real today. `now` comes from one place,
# `app.models.utcnow`, which these dates move (time-machine moves the process's clock; time goes on from there).
FIXED_DATES = {
    "year-turn": datetime(2026, 12, 31, 22, 40, tzinfo=UTC),      # 23:40 in Berlin on New Year's Eve
    "dst-spring": datetime(2027, 3, 28, 0, 45, tzinfo=UTC),       # 01:45 in Berlin, the clocks jump at 02:00
    "dst-autumn": datetime(2027, 10, 31, 0, 30, tzinfo=UTC),      # 02:30 CEST in Berlin, the hour repeats
    "holiday-nw": datetime(2027, 5, 27, 8, 0, tzinfo=UTC),        # Fronleichnam, a holiday in NW, not in all states
    "monday": datetime(2027, 1, 11, 6, 30, tzinfo=UTC),           # a Monday before work
    "sunday": datetime(2027, 6, 13, 12, 0, tzinfo=UTC),           # a Sunday at noon
}


def pytest_generate_tests(metafunc) -> None:
    """Run each test marked `dates` that reads the clock today and on each of FIXED_DATES (set
    TANDEM_TEST_DATES=today for a quick run, or a comma-separated list of the names)."""
    if metafunc.definition.get_closest_marker("dates") is None or "clock" not in metafunc.fixturenames:
        return  # a test that reads no clock (directly or through the demo) runs once
    chosen = os.environ.get("TANDEM_TEST_DATES")
    names = ["today", *FIXED_DATES] if not chosen else [n.strip() for n in chosen.split(",")]
    unknown = set(names) - {"today", *FIXED_DATES}
    if unknown:
        raise pytest.UsageError(f"TANDEM_TEST_DATES names unknown days: {sorted(unknown)}")
    metafunc.parametrize("clock", names, indirect=True)


# On PostgreSQL the date-sensitive tests run today and on the two nights the clocks change (where storing and
# comparing timestamps could differ from SQLite); the rules themselves are computed in Python, and SQLite runs them
# on every fixed date. This keeps the suite within its time budget on two cores.
POSTGRESQL_DATES = {"today", "dst-spring", "dst-autumn"}


def pytest_collection_modifyitems(config, items) -> None:
    """Leave out the PostgreSQL runs of date-sensitive tests at the dates POSTGRESQL_DATES does not name."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("backend") == "postgresql" and params.get("clock", "today") not in POSTGRESQL_DATES:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def clock(request) -> Iterator[datetime]:
    """The test's `now`: today, or (for tests marked `dates`) one of FIXED_DATES, from which time runs on.

    Every fixture that builds data from the date (the demo) depends on this one, so that the data and the
    code under test read the same clock."""
    name = getattr(request, "param", "today")
    if name == "today":
        yield utcnow()
        return
    with time_machine.travel(FIXED_DATES[name], tick=True):
        yield utcnow()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory) -> Iterator[dict]:
    """A real SMTP server on loopback (aiosmtpd, with Tandem's development sink handler)."""
    folder = tmp_path_factory.mktemp("mail")
    port = free_port()
    controller = start_sink(folder, port=port)
    yield {"port": port, "dir": str(folder)}
    controller.stop()


class Mailbox:
    """What arrived at the test SMTP server."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def messages(self, to: str | None = None):
        return [m for m in reversed(list_messages(self.folder)) if to is None or to in m.recipient]

    def clear(self) -> None:
        for path in self.folder.glob("*.eml"):
            path.unlink()

    def last_link(self, to: str) -> str:
        mails = self.messages(to)
        assert mails, f"no mail arrived for {to}"
        match = re.search(r"https?://\S+", mails[-1].body)
        assert match, mails[-1].body
        return match.group(0)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server of TEST_DATABASE_URL, dropped afterwards."""
    base = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"tandem_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # fails loudly when the server cannot be reached: CI must test both
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tandem.db'}"


@pytest.fixture(scope="session")
def app(database_url, smtp_server) -> Iterator[Flask]:
    """The app with its schema built by the Alembic migrations (so every migration is exercised)."""
    application = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_PORT=smtp_server["port"],
        DEV_MAIL_DIR=smtp_server["dir"],
    )
    with application.app_context():
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request) -> Iterator[None]:
    """Every test starts with empty tables and an empty mailbox."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    Mailbox(request.getfixturevalue("smtp_server")["dir"]).clear()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    return Mailbox(smtp_server["dir"])


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Small builders of rows. Each runs in its own app context and commits, and returns a detached row
    (ids and columns readable), so that no app context stays pushed while the test client runs requests."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._n = 0
        with app.app_context():
            self._hash = hash_password(PASSWORD)

    def _next(self) -> int:
        self._n += 1
        return self._n

    def _save(self, row, after=None):
        with self.app.app_context():
            db.session.add(row)
            if after is not None:
                after(row)
            db.session.commit()
            db.session.refresh(row)
            db.session.expunge_all()
        return row

    def programme(self, name: str | None = None, **kw) -> Programme:
        return self._save(Programme(name=name or f"Programm {self._next()}", region=kw.pop("region", "Kreis Borken"),
                                    state_code=kw.pop("state_code", "NW"), **kw))

    def company(self, name: str | None = None, **kw) -> Company:
        return self._save(Company(name=name or f"Firma {self._next()} GmbH", **kw))

    def application(self, company: Company, programme: Programme, role: str = "mentee",
                    status: str = "submitted") -> Application:
        return self._save(Application(company_id=company.id, programme_id=programme.id, role=role, status=status))

    def user(self, role: Role = Role.HR_LEAD, email: str | None = None, *, company: Company | None = None,
             programmes: list[Programme] = (), **kw) -> User:
        n = self._next()
        if role == Role.HR_LEAD and company is None:
            company = self.company()
        user = User(email=email or f"{role}{n}@example.org", full_name=kw.pop("full_name", f"Person {n}"),
                    password_hash=self._hash, role=role, company_id=company.id if company else None, **kw)

        def add_programmes(row: User) -> None:
            ids = [p.id for p in programmes]
            if ids:
                row.coordinated_programmes = list(db.session.scalars(select(Programme).where(Programme.id.in_(ids))))

        return self._save(user, add_programmes)


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


@pytest.fixture
def ctx(app) -> Iterator[None]:
    """An app context for tests of services (not for tests that use the test client meanwhile)."""
    with app.app_context():
        yield
        db.session.remove()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/password/forgot") -> str:
    """Fetch a page with a form and return its CSRF token."""
    response = client.get(path)
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    """Log in through the real login form."""
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def utc_now():
    return utcnow()


@pytest.fixture
def demo_world(app, clock) -> dict:
    """The demo programme of `make run` ("ESA-Mentorship Kreis Borken"): a published round with accepted groups
    and a draft round. (The demo's second programme, whose cycle has ended, holds another published round.)"""
    from app import demo
    from app.models import MatchingRound

    with app.app_context():
        demo.load_demo(now=clock)
        db.session.commit()
        programme_id = db.session.scalar(select(Programme.id).where(Programme.name == demo.PROGRAMME_NAME))
        rounds = select(MatchingRound).where(MatchingRound.programme_id == programme_id).order_by(MatchingRound.id)
        draft = db.session.scalar(rounds.where(MatchingRound.status == "draft"))
        published = db.session.scalar(rounds.where(MatchingRound.status == "published"))
        return {"draft": draft.id, "published": published.id, "programme": programme_id}
