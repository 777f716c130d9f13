"""Matching rounds: settings, the optimiser's runs in the background, the coordinator's adjustments, publishing,
and the companies' answers. Services flush; the caller commits (and sends the queued mail afterwards)."""
from __future__ import annotations

import copy
import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from flask import current_app, url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

import matching
from app import maturity
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    ApplicationStatus,
    Company,
    GroupMember,
    GroupStatus,
    MatchingRound,
    MentoringGroup,
    OutboundEmail,
    Programme,
    Response,
    Role,
    RoundEvent,
    RoundRule,
    RoundRun,
    RoundStatus,
    RunStatus,
    SupervisorProfile,
    User,
    round_participant,
)
from app.services import mail, supervisors
from app.services.errors import ServiceError
from matching import rules as match_rules
from matching import scoring
from matching.jsonio import instance_from_json, instance_to_json, result_to_json
from matching.model import Instance, Location, Mentee, Mentor, Settings, Supervisor, Weights
from matching.solver import validate

WEIGHT_KEYS = ("complementarity", "size", "sector", "distance", "weekdays", "supervisor_distance",
               "supervisor_balance")
WEIGHT_MAX = 10
# A cycle's length and a group's size, for rounds and the programme's defaults alike.
CYCLE_MONTHS_MIN, CYCLE_MONTHS_MAX = 9, 24
GROUP_SIZE_MAX = 10
STALE_AFTER = timedelta(minutes=3)  # beyond its time limit, a run that has not finished is taken as lost
ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class RoundSettings:
    """What the coordinator sets for a round (the form's values)."""

    name: str
    starts_on: date
    cycle_months: int
    group_min: int
    group_max: int
    min_maturity_gap: int
    competitor_km: int | None
    weights: dict[str, int]
    is_fair: bool
    time_limit_s: int
    respond_by: date | None
    participant_ids: list[int]
    supervisor_ids: list[int]


def default_weights() -> dict[str, int]:
    defaults = Weights()
    return {key: getattr(defaults, key) for key in WEIGHT_KEYS}


def _event(round_: MatchingRound, kind: str, actor: User | None, now: datetime, **details) -> None:
    db.session.add(RoundEvent(round_id=round_.id, actor_id=actor.id if actor else None, kind=kind, details=details,
                              created_at=now))


def companies_in_active_groups(programme: Programme) -> set[int]:
    """Applications already in an active group of the programme (and not declined)."""
    return set(db.session.scalars(
        select(GroupMember.application_id).join(MentoringGroup)
        .where(MentoringGroup.programme_id == programme.id, MentoringGroup.status == GroupStatus.ACTIVE,
               GroupMember.response != Response.DECLINED)))


def eligible_applications(programme: Programme) -> list[Application]:
    """Approved applications of the programme, mentors first."""
    return list(db.session.scalars(
        select(Application).where(Application.programme_id == programme.id,
                                  Application.status == ApplicationStatus.APPROVED)
        .order_by(Application.role, Application.id)))


def default_participants(programme: Programme) -> list[int]:
    """All approved companies that are not in an active group."""
    busy = companies_in_active_groups(programme)
    return [a.id for a in eligible_applications(programme) if a.id not in busy]


def supervisors_available(programme: Programme) -> list[User]:
    """The supervisors a round of this programme may choose: the programme's own, with active accounts."""
    return supervisors.available(programme)


def _check_settings(programme: Programme, values: RoundSettings, now: datetime) -> None:
    """Refuse settings that make no sense, with a message the coordinator can act on."""
    if values.starts_on < now.date():
        raise ServiceError(_l("The cycle cannot start in the past."), "starts_on")
    if not 9 <= values.cycle_months <= 24:
        raise ServiceError(_l("A cycle lasts between 9 and 24 months."), "cycle_months")
    if values.group_min < 1 or values.group_max < values.group_min:
        raise ServiceError(_l("A group needs at least one mentee company, and the largest group size cannot be "
                              "smaller than the smallest."), "group_min")
    for key, weight in values.weights.items():
        if key not in WEIGHT_KEYS or not 0 <= weight <= WEIGHT_MAX:
            raise ServiceError(_l("Each weight lies between 0 and %(max)d.", max=WEIGHT_MAX), f"weight_{key}")
    if values.respond_by is not None and values.respond_by < now.date():
        raise ServiceError(_l("The answer deadline cannot lie in the past."), "respond_by")
    eligible = {a.id: a for a in eligible_applications(programme)}
    chosen = [eligible[i] for i in values.participant_ids if i in eligible]
    if len(chosen) != len(set(values.participant_ids)):
        raise ServiceError(_l("Only approved companies of this programme can take part."), "participant_ids")
    if not any(a.role == "mentor" for a in chosen):
        raise ServiceError(_l("Choose at least one mentor company."), "participant_ids")
    if not any(a.role == "mentee" for a in chosen):
        raise ServiceError(_l("Choose at least one mentee company."), "participant_ids")
    known = {u.id for u in supervisors_available(programme)}
    if not values.supervisor_ids or not set(values.supervisor_ids) <= known:
        raise ServiceError(_l("Choose at least one supervisor."), "supervisor_ids")


