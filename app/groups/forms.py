"""The HR lead's answer to a group proposal."""
from __future__ import annotations

from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import TandemForm
from app.i18n import lazy_gettext as _l


class ResponseForm(TandemForm):
    reason = TextAreaField(_l("If you decline: why? (goes to the programme coordination)"),
                           validators=[Optional(), Length(max=2000)])
    accept = SubmitField(_l("Accept the group"))
    decline = SubmitField(_l("Decline"))
