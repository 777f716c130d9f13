"""The demo: two programmes of one carrier and its partners. "ESA-Mentorship Kreis Borken", open for applications:
invented companies in real municipalities of the Kreis (and a neighbour), a published matching round with accepted
groups, and a draft round ready to run. "Pflegefreundlicher Betrieb Westmünsterland": its first cycle has ended, its
group is completed and each company has its certificate of participation; its next call opens soon.

Every date is set back from `now` so that each event comes after what it needs: consent and application before the
decision, the decision before the round, the round before the groups' answers; only planned sessions lie ahead."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

import matching
from app import maturity
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Company,
    CompanyRole,
    MatchingRound,
    Measure,
    MeasureStatus,
    OrganisationKind,
    PartnerRole,
    Programme,
    ProgrammeSupervisor,
    Role,
    User,
)
from app.services import calendar, companies, cycles, funder_report, meetings, organisations, rounds, sessions
from app.services.passwords import hash_password
from matching.jsonio import result_to_json

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published in the README for the demo only
PROGRAMME_NAME = "ESA-Mentorship Kreis Borken"
EARLIER_PROGRAMME_NAME = "Pflegefreundlicher Betrieb Westmünsterland"


@dataclass(frozen=True)
class DemoCompany:
    name: str
    municipality: str
    role: str
    lead: str
    sector: str
    band: str
    works_council: bool
    shift_work: bool
    instruments: tuple[str, ...]
    scores: tuple[int, ...]  # the ten dimensions in the model's order
    capacity: int | None = None
    weekdays: tuple[int, ...] = (1, 2, 3)
    max_km: int = 30


M, E = CompanyRole.MENTOR, CompanyRole.MENTEE
COMPANIES = [
    DemoCompany("Tischlerei Hövelmann GmbH", "Borken", M, "Anja Hövelmann", "C", "26_50", False, False,
                ("charta", "pflegekoffer"), (3, 3, 4, 3, 4, 3, 3, 4, 2, 2), 3, (1, 2, 3), 35),
    DemoCompany("Bocholter Textilveredelung KG", "Bocholt", M, "Markus Tenbrink", "C", "51_250", True, True,
                ("charta", "audit", "pflege_guide"), (4, 3, 3, 4, 3, 2, 4, 3, 3, 4), 3, (0, 2, 3), 40),
    DemoCompany("Ahauser Metallbau GmbH & Co. KG", "Ahaus", M, "Sabine Wessels", "C", "51_250", True, True,
                ("pflege_guide",), (3, 2, 3, 4, 3, 3, 3, 3, 2, 3), 2, (1, 3), 30),
    DemoCompany("Pflegedienst Sonnenweg Velen", "Velen", M, "Jens Overkamp", "Q", "16_25", False, True,
                ("charta", "pflegekoffer"), (4, 4, 4, 4, 4, 3, 3, 4, 3, 3), 2, (0, 1, 2), 25),
    DemoCompany("Bäckerei Terhorst", "Südlohn", E, "Claudia Terhorst", "C", "16_25", False, True,
                (), (1, 0, 1, 0, 2, 1, 1, 1, 2, 0), None, (1, 2), 25),
    DemoCompany("Stadtlohner Kunststofftechnik GmbH", "Stadtlohn", E, "Thomas Böing", "C", "51_250", True, True,
                ("charta",), (2, 1, 2, 1, 1, 2, 2, 1, 0, 1), None, (0, 2, 3), 30),
    DemoCompany("Elektro Schulze-Hessing", "Gescher", E, "Petra Schulze-Hessing", "F", "le15", False, False,
                (), (0, 0, 1, 0, 2, 1, 0, 1, 1, 0), None, (2, 3), 20),
    DemoCompany("Vredener Landtechnik GmbH", "Vreden", E, "Stefan Niehues", "G", "26_50", False, False,
                (), (1, 1, 0, 1, 2, 2, 1, 0, 1, 1), None, (1, 3), 30),
    DemoCompany("Rheder Steuerberatung Kemper & Partner", "Rhede", E, "Miriam Kemper", "M", "16_25", False,
                False, ("pflegekoffer",), (2, 1, 2, 1, 3, 3, 1, 2, 1, 1), None, (0, 1, 2, 3), 35),
    DemoCompany("Gronauer Logistik Service GmbH", "Gronau", E, "Daniel Ebbing", "H", "51_250", True, True,
                (), (1, 2, 1, 1, 0, 0, 2, 1, 1, 2), None, (0, 1, 2), 40),
    DemoCompany("Raesfelder Maschinenbau GmbH", "Raesfeld", M, "Ulrich Bröcking", "C", "51_250", True, True,
                ("charta", "audit"), (4, 3, 4, 3, 3, 3, 4, 3, 3, 3), 3, (1, 2, 3), 35),
    DemoCompany("Sparkassen-Service Westmünsterland", "Coesfeld", M, "Birgit Nienhaus", "K", "51_250", True, False,
                ("audit", "pflege_guide"), (3, 4, 4, 3, 4, 3, 3, 3, 3, 3), 2, (0, 1, 3), 40),
    DemoCompany("Hausarztpraxis Dr. Tenhagen", "Heiden", E, "Nina Tenhagen", "Q", "le15", False, False,
                (), (1, 1, 1, 2, 1, 0, 1, 1, 1, 0), None, (0, 2), 25),
    DemoCompany("Isselburger Fensterbau GmbH", "Isselburg", E, "Jörg Hemsing", "C", "26_50", False, True,
                (), (0, 1, 1, 0, 1, 1, 1, 2, 1, 1), None, (1, 2, 3), 35),
    DemoCompany("Legdener Landhandel eG", "Legden", E, "Ute Schwering", "G", "16_25", False, False,
                ("pflegekoffer",), (1, 2, 1, 1, 2, 1, 0, 1, 2, 1), None, (1, 3), 30),
    DemoCompany("Rekener Autohaus Lütke-Wiesmann", "Reken", E, "Carsten Lütke-Wiesmann", "G", "26_50", False, True,
                (), (2, 1, 1, 1, 1, 2, 1, 1, 0, 1), None, (0, 1, 2, 3), 35),
]

# The published round's companies (by name); the others are left for the draft round.
FIRST_ROUND = {"Tischlerei Hövelmann GmbH", "Bocholter Textilveredelung KG", "Ahauser Metallbau GmbH & Co. KG",
               "Bäckerei Terhorst", "Stadtlohner Kunststofftechnik GmbH", "Elektro Schulze-Hessing",
               "Vredener Landtechnik GmbH", "Rheder Steuerberatung Kemper & Partner",
               "Gronauer Logistik Service GmbH"}
# The second programme's first cycle (hr17–hr19): one group, completed, with its certificates.
EARLIER_COMPANIES = [
    DemoCompany("Druckhaus Lüdinghausen GmbH", "Lüdinghausen", M, "Heike Wewers", "C", "51_250", True, True,
                ("charta", "audit"), (4, 3, 4, 3, 4, 3, 3, 3, 3, 3), 2, (1, 2, 3), 40),
    DemoCompany("Dachdeckerei Lembeck", "Dülmen", E, "Tobias Lembeck", "F", "16_25", False, False,
                (), (1, 0, 1, 1, 2, 1, 0, 1, 1, 0), None, (1, 2, 3), 35),
    DemoCompany("Reisebüro Schapmann", "Billerbeck", E, "Sandra Schapmann", "N", "le15", False, False,
                (), (0, 1, 1, 0, 1, 2, 1, 1, 0, 1), None, (1, 2, 3), 35),
]

# The carrier of both programmes and the organisations around them (invented; addresses on example.org).
CARRIER = ("Wirtschaftsförderung Kreis Borken GmbH", OrganisationKind.BUSINESS_DEVELOPMENT,
           "Bahnhofstraße 12\n46325 Borken", "https://wirtschaftsfoerderung-borken.example.org")
PARTNERS = [
    ("Industrie- und Handelskammer Westmünsterland", OrganisationKind.CHAMBER, PartnerRole.PARTNER,
     "wirbt Mitgliedsunternehmen für das Programm und lädt zu Netzwerktreffen ein"),
    ("Unternehmerverband Westmünsterland e. V.", OrganisationKind.EMPLOYERS_ASSOCIATION, PartnerRole.PARTNER,
     "bringt die Erfahrungen seiner Mitgliedsbetriebe mit Pflegezeit und Familienpflegezeit ein"),
    ("Pflegestützpunkt Kreis Borken", OrganisationKind.CARE_BASE, PartnerRole.COOPERATION,
     "berät Beschäftigte mit Pflegeaufgaben vertraulich und kostenlos"),
    ("Ministerium für Arbeit, Gesundheit und Soziales des Landes Nordrhein-Westfalen", OrganisationKind.PUBLIC_BODY,
     PartnerRole.FUNDER, "fördert das Programm aus Mitteln des Europäischen Sozialfonds Plus (ESF Plus)"),
]
FUNDING_NOTE = ("Gefördert durch das Land Nordrhein-Westfalen und die Europäische Union "
                "(Europäischer Sozialfonds Plus).")
DESCRIPTIONS = {
    PROGRAMME_NAME: """Viele Beschäftigte kümmern sich neben der Arbeit um einen pflegebedürftigen Angehörigen – oft,
