"""Matching rounds, for the programme's coordinators: settings, runs, review and adjustments, publishing."""
from __future__ import annotations

import calendar as pycalendar
import json
from datetime import datetime, timedelta

import babel.dates
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import taxonomy
from app.access import get_programme_or_404, get_round_or_404, get_rule_or_404
from app.extensions import db
from app.forms import FIRST_YEAR, LAST_YEAR, ConfirmForm
from app.models import (
    Application,
    GroupMember,
    MatchingRound,
    MeetingStatus,
    MentoringGroup,
    Role,
    RoundRun,
    User,
    utcnow,
)
from app.rounds.forms import WEIGHT_LABELS, MoveForm, RoundForm, RuleForm, SupervisorSwapForm
from app.security import role_required
from app.services import audit, calendar, mail, meetings, rounds
from app.services.errors import ServiceError
from app.views_common import apply_service_error
from matching.jsonio import instance_to_json

bp = Blueprint("rounds", __name__, url_prefix="/coordinator")
GROUPS_PER_PAGE = 50


def _round_form(form: RoundForm, programme) -> RoundForm:
    applications = rounds.eligible_applications(programme)
    busy = rounds.companies_in_active_groups(programme)
    role_label = {"mentor": _("mentor"), "mentee": _("mentee")}
    form.participant_ids.choices = [
        (a.id, f"{a.company.name} ({role_label[a.role]})" + (" – " + _("already in a group") if a.id in busy else ""))
        for a in applications]
    form.supervisor_ids.choices = [(u.id, u.full_name) for u in rounds.supervisors_available(programme)]
    return form


def _round_for_page(round_id: int) -> MatchingRound:
    """The round with all that its pages show, in a fixed number of queries (no query per group or company)."""
    return db.session.scalars(select(MatchingRound).where(MatchingRound.id == round_id).options(
        selectinload(MatchingRound.participants).joinedload(Application.company),
        selectinload(MatchingRound.supervisors), selectinload(MatchingRound.rules), selectinload(MatchingRound.runs),
        selectinload(MatchingRound.events),
        selectinload(MatchingRound.groups).options(
            joinedload(MentoringGroup.supervisor), selectinload(MentoringGroup.meetings),
            selectinload(MentoringGroup.members).joinedload(GroupMember.application).joinedload(Application.company)),
    ).execution_options(populate_existing=True)).one()


def _values(form: RoundForm) -> rounds.RoundSettings:
    return rounds.RoundSettings(
        name=form.name.data.strip(), starts_on=form.starts_on.data, cycle_months=form.cycle_months.data,
        group_min=form.group_min.data, group_max=form.group_max.data, min_maturity_gap=form.min_maturity_gap.data,
        competitor_km=form.competitor_km.data, weights=form.weights(), is_fair=bool(form.is_fair.data),
        time_limit_s=form.time_limit_s.data, respond_by=form.respond_by.data,
        participant_ids=list(form.participant_ids.data or []), supervisor_ids=list(form.supervisor_ids.data or []))


