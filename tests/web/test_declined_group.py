"""A company that declined its place in a group is outside it from then on (issue 14, finding 2): every page that
hangs off the group answers its HR lead and colleagues with 404, and the group page only says that the company
declined. Nothing of the other companies reaches them: not on the start page, not in the calendar feed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import matching
from app import demo
from app.extensions import db
from app.models import Application, GroupMember, MatchingRound, Measure, MentoringGroup, Response, Role, User
from app.services import meetings, rounds, sessions
from matching.jsonio import result_to_json
from tests.conftest import csrf_token, login

REASON = "Wir schaffen die Termine derzeit nicht."


@pytest.fixture
def declined(app, demo_world, make, clock) -> dict:
    """The demo's draft round solved and published with its meetings confirmed; hr14's company (a mentee) declines
    its group on the group page; then the group's first session is recorded with minutes naming the other
    companies, their attendance and a measure for each."""
    with app.test_request_context(), app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
        round_ = db.session.get(MatchingRound, demo_world["draft"])
        round_.proposal = rounds.proposal_from_result(result_to_json(matching.solve(rounds.build_instance(round_))), 1)
        rounds.publish_round(round_, actor=coordinator, now=clock, notify=False)
        meetings.plan_round(round_, actor=coordinator, now=clock)
        meetings.confirm_round_meetings(round_, actor=coordinator, now=clock, notify=False)
        db.session.commit()
        lead = db.session.scalar(select(User).where(User.email == "hr14@example.org"))
        company_id = lead.company_id
        group = db.session.scalar(select(MentoringGroup).join(GroupMember).join(Application).where(
            MentoringGroup.round_id == round_.id, Application.company_id == company_id))
        group_id = group.id
    lead_client = app.test_client()
    login(lead_client, "hr14@example.org", demo.DEMO_PASSWORD)
    url = f"/groups/{group_id}"
    page = lead_client.get(url).get_data(as_text=True)
    response = lead_client.post(f"{url}/respond", data={"csrf_token": csrf_token(lead_client, url),
                                                         "decline": "1", "reason": REASON})
    assert response.status_code == 302, page
    with app.app_context():
        group = db.session.get(MentoringGroup, group_id)
        own = next(m for m in group.members if m.application.company_id == company_id)
        assert own.response == Response.DECLINED
        others = [m for m in group.members if m is not own]
        names = [m.application.company.name for m in others]
        names += [u.full_name for m in others for u in m.application.company.hr_leads]
        assert names and all(name in page for name in names[:len(others)])  # what the pending company was shown
        meeting = next(m for m in group.meetings if m.status == "confirmed")
        sessions.record_session(
            meeting, outcome="held", questions="Wie sprechen wir das Thema an?", topics=[],
            minutes=f"{names[0]} berichtet, wie dort Pflegezeit beantragt wird.",
            present=[sessions.PersonPresent(m.application_id, m.application.company.hr_leads[0].full_name, "hr")
                     for m in others],
            measures=[sessions.NewMeasure(m.application_id, "Infoblatt erstellen", "HR", None) for m in others],
            confidential="", actor=group.supervisor, now=meeting.ends_at + timedelta(hours=1))
        db.session.commit()
        measure_id = db.session.scalar(select(Measure.id).where(Measure.group_id == group_id))
        company = own.application.company
        meeting_id, meeting_uid, member_id = meeting.id, meeting.uid, own.id
    colleague = make.user(Role.COLLEAGUE, company=company)
    return {"group_id": group_id, "meeting_id": meeting_id, "meeting_uid": meeting_uid, "measure_id": measure_id,
            "member_id": member_id, "names": names, "lead": lead_client, "colleague": colleague, "company_id": company_id}


def _colleague_client(app, declined):
    client = app.test_client()
    login(client, declined["colleague"].email)
    return client


def _group_routes(app) -> list[tuple[str, str, str]]:
    """Every route of a group or of something in it (a session, a measure, a company's place): (endpoint, method,
    rule)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.arguments <= {"group_id", "meeting_id", "measure_id", "member_id"}:
            found += [(rule.endpoint, method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


def test_every_route_of_the_group_is_found(app):
    endpoints = {endpoint for endpoint, _, _ in _group_routes(app)}
    assert {"groups.detail", "groups.respond", "meetings.detail", "meetings.feedback", "meetings.update_measure",
            "meetings.confidential"} <= endpoints


@pytest.mark.parametrize("who", ["lead", "colleague"])
def test_a_declined_company_reads_nothing_of_its_former_group(app, declined, who):
    client = declined["lead"] if who == "lead" else _colleague_client(app, declined)
    args = {k: declined[k] for k in ("group_id", "meeting_id", "measure_id", "member_id")}
    seen = {}
    for endpoint, method, _ in _group_routes(app):
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **{k: v for k, v in args.items() if k in _rule(app, endpoint).arguments})
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/account"), "rating": "5",
                                              "status": "done", "accept": "1"})
        body = response.get_data(as_text=True)
        assert not [name for name in declined["names"] if name in body], (endpoint, method)
        seen[endpoint, method] = response.status_code
    # The group page says that the company declined; a second answer leads back to it; all else is not found
    # (or forbidden where the role may not use the route at all).
    assert seen.pop(("groups.detail", "GET")) == 200
    assert seen.pop(("groups.respond", "POST")) == (302 if who == "lead" else 403)
    assert seen[("meetings.detail", "GET")] == 404 and set(seen.values()) <= {403, 404}, seen


