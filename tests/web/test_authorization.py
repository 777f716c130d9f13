"""The authorization table: every route, every role. A route missing here fails the test."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Role
from tests.conftest import csrf_token, login

ROLES = ("anonymous", "hr_a", "hr_b", "supervisor", "coordinator", "admin", "colleague")
R = 302  # redirect (to the login page for anonymous users, or onward after the action)

# (endpoint, method) -> expected status for anonymous, HR lead of company A, HR lead of company B,
# supervisor, coordinator of the programme, admin, and a colleague of company A whom its HR lead invited.
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    ("main.index", "GET"): (200, R, R, R, R, R, R),
    ("main.set_language", "POST"): (R, R, R, R, R, R, R),
    ("main.healthz", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("main.account", "GET"): (R, 200, 200, 200, 200, 200, 200),
    ("main.account", "POST"): (R, 200, 200, 200, 200, 200, 200),
    ("main.logout_everywhere", "POST"): (R, R, R, R, R, R, R),
    ("auth.login", "GET"): (200, R, R, R, R, R, R),
    ("auth.login", "POST"): (200, R, R, R, R, R, R),
    ("auth.logout", "POST"): (R, R, R, R, R, R, R),
    ("auth.register", "GET"): (200, R, R, R, R, R, R),
    ("auth.register", "POST"): (200, R, R, R, R, R, R),
    ("auth.registration_sent", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.confirm_registration", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.confirm_registration", "POST"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.forgot_password", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.forgot_password", "POST"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.reset_password", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.reset_password", "POST"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.accept_invitation", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("auth.accept_invitation", "POST"): (200, 200, 200, 200, 200, 200, 200),
    ("admin.users", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.invite", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.invite", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.deactivate", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("admin.reactivate", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("admin.mailbox", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.mailbox_message", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("hr.start", "GET"): (R, 200, 200, 403, 403, 403, 403),
    ("main.places", "GET"): (R, 200, 200, 200, 200, 200, 200),
    # Company A has given consent, company B not: B is sent to the consent page first.
    ("hr.consent", "GET"): (R, 200, 200, 403, 403, 403, 403),
    ("hr.consent", "POST"): (R, 200, 200, 403, 403, 403, 403),
    ("hr.withdraw_consent", "POST"): (R, R, R, 403, 403, 403, 403),
    ("hr.profile", "GET"): (R, 200, R, 403, 403, 403, 403),
    ("hr.profile", "POST"): (R, 200, R, 403, 403, 403, 403),
    ("hr.application", "GET"): (R, 200, R, 403, 403, 403, 403),
    ("hr.application", "POST"): (R, 200, R, 403, 403, 403, 403),
    ("hr.application_detail", "GET"): (R, 200, 404, 403, 403, 403, 403),
    ("hr.topics", "GET"): (R, 200, 404, 403, 403, 403, 403),
    ("hr.topics", "POST"): (R, R, 404, 403, 403, 403, 403),
    ("hr.submit", "POST"): (R, R, 404, 403, 403, 403, 403),
    ("hr.assessment", "GET"): (R, 200, R, 403, 403, 403, 403),
    ("hr.assessment", "POST"): (R, 200, R, 403, 403, 403, 403),
    ("hr.assessment_result", "GET"): (R, 200, 404, 403, 403, 403, 403),
    ("companies.assessment_chart", "GET"): (R, 200, 404, 403, 200, 200, 403),
    ("coordinator.application", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.decide", "POST"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.decide_proposal", "POST"): (R, 403, 403, 403, R, R, 403),
    ("coordinator.import_companies", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.import_companies", "POST"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.confirm_import", "POST"): (R, 403, 403, 403, R, R, 403),
    ("coordinator.export_companies", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("supervisor.start", "GET"): (R, 403, 403, 200, 403, 403, 403),
    ("coordinator.start", "GET"): (R, 403, 403, 403, 200, 403, 403),
    ("coordinator.programme", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("companies.detail", "GET"): (R, 200, 404, 403, 200, 200, 403),
    ("rounds.index", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.new", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.new", "POST"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.edit", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.edit", "POST"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.detail", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("rounds.run", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.add_rule", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.delete_rule", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.move", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.swap_supervisor", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.publish", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.follow_up", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.export_instance", "GET"): (R, 403, 403, 403, 200, 200, 403),
    # The group's members are company A (mentee) and a mentor company; the supervisor leads it.
    ("groups.detail", "GET"): (R, 200, 404, 200, 200, 200, 200),
    ("groups.respond", "POST"): (R, 200, 404, 403, 403, 403, 403),
    ("supervisor.profile", "GET"): (R, 403, 403, 200, 403, 403, 403),
    ("supervisor.profile", "POST"): (R, 403, 403, 200, 403, 403, 403),
    ("supervisor.availability", "POST"): (R, 403, 403, 200, 403, 403, 403),
    ("supervisor.add_absence", "POST"): (R, 403, 403, 200, 403, 403, 403),
    ("supervisor.delete_absence", "POST"): (R, 403, 403, R, 403, 403, 403),
    ("rounds.plan_meetings", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.confirm_meetings", "POST"): (R, 403, 403, 403, R, R, 403),
    ("rounds.meeting_calendar", "GET"): (R, 403, 403, 403, 200, 200, 403),
    # A meeting of the group above: its HR leads see it, the supervisor and coordinators change it.
    ("meetings.detail", "GET"): (R, 200, 404, 200, 200, 200, 200),
    ("meetings.move", "POST"): (R, 403, 404, 200, 200, 200, 403),
    ("meetings.cancel", "POST"): (R, 403, 404, 200, 200, 200, 403),
    ("meetings.feed", "GET"): (404, 404, 404, 404, 404, 404, 404),
    ("meetings.issue_feed", "POST"): (R, R, R, R, R, R, R),
    ("meetings.revoke_feed", "POST"): (R, R, R, R, R, R, R),
    # The session log: the group's supervisor records; the note's readers are its author and the coordinators.
    ("meetings.record", "POST"): (R, 403, 403, 200, 403, 403, 403),
    ("meetings.amend", "POST"): (R, 403, 403, 200, 403, 403, 403),
    ("meetings.confidential", "GET"): (R, 403, 403, 200, 200, 403, 403),
    ("meetings.feedback", "POST"): (R, 200, 404, 403, 403, 403, 403),
    ("meetings.update_measure", "POST"): (R, R, 404, 403, 403, 403, 403),
    ("groups.sharing", "POST"): (R, 403, 403, R, R, R, 403),
    ("coordinator.groups", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("groups.mine", "GET"): (R, 403, 403, 403, 403, 403, 200),
    ("admin.audit_log", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("coordinator.dashboard", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("main.personal_data", "GET"): (R, 200, 200, 200, 200, 200, 200),
    ("companies.erase", "POST"): (R, 403, 403, 403, R, R, 403),
    # The table's user is a supervisor, not of company A: not found there (the happy path: test_erasure.py).
    ("companies.erase_person", "POST"): (R, 403, 403, 403, 404, 404, 403),
    ("coordinator.funder_report", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.funder_report_export", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("hr.participants", "GET"): (R, 200, 200, 403, 403, 403, 403),
    ("hr.participants", "POST"): (R, 200, 200, 403, 403, 403, 403),
    ("hr.participant_exit", "POST"): (R, R, 404, 403, 403, 403, 403),
    ("admin.erase", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("main.personal_data", "POST"): (R, 200, 200, 200, 200, 200, 200),
    ("admin.audit_export", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("hr.invite_colleague", "POST"): (R, R, R, 403, 403, 403, 403),
    ("rounds.add_missing", "POST"): (R, 403, 403, 403, R, R, 403),
    # Company A's certificate of a completed group: its HR lead and colleague, the programme's coordinator; for
    # everyone else it does not exist. Company A's application is approved, not completed: applying again is
    # refused with a message (R); another company's: 404.
    ("cycles.certificate", "GET"): (R, 200, 404, 404, 200, 404, 200),
    ("cycles.certificate_pdf_download", "GET"): (R, 200, 404, 404, 200, 404, 200),
    ("cycles.apply_again", "POST"): (R, R, 404, 403, 403, 403, 403),
    # Issue 15: organisations, programmes and their coordinators (admins), settings (coordinators), public pages.
    ("admin.organisation_list", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.new_organisation", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.new_organisation", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.edit_organisation", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.edit_organisation", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.programme_list", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.new_programme", "GET"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.new_programme", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.programme_setup", "GET"): (R, 403, 403, 403, 403, 200, 403),
    # Without a choice the carrier is taken away (a programme may have none yet).
    ("admin.set_carrier", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("admin.add_partner", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.remove_partner", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("admin.assign_coordinator", "POST"): (R, 403, 403, 403, 403, 200, 403),
    ("admin.remove_coordinator", "POST"): (R, 403, 403, 403, 403, R, 403),
    ("coordinator.settings", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.settings", "POST"): (R, 403, 403, 403, 200, 200, 403),
    # Issue 15 part 4: the programme's supervisors. An empty invitation form shows again (200); a capacity form
    # without a number is refused with a message (R). The coordinator removes the supervisor before the admin
    # tries, who then finds no such supervisor of the programme (404).
    ("coordinator.supervisors", "GET"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.supervisors", "POST"): (R, 403, 403, 403, 200, 200, 403),
    ("coordinator.supervisor_capacity", "POST"): (R, 403, 403, 403, R, R, 403),
    ("coordinator.remove_supervisor", "POST"): (R, 403, 403, 403, R, 404, 403),
    ("main.programme", "GET"): (200, 200, 200, 200, 200, 200, 200),
    # "Jetzt bewerben": to the registration, to the HR lead's application, or back to the page with a note.
    ("main.apply", "GET"): (R, R, R, R, R, R, R),
    ("main.imprint", "GET"): (200, 200, 200, 200, 200, 200, 200),
    ("main.privacy", "GET"): (200, 200, 200, 200, 200, 200, 200),
}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_table(app):
    assert routes(app) == set(EXPECTED)


@pytest.fixture
def world(app, make, mailbox):
    programme = make.programme("Programm Borken")
    company_a, company_b = make.company("Firma A"), make.company("Firma B")
    application = make.application(company_a, programme)
    users = {
        "hr_a": make.user(Role.HR_LEAD, company=company_a),
        "hr_b": make.user(Role.HR_LEAD, company=company_b),
        "supervisor": make.user(Role.SUPERVISOR),
        "coordinator": make.user(Role.COORDINATOR, programmes=[programme]),
        "admin": make.user(Role.ADMIN),
        "colleague": make.user(Role.COLLEAGUE, company=company_a),
    }
    target = make.user(Role.SUPERVISOR, email="target@example.org")
    # One stored mail so that the mailbox has a message to open.
    from app.services import mail
    from tests.conftest import utc_now

    with app.app_context():
        mail.queue_mail("someone@example.org", "password_reset", locale="de", now=utc_now(), user=target, link="x")
        db.session.commit()
        mail.deliver_due(utc_now())
        extra = company_a_world(company_a.id, application.id, users["hr_a"].id, programme.id)
        extra |= published_round_world(programme.id, application.id, users["supervisor"].id, users["coordinator"].id)
        extra |= organisation_world(programme.id)
        extra |= completed_group_world(programme.id, application.id, users["supervisor"].id)
        extra |= programme_supervisor_world(programme.id, [users["supervisor"].id, target.id])
    return {
        "users": users,
        "args": {
            "company_id": company_a.id,
            "programme_id": programme.id,
            "user_id": target.id,
            "token": "not-a-valid-token",
            "name": mailbox.messages()[0].name,
            "application_id": application.id,
            "fmt": "csv",
            **extra,
        },
    }


def company_a_world(company_id: int, application_id: int, lead_id: int, programme_id: int) -> dict:
    """Company A: consent, an approved application with a pending change, an assessment; an import preview."""
    from app import maturity
    from app.models import Application, Company, ImportBatch, User
    from app.services import companies
    from tests.conftest import utc_now

    company, lead = db.session.get(Company, company_id), db.session.get(User, lead_id)
    application = db.session.get(Application, application_id)
    now = utc_now()
    companies.give_consent(company, actor=lead, now=now)
    assessment = companies.record_assessment(company, dict.fromkeys(maturity.DIMENSION_KEYS, 2), {}, actor=lead,
                                             now=now)
    companies.update_profile(company, {"name": "Firma A", "sector": "C", "headcount_band": "le15",
                                       "municipality": "Velen", "has_works_council": False,
                                       "has_shift_work": False, "has_charta": False, "has_audit": False,
                                       "has_pflege_guide": False, "has_pflegekoffer": False,
                                       "caregiver_estimate": None}, actor=lead, now=now)
    application.status = "approved"
    proposal = companies.update_profile(company, {"name": "Firma A neu", "sector": "C", "headcount_band": "le15",
                                                  "municipality": "Velen", "has_works_council": False,
                                                  "has_shift_work": False, "has_charta": False, "has_audit": False,
                                                  "has_pflege_guide": False, "has_pflegekoffer": False,
                                                  "caregiver_estimate": None}, actor=lead, now=now)
    batch = ImportBatch(programme_id=programme_id, filename="x.csv", rows=[], created_at=now)
    db.session.add(batch)
    db.session.commit()
    return {"assessment_id": assessment.id, "proposal_id": proposal.id, "batch_id": batch.id}


def organisation_world(programme_id: int) -> dict:
    """The programme's carrier and one partner."""
    from app.models import Organisation, Programme, ProgrammePartner

    carrier = Organisation(name="Wirtschaftsförderung Borken", kind="business_development")
    partner = Organisation(name="Pflegestützpunkt Borken", kind="care_base", contact_name="Petra Partner",
                           contact_email="petra@example.org")
    db.session.add_all([carrier, partner])
    db.session.flush()
    db.session.get(Programme, programme_id).carrier_id = carrier.id
    link = ProgrammePartner(programme_id=programme_id, organisation_id=partner.id, role="partner")
    db.session.add(link)
    db.session.commit()
    return {"organisation_id": partner.id, "partner_id": link.id}


