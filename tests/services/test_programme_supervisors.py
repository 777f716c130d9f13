"""Supervisors per programme (issue 15, part 4): linked by the coordinators, invited into the programme, capacity
counted across programmes, and rounds that offer only the programme's own supervisors."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    MatchingRound,
    MentoringGroup,
    OneTimeToken,
    Programme,
    ProgrammeSupervisor,
    Role,
    SupervisorProfile,
    User,
)
from app.services import accounts, rounds, supervisors
from app.services.errors import ServiceError


def _user(role: Role, email: str, name: str = "Dr. Anna Supervision") -> User:
    user = User(email=email, full_name=name, password_hash="x", role=role)
    db.session.add(user)
    db.session.flush()
    return user


def _programme(name: str) -> Programme:
    programme = Programme(name=name, region="Kreis Borken", state_code="NW")
    db.session.add(programme)
    db.session.flush()
    return programme


def _group(programme: Programme, supervisor: User, coordinator: User, *, status: str = "active") -> MentoringGroup:
    """A running group led by the supervisor (its own published round, no companies needed for counting)."""
    round_ = MatchingRound(programme_id=programme.id, name="Runde", status="published", starts_on=date(2027, 1, 1),
                           created_by_id=coordinator.id, weights={})
    db.session.add(round_)
    db.session.flush()
    group = MentoringGroup(programme_id=programme.id, round_id=round_.id, supervisor_id=supervisor.id,
                           starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31), status=status)
    db.session.add(group)
    db.session.flush()
    return group


@pytest.fixture
def people(ctx):
    here, there = _programme("Programm Borken"), _programme("Programm Coesfeld")
    coordinator = _user(Role.COORDINATOR, "koordination@example.org", "Karin Lammers")
    coordinator.coordinated_programmes.append(here)
    supervisor = _user(Role.SUPERVISOR, "supervision@example.org")
    db.session.flush()
    return {"here": here, "there": there, "coordinator": coordinator, "supervisor": supervisor}


def test_an_existing_supervisor_is_linked_at_once(people, clock):
    here, supervisor = people["here"], people["supervisor"]
    user, raw = supervisors.add_supervisor(here, " Supervision@Example.org ", 3, actor=people["coordinator"],
                                           now=clock)
    assert user.id == supervisor.id and raw is None
    assert supervisors.link_of(here, supervisor).max_groups == 3
    assert [u.id for u in supervisors.available(here)] == [supervisor.id]
    assert supervisors.available(people["there"]) == []
    with pytest.raises(ServiceError) as again:
        supervisors.add_supervisor(here, supervisor.email, 2, actor=people["coordinator"], now=clock)
    assert again.value.field == "email"


def test_an_unknown_address_is_invited_and_linked_when_it_accepts(people, clock):
    here = people["here"]
    user, raw = supervisors.add_supervisor(here, "neu@beratung.de", 4, actor=people["coordinator"], now=clock)
    assert user is None and raw
    assert [t.email for t in supervisors.pending_invitations(here, clock)] == ["neu@beratung.de"]
    assert supervisors.pending_invitations(people["there"], clock) == []
    created = accounts.accept_invitation(raw, full_name="Neue Supervisorin", password="Pflegekoffer-im-Sommer-26",
                                         locale="de", now=clock)
    assert created.role == Role.SUPERVISOR
    assert supervisors.link_of(here, created).max_groups == 4
    assert supervisors.pending_invitations(here, clock) == []


def test_an_administrators_invitation_of_a_supervisor_names_programmes_too(people, clock):
    admin = _user(Role.ADMIN, "admin@example.org", "Admin")
    _token, raw = accounts.invite_user(email="sv@example.org", role=Role.SUPERVISOR,
                                       programme_ids=[people["there"].id], actor=admin, now=clock)
    created = accounts.accept_invitation(raw, full_name="Sven Visor", password="Pflegekoffer-im-Sommer-26",
                                         locale="de", now=clock)
    assert supervisors.link_of(people["there"], created).max_groups == accounts.SUPERVISOR_DEFAULT_CAPACITY


@pytest.mark.parametrize("email", ["koordination@example.org"])
def test_an_account_of_another_role_is_refused(people, clock, email):
    with pytest.raises(ServiceError) as refused:
        supervisors.add_supervisor(people["here"], email, 2, actor=people["coordinator"], now=clock)
    assert refused.value.field == "email"


@pytest.mark.parametrize("capacity", [-1, 21, True, None, "3"])
def test_a_capacity_outside_0_to_20_is_refused(people, clock, capacity):
    with pytest.raises(ServiceError) as refused:
        supervisors.add_supervisor(people["here"], people["supervisor"].email, capacity,
                                   actor=people["coordinator"], now=clock)
    assert refused.value.field == "max_groups"
    assert supervisors.link_of(people["here"], people["supervisor"]) is None


def test_remaining_capacity_counts_groups_in_every_programme(people, clock):
    """Capacity here 2, own limit 3: one group here and one elsewhere leave one; a second elsewhere leaves none."""
    here, there, supervisor, coordinator = people["here"], people["there"], people["supervisor"], people["coordinator"]
    db.session.add(SupervisorProfile(user_id=supervisor.id, max_groups=3, max_travel_km=50, updated_at=clock))
    supervisors.add_supervisor(here, supervisor.email, 2, actor=coordinator, now=clock)
    assert supervisors.remaining_capacity(here, [supervisor]) == {supervisor.id: 2}
    _group(here, supervisor, coordinator)
    _group(there, supervisor, coordinator)
    _group(there, supervisor, coordinator, status="completed")  # a closed cycle no longer counts
    assert supervisors.remaining_capacity(here, [supervisor]) == {supervisor.id: 1}
    _group(there, supervisor, coordinator)
    assert supervisors.remaining_capacity(here, [supervisor]) == {supervisor.id: 0}
    # The other programme does not have them: no capacity there at all.
    assert supervisors.remaining_capacity(there, [supervisor]) == {supervisor.id: 0}
    row = supervisors.overview(here)[0]
    assert (row.max_groups, row.own_limit, row.running_here, row.running_elsewhere, row.free) == (2, 3, 1, 2, 0)


def test_capacity_changes_and_removal(people, clock):
    here, supervisor, coordinator = people["here"], people["supervisor"], people["coordinator"]
    supervisors.add_supervisor(here, supervisor.email, 2, actor=coordinator, now=clock)
    supervisors.set_capacity(here, supervisor, 5, actor=coordinator, now=clock)
    assert supervisors.link_of(here, supervisor).max_groups == 5
    _group(here, supervisor, coordinator)
    draft = MatchingRound(programme_id=here.id, name="Entwurf", status="draft", starts_on=date(2027, 6, 1),
                          created_by_id=coordinator.id, weights={})
    draft.supervisors = [supervisor]
    db.session.add(draft)
    db.session.flush()
    assert supervisors.remove_supervisor(here, supervisor, actor=coordinator, now=clock) == 1
    db.session.expire_all()
    assert supervisors.link_of(here, supervisor) is None
    assert db.session.get(MatchingRound, draft.id).supervisors == []
    with pytest.raises(ServiceError):
        supervisors.set_capacity(here, supervisor, 2, actor=coordinator, now=clock)
    with pytest.raises(ServiceError):
        supervisors.remove_supervisor(here, supervisor, actor=coordinator, now=clock)


def test_a_round_may_choose_only_the_programmes_supervisors(people, clock):
    here, there, coordinator = people["here"], people["there"], people["coordinator"]
    other = _user(Role.SUPERVISOR, "andere@example.org", "Bernd Anders")
    supervisors.add_supervisor(there, other.email, 2, actor=coordinator, now=clock)
    supervisors.add_supervisor(here, people["supervisor"].email, 2, actor=coordinator, now=clock)
    assert [u.email for u in rounds.supervisors_available(here)] == ["supervision@example.org"]
    assert [u.email for u in rounds.supervisors_available(there)] == ["andere@example.org"]


def test_the_demo_round_offers_its_supervisors_what_other_programmes_leave_them(app, demo_world):
    """The demo's draft round: each supervisor's capacity is what the programme and their other groups leave."""
    with app.app_context():
        draft = db.session.get(MatchingRound, demo_world["draft"])
        programme = draft.programme
        assert {u.id for u in draft.supervisors} == supervisors.supervisor_ids(programme)
        before = {s.id: s.capacity for s in rounds.build_instance(draft).supervisors}
        first = draft.supervisors[0]
        running_here = supervisors.running_groups([first.id]).get((first.id, programme.id), 0)
        limit = db.session.get(SupervisorProfile, first.id).max_groups
        assert before[rounds.supervisor_key(first.id)] == limit - running_here
        # A group elsewhere takes one group of room away from this programme's round.
        elsewhere = _programme("Programm Coesfeld")
        coordinator = db.session.scalar(select(User).where(User.role == Role.COORDINATOR))
        _group(elsewhere, first, coordinator)
        after = {s.id: s.capacity for s in rounds.build_instance(draft).supervisors}
        assert after[rounds.supervisor_key(first.id)] == before[rounds.supervisor_key(first.id)] - 1
        db.session.rollback()


def test_invitation_tokens_carry_the_programme(people, clock):
    supervisors.add_supervisor(people["here"], "neu@beratung.de", 1, actor=people["coordinator"], now=clock)
    token = db.session.scalar(select(OneTimeToken).where(OneTimeToken.email == "neu@beratung.de"))
    assert token.programme_ids == [people["here"].id] and token.payload == {"max_groups": 1}
    assert db.session.scalar(select(ProgrammeSupervisor)) is None


def test_export_names_the_programmes_and_erasure_ends_the_links(people, clock):
    from app.services import erasure, personal_data

    here, supervisor = people["here"], people["supervisor"]
    supervisors.add_supervisor(here, supervisor.email, 3, actor=people["coordinator"], now=clock)
    assert personal_data.collect(supervisor)["programmes_served"] == [{"programme": "Programm Borken",
                                                                       "max_groups": 3}]
    admin = _user(Role.ADMIN, "admin@example.org", "Admin")
    erasure.erase_person(supervisor, actor=admin, now=clock)
    assert supervisors.link_of(here, supervisor) is None