ohne dass es im Betrieb jemand weiß. Im **ESA-Mentorship** lernen kleine und mittlere Unternehmen aus dem Kreis
Borken voneinander, wie sie diese Beschäftigten halten und unterstützen.

- Erfahrene **Mentor-Unternehmen** und weniger erfahrene **Mentee-Unternehmen** treffen sich 12 Monate lang
  etwa alle sechs Wochen in einer kleinen Gruppe.
- Eine systemische Supervisorin oder ein Supervisor leitet die Gesprächsrunden.
- Jedes Unternehmen vereinbart konkrete Maßnahmen und erhält am Ende eine Teilnahmebescheinigung.

Die Teilnahme ist kostenlos.""",
    EARLIER_PROGRAMME_NAME: """Betriebe aus den Kreisen Borken und Coesfeld begleiten sich gegenseitig auf dem Weg zum
pflegefreundlichen Arbeitgeber. Der erste Durchgang ist abgeschlossen; die nächste Bewerbungsphase beginnt bald.""",
}

SUPERVISORS = [("supervisor1@example.org", "Dr. Ulrike Brinkhaus", "Borken (Nordrhein-Westfalen)", 4, 60),
               ("supervisor2@example.org", "Frank Heselhaus", "Coesfeld (Nordrhein-Westfalen)", 4, 80)]


def database_has_users() -> bool:
    return (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0


def _topics(dc: DemoCompany) -> dict[str, int]:
    """Mentees name topics of their three weakest areas as needs; mentors offer their three strongest."""
    ranked = sorted(zip(maturity.DIMENSION_KEYS, dc.scores, strict=True),
                    key=lambda pair: pair[1] if dc.role == E else -pair[1])
    return {maturity.get_dimension(key).topics[0].key: priority for priority, (key, _) in enumerate(ranked[:3], 1)}


def load_demo(*, now: datetime) -> Programme:
    """Create the demo programmes with their carrier and partners, people, companies, applications, rounds,
    groups and assessments. Returns the Borken programme. Flushes."""
    password_hash = hash_password(DEMO_PASSWORD)
    founded = now - timedelta(days=600)  # the accounts and programmes exist before anything happens in them
    today = calendar.local(now).date()

    def person(email: str, name: str, role: Role, **extra) -> User:
        user = User(email=email, full_name=name, password_hash=password_hash, role=role, created_at=founded, **extra)
        db.session.add(user)
        return user

    admin = person("admin@example.org", "Admin Tandem", Role.ADMIN)
    db.session.flush()
    carrier = _organisations(admin, founded)
    # The Borken programme takes applications from five months ago until six weeks from today.
    programme = _programme(PROGRAMME_NAME, "Kreis Borken", carrier, founded,
                           opens=today - timedelta(days=150), closes=today + timedelta(days=45))
    earlier = _programme(EARLIER_PROGRAMME_NAME, "Kreis Borken und Kreis Coesfeld", carrier, founded)
    for name, _kind, role, note in PARTNERS:
        organisation = next(o for o in organisations.all_organisations() if o.name == name)
        organisations.add_partner(programme, organisation, role, note, actor=admin, now=founded)
        if role != PartnerRole.COOPERATION:
            organisations.add_partner(earlier, organisation, role, note, actor=admin, now=founded)
    coordinator = person("coordinator@example.org", "Karin Lammers", Role.COORDINATOR)
    coordinator.coordinated_programmes.extend([programme, earlier])
    supervisors = []
    for email, name, place, groups, km in SUPERVISORS:
        supervisor = person(email, name, Role.SUPERVISOR)
        db.session.flush()
        rounds.save_supervisor_profile(supervisor, place, groups, km, now=founded)
        # Both serve the demo programme, which may give each as many groups as they lead at all.
        db.session.add(ProgrammeSupervisor(programme_id=programme.id, user_id=supervisor.id, max_groups=groups,
                                           created_at=founded))
        supervisors.append(supervisor)
    # The first supervisor led the second programme's first group too.
    db.session.add(ProgrammeSupervisor(programme_id=earlier.id, user_id=supervisors[0].id,
                                       max_groups=SUPERVISORS[0][3], created_at=founded))
    # Applied from about four months ago, three days apart, and decided two weeks after each application.
    for number, dc in enumerate(COMPANIES, start=1):
        _apply(person, number, dc, programme, now - timedelta(days=130 - 3 * number))
    # The coordinator has approved all but the last two applications; those wait for review.
    for application in _applications(programme)[:-2]:
        application.status = ApplicationStatus.APPROVED
        application.decided_at = application.submitted_at + timedelta(days=14)
        application.decided_by_id = coordinator.id
    db.session.flush()
    _published_round(programme, coordinator, supervisors, now)
    # The second programme's cycle after the Borken round, so that the Borken round is the first published round.
    earlier_round, closed_at = _completed_cycle(earlier, person, coordinator, supervisors[0], now)
    _draft_round(programme, coordinator, supervisors, now)
    # Written last: the next call of the second programme opens in a month, and its round was last changed when
    # its group closed. (PostgreSQL returns rows in the order they were last written where no order is asked for;
    # so, as on SQLite, the Borken programme and its published round come first.)
    earlier.applications_open_from, earlier.applications_open_until = (today + timedelta(days=30),
                                                                       today + timedelta(days=120))
    earlier.updated_at = now
    earlier_round.updated_at = closed_at
    db.session.flush()
    return programme


def _organisations(admin: User, founded: datetime):
    """The carrier and the partners, as an administrator records them; returns the carrier."""
    name, kind, address, website = CARRIER
    carrier = organisations.create_organisation(organisations.OrganisationValues(
        name=name, kind=kind, address=address, website=website, contact_name="Karin Lammers",
        contact_email="coordinator@example.org", contact_phone="02861 000-123"), actor=admin, now=founded)
    for name, kind, _role, _note in PARTNERS:
        organisations.create_organisation(organisations.OrganisationValues(name=name, kind=kind), actor=admin,
                                          now=founded)
    return carrier


def _programme(name: str, region: str, carrier, founded: datetime, *, opens: date | None = None,
               closes: date | None = None) -> Programme:
    programme = Programme(
        name=name, region=region, state_code="NW", carrier=carrier, created_at=founded,
        applications_enabled=True, applications_open_from=opens, applications_open_until=closes,
        description=DESCRIPTIONS[name], contact_name="Karin Lammers", contact_email="coordinator@example.org",
        contact_phone="02861 000-123", is_esf_plus=True, funding_project_number="ESF-NRW-2026-0815",
        funding_note=FUNDING_NOTE)
    db.session.add(programme)
    db.session.flush()
    return programme


def _applications(programme: Programme) -> list[Application]:
    return list(db.session.scalars(select(Application).where(Application.programme_id == programme.id)
                                   .order_by(Application.id)))


def _apply(person, number: int, dc: DemoCompany, programme: Programme, applied_at: datetime) -> None:
    """A company registers, consents, fills in its profile and self-assessment and applies, all on one day."""
    company = Company(name=dc.name, created_at=applied_at)
    db.session.add(company)
    lead = person(f"hr{number}@example.org", dc.lead, Role.HR_LEAD, company=company)
    db.session.flush()
    companies.give_consent(company, actor=lead, now=applied_at)
    companies.update_profile(company, {
        "name": dc.name, "sector": dc.sector, "headcount_band": dc.band,
        "municipality": f"{dc.municipality} (Nordrhein-Westfalen)",
        "has_works_council": dc.works_council, "has_shift_work": dc.shift_work,
        **{f"has_{key}": key in dc.instruments for key in ("charta", "audit", "pflege_guide", "pflegekoffer")},
        "caregiver_estimate": None,
    }, actor=lead, now=applied_at)
    companies.record_assessment(company, dict(zip(maturity.DIMENSION_KEYS, dc.scores, strict=True)), {},
                                actor=lead, now=applied_at)
    application, _ = companies.save_application(company, programme, dc.role, {
        "cycle_min_months": 9 if dc.role == E else 12, "cycle_max_months": 18 if dc.role == E else 24,
        "meeting_modes": ["in_person", "hybrid"], "weekdays": list(dc.weekdays),
        "times_of_day": ["morning", "afternoon"], "max_travel_km": dc.max_km, "mentee_capacity": dc.capacity,
        "questions": "", "exclusions": [],
    }, actor=lead, now=applied_at)
    topics = _topics(dc)
    companies.set_topics(application, topics if dc.role == E else {}, topics if dc.role == M else {},
                         actor=lead, now=applied_at)
    companies.submit_application(application, actor=lead, now=applied_at)


def _completed_cycle(programme: Programme, person, coordinator: User, supervisor: User,
                     now: datetime) -> tuple[MatchingRound, datetime]:
    """The second programme's first cycle: applied about 17 months ago, matched and published, every session held
    and recorded, most measures done, a mid-cycle and a final self-assessment; its end date passed about four
    months ago, when the nightly job closed the group (cycles.close_ended_groups)."""
    first = len(COMPANIES) + 1
    for offset, dc in enumerate(EARLIER_COMPANIES):
        _apply(person, first + offset, dc, programme, now - timedelta(days=520 - 3 * offset))
    for application in _applications(programme):
        application.status = ApplicationStatus.APPROVED
        application.decided_at = now - timedelta(days=505)
        application.decided_by_id = coordinator.id
    db.session.flush()
    created = now - timedelta(days=500)
    round_ = rounds.create_round(programme, _settings("Matching-Runde 2025",
                                                      [a.id for a in rounds.eligible_applications(programme)],
                                                      [supervisor], created.date() + timedelta(days=14)),
                                 actor=coordinator, now=created)
    _publish_and_plan(round_, coordinator, created, until=now)
    for group in round_.groups:
        ends = _moment(group.ends_on)
        for measure in db.session.scalars(select(Measure).where(Measure.group_id == group.id)):
            # The companies report their measures done by the due date, the last ones still under way.
            done = measure.due_on is not None and measure.due_on <= group.ends_on - timedelta(days=30)
            lead = measure.application.company.hr_leads[0]
            sessions.update_measure(measure, MeasureStatus.DONE if done else MeasureStatus.IN_PROGRESS, "",
                                    actor=lead, now=min(_moment(measure.due_on), ends) if done else ends)
        for member in group.mentees:
            _mid_cycle_assessment(member, _moment(group.starts_on + (group.ends_on - group.starts_on) / 2))
            _final_assessment(member, ends - timedelta(days=14))
        for member in group.members:
            _entry_questionnaire(programme, member, _moment(group.starts_on))
    closing = _moment(max(g.ends_on for g in round_.groups) + timedelta(days=1))
    # The demo mails nobody: the closing job's messages to the HR leads are not kept.
    for message in cycles.close_ended_groups(closing):
        db.session.delete(message)
    db.session.flush()
    return round_, closing


def _moment(day: date) -> datetime:
    """Ten in the morning in Germany on that day."""
    return datetime.combine(day, time(10), calendar.BERLIN)


def _final_assessment(member, when: datetime) -> None:
    """A mentee's self-assessment at the end: two levels up in its three weakest areas since the first, one in two
    others."""
    company = member.application.company
    first = company.assessments[0].scores
    ranked = sorted(maturity.DIMENSION_KEYS, key=lambda key: (first.get(key) or 0, key))
    steps = {**dict.fromkeys(ranked[:3], 2), **dict.fromkeys(ranked[3:5], 1)}
    answers = {key: min(4, (first.get(key) or 0) + steps.get(key, 0)) for key in maturity.DIMENSION_KEYS}
    member.end_assessment_asked_at = when - timedelta(days=7)
    companies.record_assessment(company, answers, {}, actor=company.hr_leads[0], now=when, phase="end")


def _settings(name: str, participants: list[int], supervisors: list[User], starts_on: date) -> rounds.RoundSettings:
    return rounds.RoundSettings(
        name=name, starts_on=starts_on, cycle_months=12, group_min=2, group_max=4, min_maturity_gap=10,
        competitor_km=None, weights=rounds.default_weights(), is_fair=False, time_limit_s=20, respond_by=None,
        participant_ids=participants, supervisor_ids=[s.id for s in supervisors])


def _published_round(programme: Programme, coordinator: User, supervisors: list[User], now: datetime) -> None:
    """The first round: solved and published two months ago, accepted by every company; its groups started six
    weeks ago and have confirmed meetings over their cycle (the next within days, so reminders go out)."""
    created = now - timedelta(days=60)
    chosen = [a.id for a in rounds.eligible_applications(programme) if a.company.name in FIRST_ROUND]
    round_ = rounds.create_round(programme, _settings("Matching-Runde Frühjahr", chosen, supervisors,
                                                      created.date() + timedelta(days=14)),
                                 actor=coordinator, now=created)
    _publish_and_plan(round_, coordinator, created, until=now - timedelta(days=2))
    for group in round_.groups:
        for member in group.mentees:
            _mid_cycle_assessment(member, now)
        for member in group.members:
            _entry_questionnaire(programme, member, created + timedelta(days=14))


def _publish_and_plan(round_, coordinator: User, created: datetime, *, until: datetime) -> None:
    """Solve and publish the round two days after its creation; every company accepts three days later; the
    sessions are planned and confirmed; those that ended before `until` are recorded as held."""
    result = matching.solve(rounds.build_instance(round_))
    round_.proposal = rounds.proposal_from_result(result_to_json(result), 1)
    rounds.publish_round(round_, actor=coordinator, now=created + timedelta(days=2), notify=False)
    for group in round_.groups:
        for member in group.members:
            lead = member.application.company.hr_leads[0]
            rounds.respond(member, accept=True, reason="", actor=lead, now=created + timedelta(days=5))
    meetings.plan_round(round_, actor=coordinator, now=created + timedelta(days=8))
    meetings.confirm_round_meetings(round_, actor=coordinator, now=created + timedelta(days=9), notify=False)
    for group in round_.groups:
        for meeting in group.meetings:
            if meeting.ends_at < until:
                _record_demo_session(meeting)


POSTCODES = {"Borken": "46325", "Bocholt": "46395", "Ahaus": "48683", "Velen": "46342", "Südlohn": "46354",
             "Stadtlohn": "48703", "Gescher": "48712", "Vreden": "48691", "Rhede": "46414", "Gronau": "48599",
             "Raesfeld": "46348", "Coesfeld": "48653", "Heiden": "46359", "Isselburg": "46419", "Legden": "48739",
             "Reken": "48734", "Lüdinghausen": "59348", "Dülmen": "48249", "Billerbeck": "48727"}


def _entry_questionnaire(programme, member, entered) -> None:
    """The HR lead of each company in a group as a participating person, as the funder counts them."""
    company = member.application.company
    lead = company.hr_leads[0]
    first, _, last = lead.full_name.partition(" ")
    town = (company.municipality or "").split(" (")[0]
    sex = "male" if first in {"Markus", "Jens", "Thomas", "Stefan", "Daniel", "Ulrich", "Jörg", "Carsten",
                                         "Tobias"} else "female"
    funder_report.record_entry(programme, company, {
        "first_name": first, "last_name": last, "postcode": POSTCODES.get(town, "46325"), "sex": sex,
        "age_band": "30_54", "employment": "employed", "education": "isced_5_8" if company.id % 2 else "isced_3_4",
        "entered_on": entered.date()}, actor=lead, now=entered)


def _mid_cycle_assessment(member, now: datetime) -> None:
    """A mentee's second self-assessment, a few days before `now`: one level up in its three weakest areas since the
    first."""
    company = member.application.company
    first = company.assessments[0].scores
    weakest = sorted(maturity.DIMENSION_KEYS, key=lambda key: (first.get(key) or 0, key))[:3]
    answers = {key: min(4, (first.get(key) or 0) + (1 if key in weakest else 0)) for key in maturity.DIMENSION_KEYS}
    member.mid_assessment_asked_at = now - timedelta(days=5)
    companies.record_assessment(company, answers, {}, actor=company.hr_leads[0], now=now - timedelta(days=3),
                                phase="middle")


MINUTES = """### Was wir besprochen haben