def published_round_world(programme_id: int, mentee_application_id: int, supervisor_id: int,
                          coordinator_id: int) -> dict:
    """A published round whose one group holds company A (mentee) and a mentor company, led by the supervisor."""
    from datetime import UTC, date, datetime

    from app.models import (
        Application,
        Company,
        GroupMember,
        MatchingRound,
        MaturityAssessment,
        Measure,
        Meeting,
        MentoringGroup,
        Participant,
        RoundRule,
        SupervisorAbsence,
    )
    from tests.conftest import utc_now

    now = utc_now()
    mentor_company = Company(name="Mentor GmbH", created_at=now, municipality="Borken", latitude=51.84,
                             longitude=6.86)
    db.session.add(mentor_company)
    db.session.flush()
    db.session.add(MaturityAssessment(company_id=mentor_company.id, overall=70, level="advanced", created_at=now))
    mentor = Application(company_id=mentor_company.id, programme_id=programme_id, role="mentor", status="approved")
    db.session.add(mentor)
    db.session.flush()
    round_ = MatchingRound(programme_id=programme_id, name="Runde 1", status="published", starts_on=date(2027, 1, 1),
                           created_by_id=coordinator_id, created_at=now, weights={})
    round_.participants = [mentor, db.session.get(Application, mentee_application_id)]
    db.session.add(round_)
    db.session.flush()
    rule = RoundRule(round_id=round_.id, kind="forbid", mentor_application_id=mentor.id,
                     mentee_application_id=mentee_application_id, created_at=now)
    group = MentoringGroup(programme_id=programme_id, round_id=round_.id, supervisor_id=supervisor_id,
                           starts_on=date(2027, 1, 1), ends_on=date(2028, 1, 1), created_at=now)
    group.members = [GroupMember(application_id=mentor.id, role="mentor"),
                     GroupMember(application_id=mentee_application_id, role="mentee", score=700, reasons=[])]
    db.session.add_all([rule, group])
    db.session.flush()
    meeting = Meeting(group_id=group.id, number=1, starts_at=datetime(2027, 2, 2, 9, tzinfo=UTC),
                      ends_at=datetime(2027, 2, 2, 11, tzinfo=UTC), status="confirmed", uid="m1@tandem")
    absence = SupervisorAbsence(user_id=supervisor_id, starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 5))
    db.session.add_all([meeting, absence])
    db.session.flush()
    measure = Measure(group_id=group.id, meeting_id=meeting.id, application_id=mentee_application_id,
                      title="Pflege-Leitfaden erstellen", owner="HR")
    participant = Participant(programme_id=programme_id, company_id=db.session.get(
        Application, mentee_application_id).company_id, first_name="Eva", last_name="Muster", postcode="46325",
        person_key="eva|muster|46325", sex="female", age_band="30_54", employment="employed",
        education="isced_3_4", entered_on=date(2027, 1, 1))
    db.session.add_all([measure, participant])
    db.session.commit()
    return {"round_id": round_.id, "rule_id": rule.id, "group_id": group.id, "meeting_id": meeting.id,
            "absence_id": absence.id, "measure_id": measure.id, "participant_id": participant.id}


