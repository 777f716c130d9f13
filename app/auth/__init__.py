"""Logging in: Flask-Login wiring and each role's start page."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.extensions import db, login_manager
from app.models import Role, User

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
        # The id carries the account's session version: raising it ends every session of that account.
        ident, _, version = user_id.partition(":")
        if not ident.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(ident))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user
