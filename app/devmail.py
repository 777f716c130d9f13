"""The development mail sink: a real SMTP server on loopback that keeps each mail as a file."""
from __future__ import annotations

import email
import re
import time
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

NAME = re.compile(r"^[0-9]{17}-[0-9a-f]{32}\.eml$")


class MailSinkHandler:
    """aiosmtpd handler: writes every mail it receives into `directory`."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{time.time_ns() // 1000:017d}-{uuid.uuid4().hex}.eml"
        tmp = self.directory / (name + ".part")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.directory / name)
        return "250 Message accepted for delivery"


def start_sink(directory: str | Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Start the sink in a background thread; call `.stop()` on the result to end it."""
    controller = Controller(MailSinkHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class StoredMail:
    name: str
    sender: str
    recipient: str
    subject: str
    date: str
    body: str
    message_id: str = ""
    calendar: str = ""  # the text of a text/calendar attachment, if any


def _parse(path: Path) -> StoredMail:
    msg: EmailMessage = email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[assignment]
    part = msg.get_body(preferencelist=("plain", "html"))
    calendar = next((p.get_content() for p in msg.walk() if p.get_content_type() == "text/calendar"), "")
    if isinstance(calendar, bytes):
        calendar = calendar.decode("utf-8", "replace")
    return StoredMail(
        name=path.name,
        sender=str(msg.get("From", "")),
        recipient=str(msg.get("To", "")),
        subject=str(msg.get("Subject", "")),
        date=str(msg.get("Date", "")),
        body=part.get_content() if part is not None else "",
        message_id=str(msg.get("Message-ID", "")),
        calendar=calendar,
    )


def list_messages(directory: str | Path) -> list[StoredMail]:
    """All stored mails, newest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return [_parse(path) for path in sorted(folder.glob("*.eml"), reverse=True)]


def read_message(directory: str | Path, name: str) -> StoredMail | None:
    """One stored mail by file name, or None (names are checked, so no path leaves the folder)."""
    if not NAME.match(name):
        return None
    path = Path(directory) / name
    return _parse(path) if path.is_file() else None
