"""Issue 15, done when: a programme from its first day, starting from an empty database. `flask admin create` prints
a link; the administrator sets a password, records the carrier, creates the programme and invites its coordinator;
the coordinator configures it and opens applications; a new visitor finds it on the public start page, registers
through "Jetzt bewerben" and applies; the coordinator accepts the application, finds the company in a draft round,
runs and publishes it; the cycle ends and the company downloads its certificate of participation as PDF.

What the browser adds nothing to is done through the services, each step saying so: the mentor company and its
application, the supervisor, the company's answer to the group, the final self-assessment, and time passing to
the cycle's end (the closing job runs with a later `now`; the browser's clock is not moved)."""
from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from app import demo, maturity
from app.extensions import db
from app.models import (
    Application,
    GroupMember,
    MatchingRound,
    MentoringGroup,
    Programme,
    ProgrammeSupervisor,
    Role,
    User,
    utcnow,
)
from app.services import calendar, companies, cycles, review, rounds
from app.services.passwords import hash_password
from tests.browser.conftest import shot
from tests.browser.test_journeys import NEW_PASSWORD, finish_registration, log_in, send_outbox

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/invitation/\S+")
PROGRAMME = "Pflege & Beruf Westmünsterland"
CARRIER = "Wirtschaftsförderung Westmünsterland GmbH"
FUNDING = "Gefördert aus Mitteln des Europäischen Sozialfonds Plus (ESF Plus) und des Landes Nordrhein-Westfalen."
MENTEE = "Bäckerei Wilmers"


def _mentor_and_supervisor(app, programme_id: int) -> None:
    """Services, not the browser: a mentor company that applied and was accepted (as the demo's Tischlerei
    Hövelmann applies), and a supervisor who serves the programme."""
    with app.app_context():
        now = utcnow()
        programme = db.session.get(Programme, programme_id)
        coordinator = programme.coordinators[0]

        def person(email, name, role, **extra):
            user = User(email=email, full_name=name, password_hash=hash_password(NEW_PASSWORD), role=role,
                        created_at=now, **extra)
            db.session.add(user)
            return user

        demo._apply(person, 1, demo.COMPANIES[0], programme, now)
        mentor = db.session.scalar(select(Application).where(Application.programme_id == programme.id))
        review.decide(mentor, "approve", "", actor=coordinator, now=now)
        supervisor = person("brinkhaus@supervision.example", "Dr. Ulrike Brinkhaus", Role.SUPERVISOR)
        db.session.flush()
        rounds.save_supervisor_profile(supervisor, "Borken (Nordrhein-Westfalen)", 3, 60, now=now)
        db.session.add(ProgrammeSupervisor(programme_id=programme.id, user_id=supervisor.id, max_groups=3,
                                           created_at=now))
        db.session.commit()


