"""Small helpers shared by the views."""
from __future__ import annotations

from flask import flash

from app.services.errors import ServiceError


def apply_service_error(form, exc: ServiceError) -> None:
    """Show a service's refusal next to its field, or at the top of the page."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(str(exc.message), "danger")
