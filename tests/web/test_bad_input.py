"""Hostile and broken input in every form field: a form error or escaped output, never a 500, nothing written."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Role, TokenPurpose, utcnow
from app.services import tokens
from tests.conftest import PASSWORD, csrf_token, login

SCRIPT = "<script>alert('x')</script>"
BAD_VALUES = {
    "empty": "",
    "overlong": "x" * 10_000,
    "script": SCRIPT,
    "nul": "abc\x00def",
    "non_utf8": b"\xff\xfe\xfa",
}
GOOD_PASSWORD = "Pflegekoffer-im-Sommer-2026"


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def restore_password(app, email: str) -> None:
    from app.models import User
    from app.services.passwords import hash_password

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        user.password_hash = hash_password(PASSWORD)
        db.session.commit()


def encode(data: dict[str, str | bytes | list]) -> bytes:
    parts = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            raw = item if isinstance(item, bytes) else str(item).encode()
            parts.append(f"{key}={quote(raw)}")
    return "&".join(parts).encode()


@pytest.fixture
def forms(app, make):
    """Each form: (who is logged in, path, valid data)."""
    programme = make.programme()
    user = make.user(Role.HR_LEAD, email="hr@example.org")
    make.user(Role.ADMIN, email="admin@example.org")
    with app.app_context():
        reset = tokens.issue_token(TokenPurpose.PASSWORD_RESET, email=user.email, user_id=user.id, now=utcnow(),
                                   valid_for=timedelta(hours=2))
        invite = tokens.issue_token(TokenPurpose.INVITATION, email="new@example.org", role="supervisor", now=utcnow(),
                                    valid_for=timedelta(days=7))
        db.session.commit()
    new_pw = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    return {
        "login": (None, "/login", {"email": "nobody@example.org", "password": "whatever-password"}),
        "register": (None, "/register", {"company_name": "Neue Firma", "full_name": "Eva Neu",
                                         "email": "eva@example.org", **new_pw}),
        "forgot": (None, "/password/forgot", {"email": "hr@example.org"}),
        "reset": (None, f"/password/reset/{reset}", new_pw),
        "invitation": (None, f"/invitation/{invite}", {"full_name": "Sven Neu", **new_pw}),
        "invite": ("admin@example.org", "/admin/invite", {"email": "sup@example.org", "role": "supervisor",
                                                          "programmes": [str(programme.id)]}),
        "account": ("hr@example.org", "/account", {"current_password": PASSWORD, **new_pw}),
        "language": (None, "/language", {"language": "en", "next": "/login"}),
    }


@pytest.mark.parametrize("form_name", ["login", "register", "forgot", "reset", "invitation", "invite", "account",
                                       "language"])
def test_bad_value_in_each_field(app, forms, form_name):
    who, path, valid = forms[form_name]
    for field in valid:
        for label, bad in BAD_VALUES.items():
            before = row_counts(app)
            client = app.test_client()
            if who:
                login(client, who)
            data = {"csrf_token": csrf_token(client, "/password/forgot"), **valid, field: bad}
            if field.startswith("password") and label not in ("empty",):
                data["password_confirm"] = data["password"] = bad  # a bad but matching password pair
            response = client.post(path, data=encode(data), content_type="application/x-www-form-urlencoded")
            body = response.get_data(as_text=True)
            context = f"{form_name}.{field}={label}"
            assert response.status_code < 500, context
            assert SCRIPT not in body, context
            # Undecodable bytes in a name arrive as replacement characters, which a company name may hold.
            if response.status_code == 302 and (label == "script" or (form_name, label) == ("register", "non_utf8")):
                # Accepted as text (a name may contain "<"): it must come back escaped, never as markup.
                landing = client.get(response.headers["Location"]).get_data(as_text=True)
                assert SCRIPT not in landing, context
                restore_password(app, "hr@example.org")
                continue
            if form_name != "language":
                assert response.status_code == 200, context  # the form again, with its error
            after = row_counts(app)
            # Logging in (for the forms behind a login) and a refused login are written to the audit log on
            # purpose, one row each; the login opens a login session; logins, registrations and reset requests
            # are counted by the throttle (a row per kind and address, the first time); nothing else may change.
            logged = after.pop("audit_event") - before.pop("audit_event")
            sessions = after.pop("login_session") - before.pop("login_session")
            counters = after.pop("throttle_counter") - before.pop("throttle_counter")
            assert after == before, context
            assert logged <= (1 if who else 0) + (1 if form_name == "login" else 0), context
            assert sessions == (1 if who else 0) and counters <= 2, context


def test_upload_over_the_limit_gets_a_clear_message(app):
    client = app.test_client()
    body = b"email=" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Datei zu groß" in response.get_data(as_text=True)


def test_script_in_a_name_is_shown_escaped(app, make):
    admin = make.user(Role.ADMIN)
    make.user(Role.SUPERVISOR, full_name=SCRIPT)
    client = app.test_client()
    login(client, admin.email)
    body = client.get("/admin/users").get_data(as_text=True)
    assert SCRIPT not in body and "&lt;script&gt;" in body