@bp.get("/programmes/<int:programme_id>/rounds")
@role_required(Role.COORDINATOR, Role.ADMIN)
def index(programme_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    items = db.session.scalars(select(MatchingRound).where(MatchingRound.programme_id == programme.id)
                               .options(selectinload(MatchingRound.participants), selectinload(MatchingRound.groups))
                               .order_by(MatchingRound.created_at.desc())).all()
    return render_template("rounds/index.html", programme=programme, rounds=items)


@bp.route("/programmes/<int:programme_id>/rounds/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def new(programme_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    form = _round_form(RoundForm(), programme)
    if request.method == "GET":
        today = utcnow().date()
        form.name.data = _("Matching round %(date)s", date=today.strftime("%m/%Y"))
        form.starts_on.data = today + timedelta(days=30)
        # The programme's defaults (its settings page).
        form.cycle_months.data = programme.default_cycle_months
        form.group_min.data, form.group_max.data = programme.default_group_min, programme.default_group_max
        form.min_maturity_gap.data, form.time_limit_s.data = 10, 30
        for key, weight in rounds.default_weights().items():
            form[f"weight_{key}"].data = weight
        form.participant_ids.data = rounds.default_participants(programme)
        form.supervisor_ids.data = [u.id for u in rounds.supervisors_available(programme)]
    elif form.validate_on_submit():
        try:
            round_ = rounds.create_round(programme, _values(form), actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The round has been created. Run the optimiser when you are ready."), "success")
            return redirect(url_for("rounds.detail", round_id=round_.id))
    return render_template("rounds/form.html", programme=programme, form=form, round=None, weights=WEIGHT_LABELS)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def edit(round_id: int):
    round_ = get_round_or_404(round_id, for_user=current_user)
    form = _round_form(RoundForm(obj=round_ if request.method == "GET" else None), round_.programme)
    if request.method == "GET":
        for key, weight in {**rounds.default_weights(), **(round_.weights or {})}.items():
            form[f"weight_{key}"].data = weight
        form.participant_ids.data = [a.id for a in round_.participants]
        form.supervisor_ids.data = [u.id for u in round_.supervisors]
        form.version.data = str(round_.version)
    elif form.validate_on_submit():
        try:
            # A missing or garbled version counts as outdated: refused like a concurrent change, never a 500.
            sent = form.version.data or ""
            version = int(sent) if sent.isdecimal() and len(sent) <= 9 else 0
            rounds.update_round(round_, _values(form), version=version, actor=current_user, now=utcnow())
            db.session.commit()
        except (ServiceError, StaleDataError) as exc:
            db.session.rollback()
            if isinstance(exc, StaleDataError):
                exc = ServiceError(_("Someone else changed this round meanwhile. Reload the page to see their "
                                     "changes, then make yours again."))
            apply_service_error(form, exc)
        else:
            flash(_("The round's settings have been saved."), "success")
            return redirect(url_for("rounds.detail", round_id=round_.id))
    return render_template("rounds/form.html", programme=round_.programme, form=form, round=round_,
                           weights=WEIGHT_LABELS)


def _date_formatter(pattern: str):
    """Berlin time in one Babel pattern, parsed once: the `datetime` filter looks up locale, zone and pattern on each
    call, five times slower, which counts for the hundreds of dates of a round's page."""
    parsed, locale = babel.dates.parse_pattern(pattern), get_locale()
    return lambda moment: parsed.apply(calendar.local(moment), locale)


def _round_for_detail(round_id: int) -> MatchingRound:
    """The round with what its page shows as objects: rules, runs (without their large instance and result JSON),
    events and supervisors. Companies, groups, answers and sessions come as plain rows."""
    return db.session.scalars(select(MatchingRound).where(MatchingRound.id == round_id).options(
        selectinload(MatchingRound.supervisors), selectinload(MatchingRound.rules), selectinload(MatchingRound.events),
        selectinload(MatchingRound.runs).options(defer(RoundRun.instance), defer(RoundRun.result)),
    ).execution_options(populate_existing=True)).one()


@bp.get("/rounds/<int:round_id>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def detail(round_id: int):
    round_ = get_round_or_404(round_id, for_user=current_user)
    now = utcnow()
    rounds.check_stale(round_, now)
    db.session.commit()
    round_ = _round_for_detail(round_id)
    participants = rounds.participant_rows(round_) if round_.is_draft else []
    supervisors = {u.id: u for u in round_.supervisors}
    mentors = [(c.application_id, c.name) for c in participants if c.role == "mentor"]
    mentees = [(c.application_id, c.name) for c in participants if c.role == "mentee"]
    proposal = round_.proposal or {}
    grouped = {g["mentor"] for g in proposal.get("groups", [])}
    rule_form = RuleForm()
    rule_form.mentor.choices = mentors
    rule_form.mentee.choices = mentees
    move_form = MoveForm()
    move_form.mentee.choices = mentees
    move_form.mentor.choices = [(a, name) for a, name in mentors if a in grouped]
    swap_form = SupervisorSwapForm()
    swap_form.mentor.choices = move_form.mentor.choices
    swap_form.supervisor.choices = [(u.id, u.full_name) for u in round_.supervisors]
    run = round_.last_run
    elapsed = (now - (run.started_at or run.requested_at)).total_seconds() if run and run.is_active else None
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({e.actor_id for e in round_.events if e.actor_id}))).all()}
    last_plan = next((e for e in reversed(round_.events) if e.kind == "plan"), None)
    groups = (rounds.group_lines(round_, page=request.args.get("page", 1, type=int), per_page=GROUPS_PER_PAGE)
              if not round_.is_draft else None)
    shown = [g.id for g in groups.lines] if groups else []
    sessions = meetings.session_summaries(round_, now, shown) if groups else {}
    planned, proposed = meetings.session_totals(round_) if groups else (0, 0)
    plan_problems = last_plan.details.get("problems", []) if last_plan else []
    missing = rounds.missing_companies(round_)
    idle = rounds.idle_in_proposal(round_, participants) if round_.is_draft and round_.proposal else None
    # A published round's proposal lives on in its groups; its full cards (hundreds) only on request.
    show_proposal = round_.is_draft or request.args.get("proposal") == "all"
    pinned = {(r.mentor_application_id, r.mentee_application_id) for r in round_.rules if r.kind == "pin"}
    changes = rounds.changes(round_.previous_proposal, round_.proposal)
    # Names of the companies the page mentions: all participants of a draft; for a published round the few that
    # its rules, history and changes name (and the proposal's, when shown).
    names = {c.application_id: c.name for c in participants}
    mentioned = {i for r in round_.rules for i in (r.mentor_application_id, r.mentee_application_id)}
    mentioned |= {e.details.get(k) for e in round_.events if e.details for k in ("mentor", "mentee")}
    mentioned |= {i for change in changes for i in change}
    if show_proposal:
        mentioned |= {g["mentor"] for g in proposal.get("groups", [])} | set(rounds.mentor_of(proposal))
        mentioned |= {u["application"] for u in proposal.get("unplaced", [])}
    names.update(rounds.company_names(mentioned - names.keys()))
    return render_template(
        "rounds/detail.html", round=round_, run=run, names=names, missing=missing, idle=idle, participant_count=(
            len(participants) if round_.is_draft else rounds.count_participants(round_)), groups=groups, sessions=sessions,
        keep={"proposal": "all"} if show_proposal and not round_.is_draft else {},
        proposed=proposed, planned=planned,
        show_proposal=show_proposal, pinned=pinned, session_date=_date_formatter("EEE dd.MM.yyyy HH:mm"),
        group_names=rounds.mentor_names(p.get("group") for p in plan_problems), plan_problems=plan_problems,
        problem_text=lambda code: str(meetings.PROBLEM_TEXTS.get(code, code)), elapsed=elapsed,
        supervisors=supervisors, totals=rounds.totals(round_.proposal),
        previous_totals=rounds.totals(round_.previous_proposal),
        changes=changes, rule_form=rule_form,
        move_form=move_form, swap_form=swap_form, confirm_form=ConfirmForm(), users=users,
        cycle_length=rounds.cycle_length, taxonomy=taxonomy, weights=WEIGHT_LABELS)


def _act(round_id: int, action, success: str):
    """Run one adjustment of a round: refuse with the service's reason, or commit and confirm."""
    round_ = get_round_or_404(round_id, for_user=current_user)
    try:
        result = action(round_)
        db.session.commit()
    except (ServiceError, StaleDataError) as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, ServiceError) else _(
            "Someone else changed this round meanwhile. Please look at it again.")
        flash(str(message), "danger")
        return None
    flash(success, "success")
    return result


