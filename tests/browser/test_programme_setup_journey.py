"""Issue 15: a programme set up in the app, as its people would do it. An administrator records the carrier, creates
the programme and names its coordinator; the coordinator describes it, opens applications and invites a supervisor;
a visitor finds it on the public start page. Screenshots at 1366 px and 390 px; any refusal by the CSP and any page
wider than a phone fail the test."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role, User, utcnow
from app.services import calendar, rounds
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PROGRAMME = "Pflege & Beruf im Kreis Borken"
CARRIER = "Wirtschaftsförderung Kreis Borken GmbH"
FUNDING = "Gefördert aus Mitteln des Europäischen Sozialfonds Plus (ESF Plus) und des Landes Nordrhein-Westfalen."


def watch_console(page) -> list[str]:
    """Collect what Chromium reports as refused by the Content Security Policy, and script errors."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def both_widths(page, name: str, backend: str) -> None:
    """Screenshots at desktop and phone width; at 390 px nothing may be wider than the screen."""
    page.set_viewport_size(DESKTOP)
    shot(page, f"{name}-desktop", backend)
    page.set_viewport_size(PHONE)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    # What sticks out, for the failure message: the innermost elements whose right edge passes the screen's.
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
        .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 0.5))
        .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`)
        .slice(0, 8)""")
    shot(page, f"{name}-phone", backend)
    page.set_viewport_size(DESKTOP)
    assert widths[0] <= widths[1], f"{name}: the page is {widths[0]} px wide on a {widths[1]} px phone: {wide}"


def test_programme_set_up_configured_and_found_by_the_public(page, backend, app, make, mailbox):
    problems = watch_console(page)
    page.set_viewport_size(DESKTOP)
    admin = make.user(Role.ADMIN, email="admin@wfg-borken.example", full_name="Jana Admin")
    coordinator = make.user(Role.COORDINATOR, email="lammers@wfg-borken.example", full_name="Karin Lammers")
    heselhaus = make.user(Role.SUPERVISOR, email="heselhaus@supervision.example", full_name="Frank Heselhaus")
    with app.app_context():
        today = calendar.local(utcnow()).date()
        rounds.save_supervisor_profile(db.session.get(User, heselhaus.id), "Coesfeld (Nordrhein-Westfalen)", 4, 60,
                                       now=utcnow())
        db.session.commit()

    # The administrator records the carrier.
    log_in(page, admin.email)
    page.get_by_role("link", name="Organisationen").first.click()
    page.locator("main a.btn-primary").first.click()
    page.locator("#name").fill(CARRIER)
    page.locator("#kind").select_option(index=1)
    page.locator("#address").fill("Bahnhofstraße 12\n46325 Borken")
    page.locator("#website").fill("www.wfg-borken.example")
    page.get_by_role("button", name="Organisation speichern").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # ... creates the programme with it as carrier, and names the coordinator.
    page.get_by_role("link", name="Programme").first.click()
    page.locator("main a.btn-primary").first.click()
    page.locator("#name").fill(PROGRAMME)
    page.locator("#region").fill("Kreis Borken")
    page.locator("#state_code").select_option("NW")
    page.locator("#carrier_id").select_option(label=CARRIER)
    page.get_by_role("button", name="Programm anlegen").click()
    expect(page.get_by_role("heading", name=PROGRAMME)).to_be_visible()
    page.locator("#email").fill(coordinator.email)
    page.get_by_role("button", name="Koordination eintragen").click()
    expect(page.locator(".alert-success")).to_contain_text("Karin Lammers")
    page.get_by_role("button", name="Abmelden").click()

    # The coordinator describes the programme, opens applications from today and names the funding.
    log_in(page, coordinator.email)
    page.get_by_role("link", name=PROGRAMME).first.click()
    page.get_by_role("link", name="Einstellungen").first.click()
    page.locator("#description").fill(
        "Kleine und mittlere Unternehmen im Kreis Borken lernen voneinander, wie sie Beschäftigte mit "
        "Pflegeaufgaben halten.\n\n- Gesprächsrunden alle sechs Wochen\n- begleitet von einer Supervisorin")
    page.locator("#contact_name").fill("Karin Lammers")
    page.locator("#contact_email").fill("lammers@wfg-borken.example")
    page.get_by_label("Offen", exact=True).check()
    page.locator("#applications_open_from").fill(today.isoformat())
    page.locator("#funding_note").fill(FUNDING)
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.locator(".alert-success")).to_be_visible()
    both_widths(page, "programme-settings", backend)

    # ... adds a supervisor who has an account (told by mail) and invites one who has none yet.
    page.get_by_role("link", name=PROGRAMME).first.click()
    page.locator("main").get_by_role("link", name="Supervisor/innen").click()
    page.locator("#email").fill("heselhaus@supervision.example")
    page.locator("#max_groups").fill("2")
    page.locator("main form").last.get_by_role("button").click()
    expect(page.locator(".alert-success")).to_contain_text("Frank Heselhaus")
    assert "Pflege & Beruf im Kreis Borken" in mailbox.messages("heselhaus@supervision.example")[-1].subject
    page.locator("#email").fill("brinkhaus@supervision.example")
    page.locator("#max_groups").fill("3")
    page.locator("main form").last.get_by_role("button").click()
    expect(page.locator(".alert-success")).to_contain_text("brinkhaus@supervision.example")
    expect(page.locator("main")).to_contain_text("brinkhaus@supervision.example")
    both_widths(page, "programme-supervisors", backend)
    assert mailbox.messages("brinkhaus@supervision.example"), "the invitation did not arrive"
    page.get_by_role("button", name="Abmelden").click()

    # A visitor finds it on the start page and opens its public page.
    page.goto("/")
    both_widths(page, "programme-public-start", backend)
    page.get_by_role("link", name=PROGRAMME).first.click()
    main = page.locator("main")
    expect(main.get_by_role("heading", name=PROGRAMME)).to_be_visible()
    expect(main).to_contain_text(CARRIER)
    expect(main).to_contain_text(FUNDING)
    expect(main.get_by_role("link", name="Jetzt bewerben").first).to_be_visible()
    both_widths(page, "programme-public-page", backend)
    assert problems == []
