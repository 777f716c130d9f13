"""The ESF Plus report, checked against a hand-built set of persons with known counts, and its XLSX cell by cell."""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import Company, MatchingRound, Programme, User, utcnow
from app.services import funder_report
from tests.conftest import csrf_token, login

PEOPLE = [  # (company, first, last, postcode, sex, age, employment, education)
    ("Bäckerei Terhorst", "Maria", "Kruse", "46354", "female", "30_54", "employed", "isced_3_4"),
    ("Bäckerei Terhorst", "Kim", "Weber", "46354", "non_binary", "under_30", "employed", "isced_5_8"),
    # The same person again (other spacing and case): counted once.
    ("Bäckerei Terhorst", " maria ", "KRUSE", "46354", "female", "30_54", "employed", "isced_3_4"),
    ("Elektro Schulze-Hessing", "Jan", "Schulze", "48712", "male", "over_54", "self_employed", "isced_0_2"),
    ("Elektro Schulze-Hessing", "Alex", "Roth", "48712", "no_answer", "no_answer", "no_answer", "no_answer"),
]


def _baseline(app):
    """The demo's own persons (its HR leads in groups), before the fixture's are added."""
    with app.app_context():
        return funder_report.build(db.session.scalar(select(Programme).where(Programme.name == demo.PROGRAMME_NAME)), date(2026, 1, 1), utcnow().date())


def _add_people(app) -> int:
    with app.app_context():
        programme = db.session.scalar(select(Programme).where(Programme.name == demo.PROGRAMME_NAME))
        lead = db.session.scalar(select(User).where(User.email == "hr5@example.org"))
        for company_name, first, last, postcode, sex, age, employment, education in PEOPLE:
            company = db.session.scalar(select(Company).where(Company.name == company_name))
            funder_report.record_entry(programme, company, {
                "first_name": first, "last_name": last, "postcode": postcode, "sex": sex, "age_band": age,
                "employment": employment, "education": education, "entered_on": date(2026, 10, 1)},
                actor=lead, now=utcnow())
        db.session.commit()
        return programme.id


@pytest.mark.dates
def test_report_counts_smes_persons_once_and_sessions(app, demo_world):
    base = _baseline(app)
    programme_id = _add_people(app)
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        report = funder_report.build(programme, date(2026, 1, 1), utcnow().date())
        before = funder_report.build(programme, date(2026, 1, 1), date(2026, 9, 30))
        published = db.session.get(MatchingRound, demo_world["published"])
        in_groups = {m.application.company.name for g in published.groups for m in g.members}
    bands = Counter(c.band for c in demo.COMPANIES if c.name in in_groups)
    assert {name for name, _, _ in report.smes} == in_groups and len(report.smes) == 9
    assert dict(report.smes_by_size) == dict(bands)
    # Five questionnaires, four persons: the fixture's repeated person counts once.
    assert len(report.persons) == len(base.persons) + 4
    assert report.by_sex - base.by_sex == Counter({"female": 1, "non_binary": 1, "male": 1, "no_answer": 1})
    assert report.by_sex_employment[("male", "self_employed")] == base.by_sex_employment[("male", "self_employed")] + 1
    assert report.by_sex_age[("non_binary", "under_30")] == 1
    assert report.by_sex_education[("female", "isced_3_4")] == base.by_sex_education[("female", "isced_3_4")] + 1
    assert len(report.sessions) == 3 and all(s["attendance"] and s["minutes"] == 120 for s in report.sessions)
    # The fixture's persons entered on 1 October: a period ending the day before counts none of them.
    assert len(before.persons) == sum(1 for p in base.persons if p.entered_on <= date(2026, 9, 30))


def test_xlsx_and_csv_hold_the_same_figures(app, demo_world):
    base = _baseline(app)
    programme_id = _add_people(app)
    sex = {s: base.by_sex.get(s, 0) + 1 for s in ("female", "male", "non_binary", "no_answer")}
    total = len(base.persons) + 4
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    url = f"/coordinator/programmes/{programme_id}/report"
    page = client.get(f"{url}?since=2026-01-01").get_data(as_text=True)
    assert "ESF-Plus-Bericht" in page and "nicht-binär" in page
    xlsx = client.get(f"{url}.xlsx?since=2026-01-01")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert book["Bericht"]["B1"].value.startswith("ESA-Mentorship")
    sheet = book[next(name for name in book.sheetnames if name.startswith("3 "))]
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows == {"weiblich": sex["female"], "männlich": sex["male"], "nicht-binär": sex["non_binary"],
                    "keine Angabe": sex["no_answer"], "gesamt": total}
    employment = book[next(name for name in book.sheetnames if name.startswith("4 "))]
    header = [c.value for c in employment[2]]
    assert header[1:5] == ["weiblich", "männlich", "nicht-binär", "keine Angabe"]
    by_label = {row[0]: row[1:] for row in employment.iter_rows(min_row=3, values_only=True)}
    assert by_label["selbstständig"] == (0, 1, 0, 0, 1)
    employed = (base.by_sex_employment[("female", "employed")] + 1, base.by_sex_employment[("male", "employed")], 1, 0)
    assert by_label["beschäftigt"] == (*employed, sum(employed))
    text = client.get(f"{url}.csv?since=2026-01-01").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["gesamt", str(total)] in lines and ["nicht-binär", "1"] in lines
    with app.app_context():
        from app.models import AuditEvent

        formats = [e.details["format"] for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "export_report"))]
        assert sorted(formats) == ["csv", "xlsx"]


def test_hr_lead_adds_a_person_with_the_entry_questionnaire(app, demo_world):
    client = app.test_client()
    login(client, "hr5@example.org", demo.DEMO_PASSWORD)
    form = client.get("/hr/participants").get_data(as_text=True)
    assert "Europäischen Sozialfonds" in form or "ESF" in form
    with app.app_context():
        programme_id = db.session.scalar(select(Programme.id).where(Programme.name == demo.PROGRAMME_NAME))
    data = {"csrf_token": csrf_token(client, "/hr/participants"), "programme_id": programme_id,
            "first_name": "Paula", "last_name": "Peters", "postcode": "4635", "sex": "female",
            "age_band": "30_54", "employment": "employed", "education": "isced_5_8"}
    refused = client.post("/hr/participants", data=data)
    assert refused.status_code == 200 and "invalid-feedback" in refused.get_data(as_text=True)
    data["postcode"] = "46354"
    assert client.post("/hr/participants", data=data).status_code == 302
    assert "Paula Peters" in client.get("/hr/participants").get_data(as_text=True)
