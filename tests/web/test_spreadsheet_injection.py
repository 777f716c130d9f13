"""Formulas in the CSV and XLSX files Tandem hands out: every export goes through app/services/spreadsheets.py, which
prefixes each text cell a spreadsheet would run (= + - @ tab CR) with an apostrophe, and no other module writes
CSV or XLSX."""
from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from app import demo
from app.extensions import db
from app.models import Attendance, Company, Programme, Role
from app.services import spreadsheets
from app.services.spreadsheets import FORMULA_START
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "app" / "services" / "spreadsheets.py"
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(1+1)", "\t=1+2", "\r=1+2"]


def csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";") for cell in row]


def xlsx_cells(body: bytes) -> list[object]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), [c.value for c in cells if c.data_type == "f"]
    return [cell.value for cell in cells]


def assert_neutral(cells: list[object], *expected: str) -> None:
    """No cell starts like a formula, and each expected hostile text is there, behind an apostrophe."""
    texts = [c for c in cells if isinstance(c, str)]
    assert not [c for c in texts if c.startswith(FORMULA_START)], [c for c in texts if c.startswith(FORMULA_START)]
    for text in expected:
        assert any(c.startswith("'" + text) for c in texts), (text, texts)


# --- the writer ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_the_writer_prefixes_every_formula_start(text):
    assert spreadsheets.neutralise(text) == "'" + text
    assert csv_cells(spreadsheets.csv_bytes([[text, "plain"]])) == ["'" + text, "plain"]
    # XML reads a carriage return back as a line feed.
    assert xlsx_cells(spreadsheets.xlsx_bytes([("s", [[text]])]))[0] == "'" + text.replace("\r", "\n")


def test_the_writer_keeps_numbers_and_plain_text_and_drops_what_xlsx_cannot_hold():
    assert [spreadsheets.neutralise(v) for v in (-5, 2.5, None, "Bäckerei", "a=b")] == [-5, 2.5, "", "Bäckerei", "a=b"]
    # A control character in front of a formula is dropped for XLSX, and the formula behind it is still caught.
    assert xlsx_cells(spreadsheets.xlsx_bytes([("a/b:c", [["\x01=1+2", "x\x00y", -5]])])) == ["'=1+2", "xy", -5]


def _writes_spreadsheets(tree: ast.AST) -> list[str]:
    """Names in a module that write CSV or XLSX: csv.writer/DictWriter, openpyxl's Workbook, xlsxwriter, pandas."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if (node.module == "csv" and names & {"writer", "DictWriter"}) or (
                    node.module.startswith("openpyxl") and names & {"Workbook", "writer"}) or (
                    node.module.split(".")[0] in {"xlsxwriter", "pandas"}):
                found.append(f"from {node.module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in {"xlsxwriter", "pandas"}]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                (node.value.id == "csv" and node.attr in {"writer", "DictWriter"})
                or (node.value.id == "openpyxl" and node.attr == "Workbook")):
            found.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr in {"to_csv", "to_excel"} and isinstance(
                node.value, ast.Name) and node.value.id in {"df", "frame", "pd"}:
            found.append(node.attr)
    return found


def test_no_module_writes_csv_or_xlsx_but_the_one_writer():
    offenders = {}
    for folder in ("app", "scheduler", "matching"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == WRITER:
                continue
            found = _writes_spreadsheets(ast.parse(path.read_text(encoding="utf-8")))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, offenders
    assert _writes_spreadsheets(ast.parse(WRITER.read_text(encoding="utf-8")))  # the scan does see a writer


# --- every export, with hostile values ----------------------------------------------------------------------------

def test_audit_export_neutralises_an_address_that_is_a_formula(app, make):
    """The probe's case: `=1+2-x@example.org` is a valid address; its logins land in the audit log's actor cell."""
    make.user(Role.HR_LEAD, email="=1+2-x@example.org")
    admin = make.user(Role.ADMIN)
    login(app.test_client(), "=1+2-x@example.org")
    client = app.test_client()
    login(client, admin.email)
    body = client.get("/admin/audit.csv?action=login").data
    assert_neutral(csv_cells(body), "=1+2-x@example.org")


def test_company_export_neutralises_every_column(app, make):
    programme = make.programme()
    coordinator = make.user(Role.COORDINATOR, programmes=[programme])
    company = make.company("\r=1+2", sector="C", headcount_band="le15", municipality="@SUM(1+1)")
    make.user(Role.HR_LEAD, email="-x@example.org", full_name="+1+2", company=company)
    make.application(company, programme)
    client = app.test_client()
    login(client, coordinator.email)
    url = f"/coordinator/programmes/{programme.id}/export"
    assert_neutral(csv_cells(client.get(f"{url}.csv").data), "\r=1+2", "@SUM(1+1)", "-x@example.org", "+1+2")
    assert_neutral(xlsx_cells(client.get(f"{url}.xlsx").data), "\n=1+2", "@SUM(1+1)", "-x@example.org", "+1+2")


def test_funder_report_neutralises_names_in_every_table_and_the_heading(app, demo_world):
    """The programme's name (the report's heading), the mentor companies (the groups) and the persons present."""
    with app.app_context():
        programme = db.session.scalar(select(Programme))
        programme.name = '=HYPERLINK("http://evil.example","Bericht")'
        db.session.execute(update(Attendance).values(person="\t=1+2"))
        mentors = [c for c in db.session.scalars(select(Company)) if c.name in
                   {d.name for d in demo.COMPANIES if d.role == "mentor"}]
        for company in mentors:
            company.name = "@SUM(1+1) " + company.name
        db.session.commit()
        programme_id = programme.id
    client = app.test_client()
    login(client, "coordinator@example.org", demo.DEMO_PASSWORD)
    url = f"/coordinator/programmes/{programme_id}/report"
    expected = ('=HYPERLINK("http://evil.example","Bericht")', "@SUM(1+1) ")
    assert_neutral(csv_cells(client.get(f"{url}.csv?since=2026-01-01").data), *expected, "\t=1+2")
    assert_neutral(xlsx_cells(client.get(f"{url}.xlsx?since=2026-01-01").data), *expected, "\t=1+2")
