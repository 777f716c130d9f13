"""The scheduler process: `flask scheduler run`, started once beside the web server, never in a web worker.

Only one scheduler acts at a time, even if it is started twice or on several hosts: on PostgreSQL it holds a
session advisory lock (released by the server when the process dies); on SQLite it holds a lease row that it
renews every few seconds and that another process may take over once it has run out. The second process waits and
takes the lead when the first dies.

The jobs are few and fixed, and act on state kept in Tandem's own tables (APScheduler keeps no job store here):
queue due reminders and send the mail outbox (every tick), nudge supervisors whose session has no notes a day
after it ended, ask for feedback and re-assessments, and purge used and expired tokens (hourly), the retention period and the closing of ended cycles (nightly), and a weekly digest for the coordinators. Misfire grace and coalescing are explicit: a job that was missed while the process
was busy runs once when it can, not once per missed tick.

Stopping (SIGTERM, SIGINT, SIGHUP) is bounded: the signal handler only records the signal (see
`app.cli.StopSignals`), the main thread does nothing but wait for one while the scheduler runs in a thread, running
jobs get JOB_GRACE_SECONDS to finish, and the process ends at most STOP_SECONDS after the signal whatever a job or
the database is doing (whatever still runs then is abandoned with the process). A job abandoned in the middle of
sending leaves its mail claimed; it goes out again after the claim's timeout, as after a crash.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError

from app.cli import StopSignals
from app.extensions import db
from app.models import SchedulerLease, utcnow

LOCK_KEY = 727_274_001  # the advisory lock's key on PostgreSQL
LEASE_NAME = "scheduler"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
JOB_GRACE_SECONDS = 2.5  # after a stop, running jobs get this long to finish; then they are abandoned
STOP_SECONDS = 3.5  # from a stop signal to the end of `run`, the lead's release included

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


class JobThreads(BaseExecutor):
    """Runs each job in a daemon thread of its own.

    APScheduler's thread pool has non-daemon threads that the interpreter joins at exit: a job stuck in SMTP would
    keep the process alive however long, whatever bound the stop had. A daemon thread still running after the
    grace period ends with the process.
    """

    def __init__(self) -> None:
        super().__init__()
        self._threads: list[threading.Thread] = []

    def _do_submit_job(self, job, run_times) -> None:
        def work() -> None:
            try:
                events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
            except Exception as exc:  # run_job reports the job's own errors; this is APScheduler failing
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)

        self._threads = [thread for thread in self._threads if thread.is_alive()]
        thread = threading.Thread(target=work, name=f"job {job.id}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def still_running(self, seconds: float) -> list[str]:
        """Wait up to `seconds` for the running jobs to end; the names of those that have not."""
        deadline = time.monotonic() + seconds
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread.name for thread in self._threads if thread.is_alive()]


def build_scheduler(app: Flask, executor: BaseExecutor | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Europe/Berlin", job_defaults=JOB_DEFAULTS,
                                    executors={"default": executor or JobThreads()})
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
    """Wait for the lead, then run the jobs until stopped or the lead is lost.

    With `stop` (a test running the scheduler in a thread), it runs in the caller's thread until `stop` is set.
    Without, in the main thread, SIGTERM, SIGINT and SIGHUP stop it: the scheduler runs in a thread of its own
    while the main thread only waits for a signal, so that `run` returns at most STOP_SECONDS after one even when
    the scheduler's thread is stuck in a job or in a database call (`flask scheduler run` then ends the process,
    and what is stuck with it).
    """
    if stop is not None or threading.current_thread() is not threading.main_thread():
        _lead(app, stop or threading.Event(), wait_seconds)
        return
    signals = StopSignals()
    stop = threading.Event()
    failures: list[Exception] = []

    def lead() -> None:
        try:
            _lead(app, stop, wait_seconds)
        except Exception as exc:  # raised again in the main thread, so that the command fails as before
            failures.append(exc)

    worker = threading.Thread(target=lead, name="scheduler", daemon=True)
    worker.start()
    while worker.is_alive() and not signals.wait(1.0):
        pass
    stop.set()
    worker.join(STOP_SECONDS)
    if worker.is_alive():
        log.warning("not stopped %.1f s after the signal; abandoned", STOP_SECONDS)
    elif failures:
        raise failures[0]


def _lead(app: Flask, stop: threading.Event, wait_seconds: float) -> None:
    leadership = Leadership(app, f"{socket.gethostname()}:{os.getpid()}")
    leading = False
    while not stop.is_set() and not leading:
        leading = leadership.try_acquire()
        if not leading:
            log.info("another scheduler leads; waiting")
            stop.wait(wait_seconds)
    if not leading:
        return
    log.info("this scheduler leads")
    try:
        if not stop.is_set():
            _run_jobs(app, leadership, stop, min(wait_seconds, leadership.lease_seconds / 4))
    finally:
        leadership.release()
        log.info("released the lead")


def _run_jobs(app: Flask, leadership: Leadership, stop: threading.Event, check_seconds: float) -> None:
    jobs = JobThreads()
    scheduler = build_scheduler(app, jobs)
    scheduler.start()
    try:
        while not stop.wait(check_seconds):
            if not leadership.still_leading():
                log.warning("lost the lead; stopping")
                break
    finally:
        scheduler.shutdown(wait=False)  # no new runs; APScheduler's shutdown(wait=True) would wait without end
        abandoned = jobs.still_running(JOB_GRACE_SECONDS)
        if abandoned:
            log.warning("still running %.1f s after the stop, abandoned: %s", JOB_GRACE_SECONDS, ", ".join(abandoned))
