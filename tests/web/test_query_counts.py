"""List pages issue a fixed number of queries, whatever the number of rows (no query per row)."""
from __future__ import annotations

import contextlib
import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select

from app.extensions import db
from app.models import (
    Application,
    Attendance,
    Company,
    ConfidentialNote,
    Consent,
    Feedback,
    GroupMember,
    MatchingRound,
    Measure,
    Meeting,
    MentoringGroup,
    Participant,
    Role,
    RoundEvent,
    RoundRule,
    SessionRecord,
    User,
)
from app.models.matching_round import round_participant, round_supervisor
from tests.conftest import login


@contextlib.contextmanager
def counting(app):
    seen = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

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


# -- every other page that lists rows ----------------------------------------------------------------------------

def _anchors(app, make) -> dict:
    """The fixed rows the pages are about: company A (mentee, with consent) in group G of the published round R,
    led by the supervisor, with meeting M recorded; a draft round D with a proposal; the people who look."""
    programme = make.programme()
    company_a, mentor_company = make.company("Firma A"), make.company("Mentor GmbH")
    users = {
        "hr": make.user(Role.HR_LEAD, company=company_a),
        "colleague": make.user(Role.COLLEAGUE, company=company_a),
        "supervisor": make.user(Role.SUPERVISOR),
        "coordinator": make.user(Role.COORDINATOR, programmes=[programme]),
        "admin": make.user(Role.ADMIN),
    }
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add(Consent(company_id=company_a.id, user_id=users["hr"].id, text_version="1", given_at=now))
        mentee = Application(company_id=company_a.id, programme_id=programme.id, role="mentee", status="approved")
        mentor = Application(company_id=mentor_company.id, programme_id=programme.id, role="mentor",
                             status="approved")
        db.session.add_all([mentee, mentor])
        db.session.flush()
        published = MatchingRound(programme_id=programme.id, name="R", status="published",
                                  starts_on=date(2027, 1, 1), weights={}, created_at=now,
                                  proposal=_proposal([(mentor.id, [mentee.id])], users["supervisor"].id))
        draft = MatchingRound(programme_id=programme.id, name="D", status="draft", starts_on=date(2027, 1, 1),
                              weights={}, created_at=now,
                              proposal=_proposal([(mentor.id, [mentee.id])], users["supervisor"].id))
        published.participants = draft.participants = [mentee, mentor]
        db.session.add_all([published, draft])
        db.session.flush()
        db.session.execute(insert(round_supervisor), [{"round_id": r.id, "user_id": users["supervisor"].id}
                                                      for r in (published, draft)])
        group = MentoringGroup(programme_id=programme.id, round_id=published.id, supervisor_id=users["supervisor"].id,
                               starts_on=date(2027, 1, 1), ends_on=date(2028, 1, 1), created_at=now)
        group.members = [GroupMember(application_id=mentor.id, role="mentor", response="accepted"),
                         GroupMember(application_id=mentee.id, role="mentee", response="accepted", score=700,
                                     reasons=[])]
        db.session.add(group)
        db.session.flush()
        meeting = Meeting(group_id=group.id, number=1, starts_at=now - timedelta(days=1),
                          ends_at=now - timedelta(days=1, hours=-2), status="confirmed", uid="m@q")
        db.session.add(meeting)
        db.session.flush()
        db.session.add(SessionRecord(meeting_id=meeting.id, outcome="held", topics=[], minutes="Protokoll",
                                     recorded_by_id=users["supervisor"].id, recorded_at=now))
        db.session.add(ConfidentialNote(meeting_id=meeting.id, author_id=users["supervisor"].id, body="Notiz"))
        db.session.commit()
        ids = {"p": programme.id, "r": published.id, "d": draft.id, "g": group.id, "m": meeting.id,
               "mentee": mentee.id, "mentor": mentor.id, "company": company_a.id}
    return {"users": users, "ids": ids}


def _proposal(groups: list[tuple[int, list[int]]], supervisor_id: int) -> dict:
    return {"run": 1, "edited": False, "unplaced": [],
            "stats": {"proven_optimal": True, "gap": 0.0, "status": "OPTIMAL"},
            "groups": [{"mentor": mentor, "supervisor": supervisor_id, "cycle_months": [9, 24], "mode": "hybrid",
                        "mentees": [{"application": m, "score": 600, "contributions": {}, "reasons": []}
                                    for m in mentees]} for mentor, mentees in groups]}


