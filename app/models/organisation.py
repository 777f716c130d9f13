"""Organisations around a programme: its carrier (Träger), partners, cooperation partners and funders."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow

if TYPE_CHECKING:
    from app.models.programme import Programme


class OrganisationKind(StrEnum):
    """What an organisation is (shown by name, never by code)."""

    BUSINESS_DEVELOPMENT = "business_development"
    CHAMBER = "chamber"
    JOBCENTER = "jobcenter"
    ASSOCIATION = "association"
    EMPLOYERS_ASSOCIATION = "employers_association"
    UNIVERSITY = "university"
    COUNSELLING = "counselling"
    CARE_BASE = "care_base"
    PUBLIC_BODY = "public_body"
    OTHER = "other"


class PartnerRole(StrEnum):
    """An organisation's part in a programme. The carrier is `Programme.carrier` (exactly one, or none yet)."""

    PARTNER = "partner"
    COOPERATION = "cooperation"
    FUNDER = "funder"


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30), default=OrganisationKind.OTHER)
    # Postal address as it is printed (street, postcode and town on separate lines).
    address: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(300))
    # A contact person: personal data (backup, export and erasure cover it).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    partnerships: Mapped[list[ProgrammePartner]] = relationship(back_populates="organisation",
                                                                cascade="all, delete-orphan")


class ProgrammePartner(db.Model):
    """An organisation taking part in a programme in one role (an organisation may hold several roles)."""

    __table_args__ = (UniqueConstraint("programme_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # What the partner contributes, shown on the public page ("berät Beschäftigte zur Pflege").
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship(back_populates="partnerships")
