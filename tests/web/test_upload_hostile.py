"""Hostile uploads to the company import: damaged, huge, packed and formula-laden files.

Every one gets a clear message on the import page (never a 5xx) and writes nothing; the well-formed ones are
covered in test_import.py.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, Company, ImportBatch, OutboundEmail, Role, User
from tests.conftest import csrf_token, login
from tests.web.test_import import GOOD, HEADER

TABLES = (Company, User, Application, ImportBatch, OutboundEmail)


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in TABLES)


@pytest.fixture
def importer(app, make):
    programme = make.programme("Programm Upload")
    coordinator = make.user(Role.COORDINATOR, programmes=[programme])
    client = app.test_client()
    login(client, coordinator.email)
    path = f"/coordinator/programmes/{programme.id}/import"
    token = csrf_token(client, path)

    def upload(filename: str, data: bytes) -> tuple[int, str]:
        response = client.post(path, data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                               content_type="multipart/form-data")
        response.request.environ["wsgi.input"].close()
        return response.status_code, response.get_data(as_text=True)

    return upload


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """The same .xlsx with one of its ZIP members replaced."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, content if item.filename == name else source.read(item.filename))
    return target.getvalue()


HEADER_CELLS = HEADER.strip().split(";")
GOOD_CELLS = GOOD[0].split(";")


def chartsheet_only() -> bytes:
    book = Workbook()
    book.create_chartsheet()
    book.remove(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def packed_sheet() -> bytes:
    """Under 1 MB on disk, over 50 MB unpacked: one cell holding 60 million characters."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
             + b"A" * 60_000_000 + b"</t></is></c></row></sheetData></worksheet>")
    return replace_member(xlsx([HEADER_CELLS]), "xl/worksheets/sheet1.xml", sheet)


def entity_expansion() -> bytes:
    """A "billion laughs" sheet: nested XML entities that would expand to gigabytes."""
    entities = b'<!ENTITY a0 "lol">' + b"".join(
        b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10) for i in range(1, 10))
    sheet = (b'<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + b']><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
             b"&a9;</t></is></c></row></sheetData></worksheet>")
    return replace_member(xlsx([HEADER_CELLS]), "xl/worksheets/sheet1.xml", sheet)


def broken_sheet_xml() -> bytes:
    return replace_member(xlsx([HEADER_CELLS, GOOD_CELLS]), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row")


@pytest.mark.parametrize(("filename", "make_data", "message"), [
    ("liste.xlsx", chartsheet_only, "Excel-Datei konnte nicht gelesen werden"),
    ("liste.xlsx", packed_sheet, "entpackt zu groß"),
    ("liste.xlsx", entity_expansion, "Excel-Datei konnte nicht gelesen werden"),
    ("liste.xlsx", broken_sheet_xml, "Excel-Datei konnte nicht gelesen werden"),
    ("liste.xlsx", lambda: xlsx([HEADER_CELLS] + [GOOD_CELLS] * 5001), "mehr als 5000 Zeilen"),
    ("liste.csv", lambda: (HEADER + (GOOD[1] + "\n") * 5001).encode(), "mehr als 5000 Zeilen"),
    ("liste.csv", lambda: (HEADER + "x" * 200_000 + ";mentee\n").encode(), "CSV-Datei konnte nicht gelesen"),
    ("liste.csv", lambda: (HEADER + 'A;"unclosed\n').encode() + b"\x00", "keine CSV-Datei"),
    ("liste.csv", lambda: "Unternehmen;Rolle\n".encode("utf-16"), "keine CSV-Datei"),
    ("liste.csv", lambda: HEADER.encode() + b"\x81\x8d\x8f\x90\x9d", "keine CSV-Datei"),  # not UTF-8, nor cp1252
])
def test_hostile_file_gets_a_clear_message_and_writes_nothing(app, importer, filename, make_data, message):
    before = counts(app)
    status, body = importer(filename, make_data())
    assert status == 200
    assert message in body, body[:3000]
    assert counts(app) == before


@pytest.mark.parametrize("cell", ["=1+1", " =1+1", "+49 2861 1234", "-2+3", "@SUM(A1)", "\t=cmd|' /C calc'!A0",
                                  '=HYPERLINK("http://evil.example","Hier klicken")'])
def test_formula_cells_are_refused_in_csv_and_xlsx(app, importer, cell):
    before = counts(app)
    row = GOOD[1].split(";")
    row[0] = cell  # company_name
    csv_line = ";".join(f'"{c}"' for c in row)
    for filename, data in (("liste.csv", (HEADER + csv_line + "\n").encode()),
                           ("liste.xlsx", xlsx([HEADER_CELLS, row]))):
        status, body = importer(filename, data)
        assert status == 200 and "als Formel" in body, (filename, body[:3000])
    assert counts(app) == before


def test_a_long_file_name_is_kept_short(app, importer):
    status, body = importer("x" * 400 + ".csv", (HEADER + GOOD[1] + "\n").encode())
    assert status == 200 and "bereit zum Import" in body
    with app.app_context():
        assert len(db.session.scalar(select(ImportBatch.filename))) == 200


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(filename=st.sampled_from(["liste.csv", "liste.xlsx", "liste.txt"]),
       data=st.one_of(st.binary(min_size=1, max_size=2000),
                      st.text(min_size=1, max_size=500).map(lambda t: (HEADER + t).encode("utf-8", "replace")),
                      st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)))
def test_random_bytes_never_break_the_import(app, importer, filename, data):
    before = counts(app)
    status, body = importer(filename, data)
    assert status == 200, body[:2000]
    assert "Etwas ist schiefgelaufen" not in body
    assert counts(app)[:3] == before[:3]  # a preview batch may be kept, never a company, account or application
