"""The JSON endpoints keep to their OpenAPI description (app/static/openapi.json): schemathesis generates requests
from it and sends them to the app through WSGI, as a visitor, an HR lead and a coordinator; every response must be
documented (status, content type, headers, body schema) and none may be a server error."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.models import Role
from tests.conftest import login

SPEC = Path(__file__).parents[2] / "app" / "static" / "openapi.json"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Fixed, bounded generation: the same examples on every run, no example database, no deadline (CI machines vary).
BOUNDED = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ROUND = "/coordinator/rounds/{round_id}/instance.json"


def call(case, caller: dict):
    """Send the case to the app as this caller; check the response against the description. A caller who is logged
    in must not be sent to the login page (else every check would pass on that redirect)."""
    response = case.call_and_validate(cookies=caller["cookies"], environ_base=caller["environ"],
                                      headers={"User-Agent": caller["environ"].get("HTTP_USER_AGENT", "")},
                                      checks=CHECKS)
    if caller["cookies"]:
        assert "/login" not in response.headers.get("location", [""])[0], case.formatted_path
    return response


@pytest.fixture
def schema(app, client):
    """The description as the app serves it, bound to the app (requests go through WSGI, no network). Fetched here
    rather than with `schemathesis.openapi.from_wsgi`, which leaves the static file's response (and so its file
    handle) open: a ResourceWarning, an error under filterwarnings=error."""
    with client.get("/static/openapi.json") as response:
        assert response.status_code == 200
        loaded = schemathesis.openapi.from_dict(response.get_json())
    loaded.validate()  # against the OpenAPI 3.0 meta-schema
    loaded.app = app  # as from_wsgi does: calls go to the app through WSGI
    return loaded


@pytest.fixture
def callers(app, make, demo_world) -> dict[str, dict]:
    """Each kind of caller (nobody, an HR lead, the programme's coordinator): its session cookie and client."""
    programme = SimpleNamespace(id=demo_world["programme"])  # the factory needs only its id
    jar = {"anonymous": {"cookies": {}, "environ": {}}}
    for who, role in (("hr", Role.HR_LEAD), ("coordinator", Role.COORDINATOR)):
        user = make.user(role, programmes=[programme] if role == Role.COORDINATOR else ())
        client = app.test_client()
        login(client, user.email)
        name = app.config["SESSION_COOKIE_NAME"]
        # Flask-Login's strong session protection ties a login to the client's address and User-Agent: calls come
        # from the same ones as the login.
        jar[who] = {"cookies": {name: client.get_cookie(name).value}, "environ": dict(client.environ_base)}
    return jar


def test_the_description_is_served_and_names_every_json_endpoint(app, client):
    with client.get("/static/openapi.json") as response:  # a static file: close it, or it leaks its handle
        assert response.status_code == 200
        assert response.get_json() == json.loads(SPEC.read_text(encoding="utf-8"))
    endpoints = {rule.endpoint: rule.rule.replace("<int:round_id>", "{round_id}") for rule in app.url_map.iter_rules()}
    assert set(response.get_json()["paths"]) == {endpoints["main.healthz"], endpoints["main.places"],
                                                 endpoints["rounds.export_instance"]}


@pytest.mark.parametrize("who", ["anonymous", "hr", "coordinator"])
@pytest.mark.parametrize("path", ["/healthz", "/places", ROUND])
def test_generated_requests_get_documented_responses(schema, callers, who, path):
    operation = schema[path]["GET"]

    @BOUNDED
    @given(case=operation.as_strategy())
    def check(case):
        call(case, callers[who])

    check()


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 302), ("hr", 403), ("coordinator", 200)])
def test_the_demo_rounds_export_as_documented(schema, callers, demo_world, who, expected):
    """Generated round ids hardly ever exist: the demo's real rounds are asked for too, by each caller."""
    operation = schema[ROUND]["GET"]
    for key in ("draft", "published"):
        case = operation.Case(path_parameters={"round_id": demo_world[key]})
        response = call(case, callers[who])
        assert response.status_code == expected, (key, response.text[:300])
        if expected == 200:
            assert response.json()["format"] == "tandem-matching/1"


@pytest.mark.parametrize("round_id", [2**31, 2**63, 10**30])
def test_an_id_beyond_any_row_is_not_found(schema, callers, round_id):
    """Ids beyond PostgreSQL's integer (or SQLite's 64 bits) are no page, not a database error."""
    case = schema[ROUND]["GET"].Case(path_parameters={"round_id": round_id})
    assert call(case, callers["coordinator"]).status_code == 404
