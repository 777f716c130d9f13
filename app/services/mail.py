"""Mail: queue a rendered mail as an outbox row; deliver queued rows through SMTP after the commit."""
from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select, update

from app.extensions import db
from app.i18n import LazyText
from app.models import MailStatus, OutboundEmail

MAX_ATTEMPTS = 8


# A line break inside a value (a company or person named with one) is carried through rendering as this mark, so
# that it cannot end the template's Subject line early and push the rest of the subject into the body: in the
# subject it becomes a space, in the body a line break again.
_BREAK = "\x00tandem-break\x00"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _keep_breaks_apart(value):
    if value is None or not isinstance(value, str | LazyText | Markup):
        return value
    return re.sub(r"\r\n|\r|\n", _BREAK, str(value))


def _render(template: str, context: dict) -> str:
    env = current_app.extensions.get("tandem_mail_jinja")
    if env is None:
        # An overlay of the app's Jinja environment (its globals, filters and gettext), with a cache of its own: the
        # app's cache holds templates compiled without the finalize, which is compiled into each template.
        env = current_app.jinja_env.overlay(finalize=_keep_breaks_apart, cache_size=100)
        current_app.extensions["tandem_mail_jinja"] = env
    current_app.update_template_context(context)
    return env.get_template(f"mail/{template}.txt").render(context)


def one_line(text: str) -> str:
    """Text for a mail header: line breaks and other control characters become spaces (no header injection)."""
    return " ".join(_CONTROL.sub(" ", text.replace(_BREAK, " ")).split())


def queue_mail(recipient: str, template: str, *, locale: str | None, now: datetime,
               calendar: tuple[str, str] | None = None, **context) -> OutboundEmail:
    """Render `templates/mail/<template>.txt` in the recipient's language and queue it. Flushes.

    The first line is the subject; names in it stay on it, without line breaks or control characters."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        rendered = _render(template, dict(context))
    first, _, body = rendered.lstrip().partition("\n")
    subject = one_line(first.removeprefix("Subject:"))
    body = body.replace(_BREAK, "\n")
    email = OutboundEmail(recipient=recipient, subject=subject[:300], body_text=body.strip() + "\n", next_attempt_at=now,
                          calendar=calendar[1] if calendar else None, calendar_method=calendar[0] if calendar else None)
    db.session.add(email)
    db.session.flush()
    return email


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** attempts, 240))


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    if cfg["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"], context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if cfg["MAIL_USERNAME"]:
        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return smtp


def _message(row: OutboundEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    # Stable per outbox row: should a sender die between the SMTP server's acceptance and the commit, the mail is
    # sent again after the claim's timeout, and mail programs recognise the second copy as the same message.
    msg["Message-ID"] = f"<tandem-{row.id}@tandem.local>"
    msg.set_content(row.body_text)
    if row.calendar:
        msg.add_attachment(row.calendar.encode("utf-8"), maintype="text", subtype="calendar",
                           filename="einladung.ics", params={"method": row.calendar_method or "REQUEST"})
    return msg


def deliver_due(now: datetime, ids: list[int] | None = None) -> int:
    """Send queued mails that are due (or just `ids`); returns how many left. Commits per mail.

    Each row is claimed with a conditional UPDATE before it is sent, so two workers never send one mail twice.
    A failed send is retried with exponential back-off and marked failed after the last attempt.
    """
    # A mail claimed by a sender that died before recording the outcome goes back to the queue.
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.status == MailStatus.SENDING,
               OutboundEmail.claimed_at < now - timedelta(seconds=current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"]))
        .values(status=MailStatus.QUEUED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    query = select(OutboundEmail.id).where(
        OutboundEmail.status == MailStatus.QUEUED, OutboundEmail.next_attempt_at <= now
    )
    if ids is not None:
        query = query.where(OutboundEmail.id.in_(ids))
    due = list(db.session.scalars(query.order_by(OutboundEmail.id)))
    db.session.commit()
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for mail_id in due:
            claimed = db.session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == mail_id, OutboundEmail.status == MailStatus.QUEUED)
                .values(status=MailStatus.SENDING, attempts=OutboundEmail.attempts + 1, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            if claimed.rowcount != 1:
                continue
            row = db.session.get(OutboundEmail, mail_id, populate_existing=True)
            try:
                message = _message(row)
            except ValueError as exc:  # a header the email package refuses: no later attempt would do better
                row.status, row.last_error = MailStatus.FAILED, f"{type(exc).__name__}: {exc}"[:500]
                current_app.logger.warning("mail %s to %s not sent: %s", row.id, row.recipient, row.last_error)
                db.session.commit()
                continue
            try:
                if smtp is None:
                    smtp = _connect()
                smtp.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                smtp = None
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = MailStatus.FAILED
                else:
                    row.status = MailStatus.QUEUED
                    row.next_attempt_at = now + _backoff(row.attempts)
                current_app.logger.warning("mail %s to %s not sent: %s", row.id, row.recipient, row.last_error)
            else:
                row.status = MailStatus.SENT
                row.sent_at = now
                row.last_error = None
                sent += 1
            db.session.commit()
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return sent
