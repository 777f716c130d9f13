"""Forms of the matching rounds (coordinator) and of the supervisor's profile."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import MultiCheckboxField, TandemForm
from app.i18n import lazy_gettext as _l
from app.services.rounds import WEIGHT_MAX

WEIGHT_LABELS = {
    "complementarity": (_l("Complementarity"), _l("The mentor company is strong where the mentee company needs "
                                                  "help, above all on its named needs.")),
    "size": (_l("Similar size"), _l("Similar number of employees, so the same statutory options apply "
                                    "(Pflegezeit from 16, Familienpflegezeit from 26 employees).")),
    "sector": (_l("Same sector"), _l("Companies of the same sector understand each other's working hours "
                                     "and shifts.")),
    "distance": (_l("Short distance"), _l("Shorter journeys to the group meetings.")),
    "weekdays": (_l("Matching days and times"), _l("The companies can meet on the same weekdays and times.")),
    "supervisor_distance": (_l("Supervisor nearby"), _l("Supervisors close to the groups they lead.")),
    "supervisor_balance": (_l("Even load of supervisors"), _l("Groups spread evenly over the supervisors.")),
}


def _weight_field(key: str) -> IntegerField:
    label, description = WEIGHT_LABELS[key]
    return IntegerField(label, description=description, validators=[
        InputRequired(message=_l("Please enter a weight.")),
        NumberRange(min=0, max=WEIGHT_MAX, message=_l("Each weight lies between 0 and %(max)d.", max=WEIGHT_MAX))])


class RoundForm(TandemForm):
    name = StringField(_l("Name of the round"), validators=[DataRequired(), Length(max=120)])
    starts_on = DateField(_l("Start of the cycle"), validators=[InputRequired(
        message=_l("Please enter a date."))])
    cycle_months = IntegerField(_l("Length of the cycle in months"), description=_l("Between 9 and 24 months."),
                                validators=[InputRequired(message=_l("Please enter a number.")),
                                            NumberRange(min=9, max=24, message=_l(
                                                "A cycle lasts between 9 and 24 months."))])
    group_min = IntegerField(_l("Smallest group (mentee companies)"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=1, max=10, message=_l("Enter a number between 1 and 10."))])
    group_max = IntegerField(_l("Largest group (mentee companies)"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=1, max=10, message=_l("Enter a number between 1 and 10."))])
    min_maturity_gap = IntegerField(
        _l("Minimum maturity lead of the mentor (points of 100)"),
        description=_l("How far the mentor company's overall maturity must be ahead of each of its mentees."),
        validators=[InputRequired(message=_l("Please enter a number.")),
                    NumberRange(min=0, max=100, message=_l("Enter a number between 0 and 100."))])
    competitor_km = IntegerField(
        _l("Keep competitors apart (km)"),
        description=_l("Companies of the same sector closer than this never share a group. Leave empty to "
                       "switch off."),
        validators=[Optional(), NumberRange(min=1, max=200, message=_l("Enter a distance between 1 and 200 km."))])
    weight_complementarity = _weight_field("complementarity")
    weight_size = _weight_field("size")
    weight_sector = _weight_field("sector")
    weight_distance = _weight_field("distance")
    weight_weekdays = _weight_field("weekdays")
    weight_supervisor_distance = _weight_field("supervisor_distance")
    weight_supervisor_balance = _weight_field("supervisor_balance")
    is_fair = BooleanField(_l("Fairness first: raise the lowest score before the total"),
                           description=_l("No company gets a poor match so that others get better ones."))
    time_limit_s = IntegerField(_l("Time limit of the optimiser (seconds)"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=5, max=600, message=_l("Enter between 5 and 600 seconds."))])
    respond_by = DateField(_l("Companies answer by"), validators=[Optional()],
                           description=_l("HR leads accept or decline their group by this date."))
    participant_ids = MultiCheckboxField(_l("Companies taking part"), coerce=int)
    supervisor_ids = MultiCheckboxField(_l("Supervisors"), coerce=int)
    version = HiddenField()
    submit = SubmitField(_l("Save round"))

    def weights(self) -> dict[str, int]:
        return {key: self[f"weight_{key}"].data for key in WEIGHT_LABELS}


class RuleForm(TandemForm):
    kind = SelectField(_l("Decision"), choices=[SelectChoice("pin", _l("Pin: always put together")),
                                                SelectChoice("forbid", _l("Forbid: never put together"))])
    mentor = SelectField(_l("Mentor company"), coerce=int)
    mentee = SelectField(_l("Mentee company"), coerce=int)
    submit = SubmitField(_l("Add"))


class MoveForm(TandemForm):
    mentee = SelectField(_l("Mentee company"), coerce=int)
    mentor = SelectField(_l("into the group of"), coerce=int)
    submit = SubmitField(_l("Move"))


class SupervisorSwapForm(TandemForm):
    mentor = SelectField(_l("Group of"), coerce=int)
    supervisor = SelectField(_l("Supervisor"), coerce=int)
    submit = SubmitField(_l("Assign"))


class SupervisorProfileForm(TandemForm):
    municipality = StringField(
        _l("Where you are based (municipality)"), validators=[DataRequired(), Length(max=150)],
        render_kw={"list": "places", "autocomplete": "off", "data-places": "1"})
    max_groups = IntegerField(_l("Groups you can lead at the same time"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=1, max=20, message=_l("Enter between 1 and 20 groups."))])
    max_travel_km = IntegerField(_l("Farthest distance to in-person meetings (km)"), validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=5, max=500, message=_l("Enter a distance between 5 and 500 km."))])
    submit = SubmitField(_l("Save"))
