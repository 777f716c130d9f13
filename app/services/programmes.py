"""Programmes: created by an administrator, configured by their coordinators, shown publicly while they accept
applications. Services flush; the caller commits (and sends mail afterwards)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.forms import FIRST_YEAR, LAST_YEAR
from app.i18n import lazy_gettext as _l
from app.models import Organisation, Programme, Role, User
from app.services import accounts, audit, calendar
from app.services.errors import ServiceError
from app.services.gazetteer import STATE_NAMES
from app.services.organisations import clean_contact
from app.services.rounds import CYCLE_MONTHS_MAX, CYCLE_MONTHS_MIN, GROUP_SIZE_MAX

# The limits of each setting: (smallest, largest). Beyond them a value is a typo or breaks a rule elsewhere.
LIMITS = {
    "mentor_min_overall": (0, 100),        # overall maturity, points of 100
    "mentor_min_dimension": (0, 4),        # per dimension, levels 0–4
    "cadence_weeks": (1, 12),
    "meeting_minutes": (30, 480),
    "travel_buffer_minutes": (0, 240),
    "retention_months": (1, 120),
    "default_group_min": (1, GROUP_SIZE_MAX),
    "default_group_max": (1, GROUP_SIZE_MAX),
    "default_cycle_months": (CYCLE_MONTHS_MIN, CYCLE_MONTHS_MAX),
}
REMINDER_DAYS = (1, 30)  # each reminder between one day and a month before a session
REMINDERS_MAX = 3
DESCRIPTION_MAX = 20_000
NOTE_MAX = 2_000


def today_in_germany(now: datetime) -> date:
    return calendar.local(now).date()


# -- created by an administrator ----------------------------------------------------------------------------------

def create_programme(*, name: str, region: str, state_code: str, carrier_id: int | None, actor: User,
                     now: datetime) -> Programme:
    """A new programme, closed for applications until its coordinators open it. Flushes."""
    name, region = " ".join((name or "").split()), " ".join((region or "").split())
    if not name or len(name) > 200:
        raise ServiceError(_l("Please enter the programme's name (at most 200 characters)."), "name")
    if db.session.scalar(select(Programme.id).where(func.lower(Programme.name) == name.lower())) is not None:
        raise ServiceError(_l("A programme of this name exists already."), "name")
    if not region or len(region) > 200:
        raise ServiceError(_l("Please enter the region (at most 200 characters)."), "region")
    if state_code not in STATE_NAMES:
        raise ServiceError(_l("Please choose the federal state."), "state_code")
    carrier = db.session.get(Organisation, carrier_id) if carrier_id else None
    if carrier_id and carrier is None:
        raise ServiceError(_l("Please choose a recorded organisation as carrier."), "carrier_id")
    programme = Programme(name=name, region=region, state_code=state_code, carrier=carrier,
                          applications_enabled=False, created_at=now)
    db.session.add(programme)
    db.session.flush()
    audit.record("programme_created", actor, now, programme, name=name)
    return programme


def assign_coordinator(programme: Programme, email: str, *, actor: User, now: datetime) -> tuple[User | None, str | None]:
    """Make an existing coordinator account coordinate the programme, or invite the address as its coordinator.
    Returns (the account, None) or (None, the invitation's raw token for the mail the caller sends). Flushes."""
    user = accounts.find_user_by_email(email or "")
    if user is None:
        _token, raw = accounts.invite_user(email=email, role=Role.COORDINATOR, programme_ids=[programme.id],
                                           actor=actor, now=now)
        return None, raw
    if user.role != Role.COORDINATOR or not user.is_active:
        raise ServiceError(_l("This address belongs to an account that is not an active coordinator. Please use "
                              "another address."), "email")
    if programme in user.coordinated_programmes:
        raise ServiceError(_l("This person coordinates the programme already."), "email")
    user.coordinated_programmes.append(programme)
    audit.record("coordinator_assigned", actor, now, programme, email=user.email)
    db.session.flush()
    return user, None


def remove_coordinator(programme: Programme, user: User, *, actor: User, now: datetime) -> None:
    """The person no longer coordinates the programme (their account stays). Flushes."""
    if programme not in user.coordinated_programmes:
        raise ServiceError(_l("This person does not coordinate the programme."))
    user.coordinated_programmes.remove(programme)
    audit.record("coordinator_removed", actor, now, programme, email=user.email)
    db.session.flush()


# -- configured by its coordinators --------------------------------------------------------------------------------

@dataclass
class ProgrammeSettings:
    """Every setting a coordinator changes on the settings page (the form's values)."""

    description: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    applications_enabled: bool
    applications_open_from: date | None
    applications_open_until: date | None
    mentor_min_overall: int
    mentor_min_dimension: int
    cadence_weeks: int
    meeting_minutes: int
    travel_buffer_minutes: int
    reminder_days: list[int]
    retention_months: int
    default_group_min: int
    default_group_max: int
    default_cycle_months: int
    is_esf_plus: bool
    funding_project_number: str | None
    funding_note: str | None


SETTING_NAMES = tuple(f.name for f in fields(ProgrammeSettings))
# Personal data: the audit entry names the change, never the values.
PERSONAL = {"contact_name", "contact_email", "contact_phone"}


def settings_of(programme: Programme) -> ProgrammeSettings:
    return ProgrammeSettings(**{name: getattr(programme, name) for name in SETTING_NAMES})


def parse_reminder_days(text: str | None) -> list[int]:
    """"7, 1" -> [7, 1]; raises ServiceError on anything that is not a list of whole numbers."""
    parts = [p for p in (text or "").replace(";", ",").replace(" ", ",").split(",") if p]
    if not all(p.isdecimal() and len(p) <= 3 for p in parts):
        raise ServiceError(_l("Please enter whole numbers of days, separated by commas, for example 7, 1."),
                           "reminder_days")
    return [int(p) for p in parts]


def _text(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ServiceError(_l("Please enter at most %(n)d characters.", n=limit), field)
    return value or None


def _check_settings(values: ProgrammeSettings) -> ProgrammeSettings:
    """Refuse settings that make no sense, with a message the coordinator can act on; returns them cleaned."""
    clean = asdict(values)
    for name, (low, high) in LIMITS.items():
        value = clean[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ServiceError(_l("Please enter a whole number between %(low)d and %(high)d.", low=low, high=high),
                               name)
    if clean["default_group_max"] < clean["default_group_min"]:
        raise ServiceError(_l("The largest group cannot be smaller than the smallest."), "default_group_max")
    days = clean["reminder_days"] or []
    if len(days) > REMINDERS_MAX or any(not REMINDER_DAYS[0] <= d <= REMINDER_DAYS[1] for d in days):
        raise ServiceError(_l("Please enter up to %(n)d reminders, each between %(low)d and %(high)d days before "
                              "the session.", n=REMINDERS_MAX, low=REMINDER_DAYS[0], high=REMINDER_DAYS[1]),
                           "reminder_days")
    clean["reminder_days"] = sorted(set(days), reverse=True)
    for name in ("applications_open_from", "applications_open_until"):
        day = clean[name]
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ServiceError(_l("Please enter a date between the years %(first)d and %(last)d.",
                                  first=FIRST_YEAR, last=LAST_YEAR), name)
    opens, closes = clean["applications_open_from"], clean["applications_open_until"]
    if opens is not None and closes is not None and closes < opens:
        raise ServiceError(_l("The last day for applications cannot lie before the first."), "applications_open_until")
    clean["description"] = _text(clean["description"], DESCRIPTION_MAX, "description")
    clean["funding_note"] = _text(clean["funding_note"], NOTE_MAX, "funding_note")
    clean["funding_project_number"] = _text(clean["funding_project_number"], 60, "funding_project_number")
    clean["contact_name"] = _text(clean["contact_name"], 200, "contact_name")
    clean["contact_email"], clean["contact_phone"] = clean_contact(clean["contact_email"], clean["contact_phone"])
    clean["applications_enabled"] = bool(clean["applications_enabled"])
    clean["is_esf_plus"] = bool(clean["is_esf_plus"])
    return ProgrammeSettings(**clean)


STALE = _l("Someone else changed these settings meanwhile. Reload the page to see their changes, then make yours "
           "again.")


def update_settings(programme: Programme, values: ProgrammeSettings, *, version: int, actor: User,
                    now: datetime) -> list[str]:
    """Save the programme's settings; refused when someone saved them meanwhile (optimistic locking: the version
    the page was loaded with must still be the stored one, and the UPDATE checks it again). Returns the names of the
    changed settings, which the audit log records with old and new values (contact details without values).
    Flushes."""
    if version != programme.version:
        raise ServiceError(STALE)
    clean = asdict(_check_settings(values))
    changes = {}
    for name, value in clean.items():
        old = getattr(programme, name)
        if old != value:
            changes[name] = "changed" if name in PERSONAL or name in ("description", "funding_note") else \
                {"old": _plain(old), "new": _plain(value)}
            setattr(programme, name, value)
    if changes:
        programme.updated_at = now
        audit.record("programme_settings_changed", actor, now, programme, **changes)
        db.session.flush()
    return list(changes)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# -- public --------------------------------------------------------------------------------------------------------

def open_for_applications(now: datetime) -> list[Programme]:
    """The programmes that accept applications today, for the public start page."""
    today = today_in_germany(now)
    return list(db.session.scalars(select(Programme).where(Programme.accepting_on(today))
                                   .order_by(Programme.name)))


def application_state(programme: Programme, now: datetime) -> str:
    """"open", "soon" (the window starts later), "ended" (it has passed) or "closed"."""
    today = today_in_germany(now)
    if programme.accepts_applications_on(today):
        return "open"
    if programme.applications_enabled and programme.applications_open_from and \
            programme.applications_open_from > today:
        return "soon"
    if programme.applications_enabled and programme.applications_open_until and \
            programme.applications_open_until < today:
        return "ended"
    return "closed"


def for_person(email: str) -> list[Programme]:
    """The programmes that name this address as their contact (export and erasure of a person)."""
    return list(db.session.scalars(select(Programme).where(func.lower(Programme.contact_email)
                                                           == email.strip().lower())))
