"""Issue 15, part 5: the public start page lists the programmes open for applications, each programme has a page,
"Jetzt bewerben" leads through registration to its application, and every page links Impressum and Datenschutz."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Application, Organisation, Programme, ProgrammePartner, Role, User, utcnow
from app.services import erasure, personal_data
from tests.conftest import PASSWORD, csrf_token, login


def _public_programme(make, **kw):
    programme = make.programme("Pflege-Tandem Borken", description="Wir bringen **Unternehmen** zusammen.\n\n"
                               "<script>alert(1)</script>", funding_note="Gefördert durch die Europäische Union.",
                               contact_name="Clara Kontakt", contact_email="clara@example.org", **kw)
    with make.app.app_context():
        carrier = Organisation(name="Wirtschaftsförderung Kreis Borken", kind="business_development",
                               website="https://wfg-borken.de")
        chamber = Organisation(name="IHK Nord Westfalen", kind="chamber")
        db.session.add_all([carrier, chamber])
        db.session.flush()
        db.session.get(Programme, programme.id).carrier_id = carrier.id
        db.session.add(ProgrammePartner(programme_id=programme.id, organisation_id=chamber.id, role="cooperation"))
        db.session.commit()
    return programme


def test_public_page_without_login(app, make):
    programme = _public_programme(make)
    page = app.test_client().get(f"/programme/{programme.id}").get_data(as_text=True)
    assert "<strong>Unternehmen</strong>" in page and "<script>alert" not in page
    assert "Wirtschaftsförderung Kreis Borken" in page and "Kooperationspartner" in page
    assert "IHK Nord Westfalen" in page and "Gefördert durch die Europäische Union." in page
    assert "Clara Kontakt" in page and "Jetzt bewerben" in page


def test_start_page_lists_only_open_programmes(app, make):
    today = date.today()
    open_one = _public_programme(make, applications_open_until=today + timedelta(days=30))
    make.programme("Geschlossenes Programm", applications_enabled=False)
    make.programme("Abgelaufenes Programm", applications_open_until=today - timedelta(days=2))
    make.programme("Künftiges Programm", applications_open_from=today + timedelta(days=10))
    page = app.test_client().get("/").get_data(as_text=True)
    assert open_one.name in page
    for name in ("Geschlossenes Programm", "Abgelaufenes Programm", "Künftiges Programm"):
        assert name not in page


def test_closed_programme_takes_no_application(app, make):
    closed = make.programme("Geschlossenes Programm", applications_enabled=False)
    client = app.test_client()
    page = client.get(f"/programme/{closed.id}").get_data(as_text=True)
    assert "Jetzt bewerben" not in page and "nimmt zurzeit keine Bewerbungen an" in page
    assert client.get(f"/programme/{closed.id}/apply").headers["Location"].endswith(f"/programme/{closed.id}")
    hr = make.user(Role.HR_LEAD)
    login(client, hr.email)
    assert client.get(f"/hr/programmes/{closed.id}/application").status_code in (302, 404)
    with app.app_context():
        assert db.session.scalar(select(Application.id).where(Application.programme_id == closed.id)) is None


def test_apply_now_leads_through_registration_to_this_programmes_application(app, make, mailbox):
    programme = _public_programme(make)
    client = app.test_client()
    response = client.get(f"/programme/{programme.id}/apply")
    assert response.headers["Location"].endswith(f"/register?programme={programme.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nach der Registrierung bewerben Sie sich bei Pflege-Tandem Borken" in page
    response = client.post(f"/register?programme={programme.id}", data={
        "csrf_token": csrf_token(client, "/register"), "email": "neu@firma.example", "full_name": "Nora Neu",
        "company_name": "Firma Neu GmbH", "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        from app.services import mail

        mail.deliver_due(utcnow())
    link = mailbox.last_link("neu@firma.example")
    path = re.sub(r"^https?://[^/]+", "", link)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "password": PASSWORD})
    assert response.headers["Location"].endswith(f"/hr/programmes/{programme.id}/application")
    # No consent yet: the consent page comes first, then this programme's application.
    response = client.get(response.headers["Location"])
    assert f"then=application&programme={programme.id}" in response.headers["Location"]
    consent_url = response.headers["Location"]
    response = client.post(consent_url, data={"csrf_token": csrf_token(client, consent_url), "agree": "y"})
    assert response.headers["Location"].endswith(f"/hr/programmes/{programme.id}/application")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pflege-Tandem Borken" in page


def test_footer_links_and_the_configured_operator(app, make, monkeypatch):
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'href="/impressum"' in page and 'href="/datenschutz"' in page
    assert "noch nicht vollständig eingetragen" in client.get("/impressum").get_data(as_text=True)
    monkeypatch.setitem(app.config, "OPERATOR_NAME", "Tandem-Betrieb <GmbH>")
    monkeypatch.setitem(app.config, "OPERATOR_ADDRESS", "Hauptstraße 1; 46325 Borken")
    monkeypatch.setitem(app.config, "OPERATOR_EMAIL", "info@tandem.example")
    monkeypatch.setitem(app.config, "OPERATOR_REGISTER", "Amtsgericht Coesfeld, HRB 1234")
    imprint = client.get("/impressum").get_data(as_text=True)
    assert "Tandem-Betrieb &lt;GmbH&gt;" in imprint and "46325 Borken" in imprint
    assert "Amtsgericht Coesfeld, HRB 1234" in imprint and "noch nicht vollständig" not in imprint
    privacy = client.get("/datenschutz").get_data(as_text=True)
    assert "Datenschutzerklärung" in privacy and "info@tandem.example" in privacy


def test_production_warns_without_operator(caplog):
    from app import create_app
    from app.config import ProductionConfig

    class Prod(ProductionConfig):
        SECRET_KEY = "a-real-secret-for-this-test-only"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        OPERATOR_NAME = OPERATOR_ADDRESS = OPERATOR_EMAIL = ""

    with caplog.at_level("WARNING"):
        create_app(Prod)
    assert "TANDEM_OPERATOR_NAME" in caplog.text and "Impressum" in caplog.text


def test_contact_person_in_export_and_erasure(app, make):
    user = make.user(Role.COORDINATOR, email="clara@example.org")
    admin = make.user(Role.ADMIN)
    programme = _public_programme(make)
    with app.app_context():
        person = db.session.get(User, user.id)
        assert personal_data.collect(person)["named_as_contact"][-1]["of"] == programme.name
        erasure.erase_person(person, actor=db.session.get(User, admin.id), now=utcnow())
        db.session.commit()
        assert db.session.get(Programme, programme.id).contact_email is None
