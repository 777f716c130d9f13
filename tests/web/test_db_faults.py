"""Database faults: PostgreSQL restarted while gunicorn serves registrations, and SQLite on a disk that fills up.

A registration (its form, then the link from its mail) writes a company and its HR lead in one transaction, so a
half-written one would show as a company without its person. Both tests bring their own database (a throwaway PostgreSQL cluster, a small
tmpfs), so they run whether or not TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import html
import http.client
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import OutboundEmail
from tests.conftest import free_port
from tests.serving import READY_SECONDS, wait_until

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "Pflegekoffer-im-Sommer-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OUTAGE_DE = "Der Dienst ist gerade nicht erreichbar"
OUTAGE_EN = "Service temporarily unavailable"
FULL_DE = "Speichern nicht möglich: Der Speicherplatz des Servers ist voll."
FULL_EN = "Could not save: the server's storage is full."


# --- a throwaway PostgreSQL cluster ------------------------------------------------------------------------------

class Cluster:
    """A PostgreSQL 15 cluster in a temporary folder, listening on 127.0.0.1 only; run as `postgres` under root
    (the server refuses to run as root)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args, check: bool = True) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *map(str, args)], cwd=self.root, capture_output=True, text=True,
                                timeout=READY_SECONDS, check=False)
        assert result.returncode == 0 or not check, f"{args[0]} failed: {result.stdout}{result.stderr}"

    def _pg_ctl(self, action: str, *extra: str) -> None:
        # -l: the server writes to its log file, not to our pipe (which would keep subprocess.run waiting).
        self._run(PG_BIN / "pg_ctl", action, "-D", self.data, "-l", self.log, "-w",
                  "-t", str(int(READY_SECONDS)), *extra)

    def start(self) -> None:
        self._pg_ctl("start", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root}")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        """Fast restart: open connections are terminated, transactions in flight rolled back."""
        self._pg_ctl("restart", "-m", "fast")

    def remove(self) -> None:
        """Stop the server if it runs (a failed test may have left it stopped) and delete the cluster."""
        self._run(PG_BIN / "pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", check=False)
        shutil.rmtree(self.root)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    assert (PG_BIN / "initdb").exists(), f"PostgreSQL 15 binaries are needed in {PG_BIN}"
    pg = Cluster()
    try:
        pg.start()
        application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=pg.url)
        with application.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def web(cluster) -> Iterator[int]:
    """Gunicorn with two workers over the cluster, with the engine options of production (pool_pre_ping on).

    TestConfig, for its lifted registration throttle (all visitors come from one address) and cheap hashes."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": cluster.url, "TANDEM_ENV": "test"}
    with (cluster.root / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", "30",
                                   "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=log, stderr=log)
    Visitor.database_url = cluster.url
    try:
        wait_until(lambda: Visitor(port).request("GET", "/healthz").status == 200, what=f"gunicorn on {port}",
                   process=server, log=cluster.root / "gunicorn.log")
        yield port
    finally:
        Visitor.database_url = None
        server.terminate()
        server.wait(timeout=20)


# --- a visitor with a cookie jar of its own -----------------------------------------------------------------------

@dataclass
class Reply:
    status: int  # 0: the connection failed (refused, reset, or closed before an answer)
    body: str = ""
    headers: dict | None = None


class Visitor:
    """One browser: keeps its cookies, follows no redirects, a new connection per request."""

    def __init__(self, port: int, language: str = "de") -> None:
        self.port = port
        self.cookies = {"tandem_lang": language}

    def request(self, method: str, path: str, form: dict | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return Reply(response.status, response.read().decode(), dict(response.headers))
        except OSError as exc:  # refused, reset, or the worker closed the connection
            return Reply(0, repr(exc))
        finally:
            connection.close()

    # The database whose outbox holds the registration mails (set by the `web` fixture).
    database_url: str | None = None

    def register(self, email: str) -> Reply:
        """The registration form, then its link from the mail: company and HR lead in one transaction."""
        page = self.request("GET", "/register")
        token = CSRF.search(page.body)
        if page.status != 200 or token is None:
            return page
        sent = self.request("POST", "/register", {
            "csrf_token": token.group(1), "company_name": f"Firma {email}", "full_name": "Eva Beispiel",
            "email": email, "password": PASSWORD, "password_confirm": PASSWORD,
        })
        if sent.status != 302:
            return sent
        try:
            path = confirmation_path(self.database_url, email)
        except OperationalError as exc:  # the server went away between the two steps
            return Reply(0, repr(exc))
        page = self.request("GET", path)
        token = CSRF.search(page.body)
        if page.status != 200 or token is None:
            return page
        return self.request("POST", path, {"csrf_token": token.group(1), "password": PASSWORD})


def confirmation_path(url: str, email: str) -> str:
    """The registration link in the newest mail to `email` (the outbox; no scheduler sends it here)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            body = conn.scalar(text("SELECT body_text FROM outbound_email WHERE recipient = :email ORDER BY id DESC"),
                               {"email": email})
    finally:
        engine.dispose()
    return re.search(r"/register/confirm/[\w-]+", body).group(0)


def registered(reply: Reply) -> bool:
    return reply.status == 302 and reply.headers["Location"] == "/hr/"


def assert_clean_outage(reply: Reply, language: str = "de") -> None:
    """A refused request shows the outage page in the visitor's language, or the connection failed."""
    if reply.status == 0:
        return
    assert reply.status == 503, reply.body[:3000]
    assert "Traceback" not in reply.body and "psycopg" not in reply.body and "sqlalchemy" not in reply.body
    assert f'lang="{language}"' in reply.body
    assert (OUTAGE_DE if language == "de" else OUTAGE_EN) in reply.body, reply.body[:3000]
    assert reply.headers["Retry-After"] == "60"


def assert_nothing_half_written(url: str, emails_saved: list[str]) -> None:
    """Every company has its HR lead and every HR lead their company; what was confirmed is there."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pairs = conn.execute(text(
                'SELECT c.name, u.email FROM company c FULL JOIN "user" u ON u.company_id = c.id')).all()
    finally:
        engine.dispose()
    assert pairs and all(name == f"Firma {email}" for name, email in pairs), pairs
    assert set(emails_saved) <= {email for _, email in pairs}


def waiting(conn) -> int:
    """Sessions waiting for a lock (inside a transaction the statistics are a snapshot: clear it first)."""
    conn.execute(text("SELECT pg_stat_clear_snapshot()"))
    return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))


def test_postgresql_restart_while_requests_run(cluster, web):
    outcomes: list[tuple[str, Reply]] = []
    stop = threading.Event()

    def keep_registering(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            email = f"w{worker}-{n}@example.org"
            outcomes.append((email, Visitor(web).register(email)))

    # 1. Four visitors register at once. Another session locks the user table, so that both workers' requests
    # wait half-way through their transactions (company inserted, its HR lead not yet); the server restarts.
    for n in range(2):
        assert registered(Visitor(web).register(f"early-{n}@example.org"))
    threads = [threading.Thread(target=keep_registering, args=(w,)) for w in range(4)]
    locker = create_engine(cluster.url)
    try:
        with locker.connect() as lock:
            lock.execute(text('LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE'))
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while waiting(lock) < 2:
                assert time.monotonic() < deadline, "the workers' requests did not reach the locked table"
                time.sleep(0.05)
            cluster.restart()
            lock.invalidate()  # the restart ended this session too
        restarted = len(outcomes)
        while sum(registered(r) for _, r in outcomes[restarted:]) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=60)
        locker.dispose()
    assert sum(registered(r) for _, r in outcomes[restarted:]) >= 4, outcomes
    failed = [reply for _, reply in outcomes if not registered(reply)]
    for reply in failed:
        assert_clean_outage(reply)
    # At least the two requests that waited in their transactions were cut off, and said so.
    assert sum(reply.status == 503 for reply in failed) >= 2, failed

    # 2. While the server is down, every language gets a clear page, also a signed-in HR lead.
    signed_in = Visitor(web)
    assert registered(signed_in.register("signed-in@example.org"))
    cluster.stop()
    try:
        replies = [(Visitor(web).register("during-outage@example.org"), "de"),
                   (Visitor(web, "en").register("during-outage-en@example.org"), "en"),
                   (signed_in.request("GET", "/hr/"), "de"),
                   (Visitor(web).request("GET", "/healthz"), "de")]
        for reply, language in replies:
            assert reply.status == 503, reply.body[:3000]  # the web server runs: a page, not a broken connection
            assert_clean_outage(reply, language)
    finally:
        cluster.start()

    # 3. Both workers now hold pooled connections; a quiet restart makes them stale. The next requests work:
    # the pool tests each connection before handing it out (pool_pre_ping) and replaces the dead ones.
    for n in range(4):
        assert registered(Visitor(web).register(f"warm-{n}@example.org"))
    cluster.restart()
    after = [Visitor(web).register(f"after-{n}@example.org") for n in range(6)]
    assert all(registered(reply) for reply in after), [(r.status, r.body[:500]) for r in after]
    assert signed_in.request("GET", "/hr/").status == 200

    saved = [email for email, reply in outcomes if registered(reply)]
    assert_nothing_half_written(cluster.url, saved + ["early-0@example.org", "signed-in@example.org"]
                                + [f"after-{n}@example.org" for n in range(6)])


# --- SQLite on a disk that fills up -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 8 MiB filesystem (tmpfs), so that SQLite meets ENOSPC as it would on a full server disk."""
    assert os.geteuid() == 0, "mounting a tmpfs needs root (CI runs as root on these machines)"
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True, timeout=30)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True, timeout=30)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem refuses another byte."""
    filler = disk / "filler"
    chunk = b"\0" * 4096
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(chunk)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
    return filler


def register(client, email: str):
    """The registration form, then its link from the mail (read from the outbox)."""
    page = client.get("/register").get_data(as_text=True)
    sent = client.post("/register", data={
        "csrf_token": CSRF.search(page).group(1), "company_name": f"Firma {email}", "full_name": "Eva Beispiel",
        "email": email, "password": PASSWORD, "password_confirm": PASSWORD,
    })
    if sent.status_code != 302:
        return sent
    with client.application.app_context():
        body = db.session.scalar(select(OutboundEmail.body_text).where(OutboundEmail.recipient == email)
                                 .order_by(OutboundEmail.id.desc()))
        db.session.remove()
    path = re.search(r"/register/confirm/[\w-]+", body).group(0)
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": CSRF.search(page).group(1), "password": PASSWORD})


def test_sqlite_disk_full(small_disk):
    path = small_disk / "tandem.db"
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    try:
        with application.app_context():
            upgrade()
            db.session.remove()
            db.engine.dispose()
        # The running app keeps its connection (and SQLite's shared-memory file) open, as a server does.
        # (Opening a new WAL connection on a full disk fails earlier, with "disk I/O error": a 503.)
        assert register(application.test_client(), "before@example.org").status_code == 302
        # An empty write-ahead log: the next commit needs new space on the disk (a reused log would not).
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        conn.close()
        filler = fill(small_disk)

        german = register(application.test_client(), "full@example.org")
        english_client = application.test_client()
        english_client.set_cookie("tandem_lang", "en")
        english = register(english_client, "full-en@example.org")
        for response, message in ((german, FULL_DE), (english, FULL_EN)):
            body = html.unescape(response.get_data(as_text=True))  # the page escapes the message's apostrophe
            assert response.status_code == 507, body[:3000]
            assert message in body and "Traceback" not in body and "sqlite" not in body.lower()

        filler.unlink()  # the administrator frees space
        assert register(application.test_client(), "after@example.org").status_code == 302
        with application.app_context():
            db.engine.dispose()
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
        assert_nothing_half_written(f"sqlite:///{path}", ["before@example.org", "after@example.org"])
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as check:
                assert check.execute(text('SELECT count(*) FROM "user"')).scalar() == 2
        finally:
            engine.dispose()
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
