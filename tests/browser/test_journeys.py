"""Each user's journey, clicked through in Chromium as that user would."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.conftest import shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Sommerfest-am-Aasee-2026"


def log_in(page, email, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def send_outbox(app) -> None:
    """Send what waits in the outbox, as the scheduler process does (registration and reset mails only queue)."""
    from app.models import utcnow
    from app.services import mail

    with app.app_context():
        mail.deliver_due(utcnow())


def finish_registration(page, app, mailbox, email: str, password: str) -> None:
    """After the registration form: the page asks to check the mailbox; the link in the mail, the password again."""
    expect(page.get_by_role("heading", name="Bitte sehen Sie in Ihr Postfach")).to_be_visible()
    send_outbox(app)
    page.goto(mailbox.last_link(email))
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Registrierung abschließen").click()


def test_hr_lead_registers_logs_out_and_in(page, backend, app, mailbox):
    page.goto("/")
    page.get_by_role("link", name="Unternehmen registrieren").first.click()
    page.get_by_label("Name des Unternehmens").fill("Tischlerei Feldkamp GmbH")
    page.get_by_label("Ihr Name").fill("Ute Feldkamp")
    page.get_by_label("Ihre berufliche E-Mail-Adresse").fill("ute@feldkamp.example")
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    shot(page, "register-form", backend)
    page.get_by_role("button", name="Konto anlegen").click()
    shot(page, "register-sent", backend)
    finish_registration(page, app, mailbox, "ute@feldkamp.example", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Tischlerei Feldkamp GmbH")).to_be_visible()
    expect(page.get_by_text("Willkommen bei Tandem!")).to_be_visible()
    shot(page, "register-hr-start", backend)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie wurden abgemeldet.")).to_be_visible()
    log_in(page, "ute@feldkamp.example", "wrong-password-123")
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist nicht korrekt.")).to_be_visible()
    shot(page, "login-error", backend)
    log_in(page, "ute@feldkamp.example", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Tischlerei Feldkamp GmbH")).to_be_visible()


def test_password_reset_from_the_mail(page, backend, app, make, mailbox):
    make.user(Role.HR_LEAD, email="petra@example.org", full_name="Petra Schulze")
    page.goto("/login")
    page.get_by_role("link", name="Passwort vergessen?").click()
    page.get_by_label("E-Mail-Adresse").fill("petra@example.org")
    page.get_by_role("button", name="Link senden").click()
    expect(page.get_by_text("Falls es zu dieser Adresse ein Konto gibt")).to_be_visible()
    send_outbox(app)
    mail = mailbox.messages("petra@example.org")[-1]
    assert mail.subject == "Neues Passwort für Tandem setzen" and "Petra Schulze" in mail.body
    page.goto(mailbox.last_link("petra@example.org"))
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    shot(page, "reset-form", backend)
    page.get_by_role("button", name="Neues Passwort speichern").click()
    expect(page.get_by_text("Ihr neues Passwort ist gespeichert.")).to_be_visible()
    log_in(page, "petra@example.org", NEW_PASSWORD)
    expect(page.get_by_role("link", name="Mein Unternehmen")).to_be_visible()
    # The link works once only.
    page.goto(mailbox.last_link("petra@example.org"))
    expect(page.get_by_text("Dieser Link ist ungültig oder abgelaufen.")).to_be_visible()


def test_admin_invites_a_supervisor_who_accepts(page, browser, live_server, backend, make, mailbox):
    make.user(Role.ADMIN, email="admin@example.org")
    log_in(page, "admin@example.org")
    page.get_by_role("link", name="Einladen", exact=True).click()
    page.get_by_label("E-Mail-Adresse").fill("ulrike@example.org")
    page.get_by_label("Rolle").select_option("supervisor")
    shot(page, "invite-form", backend)
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_text("Die Einladung wurde an ulrike@example.org gesendet.")).to_be_visible()
    # The admin reads the mail in the development mailbox.
    page.get_by_role("link", name="Postfach").click()
    page.get_by_role("link", name="Ihre Einladung zu Tandem").first.click()
    expect(page.get_by_text("ulrike@example.org").first).to_be_visible()
    shot(page, "mailbox-invitation", backend)
    # The supervisor opens the link on her own computer.
    context = browser.new_context(base_url=live_server, locale="de-DE")
    invited = context.new_page()
    invited.goto(mailbox.last_link("ulrike@example.org"))
    expect(invited.get_by_text("Supervisor/in")).to_be_visible()
    invited.get_by_label("Ihr Name").fill("Ulrike Brinkhaus")
    invited.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    invited.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    invited.get_by_role("button", name="Konto anlegen").click()
    expect(invited.get_by_role("heading", name="Meine Gruppen")).to_be_visible()
    shot(invited, "supervisor-start", backend)
    context.close()
    page.goto("/admin/users")
    expect(page.get_by_role("cell", name="ulrike@example.org", exact=True)).to_be_visible()
    shot(page, "admin-users", backend)


def test_switch_language_to_english_and_back(page, backend, make):
    make.user(Role.COORDINATOR, email="karin@example.org")
    log_in(page, "karin@example.org")
    expect(page.get_by_role("heading", name="Meine Programme")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My programmes")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shot(page, "coordinator-english", backend)
    page.reload()
    expect(page.get_by_role("heading", name="My programmes")).to_be_visible()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", name="Meine Programme")).to_be_visible()