def completed_group_world(programme_id: int, mentee_application_id: int, supervisor_id: int) -> dict:
    """An earlier, completed group of company A (the certificate's routes). Its mentor company is approved again
    and in no group: a draft round lists it as missing (the hostile-input fuzz finds the add action there)."""
    from datetime import UTC, date, datetime

    from app.models import Application, Company, GroupMember, MatchingRound, MentoringGroup

    mentor_company = Company(name="Früherer Mentor GmbH")
    db.session.add(mentor_company)
    db.session.flush()
    mentor = Application(company_id=mentor_company.id, programme_id=programme_id, role="mentor", status="approved")
    db.session.add(mentor)
    round_ = MatchingRound(programme_id=programme_id, name="Runde 0", status="published", starts_on=date(2025, 1, 1),
                           weights={})
    db.session.add(round_)
    db.session.flush()
    group = MentoringGroup(programme_id=programme_id, round_id=round_.id, supervisor_id=supervisor_id,
                           starts_on=date(2025, 1, 1), ends_on=date(2026, 1, 1), status="completed",
                           completed_at=datetime(2026, 1, 2, 3, tzinfo=UTC))
    group.members = [GroupMember(application_id=mentor.id, role="mentor", response="accepted"),
                     GroupMember(application_id=mentee_application_id, role="mentee", response="accepted")]
    db.session.add(group)
    db.session.commit()
    return {"member_id": group.members[1].id}


