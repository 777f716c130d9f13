"""Supervised group sessions (Gesprächsrunden), their reminders, and the supervisors' availability."""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.group import MentoringGroup
    from app.models.user import User


class MeetingStatus(StrEnum):
    PROPOSED = "proposed"  # planned, not yet confirmed by the coordinator
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Meeting(db.Model):
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(10), default=MeetingStatus.PROPOSED, index=True)
    is_in_person: Mapped[bool] = mapped_column(default=True)
    place: Mapped[str | None] = mapped_column(String(200))
    # iCalendar: one UID per meeting for its whole life; SEQUENCE rises with every change sent out.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the supervisor records the session (issue: session log); a nudge goes out once if it stays empty.
    notes_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    feedback_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    group: Mapped[MentoringGroup] = relationship(back_populates="meetings")


class Reminder(db.Model):
    """A reminder mail due at a time; claimed with a conditional UPDATE so that it is queued exactly once."""

    __table_args__ = (UniqueConstraint("meeting_id", "user_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    days_before: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_email.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User] = relationship()


class SupervisorWindow(db.Model):
    """A weekly window in which a supervisor can lead group sessions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time())
    ends: Mapped[time] = mapped_column(Time())


class SupervisorAbsence(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(200))


class SchedulerLease(db.Model):
    """The lead of the scheduler on SQLite: one row, held by one process until its lease runs out."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
