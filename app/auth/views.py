"""Logging in and out, registering a company, resetting a password, accepting an invitation."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import START_PAGES
from app.auth.forms import (
    AcceptInvitationForm,
    ConfirmRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.extensions import db
from app.models import utcnow
from app.security import public, safe_next
from app.services import accounts, login_sessions, mail
from app.services.errors import ServiceError
from app.views_common import apply_service_error, over_limit

bp = Blueprint("auth", __name__)


def start_page_url() -> str:
    return url_for(START_PAGES.get(current_user.role, "main.index"))


def _open_login_session(user, remember: bool = False) -> None:
    """Open the user's login session (flushed; the caller commits it with the login, then calls _log_in)."""
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION" if remember else "PERMANENT_SESSION_LIFETIME"]
    login_sessions.start(user, lifetime=lifetime, now=utcnow())


def _log_in(user, remember: bool = False) -> None:
    # A fresh session on login: nothing from before (a planted session) survives.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(start_page_url())
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if over_limit("login", request.remote_addr):
            abort(429)
        result = accounts.authenticate(form.email.data, form.password.data, client=request.remote_addr,
                                       now=utcnow())
        if result.user is not None:
            _open_login_session(result.user, remember=form.remember.data)
        db.session.commit()
        if result.user is not None:
            _log_in(result.user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or start_page_url())
        if result.locked_minutes:
            flash(
                _("Too many failed attempts. Please try again in %(n)d minutes or reset your password.",
                  n=result.locked_minutes),
                "danger",
            )
        else:
            flash(_("E-mail address or password is not correct."), "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        login_sessions.end(current_user, now=utcnow())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(start_page_url())
    form = RegisterForm()
    programme = _programme_to_apply(request.args.get("programme", type=int))
    if form.validate_on_submit():
        if over_limit("register", request.remote_addr):
            abort(429)
        try:
            accounts.request_registration(
                email=form.email.data,
                password=form.password.data,
                full_name=form.full_name.data,
                company_name=form.company_name.data,
                locale=str(get_locale()),
                now=utcnow(),
                programme_id=programme.id if programme else None,
            )
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            # The mail waits in the outbox for the scheduler: sending it here would take longer for one kind of
            # address than the other. The next page is the same whether or not the address has an account.
            db.session.commit()
            return redirect(url_for("auth.registration_sent"))
    return render_template("auth/register.html", form=form, programme=programme)


def _programme_to_apply(programme_id: int | None):
    """The programme whose "Jetzt bewerben" led here, if it accepts applications today."""
    from app.models import Programme
    from app.services import calendar

    programme = db.session.get(Programme, programme_id) if programme_id and 0 < programme_id < 2**31 else None
    if programme is None or not programme.accepts_applications_on(calendar.local(utcnow()).date()):
        return None
    return programme


@bp.get("/register/sent")
@public
def registration_sent():
    return render_template("auth/registration_sent.html", hours=current_app.config["REGISTRATION_HOURS"])


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_registration(token: str):
    registration = accounts.find_registration(token, now=utcnow())
    form = ConfirmRegistrationForm()
    if registration is not None and form.validate_on_submit():
        programme_id = (registration.payload or {}).get("programme_id")
        try:
            user = accounts.confirm_registration(token, form.password.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            logout_user()
            _open_login_session(user)
            db.session.commit()
            _log_in(user)
            flash(_("Welcome to Tandem! Your company account has been created."), "success")
            if isinstance(programme_id, int):
                return redirect(url_for("hr.application", programme_id=programme_id))
            return redirect(start_page_url())
    return render_template("auth/confirm_registration.html", form=form, registration=registration)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if over_limit("password_reset", request.remote_addr):
            abort(429)
        now = utcnow()
        # Past the limit of mails to one address the answer stays the same, only no mail goes out.
        issued = None
        if not over_limit("reset_mail", form.email.data.strip().lower()):
            issued = accounts.start_password_reset(form.email.data, now=now)
        if issued is not None:
            user, raw = issued
            mail.queue_mail(
                user.email,
                "password_reset",
                locale=user.locale,
                now=now,
                user=user,
                link=url_for("auth.reset_password", token=raw, _external=True),
            )
        db.session.commit()
        # The mail waits in the outbox for the scheduler (TANDEM_SCHEDULER_TICK): sent here, it would make the
        # answer for a known address slower than for an unknown one. The same answer either way: nobody learns
        # who is registered.
        flash(
            _("If an account exists for this address, we have sent a link to set a new password. "
              "It is valid for two hours."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your new password is saved. Please log in with it."), "success")
            return redirect(url_for("auth.login"))
    valid = accounts.reset_token_is_valid(token, now=utcnow())
    return render_template("auth/reset_password.html", form=form, valid=valid)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    invitation = accounts.find_invitation(token, now=utcnow())
    form = AcceptInvitationForm()
    if invitation is not None and form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                token,
                full_name=form.full_name.data,
                password=form.password.data,
                locale=str(get_locale()),
                now=utcnow(),
            )
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            _open_login_session(user)
            db.session.commit()
            _log_in(user)
            flash(_("Welcome to Tandem! Your account has been created."), "success")
            return redirect(start_page_url())
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