def programme_supervisor_world(programme_id: int, user_ids: list[int]) -> dict:
    """The programme's supervisors: the one who leads its groups, and the target account (user_id in URLs)."""
    from app.models import ProgrammeSupervisor

    db.session.add_all([ProgrammeSupervisor(programme_id=programme_id, user_id=user_id, max_groups=2)
                        for user_id in user_ids])
    db.session.commit()
    return {}


def url_for_endpoint(app, endpoint: str, args: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: args[k] for k in rule.arguments})


@pytest.mark.parametrize(("endpoint", "method"), sorted(EXPECTED))
def test_access(app, world, endpoint, method):
    url = url_for_endpoint(app, endpoint, world["args"])
    seen = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, world["users"][role].email)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client)})
        seen.append(response.status_code)
    assert tuple(seen) == EXPECTED[(endpoint, method)], dict(zip(ROLES, seen, strict=True))


def test_coordinator_of_another_programme_gets_404(app, make):
    own, other = make.programme("Eigenes Programm"), make.programme("Fremdes Programm")
    company = make.company("Firma im fremden Programm")
    make.application(company, other, role="mentor")
    coordinator = make.user(Role.COORDINATOR, programmes=[own])
    client = app.test_client()
    login(client, coordinator.email)
    assert client.get(f"/coordinator/programmes/{own.id}").status_code == 200
    assert client.get(f"/coordinator/programmes/{other.id}").status_code == 404
    assert client.get(f"/companies/{company.id}").status_code == 404
    assert client.get("/companies/999999").status_code == 404
