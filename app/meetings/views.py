"""Group sessions: a meeting's page (move, cancel), the private calendar feed, and its link on the account."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import maturity
from app.access import get_group_or_404, get_meeting_or_404, may_change_meetings
from app.extensions import db
from app.forms import CONTROL_CHARS, ConfirmForm
from app.i18n import lazy_gettext as _l
from app.meetings.forms import AmendForm, CancelForm, FeedbackForm, MeasureForm, MoveForm
from app.models import Application, Attendance, Feedback, Measure, Role, SessionRecord, utcnow
from app.security import login_required, public, role_required
from app.services import calendar, mail, meetings, sessions
from app.services.errors import ServiceError
from app.views_common import apply_service_error

bp = Blueprint("meetings", __name__)
MEASURE_ROWS = 3
ATTENDANCE_ROWS = 3  # per company
FUNCTION_LABELS = {"hr": _l("HR"), "management": _l("Management"), "works_council": _l("Works council"),
                   "staff": _l("Staff")}


def _render(meeting, move_form: MoveForm, cancel_form: CancelForm, record_error: str | None = None,
            amend_form: AmendForm | None = None, feedback_form: FeedbackForm | None = None):
    now = utcnow()
    starts = calendar.local(meeting.starts_at)
    if not move_form.is_submitted():
        move_form.starts_on.data, move_form.starts_at.data = starts.date(), starts.time()
    record = db.session.get(SessionRecord, meeting.id, options=[
        selectinload(SessionRecord.attendance).joinedload(Attendance.application).joinedload(Application.company),
        selectinload(SessionRecord.amendments)])
    recording = sessions.may_record(current_user, meeting)
    editing = recording and record is not None and sessions.editable(meeting, now)
    note = None
    if editing:
        note = sessions.read_confidential(meeting, current_user, now)  # the author's own read is audited too
        db.session.commit()
    # Asked last and only where the link is shown: may_read_confidential queries the note.
    may_read_note = record is not None and not editing and sessions.may_read_confidential(current_user, meeting)
    given = db.session.scalar(select(Feedback.id).where(Feedback.meeting_id == meeting.id,
                                                        Feedback.user_id == current_user.id))
    return render_template(
        "meetings/detail.html", meeting=meeting, starts=starts, ends=calendar.local(meeting.ends_at),
        move_form=move_form, cancel_form=cancel_form, may_change=may_change_meetings(meeting.group, current_user),
        record=record, recording=recording, begun=meeting.starts_at <= now, editable=sessions.editable(meeting, now),
        note=note, may_read_note=may_read_note,
        measures=[m for m in sessions.visible_measures(current_user, meeting.group) if m.meeting_id == meeting.id],
        minutes=sessions.render_markdown(record.minutes) if record else None, render=sessions.render_markdown,
        record_error=record_error, amend_form=amend_form or AmendForm(formdata=None, prefix="amend"),
        feedback_form=feedback_form or FeedbackForm(formdata=None, prefix="feedback"),
        may_give_feedback=(current_user.role == Role.HR_LEAD and record is not None and record.outcome == "held"
                           and not given),
        summary=sessions.feedback_summary([meeting.id]) if current_user.role != Role.HR_LEAD else None,
        functions=FUNCTION_LABELS, topics=maturity.TOPICS, confirm_form=ConfirmForm())


@bp.get("/meetings/<int:meeting_id>")
@role_required(Role.HR_LEAD, Role.COLLEAGUE, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
def detail(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    return _render(meeting, MoveForm(prefix="move"), CancelForm(prefix="cancel"))


def _change(meeting_id: int, form_class, action, success: str):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    if not may_change_meetings(meeting.group, current_user):
        abort(403)
    form = form_class(prefix="move" if form_class is MoveForm else "cancel")
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
    forms = {"move": MoveForm(formdata=None, prefix="move"), "cancel": CancelForm(formdata=None, prefix="cancel")}
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


def _present_from_form(form) -> list[sessions.PersonPresent]:
    present = []
    for key, name in form.items():
        parts = key.split("-")
        if len(parts) == 4 and parts[0] == "att" and parts[3] == "name" and name.strip():
            function = form.get(f"att-{parts[1]}-{parts[2]}-function", "")
            try:
                present.append(sessions.PersonPresent(int(parts[1]), name, function))
            except ValueError:
                continue
    return present


def _measures_from_form(form) -> list[sessions.NewMeasure]:
    found = []
    for i in range(MEASURE_ROWS):
        title = form.get(f"measure-{i}-title", "").strip()
        if not title:
            continue
        try:
            application_id = int(form.get(f"measure-{i}-company", ""))
        except ValueError:
            application_id = 0
        due = form.get(f"measure-{i}-due", "").strip()
        try:
            due_on = date.fromisoformat(due) if due else None
        except ValueError:
            raise ServiceError(_("Please enter the due date as a date.")) from None
        found.append(sessions.NewMeasure(application_id, title, form.get(f"measure-{i}-owner", ""), due_on))
    return found


@bp.post("/meetings/<int:meeting_id>/record")
@role_required(Role.SUPERVISOR)
def record(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    if not sessions.may_record(current_user, meeting):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    form = request.form
    if any(CONTROL_CHARS.search(value) for value in form.values()):
        return _render(meeting, MoveForm(formdata=None, prefix="move"), CancelForm(formdata=None, prefix="cancel"),
                       record_error=_("The text contains characters that are not allowed.")), 200
    try:
        sessions.record_session(
            meeting, outcome=form.get("outcome", ""), questions=form.get("questions", "")[:10000],
            topics=[t for t in form.getlist("topics") if t in maturity.TOPICS], minutes=form.get("minutes", "")[:50000],
            present=_present_from_form(form), measures=_measures_from_form(form),
            confidential=form.get("confidential", "")[:20000], actor=current_user, now=utcnow())
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _render(meeting, MoveForm(formdata=None, prefix="move"), CancelForm(formdata=None, prefix="cancel"),
                       record_error=str(exc.message)), 200
    flash(_("The session has been recorded. The companies of the group can read the minutes."), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/amend")
@role_required(Role.SUPERVISOR)
def amend(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    if not sessions.may_record(current_user, meeting):
        abort(403)
    form = AmendForm(prefix="amend")
    if form.validate_on_submit():
        try:
            sessions.amend(meeting, form.body.data, actor=current_user, now=utcnow())
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            flash(_("The amendment has been added."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return _render(meeting, MoveForm(formdata=None, prefix="move"), CancelForm(formdata=None, prefix="cancel"), amend_form=form), 200


@bp.get("/meetings/<int:meeting_id>/confidential")
@role_required(Role.SUPERVISOR, Role.COORDINATOR)
def confidential(meeting_id: int):
    """The confidential note; each read is written to the audit log."""
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    if not sessions.may_read_confidential(current_user, meeting):
        abort(403)
    note = sessions.read_confidential(meeting, current_user, utcnow())
    db.session.commit()
    return render_template("meetings/confidential.html", meeting=meeting, note=note,
                           body=sessions.render_markdown(note.body) if note else None)


@bp.post("/meetings/<int:meeting_id>/feedback")
@role_required(Role.HR_LEAD)
def feedback(meeting_id: int):
    meeting = get_meeting_or_404(meeting_id, for_user=current_user)
    form = FeedbackForm(prefix="feedback")
    if form.validate_on_submit():
        try:
            sessions.give_feedback(meeting, current_user, form.rating.data, form.comment.data or "", now=utcnow())
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            flash(_("Thank you for your feedback."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return _render(meeting, MoveForm(formdata=None, prefix="move"), CancelForm(formdata=None, prefix="cancel"), feedback_form=form), 200


@bp.post("/measures/<int:measure_id>")
@role_required(Role.HR_LEAD)
def update_measure(measure_id: int):
    measure = db.session.get(Measure, measure_id)
    if measure is None:
        abort(404)
    group = get_group_or_404(measure.group_id, for_user=current_user)
    form = MeasureForm()
    if form.validate_on_submit():
        try:
            sessions.update_measure(measure, form.status.data, form.comment.data or "", actor=current_user,
                                    now=utcnow())
            db.session.commit()
            flash(_("The measure has been updated."), "success")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
    else:
        flash(_("Please choose a status."), "danger")
    return redirect(url_for("groups.detail", group_id=group.id, _anchor="measures"))


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
