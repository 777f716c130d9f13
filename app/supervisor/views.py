"""The supervisor's pages: their groups, and where they are based and how many groups they can lead."""
from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.forms import ConfirmForm
from app.meetings.forms import AbsenceForm, AvailabilityForm
from app.models import (
    Application,
    GroupMember,
    GroupStatus,
    MeetingStatus,
    MentoringGroup,
    Role,
    SupervisorAbsence,
    SupervisorProfile,
    utcnow,
)
from app.rounds.forms import SupervisorProfileForm
from app.security import role_required
from app.services import calendar, meetings, rounds
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/")
@role_required(Role.SUPERVISOR)
def start():
    groups = db.session.scalars(select(MentoringGroup).where(
        MentoringGroup.supervisor_id == current_user.id, MentoringGroup.status == GroupStatus.ACTIVE)
        .order_by(MentoringGroup.starts_on, MentoringGroup.id)
        .options(selectinload(MentoringGroup.meetings), joinedload(MentoringGroup.programme),
                 selectinload(MentoringGroup.members).joinedload(GroupMember.application)
                 .joinedload(Application.company))).all()
    profile = db.session.get(SupervisorProfile, current_user.id)
    now = utcnow()
    confirmed = [m for g in groups for m in g.meetings if m.status == MeetingStatus.CONFIRMED]
    upcoming = sorted((m for m in confirmed if m.ends_at >= now), key=lambda m: m.starts_at)[:6]
    past = sorted((m for m in confirmed if m.ends_at < now), key=lambda m: m.starts_at, reverse=True)[:10]
    return render_template("supervisor/start.html", groups=groups, profile=profile, upcoming=upcoming, past=past,
                           overdue=lambda m: m.notes_recorded_at is None and m.ends_at < now - meetings.NUDGE_AFTER,
                           local=calendar.local)


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
    return _profile_page(form)


def _profile_page(form, availability=None, absence=None):
    windows = meetings.windows_of(current_user)
    availability = availability or AvailabilityForm(formdata=None, prefix="times")
    if windows and not availability.is_submitted():
        availability.weekdays.data = [w.weekday for w in windows]
        availability.starts.data, availability.ends.data = windows[0].starts, windows[0].ends
    elif not availability.is_submitted():
        availability.weekdays.data = [0, 1, 2, 3, 4]
        availability.starts.data, availability.ends.data = time(8, 30), time(18, 0)
    return render_template("supervisor/profile.html", form=form, availability=availability,
                           absence=absence or AbsenceForm(formdata=None, prefix="absence"), absences=meetings.absences_of(current_user),
                           has_windows=bool(windows), confirm_form=ConfirmForm())


@bp.post("/availability")
@role_required(Role.SUPERVISOR)
def availability():
    form = AvailabilityForm(prefix="times")
    if form.validate_on_submit():
        try:
            meetings.save_windows(current_user, form.weekdays.data or [], form.starts.data, form.ends.data)
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your times have been saved."), "success")
            return redirect(url_for("supervisor.profile"))
    return _profile_page(SupervisorProfileForm(obj=db.session.get(SupervisorProfile, current_user.id)),
                         availability=form), 200


@bp.post("/absences")
@role_required(Role.SUPERVISOR)
def add_absence():
    form = AbsenceForm(prefix="absence")
    if form.validate_on_submit():
        try:
            meetings.add_absence(current_user, form.starts_on.data, form.ends_on.data, form.note.data, now=utcnow())
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The absence has been saved. Meetings already confirmed stay; move them if needed."), "success")
            return redirect(url_for("supervisor.profile"))
    return _profile_page(SupervisorProfileForm(obj=db.session.get(SupervisorProfile, current_user.id)),
                         absence=form), 200


@bp.post("/absences/<int:absence_id>/delete")
@role_required(Role.SUPERVISOR)
def delete_absence(absence_id: int):
    absence = db.session.get(SupervisorAbsence, absence_id)
    if absence is None or absence.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        db.session.delete(absence)
        db.session.commit()
        flash(_("Removed."), "success")
    return redirect(url_for("supervisor.profile"))
