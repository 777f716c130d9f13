"""Journeys of issue 5: a coordinator runs a matching round, pins a pair, runs again and publishes; one HR lead
accepts, another declines, and the coordinator starts a follow-up round for the freed companies."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import MatchingRound
from tests.browser.conftest import shot
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser


def _run_and_wait(page, number: int) -> None:
    page.locator("form[action$='/run'] button").click()
    # The solve runs in its own process; the page refreshes itself until the proposal of this run is there.
    expect(page.get_by_text(f"Lauf {number}", exact=False).first).to_be_visible(timeout=90_000)
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0, timeout=90_000)


def test_coordinator_runs_pins_reruns_and_publishes_then_companies_answer(page, backend, app, demo_world, mailbox):
    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(f"/coordinator/programmes/{demo_world['programme']}")
    page.locator(f"a[href$='/programmes/{demo_world['programme']}/rounds']").click()
    shot(page, "rounds-index", backend)
    page.locator("a[href$='/rounds/new']").click()
    shot(page, "round-new", backend)
    page.locator("#name").fill("Runde im Browser")
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    _run_and_wait(page, 1)
    shot(page, "round-proposal", backend)
    # Pin the first proposed pair and run again: the pin is kept and marked.
    page.locator("#kind").select_option("pin")
    mentee = page.locator("table tbody tr td").first.inner_text().strip()
    mentor_heading = page.locator(".card h3").first.inner_text()
    page.locator("#mentee").select_option(label=mentee)
    mentor = next(option for option in page.locator("#mentor option").all_inner_texts() if option in mentor_heading)
    page.locator("#mentor").select_option(label=mentor)
    page.locator("form[action$='/rules'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    _run_and_wait(page, 2)
    expect(page.get_by_text("angeheftet").first).to_be_visible()
    shot(page, "round-rerun", backend)
    # The same page in English.
    page.locator("button[name=language][value=en]").click()
    expect(page.get_by_text("Proposal").first).to_be_visible()
    shot(page, "round-proposal-en", backend)
    page.locator("button[name=language][value=de]").click()
    page.locator("form[action$='/publish'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, "round-published", backend)
    round_url = page.url
    with app.app_context():
        round_ = db.session.scalar(select(MatchingRound).where(MatchingRound.name == "Runde im Browser"))
        group = round_.groups[0]
        leads = [(m.application.company.hr_leads[0].email, m.role) for m in group.members]
        group_id = group.id
    # An HR lead accepts.
    page.locator("form[action='/logout'] button, form[action$='/logout'] button").first.click()
    log_in(page, leads[0][0], demo.DEMO_PASSWORD)
    page.goto("/hr/")
    page.locator(f"a[href$='/groups/{group_id}']").first.click()
    shot(page, "group-answer", backend)
    page.locator("button[name=accept]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    # A mentee's HR lead declines, with a reason.
    page.locator("form[action$='/logout'] button").first.click()
    decliner = next(email for email, role in reversed(leads) if role == "mentee")
    log_in(page, decliner, demo.DEMO_PASSWORD)
    page.goto(f"/groups/{group_id}")
    page.locator("#reason").fill("Der Termin passt uns in diesem Jahr nicht.")
    page.locator("button[name=decline]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert any("Termin passt" in m.body for m in mailbox.messages("coordinator@example.org"))
    # The coordinator sees the answers and starts a round for the freed companies.
    page.locator("form[action$='/logout'] button").first.click()
    log_in(page, "coordinator@example.org", demo.DEMO_PASSWORD)
    page.goto(round_url)
    expect(page.get_by_text("Der Termin passt uns").first).to_be_visible()
    shot(page, "round-answers", backend)
    page.locator("form[action$='/follow-up'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert re.search(r"/coordinator/rounds/\d+$", page.url) and page.url != round_url
    shot(page, "round-follow-up", backend)


def test_supervisor_enters_where_they_work(page, backend, make):
    from app.models import Role
    from tests.conftest import PASSWORD

    supervisor = make.user(Role.SUPERVISOR, email="sup@example.org", full_name="Dr. Anna Supervision")
    log_in(page, supervisor.email, PASSWORD)
    page.locator("a[href$='/supervisor/profile']").click()
    page.locator("#municipality").fill("Atlantis")
    page.locator("#submit").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    page.locator("#municipality").fill("Borken (Nordrhein-Westfalen)")
    page.locator("#max_groups").fill("3")
    page.locator("#submit").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_text("Borken (Nordrhein-Westfalen)").first).to_be_visible()
    shot(page, "supervisor-profile", backend)
