"""Hostile input, fuzzed with hypothesis: every form POST route and every GET route (query strings, the JSON
endpoints among them). Never a 5xx; a refused form writes nothing.

The routes come from the app's url_map and the forms from the pages that show them (crawled once as the role that
may use each route), so a new route or a new field is fuzzed without being listed here.
"""
from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from tests.conftest import CSRF, login
from tests.web import test_authorization as authorization
from tests.web.test_authorization import EXPECTED, ROLES, R, routes, url_for_endpoint

world = authorization.world  # the fixture: company A and B, every role, a published round with a group

FUZZ = settings(max_examples=20, deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# Who fuzzes a route: anonymous where the route serves anonymous users, else the first of these it serves.
LOGGED_IN_PREFERENCE = ("coordinator", "admin", "supervisor", "hr_a", "colleague", "hr_b")

# Tables a refused request may still write to, on purpose: a refused login is audited (tests/web/test_bad_input.py),
# and attempts to log in, register or ask for a reset are counted against the client's address whatever the outcome.
COUNTED = {"throttle_counter"}
AUDITED_WHEN_REFUSED = {"auth.login": {"audit_event"}}
# Routes whose success is a page (not a redirect): the import's dry run keeps a clean file as a batch.
PAGE_ON_SUCCESS = {"coordinator.import_companies": {"import_batch", "audit_event"}}

# The POST routes whose form no page of the fuzz world shows, with the reason; they are fuzzed with the fields of
# their form class instead.
NO_FORM_ON_ANY_PAGE = {
    "admin.reactivate": ("the users page offers it for a deactivated account only", "app.forms:ConfirmForm"),
    "meetings.amend": ("shown once the session is recorded", "app.meetings.forms:AmendForm"),
    "meetings.feedback": ("shown once the session is recorded", "app.meetings.forms:FeedbackForm"),
    "rounds.add_rule": ("shown for a round with participants of both roles", "app.rounds.forms:RuleForm"),
    "coordinator.confirm_import": ("a batch with rows is made by the import itself", "app.forms:ConfirmForm"),
    "hr.submit": ("company A's application is approved already", "app.forms:ConfirmForm"),
    "meetings.revoke_feed": ("the button shows once a feed is issued", "app.forms:ConfirmForm"),
    "rounds.confirm_meetings": ("shown while meetings are planned", "app.forms:ConfirmForm"),
    "rounds.publish": ("shown for a draft round with a proposal", "app.forms:ConfirmForm"),
    "rounds.run": ("a draft round would start the optimiser", "app.forms:ConfirmForm"),
    "cycles.apply_again": ("shown on the certificate once the application is completed; company A's is approved",
                           "app.forms:ConfirmForm"),
    "rounds.move": ("shown for a draft round with a proposal", "app.rounds.forms:MoveForm"),
    "rounds.swap_supervisor": ("shown for a draft round with a proposal", "app.rounds.forms:SupervisorSwapForm"),
}


# --- hostile values -----------------------------------------------------------------------------------------------

NASTY = [
    "", " ", "\t\n", "x" * 10_001, "<script>alert('x')</script>", "' OR 1=1 --", "\x00", "a\x00b", "\x1b[2J", "\ufffd",
    "\u202egnp.exe", "\U0001d518\U0001d52b\U0001d526", "ﷺ" * 50, "NaN", "inf", "-inf", "1e309", "-0", "0x10",
    "9" * 400, "-9223372036854775809", "9223372036854775808", "2147483648", "-1", "0", "1.5", "2027-02-30",
    "0000-00-00", "9999-12-31", "0001-01-01", "10000-01-01", "2027-13-01", "0001-01", "9999-12", "2027-02", "01.02.2027", "2027-02-02T09:00",
    "24:00", "27:99", "-01:00", "09:00:00.5", "on", "yes", "True", "null", "[]", "{}", "../../etc/passwd",
    "%00", "&#0;", "@", "a@b", "x@example.org", "é" * 300,
]
INTS = st.integers(min_value=-(2**70), max_value=2**70).map(str)
TEXT = st.text(max_size=40)
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=5)
RAW = st.binary(min_size=1, max_size=8)  # sent as is: often not UTF-8
HOSTILE = st.one_of(st.sampled_from(NASTY), TEXT, CONTROL, INTS, st.dates().map(lambda d: d.isoformat()), RAW)


