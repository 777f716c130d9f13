"""The supervisor's pages: their groups, and where they are based and how many groups they can lead."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import GroupStatus, MentoringGroup, Role, SupervisorProfile, utcnow
from app.rounds.forms import SupervisorProfileForm
from app.security import role_required
from app.services import rounds
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/")
@role_required(Role.SUPERVISOR)
def start():
    groups = db.session.scalars(select(MentoringGroup).where(
        MentoringGroup.supervisor_id == current_user.id, MentoringGroup.status == GroupStatus.ACTIVE)
        .order_by(MentoringGroup.starts_on, MentoringGroup.id)).all()
    profile = db.session.get(SupervisorProfile, current_user.id)
    return render_template("supervisor/start.html", groups=groups, profile=profile)


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.SUPERVISOR)
def profile():
    current = db.session.get(SupervisorProfile, current_user.id)
    form = SupervisorProfileForm(obj=current if request.method == "GET" else None)
    if request.method == "GET" and current is None:
        form.max_groups.data, form.max_travel_km.data = 4, 80
    if form.validate_on_submit():
        try:
            rounds.save_supervisor_profile(current_user, form.municipality.data, form.max_groups.data,
                                           form.max_travel_km.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved. The programme coordination can now plan groups with you."), "success")
            return redirect(url_for("supervisor.start"))
    return render_template("supervisor/profile.html", form=form)
