"""Two web processes over one database: a login on one is valid on the other, a logout on one ends it on both,
and failed logins and throttled requests count across both (the workers keep no state of their own)."""
from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import PASSWORD, free_port
from tests.serving import wait_for_http

ROOT = Path(__file__).resolve().parents[2]


def _serve(app, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "shared-secret-" * 4,
           "TANDEM_ENV": "development", "FLASK_APP": "wsgi.py"}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                 "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=out)


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, base: str, email: str, password: str) -> tuple[int, str]:
        return self.post(base, "/login", {"email": email, "password": password})

    def post(self, base: str, path: str, fields: dict, token_page: str | None = None) -> tuple[int, str]:
        """Send a form with the CSRF token of its page (or of token_page)."""
        _, page = self.get(f"{base}{token_page or path}")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        try:
            request = urllib.request.Request(f"{base}{path}", data=data)  # noqa: S310 - http to loopback
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_logins_logouts_and_throttles_hold_across_two_web_processes(app, make, tmp_path):
    from app.models import Role

    make.user(Role.SUPERVISOR, email="sup@example.org")
    make.user(Role.SUPERVISOR, email="target@example.org")
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"gunicorn-{port}.log" for port in ports]
    servers = [_serve(app, port, log) for port, log in zip(ports, logs, strict=True)]
    try:
        for port, server, log in zip(ports, servers, logs, strict=True):
            wait_for_http(f"http://127.0.0.1:{port}/healthz", server, log=log)
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        browser = Browser()
        assert browser.login(a, "sup@example.org", PASSWORD)[0] == 302
        assert browser.get(f"{b}/supervisor/")[0] == 200  # the signed session cookie is valid on the other
        assert Browser().get(f"{b}/supervisor/")[0] == 302  # and without it, not
        # Five failed logins, alternating between the two processes, lock the account on both.
        for attempt in range(5):
            Browser().login(a if attempt % 2 else b, "target@example.org", "wrong-password-123")
        status, page = Browser().login(a, "target@example.org", PASSWORD)
        assert status == 200 and "Zu viele fehlgeschlagene Versuche" in page  # locked, even with the right one
        # Logging out on one process ends the session on both: a copy of the cookie opens nothing on the other.
        thief = Browser()
        for cookie in browser.jar:
            thief.jar.set_cookie(cookie)
        assert thief.get(f"{a}/supervisor/")[0] == 200
        assert browser.post(b, "/logout", {}, token_page="/account")[0] == 302
        assert thief.get(f"{a}/supervisor/")[0] == 302
        # The throttle on reset requests (10 an hour from one address) counts the requests to both processes.
        statuses = [Browser().post(a if n % 2 else b, "/password/forgot", {"email": f"nobody{n}@example.org"})[0]
                    for n in range(11)]
        assert statuses == [302] * 10 + [429]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
