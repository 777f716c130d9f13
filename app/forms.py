"""The base form of every screen: CSRF (Flask-WTF) plus a refusal of control characters."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import lazy_gettext as _l

# NUL and other C0 control characters (tab, newline and carriage return are fine in text areas), and U+FFFD, which
# stands in for bytes that were not valid UTF-8.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


# The years a date in Tandem may fall in. Further out is a typo, and the period arithmetic (a day after, a year
# before) would run past the calendar's ends.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def plausible_date(form, field) -> None:
    """A validator: a date within FIRST_YEAR and LAST_YEAR."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Please enter a date between the years %(first)d and %(last)d.",
                                 first=FIRST_YEAR, last=LAST_YEAR))


class TandemForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and CONTROL_CHARS.search(field.data):
                field.errors = [*field.errors, _l("This field contains characters that are not allowed.")]
                valid = False
        return valid


class ConfirmForm(TandemForm):
    """A button that only carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EraseForm(TandemForm):
    """Erasing cannot be undone: the name is typed again to confirm."""

    confirm = StringField(_l("Type the name to confirm"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Erase for good"))
