"""User text inside translated messages arrives escaped on every page, and as typed in text (issue 14, finding 1).

Every message of the German catalogue with a %(name)s placeholder (new messages land there too: test_i18n.py
makes sure) is filled with markup in every text placeholder and a number in every number placeholder, then
shown in German and in English through each way a message reaches a page: a form validator's error and a
service's refusal at its field (through the form macros), a flash after a redirect (through the session cookie
and base.html) of a lazy message, of a plain one and of a service's refusal, the error page, and a template's own
gettext. A probe app with one route per way runs the real code of each way (TandemForm, apply_service_error,
flash, the templates). The page must create no element from the markup and show the message exactly as the
plain text with the markup as typed, which is also what mails, exports and JSON get from str().
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, url_for
from flask_babel import force_locale, gettext, ngettext
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import ValidationError

from app import create_app
from app.config import TestConfig
from app.forms import TandemForm
from app.i18n import lazy_gettext
from app.security import public
from app.services.errors import ServiceError
from app.views_common import apply_service_error

ROOT = Path(__file__).resolve().parents[2]
# An element with a handler (closing an attribute first), as an attacker would type it into a name or address.
MARKUP = '<svg onload=alert(1)>"><b onmouseover=x>'
NUMBER = 3
LOCALES = ("de", "en")


@dataclass(frozen=True)
class Entry:
    ids: tuple[str, ...]  # the msgid, or singular and plural
    values: dict

    @property
    def text_placeholders(self) -> int:
        return sum(1 for value in self.values.values() if value == MARKUP)


def catalogue_entries() -> list[Entry]:
    """Every msgid with placeholders: markup into each %(name)s, a number into each %(name)d."""
    with (ROOT / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="de")
    entries = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        placeholders = re.findall(r"%\((\w+)\)([a-z])", " ".join(ids))
        if message.id and placeholders:
            entries.append(Entry(ids, {name: MARKUP if kind == "s" else NUMBER for name, kind in placeholders}))
    return entries


ENTRIES = catalogue_entries()
# Only these can carry a user's text: a %(name)d placeholder takes a number.
TEXT_ENTRIES = [index for index, entry in enumerate(ENTRIES) if entry.text_placeholders]


def translate(entry: Entry, *, lazy: bool):
    """The message as the app's code builds it (plural messages only ever eagerly, with ngettext)."""
    if len(entry.ids) == 2:
        return ngettext(*entry.ids, NUMBER, **{k: v for k, v in entry.values.items() if k != "num"})
    return (lazy_gettext if lazy else gettext)(entry.ids[0], **entry.values)


def refuse(form, field) -> None:
    raise ValidationError(g.probe_message)


class ProbeForm(TandemForm):
    name = StringField("Name", validators=[refuse])
    choice = RadioField("Choice", choices=[SelectChoice("a", "A")], validators=[refuse])


PAGE = """{% extends "base.html" %}{% import "_macros/forms.html" as forms %}{% block content %}
{% if form %}{{ forms.form(form) }}{% endif %}
{% if entry %}<p>{% if entry.ids|length == 2 %}{{ ngettext(entry.ids[0], entry.ids[1], number, **entry.values) }}
{% else %}{{ _(entry.ids[0], **entry.values) }}{% endif %}</p>{% endif %}
{% endblock %}"""


def _probe(way: str, index: int):
    entry = ENTRIES[index]
    message = translate(entry, lazy=True)
    page = current_app.extensions["probe_page"]
    if way == "form":
        # A validator's error at a text field and at a group of radio buttons, and a service's refusal at its field.
        g.probe_message = message
        form = ProbeForm(meta={"csrf": False}, data={"name": "x", "choice": "a"})
        form.validate()
        apply_service_error(form, ServiceError(message, field="name"))
        return render_template(page, form=form)
    if way == "flash":
        # Flashed as the views do, shown after the redirect: the messages travel in the session cookie.
        flash(message, "danger")
        flash(translate(entry, lazy=False), "success")
        apply_service_error(ProbeForm(meta={"csrf": False}), ServiceError(message))
        flash(str(ServiceError(message).message), "danger")
        return redirect(url_for("probe.page"))
    if way == "error-page":
        return render_template("errors/error.html", code=400, title=message, text=message)
    return render_template(page, entry=entry, number=NUMBER)  # the template's own gettext


