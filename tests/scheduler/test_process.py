"""The scheduler as a real process: killed while sending, restarted, every reminder arrives once; two started
at once, one leads and nothing is sent twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import MailStatus, Meeting, OutboundEmail, Reminder, utcnow

ROOT = Path(__file__).resolve().parents[2]


def _start(app, smtp_server) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "FLASK_APP": "wsgi.py",
           "MAIL_PORT": str(smtp_server["port"]), "TANDEM_SCHEDULER_TICK": "1", "TANDEM_SCHEDULER_LEASE": "3",
           "TANDEM_MAIL_CLAIM_TIMEOUT": "5"}
    return subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _make_reminders_due(app) -> set[int]:
    """Every unsent reminder of a future meeting falls due now (as if the scheduler had been down)."""
    with app.app_context():
        now = utcnow()
        ids = set(db.session.scalars(select(Reminder.id).join(Meeting).where(
            Reminder.queued_at.is_(None), Meeting.starts_at > now + timedelta(hours=1))))
        db.session.execute(update(Reminder).where(Reminder.id.in_(ids)).values(due_at=now - timedelta(minutes=1)))
        db.session.commit()
    return ids


def _unsent(app, due: set[int]) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Reminder).outerjoin(
                OutboundEmail, OutboundEmail.id == Reminder.email_id).where(
                Reminder.id.in_(due), OutboundEmail.status.is_(None) | (OutboundEmail.status != MailStatus.SENT)))
        finally:
            db.session.remove()


def _reminder_mails(mailbox) -> list:
    return [m for m in mailbox.messages() if "Erinnerung" in m.subject]


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_killed_while_sending_then_restarted_every_reminder_arrives_once(app, demo_world, smtp_server, mailbox):
    due = _make_reminders_due(app)
    assert len(due) > 40
    first = _start(app, smtp_server)
    try:
        assert _wait(lambda: len(_reminder_mails(mailbox)) >= 5, 60), "the scheduler sent nothing"
        first.send_signal(signal.SIGKILL)  # in the middle of its work
        first.wait()
        arrived_before = len(_reminder_mails(mailbox))
        assert arrived_before < len(due), "the kill came too late to test anything"
        second = _start(app, smtp_server)
        try:
            assert _wait(lambda: len({m.message_id for m in _reminder_mails(mailbox)}) >= len(due), 90)
            # The mail being sent when the first died may still be claimed ("sending"); the second takes it up
            # again after the claim timeout. Wait until every reminder's mail is recorded as sent.
            assert _wait(lambda: _unsent(app, due) == 0, 90), "a claimed mail was never taken up again"
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            _stop(second)
    finally:
        _stop(first)
    mails = _reminder_mails(mailbox)
    # Each reminder arrived once: one message per reminder. A sender killed between the SMTP server's acceptance
    # and its commit re-sends that one mail with the same Message-ID (mail programs show it once): at most one.
    assert len({m.message_id for m in mails}) == len(due)
    assert len(mails) - len(due) <= 1
    with app.app_context():
        reminders = db.session.scalars(select(Reminder).where(Reminder.id.in_(due))).all()
        assert all(r.queued_at is not None and r.email_id for r in reminders)
        statuses = set(db.session.scalars(select(OutboundEmail.status).where(
            OutboundEmail.id.in_([r.email_id for r in reminders]))))
        assert statuses == {MailStatus.SENT}


def test_two_schedulers_started_at_once_send_nothing_twice(app, demo_world, smtp_server, mailbox):
    due = _make_reminders_due(app)
    processes = [_start(app, smtp_server), _start(app, smtp_server)]
    try:
        assert _wait(lambda: len(_reminder_mails(mailbox)) >= len(due), 90)
        time.sleep(3)
    finally:
        for process in processes:
            _stop(process)
    mails = _reminder_mails(mailbox)
    assert len(mails) == len({m.message_id for m in mails}) == len(due)
