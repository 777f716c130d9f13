from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import TandemForm, plausible_date
from app.i18n import lazy_gettext as _l


class InviteForm(TandemForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254), Email(message=_l("Please enter a valid e-mail address."))],
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    programmes = SelectMultipleField(
        _l("Programmes (for coordinators)"), coerce=int, validate_choice=True,
        description=_l("A coordinator sees and runs only the programmes chosen here."),
    )
    submit = SubmitField(_l("Send invitation"))


class AuditFilterForm(TandemForm):
    """The audit log's filters (GET, changes nothing)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Person (e-mail)"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From"), validators=[Optional(), plausible_date])
    until = DateField(_l("Until"), validators=[Optional(), plausible_date])
