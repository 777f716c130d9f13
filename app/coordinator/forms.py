"""Forms of the programme coordinator."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from app import maturity, taxonomy
from app.forms import TandemForm, plausible_date
from app.i18n import lazy_gettext as _l
from app.services.programmes import DESCRIPTION_MAX, LIMITS, NOTE_MAX


def _options(mapping, anything) -> list[SelectChoice]:
    return [SelectChoice("", anything)] + [SelectChoice(str(k), v) for k, v in mapping.items()]


class FilterForm(TandemForm):
    """The filters above the application list (GET, no CSRF needed: it changes nothing)."""

    class Meta:
        csrf = False

    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])
    size = SelectField(_l("Size"), validators=[Optional()])
    level = SelectField(_l("Level"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, *args, statuses, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _options(roles, _l("all"))
        self.status.choices = _options(statuses, _l("all"))
        self.sector.choices = _options(taxonomy.SECTORS, _l("all"))
        self.size.choices = _options(taxonomy.HEADCOUNT_BANDS, _l("all"))
        self.level.choices = _options({lv.key: lv.label for lv in maturity.OVERALL_LEVELS}, _l("all"))
        self.sort.choices = [SelectChoice("name", _l("Name")), SelectChoice("submitted", _l("Submitted on")),
                             SelectChoice("score", _l("Maturity score"))]

    def filters(self) -> dict[str, str]:
        """Only values from the offered choices; anything else is ignored."""
        result = {}
        for name in ("role", "status", "sector", "size", "level", "sort"):
            value = self[name].data or ""
            allowed = {str(c.value) for c in self[name].choices}
            result[name] = value if value in allowed else ""
        result["sort"] = result["sort"] or "name"
        return result


class DecisionForm(TandemForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired(message=_l("Please choose a decision."))],
                          choices=[SelectChoice("approve", _l("Approve")),
                                   SelectChoice("request_changes", _l("Send back for changes")),
                                   SelectChoice("reject", _l("Reject"))])
    reason = TextAreaField(_l("Reason / message to the company"), validators=[Optional(), Length(max=4000)],
                           description=_l("Required when sending back or rejecting. The HR lead receives it by "
                                          "e-mail."))
    submit = SubmitField(_l("Save decision"))


class ProposalForm(TandemForm):
    accept = SubmitField(_l("Accept changes"))
    reject = SubmitField(_l("Discard changes"))


class ImportForm(TandemForm):
    file = FileField(_l("File (CSV or Excel .xlsx)"), validators=[
        FileRequired(message=_l("Please choose a file.")),
        FileSize(max_size=5 * 1024 * 1024, message=_l("The file is larger than 5 MB. Please split it.")),
    ])
    submit = SubmitField(_l("Check file"))


class PeriodForm(TandemForm):
    """The dashboard's period (GET, changes nothing)."""

    class Meta:
        csrf = False

    since = DateField(_l("From"), validators=[Optional(), plausible_date])
    until = DateField(_l("Until"), validators=[Optional(), plausible_date])


class GroupsFilterForm(TandemForm):
    """The groups overview's order and filter (GET, changes nothing)."""

    class Meta:
        csrf = False

    sort = SelectField(_l("Sort by"), validators=[Optional()],
                       choices=[SelectChoice("attention", _l("Needs attention first")),
                                SelectChoice("start", _l("Start date")),
                                SelectChoice("mentor", _l("Mentor company"))])
    attention = BooleanField(_l("Only groups that need attention"))

    def chosen_sort(self) -> str:
        """The sort asked for if it is one offered, else the default (needs attention first)."""
        return self.sort.data if self.sort.data in {c.value for c in self.sort.choices} else "attention"


def _number(label, low: int, high: int, description) -> IntegerField:
    return IntegerField(label, description=description, validators=[
        InputRequired(message=_l("Please enter a number.")),
        NumberRange(min=low, max=high, message=_l("Please enter a whole number between %(low)d and %(high)d.",
                                                  low=low, high=high))])


