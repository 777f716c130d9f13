"""Logging in: Flask-Login wiring and each role's start page."""
from __future__ import annotations

from flask import Flask

from app.extensions import login_manager
from app.i18n import lazy_gettext as _l
from app.models import Role, User, utcnow
from app.services import login_sessions

START_PAGES = {
    Role.HR_LEAD: "hr.start",
    Role.SUPERVISOR: "supervisor.start",
    Role.COORDINATOR: "coordinator.start",
    Role.ADMIN: "admin.users",
    Role.COLLEAGUE: "groups.mine",
}


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # The id carries the account's session version (raising it ends every session of that account) and
        # the secret of this device's login session (logging out ends it).
        return login_sessions.resolve(user_id, now=utcnow())
