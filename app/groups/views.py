"""Mentoring groups: the group page for its companies' HR leads, its supervisor and the coordinators."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import maturity, taxonomy
from app.access import get_declined_place, get_group_or_404, may_change_meetings
from app.extensions import db
from app.forms import ConfirmForm
from app.groups.forms import ResponseForm
from app.meetings.forms import MeasureForm
from app.models import Response, Role, utcnow
from app.security import role_required
from app.services import calendar, cycles, mail, rounds, sessions
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("groups", __name__, url_prefix="/groups")


def _own_member(group):
    """The HR lead's own company in the group (None for other roles)."""
    if current_user.role != Role.HR_LEAD:
        return None
    return next((m for m in group.members if m.application.company_id == current_user.company_id), None)


def _render(group, form: ResponseForm):
    own = _own_member(group)
    profiles = []
    for member in group.members:
        company = member.application.company
        assessment = next((a for a in reversed(company.assessments) if a.is_complete), None)
        profiles.append({"member": member, "company": company, "application": member.application,
                         "assessment": assessment})
    deadline_passed = group.round.respond_by is not None and utcnow().date() > group.round.respond_by
    own_ids = sessions.own_application_ids(current_user, group)
    measures = sessions.visible_measures(current_user, group)
    return render_template("groups/detail.html", group=group, profiles=profiles, own=own, form=form,
                           measures=measures, own_ids=own_ids, measure_form=MeasureForm(formdata=None),
                           may_set_sharing=may_change_meetings(group, current_user), confirm_form=ConfirmForm(),
                           taxonomy=taxonomy, maturity=maturity, deadline_passed=deadline_passed, local=calendar.local,
                           Response=Response, certificates=cycles.readable_certificates(current_user, group))


@bp.get("/")
@role_required(Role.COLLEAGUE)
def mine():
    """A colleague's start page: the mentoring groups of their company."""
    memberships = rounds.memberships(current_user.company)
    return render_template("groups/mine.html", memberships=memberships)


@bp.get("/<int:group_id>")
@role_required(Role.HR_LEAD, Role.COLLEAGUE, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def detail(group_id: int):
    declined = get_declined_place(group_id, for_user=current_user)
    if declined is not None:
        # The company declined: only that, its own answer, and whom to ask; nothing of the group's other companies.
        return render_template("groups/declined.html", group=declined.group, place=declined)
    group = get_group_or_404(group_id, for_user=current_user)
    return _render(group, ResponseForm())


@bp.post("/<int:group_id>/sharing")
@role_required(Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def sharing(group_id: int):
    """Record what the group agreed: whether its companies see each other's measures."""
    group = get_group_or_404(group_id, for_user=current_user)
    if not may_change_meetings(group, current_user):
        abort(403)
    if ConfirmForm().validate_on_submit():
        group.shares_measures = not group.shares_measures
        db.session.commit()
        flash(_("The companies now see each other's measures.") if group.shares_measures else
              _("Each company now sees only its own measures."), "success")
    return redirect(url_for("groups.detail", group_id=group.id, _anchor="measures"))


@bp.post("/<int:group_id>/respond")
@role_required(Role.HR_LEAD)
def respond(group_id: int):
    if get_declined_place(group_id, for_user=current_user) is not None:
        return redirect(url_for("groups.detail", group_id=group_id))  # a second click on "Decline", for example
    group = get_group_or_404(group_id, for_user=current_user)
    member = _own_member(group)
    if member is None:
        abort(404)
    form = ResponseForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            mails = rounds.respond(member, accept=bool(form.accept.data), reason=form.reason.data or "",
                                   actor=current_user, now=now)
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            mail.deliver_due(now, ids=[m.id for m in mails])
            flash(_("Thank you: your company takes part in this group.") if form.accept.data else
                  _("Your answer has been passed on to the programme coordination."), "success")
            return redirect(url_for("groups.detail", group_id=group.id))
    return _render(group, form), 200
