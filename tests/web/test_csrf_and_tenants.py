"""Forged requests: a POST without (or with someone else's) CSRF token, and IDs of another tenant in the URL.

Both derive the routes from the app's url_map: a new POST route is checked for CSRF without being listed, and a new
route with an ID fails test_every_route_with_an_id_is_listed until it is listed here.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.models import Role
from tests.conftest import login
from tests.web import test_authorization as authorization
from tests.web import test_hostile_forms as hostile
from tests.web.test_authorization import EXPECTED, ROLES, routes
from tests.web.test_hostile_forms import (
    acting_role,
    changed_tables,
    client_for,
    form_of,
    snapshot,
    token_of,
    url_of,
)

world = authorization.world  # fixtures shared with the authorization table and the fuzzing
fuzz_world = hostile.fuzz_world


def valid_data(form: dict | None) -> list[tuple[str, str]]:
    """The first value the page offers for each field: what a user would send without changing anything."""
    pairs = []
    for name, field in (form or {"fields": {}})["fields"].items():
        if not name.endswith("csrf_token") and field["type"] != "file" and field["values"]:
            pairs.append((name, field["values"][0]))
    return pairs


# --- CSRF -----------------------------------------------------------------------------------------------------------

def _post_endpoints() -> list[str]:
    return sorted(e for e, m in EXPECTED if m == "POST")


def test_every_post_route_is_checked_for_csrf(app):
    assert {e for e, m in routes(app) if m == "POST"} == set(_post_endpoints())


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_post_without_a_valid_csrf_token_is_refused(app, fuzz_world, endpoint):
    """Without a token, with a made-up one and with another session's valid one: 400, and nothing is written."""
    role = acting_role(endpoint, "POST")
    url = url_of(app, fuzz_world, endpoint)
    client = client_for(app, fuzz_world, role)
    data = valid_data(form_of(app, fuzz_world, client, endpoint, role))
    stranger = app.test_client()
    tokens = {"none": None, "made up": "IjFiZDQ2ZGI5Yjk2MSI.aBcDeF.forged", "another session's": token_of(stranger)}
    for label, token in tokens.items():
        before = snapshot(app)
        response = client.post(url, data=MultiDict(data + ([("csrf_token", token)] if token else [])))
        assert response.status_code == 400, (label, response.status_code)
        assert changed_tables(before, snapshot(app)) == set(), label


# --- forged IDs of another tenant -----------------------------------------------------------------------------------

