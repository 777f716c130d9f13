"""A coordinator opens the programme's dashboard and chooses a period."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import demo
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser


def test_coordinator_opens_the_dashboard_and_filters_a_period(page, backend, demo_world):
    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(f"/coordinator/programmes/{demo_world['programme']}")
    page.locator(f"a[href$='/programmes/{demo_world['programme']}/dashboard']").click()
    expect(page.locator(".chart img")).to_have_count(4)
    for image in page.locator(".chart img").all():
        expect(image).to_have_js_property("complete", True)
    assert page.evaluate("Math.min(...Array.from(document.querySelectorAll('.chart img')).map(i => i.naturalWidth))") > 100
    shot(page, "dashboard", backend)
    page.locator("#since").fill("2001-01-01")
    page.locator("#until").fill("2001-12-31")
    page.locator("form.no-print button[type=submit]").click()
    expect(page.get_by_text("01.01.2001").first).to_be_visible()
    shot(page, "dashboard-empty-period", backend)


def test_coordinator_downloads_the_funder_report(page, backend, demo_world):
    import openpyxl

    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(f"/coordinator/programmes/{demo_world['programme']}")
    page.locator(f"a[href$='/programmes/{demo_world['programme']}/report']").click()
    page.locator("#since").fill("2026-01-01")
    page.locator("form.no-print button[type=submit]").click()
    expect(page.get_by_text("ESF-Plus-Bericht").first).to_be_visible()
    shot(page, "funder-report", backend)
    with page.expect_download() as download:
        page.locator("a[href*='/report.xlsx']").click()
    import io

    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert book["Bericht"]["B1"].value == "ESA-Mentorship Kreis Borken"


def test_hr_lead_downloads_their_data_and_asks_to_leave(page, backend, demo_world, mailbox):
    import json
    import zipfile

    log_in(page, "hr6@example.org", demo.DEMO_PASSWORD)
    page.goto("/account")
    page.locator("a[href$='/account/data']").click()
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    with page.expect_download() as download:
        page.locator("form[action$='/account/data'] [type=submit]").click()
    data = json.loads(zipfile.ZipFile(download.value.path()).read("data.json"))
    assert data["company"]["name"] == "Stadtlohner Kunststofftechnik GmbH"
    page.goto("/hr/consent")
    shot(page, "hr-consent-withdraw", backend)
    page.locator("form[action$='/consent/withdraw'] [type=submit]").click()
    expect(page.locator(".alert-info")).to_be_visible()
    assert any("Stadtlohner" in m.subject for m in mailbox.messages("coordinator@example.org"))


def test_coordinator_scans_the_groups_sorted_and_filtered(page, backend, demo_world):
    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(f"/coordinator/programmes/{demo_world['programme']}")
    page.locator(f"a.btn[href$='/programmes/{demo_world['programme']}/groups']").click()
    expect(page.get_by_role("heading", name="Mentoring-Gruppen")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)  # the demo's three groups
    shot(page, "groups-overview", backend)
    # Sorted by the mentor company: the groups' names come in alphabetical order.
    page.locator("#sort").select_option("mentor")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(f"http://{page.url.split('/')[2]}/coordinator/programmes/{demo_world['programme']}"
                             "/groups?sort=mentor")
    names = [text.strip() for text in page.locator("table tbody tr td:first-child a").all_inner_texts()]
    assert names == sorted(names) and len(names) == 3
    # Only those that need attention: the demo's groups each have measures past their date, marked in red.
    page.locator("#attention").check()
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#attention")).to_be_checked()
    expect(rows).to_have_count(3)
    expect(page.locator("table tbody .text-danger")).to_have_count(3)
    expect(page.get_by_text("3 Gruppen, davon 3 mit Handlungsbedarf", exact=False)).to_be_visible()
    shot(page, "groups-overview-attention", backend)
