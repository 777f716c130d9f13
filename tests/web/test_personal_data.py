"""Art. 15/20: a person downloads everything Tandem holds about them and their company, after their password."""
from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import AuditEvent, ConfidentialNote
from tests.conftest import csrf_token, login


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
