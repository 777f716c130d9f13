from wtforms import (
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
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


class OrganisationForm(TandemForm):
    """An organisation: carrier, partner or funder of programmes."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter the organisation's name.")),
                                               Length(max=200)],
                       description=_l("As the organisation writes it, e.g. „Wirtschaftsförderung Kreis Borken“."))
    kind = SelectField(_l("Kind of organisation"),
                       validators=[DataRequired(message=_l("Please choose what kind of organisation this is."))])
    address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=500)],
                            description=_l("Street, postcode and town, as on a letter."))
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          description=_l("Shown on the programme's public page, e.g. www.example.de."))
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)],
                               description=_l("Whom companies and partners can ask. Leave empty if nobody is named."))
    contact_email = EmailField(_l("Contact e-mail address"), validators=[
        Optional(), Length(max=254), Email(message=_l("Please enter a valid e-mail address."))])
    contact_phone = StringField(_l("Contact phone number"), validators=[Optional(), Length(max=50)])
    submit = SubmitField(_l("Save organisation"))


class NewProgrammeForm(TandemForm):
    name = StringField(_l("Name of the programme"), validators=[
        DataRequired(message=_l("Please enter the programme's name.")), Length(max=200)],
        description=_l("Companies see this name on the public start page."))
    region = StringField(_l("Region"), validators=[DataRequired(message=_l("Please enter the region.")),
                                                   Length(max=200)],
                         description=_l("The district or city and its surroundings, e.g. „Kreis Borken“."))
    state_code = SelectField(_l("Federal state"), validators=[
        DataRequired(message=_l("Please choose the federal state."))],
        description=_l("Its public holidays are kept free of group sessions."))
    carrier_id = SelectField(_l("Carrier"), coerce=int, validators=[Optional()],
                             description=_l("The organisation that runs the programme. Record it first under "
                                            "Organisations if it is missing."))
    submit = SubmitField(_l("Create programme"))


class CarrierForm(TandemForm):
    carrier_id = SelectField(_l("Carrier"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save carrier"))


class PartnerForm(TandemForm):
    organisation = SelectField(_l("Organisation"), coerce=int, validators=[
        DataRequired(message=_l("Please choose an organisation."))])
    role = SelectField(_l("Role in the programme"), validators=[
        DataRequired(message=_l("Please choose the organisation's role in the programme."))])
    note = StringField(_l("What it contributes (optional)"), validators=[Optional(), Length(max=500)],
                       description=_l("One sentence for the public page, e.g. „berät Beschäftigte zur Pflege“."))
    submit = SubmitField(_l("Add partner"))


class CoordinatorForm(TandemForm):
    email = EmailField(_l("E-mail address of the coordinator"), validators=[
        DataRequired(message=_l("Please enter an e-mail address.")), Length(max=254),
        Email(message=_l("Please enter a valid e-mail address."))],
        description=_l("An existing coordinator is added at once; anyone else gets an invitation by e-mail."))
    submit = SubmitField(_l("Add coordinator"))
