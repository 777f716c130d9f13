"""Small helpers shared by the views."""
from __future__ import annotations

from flask import current_app, flash

from app.extensions import db
from app.models import utcnow
from app.services import throttle
from app.services.errors import ServiceError


def apply_service_error(form, exc: ServiceError) -> None:
    """Show a service's refusal next to its field, or at the top of the page."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(str(exc.message), "danger")


def over_limit(name: str, key: str) -> bool:
    """Count this request against the throttle THROTTLE_<NAME> for `key`; True once it is over the limit.
    Commits the count at once (call it before any other change), so it holds even if the request fails."""
    limit, seconds = current_app.config[f"THROTTLE_{name.upper()}"]
    allowed = throttle.allow(f"{name}:{key}", limit=limit, seconds=seconds, now=utcnow())
    db.session.commit()
    return not allowed
