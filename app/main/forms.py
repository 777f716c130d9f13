from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length

from app.auth.forms import confirm_password_field, new_password_field
from app.forms import TandemForm
from app.i18n import lazy_gettext as _l


class LanguageForm(TandemForm):
    language = SelectField(choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")], validators=[AnyOf(["de", "en"])])
    next = HiddenField(validators=[Length(max=500)])


class ChangePasswordForm(TandemForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])
    password = new_password_field()
    password_confirm = confirm_password_field()
    submit = SubmitField(_l("Change password"))


class DataExportForm(TandemForm):
    password = PasswordField(_l("Your password, to confirm it is you"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("Download my data"))


class LogoutEverywhereForm(TandemForm):
    submit = SubmitField(_l("Log out on all devices"))
