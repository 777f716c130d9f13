"""Administration: accounts, invitations, deactivation, the audit log, and the development mailbox."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app import devmail
from app.access import get_organisation_or_404, get_partner_or_404, get_programme_or_404, get_user_or_404
from app.admin.forms import (
    AuditFilterForm,
    CarrierForm,
    CoordinatorForm,
    InviteForm,
    NewProgrammeForm,
    OrganisationForm,
    PartnerForm,
)
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Organisation, PartnerRole, Programme, Role, User, utcnow
from app.security import role_required
from app.services import accounts, audit, erasure, mail, organisations, programmes
from app.services.errors import ServiceError
from app.services.gazetteer import STATE_NAMES
from app.templating import role_label
from app.views_common import apply_service_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    rows = db.session.scalars(select(User).options(selectinload(User.company)).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=rows, form=ConfirmForm())


@bp.route("/invite", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def invite():
    form = InviteForm()
    form.role.choices = [SelectChoice(role.value, role_label(role)) for role in accounts.INVITABLE_ROLES]
    form.programmes.choices = [
        SelectChoice(p.id, p.name) for p in db.session.scalars(select(Programme).order_by(Programme.name))
    ]
    if form.validate_on_submit():
        now = utcnow()
        try:
            _token, raw = accounts.invite_user(
                email=form.email.data, role=form.role.data, programme_ids=form.programmes.data or [],
                actor=current_user, now=now,
            )
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            queued = mail.queue_mail(
                form.email.data.strip().lower(), "invitation", locale=str(get_locale()), now=now,
                inviter=current_user, role=role_label(form.role.data),
                link=url_for("auth.accept_invitation", token=raw, _external=True),
                days=current_app.config["INVITATION_DAYS"],
            )
            db.session.commit()
            mail.deliver_due(now, ids=[queued.id])
            flash(_("The invitation has been sent to %(email)s.", email=queued.recipient), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    user = get_user_or_404(user_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        try:
            accounts.deactivate_user(user, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(email)s has been deactivated and logged out everywhere.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/erase")
@role_required(Role.ADMIN)
def erase(user_id: int):
    """Art. 17: erase a person (their e-mail address is typed again to confirm)."""
    user = get_user_or_404(user_id, for_user=current_user)
    if ConfirmForm().validate_on_submit() and request.form.get("confirm", "").strip().lower() == user.email:
        try:
            erasure.erase_person(user, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The person has been erased."), "success")
    else:
        flash(_("To erase, type the person's e-mail address exactly."), "danger")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    user = get_user_or_404(user_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        accounts.reactivate_user(user, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("%(email)s can log in again.", email=user.email), "success")
    return redirect(url_for("admin.users"))


def _mailbox_dir() -> str:
    if not current_app.config["DEV_MAILBOX_ENABLED"]:
        abort(404)
    return current_app.config["DEV_MAIL_DIR"]


@bp.get("/mailbox")
@role_required(Role.ADMIN)
def mailbox():
    return render_template("admin/mailbox.html", messages=devmail.list_messages(_mailbox_dir()))


@bp.get("/mailbox/<name>")
@role_required(Role.ADMIN)
def mailbox_message(name: str):
    message = devmail.read_message(_mailbox_dir(), name)
    if message is None:
        abort(404)
    return render_template("admin/mailbox_message.html", message=message)


def _audit_filters() -> dict:
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("all"))] + [SelectChoice(k, str(v)) for k, v in audit.ACTIONS.items()]
    valid = form.validate()
    filters = {"action": form.action.data if form.action.data in audit.ACTIONS else "",
               "actor": (form.actor.data or "")[:254] if valid or not form.actor.errors else "",
               "since": form.since.data if not form.since.errors else None,
               "until": form.until.data if not form.until.errors else None}
    return {"form": form, "filters": filters}


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """The audit log, for admins only: filter by action, person and period."""
    found = _audit_filters()
    rows = audit.search(**found["filters"])
    # The export link keeps the filters that were understood, never the query string as sent (url_for reads
    # `_method`, `_external`, `_scheme` and `_anchor` as its own options).
    export_args = {key: str(value) for key, value in found["filters"].items() if value}
    return render_template("admin/audit.html", form=found["form"], rows=rows, actions=audit.ACTIONS,
                           export_args=export_args)


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
def audit_export():
    found = _audit_filters()
    rows = audit.search(**found["filters"], limit=100_000)
    audit.record("export_audit", current_user, utcnow(), rows=len(rows),
                 filters={k: str(v) for k, v in found["filters"].items() if v})
    db.session.commit()
    return Response(audit.to_csv(rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tandem-audit.csv"'})


# -- organisations: carriers, partners, funders --------------------------------------------------------------------

def _organisation_form(form: OrganisationForm) -> OrganisationForm:
    form.kind.choices = [SelectChoice("", _("Please choose"))] + [
        SelectChoice(kind.value, str(label)) for kind, label in organisations.KIND_LABELS.items()]
    return form


def _organisation_values(form: OrganisationForm) -> organisations.OrganisationValues:
    return organisations.OrganisationValues(
        name=form.name.data or "", kind=form.kind.data or "", address=form.address.data, website=form.website.data,
        contact_name=form.contact_name.data, contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data)


@bp.get("/organisations")
@role_required(Role.ADMIN)
def organisation_list():
    return render_template("admin/organisations.html", organisations=organisations.all_organisations(),
                           kinds=organisations.KIND_LABELS)


@bp.route("/organisations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_organisation():
    form = _organisation_form(OrganisationForm())
    if form.validate_on_submit():
        try:
            organisation = organisations.create_organisation(_organisation_values(form), actor=current_user,
                                                             now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s has been recorded. You can now make it the carrier or a partner of a programme.",
                    name=organisation.name), "success")
            return redirect(url_for("admin.organisation_list"))
    return render_template("admin/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_organisation(organisation_id: int):
    organisation = get_organisation_or_404(organisation_id, for_user=current_user)
    form = _organisation_form(OrganisationForm(obj=organisation if request.method == "GET" else None))
    if form.validate_on_submit():
        try:
            changed = organisations.update_organisation(organisation, _organisation_values(form),
                                                        actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The details of %(name)s have been saved.", name=organisation.name) if changed
                  else _("Nothing was changed."), "success")
            return redirect(url_for("admin.organisation_list"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


# -- programmes: created here, configured by their coordinators ----------------------------------------------------

def _carrier_choices() -> list[SelectChoice]:
    return [SelectChoice(0, _("No carrier yet"))] + [
        SelectChoice(o.id, o.name) for o in organisations.all_organisations()]


@bp.get("/programmes")
@role_required(Role.ADMIN)
def programme_list():
    rows = db.session.scalars(select(Programme).options(selectinload(Programme.carrier),
                                                         selectinload(Programme.coordinators))
                              .order_by(Programme.name)).all()
    return render_template("admin/programmes.html", programmes=rows, states=STATE_NAMES)


@bp.route("/programmes/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_programme():
    form = NewProgrammeForm()
    form.state_code.choices = [SelectChoice("", _("Please choose"))] + [
        SelectChoice(code, name) for code, name in sorted(STATE_NAMES.items(), key=lambda item: item[1])]
    form.carrier_id.choices = _carrier_choices()
    if form.validate_on_submit():
        try:
            programme = programmes.create_programme(
                name=form.name.data, region=form.region.data, state_code=form.state_code.data,
                carrier_id=form.carrier_id.data or None, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The programme %(name)s has been created. It accepts no applications until its coordination "
                    "opens them. Next: add partners and a coordinator.", name=programme.name), "success")
            return redirect(url_for("admin.programme_setup", programme_id=programme.id))
    return render_template("admin/programme_new.html", form=form)


def _setup_forms(programme: Programme, *, carrier_form=None, partner_form=None, coordinator_form=None) -> dict:
    carrier_form = carrier_form or CarrierForm(formdata=None, carrier_id=programme.carrier_id or 0)
    carrier_form.carrier_id.choices = _carrier_choices()
    partner_form = partner_form or PartnerForm(formdata=None)
    partner_form.organisation.choices = [SelectChoice(0, _("Please choose"))] + [
        SelectChoice(o.id, o.name) for o in organisations.all_organisations()]
    partner_form.role.choices = [SelectChoice("", _("Please choose"))] + [
        SelectChoice(role.value, str(organisations.ROLE_LABELS[role])) for role in PartnerRole]
    return {"carrier_form": carrier_form, "partner_form": partner_form,
            "coordinator_form": coordinator_form or CoordinatorForm(formdata=None)}


def _render_setup(programme: Programme, **forms):
    return render_template("admin/programme_setup.html", programme=programme, roles=organisations.ROLE_LABELS,
                           states=STATE_NAMES, remove_form=ConfirmForm(), **_setup_forms(programme, **forms))


@bp.get("/programmes/<int:programme_id>")
@role_required(Role.ADMIN)
def programme_setup(programme_id: int):
    """The programme's carrier, partners and coordinators."""
    return _render_setup(get_programme_or_404(programme_id, for_user=current_user))


