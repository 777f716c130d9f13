"""The cycle closes: the nightly job completes ended groups once, asks for the final self-assessment once, and each
company gets its certificate of participation (page and PDF) that only its own people and the coordinators read;
a completed company can apply for the next cycle with its application pre-filled."""
from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from pypdf import PdfReader

from app import maturity
from app.extensions import db
from app.models import (
    Application,
    Attendance,
    GroupMember,
    GroupStatus,
    MatchingRound,
    Measure,
    Meeting,
    MentoringGroup,
    OutboundEmail,
    Programme,
    Role,
    SessionRecord,
    User,
    utcnow,
)
from app.services import calendar, companies, cycles
from tests.conftest import csrf_token, login


def _assess(company, lead, level: int, when: datetime, phase: str = "start") -> None:
    companies.record_assessment(company, dict.fromkeys(maturity.DIMENSION_KEYS, level), {}, actor=lead, now=when,
                                phase=phase)


def build_group(app, make, *, ends_on: date, months: int = 12, programme: str = "Pflege & Beruf im Kreis Borken",
                prefix: str = "") -> dict:
    """A programme with a published group (mentor „Tischlerei Hövelmann“, mentee „Bäckerei Größe & Söhne“), its
    HR leads, a colleague of the mentee, a coordinator, two held sessions (the mentee at one), and measures."""
    programme = make.programme(programme)
    mentor_co = make.company(prefix + "Tischlerei Hövelmann")
    mentee_co = make.company(prefix + "Bäckerei „Größe“ & Söhne")
    other_co = make.company("Firma Fremd")
    mentor_app = make.application(mentor_co, programme, "mentor", status="approved")
    mentee_app = make.application(mentee_co, programme, "mentee", status="approved")
    users = {
        "hr_mentee": make.user(Role.HR_LEAD, company=mentee_co),
        "hr_mentor": make.user(Role.HR_LEAD, company=mentor_co),
        "colleague": make.user(Role.COLLEAGUE, company=mentee_co),
        "hr_other": make.user(Role.HR_LEAD, company=other_co),
        "supervisor": make.user(Role.SUPERVISOR, full_name="Dr. Svenja Ölmann"),
        "coordinator": make.user(Role.COORDINATOR, programmes=[programme]),
        "other_coordinator": make.user(Role.COORDINATOR, programmes=[make.programme()]),
        "admin": make.user(Role.ADMIN),
    }
    starts_on = ends_on - relativedelta(months=months)
    with app.app_context():
        lead = db.session.get(User, users["hr_mentee"].id)
        mentee = lead.company
        mentor_lead = db.session.get(User, users["hr_mentor"].id)
        for company, who in ((mentee, lead), (mentor_lead.company, mentor_lead)):
            companies.give_consent(company, actor=who, now=utcnow() - timedelta(days=800))
        start_moment = datetime.combine(starts_on - timedelta(days=20), datetime.min.time(), calendar.BERLIN)
        _assess(mentee, lead, 1, start_moment)
        _assess(mentor_lead.company, mentor_lead, 3, start_moment)
        round_ = MatchingRound(programme_id=programme.id, name="Runde 1", status="published", starts_on=starts_on)
        db.session.add(round_)
        db.session.flush()
        group = MentoringGroup(programme_id=programme.id, round_id=round_.id, supervisor_id=users["supervisor"].id,
                               starts_on=starts_on, ends_on=ends_on)
        group.members.append(GroupMember(application_id=mentor_app.id, role="mentor", response="accepted"))
        group.members.append(GroupMember(application_id=mentee_app.id, role="mentee", response="accepted"))
        db.session.add(group)
        db.session.flush()
        for number, present in ((1, True), (2, False)):
            begins = datetime.combine(starts_on + timedelta(days=30 * number), datetime.min.time(),
                                      calendar.BERLIN) + timedelta(hours=14)
            meeting = Meeting(group_id=group.id, number=number, starts_at=begins, ends_at=begins + timedelta(hours=2),
                              status="confirmed", uid=str(uuid.uuid4()))
            db.session.add(meeting)
            db.session.flush()
            db.session.add(SessionRecord(meeting_id=meeting.id, outcome="held", recorded_at=begins))
            db.session.flush()
            db.session.add(Attendance(meeting_id=meeting.id, application_id=mentor_app.id, person="A", function="hr"))
            if present:
                db.session.add(Attendance(meeting_id=meeting.id, application_id=mentee_app.id, person="B",
                                          function="hr"))
        db.session.add_all([
            Measure(group_id=group.id, application_id=mentee_app.id, title="Pflegekoffer „Erste Hilfe“ anlegen",
                    owner="Frau Müller", status="done"),
            Measure(group_id=group.id, application_id=mentee_app.id, title="Mitarbeiterbefragung zur Pflege",
                    owner="Herr Özdemir", status="in_progress"),
            Measure(group_id=group.id, application_id=mentor_app.id, title="Nur beim Mentor", owner="X",
                    status="open"),
        ])
        db.session.commit()
        member_ids = {m.role: m.id for m in group.members}
        return {"programme": programme.id, "group": group.id, "users": users, "mentee_member": member_ids["mentee"],
                "mentor_member": member_ids["mentor"], "mentee_app": mentee_app.id, "mentor_app": mentor_app.id}