def _rule(app, endpoint):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def test_the_group_page_tells_the_hr_lead_that_the_company_declined_and_nothing_else(app, declined):
    page = declined["lead"].get(f"/groups/{declined['group_id']}").get_data(as_text=True)
    assert "abgesagt" in page and REASON in page and "Programmkoordination" in page
    assert 'id="measures"' not in page and "/meetings/" not in page and "/respond" not in page
    # The colleague reads that the company declined, but not the HR lead's reason.
    colleague = _colleague_client(app, declined).get(f"/groups/{declined['group_id']}").get_data(as_text=True)
    assert "abgesagt" in colleague and REASON not in colleague


def test_nothing_of_the_other_companies_on_the_start_pages_or_in_the_calendar_feed(app, declined):
    start = declined["lead"].get("/hr/").get_data(as_text=True)
    assert f"/groups/{declined['group_id']}" in start and "abgesagt" in start
    assert not [name for name in declined["names"] if name in start]
    mine = _colleague_client(app, declined).get("/groups/").get_data(as_text=True)
    assert f"/groups/{declined['group_id']}" not in mine
    assert not [name for name in declined["names"] if name in mine]
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "hr14@example.org"))
        token = meetings.issue_feed_token(lead)
        db.session.commit()
    feed = app.test_client().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    body = feed.get_data(as_text=True)
    assert declined["meeting_uid"] not in body and not [name for name in declined["names"] if name in body]


def test_the_companies_that_stayed_still_read_the_group(app, declined):
    with app.app_context():
        group = db.session.get(MentoringGroup, declined["group_id"])
        email = next(m.application.company.hr_leads[0].email for m in group.members
                     if m.application.company_id != declined["company_id"])
        coordinator_names = [m.application.company.name for m in group.members]
    client = app.test_client()
    login(client, email, demo.DEMO_PASSWORD)
    assert client.get(f"/groups/{declined['group_id']}").status_code == 200
    assert client.get(f"/meetings/{declined['meeting_id']}").status_code == 200
    coordinator = app.test_client()
    login(coordinator, "coordinator@example.org", demo.DEMO_PASSWORD)
    page = coordinator.get(f"/groups/{declined['group_id']}").get_data(as_text=True)
    assert all(name in page for name in coordinator_names)  # the coordinators see who declined