# Every (endpoint, method) with an integer in its URL. Its outsiders (the HR lead of company B, a coordinator of
# another programme, a supervisor who does not lead the group, a colleague of company B) get 404 where the insider
# of the same role (HR lead of A, the programme's coordinator, the group's supervisor, a colleague of A) may use it,
# and 403 where that role may not use it at all, as the authorization table documents; the HR lead of B's answer is
# the table's own column.
ID_ROUTES = {
    ("admin.deactivate", "POST"), ("admin.erase", "POST"), ("admin.reactivate", "POST"),
    ("companies.assessment_chart", "GET"), ("companies.detail", "GET"), ("companies.erase", "POST"),
    ("companies.erase_person", "POST"),
    ("coordinator.application", "GET"), ("coordinator.confirm_import", "POST"), ("coordinator.decide", "POST"),
    ("coordinator.decide_proposal", "POST"), ("coordinator.export_companies", "GET"),
    ("coordinator.funder_report", "GET"), ("coordinator.funder_report_export", "GET"),
    ("coordinator.import_companies", "GET"), ("coordinator.import_companies", "POST"),
    ("coordinator.programme", "GET"), ("coordinator.dashboard", "GET"), ("coordinator.groups", "GET"),
    ("groups.detail", "GET"), ("groups.respond", "POST"), ("groups.sharing", "POST"),
    ("hr.application", "GET"), ("hr.application", "POST"), ("hr.application_detail", "GET"), ("hr.assessment_result", "GET"), ("hr.participant_exit", "POST"),
    ("hr.submit", "POST"), ("hr.topics", "GET"), ("hr.topics", "POST"),
    ("meetings.amend", "POST"), ("meetings.cancel", "POST"), ("meetings.confidential", "GET"),
    ("meetings.detail", "GET"), ("meetings.feedback", "POST"), ("meetings.move", "POST"), ("meetings.record", "POST"),
    ("meetings.update_measure", "POST"),
    ("rounds.add_rule", "POST"), ("rounds.confirm_meetings", "POST"), ("rounds.delete_rule", "POST"),
    ("rounds.detail", "GET"), ("rounds.edit", "GET"), ("rounds.edit", "POST"), ("rounds.export_instance", "GET"),
    ("rounds.follow_up", "POST"), ("rounds.index", "GET"), ("rounds.meeting_calendar", "GET"),
    ("rounds.move", "POST"), ("rounds.new", "GET"), ("rounds.new", "POST"), ("rounds.plan_meetings", "POST"),
    ("rounds.publish", "POST"), ("rounds.run", "POST"), ("rounds.swap_supervisor", "POST"),
    ("supervisor.delete_absence", "POST"),
    ("admin.edit_organisation", "GET"), ("admin.edit_organisation", "POST"), ("admin.programme_setup", "GET"),
    ("admin.set_carrier", "POST"), ("admin.add_partner", "POST"), ("admin.remove_partner", "POST"),
    ("admin.assign_coordinator", "POST"), ("admin.remove_coordinator", "POST"),
    ("coordinator.settings", "GET"), ("coordinator.settings", "POST"),
    ("main.programme", "GET"), ("main.apply", "GET"),
    ("rounds.add_missing", "POST"), ("cycles.certificate", "GET"), ("cycles.certificate_pdf_download", "GET"),
    ("cycles.apply_again", "POST"),
    ("coordinator.supervisors", "GET"), ("coordinator.supervisors", "POST"),
    ("coordinator.supervisor_capacity", "POST"), ("coordinator.remove_supervisor", "POST"),
}
# Public pages with an id: the outsider sees what its insider sees (a programme's page is everyone's).
PUBLIC_ID_ROUTES = {("main.programme", "GET"), ("main.apply", "GET")}
INSIDER = {"other_coordinator": "coordinator", "other_supervisor": "supervisor", "colleague_b": "colleague"}
OUTSIDERS = ("hr_b", *INSIDER)


def id_routes(app) -> set[tuple[str, str]]:
    with_ids = {rule.endpoint for rule in app.url_map.iter_rules()
                if any(isinstance(c, IntegerConverter) for c in rule._converters.values())}
    return {(e, m) for e, m in routes(app) if e in with_ids}


def test_every_route_with_an_id_is_listed(app):
    assert id_routes(app) == ID_ROUTES


def expected_for(endpoint: str, method: str, outsider: str) -> int:
    seen = dict(zip(ROLES, EXPECTED[(endpoint, method)], strict=True))
    if outsider == "hr_b":
        return seen["hr_b"]
    if (endpoint, method) in PUBLIC_ID_ROUTES:
        return seen[INSIDER[outsider]]
    return 403 if seen[INSIDER[outsider]] == 403 else 404


@pytest.fixture
def outsiders(app, make, fuzz_world) -> dict:
    other = make.programme("Fremdes Programm")
    company_b = SimpleNamespace(id=fuzz_world["users"]["hr_b"].company_id)
    users = {
        "hr_b": fuzz_world["users"]["hr_b"],
        "other_coordinator": make.user(Role.COORDINATOR, programmes=[other]),
        "other_supervisor": make.user(Role.SUPERVISOR),
        "colleague_b": make.user(Role.COLLEAGUE, company=company_b),
    }
    clients = {}
    for name, user in users.items():
        clients[name] = app.test_client()
        login(clients[name], user.email)
    return clients


@pytest.mark.parametrize(("endpoint", "method"), sorted(ID_ROUTES))
def test_ids_of_another_tenant(app, fuzz_world, outsiders, endpoint, method):
    """Each outsider, with a valid CSRF token and the form as its insider sees it: 404 or 403, nothing written."""
    url = url_of(app, fuzz_world, endpoint)
    data: list[tuple[str, str]] = []
    if method == "POST":
        role = acting_role(endpoint, method)
        data = valid_data(form_of(app, fuzz_world, client_for(app, fuzz_world, role), endpoint, role))
    seen, wanted = {}, {}
    for outsider, client in outsiders.items():
        before = snapshot(app)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=MultiDict([("csrf_token", token_of(client)), *data]))
        seen[outsider], wanted[outsider] = response.status_code, expected_for(endpoint, method, outsider)
        assert changed_tables(before, snapshot(app)) == set(), outsider
    assert seen == wanted
