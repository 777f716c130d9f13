"""List pages issue a fixed number of queries, whatever the number of rows (no query per row)."""
from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select

from app.extensions import db
from app.models import (
    Application,
    Company,
    GroupMember,
    MatchingRound,
    Meeting,
    MentoringGroup,
    Role,
    User,
)
from tests.conftest import login


@contextlib.contextmanager
def counting(app):
    seen = []
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow(app, programme_id: int, n: int, start: int) -> None:
    """n more companies (with HR leads and approved applications), n/2 groups with a meeting, n/5 rounds."""
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(insert(Company), [{"name": f"Firma {start + i}", "created_at": now} for i in range(n)])
        companies = db.session.scalars(select(Company.id).order_by(Company.id.desc()).limit(n)).all()
        db.session.execute(insert(User), [{"email": f"hr{start + i}@q.example", "full_name": f"P {start + i}",
                                           "password_hash": "!", "role": Role.HR_LEAD, "company_id": c,
                                           "created_at": now, "is_active": True, "session_version": 1,
                                           "failed_login_count": 0} for i, c in enumerate(companies)])
        db.session.execute(insert(Application), [
            {"company_id": c, "programme_id": programme_id, "role": "mentor" if i % 2 else "mentee",
             "status": "approved", "created_at": now, "version": 1, "meeting_modes": [], "weekdays": [],
             "times_of_day": [], "cycle_min_months": 9, "cycle_max_months": 24, "max_travel_km": 50}
            for i, c in enumerate(companies)])
        round_ = MatchingRound(programme_id=programme_id, name=f"R{start}", status="published",
                               starts_on=date(2027, 1, 1), weights={}, created_at=now)
        db.session.add(round_)
        for extra in range(n // 5):
            db.session.add(MatchingRound(programme_id=programme_id, name=f"R{start}-{extra}", status="draft",
                                         starts_on=date(2027, 1, 1), weights={}, created_at=now))
        db.session.flush()
        applications = db.session.scalars(select(Application.id).order_by(Application.id.desc()).limit(n)).all()
        for pair in range(n // 2):
            group = MentoringGroup(programme_id=programme_id, round_id=round_.id, starts_on=date(2027, 1, 1),
                                   ends_on=date(2028, 1, 1), created_at=now)
            db.session.add(group)
            db.session.flush()
            db.session.execute(insert(GroupMember), [
                {"group_id": group.id, "application_id": applications[2 * pair], "role": "mentor",
                 "response": "accepted"},
                {"group_id": group.id, "application_id": applications[2 * pair + 1], "role": "mentee",
                 "response": "accepted", "score": 600}])
            db.session.add(Meeting(group_id=group.id, number=1, starts_at=now - timedelta(days=3),
                                   ends_at=now - timedelta(days=3, hours=-2), status="confirmed",
                                   uid=f"{group.id}@q"))
        db.session.commit()


PAGES = {
    "coordinator": ["/coordinator/", "/coordinator/programmes/{p}", "/coordinator/programmes/{p}/rounds",
                    "/coordinator/programmes/{p}/groups"],
    "admin": ["/admin/users", "/admin/audit"],
}


@pytest.mark.parametrize("who", sorted(PAGES))
def test_list_pages_query_as_often_with_500_rows_as_with_10(app, make, who):
    programme = make.programme()
    user = make.user(Role.COORDINATOR if who == "coordinator" else Role.ADMIN, programmes=[programme])
    client = app.test_client()
    login(client, user.email)
    _grow(app, programme.id, 10, 0)
    few = {}
    for path in PAGES[who]:
        url = path.format(p=programme.id)
        client.get(url)  # warm up (templates, caches)
        with counting(app) as seen:
            assert client.get(url).status_code == 200
        few[url] = len(seen)
    _grow(app, programme.id, 490, 10)
    many = {}
    for url in few:
        with counting(app) as seen:
            assert client.get(url).status_code == 200
        many[url] = len(seen)
    assert many == few
