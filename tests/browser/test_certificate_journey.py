"""An HR lead whose group's cycle has ended opens the certificate of participation and downloads it as PDF, on a
desktop and on a phone."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.extensions import db
from app.models import utcnow
from app.services import cycles
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in
from tests.web.test_cycles import _assess, _today, build_group

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_hr_lead_reads_and_downloads_the_certificate(page, backend, app, make, width, height):
    world = build_group(app, make, ends_on=_today() - timedelta(days=1))
    with app.app_context():
        from app.models import User

        lead = db.session.get(User, world["users"]["hr_mentee"].id)
        _assess(lead.company, lead, 3, utcnow() - timedelta(days=3), phase="end")
        db.session.commit()
        cycles.close_ended_groups(utcnow())
        db.session.commit()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, world["users"]["hr_mentee"].email)
    page.get_by_role("link", name="Ihre Teilnahmebescheinigung").click()
    expect(page.get_by_role("heading", name="Teilnahmebescheinigung")).to_be_visible()
    expect(page.get_by_text("bei 1 von 2 Gesprächsrunden der Gruppe dabei")).to_be_visible()
    expect(page.locator(".certificate-chart svg")).to_be_visible()
    # Nothing wider than the screen on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    shot(page, f"certificate-{width}", backend)
    with page.expect_download() as download:
        page.get_by_role("link", name="Als PDF herunterladen").click()
    assert download.value.suggested_filename.endswith(".pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        download.value.path().read_bytes())).pages).split())
    assert "Teilnahmebescheinigung" in text and "Bäckerei „Größe“ & Söhne" in text
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Als PDF herunterladen")).to_be_hidden()
    shot(page, f"certificate-{width}-print", backend)
    assert refused == []
