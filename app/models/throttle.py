"""Request counters for throttling, kept in the database so that every worker and host counts together."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UtcDateTime


class ThrottleCounter(db.Model):
    # What is counted, e.g. "login:203.0.113.7" or "reset_mail:person@example.org".
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # The start of the fixed window the hits belong to; a hit in a later window starts again at one.
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    hits: Mapped[int] = mapped_column(default=0)
