"""Measure the coordinator's dashboard on a large programme: 1,000 companies, 300 groups, 5,000 meetings.

Usage: .venv/bin/python bench/dashboard.py [--database-url URL]
Builds the programme in a throwaway SQLite database (or the given one), then requests the dashboard page 20 times
through the app and prints the median and the slowest time (target: under 300 ms).
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import create_app, maturity  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Application,
    Attendance,
    Company,
    Feedback,
    GroupMember,
    MatchingRound,
    MaturityAnswer,
    MaturityAssessment,
    Measure,
    Meeting,
    MentoringGroup,
    Programme,
    Role,
    SessionRecord,
    User,
)
from app.services.passwords import hash_password  # noqa: E402

PASSWORD = "bench-dashboard-password-2026"  # noqa: S105 - a throwaway database


def build(seed: int = 3) -> int:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    programme = Programme(name="Bench", region="NRW", state_code="NW")
    coordinator = User(email="k@bench.example", full_name="K", password_hash=hash_password(PASSWORD),
                       role=Role.COORDINATOR)
    coordinator.coordinated_programmes.append(programme)
    db.session.add_all([programme, coordinator])
    db.session.flush()
    companies = [{"name": f"Firma {i}", "created_at": now} for i in range(1000)]
    db.session.execute(insert(Company), companies)
    company_ids = list(db.session.scalars(db.select(Company.id).order_by(Company.id)))
    roles = ["mentor" if i < 300 else "mentee" for i in range(1000)]
    db.session.execute(insert(Application), [
        {"company_id": c, "programme_id": programme.id, "role": r, "status": "approved", "created_at": now,
         "version": 1, "meeting_modes": [], "weekdays": [], "times_of_day": []}
        for c, r in zip(company_ids, roles, strict=True)])
    apps = list(db.session.execute(db.select(Application.id, Application.role, Application.company_id)))
    for c in company_ids:  # two assessments per company
        for phase, bump in (("start", 0), ("middle", 1)):
            a = MaturityAssessment(company_id=c, phase=phase, overall=40, level="x", created_at=now)
            db.session.add(a)
            db.session.flush()
            db.session.execute(insert(MaturityAnswer), [
                {"assessment_id": a.id, "dimension": k, "score": min(4, rng.randint(0, 3) + bump)}
                for k in maturity.DIMENSION_KEYS])
    round_ = MatchingRound(programme_id=programme.id, name="R", status="published", starts_on=date(2026, 1, 1),
                           weights={}, created_at=now)
    db.session.add(round_)
    db.session.flush()
    mentors = [a for a in apps if a.role == "mentor"]
    mentees = [a for a in apps if a.role == "mentee"]
    meetings_per_group = 5000 // 300 + 1
    count = 0
    for g in range(300):
        group = MentoringGroup(programme_id=programme.id, round_id=round_.id, starts_on=date(2026, 1, 5),
                               ends_on=date(2027, 1, 5), created_at=now)
        db.session.add(group)
        db.session.flush()
        members = [mentors[g]] + mentees[g * 2: g * 2 + 2] + ([mentees[600 + g % 100]] if g < 100 else [])
        db.session.execute(insert(GroupMember), [
            {"group_id": group.id, "application_id": m.id, "role": "mentor" if m.role == "mentor" else "mentee",
             "score": rng.randint(300, 900) if m.role == "mentee" else None, "response": "accepted"}
            for m in members])
        for n in range(1, meetings_per_group + 1):
            if count >= 5000:
                break
            count += 1
            starts = datetime(2026, 1, 12, 9, tzinfo=UTC) + timedelta(days=21 * n + g % 20)
            meeting = Meeting(group_id=group.id, number=n, starts_at=starts, ends_at=starts + timedelta(hours=2),
                              status="confirmed", uid=f"{g}-{n}@bench", created_at=now)
            db.session.add(meeting)
            db.session.flush()
            if starts < now:
                db.session.add(SessionRecord(meeting_id=meeting.id, outcome="held", topics=[], recorded_at=now))
                db.session.flush()
                db.session.execute(insert(Attendance), [
                    {"meeting_id": meeting.id, "application_id": m.id, "person": "P", "function": "hr"}
                    for m in members])
                db.session.execute(insert(Feedback), [
                    {"meeting_id": meeting.id, "user_id": None, "rating": rng.randint(3, 5), "created_at": now}])
                db.session.add(Measure(group_id=group.id, meeting_id=meeting.id, application_id=members[1].id,
                                       title="M", owner="O", created_at=now))
    db.session.commit()
    return programme.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            programme_id = build()
            print(f"built 1,000 companies, 300 groups, 5,000 meetings in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        login = client.post("/login", data={"csrf_token": token.group(1), "email": "k@bench.example",
                                            "password": PASSWORD})
        assert login.status_code == 302, login.status_code
        times = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get(f"/coordinator/programmes/{programme_id}/dashboard?since=2025-01-01")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"dashboard: median {statistics.median(times):.0f} ms, slowest {max(times):.0f} ms "
              f"over 20 requests (target < 300 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
