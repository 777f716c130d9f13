"""Forms of logging in, registering, resetting a password and accepting an invitation."""
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import TandemForm
from app.i18n import lazy_gettext as _l

EMAIL = [DataRequired(), Length(max=254), Email(message=_l("Please enter a valid e-mail address."))]


class LoginForm(TandemForm):
    email = EmailField(_l("E-mail address"), validators=EMAIL)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField(validators=[Length(max=500)])
    submit = SubmitField(_l("Log in"))


def new_password_field() -> PasswordField:
    return PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=12, max=128)],
        description=_l("At least 12 characters. A phrase of several words is easy to remember and hard to guess."),
    )


def confirm_password_field() -> PasswordField:
    return PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
    )


class RegisterForm(TandemForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(min=2, max=200)])
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(min=2, max=120)])
    email = EmailField(_l("Your business e-mail address"), validators=EMAIL)
    password = new_password_field()
    password_confirm = confirm_password_field()
    submit = SubmitField(_l("Create account"))


class ForgotPasswordForm(TandemForm):
    email = EmailField(_l("E-mail address"), validators=EMAIL)
    submit = SubmitField(_l("Send link"))


class ResetPasswordForm(TandemForm):
    password = new_password_field()
    password_confirm = confirm_password_field()
    submit = SubmitField(_l("Save new password"))


class AcceptInvitationForm(TandemForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(min=2, max=120)])
    password = new_password_field()
    password_confirm = confirm_password_field()
    submit = SubmitField(_l("Create account"))


class ConfirmRegistrationForm(TandemForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("Finish registration"))
