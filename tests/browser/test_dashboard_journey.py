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
    page.wait_for_function("Array.from(document.querySelectorAll('.chart img')).every(i => i.complete)")
    assert page.evaluate("Math.min(...Array.from(document.querySelectorAll('.chart img')).map(i => i.naturalWidth))") > 100
    shot(page, "dashboard", backend)
    page.locator("#since").fill("2001-01-01")
    page.locator("#until").fill("2001-12-31")
    page.locator("form.no-print button[type=submit]").click()
    expect(page.get_by_text("01.01.2001").first).to_be_visible()
    shot(page, "dashboard-empty-period", backend)
