"""The ESF Plus report for a period: supported SMEs (EECO19) by size band and sector, participating persons by
sex with employment status, age band and education (each person once per project, matched on first name, last
name and postcode), and the sessions held with dates, duration and attendance as evidence. Exported as XLSX,
CSV and a printable page. Entry questionnaires of the persons are recorded here too."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import taxonomy
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.models import (
    Application,
    Attendance,
    Company,
    GroupMember,
    Meeting,
    MentoringGroup,
    Participant,
    Programme,
    Response,
    SessionRecord,
    User,
)
from app.models.participant import AGE_BANDS, EDUCATION, EMPLOYMENT, SEXES
from app.services import spreadsheets
from app.services.calendar import local
from app.services.errors import ServiceError

LABELS = {
    "female": _l("female"), "male": _l("male"), "non_binary": _l("non-binary"), "no_answer": _l("no answer"),
    "under_30": _l("under 30"), "30_54": _l("30 to 54"), "over_54": _l("over 54"),
    "employed": _l("employed"), "self_employed": _l("self-employed"), "unemployed": _l("unemployed"),
    "inactive": _l("not in employment"),
    "isced_0_2": _l("ISCED 0–2 (up to lower secondary)"), "isced_3_4": _l("ISCED 3–4 (upper secondary, "
                                                                          "vocational)"),
    "isced_5_8": _l("ISCED 5–8 (tertiary)"),
}
POSTCODE = re.compile(r"^\d{5}$")


def person_key(first_name: str, last_name: str, postcode: str) -> str:
    """How the funder recognises one person: first name, last name and postcode, case and spaces aside."""
    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    return f"{norm(first_name)}|{norm(last_name)}|{postcode.strip()}"


def record_entry(programme: Programme, company: Company, values: dict, *, actor: User, now: datetime) -> Participant:
    """A person's entry questionnaire (the HR lead records it for themselves or a colleague). Flushes."""
    first, last = (values.get("first_name") or "").strip(), (values.get("last_name") or "").strip()
    postcode = (values.get("postcode") or "").strip()
    if not first or not last:
        raise ServiceError(_l("Please enter first and last name."), "first_name")
    if not POSTCODE.match(postcode):
        raise ServiceError(_l("Please enter a German postcode of five digits."), "postcode")
    for field, allowed in (("sex", SEXES), ("age_band", AGE_BANDS), ("employment", EMPLOYMENT),
                           ("education", EDUCATION)):
        if values.get(field) not in allowed:
            raise ServiceError(_l("Please choose an answer (\"no answer\" is possible)."), field)
    participant = Participant(programme_id=programme.id, company_id=company.id, first_name=first[:80],
                              last_name=last[:80], postcode=postcode, person_key=person_key(first, last, postcode),
                              sex=values["sex"], age_band=values["age_band"], employment=values["employment"],
                              education=values["education"], entered_on=values.get("entered_on") or now.date(),
                              created_by_id=actor.id, created_at=now)
    db.session.add(participant)
    db.session.flush()
    return participant


def record_exit(participant: Participant, employment: str, *, exited_on: date) -> None:
    if employment not in EMPLOYMENT:
        raise ServiceError(_l("Please choose an answer (\"no answer\" is possible)."), "exit_employment")
    participant.exit_employment, participant.exited_on = employment, exited_on
    db.session.flush()


@dataclass
class Report:
    programme: Programme
    since: date
    until: date
    smes: list[tuple[str, str, str]]  # (company, size band, sector)
    smes_by_size: Counter
    smes_by_sector: Counter
    persons: list[Participant]
    by_sex: Counter
    by_sex_employment: Counter
    by_sex_age: Counter
    by_sex_education: Counter
    sessions: list[dict]


