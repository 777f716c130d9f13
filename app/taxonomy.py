"""Fixed vocabularies of a company profile and an application (labels translated at render time)."""
from __future__ import annotations

from app.i18n import lazy_gettext as _l

# The 21 sections of the German classification of economic activities (WZ 2008).
SECTORS = {
    "A": _l("Agriculture, forestry and fishing"),
    "B": _l("Mining and quarrying"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, gas, steam and air conditioning supply"),
    "E": _l("Water supply, sewerage, waste management and remediation"),
    "F": _l("Construction"),
    "G": _l("Wholesale and retail trade, repair of motor vehicles"),
    "H": _l("Transportation and storage"),
    "I": _l("Accommodation and food service activities"),
    "J": _l("Information and communication"),
    "K": _l("Financial and insurance activities"),
    "L": _l("Real estate activities"),
    "M": _l("Professional, scientific and technical activities"),
    "N": _l("Administrative and support service activities"),
    "O": _l("Public administration and defence, compulsory social security"),
    "P": _l("Education"),
    "Q": _l("Human health and social work activities"),
    "R": _l("Arts, entertainment and recreation"),
    "S": _l("Other service activities"),
    "T": _l("Activities of households as employers"),
    "U": _l("Activities of extraterritorial organisations and bodies"),
}

HEADCOUNT_BANDS = {
    "le15": _l("up to 15 employees"),
    "16_25": _l("16 to 25 employees"),
    "26_50": _l("26 to 50 employees"),
    "51_250": _l("51 to 250 employees"),
    "gt250": _l("more than 250 employees"),
}

STATUTORY_OPTIONS = {
    "short_term_absence": _l("Short-term absence of up to 10 working days, with care-support pay from the care "
                             "insurance (any company size)"),
    "pflegezeit": _l("Pflegezeit: full or partial release for up to 6 months (employers with more than 15 "
                     "employees)"),
    "familienpflegezeit": _l("Familienpflegezeit: reduced hours, at least 15 a week, for up to 24 months "
                             "(employers with more than 25 employees)"),
}


def statutory_options(band: str) -> list[str]:
    """The statutory care-leave options an employer of this size must grant (smaller ones may offer them)."""
    options = ["short_term_absence"]
    if band in ("16_25", "26_50", "51_250", "gt250"):
        options.append("pflegezeit")
    if band in ("26_50", "51_250", "gt250"):
        options.append("familienpflegezeit")
    return options


INSTRUMENTS = {
    "charta": _l("Charta zur Vereinbarkeit von Beruf und Pflege signed"),
    "audit": _l("audit berufundfamilie completed"),
    "pflege_guide": _l("Trained Pflege-Guide or Pflege-Lotse in the company"),
    "pflegekoffer": _l("Pflegekoffer (information kit for employees)"),
}

MEETING_MODES = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("Hybrid"),
}

WEEKDAYS = {
    0: _l("Monday"),
    1: _l("Tuesday"),
    2: _l("Wednesday"),
    3: _l("Thursday"),
    4: _l("Friday"),
}

TIMES_OF_DAY = {
    "morning": _l("Morning (8–11)"),
    "midday": _l("Midday (11–14)"),
    "afternoon": _l("Afternoon (14–17)"),
    "evening": _l("Evening (17–20)"),
}

NEED_PRIORITIES = {
    1: _l("high priority"),
    2: _l("medium priority"),
    3: _l("low priority"),
}
