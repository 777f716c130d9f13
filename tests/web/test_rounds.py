"""Matching rounds: states and refusals of the service, and the whole flow over the web with the solve running in
its own process."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import demo
from app.extensions import db
from app.models import (
    Application,
    GroupMember,
    MatchingRound,
    Meeting,
    MeetingStatus,
    MentoringGroup,
    Response,
    RoundEvent,
    RoundRun,
    RunStatus,
    SessionRecord,
    User,
    utcnow,
)
from app.services import rounds
from app.services.errors import ServiceError
from tests.conftest import csrf_token, login


def _settings(round_: MatchingRound, **changes) -> rounds.RoundSettings:
    values = rounds.RoundSettings(
        name=round_.name, starts_on=round_.starts_on, cycle_months=round_.cycle_months, group_min=round_.group_min,
        group_max=round_.group_max, min_maturity_gap=round_.min_maturity_gap, competitor_km=round_.competitor_km,
        weights=dict(round_.weights), is_fair=round_.is_fair, time_limit_s=round_.time_limit_s,
        respond_by=round_.respond_by, participant_ids=[a.id for a in round_.participants],
        supervisor_ids=[u.id for u in round_.supervisors])
    for key, value in changes.items():
        setattr(values, key, value)
    return values


def _coordinator() -> User:
    return db.session.scalar(select(User).where(User.email == "coordinator@example.org"))


@pytest.mark.parametrize(("change", "field"), [
    ({"starts_on": date(2020, 1, 1)}, "starts_on"),
    ({"group_min": 0}, "group_min"),
    ({"group_min": 3, "group_max": 2}, "group_min"),
    ({"cycle_months": 30}, "cycle_months"),
    ({"weights": {"complementarity": 11}}, "weight_complementarity"),
    ({"weights": {"distance": -1}}, "weight_distance"),
    ({"supervisor_ids": []}, "supervisor_ids"),
])
def test_bad_settings_are_refused_and_nothing_is_created(app, demo_world, change, field):
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        count = db.session.scalar(select(func.count()).select_from(MatchingRound))
        with pytest.raises(ServiceError) as refused:
            rounds.create_round(draft.programme, _settings(draft, **change), actor=_coordinator(), now=utcnow())
        assert refused.value.field == field
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(MatchingRound)) == count


def test_a_round_without_mentors_is_refused(app, demo_world):
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        mentees = [a.id for a in draft.participants if a.role == "mentee"]
        with pytest.raises(ServiceError, match="Mentor") as refused:
            rounds.create_round(draft.programme, _settings(draft, participant_ids=mentees), actor=_coordinator(),
                                now=utcnow())
        assert refused.value.field == "participant_ids"


def test_the_second_of_two_saves_on_one_version_is_refused(app, demo_world):
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        version = draft.version
        rounds.update_round(draft, _settings(draft, name="Erste Änderung"), version=version, actor=_coordinator(),
                            now=utcnow())
        db.session.commit()
        with pytest.raises(ServiceError, match="inzwischen"):
            rounds.update_round(draft, _settings(draft, name="Zweite Änderung"), version=version,
                                actor=_coordinator(), now=utcnow())
        db.session.rollback()
        assert db.session.get(MatchingRound, demo_world["draft"]).name == "Erste Änderung"


def test_a_second_run_is_refused_while_one_is_queued_and_a_lost_run_is_released(app, demo_world):
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        now = utcnow()
        run = rounds.request_run(draft, actor=_coordinator(), now=now)
        db.session.commit()
        with pytest.raises(ServiceError, match="arbeitet bereits"):
            rounds.request_run(draft, actor=_coordinator(), now=now)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(RoundRun)) == 1
        # Its process never started: once the time limit and a margin have passed, the run is marked failed.
        rounds.check_stale(draft, now + timedelta(seconds=run.time_limit_s + 10))
        assert draft.active_run_id == run.id
        rounds.check_stale(draft, now + timedelta(seconds=run.time_limit_s) + rounds.STALE_AFTER + timedelta(1))
        db.session.commit()
        assert db.session.get(RoundRun, run.id).status == RunStatus.FAILED
        assert db.session.get(MatchingRound, draft.id).active_run_id is None


def test_a_pin_or_move_that_breaks_a_hard_rule_is_refused_with_the_reason(app, demo_world):
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        run = rounds.request_run(draft, actor=_coordinator(), now=utcnow())
        db.session.commit()
        rounds.execute_run(run.id, now_fn=utcnow)
        draft = db.session.get(MatchingRound, demo_world["draft"])
        assert draft.proposal["groups"], draft.proposal
        # A mentee pinned to another mentee's mentor is fine; a mentee pinned to a mentor it is too far from is not.
        mentors = [a for a in draft.participants if a.role == "mentor"]
        mentees = [a for a in draft.participants if a.role == "mentee"]
        instance = rounds.build_instance(draft)
        from matching.rules import blocking_rule

        blocked = [(m, e) for m in mentors for e in mentees
                   if blocking_rule(next(x for x in instance.mentors if x.id == f"a{m.id}"),
                                    next(x for x in instance.mentees if x.id == f"a{e.id}"), instance)]
        assert blocked, "the demo's draft round should hold a pair that a rule keeps apart"
        mentor, mentee = blocked[0]
        with pytest.raises(ServiceError) as refused:
            rounds.add_rule(draft, "pin", mentor.id, mentee.id, actor=_coordinator(), now=utcnow())
        assert str(refused.value.message) in {str(m) for m in rounds.RULE_MESSAGES.values()}
        with pytest.raises(ServiceError):
            rounds.move_mentee(draft, mentee.id, mentor.id, actor=_coordinator(), now=utcnow())
        db.session.rollback()


def _wait_for_proposal(client, url: str, run_number: int) -> str:
    """Reload the round's page until the run has finished (the solve runs in its own process)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page = client.get(url).get_data(as_text=True)
        if "http-equiv=\"refresh\"" not in page and f"Lauf {run_number}" in page:
            return page
        time.sleep(0.5)
    raise AssertionError("the run did not finish in time:\n" + page[:3000])


