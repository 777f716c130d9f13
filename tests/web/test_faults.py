"""Faults: the SMTP server is down for a while; every reminder waits in the outbox and goes out once it is back."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.devmail import start_sink
from app.extensions import db
from app.models import MailStatus, Meeting, OutboundEmail, Reminder, utcnow
from app.services import mail, meetings
from tests.conftest import Mailbox, free_port


def test_reminders_wait_while_smtp_is_down_and_go_out_exactly_once_after(app, demo_world, tmp_path):
    port = free_port()  # nothing listens here yet: the SMTP server is "down"
    original = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = port
    try:
        with app.app_context():
            now = utcnow()
            due = set(db.session.scalars(select(Reminder.id).join(Meeting).where(
                Reminder.queued_at.is_(None), Meeting.starts_at > now + timedelta(days=1))).all()[:12])
            db.session.execute(update(Reminder).where(Reminder.id.in_(due)).values(due_at=now))
            db.session.commit()
            # These and the demo's own overdue ones (a session in a few days) are due now.
            due = set(db.session.scalars(select(Reminder.id).join(Meeting).where(
                Reminder.queued_at.is_(None), Reminder.due_at <= now, Meeting.starts_at > now)))
            assert meetings.queue_due_reminders(now) == len(due)
            assert mail.deliver_due(now) == 0  # refused: nothing sent, nothing lost
            waiting = db.session.scalars(select(OutboundEmail).where(OutboundEmail.status == MailStatus.QUEUED)).all()
            assert len(waiting) >= len(due) and all(m.attempts == 1 and m.last_error for m in waiting)
            assert mail.deliver_due(now) == 0  # not yet due again: back-off
        # An hour later the server is back.
        sink = start_sink(tmp_path / "mail", port=port)
        try:
            with app.app_context():
                later = utcnow() + timedelta(hours=1)
                sent = mail.deliver_due(later)
                assert sent >= len(due) and mail.deliver_due(later + timedelta(hours=1)) == 0
                assert not db.session.scalars(select(OutboundEmail).where(
                    OutboundEmail.status != MailStatus.SENT)).all()
            arrived = [m for m in Mailbox(tmp_path / "mail").messages() if "Erinnerung" in m.subject]
            assert len(arrived) == len(due) == len({m.message_id for m in arrived})
        finally:
            sink.stop()
    finally:
        app.config["MAIL_PORT"] = original