class FormParser(HTMLParser):
    """Every <form> of a page: its method, action and fields (name -> offered values, input type)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "action": a.get("action"), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            field = fields.setdefault(name, {"type": (a.get("type") or "text").lower(), "values": []})
            if a.get("value") is not None:
                field["values"].append(a["value"])
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, {"type": "select", "values": []})
        elif tag == "option" and self._select:
            fields[self._select]["values"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            fields.setdefault(name, {"type": "textarea", "values": []})
        elif tag == "button" and name:
            fields.setdefault(name, {"type": "submit", "values": []})["values"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and data.strip() and self.forms:
            self.forms[-1]["fields"][self._textarea]["values"].append(data)


def forms_on(client, url: str) -> list[dict]:
    """The forms of the page at url, each with its action as a path."""
    response = client.get(url)
    if response.status_code != 200 or response.mimetype != "text/html":
        return []
    parser = FormParser()
    parser.feed(response.get_data(as_text=True))
    for form in parser.forms:
        form["action"] = urlsplit(form["action"]).path if form["action"] else urlsplit(url).path
    return parser.forms


# --- the world and its users --------------------------------------------------------------------------------------

# Who fuzzes a route where the authorization table's choice would not reach the form.
OTHER_ROLE = {"companies.erase_person": "coordinator", "hr.consent": "hr_b"}


@pytest.fixture
def fuzz_world(app, make, world) -> dict:
    """The authorization table's world, plus the rows in which the remaining forms show: a draft round with a rule,
    a past meeting, a deactivated user, a submitted application, live reset and invitation tokens."""
    from datetime import UTC, date, datetime, timedelta

    from app.models import Application, MatchingRound, Meeting, Role, RoundRule, TokenPurpose, User, utcnow
    from app.services import tokens

    args = world["args"]
    users = world["users"]
    deactivated = make.user(Role.SUPERVISOR, deactivated_at=utcnow())
    company_c = make.company("Firma C")
    now = utcnow()
    with app.app_context():
        submitted = Application(company_id=company_c.id, programme_id=args["programme_id"], role="mentee",
                                status="submitted")
        db.session.add(submitted)
        mentor = db.session.scalar(select(Application).where(Application.role == "mentor"))
        mentee = db.session.get(Application, args["application_id"])
        draft = MatchingRound(programme_id=args["programme_id"], name="Entwurf", status="draft",
                              starts_on=date(2027, 6, 1), created_by_id=users["coordinator"].id, created_at=now,
                              weights={})
        draft.participants = [mentor, mentee]
        draft.supervisors = [db.session.get(User, users["supervisor"].id)]
        db.session.add(draft)
        db.session.flush()
        rule = RoundRule(round_id=draft.id, kind="forbid", mentor_application_id=mentor.id,
                         mentee_application_id=mentee.id, created_at=now)
        past = Meeting(group_id=args["group_id"], number=2, starts_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
                       ends_at=datetime(2026, 11, 2, 11, tzinfo=UTC), status="confirmed", uid="m2@tandem")
        db.session.add_all([rule, past])
        reset = tokens.issue_token(TokenPurpose.PASSWORD_RESET, email=users["colleague"].email,
                                   user_id=users["colleague"].id, now=now, valid_for=timedelta(hours=2))
        invite = tokens.issue_token(TokenPurpose.INVITATION, email="neu@example.org", role="supervisor", now=now,
                                    valid_for=timedelta(days=7))
        registration = tokens.issue_token(
            TokenPurpose.REGISTRATION, email="firma-neu@example.org", role="hr_lead", now=now,
            valid_for=timedelta(hours=48), payload={"full_name": "Eva Neu", "company_name": "Neue Firma",
                                                    "password_hash": "$argon2id$not-a-hash", "locale": "de"})
        db.session.commit()
        draft_args = {"round_id": draft.id, "rule_id": rule.id}
        past_args = {"meeting_id": past.id}
        submitted_id = submitted.id
    overrides = {
        "companies.erase_person": {"user_id": users["colleague"].id},
        "admin.reactivate": {"user_id": deactivated.id},
        "admin.remove_coordinator": {"user_id": users["coordinator"].id},
        "auth.reset_password": {"token": reset},
        "auth.accept_invitation": {"token": invite},
        "auth.confirm_registration": {"token": registration},
        "coordinator.decide": {"application_id": submitted_id},
        "rounds.add_rule": draft_args, "rounds.delete_rule": draft_args, "rounds.edit": draft_args,
        "rounds.add_missing": draft_args,
        "meetings.record": past_args, "meetings.amend": past_args, "meetings.feedback": past_args,
    }
    return world | {"overrides": overrides}


def acting_role(endpoint: str, method: str) -> str | None:
    """The role that may use a route, by the authorization table."""
    if endpoint in OTHER_ROLE:
        return OTHER_ROLE[endpoint]
    seen = dict(zip(ROLES, EXPECTED[(endpoint, method)], strict=True))
    if seen["anonymous"] == 200:
        return "anonymous"
    return next((role for role in LOGGED_IN_PREFERENCE if seen[role] in (200, R)), None)


def client_for(app: Flask, world: dict, role: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, world["users"][role].email)
    return client


def token_of(client) -> str:
    match = CSRF.search(client.get("/password/forgot").get_data(as_text=True))
    assert match
    return match.group(1)


def url_of(app: Flask, world: dict, endpoint: str, rows_of: str | None = None) -> str:
    """The URL of endpoint, on the rows chosen for fuzzing the route rows_of (by default: endpoint)."""
    return url_for_endpoint(app, endpoint, world["args"] | world.get("overrides", {}).get(rows_of or endpoint, {}))


_SOURCES: dict[tuple[str, str], str | None] = {}  # (POST endpoint, role) -> the GET endpoint whose page has its form


def form_of(app: Flask, world: dict, client, endpoint: str, role: str) -> dict | None:
    """The live form of a POST route, found on the pages the role may open (crawled once, then remembered)."""
    target = url_of(app, world, endpoint)
    key = (endpoint, role)
    if key in _SOURCES:
        candidates = [_SOURCES[key]] if _SOURCES[key] else []
    else:
        own = [e for e, m in EXPECTED if e == endpoint and m == "GET"]
        candidates = own + sorted(e for e, m in EXPECTED if m == "GET" and e not in own
                                  and dict(zip(ROLES, EXPECTED[(e, m)], strict=True))[role] == 200)
        _SOURCES[key] = None
    for source in candidates:
        for form in forms_on(client, url_of(app, world, source, rows_of=endpoint)):
            if form["method"] == "post" and form["action"] == target:
                _SOURCES[key] = source
                return form
    if endpoint in NO_FORM_ON_ANY_PAGE:
        return fields_of_class(app, NO_FORM_ON_ANY_PAGE[endpoint][1])
    return None


def fields_of_class(app: Flask, path: str) -> dict:
    """The fields of a WTForms class ("module:Class"), as the parser would have found them on a page."""
    import importlib

    module, name = path.split(":")
    with app.test_request_context():
        form = getattr(importlib.import_module(module), name)(meta={"csrf": False})
        fields = {}
        for field in form:
            choices = [str(getattr(c, "value", None) or c[0]) for c in getattr(field, "choices", None) or []]
            fields[field.name] = {"type": field.type.lower(), "values": choices}
    return {"method": "post", "action": None, "fields": fields}


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, comparable before and after a request."""
    with app.app_context(), db.engine.connect() as conn:
        return {t.name: sorted(repr(tuple(row)) for row in conn.execute(select(t))) for t in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def pop_flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def encode(pairs: list[tuple[str, str | bytes]]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v if isinstance(v, bytes) else v.encode())}" for k, v in pairs).encode()


