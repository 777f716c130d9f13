"""Matching rounds: the coordinator's settings, the companies and supervisors taking part, pins and bans, the
optimiser's runs, and the round's history."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Application
    from app.models.group import MentoringGroup
    from app.models.programme import Programme
    from app.models.user import User


class RoundStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


round_supervisor = Table(
    "round_supervisor",
    db.metadata,
    Column("round_id", ForeignKey("matching_round.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)

round_participant = Table(
    "round_participant",
    db.metadata,
    Column("round_id", ForeignKey("matching_round.id", ondelete="CASCADE"), primary_key=True),
    Column("application_id", ForeignKey("application.id", ondelete="CASCADE"), primary_key=True),
)


class MatchingRound(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=RoundStatus.DRAFT)
    starts_on: Mapped[date]
    cycle_months: Mapped[int] = mapped_column(default=12)
    group_min: Mapped[int] = mapped_column(default=2)
    group_max: Mapped[int] = mapped_column(default=4)
    min_maturity_gap: Mapped[int] = mapped_column(default=10)
    competitor_km: Mapped[int | None]
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    is_fair: Mapped[bool] = mapped_column(default=False)
    time_limit_s: Mapped[int] = mapped_column(default=30)
    respond_by: Mapped[date | None]  # HR leads accept or decline their group by then
    # The groups as proposed now: the last run's result with the coordinator's moves applied (see services.rounds).
    proposal: Mapped[dict | None] = mapped_column(JSON)
    previous_proposal: Mapped[dict | None] = mapped_column(JSON)
    # Set while a run is queued or running; claimed with a conditional UPDATE so that two runs never overlap.
    active_run_id: Mapped[int | None]
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("matching_round.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Optimistic locking: a save based on an outdated version is refused instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    programme: Mapped[Programme] = relationship()
    participants: Mapped[list[Application]] = relationship(secondary=round_participant, order_by="Application.id")
    supervisors: Mapped[list[User]] = relationship(secondary=round_supervisor, order_by="User.full_name")
    rules: Mapped[list[RoundRule]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                  order_by="RoundRule.id")
    runs: Mapped[list[RoundRun]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                order_by="RoundRun.number")
    events: Mapped[list[RoundEvent]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                    order_by="RoundEvent.id")
    groups: Mapped[list[MentoringGroup]] = relationship(back_populates="round", order_by="MentoringGroup.id")

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.DRAFT

    @property
    def last_run(self) -> RoundRun | None:
        return self.runs[-1] if self.runs else None


class RoundRule(db.Model):
    """A coordinator's decision the optimiser must keep: pin a mentee to a mentor, forbid a pair, or pin a
    supervisor to a mentor's group."""

    __table_args__ = (UniqueConstraint("round_id", "kind", "mentor_application_id", "mentee_application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(15))  # pin | forbid | supervisor
    mentor_application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    mentee_application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    round: Mapped[MatchingRound] = relationship(back_populates="rules")


class RoundRun(db.Model):
    """One run of the optimiser over a round, in the background; the result as matching's JSON."""

    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    time_limit_s: Mapped[int] = mapped_column(default=30)
    instance: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)

    round: Mapped[MatchingRound] = relationship(back_populates="runs")

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class RoundEvent(db.Model):
    """The round's history: who decided what, and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("matching_round.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    round: Mapped[MatchingRound] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