def _grow_world(app, world: dict, n: int, start: int, mail_dir: str) -> None:
    """n more companies in the programme and the rounds, n/2 groups of the supervisor with company A in each and a
    meeting each, n more sessions and measures in group G, n more people at meeting M, n participants of
    company A, n rules and events in the draft round, n mails in the mailbox."""
    ids, users = world["ids"], world["users"]
    now = datetime.now(UTC)
    _grow(app, ids["p"], n, start)  # companies with HR leads and approved applications
    with app.app_context():
        applications = db.session.scalars(select(Application).order_by(Application.id.desc()).limit(n)).all()
        mentors = [a for a in applications if a.role == "mentor"]
        mentees = [a for a in applications if a.role == "mentee"]
        hr_leads = db.session.scalars(select(User.id).order_by(User.id.desc()).limit(n)).all()
        db.session.execute(insert(round_participant), [{"round_id": r, "application_id": a.id}
                                                       for r in (ids["r"], ids["d"]) for a in applications])
        pairs = list(zip(mentors, mentees, strict=False))
        for key in ("r", "d"):
            round_ = db.session.get(MatchingRound, ids[key])
            proposal = dict(round_.proposal)
            proposal["groups"] = proposal["groups"] + _proposal([(m.id, [e.id]) for m, e in pairs],
                                                                users["supervisor"].id)["groups"]
            proposal["unplaced"] = proposal["unplaced"] + [{"application": e.id, "code": "no_mentor", "params": {}}
                                                           for e in mentees[len(pairs):]]
            round_.proposal = proposal
            round_.previous_proposal = {**proposal, "groups": proposal["groups"][1:]}
        db.session.execute(insert(RoundRule), [
            {"round_id": ids["d"], "kind": "forbid", "mentor_application_id": m.id, "mentee_application_id": e.id,
             "created_at": now} for m, e in pairs])
        db.session.execute(insert(RoundEvent), [{"round_id": ids["d"], "actor_id": hr_leads[i], "kind": "run",
                                                 "details": {}, "created_at": now} for i in range(n)])
        first_group = db.session.scalar(select(func.coalesce(func.max(MentoringGroup.id), 0)))
        db.session.execute(insert(MentoringGroup), [
            {"programme_id": ids["p"], "round_id": ids["r"], "supervisor_id": users["supervisor"].id,
             "starts_on": date(2027, 1, 1), "ends_on": date(2028, 1, 1), "mode": "hybrid", "status": "active",
             "shares_measures": True, "created_at": now} for _ in pairs])
        groups = db.session.scalars(select(MentoringGroup.id).where(MentoringGroup.id > first_group)
                                    .order_by(MentoringGroup.id)).all()
        db.session.execute(insert(GroupMember), [
            row for g, (m, e) in zip(groups, pairs, strict=True) for row in (
                {"group_id": g, "application_id": m.id, "role": "mentor", "response": "accepted"},
                {"group_id": g, "application_id": e.id, "role": "mentee", "response": "accepted", "score": 500},
                {"group_id": g, "application_id": ids["mentee"], "role": "mentee", "response": "pending"})])
        meeting_rows = [{"group_id": g, "number": 1, "starts_at": now + timedelta(hours=i), "status": "confirmed",
                         "ends_at": now + timedelta(hours=i + 2), "uid": f"{start}-{g}@q"}
                        for i, g in enumerate(groups)]
        meeting_rows += [{"group_id": ids["g"], "number": 2 + start + i, "status": "confirmed",
                          "starts_at": now - timedelta(days=10 + start + i), "uid": f"{start}-{i}@g",
                          "ends_at": now - timedelta(days=10 + start + i, hours=-2)} for i in range(n)]
        db.session.execute(insert(Meeting), [{"is_in_person": True, "sequence": 0, "version": 1, "created_at": now,
                                              **row} for row in meeting_rows])
        sessions_of_g = db.session.scalars(select(Meeting.id).where(Meeting.group_id == ids["g"],
                                                                    Meeting.number >= 2 + start)).all()
        db.session.execute(insert(SessionRecord), [
            {"meeting_id": m, "outcome": "held", "topics": [], "minutes": "x", "recorded_at": now}
            for m in sessions_of_g])
        db.session.execute(insert(Measure), [
            {"group_id": ids["g"], "meeting_id": ids["m"] if i % 2 else sessions_of_g[i],
             "application_id": ids["mentee"] if i % 3 else ids["mentor"], "title": f"Maßnahme {start + i}",
             "owner": "HR", "status": "open", "created_at": now} for i in range(n)])
        db.session.execute(insert(Measure), [
            {"group_id": g, "application_id": ids["mentee"], "title": "M", "owner": "HR", "status": "open",
             "created_at": now} for g in groups])
        db.session.execute(insert(Attendance), [
            {"meeting_id": ids["m"], "application_id": a.id, "person": f"Person {start + i}", "function": "hr"}
            for i, a in enumerate(applications)])
        db.session.execute(insert(Feedback), [
            {"meeting_id": ids["m"], "user_id": u, "rating": 1 + i % 5, "created_at": now}
            for i, u in enumerate(hr_leads)])
        db.session.execute(insert(Participant), [
            {"programme_id": ids["p"], "company_id": ids["company"], "first_name": f"Vor{start + i}",
             "last_name": f"Nach{start + i}", "postcode": "46325", "person_key": f"vor{start + i}|nach|46325",
             "sex": "female", "age_band": "30_54", "employment": "employed", "education": "isced_3_4",
             "entered_on": now.date() - timedelta(days=5), "created_at": now} for i in range(n)])
        db.session.commit()
    for i in range(n):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "tandem@q.example", f"p{start + i}@q.example", "Hallo"
        message.set_content("Text")
        (Path(mail_dir) / f"{start + i:017d}-{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())


WORLD_PAGES = [
    ("coordinator", "/coordinator/rounds/{r}"),
    ("coordinator", "/coordinator/rounds/{d}"),
    ("coordinator", "/coordinator/programmes/{p}/report"),
    ("coordinator", "/groups/{g}"),
    ("coordinator", "/meetings/{m}"),
    ("coordinator", "/coordinator/dashboard"),
    ("coordinator", "/coordinator/programmes/{p}/dashboard"),
    ("coordinator", "/coordinator/rounds/{r}/calendar"),
    ("supervisor", "/supervisor/"),
    ("supervisor", "/groups/{g}"),
    ("supervisor", "/meetings/{m}"),
    ("hr", "/hr/"),
    ("hr", "/hr/participants"),
    ("hr", "/groups/{g}"),
    ("hr", "/meetings/{m}"),
    ("colleague", "/groups/"),
    ("colleague", "/groups/{g}"),
    ("admin", "/admin/mailbox"),
]


def test_pages_with_rows_query_as_often_with_500_rows_as_with_10(app, make, smtp_server):
    world = _anchors(app, make)
    clients = {}
    for who in {who for who, _ in WORLD_PAGES}:
        clients[who] = app.test_client()
        login(clients[who], world["users"][who].email)
    pages = [(who, path.format(**world["ids"])) for who, path in WORLD_PAGES]
    _grow_world(app, world, 10, 0, smtp_server["dir"])
    few = {}
    for who, url in pages:
        clients[who].get(url)  # warm up (templates, caches)
        with counting(app) as seen:
            assert clients[who].get(url).status_code == 200, (who, url)
        few[who, url] = len(seen)
    _grow_world(app, world, 490, 10, smtp_server["dir"])
    many, repeated = {}, {}
    for who, url in pages:
        with counting(app) as seen:
            assert clients[who].get(url).status_code == 200, (who, url)
        many[who, url] = len(seen)
        if url.startswith("/meetings/"):  # who may read the note is asked once (each asking looks it up)
            assert sum("confidential_note.meeting_id =" in q for q in seen) == 1, (who, url)
        repeated[who, url] = Counter(" ".join(re.sub(r"(?s)^SELECT .*?\sFROM\s", "SELECT … FROM ", q).split())
                                     for q in seen).most_common(2)
    assert many == few, {page: repeated[page] for page in many if many[page] != few[page]}
