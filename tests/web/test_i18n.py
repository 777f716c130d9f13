"""German first, English complete: every string in the code is in the German catalogue and translated."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.extensions import db
from app.models import Role, User
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("app/**.py", "python"), ("scheduler/**.py", "python"), ("templates/**.html", "jinja2"),
           ("templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(locale: str):
    with (ROOT / "app" / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_source_string_has_a_german_translation():
    german = {m.id: m for m in catalogue("de") if m.id}
    messages = source_messages()
    assert len(messages) > 100
    missing = sorted(str(m) for m in messages if m not in german)
    assert not missing, f"not in the German catalogue (run `make translations-update`): {missing}"
    untranslated = sorted(
        str(m) for m in messages
        if "fuzzy" in german[m].flags or not (german[m].string if isinstance(german[m].string, str)
                                              else all(german[m].string))
    )
    assert not untranslated, f"German text missing or fuzzy: {untranslated}"


def test_english_catalogue_has_every_string():
    english = {m.id for m in catalogue("en") if m.id}
    assert source_messages() <= english


def test_german_is_default_and_english_is_one_click_away(app, client):
    assert 'lang="de"' in client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"csrf_token": csrf_token(client), "language": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "tandem_lang=en" in response.headers["Set-Cookie"]
    body = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in body and "Forgotten your password?" in body
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "de", "next": "/login"})
    assert "Passwort vergessen?" in client.get("/login").get_data(as_text=True)


def test_choice_is_remembered_on_the_account(app, make):
    user = make.user(Role.SUPERVISOR)
    client = app.test_client()
    login(client, user.email)
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en", "next": "/supervisor/"})
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"
    fresh = app.test_client()  # another device without the cookie
    login(fresh, user.email)
    assert "My groups" in fresh.get("/supervisor/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    response = client.post("/language", data={"csrf_token": csrf_token(client), "language": "xx", "next": "/"})
    assert response.status_code == 302 and "tandem_lang" not in response.headers.get("Set-Cookie", "")