def post_routes(app: Flask) -> list[str]:
    return sorted(e for e, m in routes(app) if m == "POST")


def get_routes(app: Flask) -> list[str]:
    return sorted(e for e, m in routes(app) if m == "GET")


def _post_endpoints() -> list[str]:
    return sorted(e for e, m in EXPECTED if m == "POST")


# --- strategies ---------------------------------------------------------------------------------------------------

# A plausible value by input type, for fields whose page offers none (not the users' real password: a fuzzed
# password change must not lock the next example out).
PLAUSIBLE = {"date": "2027-03-15", "time": "10:00", "number": "10", "email": "neu@example.org",
             "password": "Pflegekoffer-im-Sommer-2026", "checkbox": "y", "radio": "yes"}


def first_plausible(field: dict) -> str:
    return next((v for v in field["values"] if v), PLAUSIBLE.get(field["type"], "Velen"))


def plausible(field: dict) -> st.SearchStrategy:
    offered = [v for v in field["values"] if v]
    return st.sampled_from(offered) if offered else st.just(PLAUSIBLE.get(field["type"], "Velen"))


def field_values(field: dict) -> st.SearchStrategy:
    """Values for one field: what the page offers, mixed with hostile ones; sometimes missing or repeated."""
    one = st.one_of(plausible(field), HOSTILE)
    return st.one_of(st.just([]), one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=3))


