"""Forms of the programme coordinator."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app import maturity, taxonomy
from app.forms import TandemForm, plausible_date
from app.i18n import lazy_gettext as _l


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