def _apply_settings(round_: MatchingRound, values: RoundSettings) -> None:
    for field in ("name", "starts_on", "cycle_months", "group_min", "group_max", "min_maturity_gap",
                  "competitor_km", "is_fair", "time_limit_s", "respond_by"):
        setattr(round_, field, getattr(values, field))
    round_.weights = {**default_weights(), **values.weights}
    round_.participants = list(db.session.scalars(select(Application).where(
        Application.id.in_(values.participant_ids)).order_by(Application.id)))
    round_.supervisors = list(db.session.scalars(select(User).where(User.id.in_(values.supervisor_ids))))


def create_round(programme: Programme, values: RoundSettings, *, actor: User, now: datetime,
                 follow_up_of: MatchingRound | None = None) -> MatchingRound:
    """A new draft round. Flushes."""
    _check_settings(programme, values, now)
    round_ = MatchingRound(programme_id=programme.id, created_by_id=actor.id, created_at=now,
                           follow_up_of_id=follow_up_of.id if follow_up_of else None, starts_on=values.starts_on)
    _apply_settings(round_, values)
    db.session.add(round_)
    db.session.flush()
    _event(round_, "created", actor, now, companies=len(values.participant_ids))
    return round_


def update_round(round_: MatchingRound, values: RoundSettings, *, version: int, actor: User,
                 now: datetime) -> None:
    """Change a draft round's settings; refused when someone saved it meanwhile (optimistic locking)."""
    _require_editable(round_)
    if version != round_.version:
        raise ServiceError(_l("Someone else changed this round meanwhile. Reload the page to see their changes, "
                              "then make yours again."))
    _check_settings(round_.programme, values, now)
    _apply_settings(round_, values)
    round_.updated_at = now
    db.session.flush()
    _event(round_, "updated", actor, now)


def _require_editable(round_: MatchingRound) -> None:
    if not round_.is_draft:
        raise ServiceError(_l("This round has been published and can no longer be changed."))
    if round_.active_run_id is not None:
        raise ServiceError(_l("The optimiser is working on this round. Wait until it has finished."))


# -- companies accepted after the round was set up ---------------------------------------------------------------

@dataclass(frozen=True)
class MissingCompany:
    """An approved company of the programme, in no active group, that the draft round leaves out."""

    application_id: int
    name: str
    role: str
    is_ready: bool  # has a place and a complete self-assessment, so the optimiser can take it


def missing_companies(round_: MatchingRound) -> list[MissingCompany]:
    """Approved companies of the programme that are in no active group and not in this draft round: accepted after
    the round was set up, or left out by hand. Shown at the top of the round, so that its count is never stale
    without the coordinator knowing. Mentors first."""
    if not round_.is_draft:
        return []
    busy = select(GroupMember.application_id).join(MentoringGroup).where(
        MentoringGroup.programme_id == round_.programme_id, MentoringGroup.status == GroupStatus.ACTIVE,
        GroupMember.response != Response.DECLINED)
    taking_part = select(round_participant.c.application_id).where(round_participant.c.round_id == round_.id)
    applications = db.session.scalars(
        select(Application).where(Application.programme_id == round_.programme_id,
                                  Application.status == ApplicationStatus.APPROVED,
                                  Application.id.not_in(busy), Application.id.not_in(taking_part))
        .order_by(Application.role, Application.id)
        .options(joinedload(Application.company).selectinload(Company.assessments))).unique().all()
    return [MissingCompany(a.id, a.company.name, a.role,
                           a.company.latitude is not None and any(x.is_complete for x in a.company.assessments))
            for a in applications]


def add_missing(round_: MatchingRound, *, actor: User, now: datetime) -> list[MissingCompany]:
    """Add every approved company that the draft round leaves out (see missing_companies). The current proposal
    stays as it is until the optimiser runs again. Flushes."""
    _require_editable(round_)
    missing = missing_companies(round_)
    if not missing:
        raise ServiceError(_l("Every approved company that is in no group takes part in this round already."))
    added = db.session.scalars(select(Application).where(
        Application.id.in_([m.application_id for m in missing])).order_by(Application.id)).all()
    round_.participants = [*round_.participants, *added]
    round_.updated_at = now  # a change of the round's row, so that its version moves on (optimistic locking)
    db.session.flush()
    _event(round_, "added", actor, now, companies=len(added))
    return missing


@dataclass(frozen=True)
class Idle:
    """Who the proposal leaves without a group: mentor companies and supervisors of the round."""

    mentors: list[RoundCompany]
    supervisors: list[User]


