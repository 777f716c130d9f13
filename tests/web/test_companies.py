"""Service rules of applications: consent first, states, edits after approval become proposals, review."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import maturity
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    ChangeProposal,
    Company,
    MaturityAnswer,
    MaturityAssessment,
    Programme,
    Role,
    User,
    utcnow,
)
from app.services import companies, review
from app.services.errors import ServiceError
from tests.conftest import login

PROFILE = {"name": "Bäckerei Test", "sector": "C", "headcount_band": "16_25", "municipality": "Südlohn",
           "has_works_council": False, "has_shift_work": True, "has_charta": False, "has_audit": False,
           "has_pflege_guide": False, "has_pflegekoffer": True, "caregiver_estimate": 3}
PREFS = {"cycle_min_months": 9, "cycle_max_months": 18, "meeting_modes": ["in_person"], "weekdays": [1, 2],
         "times_of_day": ["morning"], "max_travel_km": 30, "mentee_capacity": None, "questions": "Wie fangen wir an?",
         "exclusions": ["Konkurrenz GmbH", "konkurrenz gmbh", " "]}
LOW = dict.fromkeys(maturity.DIMENSION_KEYS, 1)


@pytest.fixture
def setup(ctx):
    programme = Programme(name="Programm Test", region="Kreis Borken", state_code="NW")
    coordinator = User(email="k@example.org", full_name="Koordination", password_hash="!", role=Role.COORDINATOR)
    coordinator.coordinated_programmes.append(programme)
    company = Company(name="Bäckerei Test")
    lead = User(email="hr@example.org", full_name="HR", password_hash="!", role=Role.HR_LEAD, company=company)
    db.session.add_all([programme, coordinator, company, lead])
    db.session.flush()
    return programme, coordinator, company, lead


def complete_mentee(programme, company, lead, now):
    companies.give_consent(company, actor=lead, now=now)
    companies.update_profile(company, dict(PROFILE), actor=lead, now=now)
    companies.record_assessment(company, LOW, {}, actor=lead, now=now)
    application, _ = companies.save_application(company, programme, "mentee", dict(PREFS), actor=lead, now=now)
    first_topic = maturity.DIMENSIONS[4].topics[0].key
    companies.set_topics(application, {first_topic: 1}, {}, actor=lead, now=now)
    return application


def test_nothing_is_stored_without_consent(setup):
    programme, _, company, lead = setup
    with pytest.raises(ServiceError, match="Einwilligung"):
        companies.update_profile(company, dict(PROFILE), actor=lead, now=utcnow())
    with pytest.raises(ServiceError):
        companies.save_application(company, programme, "mentee", dict(PREFS), actor=lead, now=utcnow())
    with pytest.raises(ServiceError):
        companies.record_assessment(company, LOW, {}, actor=lead, now=utcnow())
    assert db.session.scalar(select(func.count()).select_from(MaturityAssessment)) == 0


def test_profile_resolves_the_municipality_with_coordinates(setup):
    _, _, company, lead = setup
    companies.give_consent(company, actor=lead, now=utcnow())
    companies.update_profile(company, dict(PROFILE), actor=lead, now=utcnow())
    assert company.municipality == "Südlohn (Nordrhein-Westfalen)"
    assert 51.9 < company.latitude < 52.0 and 6.8 < company.longitude < 6.9


def test_unknown_and_ambiguous_municipalities_are_refused_with_suggestions(setup):
    _, _, company, lead = setup
    companies.give_consent(company, actor=lead, now=utcnow())
    with pytest.raises(ServiceError) as unknown:
        companies.update_profile(company, PROFILE | {"municipality": "Südlon"}, actor=lead, now=utcnow())
    assert "Südlohn (Nordrhein-Westfalen)" in str(unknown.value.message)
    with pytest.raises(ServiceError) as ambiguous:
        companies.update_profile(company, PROFILE | {"municipality": "Rhede"}, actor=lead, now=utcnow())
    assert "Rhede (Niedersachsen)" in str(ambiguous.value.message)
    assert company.municipality is None


def test_exclusions_are_cleaned_and_linked(setup):
    programme, _, company, lead = setup
    rival = Company(name="Konkurrenz GmbH")
    db.session.add(rival)
    companies.give_consent(company, actor=lead, now=utcnow())
    application, _ = companies.save_application(company, programme, "mentee", dict(PREFS), actor=lead, now=utcnow())
    assert [(e.name, e.company_id) for e in application.exclusions] == [("Konkurrenz GmbH", rival.id)]


def test_mentor_needs_a_capacity_and_cycle_range_must_be_ordered(setup):
    programme, _, company, lead = setup
    companies.give_consent(company, actor=lead, now=utcnow())
    with pytest.raises(ServiceError, match="wie viele"):
        companies.save_application(company, programme, "mentor", dict(PREFS), actor=lead, now=utcnow())
    with pytest.raises(ServiceError, match="kürzeste"):
        companies.save_application(company, programme, "mentee", PREFS | {"cycle_min_months": 20},
                                   actor=lead, now=utcnow())


def test_submission_needs_profile_assessment_and_a_need(setup):
    programme, _, company, lead = setup
    now = utcnow()
    companies.give_consent(company, actor=lead, now=now)
    application, _ = companies.save_application(company, programme, "mentee", dict(PREFS), actor=lead, now=now)
    with pytest.raises(ServiceError) as missing:
        companies.submit_application(application, actor=lead, now=now)
    text = str(missing.value.message)
    assert "Unternehmensprofil" in text and "Selbsteinschätzung" in text and "Bedarf" in text
    assert application.status == ApplicationStatus.DRAFT


def test_states_from_draft_to_approved_and_edits_after_approval_become_proposals(setup):
    programme, coordinator, company, lead = setup
    now = utcnow()
    application = complete_mentee(programme, company, lead, now)
    companies.submit_application(application, actor=lead, now=now)
    assert application.status == ApplicationStatus.SUBMITTED
    with pytest.raises(ServiceError):
        companies.submit_application(application, actor=lead, now=now)
    # Still editable while submitted.
    companies.save_application(company, programme, "mentee", PREFS | {"max_travel_km": 40}, actor=lead, now=now)
    assert application.max_travel_km == 40
    review.decide(application, "approve", "", actor=coordinator, now=now)
    assert application.status == ApplicationStatus.APPROVED
    # After approval: the change is a proposal, the application unchanged.
    _, proposal = companies.save_application(company, programme, "mentee", PREFS | {"max_travel_km": 60},
                                             actor=lead, now=now)
    assert application.max_travel_km == 40
    assert proposal.changes["application.max_travel_km"] == {"old": 40, "new": 60}
    companies.update_profile(company, PROFILE | {"headcount_band": "26_50"}, actor=lead, now=now)
    assert company.headcount_band == "16_25"
    assert set(application.pending_proposal.changes) == {"application.max_travel_km", "company.headcount_band"}
    review.decide_proposal(application.pending_proposal, True, actor=coordinator, now=now)
    assert application.max_travel_km == 60 and company.headcount_band == "26_50"
    assert db.session.scalar(select(ChangeProposal.status)) == "accepted"


def test_rejected_proposal_changes_nothing(setup):
    programme, coordinator, company, lead = setup
    now = utcnow()
    application = complete_mentee(programme, company, lead, now)
    companies.submit_application(application, actor=lead, now=now)
    review.decide(application, "approve", "", actor=coordinator, now=now)
    companies.update_profile(company, PROFILE | {"name": "Neuer Name"}, actor=lead, now=now)
    review.decide_proposal(application.pending_proposal, False, actor=coordinator, now=now)
    assert company.name == "Bäckerei Test" and application.pending_proposal is None


def test_reject_and_send_back_need_a_reason_and_mail_the_hr_lead(setup, mailbox):
    programme, coordinator, company, lead = setup
    now = utcnow()
    application = complete_mentee(programme, company, lead, now)
    companies.submit_application(application, actor=lead, now=now)
    with pytest.raises(ServiceError, match="Begründung"):
        review.decide(application, "reject", "  ", actor=coordinator, now=now)
    mails = review.decide(application, "request_changes", "Bitte Bedarfe ergänzen.", actor=coordinator, now=now)
    assert application.status == ApplicationStatus.CHANGES_REQUESTED
    assert len(mails) == 1 and "Bitte Bedarfe ergänzen." in mails[0].body_text
    companies.submit_application(application, actor=lead, now=now)
    review.decide(application, "reject", "Passt nicht in die Region.", actor=coordinator, now=now)
    assert application.status == ApplicationStatus.REJECTED and application.decision_reason
    with pytest.raises(ServiceError):
        review.decide(application, "approve", "", actor=coordinator, now=now)


def test_mentor_below_threshold_is_flagged_with_dimensions(setup):
    programme, _, company, lead = setup
    now = utcnow()
    companies.give_consent(company, actor=lead, now=now)
    answers = dict.fromkeys(maturity.DIMENSION_KEYS, 3) | {"legal_process": 1, "practical_support": 0}
    assessment = companies.record_assessment(company, answers, {}, actor=lead, now=now)
    application, _ = companies.save_application(company, programme, "mentor", PREFS | {"mentee_capacity": 2},
                                                actor=lead, now=now)
    shortfall = review.mentor_shortfall(application, assessment)
    assert shortfall is not None and set(shortfall.dimensions) == {"legal_process", "practical_support"}
    strong = companies.record_assessment(company, dict.fromkeys(maturity.DIMENSION_KEYS, 3), {}, actor=lead, now=now)
    assert review.mentor_shortfall(application, strong) is None


def test_assessments_are_kept_with_their_dates(setup):
    _, _, company, lead = setup
    companies.give_consent(company, actor=lead, now=utcnow())
    first = companies.record_assessment(company, LOW, {"working_time": "Gleitzeit nur im Büro"}, actor=lead,
                                        now=utcnow())
    companies.record_assessment(company, dict.fromkeys(maturity.DIMENSION_KEYS, 2), {}, actor=lead, now=utcnow())
    db.session.refresh(company)
    assert [a.overall for a in company.assessments] == [25, 50]
    assert first.comments == {"working_time": "Gleitzeit nur im Büro"}


def test_withdrawing_consent_withdraws_applications(setup):
    programme, _, company, lead = setup
    now = utcnow()
    application = complete_mentee(programme, company, lead, now)
    companies.withdraw_consent(company, actor=lead, now=now)
    assert application.status == ApplicationStatus.WITHDRAWN
    assert companies.active_consent(company) is None
    with pytest.raises(ServiceError):
        companies.record_assessment(company, LOW, {}, actor=lead, now=now)


def test_list_filters_and_sorts(setup):
    programme, _, company, lead = setup
    now = utcnow()
    complete_mentee(programme, company, lead, now)
    other = Company(name="Aaa Mentor GmbH")
    other_lead = User(email="m@example.org", full_name="M", password_hash="!", role=Role.HR_LEAD, company=other)
    db.session.add_all([other, other_lead])
    db.session.flush()
    companies.give_consent(other, actor=other_lead, now=now)
    companies.record_assessment(other, dict.fromkeys(maturity.DIMENSION_KEYS, 4), {}, actor=other_lead, now=now)
    companies.save_application(other, programme, "mentor", PREFS | {"mentee_capacity": 2}, actor=other_lead, now=now)
    assert [r.company.name for r in review.list_applications(programme)] == ["Aaa Mentor GmbH", "Bäckerei Test"]
    assert [r.company.name for r in review.list_applications(programme, role="mentee")] == ["Bäckerei Test"]
    assert [r.company.name for r in review.list_applications(programme, sort="score")][0] == "Aaa Mentor GmbH"
    assert [r.company.name for r in review.list_applications(programme, level="role_model")] == ["Aaa Mentor GmbH"]
    assert review.list_applications(programme, sector="Q") == []
    assert db.session.scalar(select(func.count()).select_from(Application)) == 2


def _row_of(page: str, name: str) -> str:
    return re.search(rf"<tr>(?:(?!</tr>).)*>{name}</a>.*?</tr>", page, re.S).group(0)


def test_programme_page_shows_50_applications_a_page_and_keeps_filters_and_order(app, make):
    """120 applications: pages of 50 in the chosen order, the page links keep the filters and the order, mentors on
    any page are checked against the thresholds; a page out of range or garbled gives the nearest page, never a 500."""
    programme = make.programme()
    coordinator = make.user(Role.COORDINATOR, programmes=[programme])
    with app.app_context():
        for i in range(120):
            company = Company(name=f"Firma {i:03d}")
            answers = dict.fromkeys(maturity.DIMENSION_KEYS, 4 if i % 6 == 0 else 1)
            score = maturity.score_assessment(answers)
            db.session.add_all([company, Application(company=company, programme_id=programme.id,
                                                     role="mentor" if i % 3 == 0 else "mentee", status="submitted"),
                                MaturityAssessment(company=company, overall=score.overall, level=score.level.key,
                                                   answers=[MaturityAnswer(dimension=d, score=v)
                                                            for d, v in answers.items()])])
        db.session.commit()
        weak = maturity.score_assessment(dict.fromkeys(maturity.DIMENSION_KEYS, 1)).level.key
    client = app.test_client()
    login(client, coordinator.email)
    url = f"/coordinator/programmes/{programme.id}"

    first = client.get(url).get_data(as_text=True)
    assert "Bewerbungen 1–50 von 120" in first and "Firma 049" in first and "Firma 050" not in first
    assert f'href="{url}?page=2"' in first and "Seite 1 von 3" in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert "Bewerbungen 51–100 von 120" in second and "Firma 049" not in second
    assert "Firma 050" in second and "Firma 099" in second and "Firma 100" not in second
    assert "unter Mentor-Schwelle" in _row_of(second, "Firma 051")  # a weak mentor
    assert "unter Mentor-Schwelle" not in _row_of(second, "Firma 054")  # a strong mentor
    assert "unter Mentor-Schwelle" not in _row_of(second, "Firma 052")  # a mentee

    # Filters and order are kept by the page links; the second page goes on where the first stopped.
    filtered = client.get(f"{url}?role=mentee&sort=score&page=2").get_data(as_text=True)
    assert "Bewerbungen 51–80 von 80" in filtered
    links = re.findall(r'class="page-link" href="([^"]+)"', filtered)
    assert links and all("role=mentee" in link and "sort=score" in link for link in links)
    first_mentees = client.get(f"{url}?role=mentee&sort=score").get_data(as_text=True)
    shown = set(re.findall(r">(Firma \d{3})</a>", filtered))
    assert len(shown) == 30 and not shown & set(re.findall(r">(Firma \d{3})</a>", first_mentees))
    assert all(int(name[-3:]) % 3 for name in shown)  # mentees only
    by_level = client.get(f"{url}?level={weak}").get_data(as_text=True)
    assert "Bewerbungen 1–50 von 100" in by_level and f"level={weak}" in by_level

    # Beyond the last page: the last page; garbled (or too long to be a number), zero or negative: the first.
    for beyond in ("999", "9" * 30):
        assert "Bewerbungen 101–120 von 120" in client.get(f"{url}?page={beyond}").get_data(as_text=True)
    for bad in ("abc", "-3", "0", "9" * 5000, "1.5", ""):
        response = client.get(f"{url}?page={bad}")
        assert response.status_code == 200 and "Bewerbungen 1–50 von 120" in response.get_data(as_text=True), bad
    empty = client.get(f"{url}?sector=Q&page=3").get_data(as_text=True)
    assert "Keine Bewerbung passt zu diesen Filtern." in empty and "page-link" not in empty
