"""Companies (SMEs), their applications to programmes, and what they bring (needs, strengths, exclusions)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.maturity import MaturityAssessment
    from app.models.programme import Programme
    from app.models.user import User


class CompanyRole(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # Its group's cycle has ended: no longer drawn into rounds until the company applies for a next cycle.
    COMPLETED = "completed"


# Until the coordinator approves, the HR lead edits freely; afterwards changes become proposals.
EDITABLE_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES_REQUESTED, ApplicationStatus.SUBMITTED)


class Company(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(1))  # WZ 2008 section A–U
    headcount_band: Mapped[str | None] = mapped_column(String(10))
    has_works_council: Mapped[bool | None]
    has_shift_work: Mapped[bool | None]
    municipality: Mapped[str | None] = mapped_column(String(120))
    municipality_geonameid: Mapped[int | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    has_charta: Mapped[bool] = mapped_column(default=False)
    has_audit: Mapped[bool] = mapped_column(default=False)
    has_pflege_guide: Mapped[bool] = mapped_column(default=False)
    has_pflegekoffer: Mapped[bool] = mapped_column(default=False)
    # An estimate only, never names: many companies do not know how many of their staff are carers.
    caregiver_estimate: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    hr_leads: Mapped[list[User]] = relationship(back_populates="company")
    applications: Mapped[list[Application]] = relationship(back_populates="company")
    assessments: Mapped[list[MaturityAssessment]] = relationship(
        back_populates="company", order_by="MaturityAssessment.created_at"
    )

    @property
    def has_profile(self) -> bool:
        return bool(self.sector and self.headcount_band and self.municipality)

    @property
    def instruments(self) -> list[str]:
        flags = {"charta": self.has_charta, "audit": self.has_audit, "pflege_guide": self.has_pflege_guide,
                 "pflegekoffer": self.has_pflegekoffer}
        return [key for key, present in flags.items() if present]


class Application(db.Model):
    __table_args__ = (
        UniqueConstraint("company_id", "programme_id"),
        CheckConstraint("cycle_min_months <= cycle_max_months", name="cycle_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.DRAFT, index=True)
    cycle_min_months: Mapped[int] = mapped_column(default=9)
    cycle_max_months: Mapped[int] = mapped_column(default=24)
    meeting_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    times_of_day: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_travel_km: Mapped[int] = mapped_column(default=50)
    mentee_capacity: Mapped[int | None]  # mentors only: how many mentee companies they can take
    questions: Mapped[str | None] = mapped_column(Text)  # Fragestellungen the company brings
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Optimistic locking: a save based on an outdated version is refused instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    company: Mapped[Company] = relationship(back_populates="applications")
    programme: Mapped[Programme] = relationship(back_populates="applications")
    topics: Mapped[list[ApplicationTopic]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationTopic.priority"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Exclusion.id"
    )
    proposals: Mapped[list[ChangeProposal]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ChangeProposal.created_at"
    )

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def needs(self) -> list[ApplicationTopic]:
        return [t for t in self.topics if t.kind == "need"]

    @property
    def offers(self) -> list[ApplicationTopic]:
        return [t for t in self.topics if t.kind == "offer"]

    @property
    def pending_proposal(self) -> ChangeProposal | None:
        return next((p for p in self.proposals if p.status == "pending"), None)


class ApplicationTopic(db.Model):
    """A need (mentee) or a strength to share (mentor), from the taxonomy, with a priority 1 (high) to 3."""

    __table_args__ = (UniqueConstraint("application_id", "topic", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(5))  # need | offer
    topic: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(default=2)

    application: Mapped[Application] = relationship(back_populates="topics")


class Exclusion(db.Model):
    """A company this applicant does not want to be grouped with; visible to coordinators only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"))

    application: Mapped[Application] = relationship(back_populates="exclusions")
    company: Mapped[Company | None] = relationship()


class ChangeProposal(db.Model):
    """Changes an HR lead proposes after approval; the coordinator sees old and new values and decides."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    changes: Mapped[dict] = mapped_column(JSON)  # field -> {"old": ..., "new": ...}
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    application: Mapped[Application] = relationship(back_populates="proposals")
