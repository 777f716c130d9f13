"""The coordinator's dashboard over the demo programme: figures, charts with their tables, the period filter."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import MatchingRound, Meeting, MentoringGroup, SessionRecord, utcnow
from app.services import dashboard
from tests.conftest import login


@pytest.mark.dates
def test_figures_of_the_demo_programme(app, demo_world):
    with app.app_context():
        now = utcnow()
        published = db.session.get(MatchingRound, demo_world["published"])
        mentees = [m for g in published.groups for m in g.mentees]
        since = min(g.starts_on for g in published.groups)
        figures = dashboard.build([demo_world["programme"]], since, now.date(), now)
        # The demo's other programme has its own sessions: count this programme's only.
        ours = select(MentoringGroup.id).where(MentoringGroup.programme_id == demo_world["programme"])
        recorded = db.session.scalars(select(SessionRecord).join(Meeting).where(Meeting.group_id.in_(ours))).all()
        confirmed_so_far = db.session.scalars(select(Meeting).where(Meeting.status == "confirmed",
                                                                    Meeting.starts_at <= now,
                                                                    Meeting.group_id.in_(ours))).all()
    # 16 companies: 6 mentors and 10 mentees, all approved but the last two mentees.
    assert sum(figures.companies.values()) == len(demo.COMPANIES) == 16
    assert figures.companies[("mentee", "submitted")] == 2 and figures.companies[("mentor", "approved")] == 6
    assert figures.groups_active == 3 and figures.groups_finished == 0
    assert figures.meetings_held == len(recorded) == 3
    assert figures.meetings_planned == len(confirmed_so_far) and figures.meetings_cancelled == 0
    # The demo records every member of each group as present, and each mentee rates 5 or 4.
    assert figures.attendance_rate == 100.0
    assert figures.feedback_count == len(mentees) and 4 <= figures.feedback_average <= 5
    assert figures.measures_agreed == len(mentees) and figures.measures_done == 0
    # Every demo mentee of the published round has a first and a mid-cycle assessment, one level up in three areas.
    assert figures.maturity_companies == len(mentees)
    gains = [figures.maturity_latest[k] - figures.maturity_first[k] for k in figures.maturity_first]
    assert all(g >= 0 for g in gains) and abs(sum(gains) - 3.0) < 0.05
    assert sum(n for _, n in figures.score_bins) == len(mentees)
    assert sum(planned for _, _, planned in figures.months) == figures.meetings_planned
    assert len(figures.attendance_by_group) == 3


def test_the_page_shows_every_chart_with_its_table_and_filters_the_period(app, demo_world):
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    url = f"/coordinator/programmes/{demo_world['programme']}/dashboard"
    page = client.get(url).get_data(as_text=True)
    assert page.count('src="data:image/svg+xml;base64,') == 4 and page.count("<caption>") == 4
    import base64
    import re

    for encoded in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        svg = base64.b64decode(encoded).decode()
        assert svg.lstrip().startswith("<svg") and "<script" not in svg
    empty = client.get(f"{url}?since=2001-01-01&until=2001-12-31").get_data(as_text=True)
    assert "01.01.2001" in empty
    with app.app_context():
        none = dashboard.build([demo_world["programme"]], utcnow().date().replace(year=2001),
                               utcnow().date().replace(year=2001), utcnow())
    assert none.meetings_planned == none.meetings_held == none.measures_agreed == 0
    assert client.get(f"{url}?since=nonsense").status_code == 200
    assert client.get("/coordinator/dashboard").status_code == 200
    # Exporting a round is an audited action too.
    assert client.get(f"/coordinator/rounds/{demo_world['draft']}/instance.json").status_code == 200
    with app.app_context():
        from app.models import AuditEvent

        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_round")) is not None
