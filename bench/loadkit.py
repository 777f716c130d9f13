"""Shared pieces of the load benches: the large programme with its accounts, gunicorn, and a tiny HTTP browser.

The programme is bench/dashboard.py's build (1,000 companies, 300 groups, 5,000 meetings), plus the accounts that
use it: an HR lead for every company in a group (with consent given), supervisors leading four groups each, and
coordinators of the programme. Each group's latest past meeting is moved to two days ago, so that its supervisor
may still change its record (the 14-day window) and the load can save session records.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose matching.py would hide the matching package
sys.path.append(str(ROOT / "bench"))

PASSWORD = "bench-load-password-2026"  # noqa: S105 - a throwaway database
SECRET_KEY = "bench-load-secret-key-" * 3  # noqa: S105 - a throwaway server
SUPERVISORS = 75  # four groups each
COORDINATORS = 5


def build_database(url: str, accounts_path: Path) -> dict:
    """Migrate the (empty) database at URL, build the programme and its accounts; write the accounts as JSON."""
    from dashboard import build
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update

    from app import create_app
    from app.config import Config, TestConfig
    from app.extensions import db
    from app.models import Application, Consent, GroupMember, Meeting, MentoringGroup, Programme, Role, User
    from app.services.companies import CONSENT_VERSION
    from app.services.passwords import hash_password

    # The accounts get a hash of production cost, so logging in costs what it costs in production.
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, ARGON2_TIME_COST=Config.ARGON2_TIME_COST,
                     ARGON2_MEMORY_COST=Config.ARGON2_MEMORY_COST, ARGON2_PARALLELISM=Config.ARGON2_PARALLELISM)
    with app.app_context():
        upgrade()
        programme_id = build()
        now = datetime.now(UTC)
        password_hash = hash_password(PASSWORD)
        groups = list(db.session.scalars(select(MentoringGroup.id).order_by(MentoringGroup.id)))
        members = db.session.execute(select(GroupMember.group_id, Application.company_id).join(
            Application, Application.id == GroupMember.application_id)).all()
        company_groups: dict[int, list[int]] = {}
        for group_id, company_id in members:
            company_groups.setdefault(company_id, []).append(group_id)

        # Each group's latest past meeting took place two days ago: its record may still be changed.
        recent: dict[int, int] = {}
        for group_id in groups:
            meeting = db.session.scalars(select(Meeting).where(Meeting.group_id == group_id, Meeting.starts_at < now)
                                         .order_by(Meeting.starts_at.desc()).limit(1)).first()
            if meeting is not None:
                meeting.starts_at = now - timedelta(days=2)
                meeting.ends_at = meeting.starts_at + timedelta(hours=2)
                recent[group_id] = meeting.id
        meetings: dict[int, list[int]] = {}
        for group_id, meeting_id in db.session.execute(select(Meeting.group_id, Meeting.id).order_by(Meeting.id)):
            meetings.setdefault(group_id, []).append(meeting_id)

        db.session.execute(insert(User), [
            {"email": f"hr{company_id}@bench.example", "full_name": f"HR {company_id}", "password_hash": password_hash,
             "role": Role.HR_LEAD, "company_id": company_id, "created_at": now} for company_id in company_groups])
        db.session.execute(insert(User), [
            {"email": f"sup{i}@bench.example", "full_name": f"Supervisor {i}", "password_hash": password_hash,
             "role": Role.SUPERVISOR, "created_at": now} for i in range(SUPERVISORS)])
        coordinators = [User(email=f"coord{i}@bench.example", full_name=f"Coordinator {i}",
                             password_hash=password_hash, role=Role.COORDINATOR, created_at=now)
                        for i in range(COORDINATORS)]
        programme = db.session.get(Programme, programme_id)
        for user in coordinators:
            user.coordinated_programmes.append(programme)
        db.session.add_all(coordinators)
        db.session.flush()
        hr_ids = dict(db.session.execute(select(User.company_id, User.id).where(User.role == Role.HR_LEAD)).all())
        db.session.execute(insert(Consent), [
            {"user_id": user_id, "company_id": company_id, "text_version": CONSENT_VERSION, "given_at": now}
            for company_id, user_id in hr_ids.items()])
        supervisor_ids = list(db.session.scalars(select(User.id).where(User.role == Role.SUPERVISOR)
                                                 .order_by(User.id)))
        supervised: dict[int, list[int]] = {}
        for index, group_id in enumerate(groups):
            supervisor = supervisor_ids[index % SUPERVISORS]
            db.session.execute(update(MentoringGroup).where(MentoringGroup.id == group_id)
                               .values(supervisor_id=supervisor))
            supervised.setdefault(index % SUPERVISORS, []).append(group_id)
        db.session.commit()
        round_id = db.session.scalar(select(MentoringGroup.round_id).limit(1))
        # A production database has planner statistics (autovacuum analyses tables as they fill); a freshly bulk-
        # loaded one has none until analysed, and PostgreSQL then picks plans no running installation would.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")

    def journey(group_ids: list[int]) -> dict:
        return {"groups": group_ids, "meetings": [m for g in group_ids for m in meetings.get(g, [])],
                "recent": [recent[g] for g in group_ids if g in recent]}

    accounts = {
        "password": PASSWORD, "programme_id": programme_id, "round_id": round_id,
        "companies": sorted(company_groups),
        "hr": [{"email": f"hr{c}@bench.example", "company_id": c, **journey(g)} for c, g in company_groups.items()],
        "supervisors": [{"email": f"sup{i}@bench.example", **journey(supervised[i])} for i in range(SUPERVISORS)],
        "coordinators": [{"email": f"coord{i}@bench.example", **journey(groups)} for i in range(COORDINATORS)],
    }
    accounts_path.write_text(json.dumps(accounts))
    return accounts


def gunicorn(target: str, port: int, *, workers: int, worker_class: str, threads: int, env: dict,
             stderr=None) -> subprocess.Popen:
    """Start gunicorn serving TARGET (module:app) on loopback, as `flask prodserver` does, and wait until it answers."""
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", worker_class,
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen([*command, target], cwd=ROOT, env={**os.environ, **env}, stderr=stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310 - loopback
                return server
        except urllib.error.HTTPError:
            return server  # it answers (the minimal app has no /healthz)
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn for {target} did not answer on port {port}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A user's browser without redirects followed: cookies kept, forms posted with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - http to loopback
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, email: str, password: str) -> None:
        _, page = self.request("/login")
        status, _ = self.request("/login", {"csrf_token": CSRF.search(page).group(1), "email": email,
                                            "password": password})
        if status != 302:
            raise RuntimeError(f"login of {email} answered {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def record_form(page: str, *, minutes: str, measure: str | None) -> dict:
    """The session record form of a meeting page, filled in: one person present per company, minutes, a measure."""
    application_ids = sorted({int(a) for a in re.findall(r'name="att-(\d+)-0-name"', page)})
    data = {"csrf_token": CSRF.search(page).group(1), "outcome": "held", "questions": "Pflegezeit?",
            "topics": [], "minutes": minutes, "confidential": "Vertraulich: " + minutes}
    for application_id in application_ids:
        data[f"att-{application_id}-0-name"] = f"Person {application_id}"
        data[f"att-{application_id}-0-function"] = "hr"
    if measure is not None and application_ids:
        data.update({"measure-0-company": application_ids[0], "measure-0-title": measure, "measure-0-owner": "HR"})
    return data