@st.composite
def submissions(draw, fields: dict) -> list[tuple[str, str | bytes]]:
    """Either every field at random, or every field plausible but one (which is hostile, missing or repeated):
    the second kind gets past the form to the service more often."""
    names = [n for n, f in fields.items() if not n.endswith("csrf_token") and f["type"] != "file"]
    target = draw(st.one_of(st.none(), st.sampled_from(names))) if names else None
    pairs: list[tuple[str, str | bytes]] = []
    for name in names:
        if target is None or name == target:
            pairs += [(name, v) for v in draw(field_values(fields[name]), label=name)]
        else:
            pairs.append((name, draw(plausible(fields[name]), label=name)))
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=12), HOSTILE, max_size=3))
    pairs += [(k, v) for k, v in extra.items() if not k.endswith("csrf_token")]
    return pairs


CSV_CELLS = st.one_of(st.sampled_from(NASTY[:40]), TEXT)
UPLOADS = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(CSV_CELLS, min_size=1, max_size=12), min_size=1, max_size=4).map(
        lambda rows: "\n".join(";".join(r) for r in rows).encode("utf-8", "surrogatepass")),
    st.lists(st.lists(CSV_CELLS, min_size=11, max_size=11), max_size=3).map(
        lambda rows: ("company_name;role;sector;headcount_band;municipality;works_council;shift_work;hr_name;"
                      "hr_email;max_travel_km;mentee_capacity\n" + "\n".join(";".join(r) for r in rows)).encode()),
)
FILENAMES = st.sampled_from(["firmen.csv", "firmen.xlsx", "firmen.txt", "", "../x.csv", "a" * 300 + ".csv",
                             "f\x00.csv", "ä.xlsx"])


def send(client, url: str, form: dict | None, pairs: list, files: list) -> object:
    if files:
        data: dict = {}
        for k, v in pairs:
            data.setdefault(k, []).append(v.decode("latin-1") if isinstance(v, bytes) else v)
        for name, body, filename in files:
            data[name] = (io.BytesIO(body), filename)
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=encode(pairs), content_type="application/x-www-form-urlencoded")


# --- the tests ----------------------------------------------------------------------------------------------------

