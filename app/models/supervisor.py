"""What the matching needs to know about a supervisor: where they are based and how many groups they can lead."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow
from app.models.user import User


class SupervisorProfile(db.Model):
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str | None] = mapped_column(String(120))
    municipality_geonameid: Mapped[int | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    max_groups: Mapped[int] = mapped_column(default=4)  # groups led at the same time
    max_travel_km: Mapped[int] = mapped_column(default=80)  # to in-person group meetings
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.latitude is not None and self.longitude is not None