def test_round_runs_in_the_background_then_is_pinned_rerun_published_accepted_and_declined(app, demo_world,
                                                                                          mailbox):
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    url = f"/coordinator/rounds/{demo_world['draft']}"
    response = client.post(f"{url}/run", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "http-equiv=\"refresh\"" in page or "Lauf 1" in page
    # A second click while the first run is running is refused.
    second = client.post(f"{url}/run", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    page = _wait_for_proposal(client, url, 1)
    assert "Vorschlag" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundRun)) == 1, second.get_data(as_text=True)
        draft = db.session.get(MatchingRound, demo_world["draft"])
        group = draft.proposal["groups"][0]
        mentor_id, mentee_id = group["mentor"], group["mentees"][0]["application"]
    # Pin one pair and run again: the pin stays, the page compares with the previous proposal.
    client.post(f"{url}/rules", data={"csrf_token": csrf_token(client, url), "kind": "pin", "mentor": mentor_id,
                                      "mentee": mentee_id})
    client.post(f"{url}/run", data={"csrf_token": csrf_token(client, url)})
    page = _wait_for_proposal(client, url, 2)
    assert "angeheftet" in page
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        assert rounds.mentor_of(draft.proposal)[mentee_id] == mentor_id
        assert draft.previous_proposal["run"] == 1 and draft.proposal["run"] == 2
    # Publish: groups exist, HR leads and supervisors get mail, the round is read-only.
    response = client.post(f"{url}/publish", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        assert draft.status == "published" and draft.groups
        group = draft.groups[0]
        members = [(m.id, m.application.company.hr_leads[0].email, m.role) for m in group.members]
        supervisor_email = group.supervisor.email
    assert mailbox.messages(supervisor_email)
    assert all(mailbox.messages(email) for _, email, _ in members)
    refused = client.post(f"{url}/rules", data={"csrf_token": csrf_token(client, url), "kind": "pin",
                                                "mentor": mentor_id, "mentee": mentee_id}, follow_redirects=True)
    assert "veröffentlicht" in refused.get_data(as_text=True)
    # One HR lead accepts, another (a mentee) declines with a reason that reaches the coordinator.
    mentee_members = [m for m in members if m[2] == "mentee"]
    accept_client, decline_client = app.test_client(), app.test_client()
    login(accept_client, members[0][1], demo.DEMO_PASSWORD)
    group_url = f"/groups/{group.id}"
    accept_client.post(f"{group_url}/respond", data={"csrf_token": csrf_token(accept_client, group_url),
                                                     "accept": "1"})
    login(decline_client, mentee_members[-1][1], demo.DEMO_PASSWORD)
    empty = decline_client.post(f"{group_url}/respond", data={"csrf_token": csrf_token(decline_client, group_url),
                                                              "decline": "1", "reason": ""})
    assert empty.status_code == 200 and "warum" in empty.get_data(as_text=True).lower()
    decline_client.post(f"{group_url}/respond", data={"csrf_token": csrf_token(decline_client, group_url),
                                                      "decline": "1", "reason": "Zu weit weg"})
    assert any("Zu weit weg" in m.body for m in mailbox.messages("coordinator@example.org"))
    with app.app_context():
        responses = {m.id: m.response for m in db.session.scalars(select(GroupMember))}
        assert responses[members[0][0]] == Response.ACCEPTED and responses[mentee_members[-1][0]] == Response.DECLINED
        kinds = [e.kind for e in db.session.scalars(select(RoundEvent).where(RoundEvent.round_id == draft.id))]
        assert {"run", "pin", "publish", "accept", "decline"} <= set(kinds)
        declined_application = db.session.get(GroupMember, mentee_members[-1][0]).application_id
    # The coordinator starts a follow-up round for the freed companies; accepted groups stay.
    response = client.post(f"{url}/follow-up", data={"csrf_token": csrf_token(client, url)})
    match = re.search(r"/coordinator/rounds/(\d+)$", response.headers["Location"])
    assert match and int(match.group(1)) != demo_world["draft"], response.headers["Location"]
    with app.app_context():
        follow = db.session.get(MatchingRound, int(match.group(1)))
        participants = {a.id for a in follow.participants}
        assert declined_application in participants
        accepted = {m.application_id for g in db.session.scalars(select(MentoringGroup)) for m in g.members
                    if g.is_active and m.response == Response.ACCEPTED}
        assert accepted and not accepted & participants
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application).where(
            Application.programme_id == demo_world["programme"])) == len(demo.COMPANIES)