- {mentor} hat vorgestellt, wie dort Pflegezeit und flexible Arbeitszeiten beantragt werden.
- Die Mentee-Unternehmen haben berichtet, wo sie heute stehen: oft gibt es Einzelfall-Lösungen, aber keine
  feste Ansprechperson.
- Gemeinsam haben wir überlegt, wie man das Thema im Betrieb anspricht, ohne jemanden bloßzustellen.

### Nächste Schritte

Jedes Unternehmen nimmt eine **konkrete Maßnahme** mit (siehe unten). In der nächsten Runde berichten alle kurz.
"""
MEASURES = ("Ansprechperson für Pflege benennen und im Intranet bekannt machen",
            "Infoblatt zu Pflegezeit und Familienpflegezeit erstellen",
            "Kurzumfrage unter den Beschäftigten zum Unterstützungsbedarf")


def _record_demo_session(meeting) -> None:
    """A held session as its supervisor would record it, with measures and the companies' feedback."""
    group = meeting.group
    recorded_at = meeting.ends_at + timedelta(hours=3)
    mentees = [m for m in group.members if m.role == "mentee"]
    present = [sessions.PersonPresent(m.application_id, m.application.company.hr_leads[0].full_name, "hr")
               for m in group.members]
    measures = [sessions.NewMeasure(m.application_id, MEASURES[(i + meeting.number) % len(MEASURES)],
                                    m.application.company.hr_leads[0].full_name,
                                    (meeting.starts_at + timedelta(days=35)).date())
                for i, m in enumerate(mentees)]
    sessions.record_session(
        meeting, outcome="held", questions="Wie sprechen wir Beschäftigte mit Pflegeaufgaben an?",
        topics=[], minutes=MINUTES.format(mentor=group.mentor.application.company.name), present=present,
        measures=measures, confidential="Die Stimmung in der Gruppe ist offen; ein Unternehmen braucht mehr Zeit.",
        actor=group.supervisor, now=recorded_at)
    for i, member in enumerate(mentees):
        sessions.give_feedback(meeting, member.application.company.hr_leads[0], 5 - i % 2, "",
                               now=recorded_at + timedelta(days=1))


def _draft_round(programme: Programme, coordinator: User, supervisors: list[User], now: datetime) -> None:
    """The second round: the companies not yet in a group, ready to run."""
    rounds.create_round(programme, _settings("Matching-Runde Herbst", rounds.default_participants(programme),
                                             supervisors, now.date() + timedelta(days=45)),
                        actor=coordinator, now=now)


def logins_text() -> str:
    """The demo logins, as printed by `make run`."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):",
             "  admin@example.org         administrator",
             "  coordinator@example.org   programme coordinator",
             "  supervisor1@example.org   supervisor",
             "  supervisor2@example.org   supervisor"]
    lines += [f"  {f'hr{n}@example.org':<26}HR lead, {c.name} ({c.role})"
              for n, c in enumerate(COMPANIES + EARLIER_COMPANIES, 1)]
    return "\n".join(lines)
