"""Regional mentoring programmes and who coordinates them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Application
    from app.models.user import User

programme_coordinator = Table(
    "programme_coordinator",
    db.metadata,
    Column("programme_id", ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Programme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(200))
    # Bundesland code as the `holidays` package knows it (NW, BY, ...): public holidays differ by state.
    state_code: Mapped[str] = mapped_column(String(2))
    is_open: Mapped[bool] = mapped_column(default=True)  # accepts applications
    # A mentor applicant below these is flagged for the coordinator (overall 0–100, per dimension 0–4).
    mentor_min_overall: Mapped[int] = mapped_column(default=50)
    mentor_min_dimension: Mapped[int] = mapped_column(default=2)
    # Group sessions: every `cadence_weeks` weeks, `meeting_minutes` long, reminders `reminder_days` before.
    cadence_weeks: Mapped[int] = mapped_column(default=6, server_default="6")
    meeting_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    travel_buffer_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [7, 1], server_default="[7, 1]")
    # After a group's cycle has ended this long, its confidential notes and attendance details are deleted.
    retention_months: Mapped[int] = mapped_column(default=24, server_default="24")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    coordinators: Mapped[list[User]] = relationship(
        secondary=programme_coordinator, back_populates="coordinated_programmes"
    )
    applications: Mapped[list[Application]] = relationship(back_populates="programme")
