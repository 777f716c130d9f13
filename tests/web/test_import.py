"""Bulk import of companies from CSV and XLSX: dry run, errors, one transaction, invitations, export."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, Company, ImportBatch, Role, User
from tests.conftest import csrf_token, login

HEADER = "company_name;role;sector;headcount_band;municipality;works_council;shift_work;hr_name;hr_email;" \
         "mentee_capacity\n"
GOOD = [
    "Holzbau Kemper GmbH;mentor;C;26_50;Velen;ja;nein;Jan Kemper;jan@kemper.example;2",
    "Sanitär Ebbing;mentee;F;le15;Heek;nein;nein;Eva Ebbing;eva@ebbing.example;",
]


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Company, User, Application))


@pytest.fixture
def coordinator_client(app, make):
    programme = make.programme("Programm Import")
    coordinator = make.user(Role.COORDINATOR, programmes=[programme])
    client = app.test_client()
    login(client, coordinator.email)
    return client, programme


def upload(client, programme, filename: str, data: bytes):
    response = client.post(f"/coordinator/programmes/{programme.id}/import", data={
        "csrf_token": csrf_token(client, f"/coordinator/programmes/{programme.id}/import"),
        "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    # Werkzeug's test client encodes a large body into a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def confirm(client, programme, body: str):
    import re

    batch_id = re.search(r"/coordinator/imports/(\d+)/confirm", body).group(1)
    return client.post(f"/coordinator/imports/{batch_id}/confirm",
                       data={"csrf_token": csrf_token(client, f"/coordinator/programmes/{programme.id}/import")})


def test_bad_row_blocks_the_import_then_the_fixed_file_imports(app, coordinator_client, mailbox):
    client, programme = coordinator_client
    before = counts(app)
    bad = HEADER + "\n".join([*GOOD, "Firma Ohne Ort;mentee;C;le15;Nirgendwohausen;nein;nein;Ute;ute@x.example;",
                              "Doppelt;mentee;C;le15;Borken (Nordrhein-Westfalen);nein;nein;U;kein-mail;"])
    response = upload(client, programme, "liste.csv", bad.encode())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nirgendwohausen" in body and "kein-mail" in body and "Nichts wurde importiert" in body
    assert "/confirm" not in body
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    fixed = HEADER + "\n".join(GOOD) + "\n"
    response = upload(client, programme, "liste.csv", fixed.encode())
    body = response.get_data(as_text=True)
    assert "bereit zum Import" in body
    assert counts(app) == before  # a dry run imports nothing
    response = confirm(client, programme, body)
    assert response.status_code == 302
    assert counts(app) == (before[0] + 2, before[1] + 2, before[2] + 2)
    with app.app_context():
        company = db.session.scalar(select(Company).where(Company.name == "Holzbau Kemper GmbH"))
        assert company.municipality == "Velen (Nordrhein-Westfalen)" and company.has_works_council
        application = db.session.scalar(select(Application).where(Application.company_id == company.id))
        assert application.role == "mentor" and application.mentee_capacity == 2 and application.status == "draft"
    # Each new HR lead got an invitation and can set a password with it.
    assert len(mailbox.messages("jan@kemper.example")) == 1 and len(mailbox.messages("eva@ebbing.example")) == 1
    link = mailbox.last_link("eva@ebbing.example")
    path = "/" + link.split("//", 1)[1].split("/", 1)[1]
    invited = app.test_client()
    response = invited.post(path, data={"csrf_token": csrf_token(invited, path), "password": "Sanitaer-am-Markt-2026",
                                        "password_confirm": "Sanitaer-am-Markt-2026"})
    assert response.status_code == 302
    assert login(app.test_client(), "eva@ebbing.example", "Sanitaer-am-Markt-2026").headers["Location"] == "/hr/"
    # Confirming the same batch again is refused.
    assert confirm(client, programme, body).status_code == 302
    assert counts(app) == (before[0] + 2, before[1] + 2, before[2] + 2)


def test_duplicates_within_the_file_and_existing_accounts_are_errors(app, coordinator_client, make):
    client, programme = coordinator_client
    make.user(Role.HR_LEAD, email="taken@example.org")
    data = HEADER + "\n".join([
        "Eins GmbH;mentee;C;le15;Velen;nein;nein;A;a@x.example;",
        "eins gmbh;mentee;C;le15;Velen;nein;nein;B;b@x.example;",
        "Zwei GmbH;mentee;C;le15;Velen;nein;nein;C;taken@example.org;",
        "Drei GmbH;mentor;C;le15;Velen;nein;nein;D;d@x.example;",
    ])
    body = upload(client, programme, "liste.csv", data.encode()).get_data(as_text=True)
    assert "wie in Zeile 2" in body and "taken@example.org" in body and "mentee_capacity" in body


def test_formula_injection_is_refused(app, coordinator_client):
    client, programme = coordinator_client
    data = HEADER + '=HYPERLINK("http://evil.example","klick");mentee;C;le15;Velen;nein;nein;A;a@x.example;\n'
    body = upload(client, programme, "liste.csv", data.encode()).get_data(as_text=True)
    assert "als Formel" in body and "/confirm" not in body


def test_xlsx_import_and_formula_cells(app, coordinator_client):
    client, programme = coordinator_client
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(";"))
    sheet.append(GOOD[0].split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    body = upload(client, programme, "liste.xlsx", buffer.getvalue()).get_data(as_text=True)
    assert "bereit zum Import" in body
    sheet["A2"] = '=HYPERLINK("http://evil.example","x")'
    buffer = io.BytesIO()
    book.save(buffer)
    body = upload(client, programme, "liste.xlsx", buffer.getvalue()).get_data(as_text=True)
    assert "als Formel" in body


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("liste.pdf", b"%PDF-1.4", "CSV-Datei oder eine Excel-Datei"),
    ("liste.xlsx", b"PK\x03\x04 not really a zip", "Excel-Datei konnte nicht gelesen werden"),
    ("liste.csv", b"", "Die Datei ist leer"),
    ("liste.csv", b"name;ort\nA;B\n", "Diese Spalten fehlen"),
    ("liste.csv", b"\xff\xfe\x00\x00garbage", "keine CSV-Datei"),
    ("liste.csv", b"x" * (20 * 1024 * 1024), "größer als 5 MB"),
])
def test_broken_uploads_get_a_clear_message_and_write_nothing(app, coordinator_client, filename, data, message):
    client, programme = coordinator_client
    before = counts(app)
    response = upload(client, programme, filename, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts(app) == before


def test_export_has_the_import_shape_and_neutralises_formulas(app, coordinator_client, make):
    client, programme = coordinator_client
    company = make.company('=cmd|" /C calc"!A0', sector="C", headcount_band="le15")
    make.user(Role.HR_LEAD, email="lead@example.org", company=company)
    make.application(company, programme)
    response = client.get(f"/coordinator/programmes/{programme.id}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("company_name", "role", "sector")
    assert rows[1][0] == "'=cmd|\" /C calc\"!A0" and rows[1][8] == "lead@example.org"
    csv_body = client.get(f"/coordinator/programmes/{programme.id}/export.csv").data.decode("utf-8-sig")
    assert csv_body.splitlines()[0].startswith("company_name;role;sector")
    assert "'=cmd" in csv_body
    assert client.get(f"/coordinator/programmes/{programme.id}/export.pdf").status_code == 404


def test_markup_in_cells_is_shown_as_text_in_the_check(app, coordinator_client, make):
    """Issue 14: a cell's markup comes back inside the row's error message, escaped, and as typed in the export."""
    client, programme = coordinator_client
    make.application(make.company("<script>alert(1)</script>", sector="C", headcount_band="le15"), programme)
    data = HEADER + "\n".join([
        "<script>alert(1)</script>;mentee;C;le15;Velen;nein;nein;A;a@x.example;",
        "Zwei GmbH;mentee;C;le15;Nowhere<svg onload=alert(1)>;nein;nein;B;b@x.example;",
        'Drei GmbH;mentee;C;le15;Velen;nein;nein;C;"x""><b onmouseover=alert(1)>";',
    ])
    body = upload(client, programme, "liste.csv", data.encode()).get_data(as_text=True)
    assert "<script>alert" not in body and "<svg" not in body and "<b onmouseover" not in body
    assert "company_name: „&lt;script&gt;alert(1)&lt;/script&gt;“ ist bereits in diesem Programm." in body
    assert "municipality: „Nowhere&lt;svg onload=alert(1)&gt;“ ist unbekannt" in body
    assert "hr_email: „x&#34;&gt;&lt;b onmouseover=alert(1)&gt;“ ist keine gültige E-Mail-Adresse." in body
    assert "/confirm" not in body
    csv_body = client.get(f"/coordinator/programmes/{programme.id}/export.csv").data.decode("utf-8-sig")
    assert "<script>alert(1)</script>;mentee" in csv_body
