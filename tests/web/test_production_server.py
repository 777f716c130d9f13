"""The production setup as gunicorn serves it (`TANDEM_ENV=production`, the command `flask prodserver` runs, behind
a TLS proxy that says https): the cookies are Secure, HttpOnly, SameSite and `__Host-` where they can be, HSTS
comes with every answer over HTTPS (and only then), and no answer names gunicorn or its version."""
from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Role, User
from app.services.passwords import hash_password
from tests.conftest import PASSWORD, free_port
from tests.serving import wait_for_http

ROOT = Path(__file__).resolve().parents[2]
HOST = "tandem.example.org"
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5", "X-Forwarded-Host": HOST}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[int]:
    """gunicorn started as `flask prodserver` starts it, in the project folder, with the production settings."""
    folder = tmp_path_factory.mktemp("production")
    url = f"sqlite:///{folder / 'tandem.db'}"
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with application.app_context():
        upgrade()
        db.session.add(User(email="sup@example.org", full_name="Sara Supervision", role=Role.SUPERVISOR,
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    port = free_port()
    env = {**os.environ, "TANDEM_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "TANDEM_PROXY_HOPS": "1", "TANDEM_INSTANCE_DIR": str(folder), "TANDEM_BASE_URL": f"https://{HOST}",
           "TANDEM_OPERATOR_NAME": "Kreis Borken", "TANDEM_OPERATOR_ADDRESS": "Burloer Straße 93; 46325 Borken",
           "TANDEM_OPERATOR_EMAIL": "tandem@example.org"}
    log = folder / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                                    f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process, log=log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


class Visitor:
    """A browser behind the TLS proxy: keeps its cookies, sends the proxy's headers, follows no redirects."""

    def __init__(self, port: int, headers: dict | None = None) -> None:
        self.port, self.headers, self.jar = port, dict(HTTPS if headers is None else headers), {}
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, form: dict | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{HOST}{path}"}
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(cookie)
            name, _, rest = cookie.partition("=")
            self.jar[name] = rest.split(";", 1)[0]
        return response

    def post_form(self, path: str, fields: dict, token_page: str | None = None) -> http.client.HTTPResponse:
        token = CSRF.search(self.request("GET", token_page or path).text).group(1)
        return self.request("POST", path, {"csrf_token": token, **fields})


def attributes(cookie: str) -> tuple[str, dict[str, str]]:
    first, *rest = [part.strip() for part in cookie.split(";")]
    pairs = [part.partition("=") for part in rest]
    return first.partition("=")[0], {key.lower(): value for key, _, value in pairs}


def test_login_cookies_are_host_only_secure_httponly_and_samesite(server):
    visitor = Visitor(server)
    response = visitor.post_form("/login", {"email": "sup@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status == 302, response.text[:2000]
    assert visitor.request("GET", "/supervisor/").status == 200
    visitor.post_form("/language", {"language": "en", "next": "/supervisor/"}, token_page="/supervisor/")
    cookies = dict(attributes(c) for c in visitor.set_cookies)
    assert {"__Host-tandem_session", "__Host-tandem_remember", "tandem_lang"} <= set(cookies), cookies
    for name, attrs in cookies.items():
        assert {"secure", "httponly"} <= set(attrs) and attrs.get("samesite") == "Lax", (name, attrs)
        if name.startswith("__Host-"):  # what a browser demands of the prefix
            assert attrs.get("path") == "/" and "domain" not in attrs, (name, attrs)


def test_hsts_over_https_only(server):
    secure = Visitor(server).request("GET", "/login")
    assert secure.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
    plain = Visitor(server, headers={"Host": HOST}).request("GET", "/login")  # no proxy saying https
    assert plain.status == 200 and plain.getheader("Strict-Transport-Security") is None


def test_no_answer_names_the_server_software(server):
    visitor = Visitor(server)
    answers = [visitor.request("GET", path) for path in ("/healthz", "/login", "/no-such-page", "/static/css/tandem.css")]
    answers.append(visitor.request("POST", "/login", {"email": "x"}))  # refused: no CSRF token
    for answer in answers:
        server_header = answer.getheader("Server") or ""
        assert "gunicorn" not in server_header.lower() and not re.search(r"\d", server_header), server_header
    # A request gunicorn itself refuses, before the app sees it.
    with socket.create_connection(("127.0.0.1", server), timeout=60) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")
        refused = raw.recv(65536).decode("latin-1")
    assert refused.startswith("HTTP/1.1 400") and "gunicorn" not in refused.lower(), refused[:500]
