"""The audit log: what it records, that it cannot be changed, and its page for admins."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, utcnow
from app.services import audit
from tests.conftest import PASSWORD, csrf_token, login


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_logins_failed_logins_account_changes_and_exports_are_recorded(app, make):
    programme = make.programme()
    admin = make.user(Role.ADMIN, email="admin@example.org")
    coordinator = make.user(Role.COORDINATOR, email="k@example.org", programmes=[programme])
    target = make.user(Role.SUPERVISOR, email="s@example.org")
    client = app.test_client()
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": "s@example.org",
                                "password": "wrong-password-123"})
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "email": "nobody@example.org",
                                "password": "wrong-password-123"})
    login(client, coordinator.email)
    client.get(f"/coordinator/programmes/{programme.id}/export.csv")
    admin_client = app.test_client()
    login(admin_client, admin.email)
    admin_client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": csrf_token(admin_client,
                                                                                             "/admin/users")})
    actions = _actions(app)
    assert actions.count("login_failed") == 2 and actions.count("login") == 2
    assert "export_companies" in actions and "deactivate_user" in actions
    with app.app_context():
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
        assert {e.details["email"] for e in failed} == {"s@example.org", "nobody@example.org"}
        export = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_companies"))
        assert export.actor_id == coordinator.id and export.details == {"format": "csv"}


def test_the_log_cannot_be_changed_or_deleted(app, ctx):
    audit.record("login", None, utcnow())
    db.session.commit()
    entry = db.session.scalar(select(AuditEvent))
    entry.action = "something else"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEvent)))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent)).action == "login"


def test_admins_filter_and_export_the_log_and_the_export_is_itself_logged(app, make):
    admin = make.user(Role.ADMIN, email="admin@example.org")
    make.user(Role.SUPERVISOR, email="s@example.org")
    other = app.test_client()
    login(other, "s@example.org", PASSWORD)
    client = app.test_client()
    login(client, admin.email)
    page = client.get("/admin/audit?action=login&actor=s%40example").get_data(as_text=True)
    assert "s@example.org" in page and "admin@example.org" not in page
    assert client.get("/admin/audit?since=not-a-date&action=nonsense").status_code == 200
    export = client.get("/admin/audit.csv?action=login")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("time (UTC);action") and len(lines) == 3  # header and two logins
    assert _actions(app)[-1] == "export_audit"