def test_bad_value_in_each_field_of_the_round_form(app, demo_world):
    from tests.web.test_bad_input import BAD_VALUES, SCRIPT, encode, row_counts

    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        valid = {"name": "Neue Runde", "starts_on": (utcnow().date() + timedelta(days=20)).isoformat(),
                 "cycle_months": "12", "group_min": "2", "group_max": "4", "min_maturity_gap": "10",
                 "competitor_km": "", "time_limit_s": "20", "respond_by": "",
                 **{f"weight_{k}": str(v) for k, v in rounds.default_weights().items()},
                 "participant_ids": [str(a.id) for a in draft.participants],
                 "supervisor_ids": [str(u.id) for u in draft.supervisors]}
        draft_name = draft.name
    path = f"/coordinator/programmes/{demo_world['programme']}/rounds/new"
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    extra = {"starts_on": ["2020-01-01", "31.02.2027"], "cycle_months": ["8", "25"], "group_min": ["0"],
             "weight_size": ["11", "-1"], "time_limit_s": ["0"], "participant_ids": [["99999"]],
             "supervisor_ids": [["99999"], []]}
    for field in valid:
        cases = list(BAD_VALUES.items()) + [(f"extra{i}", v) for i, v in enumerate(extra.get(field, []))]
        for label, bad in cases:
            if field in ("competitor_km", "respond_by") and label == "empty":
                continue  # optional fields
            before = row_counts(app)
            data = {"csrf_token": csrf_token(client, path), **valid, field: bad}
            response = client.post(path, data=encode(data), content_type="application/x-www-form-urlencoded")
            context = f"{field}={label}"
            assert response.status_code < 500, context
            body = response.get_data(as_text=True)
            assert SCRIPT not in body, context
            if response.status_code == 302:  # odd text in the name is still text: stored, and shown escaped
                assert field == "name" and label in ("script", "non_utf8"), context
                assert SCRIPT not in client.get(response.headers["Location"]).get_data(as_text=True)
                with app.app_context():
                    created = db.session.scalar(select(MatchingRound).order_by(MatchingRound.id.desc()))
                    assert created.name not in ("Neue Runde", draft_name)
                    db.session.delete(created)
                    db.session.commit()
                continue
            assert response.status_code == 200, context
            assert row_counts(app) == before, context


