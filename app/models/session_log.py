"""What a supervisor records of a group session: attendance, minutes for the group, a confidential note,
agreed measures, and the companies' feedback; plus the audit trail of sensitive reads."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Application
    from app.models.meeting import Meeting
    from app.models.user import User


class MeasureStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class SessionRecord(db.Model):
    """The supervisor's record of one session: whether it was held, the questions brought, the topics worked
    on and the minutes that every company of the group reads (Markdown)."""

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))  # held | no_show
    questions: Mapped[str | None] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    meeting: Mapped[Meeting] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(back_populates="record", cascade="all, delete-orphan",
                                                        order_by="Attendance.id")
    amendments: Mapped[list[Amendment]] = relationship(back_populates="record", cascade="all, delete-orphan",
                                                       order_by="Amendment.id")


class Attendance(db.Model):
    """One person at a session: for which company, in which function."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("session_record.meeting_id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    person: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(20))  # hr | management | works_council | staff

    record: Mapped[SessionRecord] = relationship(back_populates="attendance")
    application: Mapped[Application] = relationship()


class Amendment(db.Model):
    """A visible addition to the minutes after the edit window has closed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("session_record.meeting_id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    record: Mapped[SessionRecord] = relationship(back_populates="amendments")
    author: Mapped[User | None] = relationship()


class ConfidentialNote(db.Model):
    """The supervisor's own note on a session: only its author and the programme's coordinators read it, and every
    read is written to the audit log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Measure(db.Model):
    """A measure a company agreed in a session: what, who owns it, by when, and how far it has come."""

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(12), default=MeasureStatus.OPEN)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    application: Mapped[Application] = relationship()


class Feedback(db.Model):
    """A participant's rating of a session (1–5) and an optional comment; shown in aggregate only."""

    __table_args__ = (UniqueConstraint("meeting_id", "user_id"), CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEvent(db.Model):
    """Append-only record of sensitive actions (reads of confidential notes, exports, …)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
