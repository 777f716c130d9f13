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
from app.access import get_user_or_404
from app.admin.forms import AuditFilterForm, InviteForm
from app.extensions import db
from app.forms import ConfirmForm
from app.models import Programme, Role, User, utcnow
from app.security import role_required
from app.services import accounts, audit, erasure, mail
from app.services.errors import ServiceError
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
