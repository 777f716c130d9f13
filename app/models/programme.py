"""Regional mentoring programmes and who coordinates them."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, and_, false, or_, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Application
    from app.models.organisation import Organisation, ProgrammePartner
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
    # Applications: accepted while switched on and within the window (either end may be open). The window's
    # dates are days in Germany, both included. Read it through accepts_applications_on / accepting_on only.
    applications_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    applications_open_from: Mapped[date | None]
    applications_open_until: Mapped[date | None]
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    # Shown on the public page: Markdown, rendered sanitised.
    description: Mapped[str | None] = mapped_column(Text)
    # The programme's contact person (personal data: backup, export and erasure cover it).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
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
    # What a new matching round starts with (the coordinator may change it per round).
    default_group_min: Mapped[int] = mapped_column(default=2, server_default="2")
    default_group_max: Mapped[int] = mapped_column(default=4, server_default="4")
    default_cycle_months: Mapped[int] = mapped_column(default=12, server_default="12")
    # Funding: ESF Plus programmes report to the funder; the note is shown publicly (e.g. the funding line).
    is_esf_plus: Mapped[bool] = mapped_column(default=False, server_default=false())
    funding_project_number: Mapped[str | None] = mapped_column(String(60))
    funding_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Optimistic locking: two coordinators saving the settings at once cannot overwrite each other.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    carrier: Mapped[Organisation | None] = relationship()
    partners: Mapped[list[ProgrammePartner]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="ProgrammePartner.id")
    coordinators: Mapped[list[User]] = relationship(
        secondary=programme_coordinator, back_populates="coordinated_programmes"
    )
    applications: Mapped[list[Application]] = relationship(back_populates="programme")

    def accepts_applications_on(self, day: date) -> bool:
        """Whether a company may apply on this day (a day in Germany)."""
        return (self.applications_enabled
                and (self.applications_open_from is None or self.applications_open_from <= day)
                and (self.applications_open_until is None or day <= self.applications_open_until))

    @classmethod
    def accepting_on(cls, day: date):
        """The same rule as accepts_applications_on, as an SQL condition."""
        return and_(cls.applications_enabled.is_(True),
                    or_(cls.applications_open_from.is_(None), cls.applications_open_from <= day),
                    or_(cls.applications_open_until.is_(None), cls.applications_open_until >= day))
