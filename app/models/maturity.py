"""Maturity self-assessments: every one kept with its date, so later ones can be compared with the first."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.company import Company


class MaturityAssessment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(10), default="start")  # start | middle | end
    overall: Mapped[int]
    level: Mapped[str] = mapped_column(String(20))
    is_complete: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    company: Mapped[Company] = relationship(back_populates="assessments")
    answers: Mapped[list[MaturityAnswer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="MaturityAnswer.id"
    )

    @property
    def scores(self) -> dict[str, int | None]:
        return {a.dimension: a.score for a in self.answers}

    @property
    def comments(self) -> dict[str, str]:
        return {a.dimension: a.comment for a in self.answers if a.comment}


class MaturityAnswer(db.Model):
    __table_args__ = (UniqueConstraint("assessment_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("maturity_assessment.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(40))
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[MaturityAssessment] = relationship(back_populates="answers")
