"""Access rules for views, safe redirects and the security headers of every response."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app.extensions import login_manager
from app.models import Role

# The largest id a row can have: PostgreSQL's integer (SQLite's is larger; the smaller bound holds for both).
MAX_ID = 2**31 - 1

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def _mark(view: Callable, rule: tuple) -> Callable:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    """Anyone may open this route, logged in or not."""
    return _mark(view, (PUBLIC,))


def login_required(view: Callable) -> Callable:
    """Any logged-in user may open this route."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return _mark(wrapped, (AUTHENTICATED,))


def role_required(*roles: Role) -> Callable[[Callable], Callable]:
    """Only users with one of these roles may open this route; others get 403, anonymous users the login."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapped, tuple(roles))

    return decorator


class IdConverter(IntegerConverter):
    """`<int:…>` in every route is a row id: a larger number than any id is no page (404), rather than a number
    the database refuses (a server error on PostgreSQL beyond its integer, on SQLite beyond 64 bits)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def check_access_rules(app: Flask) -> None:
    """Refuse to start when a view has no access rule: no route can be forgotten."""
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if not endpoint.endswith("static") and not hasattr(view, "access_rule")
    ]
    if missing:
        raise RuntimeError(f"views without an access rule: {', '.join(sorted(missing))}")


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a local path (no scheme, no host, no protocol-relative `//`), else None."""
    if not target or len(target) > 500:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def set_security_headers(response):
    """Headers on every response: CSP without inline script, no framing, no sniffing, no caching behind login,
    and HSTS where configured and the request came over HTTPS."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    hsts = current_app.config["HSTS_SECONDS"]
    if hsts and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if not request.path.startswith("/static/") and "/static/" not in request.path:
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response
