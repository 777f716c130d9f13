"""Supervisors per programme: the coordinators invite them, give them a capacity there, and remove them; a round of
the programme offers only its supervisors, with the room they have left in all their programmes (the rule is
written down at app/models/supervisor.py, ProgrammeSupervisor). Services flush; the caller commits and mails."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    MatchingRound,
    MentoringGroup,
    OneTimeToken,
    Programme,
    ProgrammeSupervisor,
    Role,
    RoundStatus,
    SupervisorProfile,
    TokenPurpose,
    User,
    round_supervisor,
)
from app.models.group import GroupStatus
from app.services import accounts, audit
from app.services.errors import ServiceError

CAPACITY = (0, 20)  # groups of one programme at the same time; 0 keeps a supervisor listed but offers them no group
DEFAULT_CAPACITY = 2


@dataclass(frozen=True)
class ProgrammeSupervisorRow:
    """One supervisor of a programme as the coordinator sees them."""

    user: User
    max_groups: int  # this programme's capacity
    own_limit: int | None  # the supervisor's limit in all programmes (None: profile not yet filled in)
    place: str | None
    running_here: int
    running_elsewhere: int

    @property
    def free(self) -> int:
        """Groups this programme could still give them."""
        here = self.max_groups - self.running_here
        if self.own_limit is None:
            return max(0, here)
        return max(0, min(here, self.own_limit - self.running_here - self.running_elsewhere))


def _check_capacity(max_groups) -> int:
    low, high = CAPACITY
    if not isinstance(max_groups, int) or isinstance(max_groups, bool) or not low <= max_groups <= high:
        raise ServiceError(_l("Please enter a whole number of groups between %(low)d and %(high)d.",
                              low=low, high=high), "max_groups")
    return max_groups


def link_of(programme: Programme, user: User) -> ProgrammeSupervisor | None:
    return db.session.get(ProgrammeSupervisor, (programme.id, user.id))


def supervisor_ids(programme: Programme) -> set[int]:
    return set(db.session.scalars(select(ProgrammeSupervisor.user_id)
                                  .where(ProgrammeSupervisor.programme_id == programme.id)))


def available(programme: Programme) -> list[User]:
    """The programme's supervisors whose accounts are active: those a new round may choose."""
    return list(db.session.scalars(
        select(User).join(ProgrammeSupervisor, ProgrammeSupervisor.user_id == User.id)
        .where(ProgrammeSupervisor.programme_id == programme.id, User.role == Role.SUPERVISOR,
               User.is_active.is_(True))
        .order_by(User.full_name, User.id)))


def running_groups(user_ids: list[int], *, except_round_id: int | None = None) -> dict[tuple[int, int], int]:
    """Running (active) groups led per (supervisor, programme), leaving out the groups of one round."""
    if not user_ids:
        return {}
    query = (select(MentoringGroup.supervisor_id, MentoringGroup.programme_id, func.count())
             .where(MentoringGroup.supervisor_id.in_(user_ids), MentoringGroup.status == GroupStatus.ACTIVE)
             .group_by(MentoringGroup.supervisor_id, MentoringGroup.programme_id))
    if except_round_id is not None:
        query = query.where(MentoringGroup.round_id != except_round_id)
    return {(user_id, programme_id): n for user_id, programme_id, n in db.session.execute(query)}


def remaining_capacity(programme: Programme, users: list[User], *, round_: MatchingRound | None = None
                       ) -> dict[int, int]:
    """How many more groups of this programme each supervisor can lead: the smaller of the programme's capacity
    less their running groups here, and their own limit less their running groups in every programme. A supervisor
    not (or no longer) linked to the programme has none. The round's own groups are not counted."""
    ids = [u.id for u in users]
    links = {row.user_id: row.max_groups for row in db.session.scalars(
        select(ProgrammeSupervisor).where(ProgrammeSupervisor.programme_id == programme.id,
                                          ProgrammeSupervisor.user_id.in_(ids)))}
    limits = dict(db.session.execute(select(SupervisorProfile.user_id, SupervisorProfile.max_groups)
                                     .where(SupervisorProfile.user_id.in_(ids))).all())
    running = running_groups(ids, except_round_id=round_.id if round_ is not None else None)
    result = {}
    for user_id in ids:
        here = running.get((user_id, programme.id), 0)
        everywhere = sum(n for (uid, _p), n in running.items() if uid == user_id)
        free = links.get(user_id, 0) - here
        if user_id in limits:
            free = min(free, limits[user_id] - everywhere)
        result[user_id] = max(0, free)
    return result


