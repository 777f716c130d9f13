"""Query arguments that Flask's url_for reads as its own options (`_method`, `_external`, `_anchor`, `_scheme`):
no page passes what it was asked for into url_for, so none of them answers 500 or prints a link the visitor chose."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.web.test_authorization import EXPECTED
from tests.web.test_hostile_forms import acting_role, client_for, url_of, world  # noqa: F401 - `world`: a fixture

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RESERVED = {
    "_method": ["x", "POST", ""],
    "_external": ["1", "0", ""],
    "_scheme": ["javascript", "https", "x y"],
    "_anchor": ['"><b>x</b>', "x", ""],
}
# Each option alone with each value, then all of them at once, as the probe sent them.
CASES = [{name: value} for name, values in RESERVED.items() for value in values] + [
    {"_method": "x", "_external": "1", "_scheme": "javascript", "_anchor": "x"},
    {"_external": "1", "_scheme": "javascript", "_anchor": "%0aalert(1)"},
]


def _get_endpoints() -> list[str]:
    """GET routes some role may open (the calendar feed needs a valid token: tests/web/test_hostile_forms.py)."""
    return sorted(e for e, m in EXPECTED if m == "GET" and acting_role(e, "GET") is not None)


@pytest.mark.parametrize("endpoint", _get_endpoints())
def test_url_for_options_in_the_query_string(app, world, endpoint):  # noqa: F811 - `world` is the fixture
    client = client_for(app, world, acting_role(endpoint, "GET"))
    url = url_of(app, world, endpoint)
    for case in CASES:
        response = client.get(url, query_string=urlencode(case))
        if not response.mimetype.startswith("text/"):  # a download (PDF, XLSX): no link to check, only no 500
            assert response.status_code < 500, case
            continue
        body = response.get_data(as_text=True)
        assert response.status_code < 500, (case, body[:1000])
        assert "javascript:" not in body.lower(), case
        assert "<b>x</b>" not in body, case


def test_no_template_passes_request_arguments_to_url_for():
    """`url_for(..., **request.args)` hands the visitor url_for's own options; templates pass chosen keys only."""
    call = re.compile(r"url_for\((?:[^()]|\([^()]*\))*\)", re.S)
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        for match in call.finditer(path.read_text(encoding="utf-8")):
            if re.search(r"request\.(args|values|form)|\*\*\s*request", match.group(0)):
                found.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert not found, found


def test_the_audit_export_link_keeps_the_filters_it_understood(app, make):
    from app.models import Role
    from tests.conftest import login

    admin = make.user(Role.ADMIN)
    client = app.test_client()
    login(client, admin.email)
    page = client.get("/admin/audit?action=login&actor=s%40example&since=2026-01-01&_external=1&_method=x"
                      "&_scheme=javascript").get_data(as_text=True)
    link = re.search(r'href="(/admin/audit\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/admin/audit.csv?")
    assert sorted(link.split("?", 1)[1].split("&")) == ["action=login", "actor=s@example", "since=2026-01-01"]
