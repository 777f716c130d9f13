"""Art. 15/20: a person downloads everything Tandem holds about them and their company, after their password."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import AuditEvent, ConfidentialNote, Role
from tests.conftest import PASSWORD, csrf_token, login


def test_an_hr_lead_downloads_the_data_of_person_and_company(app, demo_world):
    client = app.test_client()
    login(client, "hr5@example.org", demo.DEMO_PASSWORD)  # Bäckerei Terhorst, in a published group
    wrong = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account/data"),
                                                "password": "not-my-password"})
    assert wrong.status_code == 200 and "invalid-feedback" in wrong.get_data(as_text=True)
    response = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account/data"),
                                                   "password": demo.DEMO_PASSWORD})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["data.html", "data.json"]
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "hr5@example.org"
    assert data["company"]["name"] == "Bäckerei Terhorst" and data["company"]["municipality"].startswith("Südlohn")
    assert len(data["assessments"]) == 2 and data["consents"] and data["applications"][0]["role"] == "mentee"
    (group,) = data["groups"]
    assert group["answer"] == "accepted" and group["sessions"] and group["measures"]
    assert any(s["minutes"] for s in group["sessions"])
    html = archive.read("data.html").decode()
    assert "Bäckerei Terhorst" in html and "<script" not in html
    with app.app_context():
        notes = [n.body for n in db.session.scalars(select(ConfidentialNote))]
        assert notes and not any(note in archive.read("data.json").decode() for note in notes)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_personal_data")) is not None


def test_a_supervisor_downloads_the_account_only(app, demo_world):
    client = app.test_client()
    login(client, "supervisor1@example.org", demo.DEMO_PASSWORD)
    response = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account/data"),
                                                   "password": demo.DEMO_PASSWORD})
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))
    assert data["account"]["role"] == "supervisor" and "company" not in data
    assert any(entry["action"] == "login" for entry in data["audit_log"])


# Issue 14, finding 4: each role's download holds what that role may read in the app, as README's table says.
README = Path(__file__).parents[2] / "README.md"
ROLE_LABELS = {"HR lead": Role.HR_LEAD, "colleague": Role.COLLEAGUE, "supervisor": Role.SUPERVISOR,
               "coordinator": Role.COORDINATOR, "admin": Role.ADMIN}
# Texts only an HR lead (and the coordinators) read: each may describe a caregiving situation.
ONLY_HR_LEADS = {"comment": "Kommentar: eine Kollegin pflegt ihre Mutter",
                 "exclusion": "Ausschluss Konkurrenz Fenster GmbH",
                 "decision": "Begründung der Koordination zur Entscheidung",
                 "questions": "Frage: wie mit Pflegezeit umgehen",
                 "decline": "Absagegrund: unser Pflegefall im Team"}


def _download_table() -> dict[str, set[str]]:
    """README's "what the download holds" table: role -> the download's parts (the backquoted names)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| role | what the download holds |")
    table = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        roles, holds = (cell.strip() for cell in line.strip().strip("|").split("|"))
        for label in roles.split(", "):
            table[ROLE_LABELS[label]] = set(re.findall(r"`(\w+)`", holds))
    return table


@pytest.fixture
def marked(app, demo_world, make) -> dict:
    """hr5's company with texts only HR leads read (a self-assessment comment, an exclusion, a decision reason,
    questions, the reason for declining a second group), a caregiver estimate, and a colleague."""
    from app.models import Exclusion, GroupMember, MatchingRound, MaturityAnswer, User

    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "hr5@example.org"))
        company = lead.company
        application = company.applications[0]
        application.questions, application.decision_reason = ONLY_HR_LEADS["questions"], ONLY_HR_LEADS["decision"]
        application.exclusions.append(Exclusion(name=ONLY_HR_LEADS["exclusion"]))
        answer = db.session.scalars(select(MaturityAnswer).where(
            MaturityAnswer.assessment_id == company.assessments[0].id)).first()
        answer.comment = ONLY_HR_LEADS["comment"]
        company.caregiver_estimate = 7
        other = next(g for g in db.session.get(MatchingRound, demo_world["published"]).groups
                     if application.id not in {m.application_id for m in g.members})
        other.members.append(GroupMember(application_id=application.id, role="mentee", response="declined",
                                         decline_reason=ONLY_HR_LEADS["decline"], responded_at=lead.created_at))
        db.session.commit()
        declined_mentor = other.mentor.application.company.name
        db.session.refresh(company)
        db.session.expunge(company)
    colleague = make.user(Role.COLLEAGUE, company=company)
    return {"colleague": colleague.email, "declined_mentor": declined_mentor}


def _download(app, email: str, password: str) -> dict:
    client = app.test_client()
    login(client, email, password)
    response = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account/data"),
                                                   "password": password})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("data.json"))


@pytest.mark.parametrize("role", list(Role))
def test_each_role_downloads_what_the_readme_table_says_and_nothing_more(app, marked, role):
    logins = {Role.HR_LEAD: ("hr5@example.org", demo.DEMO_PASSWORD),
              Role.COLLEAGUE: (marked["colleague"], PASSWORD),
              Role.SUPERVISOR: ("supervisor1@example.org", demo.DEMO_PASSWORD),
              Role.COORDINATOR: ("coordinator@example.org", demo.DEMO_PASSWORD),
              Role.ADMIN: ("admin@example.org", demo.DEMO_PASSWORD)}
    data = _download(app, *logins[role])
    assert set(data) == _download_table()[role]
    text = json.dumps(data, ensure_ascii=False)
    found = {key for key, marker in ONLY_HR_LEADS.items() if marker in text}
    assert found == (set(ONLY_HR_LEADS) if role == Role.HR_LEAD else set())
    with app.app_context():
        notes = [n.body for n in db.session.scalars(select(ConfidentialNote))]
    assert notes and not any(note in text for note in notes)
    if role == Role.HR_LEAD:
        assert data["company"]["caregiver_estimate"] == 7
        accepted, declined = sorted(data["groups"], key=lambda g: g["answer"] == "declined")
        assert accepted["sessions"] and accepted["mentor"] and any(s["minutes"] for s in accepted["sessions"])
        # Of the declined group only the company's own answer: none of the group's other companies or sessions.
        assert set(declined) == {"programme", "starts_on", "ends_on", "role", "answer", "responded_at",
                                 "decline_reason"} and marked["declined_mentor"] not in text
    if role == Role.COLLEAGUE:
        # The company's card on the group page, the overall score and level, the groups it has not declined.
        assert set(data["company"]) == {"name", "sector", "headcount_band", "municipality"}
        assert set(data["maturity"]) == {"overall", "level"}
        (group,) = data["groups"]
        assert group["answer"] == "accepted" and any(s["minutes"] for s in group["sessions"]) and group["measures"]
        assert "decline_reason" not in group and "score" not in group
        assert marked["declined_mentor"] not in text


def test_a_colleague_of_a_company_without_a_group_downloads_its_name_only(app, make):
    company = make.company("Ohne Gruppe GmbH", caregiver_estimate=3)
    colleague = make.user(Role.COLLEAGUE, company=company)
    data = _download(app, colleague.email, PASSWORD)
    assert data["company"] == {"name": "Ohne Gruppe GmbH"} and data["maturity"] is None and data["groups"] == []