def idle_in_proposal(round_: MatchingRound, participants: list[RoundCompany]) -> Idle:
    """The round's mentor companies that lead no proposed group, and its supervisors that lead none, so that the
    coordinator sees who stays without a group besides the mentees the optimiser could not place."""
    proposal = round_.proposal or {}
    groups = proposal.get("groups", [])
    mentors = {g["mentor"] for g in groups}
    leading = {g["supervisor"] for g in groups}
    return Idle([c for c in participants if c.role == "mentor" and c.application_id not in mentors],
                [u for u in round_.supervisors if u.id not in leading])


# -- from rows to the optimiser's instance ---------------------------------------------------------------------

def _mode(modes: Iterable[str]) -> str:
    modes = set(modes or ())
    if "hybrid" in modes or {"in_person", "online"} <= modes or not modes:
        return "hybrid"
    return "online" if "online" in modes else "in_person"


def company_key(application_id: int) -> str:
    return f"a{application_id}"


def supervisor_key(user_id: int) -> str:
    return f"s{user_id}"


def _key_id(key: str) -> int:
    return int(key[1:])


def build_instance(round_: MatchingRound) -> Instance:
    """The round as the optimiser's input; companies are keyed "a<application id>", supervisors "s<user id>"."""
    problems = []
    participants = round_.participants
    by_company = {a.company_id: a for a in participants}
    mentors, mentees = [], []
    for application in participants:
        company = application.company
        assessment = next((a for a in reversed(company.assessments) if a.is_complete), None)
        if company.latitude is None or assessment is None:
            problems.append(company.name)
            continue
        excludes = {company_key(by_company[x.company_id].id) for x in application.exclusions
                    if x.company_id in by_company}
        common = dict(
            id=company_key(application.id), name=company.name, overall=assessment.overall,
            levels={k: v for k, v in assessment.scores.items() if v is not None},
            location=Location(latitude=company.latitude, longitude=company.longitude,
                              name=company.municipality or ""),
            max_distance_km=float(application.max_travel_km),
            cycle_months=(application.cycle_min_months, application.cycle_max_months),
            mode=_mode(application.meeting_modes), size_band=company.headcount_band or "",
            sector=company.sector or "", weekdays=frozenset(application.weekdays or ()),
            times_of_day=frozenset(application.times_of_day or ()), excludes=frozenset(excludes))
        topics: dict[str, dict[str, int]] = {"need": {}, "offer": {}}
        for topic in application.topics:
            current = topics[topic.kind].get(topic.dimension)
            topics[topic.kind][topic.dimension] = min(topic.priority, current or topic.priority)
        if application.role == "mentor":
            mentors.append(Mentor(**common, capacity=application.mentee_capacity or 1, offers=topics["offer"]))
        else:
            mentees.append(Mentee(**common, needs=topics["need"]))
    if problems:
        raise ServiceError(_l("These companies lack a place or a maturity self-assessment: %(names)s.",
                              names=", ".join(sorted(problems))))
    leaders = []
    # Each supervisor leads as many more groups as this programme and their other programmes leave them.
    free = supervisors.remaining_capacity(round_.programme, round_.supervisors, round_=round_)
    for user in round_.supervisors:
        profile = db.session.get(SupervisorProfile, user.id)
        if profile is None or not profile.is_complete:
            problems.append(user.full_name)
            continue
        leaders.append(Supervisor(id=supervisor_key(user.id), name=user.full_name,
                                  location=Location(latitude=profile.latitude, longitude=profile.longitude,
                                                    name=profile.municipality or ""),
                                  capacity=free[user.id], max_distance_km=float(profile.max_travel_km)))
    if problems:
        raise ServiceError(_l("These supervisors have not yet entered where they are based: %(names)s.",
                              names=", ".join(sorted(problems))))
    weights = {**default_weights(), **(round_.weights or {})}
    settings = Settings(
        min_maturity_gap=round_.min_maturity_gap, group_min=round_.group_min, group_max=round_.group_max,
        competitor_km=float(round_.competitor_km) if round_.competitor_km else None,
        forbidden_pairs={(company_key(r.mentor_application_id), company_key(r.mentee_application_id))
                         for r in round_.rules if r.kind == "forbid"},
        pinned_pairs={(company_key(r.mentor_application_id), company_key(r.mentee_application_id))
                      for r in round_.rules if r.kind == "pin"},
        pinned_supervisors={company_key(r.mentor_application_id): supervisor_key(r.supervisor_id)
                            for r in round_.rules if r.kind == "supervisor"},
        fairness=round_.is_fair, weights=Weights(**weights), time_limit_s=float(round_.time_limit_s), seed=0)
    labels = {d.key: str(d.title) for d in maturity.DIMENSIONS}
    return Instance(mentors=tuple(mentors), mentees=tuple(mentees), supervisors=tuple(leaders),
                    settings=settings, dimension_labels=labels)


# -- runs ------------------------------------------------------------------------------------------------------

