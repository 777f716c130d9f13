"""The optimiser's reasons and refusals (codes with figures) in the reader's language."""
from __future__ import annotations

from flask_babel import gettext as _

from app import maturity, taxonomy
from app.i18n import lazy_gettext as _l

DAY_NAMES = taxonomy.WEEKDAYS
PRIORITIES = {1: _l("first"), 2: _l("second"), 3: _l("third")}


def _dimension(key: str) -> str:
    try:
        return str(maturity.get_dimension(key).title)
    except KeyError:
        return key


def reason_text(reason: dict) -> str:
    """One reason for a match, e.g. "strong on working-time flexibility, which you named as your first need"."""
    code, p = reason.get("code"), reason.get("params", {})
    if code == "strength_for_need":
        return _("strong on %(dimension)s, named as %(priority)s need", dimension=_dimension(p["dimension"]),
                 priority=PRIORITIES.get(p.get("priority"), ""))
    if code == "strength_for_gap":
        return _("strong on %(dimension)s, where there is most to gain", dimension=_dimension(p["dimension"]))
    if code == "distance":
        return _("%(km)s km apart", km=p.get("km"))
    if code == "online":
        return _("meets online")
    if code == "same_size_band":
        return _("same size")
    if code == "same_size_regime":
        return _("similar size, same statutory options")
    if code == "same_sector":
        return _("same sector")
    if code == "common_weekdays":
        return _("both free on %(days)s", days=", ".join(str(DAY_NAMES.get(d, d)) for d in p.get("days", [])))
    return str(code)


def reasons_text(reasons: list[dict] | None) -> str:
    return "; ".join(reason_text(r) for r in reasons or [])


UNPLACED = {
    "no_mentors": _l("There is no mentor company in the round."),
    "maturity_gap": _l("No mentor company is far enough ahead in maturity."),
    "meeting_mode": _l("No suitable mentor company wants to meet the same way (in person or online)."),
    "cycle_length": _l("No suitable mentor company shares a possible cycle length."),
    "distance": _l("No suitable mentor company lies within the distance both accept."),
    "excluded": _l("Every suitable mentor company is excluded (by the company, the coordination or as a "
                   "competitor)."),
    "no_supervisor": _l("No supervisor of the round can reach a suitable mentor company."),
    "mentors_full": _l("All suitable mentor companies are full."),
    "group_conflict": _l("The groups with room do not fit (cycle length or an exclusion between companies)."),
    "group_too_small": _l("Suitable mentor companies without a group would stay below the minimum group size."),
    "supervisors_full": _l("No supervisor within reach has room for another group."),
    "not_chosen": _l("Placing it would leave another company out or lower the scores more."),
}


def unplaced_text(code: str, params: dict | None = None) -> str:
    text = str(UNPLACED.get(code, code))
    params = params or {}
    if code == "distance" and "nearest_km" in params:
        text += " " + _("The nearest is %(km)s km away.", km=params["nearest_km"])
    if code == "maturity_gap" and params.get("best") is not None:
        text += " " + _("Needed: %(needed)s points; the most mature mentor company has %(best)s.",
                        needed=params["needed"], best=params["best"])
    return text


EVENTS = {
    "created": _l("created the round"),
    "updated": _l("changed the settings"),
    "run": _l("started the optimiser"),
    "run_done": _l("optimiser finished"),
    "run_failed": _l("optimiser failed"),
    "pin": _l("pinned a pair"),
    "forbid": _l("forbade a pair"),
    "unpin": _l("removed a pin or ban"),
    "move": _l("moved a company"),
    "supervisor": _l("assigned a supervisor"),
    "publish": _l("published the groups"),
    "accept": _l("accepted"),
    "decline": _l("declined"),
    "follow_up": _l("created a follow-up round"),
    "added": _l("added the approved companies that were missing"),
    "plan": _l("had the group sessions planned"),
    "confirm_meetings": _l("confirmed the group sessions"),
    "move_meeting": _l("moved a group session"),
    "cancel_meeting": _l("cancelled a group session"),
}


def event_text(kind: str) -> str:
    return str(EVENTS.get(kind, kind))


MEASURE_STATUS = {"open": _l("open"), "in_progress": _l("in progress"), "done": _l("done"), "dropped": _l("dropped")}


def measure_status(status: str) -> str:
    return str(MEASURE_STATUS.get(status, status))