@bp.post("/programmes/<int:programme_id>/carrier")
@role_required(Role.ADMIN)
def set_carrier(programme_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    form = _setup_forms(programme, carrier_form=CarrierForm())["carrier_form"]
    if not form.validate_on_submit():
        return _render_setup(programme, carrier_form=form)
    organisation = db.session.get(Organisation, form.carrier_id.data) if form.carrier_id.data else None
    organisations.set_carrier(programme, organisation, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("%(name)s is now the carrier of the programme.", name=organisation.name) if organisation
          else _("The programme has no carrier now."), "success")
    return redirect(url_for("admin.programme_setup", programme_id=programme.id))


@bp.post("/programmes/<int:programme_id>/partners")
@role_required(Role.ADMIN)
def add_partner(programme_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    form = _setup_forms(programme, partner_form=PartnerForm())["partner_form"]
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation.data)
        try:
            organisations.add_partner(programme, organisation, form.role.data, form.note.data, actor=current_user,
                                      now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s has been added as %(role)s. It appears on the programme's public page.",
                    name=organisation.name, role=organisations.ROLE_LABELS[form.role.data]), "success")
            return redirect(url_for("admin.programme_setup", programme_id=programme.id))
    return _render_setup(programme, partner_form=form)


@bp.post("/programmes/<int:programme_id>/partners/<int:partner_id>/remove")
@role_required(Role.ADMIN)
def remove_partner(programme_id: int, partner_id: int):
    get_programme_or_404(programme_id, for_user=current_user)
    partner = get_partner_or_404(partner_id, programme_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        name = partner.organisation.name
        organisations.remove_partner(partner, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("%(name)s is no longer listed for this programme.", name=name), "success")
    return redirect(url_for("admin.programme_setup", programme_id=programme_id))


@bp.post("/programmes/<int:programme_id>/coordinators")
@role_required(Role.ADMIN)
def assign_coordinator(programme_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    form = CoordinatorForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            user, raw = programmes.assign_coordinator(programme, form.email.data, actor=current_user, now=now)
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            if user is not None:
                db.session.commit()
                flash(_("%(name)s now coordinates %(programme)s.", name=user.full_name, programme=programme.name),
                      "success")
            else:
                queued = mail.queue_mail(
                    accounts.normalise_email(form.email.data), "invitation", locale=str(get_locale()), now=now,
                    inviter=current_user, role=role_label(Role.COORDINATOR),
                    link=url_for("auth.accept_invitation", token=raw, _external=True),
                    days=current_app.config["INVITATION_DAYS"])
                db.session.commit()
                mail.deliver_due(now, ids=[queued.id])
                flash(_("An invitation has been sent to %(email)s. Once accepted, the account coordinates "
                        "%(programme)s.", email=queued.recipient, programme=programme.name), "success")
            return redirect(url_for("admin.programme_setup", programme_id=programme.id))
    return _render_setup(programme, coordinator_form=form)


@bp.post("/programmes/<int:programme_id>/coordinators/<int:user_id>/remove")
@role_required(Role.ADMIN)
def remove_coordinator(programme_id: int, user_id: int):
    programme = get_programme_or_404(programme_id, for_user=current_user)
    person = get_user_or_404(user_id, for_user=current_user)
    if ConfirmForm().validate_on_submit():
        try:
            programmes.remove_coordinator(programme, person, actor=current_user, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s no longer coordinates %(programme)s. The account stays.", name=person.full_name,
                    programme=programme.name), "success")
    return redirect(url_for("admin.programme_setup", programme_id=programme_id))