def overview(programme: Programme) -> list[ProgrammeSupervisorRow]:
    """The programme's supervisors with their capacity here, their own limit and the groups they lead."""
    links = db.session.execute(
        select(ProgrammeSupervisor, User, SupervisorProfile)
        .join(User, User.id == ProgrammeSupervisor.user_id)
        .outerjoin(SupervisorProfile, SupervisorProfile.user_id == User.id)
        .where(ProgrammeSupervisor.programme_id == programme.id)
        .order_by(User.full_name, User.id)).all()
    running = running_groups([user.id for _link, user, _profile in links])
    rows = []
    for link, user, profile in links:
        here = running.get((user.id, programme.id), 0)
        elsewhere = sum(n for (uid, pid), n in running.items() if uid == user.id and pid != programme.id)
        rows.append(ProgrammeSupervisorRow(
            user=user, max_groups=link.max_groups, own_limit=profile.max_groups if profile else None,
            place=profile.municipality if profile and profile.is_complete else None,
            running_here=here, running_elsewhere=elsewhere))
    return rows


def pending_invitations(programme: Programme, now: datetime) -> list[OneTimeToken]:
    """Open supervisor invitations to this programme (not yet accepted, not expired)."""
    tokens = db.session.scalars(
        select(OneTimeToken).where(OneTimeToken.purpose == TokenPurpose.INVITATION,
                                   OneTimeToken.role == Role.SUPERVISOR, OneTimeToken.used_at.is_(None),
                                   OneTimeToken.expires_at > now)
        .order_by(OneTimeToken.created_at, OneTimeToken.id))
    return [t for t in tokens if programme.id in (t.programme_ids or [])]


def add_supervisor(programme: Programme, email: str, max_groups: int, *, actor: User, now: datetime
                   ) -> tuple[User | None, str | None]:
    """Link an existing supervisor account to the programme, or invite the address as its supervisor (the link is
    made when the invitation is accepted). Returns (the account, None) or (None, the invitation's raw token for the
    mail the caller sends). Flushes."""
    max_groups = _check_capacity(max_groups)
    user = accounts.find_user_by_email(email or "")
    if user is None:
        _token, raw = accounts.invite_user(email=email, role=Role.SUPERVISOR, programme_ids=[programme.id],
                                           actor=actor, now=now, payload={"max_groups": max_groups})
        audit.record("supervisor_invited", actor, now, programme, email=accounts.normalise_email(email))
        return None, raw
    if user.role != Role.SUPERVISOR or not user.is_active:
        raise ServiceError(_l("This address belongs to an account that is not an active supervisor. Please use "
                              "another address."), "email")
    if link_of(programme, user) is not None:
        raise ServiceError(_l("This supervisor serves the programme already. You can change their capacity in "
                              "the list."), "email")
    db.session.add(ProgrammeSupervisor(programme_id=programme.id, user_id=user.id, max_groups=max_groups,
                                       created_at=now))
    audit.record("supervisor_added", actor, now, programme, email=user.email, max_groups=max_groups)
    db.session.flush()
    return user, None


def set_capacity(programme: Programme, user: User, max_groups: int, *, actor: User, now: datetime) -> None:
    """Change how many groups of this programme the supervisor leads at most. Flushes."""
    link = link_of(programme, user)
    if link is None:
        raise ServiceError(_l("This person does not serve the programme."))
    max_groups = _check_capacity(max_groups)
    if link.max_groups != max_groups:
        audit.record("supervisor_capacity_changed", actor, now, programme, email=user.email,
                     old=link.max_groups, new=max_groups)
        link.max_groups, link.updated_at = max_groups, now
        db.session.flush()


def remove_supervisor(programme: Programme, user: User, *, actor: User, now: datetime) -> int:
    """The supervisor no longer serves the programme: new rounds do not offer them, and they leave its draft rounds.
    The groups they lead keep them until their cycle ends. Returns how many running groups they still lead here.
    Flushes."""
    link = link_of(programme, user)
    if link is None:
        raise ServiceError(_l("This person does not serve the programme."))
    db.session.delete(link)
    drafts = select(MatchingRound.id).where(MatchingRound.programme_id == programme.id,
                                            MatchingRound.status == RoundStatus.DRAFT)
    db.session.execute(round_supervisor.delete().where(round_supervisor.c.user_id == user.id,
                                                       round_supervisor.c.round_id.in_(drafts)))
    audit.record("supervisor_removed", actor, now, programme, email=user.email)
    db.session.flush()
    return running_groups([user.id]).get((user.id, programme.id), 0)


def programmes_of(user: User) -> list[tuple[Programme, int]]:
    """The programmes a supervisor serves, with the capacity each gives them (their start page, data export)."""
    return [(p, n) for p, n in db.session.execute(
        select(Programme, ProgrammeSupervisor.max_groups)
        .join(ProgrammeSupervisor, ProgrammeSupervisor.programme_id == Programme.id)
        .where(ProgrammeSupervisor.user_id == user.id).order_by(Programme.name)).all()]