def test_every_post_route_has_a_form_to_fuzz(app, fuzz_world):
    """A POST route whose form is on no page would be fuzzed with random fields only: list it with the reason."""
    world = fuzz_world
    missing = {}
    for endpoint in post_routes(app):
        role = acting_role(endpoint, "POST")
        client = client_for(app, world, role)
        form = form_of(app, world, client, endpoint, role)
        if form is None or form["action"] is None:
            missing[endpoint] = role
    assert set(missing) == set(NO_FORM_ON_ANY_PAGE), " ".join(f"{e}({r})" for e, r in sorted(missing.items()))


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_fuzz_post_route(app, fuzz_world, endpoint):
    world = fuzz_world
    role = acting_role(endpoint, "POST")
    assert role, f"nobody may use {endpoint}"
    url = url_of(app, world, endpoint)
    client = client_for(app, world, role)
    form = form_of(app, world, client, endpoint, role)
    fields = form["fields"] if form else {}
    file_fields = [name for name, f in fields.items() if f["type"] == "file"]

    token_fields = sorted({"csrf_token", *(n for n in fields if n.endswith("csrf_token"))})
    session = {"client": client, "token": token_of(client)}

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        pairs = data.draw(submissions(fields), label="fields")
        files = [(name, data.draw(UPLOADS, label=name), data.draw(FILENAMES, label=f"{name} filename"))
                 for name in file_fields if data.draw(st.booleans(), label=f"send {name}")]
        if session["client"] is None:  # the last example logged this user out (or ended the session)
            session["client"] = client_for(app, world, role)
            pop_flashes(session["client"])
            session["token"] = token_of(session["client"])
        client = session["client"]
        # One token per session, valid for every form (a prefixed form names its field "move-csrf_token").
        pairs[:0] = [(name, session["token"]) for name in token_fields]
        before = snapshot(app)
        response = send(client, url, form, pairs, files)
        after = snapshot(app)
        status = response.status_code
        assert status < 500, response.get_data(as_text=True)[:1000]
        flashes = pop_flashes(client)
        refused = (status >= 400 or any(category == "danger" for category, _ in flashes)
                   or (status == 200 and response.mimetype == "text/html" and endpoint not in PAGE_ON_SUCCESS))
        written = changed_tables(before, after)
        if status == 400 or "/login" in response.headers.get("Location", "") or (role == "anonymous" and status == 302):
            session["client"] = None
        if refused:
            assert written <= COUNTED | AUDITED_WHEN_REFUSED.get(endpoint, set()), (status, flashes, written)
        elif endpoint in PAGE_ON_SUCCESS and status == 200:
            assert written <= PAGE_ON_SUCCESS[endpoint], written

    fuzz()


def _get_endpoints() -> list[str]:
    """GET routes some role of the table may open (the calendar feed only with a valid token: its own test)."""
    return sorted(e for e, m in EXPECTED if m == "GET" and acting_role(e, "GET") is not None)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t and t not in (".", "..")))
def test_a_made_up_calendar_feed_token_finds_nothing(client, token):
    response = client.get(f"/calendar/{quote(token, safe='')}.ics")
    assert response.status_code == 404


# Reading is audited for these pages (personal data leaving the system, confidential notes): that write is wanted.
AUDITED_READS = {"admin.audit_export", "coordinator.export_companies", "coordinator.funder_report_export",
                 "rounds.export_instance", "meetings.confidential"}


@pytest.mark.parametrize("endpoint", _get_endpoints())
def test_fuzz_query_string(app, world, endpoint):
    """Every page with hostile query strings (its own filter fields among them): never a 5xx, nothing written,
    and a JSON endpoint answers JSON."""
    role = acting_role(endpoint, "GET")
    url = url_of(app, world, endpoint)
    client = client_for(app, world, role)
    fields = {name: f for form in forms_on(client, url) if form["method"] == "get"
              for name, f in form["fields"].items()}
    names = sorted(set(fields) | {"q", "month", "page", "next", "sort", "supervisor", "group", "since", "until"})
    plain = client.get(url)
    is_json = plain.mimetype == "application/json"
    anything = st.lists(st.tuples(st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=8)), HOSTILE),
                        max_size=6)

    @settings(FUZZ, max_examples=10)
    @given(pairs=st.one_of(submissions(fields), anything) if fields else anything)
    def fuzz(pairs):
        before = snapshot(app)
        response = client.get(url, query_string=encode(pairs).decode())
        status = response.status_code
        assert status < 500, response.get_data(as_text=True)[:1000]
        written = changed_tables(before, snapshot(app))
        assert written <= ({"audit_event"} if endpoint in AUDITED_READS else set()), written
        if is_json and status == 200:
            assert response.mimetype == "application/json"
            json.loads(response.get_data())

    fuzz()