def _today() -> date:
    return calendar.local(utcnow()).date()


# -- the closing job ---------------------------------------------------------------------------------------------

@pytest.mark.dates
def test_the_closing_job_completes_an_ended_group_once_and_asks_for_the_final_assessment_once(app, make, clock):
    world = build_group(app, make, ends_on=_today() - timedelta(days=1))
    with app.app_context():
        mails = cycles.close_ended_groups(utcnow())
        db.session.commit()
        assert sorted(m.recipient for m in mails) == sorted(
            [world["users"]["hr_mentee"].email, world["users"]["hr_mentor"].email])
        assert all("phase=end" in m.body_text and "/certificates/" in m.body_text for m in mails)
        group = db.session.get(MentoringGroup, world["group"])
        assert group.status == GroupStatus.COMPLETED and group.completed_at is not None
        assert all(m.end_assessment_asked_at is not None for m in group.members)
        assert {m.application.status for m in group.members} == {"completed"}
        asked = [m.end_assessment_asked_at for m in group.members]
        # A second run (the job twice, or a second process) changes nothing and mails nobody.
        assert cycles.close_ended_groups(utcnow() + timedelta(hours=1)) == []
        db.session.commit()
        db.session.expire_all()
        assert [m.end_assessment_asked_at for m in db.session.get(MentoringGroup, world["group"]).members] == asked
        assert db.session.query(OutboundEmail).count() == 2


@pytest.mark.dates
def test_a_group_is_not_closed_before_its_end_date_has_passed(app, make, clock):
    world = build_group(app, make, ends_on=_today())
    with app.app_context():
        assert cycles.close_ended_groups(utcnow()) == []
        db.session.commit()
        assert db.session.get(MentoringGroup, world["group"]).status == GroupStatus.ACTIVE
        assert cycles.close_ended_groups(utcnow() + timedelta(days=1)) != []


@pytest.mark.dates
def test_a_company_asked_three_weeks_before_the_end_is_not_asked_again(app, make, clock):
    world = build_group(app, make, ends_on=_today() - timedelta(days=2))
    with app.app_context():
        earlier = utcnow() - timedelta(days=21)
        member = db.session.get(GroupMember, world["mentee_member"])
        member.end_assessment_asked_at = earlier
        lead = db.session.get(User, world["users"]["hr_mentee"].id)
        _assess(lead.company, lead, 3, utcnow() - timedelta(days=5), phase="end")
        db.session.commit()
        mails = cycles.close_ended_groups(utcnow())
        db.session.commit()
        mentee_mail = next(m for m in mails if m.recipient == lead.email)
        assert "phase=end" not in mentee_mail.body_text  # the final one is done: only the certificate
        assert db.session.get(GroupMember, world["mentee_member"]).end_assessment_asked_at == earlier


def test_dissolved_groups_and_declined_companies_are_left_alone(app, make):
    world = build_group(app, make, ends_on=_today() - timedelta(days=3))
    with app.app_context():
        member = db.session.get(GroupMember, world["mentor_member"])
        member.response = "declined"
        db.session.commit()
        mails = cycles.close_ended_groups(utcnow())
        db.session.commit()
        assert [m.recipient for m in mails] == [world["users"]["hr_mentee"].email]
        assert db.session.get(Application, world["mentor_app"]).status == "approved"


def test_the_scheduler_has_a_nightly_closing_job(app):
    from scheduler.process import build_scheduler

    scheduler = build_scheduler(app)
    assert "close_cycles" in {job.id for job in scheduler.get_jobs()}


# -- the certificate -----------------------------------------------------------------------------------------------

@pytest.fixture
def closed(app, make) -> dict:
    world = build_group(app, make, ends_on=_today() - timedelta(days=1))
    with app.app_context():
        lead = db.session.get(User, world["users"]["hr_mentee"].id)
        _assess(lead.company, lead, 3, utcnow() - timedelta(days=3), phase="end")
        db.session.commit()
        cycles.close_ended_groups(utcnow())
        db.session.commit()
    return world


# Who reads the mentee's certificate: its HR lead and colleague, the programme's coordinator; nobody else.
@pytest.mark.parametrize("who, status", [
    ("hr_mentee", 200), ("colleague", 200), ("coordinator", 200), ("hr_mentor", 404), ("hr_other", 404),
    ("supervisor", 404), ("other_coordinator", 404), ("admin", 404),
])
def test_who_reads_a_certificate(app, closed, who, status):
    client = app.test_client()
    login(client, closed["users"][who].email)
    for url in (f"/certificates/{closed['mentee_member']}", f"/certificates/{closed['mentee_member']}.pdf"):
        assert client.get(url).status_code == status, (who, url)


