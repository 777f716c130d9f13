"""Template helpers: role and status labels, dates in Europe/Berlin, the language form."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from app.i18n import lazy_gettext as _l
from app.models import Role
from app.rounds import texts

ROLE_LABELS = {
    Role.HR_LEAD: _l("HR lead"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.COORDINATOR: _l("Programme coordinator"),
    Role.ADMIN: _l("Administrator"),
    Role.COLLEAGUE: _l("Colleague"),
}

STATUS_LABELS = {
    "mentor": _l("Mentor company"),
    "mentee": _l("Mentee company"),
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "changes_requested": _l("Changes requested"),
    "withdrawn": _l("Withdrawn"),
    "completed": _l("Cycle completed"),
}

STATUS_COLOURS = {"draft": "secondary", "submitted": "info", "changes_requested": "warning", "approved": "success",
                  "rejected": "danger", "withdrawn": "secondary", "completed": "dark"}

# A mentoring group's states, one label each, on every page.
GROUP_STATUS_LABELS = {
    "active": _l("running"),
    "dissolved": _l("dissolved"),
    "completed": _l("completed"),
}


FIELD_LABELS = {
    "name": _l("Company name"), "sector": _l("Sector"), "headcount_band": _l("Size"),
    "has_works_council": _l("Works council"), "has_shift_work": _l("Shift work"), "municipality": _l("Location"),
    "has_charta": _l("Charta signed"), "has_audit": _l("audit berufundfamilie"), "has_pflege_guide": _l("Pflege-Guide"),
    "has_pflegekoffer": _l("Pflegekoffer"), "caregiver_estimate": _l("Caregiving employees (estimate)"),
    "role": _l("Role"), "cycle_min_months": _l("Shortest cycle (months)"), "cycle_max_months": _l("Longest cycle (months)"),
    "meeting_modes": _l("Ways to meet"), "weekdays": _l("Weekdays"), "times_of_day": _l("Times of day"),
    "max_travel_km": _l("Travel up to (km)"), "mentee_capacity": _l("Mentee companies they can take"),
    "questions": _l("Questions they bring"), "exclusions": _l("Not in a group with"), "needs": _l("Needs"),
    "offers": _l("Strengths to share"),
}


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key.split(".", 1)[-1], key))


def yes_no(value) -> str:
    return "–" if value is None else str(_l("Yes") if value else _l("No"))


def display_value(value) -> str:
    """A stored value as a person reads it (lists joined, booleans as yes/no, topics with priorities)."""
    from app import maturity, taxonomy

    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict):
        return ", ".join(f"{maturity.TOPICS[k].label if k in maturity.TOPICS else k} ({v})" for k, v in value.items())
    if isinstance(value, list):
        lookups = (taxonomy.MEETING_MODES, taxonomy.TIMES_OF_DAY, taxonomy.WEEKDAYS)
        return ", ".join(str(next((m[item] for m in lookups if item in m), item)) for item in value)
    return str(value)


def topic_label(key: str) -> str:
    from app import maturity

    return str(maturity.TOPICS[key].label) if key in maturity.TOPICS else key


def maturity_level(key: str) -> str:
    from app import maturity

    return str(next((level.label for level in maturity.OVERALL_LEVELS if level.key == key), key))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def register_template_helpers(app: Flask) -> None:
    from app.main.forms import LanguageForm

    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.filters["status_label"] = lambda value: str(STATUS_LABELS.get(value, value))
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["display_value"] = display_value
    app.jinja_env.filters["yes_no"] = yes_no
    app.jinja_env.filters["maturity_level"] = maturity_level
    app.jinja_env.filters["group_status"] = lambda value: str(GROUP_STATUS_LABELS.get(value, value))
    app.jinja_env.filters["status_colour"] = lambda value: STATUS_COLOURS.get(value, "secondary")
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["match_reasons"] = texts.reasons_text
    app.jinja_env.filters["topic_label"] = topic_label
    app.jinja_env.filters["unplaced_text"] = texts.unplaced_text
    app.jinja_env.filters["event_text"] = texts.event_text
    app.jinja_env.filters["measure_status"] = texts.measure_status

    @app.context_processor
    def inject_globals():
        if not has_request_context():  # mails rendered by the scheduler or the CLI
            return {"Role": Role}
        locale = str(get_locale())
        return {
            "current_locale": locale,
            "language_form": LanguageForm(formdata=None, language=locale, next=request.full_path.rstrip("?")),
            "Role": Role,
            "user": current_user,
        }