class ProgrammeSettingsForm(TandemForm):
    """Every setting of a programme, each with a sentence for the coordinator."""

    description = TextAreaField(
        _l("Description for the public page"), validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        render_kw={"rows": 8},
        description=_l("Companies read this before they apply: what the programme offers, for whom, and what it "
                       "asks of them. Blank lines start a new paragraph; **bold** and lists with a leading - work."))
    contact_name = StringField(
        _l("Contact person"), validators=[Optional(), Length(max=200)],
        description=_l("Named on the public page as the person companies can ask."))
    contact_email = EmailField(
        _l("Contact e-mail address"),
        validators=[Optional(), Length(max=254), Email(message=_l("Please enter a valid e-mail address."))])
    contact_phone = StringField(_l("Contact phone number"), validators=[Optional(), Length(max=50)])
    applications = RadioField(
        _l("Application period"), choices=[SelectChoice("open", _l("Open")), SelectChoice("closed", _l("Closed"))],
        validators=[InputRequired(message=_l("Please choose whether companies may apply."))],
        description=_l("While open, the programme is listed on the public start page and companies can apply."))
    applications_open_from = DateField(
        _l("Open from (optional)"), validators=[Optional(), plausible_date],
        description=_l("Leave empty to open at once."))
    applications_open_until = DateField(
        _l("Open until (optional)"), validators=[Optional(), plausible_date],
        description=_l("The last day on which companies can apply. Leave empty to keep applications open."))
    mentor_min_overall = _number(
        _l("Mentor companies: lowest overall maturity (0 to 100)"), *LIMITS["mentor_min_overall"],
        _l("A mentor applicant below this is marked for you on the list of applications."))
    mentor_min_dimension = _number(
        _l("Mentor companies: lowest level in the areas they offer (0 to 4)"), *LIMITS["mentor_min_dimension"],
        _l("A mentor should be at least this good where it wants to help others."))
    cadence_weeks = _number(
        _l("Group sessions every … weeks"), *LIMITS["cadence_weeks"],
        _l("How often a group meets when you plan its sessions."))
    meeting_minutes = _number(
        _l("Length of a group session (minutes)"), *LIMITS["meeting_minutes"],
        _l("Used for the calendar invitations."))
    travel_buffer_minutes = _number(
        _l("Travel time between two sessions of a supervisor (minutes)"), *LIMITS["travel_buffer_minutes"],
        _l("Sessions of the same supervisor are planned at least this far apart."))
    reminder_days = StringField(
        _l("Reminders (days before a session)"), validators=[Optional(), Length(max=30)],
        description=_l("Up to three numbers separated by commas, e.g. 7, 1: a reminder a week and a day before. "
                       "Leave empty to send no reminders."))
    retention_months = _number(
        _l("Keep session details after a cycle ends (months)"), *LIMITS["retention_months"],
        _l("Then confidential notes and attendance details are deleted; the counts for the funder stay."))
    default_group_min = _number(
        _l("New rounds: smallest group (mentee companies)"), *LIMITS["default_group_min"],
        _l("Every new matching round starts with this; you can change it per round."))
    default_group_max = _number(
        _l("New rounds: largest group (mentee companies)"), *LIMITS["default_group_max"],
        _l("Every new matching round starts with this; you can change it per round."))
    default_cycle_months = _number(
        _l("New rounds: length of the cycle (months)"), *LIMITS["default_cycle_months"],
        _l("Between 9 and 24 months."))
    is_esf_plus = BooleanField(
        _l("Funded by the European Social Fund Plus (ESF Plus)"),
        description=_l("Then the funder report counts participants as ESF Plus requires."))
    funding_project_number = StringField(
        _l("Project number of the funder (optional)"), validators=[Optional(), Length(max=60)],
        description=_l("For your reports; it is not shown publicly."))
    funding_note = TextAreaField(
        _l("Funding note for the public page"), validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw={"rows": 3},
        description=_l("Shown at the foot of the public page, e.g. „Gefördert durch das Land NRW und die "
                       "Europäische Union.“"))
    version = HiddenField()
    submit = SubmitField(_l("Save settings"))


class SupervisorInviteForm(TandemForm):
    """A supervisor for the programme: an existing account is added at once, anyone else invited by mail."""

    email = EmailField(_l("E-mail address of the supervisor"), validators=[
        InputRequired(message=_l("Please enter an e-mail address.")), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address, for example name@beratung.de."))],
        description=_l("A supervisor who already has an account is added at once and told by e-mail; anyone else "
                       "gets an invitation to create one."))
    max_groups = IntegerField(_l("Most groups of this programme at the same time"), validators=[
        InputRequired(message=_l("Please enter how many groups the supervisor leads at most.")),
        NumberRange(min=0, max=20, message=_l("Please enter a whole number of groups between 0 and 20."))],
        description=_l("What you agreed with the supervisor. Groups they lead in other programmes also count "
                       "against the limit they set themselves."))
    submit = SubmitField(_l("Add supervisor"))


class SupervisorCapacityForm(TandemForm):
    max_groups = IntegerField(_l("Groups at the same time"), validators=[
        InputRequired(message=_l("Please enter how many groups the supervisor leads at most.")),
        NumberRange(min=0, max=20, message=_l("Please enter a whole number of groups between 0 and 20."))])
    submit = SubmitField(_l("Save"))
