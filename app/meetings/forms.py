"""Forms for group sessions and the supervisor's availability."""
from __future__ import annotations

from wtforms import DateField, SelectChoice, SelectField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import MultiCheckboxField, TandemForm
from app.i18n import lazy_gettext as _l
from app.taxonomy import WEEKDAYS


class MoveForm(TandemForm):
    starts_on = DateField(_l("New date"), validators=[InputRequired(message=_l("Please enter a date."))])
    starts_at = TimeField(_l("Start time"), validators=[InputRequired(message=_l("Please enter a time."))])
    submit = SubmitField(_l("Move meeting"))


class CancelForm(TandemForm):
    reason = TextAreaField(_l("Reason (the participants read it)"), validators=[DataRequired(
        message=_l("Please give a reason for the participants.")), Length(max=2000)])
    submit = SubmitField(_l("Cancel meeting"))


class AvailabilityForm(TandemForm):
    weekdays = MultiCheckboxField(_l("Days on which you can lead group sessions"), coerce=int,
                                  choices=[SelectChoice(k, v) for k, v in WEEKDAYS.items()])
    starts = TimeField(_l("From"), validators=[InputRequired(message=_l("Please enter a time."))])
    ends = TimeField(_l("Until"), validators=[InputRequired(message=_l("Please enter a time."))])
    submit = SubmitField(_l("Save times"))


class AbsenceForm(TandemForm):
    starts_on = DateField(_l("Absent from"), validators=[InputRequired(message=_l("Please enter a date."))])
    ends_on = DateField(_l("until"), validators=[InputRequired(message=_l("Please enter a date."))])
    note = SelectField(_l("Kind"), choices=[SelectChoice("holiday", _l("Holiday")),
                                            SelectChoice("other", _l("Other"))])
    submit = SubmitField(_l("Add absence"))


class AmendForm(TandemForm):
    body = TextAreaField(_l("Amendment to the minutes"), validators=[DataRequired(
        message=_l("Please write the amendment.")), Length(max=10000)])
    submit = SubmitField(_l("Add amendment"))


class FeedbackForm(TandemForm):
    rating = SelectField(_l("How helpful was this session for your company?"), coerce=int,
                         choices=[SelectChoice(5, _l("5 – very helpful")), SelectChoice(4, "4"),
                                  SelectChoice(3, "3"), SelectChoice(2, "2"),
                                  SelectChoice(1, _l("1 – not helpful"))])
    comment = TextAreaField(_l("Comment (optional; the supervisor sees it only together with the others)"),
                            validators=[Length(max=2000)])
    submit = SubmitField(_l("Send feedback"))


class MeasureForm(TandemForm):
    status = SelectField(_l("Status"), choices=[SelectChoice("open", _l("open")),
                                                SelectChoice("in_progress", _l("in progress")),
                                                SelectChoice("done", _l("done")),
                                                SelectChoice("dropped", _l("dropped"))])
    comment = TextAreaField(_l("Short comment"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))
