"""The scheduler process: `flask scheduler run`, started once beside the web server, never in a web worker.

Only one scheduler acts at a time, even if it is started twice or on several hosts: on PostgreSQL it holds a
session advisory lock (released by the server when the process dies); on SQLite it holds a lease row that it
renews every few seconds and that another process may take over once it has run out. The second process waits and
takes the lead when the first dies.

The jobs are few and fixed, and act on state kept in Tandem's own tables (APScheduler keeps no job store here):
queue due reminders and send the mail outbox (every tick), nudge supervisors whose session has no notes a day
after it ended, ask for feedback and re-assessments, and purge used and expired tokens (hourly), the retention period and the closing of ended cycles (nightly), and a weekly digest for the coordinators. Misfire grace and coalescing are explicit: a job that was missed while the process
was busy runs once when it can, not once per missed tick.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import SchedulerLease, utcnow

LOCK_KEY = 727_274_001  # the advisory lock's key on PostgreSQL
LEASE_NAME = "scheduler"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}

log = logging.getLogger("tandem.scheduler")


class Leadership:
    """Who may act: one process at a time (advisory lock on PostgreSQL, a lease row on SQLite)."""

    def __init__(self, app: Flask, holder: str):
        self.app, self.holder = app, holder
        self.lease_seconds = app.config["SCHEDULER_LEASE_SECONDS"]
        self.connection = None
        with app.app_context():
            self.postgres = db.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        with self.app.app_context():
            if self.postgres:
                if self.connection is None:
                    self.connection = db.engine.connect()
                got = self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar()
                self.connection.commit()
                return bool(got)
            return self._lease()

    def _lease(self) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=self.lease_seconds)
        taken = db.session.execute(
            update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME)
            .where((SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at < now))
            .values(holder=self.holder, expires_at=expires).execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            db.session.commit()
            return True
        db.session.rollback()
        try:
            db.session.execute(insert(SchedulerLease).values(name=LEASE_NAME, holder=self.holder, expires_at=expires))
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
            return False

    def still_leading(self) -> bool:
        """Renew the lease (SQLite) or check that the locking connection lives (PostgreSQL)."""
        if self.postgres:
            try:
                self.connection.execute(text("SELECT 1"))
                self.connection.commit()
                return True
            except Exception:  # noqa: BLE001 - a dead connection has lost the lock
                return False
        with self.app.app_context():
            return self._lease()

    def release(self) -> None:
        with self.app.app_context():
            if self.postgres and self.connection is not None:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                self.connection.commit()
                self.connection.close()
            elif not self.postgres:
                db.session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                                SchedulerLease.holder == self.holder)
                                   .values(expires_at=utcnow()))
                db.session.commit()


def send_due(app: Flask) -> None:
    """Queue due reminders, then send what the outbox holds."""
    from app.services import mail, meetings

    with app.app_context():
        try:
            queued = meetings.queue_due_reminders(utcnow())
            sent = mail.deliver_due(utcnow())
            if queued or sent:
                log.info("reminders queued: %d, mails sent: %d", queued, sent)
        finally:
            db.session.remove()


def nudge_missing_notes(app: Flask) -> None:
    from app.services import mail, meetings

    with app.app_context():
        try:
            if meetings.nudge_missing_notes(utcnow()):
                mail.deliver_due(utcnow())
        finally:
            db.session.remove()


def ask_companies(app: Flask) -> None:
    """Feedback the day after a session; re-assessment in the middle and near the end of a cycle."""
    from app.services import mail, sessions

    with app.app_context():
        try:
            if sessions.ask_for_feedback(utcnow()) + sessions.ask_for_reassessment(utcnow()):
                mail.deliver_due(utcnow())
        finally:
            db.session.remove()


def apply_retention(app: Flask) -> None:
    from app.services import erasure, mail

    with app.app_context():
        try:
            warned, _ = erasure.apply_retention(utcnow())
            if warned:
                mail.deliver_due(utcnow())
        finally:
            db.session.remove()


def close_cycles(app: Flask) -> None:
    """Close the groups whose cycle has ended (final self-assessment asked, certificates announced)."""
    from app.services import cycles, mail

    with app.app_context():
        try:
            mails = cycles.close_ended_groups(utcnow())
            db.session.commit()
            if mails:
                log.info("cycles closed; mails queued: %d", len(mails))
                mail.deliver_due(utcnow(), ids=[m.id for m in mails])
        finally:
            db.session.remove()


def purge_tokens(app: Flask) -> None:
    from app.services import login_sessions, throttle, tokens

    with app.app_context():
        try:
            tokens.purge_expired(utcnow())
            login_sessions.purge(utcnow())
            throttle.purge(utcnow())
            db.session.commit()
        finally:
            db.session.remove()


def weekly_digest(app: Flask) -> None:
    from app.services import digest

    with app.app_context():
        try:
            digest.send_weekly(utcnow())
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Europe/Berlin", job_defaults=JOB_DEFAULTS)
    tick = app.config["SCHEDULER_TICK_SECONDS"]
    scheduler.add_job(send_due, "interval", seconds=tick, args=[app], id="send_due", next_run_time=utcnow())
    scheduler.add_job(nudge_missing_notes, "interval", hours=1, args=[app], id="nudge_missing_notes",
                      next_run_time=utcnow())
    scheduler.add_job(ask_companies, "interval", hours=1, args=[app], id="ask_companies", next_run_time=utcnow())
    scheduler.add_job(purge_tokens, "interval", hours=1, args=[app], id="purge_tokens")
    scheduler.add_job(apply_retention, "cron", hour=3, args=[app], id="apply_retention")
    scheduler.add_job(close_cycles, "cron", hour=4, args=[app], id="close_cycles")
    scheduler.add_job(weekly_digest, "cron", day_of_week="mon", hour=7, args=[app], id="weekly_digest")
    return scheduler


def run(app: Flask, stop: threading.Event | None = None, wait_seconds: float = 2.0) -> None:
    """Wait for the lead, then run the jobs until stopped (SIGTERM, SIGINT) or the lead is lost."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    leadership = Leadership(app, f"{socket.gethostname()}:{os.getpid()}")
    while not stop.is_set() and not leadership.try_acquire():
        log.info("another scheduler leads; waiting")
        stop.wait(wait_seconds)
    if stop.is_set():
        return
    log.info("this scheduler leads")
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        while not stop.wait(min(wait_seconds, leadership.lease_seconds / 4)):
            if not leadership.still_leading():
                log.warning("lost the lead; stopping")
                break
    finally:
        scheduler.shutdown(wait=True)
        leadership.release()
