"""One generic error page for every HTTP error; never a traceback."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("This page does not exist, or you may not see it.")),
    405: (_l("Not allowed"), _l("This page cannot be used like that.")),
    413: (_l("File too large"), _l("The upload is larger than allowed. Please send a smaller file.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again.")),
}


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
