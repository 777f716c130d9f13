"""The HR lead's pages: consent, company profile, applications, needs and strengths, self-assessment."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app import maturity, taxonomy
from app.access import get_application_or_404, get_assessment_or_404
from app.extensions import db
from app.forms import ConfirmForm
from app.hr.forms import (
    ApplicationForm,
    ColleagueForm,
    ConsentForm,
    ParticipantForm,
    ProfileForm,
    WithdrawConsentForm,
    assessment_form_class,
    topics_form_class,
)
from app.models import Application, Participant, Programme, Role, utcnow
from app.models.participant import EMPLOYMENT
from app.security import role_required
from app.services import accounts, calendar, companies, erasure, funder_report, mail, rounds
from app.services.errors import ServiceError
from app.templating import role_label
from app.views_common import apply_service_error

bp = Blueprint("hr", __name__, url_prefix="/hr")


def _company():
    return current_user.company


@bp.get("/")
@role_required(Role.HR_LEAD)
def start():
    company = _company()
    applied = {a.programme_id: a for a in company.applications}
    return render_template(
        "hr/start.html", company=company, consent=companies.active_consent(company),
        programmes=companies.open_programmes(utcnow()), applied=applied,
        assessment=companies.latest_assessment(company), memberships=rounds.memberships(company),
        colleagues=accounts.colleagues_of(current_user), colleague_form=ColleagueForm(formdata=None),
    )


@bp.post("/colleagues")
@role_required(Role.HR_LEAD)
def invite_colleague():
    """Invite a colleague (e.g. from the works council) to read the company's group pages."""
    form = ColleagueForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            queued = accounts.invite_colleague(email=form.email.data, actor=current_user, locale=str(get_locale()),
                                               role_name=role_label(Role.COLLEAGUE), now=now)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            # Either an invitation or, for an address with an account, a note to its owner: the same answer here.
            mail.deliver_due(now, ids=[queued.id])
            flash(_("The invitation has been sent to %(email)s.", email=accounts.normalise_email(form.email.data)),
                  "success")
    else:
        flash(_("Please enter a valid e-mail address."), "danger")
    return redirect(url_for("hr.start"))