def test_from_an_empty_database_to_the_certificate(page, backend, app, mailbox, live_server):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0

    # An operator creates the first administrator on the command line; the command prints a one-time link.
    result = app.test_cli_runner().invoke(args=["admin", "create", "jana@wfg-westmuensterland.example"])
    assert result.exit_code == 0, result.output
    link = LINK.search(result.output).group(0)
    page.goto(live_server + "/invitation/" + link.rsplit("/invitation/", 1)[1])
    page.get_by_label("Ihr Name").fill("Jana Kortmann")
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    shot(page, "empty-start-admin-password", backend)
    page.get_by_role("button", name="Konto anlegen").click()
    if page.get_by_role("button", name="Anmelden").count():
        log_in(page, "jana@wfg-westmuensterland.example", NEW_PASSWORD)

    # The administrator records the carrier ...
    page.get_by_role("link", name="Organisationen").first.click()
    page.locator("main a.btn-primary").first.click()
    page.locator("#name").fill(CARRIER)
    page.locator("#kind").select_option("business_development")
    page.locator("#address").fill("Bahnhofstraße 12\n46325 Borken")
    page.locator("#website").fill("www.wfg-westmuensterland.example")
    page.get_by_role("button", name="Organisation speichern").click()
    expect(page.locator(".alert-success")).to_be_visible()
    # ... creates the programme with it as carrier, and invites its coordinator, who has no account yet.
    page.get_by_role("link", name="Programme").first.click()
    page.locator("main a.btn-primary").first.click()
    page.locator("#name").fill(PROGRAMME)
    page.locator("#region").fill("Kreis Borken")
    page.locator("#state_code").select_option("NW")
    page.locator("#carrier_id").select_option(label=CARRIER)
    page.get_by_role("button", name="Programm anlegen").click()
    expect(page.get_by_role("heading", name=PROGRAMME)).to_be_visible()
    page.locator("#email").fill("lammers@wfg-westmuensterland.example")
    page.get_by_role("button", name="Koordination eintragen").click()
    expect(page.locator(".alert-success")).to_contain_text("lammers@wfg-westmuensterland.example")
    shot(page, "empty-start-programme-created", backend)
    page.get_by_role("button", name="Abmelden").click()

    # The coordinator accepts the invitation from the mail (queued; the scheduler would send it).
    send_outbox(app)
    page.goto(mailbox.last_link("lammers@wfg-westmuensterland.example"))
    page.get_by_label("Ihr Name").fill("Karin Lammers")
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Konto anlegen").click()
    if page.get_by_role("button", name="Anmelden").count():
        log_in(page, "lammers@wfg-westmuensterland.example", NEW_PASSWORD)
    # ... describes the programme, opens applications from today and names the funding.
    with app.app_context():
        programme_id = db.session.scalar(select(Programme.id).where(Programme.name == PROGRAMME))
        today = calendar.local(utcnow()).date()
    page.goto(f"/coordinator/programmes/{programme_id}")
    page.get_by_role("link", name="Einstellungen").first.click()
    page.locator("#description").fill(
        "Kleine und mittlere Unternehmen lernen voneinander, wie sie Beschäftigte mit Pflegeaufgaben halten.")
    page.locator("#contact_name").fill("Karin Lammers")
    page.locator("#contact_email").fill("lammers@wfg-westmuensterland.example")
    page.get_by_label("Offen", exact=True).check()
    page.locator("#applications_open_from").fill(today.isoformat())
    page.locator("#funding_note").fill(FUNDING)
    # The first call is small: a group may start with a single mentee company.
    page.locator("#default_group_min").fill("1")
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "empty-start-settings", backend)
    page.get_by_role("button", name="Abmelden").click()

    _mentor_and_supervisor(app, programme_id)

    # A new visitor finds the programme on the public start page and applies through "Jetzt bewerben".
    page.goto("/")
    page.get_by_role("link", name=PROGRAMME).first.click()
    expect(page.locator("main")).to_contain_text(CARRIER)
    shot(page, "empty-start-public-page", backend)
    page.locator("main").get_by_role("link", name="Jetzt bewerben").first.click()
    page.locator("#company_name").fill(MENTEE)
    page.locator("#full_name").fill("Lena Wilmers")
    page.locator("#email").fill("lena@wilmers.example")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_confirm").fill(NEW_PASSWORD)
    page.locator("#submit").click()
    finish_registration(page, app, mailbox, "lena@wilmers.example", NEW_PASSWORD)
    shot(page, "empty-start-after-registration", backend)
    page.goto("/hr/")
    page.get_by_role("link", name="Lesen und einwilligen").click()
    page.locator("#agree").check()
    page.locator("#submit").click()
    page.goto("/hr/")
    page.get_by_role("link", name="Ausfüllen").click()
    page.locator("#sector").select_option("C")
    page.get_by_label("16 bis 25", exact=False).check()
    page.locator("#municipality").fill("Südlohn (Nordrhein-Westfalen)")
    page.locator("#has_works_council-1").check()
    page.locator("#has_shift_work-0").check()
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto("/hr/")
    page.get_by_role("link", name="Beginnen").click()
    for fieldset in page.locator("fieldset.card").all():
        fieldset.locator("input[type=radio]").nth(1).check()
    page.locator("#submit").click()
    page.goto("/hr/")
    page.get_by_role("link", name="Bewerben").first.click()
    page.locator("#role-0").check()
    page.locator("input[name=meeting_modes][value=in_person]").check()
    for day in ("1", "2", "3"):
        page.locator(f"input[name=weekdays][value='{day}']").check()
    page.locator("input[name=times_of_day][value=morning]").check()
    page.locator("#submit").click()
    page.get_by_role("link", name="Themen wählen").click()
    page.locator("select[name^=topic_]").first.select_option("1")
    page.get_by_role("button", name="Speichern", exact=True).click()
    page.get_by_role("button", name="Bewerbung einreichen").click()
    expect(page.locator(".badge", has_text="Eingereicht")).to_be_visible()
    shot(page, "empty-start-applied", backend)
    page.get_by_role("button", name="Abmelden").click()

    # The coordinator accepts the application ...
    log_in(page, "lammers@wfg-westmuensterland.example", NEW_PASSWORD)
    page.goto(f"/coordinator/programmes/{programme_id}")
    page.get_by_role("link", name=MENTEE).first.click()
    page.locator("#decision-0").check()
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("tr", has_text=MENTEE).locator(".badge", has_text="Angenommen")).to_be_visible()
    # ... creates a round, in which the new company is, runs it (the solve runs in its own process) and publishes.
    page.goto(f"/coordinator/programmes/{programme_id}")
    page.locator(f"a[href$='/programmes/{programme_id}/rounds']").click()
    page.locator("a[href$='/rounds/new']").click()
    page.locator("#name").fill("Matching-Runde Frühjahr")
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    # The draft round takes every accepted company not yet in a group: the new one and the mentor.
    expect(page.locator("main")).to_contain_text("2 Unternehmen")
    with app.app_context():
        draft = db.session.scalar(select(MatchingRound).where(MatchingRound.programme_id == programme_id))
        assert MENTEE in {a.company.name for a in draft.participants}
    shot(page, "empty-start-draft-round", backend)
    page.locator("form[action$='/run'] button").click()
    expect(page.get_by_text("Lauf 1", exact=False).first).to_be_visible(timeout=90_000)
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0, timeout=90_000)
    expect(page.locator("main")).to_contain_text(demo.COMPANIES[0].name)
    shot(page, "empty-start-proposal", backend)
    page.locator("form[action$='/publish'] button").click()
    if page.locator("form[action$='/publish'] button").count():  # the check page, where there is one
        page.locator("form[action$='/publish'] button").last.click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "empty-start-published", backend)
    page.get_by_role("button", name="Abmelden").click()

    # Services: both companies accept their group; the mentee's final self-assessment near the end; then time
    # passes to the day after the group's end date, when the nightly closing job completes the group.
    with app.app_context():
        group = db.session.scalar(select(MentoringGroup).where(MentoringGroup.programme_id == programme_id))
        assert group is not None and {m.application.company.name for m in group.members} == \
            {MENTEE, demo.COMPANIES[0].name}
        for member in group.members:
            rounds.respond(member, accept=True, reason="", actor=member.application.company.hr_leads[0],
                           now=utcnow())
        end = datetime.combine(group.ends_on, time(10), calendar.BERLIN)
        mentee = next(m for m in group.members if m.application.company.name == MENTEE)
        companies.record_assessment(mentee.application.company, dict.fromkeys(maturity.DIMENSION_KEYS, 3), {},
                                    actor=mentee.application.company.hr_leads[0], now=end - timedelta(days=10),
                                    phase="end")
        db.session.commit()
        cycles.close_ended_groups(end + timedelta(days=2))
        db.session.commit()
        member_id = mentee.id
        assert db.session.get(GroupMember, member_id).group.is_completed

    # The company's HR lead opens the certificate and downloads it as PDF.
    log_in(page, "lena@wilmers.example", NEW_PASSWORD)
    page.goto(f"/certificates/{member_id}")
    expect(page.get_by_role("heading", name="Teilnahmebescheinigung")).to_be_visible()
    shot(page, "empty-start-certificate", backend)
    with page.expect_download() as download:
        page.get_by_role("link", name="Als PDF herunterladen").click()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        download.value.path().read_bytes())).pages).split())
    for expected in ("Teilnahmebescheinigung", MENTEE, PROGRAMME, CARRIER, demo.COMPANIES[0].name):
        assert expected in text, (expected, text[:1500])
