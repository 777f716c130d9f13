"""One generic error page for every HTTP error; never a traceback."""
from __future__ import annotations

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.i18n import lazy_gettext as _l

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This page cannot be used like that.")),
    413: (_l("File too large"), _l("The upload is larger than allowed. Please send a smaller file.")),
    429: (_l("Too many requests"), _l("Too many requests in a short time. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again.")),
    503: (_l("Service temporarily unavailable"),
          _l("Please try again in a minute. What you sent last may not have been saved.")),
    507: (_l("Storage full"),
          _l("Could not save: the server's storage is full. Please contact the administrator.")),
}

# SQLite's SQLITE_FULL and PostgreSQL's SQLSTATE 53100 (disk_full).
DISK_FULL = {"SQLITE_FULL", "53100"}


def _database_outage(exc: DBAPIError) -> int | None:
    """507 for a full disk, 503 for a database that is down, restarting or busy; None for other database errors."""
    orig = exc.orig
    if {getattr(orig, "sqlite_errorname", None), getattr(orig, "sqlstate", None)} & DISK_FULL:
        return 507
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return 503
    return None


def _render(code: int, detail=None):
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(400, _l("The form has expired or was sent from elsewhere. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return _render(exc.code)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return _render(InternalServerError.code)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        code = _database_outage(exc)
        if code is None:
            return unexpected_error(exc)
        app.logger.error("database unavailable (%d): %s", code, exc.orig)
        _rollback_quietly(app)
        try:
            body, code = _render(code)
        except SQLAlchemyError:
            # The page itself needed the database (to load the signed-in user): show it as to a visitor, by
            # setting Flask-Login's per-request user (the session cookie stays, so nobody is logged out).
            _rollback_quietly(app)
            g._login_user = app.login_manager.anonymous_user()
            body, code = _render(code)
        return body, code, {"Retry-After": "60"} if code == 503 else {}


def _rollback_quietly(app: Flask) -> None:
    # A rollback on a connection the server has closed may fail too; the pool replaces that connection.
    try:
        db.session.rollback()
    except SQLAlchemyError as exc:
        app.logger.warning("rollback failed: %s", exc)