@bp.route("/consent", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def consent():
    company = _company()
    form = ConsentForm()
    if form.validate_on_submit():
        companies.give_consent(company, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Thank you. Your consent has been recorded."), "success")
        return redirect(_after_consent())
    return render_template("hr/consent.html", form=form, consent=companies.active_consent(company),
                           version=companies.CONSENT_VERSION, withdraw_form=WithdrawConsentForm())


@bp.post("/consent/withdraw")
@role_required(Role.HR_LEAD)
def withdraw_consent():
    if WithdrawConsentForm().validate_on_submit():
        now = utcnow()
        # Withdrawing consent stops processing and starts erasure: the coordinators are asked to erase.
        mails = erasure.request_leave(_company(), actor=current_user, now=now)
        db.session.commit()
        mail.deliver_due(now, ids=[m.id for m in mails])
        flash(_("Your consent has been withdrawn and your applications with it. The programme coordination "
                "has been asked to erase your company's data."), "info")
    return redirect(url_for("hr.start"))


def _after_consent() -> str:
    """Where the consent page leads on: the application that was asked for ("Jetzt bewerben"), the profile, or
    the start page."""
    then = request.args.get("then")
    programme_id = request.args.get("programme", type=int)
    if then == "application" and programme_id and 0 < programme_id < 2**31:
        return url_for("hr.application", programme_id=programme_id)
    return url_for("hr.profile") if then == "profile" else url_for("hr.start")


def _needs_consent(programme_id: int | None = None):
    if companies.active_consent(_company()) is None:
        flash(_("Before you enter data about your company, please read and confirm the consent."), "info")
        if programme_id is not None:
            return redirect(url_for("hr.consent", then="application", programme=programme_id))
        return redirect(url_for("hr.consent", then="profile"))
    return None


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def profile():
    if (response := _needs_consent()) is not None:
        return response
    company = _company()
    form = ProfileForm(obj=company)
    if request.method == "GET":
        form.has_works_council.data = {True: "yes", False: "no"}.get(company.has_works_council)
        form.has_shift_work.data = {True: "yes", False: "no"}.get(company.has_shift_work)
    if form.validate_on_submit():
        try:
            proposal = companies.update_profile(company, form.values(), actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            if proposal is not None:
                flash(_("Your application is approved, so your changes have been sent to the programme "
                        "coordination for review."), "info")
            else:
                flash(_("The company profile has been saved."), "success")
            return redirect(url_for("hr.start"))
    return render_template("hr/profile.html", form=form, company=company)


@bp.route("/programmes/<int:programme_id>/application", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def application(programme_id: int):
    if (response := _needs_consent(programme_id)) is not None:
        return response
    company = _company()
    programme = db.session.get(Programme, programme_id)
    existing = next((a for a in company.applications if a.programme_id == programme_id), None)
    if programme is None or (existing is None
                             and not programme.accepts_applications_on(calendar.local(utcnow()).date())):
        abort(404)
    form = ApplicationForm(obj=existing)
    if request.method == "GET" and existing is not None:
        form.exclusions.data = "\n".join(e.name for e in existing.exclusions)
        form.version.data = str(existing.version)
    if form.validate_on_submit():
        # Without the hidden field the form falls back to the stored row's version, an int; "²" is a digit but
        # no number, and a long one would overflow.
        sent = str(form.version.data or "")
        version = int(sent) if sent.isdecimal() and len(sent) <= 9 else None
        try:
            saved, proposal = companies.save_application(
                company, programme, form.role.data, form.values(), actor=current_user, now=utcnow(),
                expected_version=version)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else has changed this application meanwhile. Please reload the page."), "danger")
        else:
            if proposal is not None:
                flash(_("Your application is approved, so your changes have been sent to the programme "
                        "coordination for review."), "info")
            else:
                flash(_("The application has been saved."), "success")
            return redirect(url_for("hr.application_detail", application_id=saved.id))
    return render_template("hr/application_form.html", form=form, programme=programme, application=existing)


@bp.get("/applications/<int:application_id>")
@role_required(Role.HR_LEAD)
def application_detail(application_id: int):
    application_ = get_application_or_404(application_id, for_user=current_user)
    return render_template("hr/application.html", application=application_,
                           missing=companies.missing_for_submission(application_),
                           assessment=companies.latest_assessment(application_.company),
                           submit_form=ConfirmForm(), taxonomy=taxonomy, maturity=maturity)


@bp.route("/applications/<int:application_id>/topics", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def topics(application_id: int):
    application_: Application = get_application_or_404(application_id, for_user=current_user)
    form = topics_form_class()()
    kind = "need" if application_.role == "mentee" else "offer"
    if request.method == "GET":
        for topic in application_.topics:
            if topic.kind == kind:
                form[f"topic_{topic.topic}"].data = str(topic.priority)
    if form.validate_on_submit():
        chosen = form.chosen()
        needs, offers = (chosen, {}) if kind == "need" else ({}, chosen)
        try:
            proposal = companies.set_topics(application_, needs, offers, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            if proposal is not None:
                flash(_("Your application is approved, so your changes have been sent to the programme "
                        "coordination for review."), "info")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("hr.application_detail", application_id=application_.id))
    return render_template("hr/topics.html", form=form, application=application_, kind=kind,
                           dimensions=maturity.DIMENSIONS)


@bp.post("/applications/<int:application_id>/submit")
@role_required(Role.HR_LEAD)
def submit(application_id: int):
    application_ = get_application_or_404(application_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        try:
            companies.submit_application(application_, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Your application has been submitted. The programme coordination will get back to you."),
                  "success")
    return redirect(url_for("hr.application_detail", application_id=application_.id))


@bp.route("/assessment", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def assessment():
    if (response := _needs_consent()) is not None:
        return response
    company = _company()
    form = assessment_form_class()()
    if form.validate_on_submit():
        try:
            phase = request.args.get("phase", "start")
            saved = companies.record_assessment(company, form.answers(), form.comments(), actor=current_user,
                                                now=utcnow(), phase=phase if phase in ("middle", "end") else "start")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Your self-assessment has been saved."), "success")
            return redirect(url_for("hr.assessment_result", assessment_id=saved.id))
    return render_template("hr/assessment_form.html", form=form, dimensions=maturity.DIMENSIONS)


@bp.get("/assessments/<int:assessment_id>")
@role_required(Role.HR_LEAD)
def assessment_result(assessment_id: int):
    assessment_ = get_assessment_or_404(assessment_id, for_user=current_user)
    return render_template("hr/assessment_result.html", assessment=assessment_,
                           history=assessment_.company.assessments, dimensions=maturity.DIMENSIONS,
                           levels=maturity.LEVEL_NAMES)


@bp.route("/participants", methods=["GET", "POST"])
@role_required(Role.HR_LEAD)
def participants():
    """The persons of the company taking part, with the funder's entry and exit questionnaires."""
    company = _company()
    programmes = [a.programme for a in company.applications if a.status in ("approved", "completed")]
    form = ParticipantForm()
    form.programme_id.choices = [(p.id, p.name) for p in programmes]
    if form.validate_on_submit():
        programme = next(p for p in programmes if p.id == form.programme_id.data)
        try:
            funder_report.record_entry(programme, company, form.data, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The person has been added."), "success")
            return redirect(url_for("hr.participants"))
    people = db.session.scalars(select(Participant).where(Participant.company_id == company.id)
                                .order_by(Participant.last_name, Participant.first_name)).all()
    return render_template("hr/participants.html", form=form, people=people, programmes=programmes,
                           label=funder_report.label, employment=EMPLOYMENT)


@bp.post("/participants/<int:participant_id>/exit")
@role_required(Role.HR_LEAD)
def participant_exit(participant_id: int):
    """The exit questionnaire: the person's employment status when they leave the programme."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.company_id != current_user.company_id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            funder_report.record_exit(participant, request.form.get("exit_employment", ""), exited_on=utcnow().date())
            db.session.commit()
            flash(_("The exit questionnaire has been saved."), "success")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
    return redirect(url_for("hr.participants"))
