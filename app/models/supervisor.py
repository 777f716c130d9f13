"""What the matching needs to know about a supervisor: where they are based, how many groups they can lead, and
which programmes they serve."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UtcDateTime, utcnow
from app.models.user import User

if TYPE_CHECKING:
    from app.models.programme import Programme


class SupervisorProfile(db.Model):
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str | None] = mapped_column(String(120))
    municipality_geonameid: Mapped[int | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # Groups led at the same time, in all programmes together: the supervisor's own limit (see ProgrammeSupervisor).
    max_groups: Mapped[int] = mapped_column(default=4)
    max_travel_km: Mapped[int] = mapped_column(default=80)  # to in-person group meetings
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class ProgrammeSupervisor(db.Model):
    """A supervisor who serves a programme, with the capacity its coordinators give them there.

    Capacity is counted on two levels, decided so that no coordinator can change what another programme gets:
    - `max_groups` here is how many groups of *this* programme the supervisor leads at most at the same time; the
      programme's coordinators set it (it is what they agreed with the supervisor);
    - `SupervisorProfile.max_groups` is how many groups the supervisor leads at most at the same time in *all*
      programmes together; the supervisor sets it.
    A matching round of a programme only offers the programme's supervisors, each with the smaller of: this
    capacity less the running groups they lead in this programme, and their own limit less the running groups they
    lead anywhere (groups of other programmes count against it). Groups of the round itself are not counted.
    """

    __tablename__ = "programme_supervisor"
    __table_args__ = (CheckConstraint("max_groups >= 0", name="max_groups_not_negative"),)

    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    max_groups: Mapped[int] = mapped_column(default=2)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    programme: Mapped[Programme] = relationship()
    user: Mapped[User] = relationship()
