"""The entry page, the language switch, the health check and the user's own account page."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import text

from app.access import get_public_programme_or_404
from app.auth.views import start_page_url
from app.config import missing_operator_settings
from app.extensions import db
from app.i18n import LANGUAGE_COOKIE
from app.main.forms import ChangePasswordForm, DataExportForm, LanguageForm, LogoutEverywhereForm
from app.models import PartnerRole, Role, utcnow
from app.security import login_required, public, safe_next
from app.services import accounts, organisations, programmes, sessions
from app.services import personal_data as personal_data_service
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(start_page_url())
    return render_template("main/index.html", programmes=programmes.open_for_applications(utcnow()))


@bp.get("/programme/<int:programme_id>")
@public
def programme(programme_id: int):
    """A programme's public page: what it offers, who runs it, when and how to apply."""
    programme_ = get_public_programme_or_404(programme_id)
    by_role = {role: [p for p in programme_.partners if p.role == role] for role in PartnerRole}
    return render_template("public/programme.html", programme=programme_, partners=by_role,
                           roles=organisations.ROLE_LABELS, state=programmes.application_state(programme_, utcnow()),
                           description=sessions.render_markdown(programme_.description))


@bp.get("/programme/<int:programme_id>/apply")
@public
def apply(programme_id: int):
    """"Jetzt bewerben": through registration (or login) straight to this programme's application."""
    programme_ = get_public_programme_or_404(programme_id)
    if programmes.application_state(programme_, utcnow()) != "open":
        flash(_("This programme does not accept applications at the moment."), "info")
        return redirect(url_for("main.programme", programme_id=programme_id))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.register", programme=programme_id))
    if current_user.role == Role.HR_LEAD:
        return redirect(url_for("hr.application", programme_id=programme_id))
    flash(_("Companies apply with the account of their HR lead. Please log out and register your company, or "
            "log in with its account."), "info")
    return redirect(url_for("main.programme", programme_id=programme_id))


def _operator() -> dict:
    config = current_app.config
    return {"name": config["OPERATOR_NAME"], "address": [line.strip() for line in
                                                         config["OPERATOR_ADDRESS"].split(";") if line.strip()],
            "email": config["OPERATOR_EMAIL"], "phone": config["OPERATOR_PHONE"],
            "representative": config["OPERATOR_REPRESENTATIVE"], "register": config["OPERATOR_REGISTER"],
            "vat_id": config["OPERATOR_VAT_ID"], "privacy_officer": config["PRIVACY_OFFICER"],
            "missing": missing_operator_settings(config)}


@bp.get("/impressum")
@public
def imprint():
    return render_template("public/imprint.html", operator=_operator())


@bp.get("/datenschutz")
@public
def privacy():
    return render_template("public/privacy.html", operator=_operator())


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("main.index")
    response = redirect(target)
    if form.validate_on_submit():
        language = form.language.data
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=int(timedelta(days=365).total_seconds()),
            httponly=True, samesite="Lax", secure=request.is_secure,
        )
        if current_user.is_authenticated:
            current_user.locale = language
            db.session.commit()
    return response


@bp.get("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/places")
@login_required
def places():
    """Municipality suggestions for the location field (JSON)."""
    from app.services import gazetteer

    query = request.args.get("q", "")[:100]
    return {"places": [{"label": p.label, "id": p.geonameid} for p in gazetteer.suggest(query, limit=8)]}


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            # This device stays logged in with the new session version; all others are logged out.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("main.account"))
    return render_template("account/account.html", form=form, logout_form=LogoutEverywhereForm())


@bp.route("/account/data", methods=["GET", "POST"])
@login_required
def personal_data():
    """Art. 15/20 GDPR: download everything Tandem holds about you (and your company) as JSON and HTML."""
    form = DataExportForm()
    if form.validate_on_submit():
        try:
            body = personal_data_service.export(current_user, form.password.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            return Response(body, mimetype="application/zip",
                            headers={"Content-Disposition": 'attachment; filename="tandem-meine-daten.zip"'})
    return render_template("account/data.html", form=form)


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    form = LogoutEverywhereForm()
    if form.validate_on_submit():
        accounts.logout_everywhere(current_user, now=utcnow())
        db.session.commit()
        flash(_("You have been logged out on all devices."), "info")
    return redirect(url_for("auth.login"))
