"""Mentoring groups: one mentor company, its mentee companies and a supervisor, for one cycle."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Application
    from app.models.matching_round import MatchingRound
    from app.models.meeting import Meeting
    from app.models.programme import Programme
    from app.models.user import User


class GroupStatus(StrEnum):
    ACTIVE = "active"  # published and running (or ended, until the nightly job closes it)
    DISSOLVED = "dissolved"  # the mentor company declined
    COMPLETED = "completed"  # the cycle has ended and been closed: certificates are ready


class Response(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class MentoringGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    mode: Mapped[str] = mapped_column(String(10), default="hybrid")
    status: Mapped[str] = mapped_column(String(10), default=GroupStatus.ACTIVE)
    # As the group agreed: may the companies see each other's measures?
    shares_measures: Mapped[bool] = mapped_column(default=True, server_default="1")
    # When the closing job marked the group completed (claimed with a conditional UPDATE, so once per group).
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retention_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retention_done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    programme: Mapped[Programme] = relationship()
    round: Mapped[MatchingRound] = relationship(back_populates="groups")
    supervisor: Mapped[User | None] = relationship()
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                      order_by="GroupMember.id")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                   order_by="Meeting.number")

    @property
    def mentor(self) -> GroupMember | None:
        return next((m for m in self.members if m.role == "mentor"), None)

    @property
    def mentees(self) -> list[GroupMember]:
        return [m for m in self.members if m.role == "mentee"]

    @property
    def is_active(self) -> bool:
        return self.status == GroupStatus.ACTIVE

    @property
    def is_completed(self) -> bool:
        return self.status == GroupStatus.COMPLETED


class GroupMember(db.Model):
    __table_args__ = (UniqueConstraint("group_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("mentoring_group.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # mentor | mentee
    score: Mapped[int | None]  # mentees: the match score 0–1000
    reasons: Mapped[list | None] = mapped_column(JSON)  # mentees: the reasons as matching's codes
    response: Mapped[str] = mapped_column(String(10), default=Response.PENDING)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # When the company was asked for its re-assessment in the middle and at the end of the cycle.
    mid_assessment_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end_assessment_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    group: Mapped[MentoringGroup] = relationship(back_populates="members")
    application: Mapped[Application] = relationship()
