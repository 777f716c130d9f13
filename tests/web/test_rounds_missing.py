"""Rounds see new companies: a draft round names the approved companies it leaves out, one action adds them, and
its proposal names the mentor companies and supervisors that stay without a group."""
from __future__ import annotations

from sqlalchemy import select

from app import demo, maturity
from app.extensions import db
from app.models import Application, Company, MatchingRound, Role, User, utcnow
from app.services import companies, rounds
from tests.conftest import csrf_token, login


def _approved_newcomer(app, make, programme_id: int, name: str, role: str = "mentee") -> int:
    with app.app_context():
        place = db.session.scalar(select(Company).where(Company.latitude.is_not(None)))
        latitude, longitude, municipality = place.latitude, place.longitude, place.municipality
    company = make.company(name, latitude=latitude, longitude=longitude, municipality=municipality, sector="C",
                           headcount_band="le15")
    lead = make.user(Role.HR_LEAD, company=company)
    programme = type("P", (), {"id": programme_id})
    application = make.application(company, programme, role, status="approved")
    with app.app_context():
        row, who = db.session.get(Company, company.id), db.session.get(User, lead.id)
        companies.give_consent(row, actor=who, now=utcnow())
        companies.record_assessment(row, dict.fromkeys(maturity.DIMENSION_KEYS, 1), {}, actor=who, now=utcnow())
        db.session.commit()
    return application.id


def _log_in_as_coordinator(client) -> None:
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)


def test_the_draft_round_names_missing_approved_companies_and_adds_them_in_one_action(app, demo_world, make):
    url = f"/coordinator/rounds/{demo_world['draft']}"
    with app.app_context():
        before = rounds.count_participants(db.session.get(MatchingRound, demo_world["draft"]))
    added = _approved_newcomer(app, make, demo_world["programme"], "Pflegedienst <b>Neu</b> & Co")
    client = app.test_client()
    _log_in_as_coordinator(client)
    page = client.get(url).get_data(as_text=True)
    assert "nicht in dieser Runde" in page
    assert "Pflegedienst &lt;b&gt;Neu&lt;/b&gt; &amp; Co" in page and "<b>Neu</b>" not in page
    assert f"/coordinator/rounds/{demo_world['draft']}/add-missing" in page
    response = client.post(f"{url}/add-missing", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "in die Runde aufgenommen" in page and "nicht in dieser Runde" not in page
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        assert added in {a.id for a in round_.participants}
        assert rounds.count_participants(round_) == before + 1
        assert round_.events[-1].kind == "added"
        assert f"{before + 1} Unternehmen" in page
    # Nothing left to add: said so, nothing changes.
    again = client.post(f"{url}/add-missing", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert "nehmen bereits an dieser Runde teil" in again.get_data(as_text=True)


def test_a_company_in_a_running_group_or_not_approved_is_not_missing(app, demo_world, make):
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        missing_before = {m.application_id for m in rounds.missing_companies(round_)}
        busy = rounds.companies_in_active_groups(round_.programme)
        assert not missing_before & busy
    company = make.company("Nur eingereicht GmbH")
    make.application(company, type("P", (), {"id": demo_world["programme"]}), "mentee", status="submitted")
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        assert {m.application_id for m in rounds.missing_companies(round_)} == missing_before
        published = db.session.get(MatchingRound, demo_world["published"])
        assert rounds.missing_companies(published) == []


def test_the_proposal_names_mentor_companies_and_supervisors_without_a_group(app, demo_world):
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        mentors = [a for a in round_.participants if a.role == "mentor"]
        mentees = [a for a in round_.participants if a.role == "mentee"]
        assert len(mentors) >= 2 and round_.supervisors
        leader = round_.supervisors[0]
        round_.proposal = {"run": 1, "edited": False, "unplaced": [], "stats": {
            "proven_optimal": True, "gap": 0, "status": "OPTIMAL"}, "groups": [{
                "mentor": mentors[0].id, "supervisor": leader.id, "cycle_months": [9, 24], "mode": "hybrid",
                "mentees": [{"application": mentees[0].id, "score": 700, "contributions": {}, "reasons": []}]}]}
        db.session.commit()
        idle_mentors = [db.session.get(Application, a.id).company.name for a in mentors[1:]]
        idle_supervisors = [u.full_name for u in round_.supervisors[1:]]
        busy_mentor = mentors[0].company.name
    client = app.test_client()
    _log_in_as_coordinator(client)
    page = client.get(f"/coordinator/rounds/{demo_world['draft']}").get_data(as_text=True)
    idle_part = page.split("Ohne Gruppe", 1)[1].split("</ul>", 1)[0]
    for name in idle_mentors + idle_supervisors:
        assert name.replace("&", "&amp;") in idle_part, name
    assert busy_mentor.replace("&", "&amp;") not in idle_part
