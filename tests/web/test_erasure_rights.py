"""Who may erase a company that is in several programmes (issue 14, finding 3): an administrator, or a coordinator
who coordinates every programme the company has an application in (of any status). Anyone else who sees the
company's page is told why not and whom to ask; the erase routes refuse them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import Application, Company, Programme, Role, User, utcnow
from app.services import companies, erasure
from tests.conftest import csrf_token, login

R = 302


@pytest.fixture
def world(app, make) -> dict:
    """Programmes P1 and P2; a company only in P1, one only in P2 (a draft), one in both (a running place in P1, a
    draft in P2); coordinators of P1, of P2 and of both; an admin; the both-company's HR lead and colleague; a
    supervisor."""
    p1, p2 = make.programme("Programm Eins"), make.programme("Programm Zwei")
    only_p1, only_p2, both = make.company("Nur Eins GmbH"), make.company("Nur Zwei GmbH"), make.company("Beide KG")
    make.application(only_p1, p1, status="approved")
    make.application(only_p2, p2, status="draft")
    make.application(both, p1, status="approved")
    make.application(both, p2, status="draft")
    users = {
        "coordinator_p1": make.user(Role.COORDINATOR, programmes=[p1]),
        "coordinator_p2": make.user(Role.COORDINATOR, programmes=[p2]),
        "coordinator_both": make.user(Role.COORDINATOR, programmes=[p1, p2]),
        "admin": make.user(Role.ADMIN, full_name="Ada Admin", email="ada@example.org"),
        "hr_lead": make.user(Role.HR_LEAD, company=both),
        "colleague": make.user(Role.COLLEAGUE, company=both),
        "supervisor": make.user(Role.SUPERVISOR),
    }
    return {"users": users, "companies": {"only_p1": only_p1, "only_p2": only_p2, "both": both}}


# (company, who) -> (status of the company page, is the erase form on it, is the refusal on it,
#                    status of POST .../erase with the right name, is the company erased afterwards)
CASES = {
    ("only_p1", "coordinator_p1"): (200, True, False, R, True),
    ("only_p1", "coordinator_p2"): (404, False, False, 404, False),
    ("only_p1", "coordinator_both"): (200, True, False, R, True),
    ("only_p1", "admin"): (200, True, False, R, True),
    ("only_p2", "coordinator_p2"): (200, True, False, R, True),
    ("both", "coordinator_p1"): (200, False, True, 403, False),
    ("both", "coordinator_p2"): (200, False, True, 403, False),  # the probe's case: only a draft in P2
    ("both", "coordinator_both"): (200, True, False, R, True),
    ("both", "admin"): (200, True, False, R, True),
    ("both", "hr_lead"): (200, False, False, 403, False),
    ("both", "colleague"): (403, False, False, 403, False),
    ("both", "supervisor"): (403, False, False, 403, False),
}


@pytest.mark.parametrize(("company_key", "who"), sorted(CASES))
def test_who_may_erase_a_company(app, world, company_key, who):
    page_status, has_form, has_refusal, erase_status, erased = CASES[company_key, who]
    company = world["companies"][company_key]
    client = app.test_client()
    login(client, world["users"][who].email)
    url = f"/companies/{company.id}"
    page = client.get(url)
    body = page.get_data(as_text=True)
    assert page.status_code == page_status
    assert (f'action="{url}/erase"' in body) is has_form
    assert ("nur die Administration" in body and "ada@example.org" in body) is has_refusal, body
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.company_id == company.id, User.role == Role.HR_LEAD))
    if lead is not None:  # erasing one of the company's people follows the same rule
        person = client.post(f"{url}/people/{lead.id}/erase", data={"csrf_token": csrf_token(client, "/account"),
                                                                    "confirm": "nobody@example.org"})
        assert person.status_code == (R if erased else erase_status)
    response = client.post(f"{url}/erase", data={"csrf_token": csrf_token(client, "/account"),
                                                 "confirm": company.name})
    assert response.status_code == erase_status
    with app.app_context():
        name = db.session.get(Company, company.id).name
    assert name.startswith(erasure.ERASED) is erased


def test_the_probe_a_draft_in_a_second_programme_does_not_let_its_coordinator_erase(app, demo_world, make, mailbox):
    """hr3's company has a running place in the demo programme; hr3 opens a draft in a second programme, whose
    coordinator then sees the company but may not erase it. When the company withdraws its consent, neither
    coordination can erase it alone, so the administrators are asked too."""
    second = make.programme("Zweites Programm")
    other = make.user(Role.COORDINATOR, email="zweite@example.org", programmes=[second])
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "hr3@example.org"))
        company_id, name = lead.company_id, lead.company.name
        companies.save_application(lead.company, db.session.get(Programme, second.id), "mentee", {
            "cycle_min_months": 9, "cycle_max_months": 18, "meeting_modes": ["hybrid"], "weekdays": [1],
            "times_of_day": ["morning"], "max_travel_km": 30, "mentee_capacity": None, "questions": "",
            "exclusions": []}, actor=lead, now=utcnow())
        db.session.commit()
        assert {a.status for a in db.session.scalars(select(Application).where(
            Application.company_id == company_id, Application.programme_id == second.id))} == {"draft"}
    for email, password in (("zweite@example.org", None), ("coordinator@example.org", demo.DEMO_PASSWORD)):
        client = app.test_client()
        login(client, email, *([password] if password else []))
        url = f"/companies/{company_id}"
        page = client.get(url).get_data(as_text=True)
        assert f"{url}/erase" not in page and "nur die Administration" in page and "admin@example.org" in page
        refused = client.post(f"{url}/erase", data={"csrf_token": csrf_token(client, url), "confirm": name})
        assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(Company, company_id).name == name
    hr = app.test_client()
    login(hr, "hr3@example.org", demo.DEMO_PASSWORD)
    hr.post("/hr/consent/withdraw", data={"csrf_token": csrf_token(hr, "/hr/consent")})
    asked = {m.recipient for m in mailbox.messages() if name in m.subject}
    assert asked == {"coordinator@example.org", other.email, "admin@example.org"}
    admin = app.test_client()
    login(admin, "admin@example.org", demo.DEMO_PASSWORD)
    url = f"/companies/{company_id}"
    assert admin.post(f"{url}/erase", data={"csrf_token": csrf_token(admin, url), "confirm": name}).status_code == R
    with app.app_context():
        assert db.session.get(Company, company_id).name.startswith(erasure.ERASED)


def test_a_company_of_one_programme_asks_only_its_coordinators(app, demo_world, mailbox):
    hr = app.test_client()
    login(hr, "hr5@example.org", demo.DEMO_PASSWORD)
    hr.post("/hr/consent/withdraw", data={"csrf_token": csrf_token(hr, "/hr/consent")})
    assert {m.recipient for m in mailbox.messages() if "Terhorst" in m.subject} == {"coordinator@example.org"}
