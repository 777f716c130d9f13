"""A bulk import of companies: checked in a dry run, kept until the coordinator confirms it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UtcDateTime, utcnow


class ImportBatch(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[list[dict]] = mapped_column(JSON)  # the parsed cells, one dict per row
    status: Mapped[str] = mapped_column(String(10), default="preview")  # preview | imported
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
