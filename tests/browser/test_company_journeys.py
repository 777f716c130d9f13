"""Journeys of issue 3: an HR lead signs up a mentee company; a coordinator approves it and imports a list."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.conftest import shot
from tests.browser.test_journeys import NEW_PASSWORD, finish_registration, log_in

pytestmark = pytest.mark.browser


def test_hr_lead_signs_up_a_mentee_company_and_sees_the_chart(page, backend, app, make, mailbox):
    programme = make.programme("ESA-Mentorship Kreis Borken")
    make.user(Role.COORDINATOR, email="karin@example.org", programmes=[programme])
    page.goto("/register")
    page.locator("#company_name").fill("Bäckerei Wilmers")
    page.locator("#full_name").fill("Lena Wilmers")
    page.locator("#email").fill("lena@wilmers.example")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_confirm").fill(NEW_PASSWORD)
    page.locator("#submit").click()
    finish_registration(page, app, mailbox, "lena@wilmers.example", NEW_PASSWORD)
    # Step 1: consent, before anything about the company is stored.
    page.get_by_role("link", name="Lesen und einwilligen").click()
    shot(page, "hr-consent", backend)
    page.locator("#agree").check()
    page.locator("#submit").click()
    # Step 2: the profile; a misspelt place gets suggestions.
    page.get_by_role("link", name="Ausfüllen").click()
    page.locator("#sector").select_option("C")
    page.get_by_label("16 bis 25", exact=False).check()
    page.locator("#municipality").fill("Südlon")
    page.locator("#has_works_council-1").check()
    page.locator("#has_shift_work-0").check()
    page.locator("#submit").click()
    expect(page.get_by_text("Südlohn (Nordrhein-Westfalen)")).to_be_visible()
    shot(page, "hr-profile-suggestion", backend)
    page.locator("#municipality").fill("Südlohn (Nordrhein-Westfalen)")
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    # Step 3: the self-assessment, one level per area.
    page.get_by_role("link", name="Beginnen").click()
    for fieldset in page.locator("fieldset.card").all():
        fieldset.locator("input[type=radio]").nth(1).check()
    page.locator("fieldset.card").first.locator("summary").click()
    page.locator("#comment_strategy").fill("Bisher regeln wir alles im Einzelfall.")
    shot(page, "hr-assessment-form", backend)
    page.locator("#submit").click()
    chart = page.locator("img[src*='chart.svg']")
    expect(chart).to_be_visible()
    # The chart is an image of its own: wait until the browser has decoded it, then check it has a real size.
    # (wait_for_function would evaluate a string in the page, which its Content-Security-Policy forbids)
    expect(chart).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector(\"img[src*='chart.svg']\").naturalWidth") > 100
    expect(page.locator("p.lead")).to_contain_text("25 von 100")
    shot(page, "hr-assessment-chart", backend)
    # Step 4: apply as mentee, choose needs, submit.
    page.goto("/hr/")
    page.get_by_role("link", name="Bewerben").click()
    page.locator("#role-0").check()
    page.locator("input[name=meeting_modes][value=in_person]").check()
    page.locator("input[name=weekdays][value='1']").check()
    page.locator("input[name=times_of_day][value=morning]").check()
    page.locator("#exclusions").fill("Backhaus Konkurrenz GmbH")
    page.locator("#submit").click()
    page.get_by_role("link", name="Themen wählen").click()
    page.locator("select[name^=topic_]").first.select_option("1")
    page.locator("select[name^=topic_]").nth(5).select_option("2")
    page.get_by_role("button", name="Speichern", exact=True).click()
    shot(page, "hr-application-ready", backend)
    page.get_by_role("button", name="Bewerbung einreichen").click()
    expect(page.locator(".badge", has_text="Eingereicht")).to_be_visible()
    shot(page, "hr-application-submitted", backend)


def test_coordinator_reviews_and_approves(page, backend, app, make, mailbox):
    from tests.web.test_companies import LOW, PREFS, PROFILE, complete_mentee  # noqa: F401

    programme = make.programme("ESA-Mentorship Kreis Borken")
    make.user(Role.COORDINATOR, email="karin@example.org", programmes=[programme])
    company = make.company("Bäckerei Terhorst")
    lead = make.user(Role.HR_LEAD, email="claudia@terhorst.example", company=company, full_name="Claudia Terhorst")
    with app.app_context():
        from app.extensions import db
        from app.models import Company, Programme, User, utcnow
        from app.services import companies

        now = utcnow()
        application = complete_mentee(db.session.get(Programme, programme.id), db.session.get(Company, company.id),
                                      db.session.get(User, lead.id), now)
        companies.submit_application(application, actor=db.session.get(User, lead.id), now=now)
        db.session.commit()
    log_in(page, "karin@example.org")
    page.get_by_role("link", name="ESA-Mentorship Kreis Borken").click()
    page.locator("#role").select_option("mentee")
    page.get_by_role("button", name="Filter anwenden").click()
    expect(page.get_by_role("link", name="Bäckerei Test")).to_be_visible()
    shot(page, "coordinator-applications", backend)
    page.get_by_role("link", name="Bäckerei Test").click()
    expect(page.locator("img[src*='chart.svg']")).to_be_visible()
    shot(page, "coordinator-application", backend)
    page.locator("#decision-0").check()
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".badge", has_text="Angenommen")).to_be_visible()
    mails = mailbox.messages("claudia@terhorst.example")
    assert mails and "ESA-Mentorship Kreis Borken" in mails[-1].subject


def test_coordinator_imports_a_list_fixes_a_bad_row_and_imports(page, backend, make, mailbox, tmp_path):
    programme = make.programme("ESA-Mentorship Kreis Borken")
    make.user(Role.COORDINATOR, email="karin@example.org", programmes=[programme])
    header = "Unternehmen;Rolle;Branche;Größe;Ort;Betriebsrat;Schichtarbeit;Ansprechperson;E-Mail;mentee_capacity"
    good = "Holzbau Kemper GmbH;mentor;C;26_50;Velen;ja;nein;Jan Kemper;jan@kemper.example;2"
    bad_file = tmp_path / "firmen.csv"
    bad_file.write_text(f"{header}\n{good}\nSanitär Ebbing;mentee;F;le15;Heekk;nein;nein;Eva Ebbing;eva@ebbing.example;\n",
                        encoding="utf-8")
    log_in(page, "karin@example.org")
    page.get_by_role("link", name="ESA-Mentorship Kreis Borken").click()
    page.get_by_role("link", name="Unternehmen importieren").click()
    page.locator("#file").set_input_files(str(bad_file))
    page.locator("#submit").click()
    expect(page.locator("tr.table-danger")).to_contain_text("Heekk")
    expect(page.get_by_text("Heek (Nordrhein-Westfalen)")).to_be_visible()
    shot(page, "import-error", backend)
    fixed = tmp_path / "firmen-korrigiert.csv"
    fixed.write_text(bad_file.read_text(encoding="utf-8").replace("Heekk", "Heek"), encoding="utf-8")
    page.locator("#file").set_input_files(str(fixed))
    page.locator("#submit").click()
    expect(page.locator("tr.table-danger")).to_have_count(0)
    shot(page, "import-ready", backend)
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("link", name="Holzbau Kemper GmbH")).to_be_visible()
    expect(page.get_by_role("link", name="Sanitär Ebbing")).to_be_visible()
    shot(page, "import-done", backend)
    assert mailbox.messages("eva@ebbing.example") and mailbox.messages("jan@kemper.example")