@bp.post("/rounds/<int:round_id>/run")
@role_required(Role.COORDINATOR, Role.ADMIN)
def run(round_id: int):
    if ConfirmForm().validate_on_submit():
        started = _act(round_id, lambda r: rounds.request_run(r, actor=current_user, now=utcnow()),
                       _("The optimiser is working. This page shows the result as soon as it is done."))
        if started is not None:
            rounds.launch(started)
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/add-missing")
@role_required(Role.COORDINATOR, Role.ADMIN)
def add_missing(round_id: int):
    """Add the approved companies that the draft round leaves out (listed at the top of its page)."""
    round_ = get_round_or_404(round_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        try:
            added = rounds.add_missing(round_, actor=current_user, now=utcnow())
            db.session.commit()
        except (ServiceError, StaleDataError) as exc:
            db.session.rollback()
            flash(str(exc.message) if isinstance(exc, ServiceError) else _(
                "Someone else changed this round meanwhile. Please look at it again."), "danger")
        else:
            flash(ngettext("%(num)d company has been added to the round. Run the optimiser again to place it.",
                           "%(num)d companies have been added to the round. Run the optimiser again to place "
                           "them.", len(added)), "success")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/rules")
@role_required(Role.COORDINATOR, Role.ADMIN)
def add_rule(round_id: int):
    round_ = get_round_or_404(round_id, for_user=current_user)
    form = RuleForm()
    form.mentor.choices = [(a.id, a.company.name) for a in round_.participants if a.role == "mentor"]
    form.mentee.choices = [(a.id, a.company.name) for a in round_.participants if a.role == "mentee"]
    if form.validate_on_submit():
        _act(round_id, lambda r: rounds.add_rule(r, form.kind.data, form.mentor.data, form.mentee.data,
                                                 actor=current_user, now=utcnow()),
             _("Saved. The next run of the optimiser keeps it."))
    else:
        flash(_("Please choose a mentor and a mentee company of this round."), "danger")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/rules/<int:rule_id>/delete")
@role_required(Role.COORDINATOR, Role.ADMIN)
def delete_rule(round_id: int, rule_id: int):
    rule = get_rule_or_404(rule_id, round_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        _act(round_id, lambda r: rounds.remove_rule(r, rule, actor=current_user, now=utcnow()), _("Removed."))
    return redirect(url_for("rounds.detail", round_id=round_id))


def _ints(*names: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(request.form[name]) for name in names)
    except (KeyError, ValueError):
        return None


@bp.post("/rounds/<int:round_id>/move")
@role_required(Role.COORDINATOR, Role.ADMIN)
def move(round_id: int):
    get_round_or_404(round_id, for_user=current_user)  # another programme's round: 404, whatever was sent
    values = _ints("mentee", "mentor")
    if ConfirmForm().validate_on_submit():
        if values is None:
            flash(_("Please choose a mentee company and a group."), "danger")
        else:
            _act(round_id, lambda r: rounds.move_mentee(r, values[0], values[1], actor=current_user, now=utcnow()),
                 _("The company has been moved. The move is kept as a pin for the next run."))
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/supervisor")
@role_required(Role.COORDINATOR, Role.ADMIN)
def swap_supervisor(round_id: int):
    get_round_or_404(round_id, for_user=current_user)  # another programme's round: 404, whatever was sent
    values = _ints("mentor", "supervisor")
    if ConfirmForm().validate_on_submit():
        if values is None:
            flash(_("Please choose a group and a supervisor."), "danger")
        else:
            _act(round_id, lambda r: rounds.swap_supervisor(r, values[0], values[1], actor=current_user,
                                                             now=utcnow()),
                 _("The supervisor has been assigned and is kept for the next run."))
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/publish")
@role_required(Role.COORDINATOR, Role.ADMIN)
def publish(round_id: int):
    if ConfirmForm().validate_on_submit():
        now = utcnow()
        result = _act(round_id, lambda r: rounds.publish_round(r, actor=current_user, now=now),
                      _("The groups have been published. HR leads and supervisors have been informed by e-mail."))
        if result is not None:
            mail.deliver_due(now, ids=[m.id for m in result[1]])
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/follow-up")
@role_required(Role.COORDINATOR, Role.ADMIN)
def follow_up(round_id: int):
    if ConfirmForm().validate_on_submit():
        new_round = _act(round_id, lambda r: rounds.follow_up(r, actor=current_user, now=utcnow()),
                         _("A follow-up round for the freed companies has been created."))
        if new_round is not None:
            return redirect(url_for("rounds.detail", round_id=new_round.id))
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/meetings/plan")
@role_required(Role.COORDINATOR, Role.ADMIN)
def plan_meetings(round_id: int):
    if ConfirmForm().validate_on_submit():
        outcome = _act(round_id, lambda r: meetings.plan_round(r, actor=current_user, now=utcnow()),
                       _("The meetings have been proposed. Check them, move single ones if needed, then confirm."))
        if outcome is not None and outcome.problems:
            flash(ngettext("%(num)d meeting could not be planned; see the reasons below.",
                           "%(num)d meetings could not be planned; see the reasons below.", len(outcome.problems)),
                  "warning")
    return redirect(url_for("rounds.detail", round_id=round_id, _anchor="meetings"))


@bp.post("/rounds/<int:round_id>/meetings/confirm")
@role_required(Role.COORDINATOR, Role.ADMIN)
def confirm_meetings(round_id: int):
    if ConfirmForm().validate_on_submit():
        now = utcnow()
        sent = _act(round_id, lambda r: meetings.confirm_round_meetings(r, actor=current_user, now=now),
                    _("The meetings are confirmed. Everyone has received an invitation with a calendar file."))
        if sent is not None:
            mail.deliver_due(now, ids=[m.id for m in sent])
    return redirect(url_for("rounds.detail", round_id=round_id, _anchor="meetings"))


@bp.get("/rounds/<int:round_id>/calendar")
@role_required(Role.COORDINATOR, Role.ADMIN)
def meeting_calendar(round_id: int):
    """A month grid of the round's meetings, for one supervisor or one group (or all)."""
    round_ = get_round_or_404(round_id, for_user=current_user)
    round_ = _round_for_page(round_id)
    groups = [g for g in round_.groups if g.is_active]
    supervisor_id = request.args.get("supervisor", type=int)
    group_id = request.args.get("group", type=int)
    shown = [m for g in groups for m in g.meetings if m.status != MeetingStatus.CANCELLED
             and (supervisor_id is None or g.supervisor_id == supervisor_id) and (group_id is None or g.id == group_id)]
    try:
        month = datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
        if not FIRST_YEAR <= month.year <= LAST_YEAR:
            raise ValueError(month)  # the month before or after would run past the calendar's ends
    except ValueError:
        month = meetings.default_month(shown, utcnow().date())
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    by_day: dict = {}
    for meeting in sorted(shown, key=lambda m: m.starts_at):
        by_day.setdefault(calendar.local(meeting.starts_at).date(), []).append(meeting)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    supervisors = sorted({g.supervisor for g in groups if g.supervisor}, key=lambda u: u.full_name)
    return render_template("rounds/calendar.html", round=round_, weeks=weeks, month=month, by_day=by_day,
                           previous=previous, following=following, supervisors=supervisors, groups=groups,
                           supervisor_id=supervisor_id, group_id=group_id, local=calendar.local)


@bp.get("/rounds/<int:round_id>/instance.json")
@role_required(Role.COORDINATOR, Role.ADMIN)
def export_instance(round_id: int):
    """The round in the matching engine's JSON format, to reproduce or audit it with `python -m matching`."""
    round_ = get_round_or_404(round_id, for_user=current_user)
    try:
        data = instance_to_json(rounds.build_instance(round_))
    except ServiceError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("rounds.detail", round_id=round_id))
    body = json.dumps(data, ensure_ascii=False, indent=2)
    audit.record("export_round", current_user, utcnow(), round_)
    db.session.commit()
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="tandem-round-{round_.id}.json"'})
