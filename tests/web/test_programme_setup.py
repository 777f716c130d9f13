"""Issue 15, parts 2 and 3: organisations, programmes created by an administrator, the coordinator's settings page
(validation of every setting, the lock against two coordinators saving at once, the audit entries)."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Organisation, Programme, Role, User, utcnow
from app.services import organisations, programmes
from app.services.errors import ServiceError
from tests.conftest import csrf_token, login


def _org(**kw) -> organisations.OrganisationValues:
    return organisations.OrganisationValues(**({"name": "Wirtschaftsförderung Kreis Borken",
                                                "kind": "business_development"} | kw))


# -- organisations -------------------------------------------------------------------------------------------------

def test_organisation_is_recorded_cleaned_and_audited(ctx, make):
    admin = db.session.get(User, make.user(Role.ADMIN).id)
    org = organisations.create_organisation(_org(name="  WFG   Borken ", website="www.wfg-borken.de",
                                                 contact_email="Info@WFG.de "), actor=admin, now=utcnow())
    assert (org.name, org.website, org.contact_email) == ("WFG Borken", "https://www.wfg-borken.de", "info@wfg.de")
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation_created"))
    assert entry.object_id == org.id and entry.actor_id == admin.id


@pytest.mark.parametrize(("values", "field"), [
    ({"name": " "}, "name"), ({"name": "x" * 201}, "name"), ({"kind": "castle"}, "kind"),
    ({"website": "javascript:alert(1)"}, "website"), ({"website": "https://"}, "website"),
    ({"contact_email": "not-an-address"}, "contact_email"), ({"contact_phone": "call me"}, "contact_phone"),
])
def test_organisation_bad_values_are_refused_at_their_field(ctx, make, values, field):
    admin = db.session.get(User, make.user(Role.ADMIN).id)
    with pytest.raises(ServiceError) as refused:
        organisations.create_organisation(_org(**values), actor=admin, now=utcnow())
    assert refused.value.field == field


def test_organisation_names_are_unique_whatever_the_case(ctx, make):
    admin = db.session.get(User, make.user(Role.ADMIN).id)
    organisations.create_organisation(_org(), actor=admin, now=utcnow())
    with pytest.raises(ServiceError) as refused:
        organisations.create_organisation(_org(name="WIRTSCHAFTSFÖRDERUNG kreis borken"), actor=admin, now=utcnow())
    assert refused.value.field == "name"


def test_carrier_and_partners(ctx, make):
    admin_id, programme_id = make.user(Role.ADMIN).id, make.programme().id
    admin, programme = db.session.get(User, admin_id), db.session.get(Programme, programme_id)
    carrier = organisations.create_organisation(_org(), actor=admin, now=utcnow())
    chamber = organisations.create_organisation(_org(name="IHK Nord Westfalen", kind="chamber"), actor=admin,
                                                now=utcnow())
    organisations.set_carrier(programme, carrier, actor=admin, now=utcnow())
    partner = organisations.add_partner(programme, chamber, "cooperation", "lädt zu Netzwerktreffen ein",
                                        actor=admin, now=utcnow())
    with pytest.raises(ServiceError):
        organisations.add_partner(programme, chamber, "cooperation", None, actor=admin, now=utcnow())
    with pytest.raises(ServiceError):
        organisations.add_partner(programme, chamber, "carrier", None, actor=admin, now=utcnow())
    assert programme.carrier == carrier and [p.organisation for p in programme.partners] == [chamber]
    organisations.remove_partner(partner, actor=admin, now=utcnow())
    db.session.commit()
    assert db.session.get(Programme, programme.id).partners == []
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "programme_partners_changed"))


# -- programmes ----------------------------------------------------------------------------------------------------

def test_created_programme_is_closed_until_opened(ctx, make):
    admin = db.session.get(User, make.user(Role.ADMIN).id)
    programme = programmes.create_programme(name="Pflege-Tandem Münsterland", region="Kreis Coesfeld",
                                            state_code="NW", carrier_id=None, actor=admin, now=utcnow())
    assert not programme.accepts_applications_on(date.today())
    assert programme not in programmes.open_for_applications(utcnow())
    for bad, field in (({"name": ""}, "name"), ({"state_code": "XX"}, "state_code"), ({"region": ""}, "region"),
                       ({"carrier_id": 999_999}, "carrier_id"), ({"name": "pflege-tandem MÜNSTERLAND"}, "name")):
        args = {"name": "Anderes", "region": "R", "state_code": "NW", "carrier_id": None} | bad
        with pytest.raises(ServiceError) as refused:
            programmes.create_programme(**args, actor=admin, now=utcnow())
        assert refused.value.field == field


def test_coordinator_existing_account_or_invitation(ctx, make):
    admin_id, programme_id = make.user(Role.ADMIN).id, make.programme().id
    existing_id = make.user(Role.COORDINATOR, email="ko@example.org").id
    make.user(Role.HR_LEAD, email="hr@example.org")
    admin, programme = db.session.get(User, admin_id), db.session.get(Programme, programme_id)
    existing = db.session.get(User, existing_id)
    user, raw = programmes.assign_coordinator(programme, "KO@example.org", actor=admin, now=utcnow())
    assert user == existing and raw is None and programme in existing.coordinated_programmes
    with pytest.raises(ServiceError):
        programmes.assign_coordinator(programme, "ko@example.org", actor=admin, now=utcnow())
    with pytest.raises(ServiceError) as refused:
        programmes.assign_coordinator(programme, "hr@example.org", actor=admin, now=utcnow())
    assert refused.value.field == "email"
    user, raw = programmes.assign_coordinator(programme, "neu@example.org", actor=admin, now=utcnow())
    assert user is None and raw
    programmes.remove_coordinator(programme, existing, actor=admin, now=utcnow())
    assert programme not in existing.coordinated_programmes


# -- settings ------------------------------------------------------------------------------------------------------

BAD_SETTINGS = [
    ("mentor_min_overall", 101), ("mentor_min_overall", -1), ("mentor_min_dimension", 5),
    ("cadence_weeks", 0), ("cadence_weeks", 13), ("meeting_minutes", 29), ("meeting_minutes", 481),
    ("travel_buffer_minutes", -5), ("travel_buffer_minutes", 241), ("retention_months", 0),
    ("retention_months", 121), ("default_group_min", 0), ("default_group_max", 11), ("default_cycle_months", 8),
    ("default_cycle_months", 25), ("reminder_days", [0]), ("reminder_days", [31]), ("reminder_days", [7, 5, 3, 1]),
    ("applications_open_from", date(1999, 1, 1)), ("contact_email", "kein-at"), ("contact_phone", "abc"),
    ("description", "x" * 20_001), ("funding_note", "x" * 2_001), ("funding_project_number", "x" * 61),
]


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS)
def test_every_setting_refuses_bad_values_at_its_field(ctx, make, field, value):
    coordinator_id, programme_id = make.user(Role.COORDINATOR).id, make.programme().id
    coordinator, programme = db.session.get(User, coordinator_id), db.session.get(Programme, programme_id)
    values = replace(programmes.settings_of(programme), **{field: value})
    with pytest.raises(ServiceError) as refused:
        programmes.update_settings(programme, values, version=programme.version, actor=coordinator, now=utcnow())
    assert refused.value.field == field


def test_group_sizes_and_window_must_be_in_order(ctx, make):
    coordinator_id, programme_id = make.user(Role.COORDINATOR).id, make.programme().id
    coordinator, programme = db.session.get(User, coordinator_id), db.session.get(Programme, programme_id)
    for changes, field in (({"default_group_min": 5, "default_group_max": 3}, "default_group_max"),
                           ({"applications_open_from": date(2027, 3, 1), "applications_open_until": date(2027, 2, 1)},
                            "applications_open_until")):
        with pytest.raises(ServiceError) as refused:
            programmes.update_settings(programme, replace(programmes.settings_of(programme), **changes),
                                       version=programme.version, actor=coordinator, now=utcnow())
        assert refused.value.field == field


def test_settings_saved_and_audited_without_personal_values(ctx, make):
    coordinator_id, programme_id = make.user(Role.COORDINATOR).id, make.programme().id
    coordinator, programme = db.session.get(User, coordinator_id), db.session.get(Programme, programme_id)
    values = replace(programmes.settings_of(programme), cadence_weeks=4, reminder_days=[2, 14, 14],
                     contact_name="Clara Kontakt", contact_email="clara@example.org")
    changed = programmes.update_settings(programme, values, version=programme.version, actor=coordinator,
                                         now=utcnow())
    db.session.commit()
    assert set(changed) == {"cadence_weeks", "reminder_days", "contact_name", "contact_email"}
    assert programme.reminder_days == [14, 2] and programme.version == 2
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "programme_settings_changed"))
    assert entry.details["cadence_weeks"] == {"old": 6, "new": 4}
    assert entry.details["contact_name"] == "changed" and "Clara" not in str(entry.details)


def test_an_outdated_version_is_refused(ctx, make):
    coordinator_id, programme_id = make.user(Role.COORDINATOR).id, make.programme().id
    coordinator, programme = db.session.get(User, coordinator_id), db.session.get(Programme, programme_id)
    with pytest.raises(ServiceError):
        programmes.update_settings(programme, programmes.settings_of(programme), version=programme.version + 1,
                                   actor=coordinator, now=utcnow())


def test_application_window(ctx, make):
    programme = db.session.get(Programme, make.programme(applications_open_from=date(2027, 3, 1),
                                                         applications_open_until=date(2027, 3, 31)).id)
    assert [programme.accepts_applications_on(date(2027, 3, d)) for d in (1, 31)] == [True, True]
    assert not programme.accepts_applications_on(date(2027, 2, 28))
    assert not programme.accepts_applications_on(date(2027, 4, 1))
    in_window = db.session.scalars(select(Programme.id).where(Programme.accepting_on(date(2027, 3, 15)))).all()
    after = db.session.scalars(select(Programme.id).where(Programme.accepting_on(date(2027, 4, 1)))).all()
    assert programme.id in in_window and programme.id not in after
    programme.applications_enabled = False
    assert not programme.accepts_applications_on(date(2027, 3, 15))


# -- the pages -----------------------------------------------------------------------------------------------------

def _form_values(page: str) -> dict:
    """The settings form as the page shows it (inputs, the checked radio, the text areas)."""
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    values["applications"] = re.search(r'<input checked[^>]*name="applications"[^>]*value="(\w+)"', page).group(1)
    values.update({k: v.strip() for k, v in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>',
                                                       page)})
    values.pop("is_esf_plus", None)
    return values


def test_two_coordinators_saving_at_once(app, make):
    programme = make.programme()
    first, second = app.test_client(), app.test_client()
    login(first, make.user(Role.COORDINATOR, programmes=[programme]).email)
    login(second, make.user(Role.COORDINATOR, programmes=[programme]).email)
    url = f"/coordinator/programmes/{programme.id}/settings"
    form_first, form_second = _form_values(first.get(url).get_data(as_text=True)), \
        _form_values(second.get(url).get_data(as_text=True))
    saved = first.post(url, data=form_first | {"cadence_weeks": "4"}, follow_redirects=True)
    assert "1 Einstellung wurde gespeichert" in saved.get_data(as_text=True)
    refused = second.post(url, data=form_second | {"cadence_weeks": "8"})
    assert refused.status_code == 200
    assert "Jemand anderes hat diese Einstellungen inzwischen geändert" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Programme, programme.id).cadence_weeks == 4


def test_settings_page_shows_errors_in_a_summary(app, make):
    programme = make.programme()
    client = app.test_client()
    login(client, make.user(Role.COORDINATOR, programmes=[programme]).email)
    url = f"/coordinator/programmes/{programme.id}/settings"
    form = _form_values(client.get(url).get_data(as_text=True))
    page = client.post(url, data=form | {"cadence_weeks": "99", "default_cycle_months": "30",
                                         "reminder_days": "sieben"}).get_data(as_text=True)
    assert "Bitte prüfen Sie 2 Angaben" in page  # the form's checks first; the reminders are the service's
    assert 'href="#cadence_weeks"' in page and "zwischen 9 und 24" in page


def test_admin_creates_organisation_and_programme_and_assigns_coordinator(app, make, mailbox):
    client = app.test_client()
    login(client, make.user(Role.ADMIN).email)
    token = csrf_token(client, "/admin/organisations/new")
    response = client.post("/admin/organisations/new", data={
        "csrf_token": token, "name": "Wirtschaftsförderung <b>Borken</b>", "kind": "business_development",
        "website": "wfg-borken.de"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Wirtschaftsförderung &lt;b&gt;Borken&lt;/b&gt; ist jetzt erfasst" in page
    with app.app_context():
        org_id = db.session.scalar(select(Organisation.id))
    response = client.post("/admin/programmes/new", data={
        "csrf_token": token, "name": "Pflege-Tandem Borken", "region": "Kreis Borken", "state_code": "NW",
        "carrier_id": str(org_id)})
    assert response.status_code == 302
    programme_url = response.headers["Location"]
    response = client.post(programme_url + "/coordinators", data={"csrf_token": token,
                                                                  "email": "koordination@example.org"},
                           follow_redirects=True)
    assert "Eine Einladung wurde an koordination@example.org gesendet" in response.get_data(as_text=True)
    assert mailbox.messages("koordination@example.org")
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.name == "Pflege-Tandem Borken"))
        assert programme.carrier_id == org_id and not programme.applications_enabled