def test_no_certificate_before_the_group_is_completed(app, make):
    world = build_group(app, make, ends_on=_today() + timedelta(days=30))
    client = app.test_client()
    login(client, world["users"]["hr_mentee"].email)
    assert client.get(f"/certificates/{world['mentee_member']}").status_code == 404
    assert client.get(f"/certificates/{world['mentee_member']}.pdf").status_code == 404


def test_the_certificate_page_says_what_the_company_achieved(app, closed):
    client = app.test_client()
    login(client, closed["users"]["hr_mentee"].email)
    page = client.get(f"/certificates/{closed['mentee_member']}").get_data(as_text=True)
    assert "Teilnahmebescheinigung" in page
    assert "Bäckerei „Größe“ &amp; Söhne" in page
    assert "bei 1 von 2 Gesprächsrunden" in page
    assert "Pflegekoffer „Erste Hilfe“ anlegen" in page and "Nur beim Mentor" not in page
    assert "<svg" in page and "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Für den nächsten Durchgang bewerben" in page
    group_page = client.get(f"/groups/{closed['group']}").get_data(as_text=True)
    assert f"/certificates/{closed['mentee_member']}" in group_page
    assert f"/certificates/{closed['mentor_member']}" not in group_page


def test_the_pdf_holds_company_sessions_measures_and_maturity(app, closed):
    client = app.test_client()
    login(client, closed["users"]["hr_mentee"].email)
    response = client.get(f"/certificates/{closed['mentee_member']}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert "Teilnahmebescheinigung" in flat
    assert "Bäckerei „Größe“ & Söhne" in flat
    assert "Tischlerei Hövelmann" in flat and "Dr. Svenja Ölmann" in flat
    assert "bei 1 von 2 Gesprächsrunden" in flat
    assert "Pflegekoffer „Erste Hilfe“ anlegen" in flat and "Herr Özdemir" in flat
    assert "Nur beim Mentor" not in flat
    # Maturity at the start (level 1 in every area) and at the end (3), and the overall score of each.
    start = companies.maturity.score_assessment(dict.fromkeys(maturity.DIMENSION_KEYS, 1)).overall
    end = companies.maturity.score_assessment(dict.fromkeys(maturity.DIMENSION_KEYS, 3)).overall
    assert f"von {start} auf {end} von 100" in flat
    assert "Strategie" in flat


def test_coordinators_see_completed_groups_apart_from_running_ones(app, closed, make):
    running = build_group(app, make, ends_on=_today() + timedelta(days=60), programme="Zweites Programm",
                          prefix="Neu: ")
    with app.app_context():  # both groups in one programme
        db.session.get(MentoringGroup, running["group"]).programme_id = closed["programme"]
        db.session.commit()
    client = app.test_client()
    login(client, closed["users"]["coordinator"].email)
    page = client.get(f"/coordinator/programmes/{closed['programme']}/groups").get_data(as_text=True)
    running_part, completed_part = page.split("Abgeschlossene Gruppen", 1)
    assert f"/groups/{closed['group']}\"" not in running_part
    assert f"/groups/{closed['group']}\"" in completed_part
    assert f"/certificates/{closed['mentee_member']}" in completed_part


# -- the next cycle ------------------------------------------------------------------------------------------------

def test_a_completed_company_applies_again_with_its_application_prefilled(app, closed):
    with app.app_context():
        application = db.session.get(Application, closed["mentee_app"])
        application.max_travel_km = 37
        db.session.commit()
    client = app.test_client()
    login(client, closed["users"]["hr_mentee"].email)
    token = csrf_token(client, f"/certificates/{closed['mentee_member']}")
    response = client.post(f"/applications/{closed['mentee_app']}/next-cycle", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hr/programmes/{closed['programme']}/application")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="37"' in form
    with app.app_context():
        assert db.session.get(Application, closed["mentee_app"]).status == "draft"
    # Once is enough: a second click is refused with the reason.
    again = client.post(f"/applications/{closed['mentee_app']}/next-cycle", data={"csrf_token": token},
                        follow_redirects=True)
    assert "sobald ihr aktueller Durchgang beendet ist" in again.get_data(as_text=True)


def test_a_closed_programme_takes_no_next_application(app, closed):
    with app.app_context():
        programme = db.session.get(Programme, closed["programme"])
        if hasattr(Programme, "applications_enabled"):  # issue 15, part 3: an application window
            programme.applications_enabled = False
        else:
            programme.is_open = False
        db.session.commit()
        with pytest.raises(cycles.ServiceError):
            cycles.apply_again(db.session.get(Application, closed["mentee_app"]),
                               actor=db.session.get(User, closed["users"]["hr_mentee"].id), now=utcnow())


def test_pdf_text_keeps_german_and_folds_what_the_font_lacks():
    from app.certificate_pdf import pdf_text

    assert pdf_text("„Größe“ – Maßnahmen … 5 €") == "„Größe“ – Maßnahmen … 5 €"
    assert pdf_text("Łódź Wrocław ő") == "Lódz Wroclaw o"
    assert pdf_text("🙂") == "?"