@pytest.mark.dates
def test_published_round_page_shows_each_group_in_one_line_with_its_next_session(app, demo_world):
    """Hundreds of groups and thousands of sessions: one line per group (answers, sessions planned and held, the
    next session), the full lists on the group pages and the calendar; the proposal's cards on request."""
    now = utcnow()
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["published"])
        first, second = round_.groups[0], round_.groups[1]
        coming = [m for m in first.meetings if m.ends_at > now]
        coming[0].status = MeetingStatus.CANCELLED  # the next is the one after a cancelled one
        coming[1].status = MeetingStatus.PROPOSED
        mentee = next(m for m in second.members if m.role == "mentee")
        mentee.response, mentee.decline_reason = Response.DECLINED, "Zu weit weg"
        db.session.commit()
        held = db.session.scalar(select(func.count()).select_from(SessionRecord).join(Meeting).where(
            Meeting.group_id == first.id, SessionRecord.outcome == "held"))
        expected = {"held": held, "next": coming[1].id, "later": coming[2].id, "first": first.id, "second": second.id,
                    "planned": len(first.meetings) - 1, "declined": mentee.application.company.name,
                    "groups": [g.id for g in round_.groups]}
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    page = client.get(f"/coordinator/rounds/{demo_world['published']}").get_data(as_text=True)
    assert all(f'href="/groups/{g}"' in page for g in expected["groups"])
    assert f'href="/meetings/{expected["next"]}"' in page and f'href="/meetings/{expected["later"]}"' not in page
    assert f'/coordinator/rounds/{demo_world["published"]}/calendar' in page
    row = re.search(rf'<tr>\s*<td><a href="/groups/{expected["first"]}">.*?</tr>', page, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="text-end">(.*?)</td>', row, re.S)]
    assert cells[0].startswith(str(expected["planned"])) and "1 vorgeschlagen" in cells[0]
    assert cells[1] == str(expected["held"])
    assert "Zu weit weg" in page and expected["declined"] in page and "1 abgesagt" in page
    assert "1 Termin bestätigen" in page and "/meetings/confirm" in page
    # The proposal's cards are not on the page unless asked for.
    assert "Warum" not in page
    assert "Warum" in client.get(f"/coordinator/rounds/{demo_world['published']}?proposal=all").get_data(as_text=True)


def test_published_round_page_shows_50_groups_a_page(app, demo_world):
    with app.app_context():
        round_ = db.session.get(MatchingRound, demo_world["published"])
        db.session.add_all([MentoringGroup(programme_id=round_.programme_id, round_id=round_.id,
                                           starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
                            for _ in range(60)])
        db.session.commit()
        ids = [g.id for g in db.session.scalars(select(MentoringGroup).where(MentoringGroup.round_id == round_.id)
                                                .order_by(MentoringGroup.id))]
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    url = f"/coordinator/rounds/{demo_world['published']}"
    first, second = (client.get(f"{url}?page={n}").get_data(as_text=True) for n in (1, 2))
    assert all(f'href="/groups/{g}"' in first for g in ids[:50]) and f'href="/groups/{ids[50]}"' not in first
    assert all(f'href="/groups/{g}"' in second for g in ids[50:]) and f'href="/groups/{ids[0]}"' not in second
    assert "Seite 2 von 2" in second and f'href="{url}?page=1#groups-title"' in second
    for odd in ("abc", "0", "-1", "99", "9" * 5000):
        response = client.get(f"{url}?page={odd}")
        assert response.status_code == 200 and "Seite " in response.get_data(as_text=True), odd
