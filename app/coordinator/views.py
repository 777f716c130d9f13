"""The programme coordinator's pages: programmes, applications and their review."""
from __future__ import annotations

import base64
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app import charts, maturity, taxonomy
from app.access import (
    coordinated_programme_ids,
    get_application_or_404,
    get_import_batch_or_404,
    get_programme_or_404,
    get_programme_supervisor_or_404,
    get_proposal_or_404,
)
from app.coordinator.forms import (
    DecisionForm,
    FilterForm,
    GroupsFilterForm,
    ImportForm,
    PeriodForm,
    ProgrammeSettingsForm,
    ProposalForm,
    SupervisorCapacityForm,
    SupervisorInviteForm,
)
from app.extensions import db
from app.forms import ConfirmForm
from app.models import (
    Application,
    ApplicationStatus,
    Programme,
    Role,
    utcnow,
)
from app.security import role_required
from app.services import (
    accounts,
    audit,
    companies,
    company_import,
    mail,
    meetings,
    programmes,
    review,
    sessions,
    supervisors,
)
from app.services import dashboard as dashboard_service
from app.services import funder_report as funder_report_service
from app.services.cycles import completed_groups, count_completed
from app.services.errors import ServiceError
from app.templating import STATUS_LABELS
from app.views_common import apply_service_error

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")
GROUPS_PER_PAGE = 50
APPLICATIONS_PER_PAGE = 50


@bp.get("/")
@role_required(Role.COORDINATOR)
def start():
    ids = coordinated_programme_ids(current_user)
    counts = dict(
        db.session.execute(
            select(Application.programme_id, func.count()).where(Application.programme_id.in_(ids))
            .group_by(Application.programme_id)
        ).all()
    )
    waiting = dict(
        db.session.execute(
            select(Application.programme_id, func.count())
            .where(Application.programme_id.in_(ids), Application.status == ApplicationStatus.SUBMITTED)
            .group_by(Application.programme_id)
        ).all()
    )
    programmes = db.session.scalars(select(Programme).where(Programme.id.in_(ids)).order_by(Programme.name)).all()
    return render_template("coordinator/start.html", programmes=programmes, counts=counts, waiting=waiting,
                           failed=meetings.failed_mails())


