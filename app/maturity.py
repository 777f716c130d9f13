"""The caregiving-support maturity model: ten areas, five levels each, topics, and the scoring.

Importable without an app context: every text is a lazy string rendered in the reader's language.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Topic:
    key: str
    label: object
    dimension: str


@dataclass(frozen=True)
class Dimension:
    key: str
    number: int
    title: object
    short: object
    question: object
    levels: tuple  # five texts, for levels 0 to 4
    topics: tuple[Topic, ...]


def _dimension(number: int, key: str, title, short, question, levels, topics) -> Dimension:
    return Dimension(key, number, title, short, question, tuple(levels),
                     tuple(Topic(t_key, label, key) for t_key, label in topics))


DIMENSIONS: tuple[Dimension, ...] = (
    _dimension(1, "strategy", _l("Strategy and commitment"), _l("Strategy"),
               _l("How firmly is support for caregiving employees anchored in your company's policy?"), (
        _l("Caregiving is not a topic in our HR policy; nobody is responsible for it."),
        _l("Managers help when a case comes up, but there is no plan and no budget."),
        _l("Caregiving is named in our HR policy or mission statement and someone is responsible for it."),
        _l("The commitment is known in the company, has a budget and is backed, e.g. by the Charta or a works "
           "agreement."),
        _l("Caregiving support is part of our strategy, with goals that we review regularly (e.g. audit "
           "berufundfamilie)."),
    ), (("care_policy", _l("Caregiving in HR policy or mission statement")),
        ("named_owner", _l("A named person responsible, with a budget")),
        ("charta_audit", _l("Charta or audit berufundfamilie")),
        ("works_agreement", _l("A works agreement on caregiving")))),
    _dimension(2, "need_awareness", _l("Knowing the need"), _l("Knowing the need"),
               _l("How well do you know how many of your employees care for a relative?"), (
        _l("We do not know whether and how many employees care for a relative."),
        _l("We learn of individual cases by chance, e.g. when someone is absent."),
        _l("We have asked once, e.g. in a staff survey, and roughly know the number."),
        _l("We ask regularly, and caregiving is talked about openly in the company."),
        _l("We know the need well, follow it over time and plan our offers by it; caregiving is no taboo."),
    ), (("staff_survey", _l("Finding out the need with a staff survey")),
        ("break_taboo", _l("Talking openly about caregiving")),
        ("count_carers", _l("Knowing how many employees are carers")))),
    _dimension(3, "information", _l("Information and communication"), _l("Information"),
               _l("How do employees learn what support the company and the law offer?"), (
        _l("There is no information on caregiving for employees."),
        _l("Information is passed on when someone asks."),
        _l("Information is collected in one place, e.g. an intranet page or a Pflegekoffer."),
        _l("Employees know where to find it; there are information events and the legal options are explained."),
        _l("Information is kept up to date, reaches all groups of staff and we check that it is used."),
    ), (("intranet_page", _l("An intranet page or information folder")),
        ("pflegekoffer", _l("Putting together a Pflegekoffer")),
        ("info_events", _l("Information events for employees")),
        ("legal_info", _l("Explaining the legal options")))),
    _dimension(4, "contact_advice", _l("Contact person and advice"), _l("Contact person"),
               _l("Is there a confidential contact person for employees who care for a relative?"), (
        _l("There is no contact person; employees have to find help on their own."),
        _l("HR or a manager helps if asked, without special training."),
        _l("A contact person is named, e.g. a Pflege-Guide or Pflege-Lotse."),
        _l("The trained contact person is known, is asked for advice and works with the Pflegestützpunkt and "
           "care counselling."),
        _l("The advice is firmly established, confidential and well linked with external services, and we "
           "review how it is used."),
    ), (("pflege_guide", _l("Training a Pflege-Guide or Pflege-Lotse")),
        ("external_advice", _l("Links to Pflegestützpunkt and care counselling")),
        ("confidential_contact", _l("A confidential contact person")))),
    _dimension(5, "working_time", _l("Working-time flexibility"), _l("Working time"),
               _l("How flexibly can caregiving employees arrange their working time?"), (
        _l("Working times are fixed; there is no room for caregiving."),
        _l("Managers agree flexible times in individual cases."),
        _l("There are rules, e.g. flexitime, part-time or time accounts."),
        _l("Flexitime, part-time and short-notice release are written down, known to staff and used by "
           "caregiving employees."),
        _l("Flexible working time is a matter of course, also in shifts, and we review it with the employees."),
    ), (("flexitime", _l("Flexitime and part-time models")),
        ("time_accounts", _l("Time accounts")),
        ("short_notice_release", _l("Release at short notice")),
        ("shift_swaps", _l("Swapping shifts")))),
    _dimension(6, "workplace_organisation", _l("Place and organisation of work"), _l("Place of work"),
               _l("How well can work be organised around caregiving (place, cover, leave)?"), (
        _l("Work can only be done on site; absences are not covered."),
        _l("Mobile work or cover are arranged case by case."),
        _l("There are rules for mobile work and cover arrangements."),
        _l("Mobile work, cover, keeping in touch during leave and a planned return are known and used."),
        _l("Work organisation takes caregiving into account from the start and we evaluate it."),
    ), (("mobile_work", _l("Mobile work and working from home")),
        ("cover_arrangements", _l("Cover arrangements")),
        ("return_after_leave", _l("Keeping in touch during leave and a planned return")))),
    _dimension(7, "legal_process", _l("Legal instruments and process"), _l("Legal options"),
               _l("How well does your company know and apply the statutory options for carers?"), (
        _l("The statutory options (short-term absence, Pflegezeit, Familienpflegezeit) are hardly known."),
        _l("We find out what applies when someone asks."),
        _l("The options are known in HR and there is a process for requests."),
        _l("Employees know the options and the request process; we also offer them voluntarily below the size "
           "thresholds."),
        _l("The process is smooth, documented and reviewed; we offer more than the law requires."),
    ), (("statutory_options", _l("Knowing the statutory options")),
        ("request_process", _l("A clear process for requests")),
        ("voluntary_options", _l("Offering leave voluntarily in a small company")))),
    _dimension(8, "leadership_culture", _l("Leadership and culture"), _l("Leadership"),
               _l("How do managers deal with caregiving?"), (
        _l("Caregiving is a private matter; managers do not address it."),
        _l("Some managers are understanding, depending on the person."),
        _l("Managers are asked to support carers and know whom to contact."),
        _l("Managers are trained, act as role models and also encourage men who care."),
        _l("Caregiving is seen as a leadership task throughout the company and is part of leadership "
           "development."),
    ), (("leader_training", _l("Training managers")),
        ("role_models", _l("Role models and open talk")),
        ("caring_men", _l("Encouraging men who care")))),
    _dimension(9, "practical_support", _l("Practical and financial support"), _l("Practical support"),
               _l("What practical or financial help does the company offer carers?"), (
        _l("There is no practical or financial help."),
        _l("We help in emergencies, case by case."),
        _l("There are fixed offers, e.g. household services or an emergency plan."),
        _l("The offers are known and used, e.g. support in emergencies, advances or loans."),
        _l("A range of support is established, fits the needs and is reviewed."),
    ), (("emergency_help", _l("Help in emergencies")),
        ("household_services", _l("Household and everyday services")),
        ("financial_help", _l("Advances or loans")))),
    _dimension(10, "participation_evaluation", _l("Participation and evaluation"), _l("Evaluation"),
               _l("Are employees involved, and do you check what your measures achieve?"), (
        _l("Employees are not asked and nothing is evaluated."),
        _l("We hear feedback now and then."),
        _l("The works council or employees are involved and we collect first figures."),
        _l("We regularly gather feedback and figures such as care-related absence and uptake of measures."),
        _l("Goals are reviewed with the employees and the measures are adjusted."),
    ), (("works_council_involvement", _l("Involving the works council")),
        ("employee_feedback", _l("Asking employees for feedback")),
        ("key_figures", _l("Figures on absence and uptake of measures")))),
)

DIMENSION_KEYS: tuple[str, ...] = tuple(d.key for d in DIMENSIONS)
_BY_KEY = {d.key: d for d in DIMENSIONS}
TOPICS: dict[str, Topic] = {t.key: t for d in DIMENSIONS for t in d.topics}

LEVEL_NAMES = (
    _l("unknown or none"),
    _l("ad hoc, case by case"),
    _l("a rule exists"),
    _l("communicated and used"),
    _l("embedded and evaluated"),
)


def get_dimension(key: str) -> Dimension:
    """The dimension with this key (KeyError if there is none)."""
    return _BY_KEY[key]


@dataclass(frozen=True)
class OverallLevel:
    key: str
    label: object
    lower: int
    upper: int


OVERALL_LEVELS: tuple[OverallLevel, ...] = (
    OverallLevel("getting_started", _l("Getting started"), 0, 24),
    OverallLevel("on_the_way", _l("On the way"), 25, 49),
    OverallLevel("established", _l("Established"), 50, 74),
    OverallLevel("role_model", _l("Role model"), 75, 100),
)


def overall_level(overall: int) -> OverallLevel:
    """The band of an overall score 0–100."""
    return next(level for level in OVERALL_LEVELS if level.lower <= overall <= level.upper)


@dataclass(frozen=True)
class MaturityScore:
    dimensions: dict[str, int | None]
    answered: int
    overall: int
    level: OverallLevel
    is_complete: bool


def score_assessment(answers: Mapping[str, int | None]) -> MaturityScore:
    """Score answers (0–4 per dimension, None = unanswered) as an overall 0–100 with its level.

    An unanswered dimension counts as 0, the scale's own "unknown or none", so that skipping cannot raise
    the score; the overall is rounded half up (62.5 -> 63), not to even.
    """
    unknown = set(answers) - set(DIMENSION_KEYS)
    if unknown:
        raise ValueError(f"unknown dimensions: {sorted(unknown)}")
    dimensions: dict[str, int | None] = {}
    for key in DIMENSION_KEYS:
        value = answers.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4):
            raise ValueError(f"{key}: {value!r} is not a level from 0 to 4")
        dimensions[key] = value
    answered = sum(1 for v in dimensions.values() if v is not None)
    total = sum(v for v in dimensions.values() if v is not None)
    overall = int((Decimal(100 * total) / Decimal(4 * len(DIMENSION_KEYS))).quantize(Decimal(1), ROUND_HALF_UP))
    return MaturityScore(dimensions, answered, overall, overall_level(overall), answered == len(DIMENSION_KEYS))


def strengths(score: MaturityScore, minimum: int = 3) -> list[str]:
    """Dimensions scoring at least `minimum`: what a mentor can pass on."""
    return [k for k, v in score.dimensions.items() if v is not None and v >= minimum]


def gaps(score: MaturityScore, maximum: int = 1) -> list[str]:
    """Dimensions scoring at most `maximum` or unanswered: where a mentee can learn most."""
    return [k for k, v in score.dimensions.items() if v is None or v <= maximum]


def shortfalls(score: MaturityScore, min_dimension: int) -> list[str]:
    """Dimensions below `min_dimension` or unanswered: where a mentor applicant falls short."""
    return [k for k, v in score.dimensions.items() if v is None or v < min_dimension]


def compare(first: MaturityScore, later: MaturityScore) -> dict[str, int | None]:
    """Per-dimension change from the first to a later assessment (None where either is unanswered)."""
    return {
        k: (later.dimensions[k] - first.dimensions[k])
        if later.dimensions[k] is not None and first.dimensions[k] is not None else None
        for k in DIMENSION_KEYS
    }