# Each way, and how often it shows the message at least.
WAYS = {"form": 3, "flash": 4, "error-page": 2, "template": 1}


@pytest.fixture(scope="module")
def probe_app() -> Flask:
    """Tandem with a probe blueprint: one route per way a message reaches a page."""
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    application.extensions["probe_page"] = application.jinja_env.from_string(PAGE)
    probe = Blueprint("probe", __name__, url_prefix="/probe")
    probe.add_url_rule("/page", "page", public(lambda: render_template(current_app.extensions["probe_page"])))
    probe.add_url_rule("/<way>/<int:index>", "probe", public(_probe))
    application.register_blueprint(probe)
    return application


class Page(HTMLParser):
    """What a browser makes of a page: its elements' handler attributes, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.injected: list[str] = []
        self.chunks: list[str] = []
        self.feed(html)
        self.close()
        self.text = " ".join("".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        if tag == "svg" or any(name.startswith("on") for name, _ in attrs):
            self.injected.append(self.get_starttag_text())

    def handle_data(self, data):
        self.chunks.append(data)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("way", WAYS)
def test_markup_in_every_placeholder_arrives_escaped(probe_app, way, locale):
    client = probe_app.test_client()
    client.set_cookie("tandem_lang", locale)
    leaks, missing = [], []
    for index in TEXT_ENTRIES:
        entry = ENTRIES[index]
        with probe_app.test_request_context(), force_locale(locale):
            plain = " ".join(str(translate(entry, lazy=True)).split())
        response = client.get(f"/probe/{way}/{index}", follow_redirects=True)
        assert response.status_code == 200, (way, entry.ids)
        page = Page(response.get_data(as_text=True))
        if page.injected:
            leaks.append(f"{entry.ids[0]!r}: {page.injected}")
        elif page.text.count(plain) < WAYS[way]:
            missing.append(f"{entry.ids[0]!r}: {plain!r} shown {page.text.count(plain)} times")
    assert not leaks, f"{way}, {locale}: markup became elements in {len(leaks)} of {len(TEXT_ENTRIES)}:\n" + "\n".join(leaks)
    assert not missing, f"{way}, {locale}: not shown as typed in {len(missing)}:\n" + "\n".join(missing)


def test_the_catalogue_has_the_messages_the_test_needs():
    """Guards the test itself: it finds the placeholders (and their markup) it is meant to check."""
    text = [ENTRIES[index] for index in TEXT_ENTRIES]
    assert len(text) >= 90 and sum(e.text_placeholders for e in text) >= 120
    assert any("is unknown or ambiguous" in e.ids[0] for e in text)


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_keep_the_text_as_typed_outside_html(probe_app, locale):
    """Mails, CSV/XLSX exports and JSON take str() of a message: the user's text, with no HTML entities."""
    with probe_app.test_request_context(), force_locale(locale):
        for entry in ENTRIES:
            text = str(translate(entry, lazy=True))
            assert text.count(MARKUP) >= entry.text_placeholders, entry.ids
            assert "&lt;" not in text and "&#34;" not in text, entry.ids


def test_lazy_messages_come_from_the_escaping_wrapper():
    """Flask-Babel's own lazy strings count as safe HTML; the app's code takes them from app.i18n only."""
    offenders = []
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("scheduler/**/*.py")]:
        if path == ROOT / "app" / "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flask_babel"):
                offenders += [f"{path.relative_to(ROOT)}: {alias.name}" for alias in node.names
                              if "lazy" in alias.name.lower()]
            if isinstance(node, ast.Attribute) and node.attr.startswith("lazy_") and \
                    isinstance(node.value, ast.Name) and node.value.id == "flask_babel":
                offenders.append(f"{path.relative_to(ROOT)}: flask_babel.{node.attr}")
    assert not offenders, offenders