def request_run(round_: MatchingRound, *, actor: User, now: datetime) -> RoundRun:
    """Queue a run of the optimiser; refused while another run of this round is queued or running. Flushes."""
    if not round_.is_draft:
        raise ServiceError(_l("This round has been published and can no longer be changed."))
    instance = build_instance(round_)
    if not instance.mentors or not instance.mentees:
        raise ServiceError(_l("The round needs at least one mentor and one mentee company."))
    try:
        validate(instance)
    except matching.InvalidInstance as exc:
        raise ServiceError(_l("The round's pins contradict its rules: %(problems)s",
                              problems="; ".join(exc.problems))) from exc
    number = (max((r.number for r in round_.runs), default=0)) + 1
    run = RoundRun(round_id=round_.id, number=number, requested_by_id=actor.id, requested_at=now,
                   time_limit_s=round_.time_limit_s, instance=instance_to_json(instance))
    db.session.add(run)
    db.session.flush()
    # Claim the round for this run: a conditional UPDATE, so two clicks (or two coordinators) never start two runs.
    claimed = db.session.execute(
        update(MatchingRound).where(MatchingRound.id == round_.id, MatchingRound.active_run_id.is_(None))
        .values(active_run_id=run.id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ServiceError(_l("The optimiser is already working on this round."))
    db.session.refresh(round_)
    round_.previous_proposal = round_.proposal  # what the next proposal is compared with
    _event(round_, "run", actor, now, run=number)
    return run


_children: list[subprocess.Popen] = []  # solves started by this web process, reaped when they have ended


def launch(run: RoundRun) -> None:
    """Start the solve in its own process (never inside the web request), after the commit."""
    _children[:] = [child for child in _children if child.poll() is None]
    env = {**os.environ, "DATABASE_URL": current_app.config["SQLALCHEMY_DATABASE_URI"], "FLASK_APP": "wsgi.py"}
    log = Path(current_app.instance_path) / "rounds.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        _children.append(subprocess.Popen(
            [sys.executable, "-m", "flask", "rounds", "solve", str(run.id)], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))


