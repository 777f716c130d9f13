"""An empty start: `flask admin create EMAIL` prints a one-time link with which the first administrator sets a
name and password; nothing of the demo is loaded and no password passes the command line."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Programme, Role, User
from tests.conftest import PASSWORD, csrf_token, login

LINK = re.compile(r"https?://\S+/invitation/(\S+)")


def _create(app, email: str):
    return app.test_cli_runner().invoke(args=["admin", "create", email])


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_first_administrator_sets_a_password_through_the_printed_link(app, client):
    assert _count(app, User) == 0
    result = _create(app, "  Boss@Example.org ")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    token = LINK.search(result.output).group(1)
    assert _count(app, User) == 0 and _count(app, Programme) == 0  # only the invitation: no demo, no account
    page = f"/invitation/{token}"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "full_name": "Bea Boss",
                                       "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert (admin.email, admin.role, admin.full_name) == ("boss@example.org", Role.ADMIN, "Bea Boss")
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.actor_id.is_(None))) == "invite"
    fresh = app.test_client()
    login(fresh, "boss@example.org")
    assert fresh.get("/admin/users").status_code == 200
    # The link works once.
    again = app.test_client().get(page).get_data(as_text=True)
    assert 'name="password"' not in again


def test_a_bad_or_taken_address_is_refused_and_nothing_is_written(app, make):
    make.user(Role.SUPERVISOR, email="taken@example.org")
    for email in ("not-an-address", "TAKEN@example.org"):
        result = _create(app, email)
        # The command speaks German like the app (its default language), saying what is wrong with the address.
        assert result.exit_code != 0 and "E-Mail-Adresse" in result.output, result.output
        assert "/invitation/" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
