"""Bulk import and export of companies and their HR leads (CSV or XLSX, the lists coordinators keep in Excel).

A dry run checks every row and imports nothing while any row is in error; a confirmed import is one
transaction and invites each new HR lead by mail.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import taxonomy
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    ApplicationStatus,
    Company,
    ImportBatch,
    OutboundEmail,
    Programme,
    Role,
    TokenPurpose,
    User,
)
from app.services import gazetteer, mail, spreadsheets, tokens
from app.services.errors import ServiceError
from app.services.spreadsheets import FORMULA_START

MAX_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNPACKED = 50 * 1024 * 1024
MAX_ROWS = 5000
MAX_CELL = 500

# Canonical column -> accepted header spellings (English and German), compared after normalising.
COLUMNS: dict[str, tuple[str, ...]] = {
    "company_name": ("company_name", "company", "unternehmen", "firma", "name des unternehmens"),
    "role": ("role", "rolle"),
    "sector": ("sector", "branche", "wz", "wz 2008"),
    "headcount_band": ("headcount_band", "size", "groesse", "beschaeftigte", "mitarbeitende"),
    "municipality": ("municipality", "location", "ort", "standort", "gemeinde"),
    "works_council": ("works_council", "betriebsrat"),
    "shift_work": ("shift_work", "schichtarbeit"),
    "hr_name": ("hr_name", "contact_name", "ansprechperson", "name"),
    "hr_email": ("hr_email", "email", "e mail", "e mail adresse"),
    "max_travel_km": ("max_travel_km", "km", "max km", "entfernung km"),
    "mentee_capacity": ("mentee_capacity", "kapazitaet", "anzahl mentees"),
}
REQUIRED = ("company_name", "role", "sector", "headcount_band", "municipality", "hr_name", "hr_email")
EXPORT_COLUMNS = tuple(COLUMNS)
YES = {"ja", "yes", "j", "y", "1", "x", "true", "wahr"}
NO = {"nein", "no", "n", "0", "", "false", "falsch"}
ROLES = {"mentor": "mentor", "mentee": "mentee"}
BANDS = {"le15": "le15", "<=15": "le15", "≤15": "le15", "bis15": "le15", "16_25": "16_25", "16-25": "16_25",
         "26_50": "26_50", "26-50": "26_50", "51_250": "51_250", "51-250": "51_250", "gt250": "gt250",
         ">250": "gt250", "über250": "gt250", "ueber250": "gt250"}


@dataclass
class ImportRow:
    number: int  # the row number as the coordinator sees it in the file (header = row 1)
    values: dict[str, str]
    errors: list = field(default_factory=list)


def _band(value: str) -> str | None:
    return BANDS.get(value.lower().replace(" ", ""))


def _header_map(headers: list[str]) -> dict[int, str]:
    lookup = {gazetteer.normalise(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
    mapping = {}
    for index, header in enumerate(headers):
        column = lookup.get(gazetteer.normalise(str(header or "")))
        if column and column not in mapping.values():
            mapping[index] = column
    return mapping


def read_table(filename: str, data: bytes) -> list[dict[str, str]]:
    """Read a CSV or XLSX upload into rows of canonical columns; ServiceError for a file that cannot be read."""
    if not data:
        raise ServiceError(_l("The file is empty."), field="file")
    if len(data) > MAX_BYTES:
        raise ServiceError(_l("The file is larger than %(mb)d MB. Please split it.", mb=MAX_BYTES // 1024 // 1024),
                           field="file")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _read_csv(data)
    else:
        raise ServiceError(_l("Please upload a CSV file or an Excel file (.xlsx)."), field="file")
    if not table:
        raise ServiceError(_l("The file has no rows."), field="file")
    mapping = _header_map(table[0])
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        raise ServiceError(_l("These columns are missing: %(columns)s. The first row must name the columns.",
                              columns=", ".join(missing)), field="file")
    rows = []
    for cells in table[1:]:
        if not any(str(c or "").strip() for c in cells):
            continue
        rows.append({column: str(cells[i] if i < len(cells) and cells[i] is not None else "")
                     for i, column in mapping.items()})
    if len(rows) > MAX_ROWS:
        raise ServiceError(_l("The file has more than %(n)d rows. Please split it.", n=MAX_ROWS), field="file")
    if not rows:
        raise ServiceError(_l("The file has no rows."), field="file")
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # bytes that neither UTF-8 nor Windows-1252 can be (cp1252 leaves five undefined)
        raise ServiceError(_l("This does not look like a CSV file."), field="file")
    if "\x00" in text:
        raise ServiceError(_l("This does not look like a CSV file."), field="file")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
        dialect.delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise ServiceError(_l("The CSV file could not be read: %(error)s", error=str(exc)[:200]), field="file") from exc


def _read_xlsx(data: bytes) -> list[list]:
    unreadable = ServiceError(_l("The Excel file could not be read. Please save it again as .xlsx."), field="file")
    # An .xlsx is a ZIP: a few MB can unpack to gigabytes (a "zip bomb"). Refuse before unpacking anything.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise unreadable from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise ServiceError(_l("The Excel file is too large once unpacked (over %(mb)d MB). Please split it or "
                              "save it as CSV.", mb=MAX_XLSX_UNPACKED // 1024 // 1024), field="file")
    # openpyxl parses untrusted XML (through defusedxml, which refuses entity tricks); a damaged or hostile file
    # can raise nearly anything from its parsers, and every such file gets the same clear message.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:
        raise unreadable from exc
    try:
        rows = []
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except Exception as exc:  # no worksheet (IndexError), or a damaged sheet's XML
        raise unreadable from exc
    finally:
        workbook.close()


def _cell(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("\x00", "")).strip()


def check_rows(rows: list[dict[str, str]], programme: Programme) -> list[ImportRow]:
    """Check every row: missing fields, unknown municipality, bad e-mail, duplicates, formulas."""
    checked = [ImportRow(number=i + 2, values={k: _cell(v) for k, v in row.items()}) for i, row in enumerate(rows)]
    names_in_db = {n.lower() for n in db.session.scalars(
        select(Company.name).join(Application, Application.company_id == Company.id)
        .where(Application.programme_id == programme.id))}
    emails_in_db = {e.lower() for e in db.session.scalars(select(User.email))}
    seen_names: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for row in checked:
        v, err = row.values, row.errors
        for column, value in v.items():
            if value.startswith(FORMULA_START) and not (column in ("max_travel_km", "mentee_capacity")
                                                         and value.lstrip("-").isdigit()):
                err.append(_l("%(column)s: starts with “%(char)s”, which spreadsheets run as a formula. "
                              "Please remove it.", column=column, char=value[0]))
            elif len(value) > MAX_CELL:
                err.append(_l("%(column)s: longer than %(n)d characters.", column=column, n=MAX_CELL))
        for column in REQUIRED:
            if not v.get(column):
                err.append(_l("%(column)s: missing.", column=column))
        if err:
            continue
        if v["role"].lower() not in ROLES:
            err.append(_l("role: must be mentor or mentee."))
        if v["sector"].upper() not in taxonomy.SECTORS:
            err.append(_l("sector: must be a WZ 2008 section letter A to U."))
        if _band(v["headcount_band"]) is None:
            err.append(_l("headcount_band: must be one of le15, 16_25, 26_50, 51_250, gt250."))
        found = gazetteer.find(v["municipality"])
        if len(found) != 1:
            hint = found or gazetteer.suggest(v["municipality"], limit=3)
            did_you_mean = _l("Did you mean: %(places)s?", places="; ".join(p.label for p in hint))
            err.append(_l("municipality: “%(name)s” is unknown or ambiguous.%(hint)s", name=v["municipality"],
                          hint=f" {did_you_mean}" if hint else ""))
        try:
            v["hr_email"] = validate_email(v["hr_email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            err.append(_l("hr_email: “%(email)s” is not a valid e-mail address.", email=v["hr_email"]))
        for column in ("works_council", "shift_work"):
            if v.get(column, "").lower() not in YES | NO:
                err.append(_l("%(column)s: please write ja or nein.", column=column))
        for column, low, high in (("max_travel_km", 0, 500), ("mentee_capacity", 1, 10)):
            value = v.get(column, "")
            if value and not (value.isdigit() and low <= int(value) <= high):
                err.append(_l("%(column)s: a whole number from %(low)d to %(high)d.", column=column, low=low,
                              high=high))
        if v["role"].lower() == "mentor" and not v.get("mentee_capacity"):
            err.append(_l("mentee_capacity: needed for mentor companies."))
        key = v["company_name"].lower()
        if key in names_in_db:
            err.append(_l("company_name: “%(name)s” is in this programme already.", name=v["company_name"]))
        elif key in seen_names:
            err.append(_l("company_name: the same company as in row %(row)d.", row=seen_names[key]))
        seen_names.setdefault(key, row.number)
        email = v["hr_email"].lower()
        if email in emails_in_db:
            err.append(_l("hr_email: an account with %(email)s exists already.", email=email))
        elif email in seen_emails:
            err.append(_l("hr_email: the same address as in row %(row)d.", row=seen_emails[email]))
        seen_emails.setdefault(email, row.number)
    return checked


def start_import(programme: Programme, filename: str, data: bytes, *, actor: User,
                 now: datetime) -> tuple[ImportBatch, list[ImportRow]]:
    """The dry run: read and check the file, keep it for confirmation. Imports nothing. Flushes."""
    rows = read_table(filename, data)
    checked = check_rows(rows, programme)
    batch = ImportBatch(programme_id=programme.id, created_by_id=actor.id, filename=(filename or "")[:200],
                        rows=rows, created_at=now)
    db.session.add(batch)
    db.session.flush()
    return batch, checked


def confirm_import(batch: ImportBatch, *, actor: User, now: datetime) -> list[OutboundEmail]:
    """Import a checked batch in one transaction (checked again first) and invite each new HR lead. Flushes."""
    if batch.status != "preview":
        raise ServiceError(_l("This file has been imported already."))
    if batch.created_at < now - timedelta(hours=24):
        raise ServiceError(_l("This preview is older than a day. Please upload the file again."))
    programme = db.session.get(Programme, batch.programme_id)
    checked = check_rows(batch.rows, programme)
    if any(row.errors for row in checked):
        raise ServiceError(_l("Some rows have errors; nothing has been imported. Please correct the file."))
    mails = []
    valid_days = current_app.config["INVITATION_DAYS"]
    for row in checked:
        v = row.values
        place = gazetteer.find(v["municipality"])[0]
        company = Company(
            name=v["company_name"], sector=v["sector"].upper(),
            headcount_band=_band(v["headcount_band"]),
            municipality=place.label, municipality_geonameid=place.geonameid, latitude=place.latitude,
            longitude=place.longitude, has_works_council=v.get("works_council", "").lower() in YES,
            has_shift_work=v.get("shift_work", "").lower() in YES, created_at=now,
        )
        # No password yet: "!" is never a valid argon2 hash, so nobody can log in until the link is used.
        user = User(email=v["hr_email"], full_name=v["hr_name"], role=Role.HR_LEAD, company=company,
                    password_hash="!" + secrets.token_hex(16), created_at=now)
        role = ROLES[v["role"].lower()]
        application = Application(
            company=company, programme=programme, role=role, status=ApplicationStatus.DRAFT, created_at=now,
            max_travel_km=int(v["max_travel_km"]) if v.get("max_travel_km") else 50,
            mentee_capacity=int(v["mentee_capacity"]) if role == "mentor" and v.get("mentee_capacity") else None,
        )
        db.session.add_all([company, user, application])
        db.session.flush()
        raw = tokens.issue_token(TokenPurpose.PASSWORD_RESET, email=user.email, user_id=user.id, now=now,
                                 valid_for=timedelta(days=valid_days), created_by_id=actor.id)
        mails.append((user, raw))
    batch.status = "imported"
    batch.imported_at = now
    db.session.flush()
    return [_queue_invitation(user, raw, programme, actor, now, valid_days) for user, raw in mails]


def _queue_invitation(user: User, raw: str, programme: Programme, actor: User, now: datetime,
                      days: int) -> OutboundEmail:
    from flask import url_for

    return mail.queue_mail(user.email, "import_invitation", locale=None, now=now, user=user, programme=programme,
                           inviter=actor, days=days,
                           link=url_for("auth.reset_password", token=raw, _external=True))


def export_rows(programme: Programme) -> list[list[str]]:
    """The programme's companies in the import format (header first)."""
    rows = [list(EXPORT_COLUMNS)]
    query = (
        select(Application, Company).join(Company, Company.id == Application.company_id)
        .where(Application.programme_id == programme.id).order_by(func.lower(Company.name))
    )
    pairs = db.session.execute(query).all()
    leads: dict[int, User] = {}
    for user in db.session.scalars(select(User).where(User.company_id.in_([c.id for _, c in pairs]))
                                   .order_by(User.id)):
        leads.setdefault(user.company_id, user)
    for application, company in pairs:
        lead = leads.get(company.id)
        rows.append(["" if x is None else str(x) for x in (
            company.name, application.role, company.sector or "", company.headcount_band or "",
            company.municipality or "", "ja" if company.has_works_council else "nein",
            "ja" if company.has_shift_work else "nein", lead.full_name if lead else "", lead.email if lead else "",
            application.max_travel_km, application.mentee_capacity or "",
        )])
    return rows


def export_csv(programme: Programme) -> bytes:
    return spreadsheets.csv_bytes(export_rows(programme))


def export_xlsx(programme: Programme) -> bytes:
    return spreadsheets.xlsx_bytes([("Unternehmen", export_rows(programme))])
