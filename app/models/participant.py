"""People taking part, as the ESF Plus funder counts them: entry and exit questionnaires, once per person."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

SEXES = ("female", "male", "non_binary", "no_answer")
AGE_BANDS = ("under_30", "30_54", "over_54", "no_answer")
EMPLOYMENT = ("employed", "self_employed", "unemployed", "inactive", "no_answer")
EDUCATION = ("isced_0_2", "isced_3_4", "isced_5_8", "no_answer")


class Participant(db.Model):
    """One person of a company in a programme. The funder counts each person once per project, matched on first
    name, last name and postcode (`person_key`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id", ondelete="SET NULL"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    postcode: Mapped[str] = mapped_column(String(10))
    person_key: Mapped[str] = mapped_column(String(200), index=True)
    sex: Mapped[str] = mapped_column(String(12))
    age_band: Mapped[str] = mapped_column(String(12))
    employment: Mapped[str] = mapped_column(String(16))
    education: Mapped[str] = mapped_column(String(12))
    entered_on: Mapped[date]
    exit_employment: Mapped[str | None] = mapped_column(String(16))
    exited_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