def build(programme: Programme, since: date, until: date) -> Report:
    start = datetime.combine(since, time.min, UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, UTC)
    # EECO19: SMEs supported in the period: companies in a group of the programme whose cycle overlaps it.
    rows = db.session.execute(
        select(Company.id, Company.name, Company.headcount_band, Company.sector)
        .join(Application, Application.company_id == Company.id)
        .join(GroupMember, GroupMember.application_id == Application.id)
        .join(MentoringGroup, GroupMember.group_id == MentoringGroup.id)
        .where(MentoringGroup.programme_id == programme.id, GroupMember.response != Response.DECLINED,
               MentoringGroup.starts_on <= until, MentoringGroup.ends_on >= since)
        .distinct().order_by(Company.name)).all()
    smes = [(name, band or "", sector or "") for _, name, band, sector in rows]
    # Persons: the first questionnaire of each person entered by the end of the period counts, once.
    persons: dict[str, Participant] = {}
    for participant in db.session.scalars(select(Participant).where(
            Participant.programme_id == programme.id, Participant.entered_on <= until)
            .order_by(Participant.entered_on, Participant.id)):
        persons.setdefault(participant.person_key, participant)
    people = list(persons.values())
    held = db.session.scalars(
        select(Meeting).join(SessionRecord, SessionRecord.meeting_id == Meeting.id)
        .join(MentoringGroup, Meeting.group_id == MentoringGroup.id)
        .where(MentoringGroup.programme_id == programme.id, SessionRecord.outcome == "held",
               Meeting.starts_at >= start, Meeting.starts_at < end)
        .options(selectinload(Meeting.group).selectinload(MentoringGroup.members).selectinload(GroupMember.application)
                 .selectinload(Application.company))
        .order_by(Meeting.starts_at)).all()
    present: dict[int, list[tuple[str, str]]] = {}
    for row in db.session.scalars(select(Attendance).options(selectinload(Attendance.application)
                                                             .selectinload(Application.company))
                                  .where(Attendance.meeting_id.in_([m.id for m in held] or [0]))
                                  .order_by(Attendance.id)):
        present.setdefault(row.meeting_id, []).append((row.person, row.application.company.name))
    sessions = []
    for meeting in held:
        mentor = meeting.group.mentor
        sessions.append({
            "date": local(meeting.starts_at).strftime("%d.%m.%Y"),
            "start": local(meeting.starts_at).strftime("%H:%M"),
            "minutes": int((meeting.ends_at - meeting.starts_at).total_seconds() // 60),
            "group": mentor.application.company.name if mentor else "",
            "attendance": present.get(meeting.id, []),
        })
    return Report(
        programme=programme, since=since, until=until, smes=smes,
        smes_by_size=Counter(band for _, band, _ in smes), smes_by_sector=Counter(sector for _, _, sector in smes),
        persons=people, by_sex=Counter(p.sex for p in people),
        by_sex_employment=Counter((p.sex, p.employment) for p in people),
        by_sex_age=Counter((p.sex, p.age_band) for p in people),
        by_sex_education=Counter((p.sex, p.education) for p in people), sessions=sessions)


def label(key: str) -> str:
    return str(LABELS.get(key, taxonomy.HEADCOUNT_BANDS.get(key, key)))


def tables(report: Report) -> list[tuple[str, list[str], list[list]]]:
    """The report as tables (title, header, rows): the same in the page, the XLSX sheets and the CSV."""
    sexes = list(SEXES)
    def by_sex(counter: Counter, keys) -> list[list]:
        return [[label(k)] + [counter.get((s, k), 0) for s in sexes] + [sum(counter.get((s, k), 0) for s in sexes)]
                for k in keys]
    header_sex = [str(_l("Answer"))] + [label(s) for s in sexes] + [str(_l("total"))]
    return [
        (str(_l("Supported SMEs (EECO19) by size")), [str(_l("Size")), str(_l("SMEs"))],
         [[label(k), n] for k, n in sorted(report.smes_by_size.items())] + [[str(_l("total")), len(report.smes)]]),
        (str(_l("Supported SMEs by sector")), [str(_l("Sector")), str(_l("SMEs"))],
         [[str(taxonomy.SECTORS.get(k, k)) if k else "–", n] for k, n in sorted(report.smes_by_sector.items())]),
        (str(_l("Participants by sex")), [str(_l("Sex")), str(_l("Persons"))],
         [[label(s), report.by_sex.get(s, 0)] for s in sexes] + [[str(_l("total")), len(report.persons)]]),
        (str(_l("Participants by employment status and sex")), header_sex, by_sex(report.by_sex_employment,
                                                                                  EMPLOYMENT)),
        (str(_l("Participants by age and sex")), header_sex, by_sex(report.by_sex_age, AGE_BANDS)),
        (str(_l("Participants by education (ISCED) and sex")), header_sex, by_sex(report.by_sex_education,
                                                                                  EDUCATION)),
        (str(_l("Group sessions held (evidence)")),
         [str(_l("Date")), str(_l("Starts at")), str(_l("Duration (minutes)")), str(_l("Group")), str(_l("Present"))],
         [[s["date"], s["start"], s["minutes"], s["group"],
           "; ".join(f"{person} ({company})" for person, company in s["attendance"])] for s in report.sessions]),
    ]


def to_xlsx(report: Report) -> bytes:
    summary = [[str(_l("Programme")), report.programme.name],
               [str(_l("Period")), report.since.isoformat(), report.until.isoformat()]]
    return spreadsheets.xlsx_bytes([(str(_l("Report")), summary)] + [
        (f"{index} {title}", [[title], header, *rows]) for index, (title, header, rows) in enumerate(tables(report),
                                                                                                   start=1)])


def to_csv(report: Report) -> bytes:
    lines: list[list] = [[str(_l("Programme")), report.programme.name],
                         [str(_l("Period")), report.since.isoformat(), report.until.isoformat()]]
    for title, header, rows in tables(report):
        lines += [[], [title], header, *rows]
    return spreadsheets.csv_bytes(lines)