@bp.get("/programmes/<int:programme_id>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def programme(programme_id: int):
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form = FilterForm(request.args, statuses={s.value: STATUS_LABELS[s.value] for s in ApplicationStatus},
                      roles={"mentor": STATUS_LABELS["mentor"], "mentee": STATUS_LABELS["mentee"]})
    filters = form.filters()
    found = review.application_page(programme_, page=request.args.get("page", 1, type=int),
                                    per_page=APPLICATIONS_PER_PAGE, **filters)
    # The page links keep the filters and the order (only those set, so that the links stay short).
    keep = {key: value for key, value in filters.items() if value and (key, value) != ("sort", "name")}
    return render_template("coordinator/programme.html", programme=programme_, found=found, form=form, keep=keep,
                           taxonomy=taxonomy)


@bp.get("/applications/<int:application_id>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def application(application_id: int):
    application_ = get_application_or_404(application_id, for_user=current_user)
    return _render_application(application_, DecisionForm())


def _render_application(application_: Application, form: DecisionForm):
    company = application_.company
    history = company.assessments
    latest = history[-1] if history else None
    return render_template(
        "coordinator/application.html", application=application_, company=company, assessment=latest,
        history=history, form=form, proposal_form=ProposalForm(), taxonomy=taxonomy, maturity=maturity,
        shortfall=review.mentor_shortfall(application_, latest), consent=companies.active_consent(company),
    )


@bp.post("/applications/<int:application_id>/decision")
@role_required(Role.COORDINATOR, Role.ADMIN)
def decide(application_id: int):
    application_ = get_application_or_404(application_id, for_user=current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            mails = review.decide(application_, form.decision.data, form.reason.data, actor=current_user, now=now)
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            mail.deliver_due(now, ids=[m.id for m in mails])
            flash(_("The decision has been saved and the company informed."), "success")
            return redirect(url_for("coordinator.programme", programme_id=application_.programme_id))
    return _render_application(application_, form), 200


@bp.post("/proposals/<int:proposal_id>/decision")
@role_required(Role.COORDINATOR, Role.ADMIN)
def decide_proposal(proposal_id: int):
    proposal = get_proposal_or_404(proposal_id, for_user=current_user)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            review.decide_proposal(proposal, accept=bool(form.accept.data), actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The changes have been applied.") if form.accept.data else _("The changes have been discarded."),
                  "success")
    return redirect(url_for("coordinator.application", application_id=proposal.application_id))


@bp.route("/programmes/<int:programme_id>/import", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def import_companies(programme_id: int):
    """Upload a list of companies: a dry run shows every row with its errors; nothing is imported yet."""
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form = ImportForm()
    batch, rows = None, None
    valid = form.validate_on_submit()
    if not valid:
        # A large upload lives in a temporary file: close it when the form refuses it.
        for refused in request.files.values():
            refused.close()
    if valid:
        upload = form.file.data
        try:
            with upload.stream:
                data = upload.read()
            batch, rows = company_import.start_import(programme_, upload.filename or "", data,
                                                      actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            if any(row.errors for row in rows):
                db.session.rollback()  # a file with errors is not kept
                batch = None
            else:
                db.session.commit()
    return render_template("coordinator/import.html", programme=programme_, form=form, batch=batch, rows=rows,
                           confirm_form=ConfirmForm(), columns=company_import.EXPORT_COLUMNS,
                           required=company_import.REQUIRED)


@bp.post("/imports/<int:batch_id>/confirm")
@role_required(Role.COORDINATOR, Role.ADMIN)
def confirm_import(batch_id: int):
    batch = get_import_batch_or_404(batch_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        now = utcnow()
        try:
            mails = company_import.confirm_import(batch, actor=current_user, now=now)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(url_for("coordinator.import_companies", programme_id=batch.programme_id))
        db.session.commit()
        mail.deliver_due(now, ids=[m.id for m in mails])
        flash(_("%(n)d companies have been imported and their HR leads invited by e-mail.", n=len(mails)), "success")
    return redirect(url_for("coordinator.programme", programme_id=batch.programme_id))


@bp.get("/programmes/<int:programme_id>/export.<fmt>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def export_companies(programme_id: int, fmt: str):
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    if fmt == "csv":
        body, mimetype = company_import.export_csv(programme_), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = company_import.export_xlsx(programme_)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    filename = f"tandem-companies-{programme_.id}.{fmt}"
    audit.record("export_companies", current_user, utcnow(), programme_, format=fmt)
    db.session.commit()
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/programmes/<int:programme_id>/groups")
@role_required(Role.COORDINATOR, Role.ADMIN)
def groups(programme_id: int):
    """Every active group of the programme at a glance: sessions, attendance, measures, feedback, missing notes;
    those that need attention first, GROUPS_PER_PAGE to a page."""
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form = GroupsFilterForm(request.args)
    sort, attention_only = form.chosen_sort(), bool(form.attention.data)
    found = sessions.overviews(programme_.id, utcnow(), sort=sort, attention_only=attention_only,
                               page=request.args.get("page", 1, type=int), per_page=GROUPS_PER_PAGE)
    # The page links keep the order and the filter.
    keep = {"sort": sort, **({"attention": "y"} if attention_only else {})}
    return render_template("coordinator/groups.html", programme=programme_, form=form, found=found, keep=keep,
                           completed=completed_groups(programme_.id), completed_total=count_completed(programme_.id))


@bp.get("/dashboard")
@bp.get("/programmes/<int:programme_id>/dashboard")
@role_required(Role.COORDINATOR, Role.ADMIN)
def dashboard(programme_id: int | None = None):
    """One programme at a glance, or all the coordinator's programmes together, for a period."""
    if programme_id is not None:
        programmes = [get_programme_or_404(programme_id, for_user=current_user)]
    elif current_user.role == Role.ADMIN:
        programmes = db.session.scalars(select(Programme).order_by(Programme.name)).all()
    else:
        programmes = db.session.scalars(select(Programme).where(
            Programme.id.in_(coordinated_programme_ids(current_user))).order_by(Programme.name)).all()
    now = utcnow()
    form = PeriodForm(request.args)
    form.validate()
    until = form.until.data if form.until.data and not form.until.errors else now.date()
    since = form.since.data if form.since.data and not form.since.errors else until - timedelta(days=365)
    if since > until:
        since, until = until, since
    form.since.data, form.until.data = since, until
    figures = dashboard_service.build([p.id for p in programmes], since, until, now)
    first = {d.key: figures.maturity_first.get(d.key) for d in maturity.DIMENSIONS}
    latest = {d.key: figures.maturity_latest.get(d.key) for d in maturity.DIMENSIONS}
    svg = {
        "months": charts.bar_chart_svg([m for m, _, _ in figures.months],
                                       [(_("held"), [h for _, h, _ in figures.months]),
                                        (_("planned"), [p for _, _, p in figures.months])],
                                       title=_("Group sessions per month")),
        "maturity": charts.maturity_chart_svg([(_("first self-assessment"), first),
                                               (_("latest self-assessment"), latest)],
                                              title=_("Maturity of the mentee companies (mean per area)")),
        "scores": charts.bar_chart_svg([b for b, _ in figures.score_bins], [(_("mentee companies"),
                                        [n for _, n in figures.score_bins])], title=_("Match scores")),
        "attendance": charts.bar_chart_svg([g for g, _ in figures.attendance_by_group],
                                           [(_("attendance in %"), [r for _, r in figures.attendance_by_group])],
                                           title=_("Attendance per group"), horizontal=True,
                                           value_range=(0, 100),
                                           height=max(240, 60 + 28 * len(figures.attendance_by_group))),
    }
    return render_template("coordinator/dashboard.html", programmes=programmes, programme_id=programme_id,
                           figures=figures, form=form,
                           # As images (data: URIs): an SVG's own styles apply there, and no script can run.
                           svg={k: "data:image/svg+xml;base64," + base64.b64encode(v).decode() for k, v in svg.items()},
                           first=first, latest=latest, dimensions=maturity.DIMENSIONS,
                           status_labels=STATUS_LABELS)


def _report_period(now):
    form = PeriodForm(request.args)
    form.validate()
    until = form.until.data if form.until.data and not form.until.errors else now.date()
    since = form.since.data if form.since.data and not form.since.errors else until.replace(month=1, day=1)
    if since > until:
        since, until = until, since
    form.since.data, form.until.data = since, until
    return form, since, until


@bp.get("/programmes/<int:programme_id>/report")
@role_required(Role.COORDINATOR, Role.ADMIN)
def funder_report(programme_id: int):
    """The ESF Plus report for a period, as a printable page with the downloads."""
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form, since, until = _report_period(utcnow())
    report = funder_report_service.build(programme_, since, until)
    label = funder_report_service.label
    sexes = ["female", "male", "non_binary", "no_answer"]
    svg = {
        "sexes": charts.bar_chart_svg([label(s) for s in sexes], [(_("Persons"), [report.by_sex.get(s, 0)
                                                                                   for s in sexes])],
                                      title=_("Participants by sex")),
        "sizes": charts.bar_chart_svg([label(k) for k in sorted(report.smes_by_size)],
                                      [(_("SMEs"), [report.smes_by_size[k] for k in sorted(report.smes_by_size)])],
                                      title=_("Supported SMEs (EECO19) by size")),
    }
    return render_template("coordinator/report.html", programme=programme_, report=report, form=form,
                           tables=funder_report_service.tables(report),
                           svg={k: "data:image/svg+xml;base64," + base64.b64encode(v).decode() for k, v in svg.items()})


@bp.get("/programmes/<int:programme_id>/report.<fmt>")
@role_required(Role.COORDINATOR, Role.ADMIN)
def funder_report_export(programme_id: int, fmt: str):
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    _, since, until = _report_period(utcnow())
    report = funder_report_service.build(programme_, since, until)
    if fmt == "xlsx":
        body = funder_report_service.to_xlsx(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = funder_report_service.to_csv(report), "text/csv; charset=utf-8"
    audit.record("export_report", current_user, utcnow(), programme_, format=fmt, since=since.isoformat(),
                 until=until.isoformat())
    db.session.commit()
    filename = f"tandem-esf-bericht-{programme_.id}-{since.isoformat()}-{until.isoformat()}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _settings_values(form: ProgrammeSettingsForm) -> programmes.ProgrammeSettings:
    return programmes.ProgrammeSettings(
        description=form.description.data, contact_name=form.contact_name.data,
        contact_email=form.contact_email.data, contact_phone=form.contact_phone.data,
        applications_enabled=form.applications.data == "open",
        applications_open_from=form.applications_open_from.data,
        applications_open_until=form.applications_open_until.data,
        mentor_min_overall=form.mentor_min_overall.data, mentor_min_dimension=form.mentor_min_dimension.data,
        cadence_weeks=form.cadence_weeks.data, meeting_minutes=form.meeting_minutes.data,
        travel_buffer_minutes=form.travel_buffer_minutes.data,
        reminder_days=programmes.parse_reminder_days(form.reminder_days.data),
        retention_months=form.retention_months.data, default_group_min=form.default_group_min.data,
        default_group_max=form.default_group_max.data, default_cycle_months=form.default_cycle_months.data,
        is_esf_plus=form.is_esf_plus.data, funding_project_number=form.funding_project_number.data,
        funding_note=form.funding_note.data)


@bp.route("/programmes/<int:programme_id>/settings", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def settings(programme_id: int):
    """Every setting of the programme on one page."""
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form = ProgrammeSettingsForm(obj=programme_ if request.method == "GET" else None)
    if request.method == "GET":
        form.applications.data = "open" if programme_.applications_enabled else "closed"
        form.reminder_days.data = ", ".join(str(d) for d in programme_.reminder_days or [])
        form.version.data = str(programme_.version)
    elif form.validate_on_submit():
        # A missing or garbled version counts as outdated: refused like a concurrent change, never a 500.
        sent = form.version.data or ""
        version = int(sent) if sent.isdecimal() and len(sent) <= 9 else 0
        now = utcnow()
        try:
            changed = programmes.update_settings(programme_, _settings_values(form), version=version,
                                                 actor=current_user, now=now)
            db.session.commit()
        except (ServiceError, StaleDataError) as exc:
            db.session.rollback()
            if isinstance(exc, StaleDataError):
                exc = ServiceError(programmes.STALE)
            apply_service_error(form, exc)
        else:
            state = programmes.application_state(programme_, now)
            flash(_settings_saved(len(changed), state), "success")
            return redirect(url_for("coordinator.settings", programme_id=programme_.id))
    return render_template("coordinator/settings.html", programme=programme_, form=form,
                           state=programmes.application_state(programme_, utcnow()))


def _settings_saved(changed: int, state: str) -> str:
    if not changed:
        return _("Nothing was changed.")
    saved = ngettext("%(num)d setting has been saved.", "%(num)d settings have been saved.", changed)
    return saved + " " + {
        "open": _("Companies can apply now: the programme is listed on the public start page."),
        "soon": _("Applications open on the first day you set; then the programme is listed on the start page."),
        "ended": _("The application period has ended: the programme is not listed on the start page."),
        "closed": _("Applications are closed: the programme is not listed on the start page."),
    }[state]


# -- the programme's supervisors ----------------------------------------------------------------------------------

def _render_supervisors(programme_: Programme, form: SupervisorInviteForm | None = None, status: int = 200):
    if form is None:
        form = SupervisorInviteForm(formdata=None, max_groups=supervisors.DEFAULT_CAPACITY)
    now = utcnow()
    return render_template("coordinator/supervisors.html", programme=programme_, form=form,
                           rows=supervisors.overview(programme_),
                           invitations=supervisors.pending_invitations(programme_, now),
                           capacity_form=SupervisorCapacityForm, remove_form=ConfirmForm()), status


@bp.route("/programmes/<int:programme_id>/supervisors", methods=["GET", "POST"], endpoint="supervisors")
@role_required(Role.COORDINATOR, Role.ADMIN)
def supervisors_page(programme_id: int):
    """The programme's supervisors: who serves it, with what capacity; invite one by e-mail."""
    programme_ = get_programme_or_404(programme_id, for_user=current_user)
    form = SupervisorInviteForm() if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        now = utcnow()
        try:
            user, raw = supervisors.add_supervisor(programme_, form.email.data, form.max_groups.data,
                                                   actor=current_user, now=now)
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            if user is not None:
                queued = mail.queue_mail(
                    user.email, "supervisor_added", locale=user.locale, now=now, user=user,
                    inviter=current_user, programme=programme_, max_groups=form.max_groups.data,
                    link=url_for("supervisor.start", _external=True))
                message = _("%(name)s now serves %(programme)s and has been told by e-mail. New matching rounds "
                            "of the programme offer them.", name=user.full_name, programme=programme_.name)
            else:
                queued = mail.queue_mail(
                    accounts.normalise_email(form.email.data), "supervisor_invitation", locale=str(get_locale()),
                    now=now, inviter=current_user, programme=programme_,
                    link=url_for("auth.accept_invitation", token=raw, _external=True),
                    days=current_app.config["INVITATION_DAYS"])
                message = _("An invitation has been sent to %(email)s. Once the account is created, the supervisor "
                            "serves %(programme)s.", email=queued.recipient, programme=programme_.name)
            db.session.commit()
            mail.deliver_due(now, ids=[queued.id])
            flash(message, "success")
            return redirect(url_for("coordinator.supervisors", programme_id=programme_.id))
    return _render_supervisors(programme_, form, 200)


@bp.post("/programmes/<int:programme_id>/supervisors/<int:user_id>/capacity")
@role_required(Role.COORDINATOR, Role.ADMIN)
def supervisor_capacity(programme_id: int, user_id: int):
    programme_, person = get_programme_supervisor_or_404(programme_id, user_id, for_user=current_user)
    form = SupervisorCapacityForm()
    if form.validate_on_submit():
        try:
            supervisors.set_capacity(programme_, person, form.max_groups.data, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(ngettext("%(name)s leads at most %(num)d group of this programme at the same time.",
                           "%(name)s leads at most %(num)d groups of this programme at the same time.",
                           form.max_groups.data, name=person.full_name), "success")
    else:
        for errors in form.errors.values():
            flash(_("The capacity of %(name)s was not changed: %(problem)s", name=person.full_name,
                    problem=errors[0]), "danger")
    return redirect(url_for("coordinator.supervisors", programme_id=programme_id))


@bp.post("/programmes/<int:programme_id>/supervisors/<int:user_id>/remove")
@role_required(Role.COORDINATOR, Role.ADMIN)
def remove_supervisor(programme_id: int, user_id: int):
    programme_, person = get_programme_supervisor_or_404(programme_id, user_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        running = supervisors.remove_supervisor(programme_, person, actor=current_user, now=utcnow())
        db.session.commit()
        message = _("%(name)s no longer serves %(programme)s: new matching rounds do not offer them.",
                    name=person.full_name, programme=programme_.name)
        if running:
            message += " " + ngettext("They still lead %(num)d running group until its cycle ends.",
                                      "They still lead %(num)d running groups until their cycles end.", running)
        flash(message, "success")
    return redirect(url_for("coordinator.supervisors", programme_id=programme_id))