def execute_run(run_id: int, *, now_fn) -> RoundRun | None:
    """Solve a queued run and store its result and the round's new proposal. Commits (it runs on its own)."""
    claimed = db.session.execute(
        update(RoundRun).where(RoundRun.id == run_id, RoundRun.status == RunStatus.QUEUED)
        .values(status=RunStatus.RUNNING, started_at=now_fn()).execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    run = db.session.get(RoundRun, run_id)
    try:
        result = matching.solve(instance_from_json(run.instance))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run for the coordinator to see
        db.session.rollback()
        run = db.session.get(RoundRun, run_id)
        run.status, run.error, run.finished_at = RunStatus.FAILED, f"{type(exc).__name__}: {exc}", now_fn()
        _finish(run, now_fn(), None)
        db.session.commit()
        return run
    run.result = result_to_json(result)
    run.status, run.finished_at = RunStatus.DONE, now_fn()
    _finish(run, now_fn(), proposal_from_result(run.result, run.number))
    db.session.commit()
    return run


def _finish(run: RoundRun, now: datetime, proposal: dict | None) -> None:
    round_ = run.round
    if proposal is not None:
        round_.proposal = proposal
    round_.active_run_id = None
    db.session.flush()
    _event(round_, "run_done" if proposal is not None else "run_failed", None, now, run=run.number)


def check_stale(round_: MatchingRound, now: datetime) -> None:
    """A run whose process died (machine restarted, killed) is marked failed so that the round can run again."""
    run = round_.last_run
    if run is None or not run.is_active or round_.active_run_id != run.id:
        return
    if now - run.requested_at > timedelta(seconds=run.time_limit_s) + STALE_AFTER:
        run.status, run.finished_at = RunStatus.FAILED, now
        run.error = "the background solve stopped without a result"
        _finish(run, now, None)


def proposal_from_result(result: dict, run_number: int) -> dict:
    """The round's proposal (application and user ids) from a run's result JSON."""
    placements = {p["mentee_id"]: p for p in result["placements"]}
    groups = []
    for group in result["groups"]:
        groups.append({
            "mentor": _key_id(group["mentor_id"]),
            "supervisor": _key_id(group["supervisor_id"]) if group["supervisor_id"] else None,
            "cycle_months": group["cycle_months"], "mode": group["mode"],
            "mentees": [{"application": _key_id(m), "score": placements[m]["score"],
                         "contributions": placements[m]["contributions"], "reasons": placements[m]["reasons"]}
                        for m in group["mentee_ids"]],
        })
    unplaced = [{"application": _key_id(u["mentee_id"]), "code": u["code"], "params": u["params"]}
                for u in result["unplaced"]]
    return {"run": run_number, "edited": False, "groups": groups, "unplaced": unplaced, "stats": result["stats"]}


@dataclass
class Totals:
    groups: int
    placed: int
    unplaced: int
    mean: float | None
    lowest: int | None


def totals(proposal: dict | None) -> Totals | None:
    if not proposal:
        return None
    scores = [m["score"] for g in proposal["groups"] for m in g["mentees"]]
    return Totals(groups=len(proposal["groups"]), placed=len(scores), unplaced=len(proposal["unplaced"]),
                  mean=round(sum(scores) / len(scores) / 10, 1) if scores else None,
                  lowest=round(min(scores) / 10) if scores else None)


def mentor_of(proposal: dict | None) -> dict[int, int]:
    """mentee application id → mentor application id in a proposal."""
    if not proposal:
        return {}
    return {m["application"]: g["mentor"] for g in proposal["groups"] for m in g["mentees"]}


def changes(previous: dict | None, current: dict | None) -> list[tuple[int, int | None, int | None]]:
    """Mentees whose mentor differs between two proposals: (mentee, mentor before, mentor now)."""
    if not previous or not current:
        return []
    before, after = mentor_of(previous), mentor_of(current)
    return sorted((e, before.get(e), after.get(e)) for e in set(before) | set(after) if before.get(e) != after.get(e))


@dataclass(frozen=True)
class RoundCompany:
    application_id: int
    name: str
    role: str


def _company_rows(where) -> list[RoundCompany]:
    rows = db.session.execute(select(Application.id, Company.name, Application.role)
                              .join(Company, Company.id == Application.company_id).where(where)
                              .order_by(Application.id))
    return [RoundCompany(*row) for row in rows]


def participant_rows(round_: MatchingRound) -> list[RoundCompany]:
    """The round's participants as plain rows (name and role), in one query: a round has up to a thousand, too many
    to load as objects for their names."""
    return _company_rows(Application.id.in_(select(round_participant.c.application_id)
                                            .where(round_participant.c.round_id == round_.id)))


def count_participants(round_: MatchingRound) -> int:
    return db.session.scalar(select(func.count()).select_from(round_participant)
                             .where(round_participant.c.round_id == round_.id))


def company_names(application_ids: Iterable[int]) -> dict[int, str]:
    """application id → company name, for the few companies a page mentions."""
    ids = sorted({i for i in application_ids if isinstance(i, int)})
    return {c.application_id: c.name for c in _company_rows(Application.id.in_(ids))} if ids else {}


@dataclass
class GroupLine:
    """One published group at a glance: its mentor company, supervisor, and its companies' answers (counts, and who
    declined with their reason)."""

    id: int
    status: str
    supervisor: str | None
    mentor: str | None = None
    accepted: int = 0
    pending: int = 0
    declined: list[tuple[str, str | None]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class GroupPage:
    lines: list[GroupLine]
    total: int
    page: int
    pages: int
    answers: dict[str, int]  # the answers of all the round's companies: response → count


def group_lines(round_: MatchingRound, *, page: int, per_page: int) -> GroupPage:
    """One page of the round's groups in order, each with its answers, from plain rows in four queries (a round has
    hundreds of groups and a thousand members: as objects they would cost more than the whole page may). A page
    number out of range shows the nearest page."""
    in_round = MentoringGroup.round_id == round_.id
    total = db.session.scalar(select(func.count()).select_from(MentoringGroup).where(in_round))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    lines = {row.id: GroupLine(row.id, row.status, row.full_name) for row in db.session.execute(
        select(MentoringGroup.id, MentoringGroup.status, User.full_name)
        .outerjoin(User, User.id == MentoringGroup.supervisor_id)
        .where(in_round).order_by(MentoringGroup.id).limit(per_page).offset((page - 1) * per_page))}
    rows = db.session.execute(
        select(GroupMember.group_id, GroupMember.role, GroupMember.response, GroupMember.decline_reason, Company.name)
        .join(Application, Application.id == GroupMember.application_id)
        .join(Company, Company.id == Application.company_id)
        .where(GroupMember.group_id.in_(list(lines) or [0])).order_by(GroupMember.id))
    for row in rows:
        line = lines[row.group_id]
        if row.role == "mentor" and line.mentor is None:
            line.mentor = row.name
        if row.response == Response.ACCEPTED:
            line.accepted += 1
        elif row.response == Response.DECLINED:
            line.declined.append((row.name, row.decline_reason))
        else:
            line.pending += 1
    answers = dict.fromkeys((Response.ACCEPTED, Response.PENDING, Response.DECLINED), 0)
    for response, count in db.session.execute(
            select(GroupMember.response, func.count()).join(MentoringGroup, MentoringGroup.id == GroupMember.group_id)
            .where(in_round).group_by(GroupMember.response)):
        answers[response if response in answers else Response.PENDING] += count
    return GroupPage(list(lines.values()), total, page, pages, {str(k): v for k, v in answers.items()})


def mentor_names(group_ids: Iterable[int]) -> dict[int, str]:
    """group id → its mentor company's name, for the few groups a page mentions outside its list."""
    ids = sorted({i for i in group_ids if isinstance(i, int)})
    if not ids:
        return {}
    return dict(db.session.execute(
        select(GroupMember.group_id, Company.name).join(Application, Application.id == GroupMember.application_id)
        .join(Company, Company.id == Application.company_id)
        .where(GroupMember.group_id.in_(ids), GroupMember.role == "mentor")).all())


# -- the coordinator's adjustments -----------------------------------------------------------------------------

def _participant(round_: MatchingRound, application_id: int, role: str) -> Application:
    application = next((a for a in round_.participants if a.id == application_id and a.role == role), None)
    if application is None:
        raise ServiceError(_l("This company does not take part in the round."))
    return application


def _pair_objects(round_: MatchingRound, mentor_id: int, mentee_id: int):
    instance = build_instance(round_)
    mentor = next(m for m in instance.mentors if m.id == company_key(mentor_id))
    mentee = next(e for e in instance.mentees if e.id == company_key(mentee_id))
    return instance, mentor, mentee


RULE_MESSAGES = {
    "maturity_gap": _l("The mentor company is not far enough ahead in maturity."),
    "meeting_mode": _l("The two companies want to meet in ways that do not fit (in person or online)."),
    "cycle_length": _l("The two companies' preferred cycle lengths do not overlap."),
    "distance": _l("The two companies are farther apart than one of them is willing to travel."),
    "excluded": _l("One of the companies has excluded the other, or the pair is forbidden."),
    "no_supervisor": _l("No supervisor of the round can lead this mentor company's group."),
}


def add_rule(round_: MatchingRound, kind: str, mentor_id: int, mentee_id: int, *, actor: User,
             now: datetime) -> RoundRule:
    """Pin a mentee to a mentor (kept by every later run) or forbid the pair. A pin that breaks a hard rule is
    refused with the rule's reason. Flushes."""
    _require_editable(round_)
    if kind not in ("pin", "forbid"):
        raise ServiceError(_l("Unknown kind of rule."))
    _participant(round_, mentor_id, "mentor")
    _participant(round_, mentee_id, "mentee")
    if kind == "pin":
        instance, mentor, mentee = _pair_objects(round_, mentor_id, mentee_id)
        blocked = match_rules.blocking_rule(mentor, mentee, instance)
        if blocked:
            raise ServiceError(RULE_MESSAGES[blocked])
    for rule in list(round_.rules):
        if rule.mentee_application_id == mentee_id and (rule.kind == "pin" or rule.mentor_application_id == mentor_id):
            round_.rules.remove(rule)  # a new pin replaces the mentee's old one; pin and ban of one pair exclude
    db.session.flush()
    rule = RoundRule(round_id=round_.id, kind=kind, mentor_application_id=mentor_id,
                     mentee_application_id=mentee_id, created_by_id=actor.id, created_at=now)
    round_.rules.append(rule)
    db.session.flush()
    _event(round_, kind, actor, now, mentor=mentor_id, mentee=mentee_id)
    return rule


def remove_rule(round_: MatchingRound, rule: RoundRule, *, actor: User, now: datetime) -> None:
    _require_editable(round_)
    round_.rules.remove(rule)
    db.session.flush()
    _event(round_, "unpin", actor, now, rule=rule.kind, mentor=rule.mentor_application_id,
           mentee=rule.mentee_application_id, supervisor=rule.supervisor_id)


def move_mentee(round_: MatchingRound, mentee_id: int, mentor_id: int, *, actor: User, now: datetime) -> None:
    """Move a mentee into another proposed group. Every hard rule is checked first; the move is kept as a pin so
    that the next run keeps it too. Flushes."""
    _require_editable(round_)
    proposal = copy.deepcopy(round_.proposal or {})
    groups = {g["mentor"]: g for g in proposal.get("groups", [])}
    target = groups.get(mentor_id)
    if target is None:
        raise ServiceError(_l("This mentor company has no group in the proposal. Pin the pair and run the "
                              "optimiser again to form a new group."))
    instance, mentor, mentee = _pair_objects(round_, mentor_id, mentee_id)
    blocked = match_rules.blocking_rule(mentor, mentee, instance)
    if blocked:
        raise ServiceError(RULE_MESSAGES[blocked])
    settings = instance.settings
    members = {e.id: e for e in instance.mentees}
    if any(m["application"] == mentee_id for m in target["mentees"]):
        raise ServiceError(_l("The company is already in this group."))
    if len(target["mentees"]) >= min(mentor.capacity, settings.group_max):
        raise ServiceError(_l("This group is full."))
    others = [members[company_key(m["application"])] for m in target["mentees"]]
    if any(match_rules.excluded(mentee, other, settings) for other in others):
        raise ServiceError(_l("A company of this group has excluded this company, or they are competitors."))
    ranges = [mentor.cycle_months, mentee.cycle_months] + [o.cycle_months for o in others]
    low, high = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if low > high:
        raise ServiceError(_l("The group's companies have no cycle length in common with this company."))
    source = next((g for g in proposal["groups"] if any(m["application"] == mentee_id for m in g["mentees"])), None)
    if source is not None:
        if len(source["mentees"]) - 1 < settings.group_min:
            raise ServiceError(_l("Its current group would become smaller than the round's minimum size."))
        source["mentees"] = [m for m in source["mentees"] if m["application"] != mentee_id]
    points, contributions = scoring.score(mentor, mentee, settings.weights)
    found = scoring.reasons(mentor, mentee, settings.weights)
    target["mentees"].append({"application": mentee_id, "score": points, "contributions": contributions,
                              "reasons": [{"code": r.code, "params": dict(r.params)} for r in found]})
    target["cycle_months"] = [low, high]
    proposal["unplaced"] = [u for u in proposal.get("unplaced", []) if u["application"] != mentee_id]
    proposal["edited"] = True
    round_.previous_proposal, round_.proposal = round_.proposal, proposal
    add_rule(round_, "pin", mentor_id, mentee_id, actor=actor, now=now)
    _event(round_, "move", actor, now, mentor=mentor_id, mentee=mentee_id)


def swap_supervisor(round_: MatchingRound, mentor_id: int, supervisor_id: int, *, actor: User,
                    now: datetime) -> None:
    """Give a proposed group another supervisor of the round (within reach and with room); kept as a pin."""
    _require_editable(round_)
    proposal = copy.deepcopy(round_.proposal or {})
    group = next((g for g in proposal.get("groups", []) if g["mentor"] == mentor_id), None)
    if group is None:
        raise ServiceError(_l("This mentor company has no group in the proposal."))
    if supervisor_id not in {u.id for u in round_.supervisors}:
        raise ServiceError(_l("This supervisor does not take part in the round."))
    instance = build_instance(round_)
    mentor = next(m for m in instance.mentors if m.id == company_key(mentor_id))
    supervisor = next(s for s in instance.supervisors if s.id == supervisor_key(supervisor_id))
    if not match_rules.supervisor_reaches(supervisor, mentor):
        raise ServiceError(_l("This supervisor does not travel that far."))
    load = sum(1 for g in proposal["groups"] if g["supervisor"] == supervisor_id and g["mentor"] != mentor_id)
    if load >= supervisor.capacity:
        raise ServiceError(_l("This supervisor already leads as many groups as they can."))
    group["supervisor"] = supervisor_id
    proposal["edited"] = True
    round_.previous_proposal, round_.proposal = round_.proposal, proposal
    for rule in [r for r in round_.rules if r.kind == "supervisor" and r.mentor_application_id == mentor_id]:
        round_.rules.remove(rule)
    round_.rules.append(RoundRule(round_id=round_.id, kind="supervisor", mentor_application_id=mentor_id,
                                  supervisor_id=supervisor_id, created_by_id=actor.id, created_at=now))
    db.session.flush()
    _event(round_, "supervisor", actor, now, mentor=mentor_id, supervisor=supervisor_id)


# -- publishing and the companies' answers ---------------------------------------------------------------------

def cycle_length(round_: MatchingRound, group: dict) -> int:
    """The round's cycle length where the group's members accept it, else the nearest length they all accept."""
    low, high = group["cycle_months"]
    return min(max(round_.cycle_months, low), high)


def _hr_leads(application: Application) -> list[User]:
    return [u for u in application.company.hr_leads if u.is_active and u.role == Role.HR_LEAD]


def publish_round(round_: MatchingRound, *, actor: User, now: datetime,
                  notify: bool = True) -> tuple[list[MentoringGroup], list[OutboundEmail]]:
    """Turn the proposal into mentoring groups; HR leads and supervisors are told by mail (queued; the demo
    loader passes notify=False). Flushes."""
    _require_editable(round_)
    if not round_.proposal or not round_.proposal["groups"]:
        raise ServiceError(_l("There is no proposal with groups to publish yet."))
    busy = companies_in_active_groups(round_.programme)
    applications = {a.id: a for a in round_.participants}
    created, mails = [], []
    for proposed in round_.proposal["groups"]:
        ids = [proposed["mentor"]] + [m["application"] for m in proposed["mentees"]]
        if busy & set(ids):
            raise ServiceError(_l("A company of this proposal has joined another group meanwhile. Run the "
                                  "optimiser again."))
        months = cycle_length(round_, proposed)
        group = MentoringGroup(programme_id=round_.programme_id, round_id=round_.id,
                               supervisor_id=proposed["supervisor"], starts_on=round_.starts_on,
                               ends_on=round_.starts_on + relativedelta(months=months), mode=proposed["mode"],
                               created_at=now)
        group.members.append(GroupMember(application_id=proposed["mentor"], role="mentor"))
        for mentee in proposed["mentees"]:
            group.members.append(GroupMember(application_id=mentee["application"], role="mentee",
                                             score=mentee["score"], reasons=mentee["reasons"]))
        db.session.add(group)
        created.append(group)
    round_.status, round_.published_at = RoundStatus.PUBLISHED, now
    db.session.flush()
    for group in created if notify else ():
        link = url_for("groups.detail", group_id=group.id, _external=True)
        for member in group.members:
            for lead in _hr_leads(applications[member.application_id]):
                mails.append(mail.queue_mail(lead.email, "group_published", locale=lead.locale, now=now,
                                             user=lead, group=group, round=round_, member=member, link=link))
        if group.supervisor is not None:
            mails.append(mail.queue_mail(group.supervisor.email, "group_published_supervisor",
                                         locale=group.supervisor.locale, now=now, user=group.supervisor,
                                         group=group, round=round_, link=link))
    _event(round_, "publish", actor, now, groups=len(created))
    return created, mails


def respond(member: GroupMember, *, accept: bool, reason: str, actor: User, now: datetime) -> list[OutboundEmail]:
    """An HR lead accepts or declines their company's place in a group, by the round's deadline. A decline needs a
    reason and goes back to the coordinators; when the mentor company declines, the group is dissolved."""
    group = member.group
    round_ = group.round
    if not group.is_active:
        raise ServiceError(_l("This group has been dissolved."))
    if member.response != Response.PENDING:
        raise ServiceError(_l("Your company has already answered."))
    if round_.respond_by is not None and now.date() > round_.respond_by:
        raise ServiceError(_l("The deadline for answers has passed. Please contact the programme coordination."))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ServiceError(_l("Please tell the coordination why your company declines."), "reason")
    member.response = Response.ACCEPTED if accept else Response.DECLINED
    member.decline_reason = None if accept else reason[:2000]
    member.responded_at, member.responded_by_id = now, actor.id
    if not accept and member.role == "mentor":
        group.status = GroupStatus.DISSOLVED
    db.session.flush()
    _event(round_, "accept" if accept else "decline", actor, now, group=group.id,
           company=member.application.company.name, reason=member.decline_reason)
    mails = []
    if not accept:
        for coordinator in round_.programme.coordinators:
            mails.append(mail.queue_mail(coordinator.email, "group_declined", locale=coordinator.locale, now=now,
                                         user=coordinator, member=member, group=group, round=round_,
                                         link=url_for("rounds.detail", round_id=round_.id, _external=True)))
    return mails


def memberships(company) -> list[GroupMember]:
    """The company's places in published mentoring groups, newest first (with each group's programme and members'
    companies loaded, for the pages that list them)."""
    return list(db.session.scalars(
        select(GroupMember).join(MentoringGroup).join(Application, GroupMember.application_id == Application.id)
        .where(Application.company_id == company.id).order_by(MentoringGroup.starts_on.desc(), GroupMember.id)
        .options(selectinload(GroupMember.group).options(
            joinedload(MentoringGroup.programme),
            selectinload(MentoringGroup.members).joinedload(GroupMember.application).joinedload(Application.company)))))


def freed_participants(round_: MatchingRound) -> list[int]:
    """Companies a follow-up round is for: approved and not in an active group (declined or left over)."""
    return default_participants(round_.programme)


def follow_up(round_: MatchingRound, *, actor: User, now: datetime) -> MatchingRound:
    """A new draft round with the same settings over the freed companies; accepted groups stay as they are."""
    if round_.is_draft:
        raise ServiceError(_l("Publish the round first."))
    values = RoundSettings(
        name=f"{round_.name} – 2", starts_on=max(round_.starts_on, now.date()), cycle_months=round_.cycle_months,
        group_min=round_.group_min, group_max=round_.group_max, min_maturity_gap=round_.min_maturity_gap,
        competitor_km=round_.competitor_km, weights=dict(round_.weights or {}), is_fair=round_.is_fair,
        time_limit_s=round_.time_limit_s, respond_by=None,
        participant_ids=freed_participants(round_),
        # Those who still serve the programme (a supervisor removed since is not offered again).
        supervisor_ids=[u.id for u in round_.supervisors if u.id in supervisors.supervisor_ids(round_.programme)])
    new = create_round(round_.programme, values, actor=actor, now=now, follow_up_of=round_)
    _event(round_, "follow_up", actor, now, round=new.id)
    return new


def save_supervisor_profile(user: User, municipality: str, max_groups: int, max_travel_km: int, *,
                            now: datetime) -> SupervisorProfile:
    """Where a supervisor is based and how many groups they lead at most. Flushes."""
    from app.services.companies import resolve_municipality

    if not 1 <= max_groups <= 20:
        raise ServiceError(_l("Enter between 1 and 20 groups."), "max_groups")
    if not 5 <= max_travel_km <= 500:
        raise ServiceError(_l("Enter a distance between 5 and 500 km."), "max_travel_km")
    place = resolve_municipality(municipality)
    profile = db.session.get(SupervisorProfile, user.id) or SupervisorProfile(user_id=user.id)
    profile.municipality, profile.municipality_geonameid = place.label, place.geonameid
    profile.latitude, profile.longitude = place.latitude, place.longitude
    profile.max_groups, profile.max_travel_km, profile.updated_at = max_groups, max_travel_km, now
    db.session.add(profile)
    db.session.flush()
    return profile
