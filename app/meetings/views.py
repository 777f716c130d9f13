"""Group sessions: a meeting's page (move, cancel), the private calendar feed, and its link on the account."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.access import get_meeting_or_404, may_change_meetings
from app.extensions import db
from app.meetings.forms import CancelForm, MoveForm
from app.models import Role, utcnow
from app.security import login_required, public, role_required
from app.services import calendar, mail, meetings
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("meetings", __name__)


def _render(meeting, move_form: MoveForm, cancel_form: CancelForm):
    starts = calendar.local(meeting.starts_at)
    if not move_form.is_submitted():
        move_form.starts_on.data, move_form.starts_at.data = starts.date(), starts.time()
    return render_template("meetings/detail.html", meeting=meeting, starts=starts,
                           ends=calendar.local(meeting.ends_at), move_form=move_form, cancel_form=cancel_form,
                           may_change=may_change_meetings(meeting.group, current_user))


@bp.get("/meetings/<int:meeting_id>")
@role_required(Role.HR_LEAD, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def detail(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    return _render(meeting, MoveForm(), CancelForm())


def _change(meeting_id: int, form_class, action, success: str):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    if not may_change_meetings(meeting.group, current_user):
        abort(403)
    form = form_class()
    if form.validate_on_submit():
        now = utcnow()
        try:
            sent = action(meeting, form, now)
            db.session.commit()
        except (ServiceError, StaleDataError) as exc:
            db.session.rollback()
            if isinstance(exc, StaleDataError):
                exc = ServiceError(_("Someone else changed this meeting meanwhile. Please look at it again."))
            apply_service_error(form, exc)
        else:
            mail.deliver_due(now, ids=[m.id for m in sent])
            flash(success, "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    forms = {"move": MoveForm(formdata=None), "cancel": CancelForm(formdata=None)}
    forms["move" if form_class is MoveForm else "cancel"] = form
    return _render(meeting, forms["move"], forms["cancel"]), 200


@bp.post("/meetings/<int:meeting_id>/move")
@role_required(Role.HR_LEAD, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def move(meeting_id: int):
    return _change(meeting_id, MoveForm, lambda m, f, now: meetings.move_meeting(
        m, datetime.combine(f.starts_on.data, f.starts_at.data), actor=current_user, now=now),
        _("The meeting has been moved. Participants of a confirmed meeting receive the new time."))


@bp.post("/meetings/<int:meeting_id>/cancel")
@role_required(Role.HR_LEAD, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def cancel(meeting_id: int):
    return _change(meeting_id, CancelForm, lambda m, f, now: meetings.cancel_meeting(
        m, f.reason.data, actor=current_user, now=now),
        _("The meeting has been cancelled. The participants have been informed."))


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """A person's private calendar feed; the secret link is the only key (it can be replaced or revoked)."""
    user = meetings.user_for_feed(token)
    if user is None:
        abort(404)
    body = calendar.feed(meetings.meetings_for(user), now=utcnow(), name=f"Tandem – {user.full_name}")
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


@bp.post("/account/calendar")
@login_required
def issue_feed():
    token = meetings.issue_feed_token(current_user)
    db.session.commit()
    flash(_("Your calendar link: %(link)s – keep it to yourself; anyone with the link sees your meetings.",
            link=url_for("meetings.feed", token=token, _external=True)), "success")
    return redirect(url_for("main.account"))


@bp.post("/account/calendar/revoke")
@login_required
def revoke_feed():
    meetings.revoke_feed_token(current_user)
    db.session.commit()
    flash(_("Your calendar link no longer works."), "success")
    return redirect(url_for("main.account"))
