"""Security basics: headers, caching, cookies, production refusal, error pages, CSRF."""
from __future__ import annotations

import pytest

from app import create_app
from app.config import ProductionConfig, TestConfig
from app.models import Role
from app.security import safe_next
from tests.conftest import login


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(app, make):
    user = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, user.email)
    for path in ("/admin/users", "/admin/invite", "/account", "/login"):
        html = client.get(path).get_data(as_text=True)
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), chunk[:80]
        assert " style=" not in html
        assert "cdn" not in html.lower()


def test_static_assets_are_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in html
    for path in ("/bootstrap/static/css/bootstrap.min.css", "/bootstrap/static/js/bootstrap.min.js",
                 "/static/css/tandem.css"):
        response = client.get(path)
        assert response.status_code == 200
        response.close()


def test_production_refuses_the_development_secret_key(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = "dev-only-secret-key-change-me"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_cookies_are_secure():
    class Prod(ProductionConfig):
        SECRET_KEY = "a-real-secret-for-this-test-only"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert not app.config["DEV_MAILBOX_ENABLED"]


def test_post_without_csrf_token_is_refused(app, make):
    user = make.user(Role.ADMIN)
    target = make.user(Role.SUPERVISOR)
    client = app.test_client()
    login(client, user.email)
    response = client.post(f"/admin/users/{target.id}/deactivate", data={})
    assert response.status_code == 400
    response = client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "Formular ist abgelaufen" in response.get_data(as_text=True)


def test_unexpected_error_shows_generic_page_without_traceback(app, database_url, smtp_server):
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, MAIL_PORT=smtp_server["port"])

    @application.get("/boom")
    def boom():
        raise ValueError("secret internals")

    boom.access_rule = ("public",)
    response = application.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Etwas ist schiefgelaufen" in body and "secret internals" not in body and "Traceback" not in body


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/hr/", "/hr/"), ("/a?b=c", "/a?b=c"), ("https://evil.example", None), ("//evil.example", None),
     ("/\\evil.example", None), ("javascript:alert(1)", None), ("", None), (None, None), ("relative", None)],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_every_view_needs_an_access_rule(database_url, smtp_server):
    from flask import Blueprint

    bp = Blueprint("forgotten", __name__)

    @bp.get("/forgotten")
    def forgotten():
        return "no rule"

    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    application.register_blueprint(bp)
    from app.security import check_access_rules

    with pytest.raises(RuntimeError, match="forgotten.forgotten"):
        check_access_rules(application)
