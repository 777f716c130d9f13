"""Interface language: German by default, English one click away, remembered in a cookie and on the account.

And how a translated message reaches a page. Decision: a message built in Python is text, never HTML. Flask-Babel's
lazy strings claim to be safe HTML (LazyString.__html__ returns the text unchanged), so a message that carries a
user's value, `_l("“%(name)s” is unknown", name=cell)`, went into pages as raw markup wherever it met Jinja: form
errors, a service's refusal at its field, the error page, and flashes (Flask's session keeps anything with
__html__ as Markup). The app's code therefore takes its lazy messages from `lazy_gettext` below, whose strings
Jinja escapes whole, like the plain strings of `gettext`; str() gives the text with the values as typed, which is
what plain-text mails, CSV/XLSX exports and JSON need. Escaping only the values and returning Markup (the other
way) would put HTML entities into those. Markup in a message belongs in a template: Jinja's own `_()` keeps the
template's message as markup and escapes the values. No message built in Python carries markup; one that must
should be rendered in a template, not wrapped in Markup() (ruff's S704 refuses Markup() of a computed string).
tests/web/test_message_escaping.py puts markup into every placeholder of the catalogue and checks every way to a
page, and that no code of the app takes lazy strings from Flask-Babel directly.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

LANGUAGE_COOKIE = "tandem_lang"


def select_locale() -> str:
    """The user's chosen language, else the cookie's, else German."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class LazyText(LazyString):
    """A message translated when it is used; text, which a page escapes whole (values and all)."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> LazyText:
    """Flask-Babel's lazy_gettext, but the message is text to HTML (see the module's docstring)."""
    return LazyText(gettext, string, **variables)