def test_places_answers_json_for_any_query(app, make):
    from app.models import Role

    client = app.test_client()
    login(client, make.user(Role.SUPERVISOR).email)

    @FUZZ
    @given(query=st.one_of(HOSTILE, st.text(min_size=50, max_size=5000), st.lists(HOSTILE, min_size=2, max_size=3)))
    def fuzz(query):
        values = query if isinstance(query, list) else [query]
        response = client.get("/places", query_string=encode([("q", v) for v in values]).decode())
        assert response.status_code == 200
        body = json.loads(response.get_data())
        assert isinstance(body["places"], list) and len(body["places"]) <= 8

    fuzz()


# The edges of what a date, time or number field parses: the fuzzing rarely draws them for the one field that
# matters, so every typed field of every form (POST and GET) gets each of them, the other fields left plausible.
EXTREMES = {
    "date": ["0001-01-01", "9999-12-31", "1900-02-29", "2027-02-29"],
    "month": ["0001-01", "9999-12"],
    "time": ["00:00", "23:59", "24:00"],
    "number": ["-2147483649", "9223372036854775808", "9" * 30, "-0", "1e3"],
}
MONTH_PARAMS = ("month",)


def typed_fields(fields: dict) -> list[tuple[str, str]]:
    return [(name, value) for name, f in fields.items() for value in EXTREMES.get(f["type"], [])]


@pytest.mark.parametrize("endpoint", _post_endpoints())
def test_extreme_values_in_typed_fields(app, fuzz_world, endpoint):
    world = fuzz_world
    role = acting_role(endpoint, "POST")
    url = url_of(app, world, endpoint)
    client = client_for(app, world, role)
    form = form_of(app, world, client, endpoint, role)
    fields = form["fields"] if form else {}
    for name, value in typed_fields(fields):
        if role != "anonymous" and client.get("/account").status_code != 200:
            client = client_for(app, world, role)
        token = token_of(client)
        pairs = [(n, token) for n in sorted({"csrf_token", *(n for n in fields if n.endswith("csrf_token"))})]
        pairs += [(n, value if n == name else first_plausible(f))
                  for n, f in fields.items() if not n.endswith("csrf_token") and f["type"] != "file"]
        before = snapshot(app)
        response = send(client, url, form, pairs, [])
        assert response.status_code < 500, (name, value)
        flashes = pop_flashes(client)
        if response.status_code >= 400 or any(c == "danger" for c, _ in flashes) or (
                response.status_code == 200 and endpoint not in PAGE_ON_SUCCESS):
            assert changed_tables(before, snapshot(app)) <= COUNTED | AUDITED_WHEN_REFUSED.get(endpoint, set()), \
                (name, value)


@pytest.mark.parametrize("endpoint", _get_endpoints())
def test_extreme_values_in_query_strings(app, world, endpoint):
    role = acting_role(endpoint, "GET")
    url = url_of(app, world, endpoint)
    client = client_for(app, world, role)
    fields = {name: f for form in forms_on(client, url) if form["method"] == "get"
              for name, f in form["fields"].items()}
    cases = typed_fields(fields) + [(name, value) for name in MONTH_PARAMS for value in EXTREMES["month"]]
    dates = [n for n, f in fields.items() if f["type"] == "date"]
    if len(dates) == 2:  # a period: the far ends together, and the wrong way round
        cases.append((dates, ["0001-01-01", "9999-12-31"]))
        cases.append((dates, ["9999-12-31", "0001-01-01"]))
    for names, values in cases:
        pairs = list(zip(names, values, strict=True)) if isinstance(names, list) else [(names, values)]
        response = client.get(url, query_string=encode(pairs).decode())
        assert response.status_code < 500, pairs
