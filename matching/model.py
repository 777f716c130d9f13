"""The matching engine's inputs and outputs: frozen dataclasses, with the JSON form documented in matching/README.md."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

MODES = ("in_person", "online", "hybrid")
SIZE_BANDS = ("le15", "16_25", "26_50", "51_250", "gt250")
# Statutory regimes by size: no Pflegezeit up to 15 employees, no Familienpflegezeit up to 25.
SIZE_REGIME = {"le15": 0, "16_25": 1, "26_50": 2, "51_250": 2, "gt250": 2}
CRITERIA = ("complementarity", "size", "sector", "distance", "weekdays")


class InvalidInstance(ValueError):
    """The instance breaks its own rules (unknown ids, a pin that breaks a hard rule, …); `problems` lists them."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _frozen_map(value: Mapping | None) -> Mapping:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True, kw_only=True)
class Location:
    latitude: float
    longitude: float
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class Company:
    """What mentor and mentee companies have in common.

    `levels` maps each maturity dimension to 0–4; `overall` is the 0–100 score. `excludes` names companies
    it will not be grouped with (both directions count). Weekdays are 0 (Monday) to 6.
    """

    id: str
    overall: int
    levels: Mapping[str, int]
    location: Location
    max_distance_km: float
    cycle_months: tuple[int, int] = (9, 24)
    mode: str = "hybrid"
    size_band: str = "26_50"
    sector: str = ""
    weekdays: frozenset[int] = frozenset()
    times_of_day: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "levels", _frozen_map(self.levels))
        object.__setattr__(self, "cycle_months", tuple(self.cycle_months))
        for name in ("weekdays", "times_of_day", "excludes"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))


@dataclass(frozen=True, kw_only=True)
class Mentee(Company):
    """A mentee company; `needs` maps dimensions it wants help with to a priority, 1 being its first need."""

    needs: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "needs", _frozen_map(self.needs))


@dataclass(frozen=True, kw_only=True)
class Mentor(Company):
    """A mentor company; `capacity` is how many mentee companies it can take, `offers` what it shares (priority)."""

    capacity: int = 1
    offers: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "offers", _frozen_map(self.offers))


@dataclass(frozen=True, kw_only=True)
class Supervisor:
    """A systemic supervisor: leads at most `capacity` groups; travels at most `max_distance_km` to in-person ones."""

    id: str
    location: Location
    capacity: int
    max_distance_km: float
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class Weights:
    """Relative weights of the score's criteria (per round) and of the supervisor assignment's two aims."""

    complementarity: int = 6
    size: int = 2
    sector: int = 1
    distance: int = 2
    weekdays: int = 1
    supervisor_distance: int = 1
    supervisor_balance: int = 1

    def criteria(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CRITERIA}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """A round's rules and limits.

    Group sizes count mentee companies per group. `competitor_km`: companies of the same sector closer than
    this are never grouped (None: off). Pairs are (company id, company id), in any order for `forbidden_pairs`
    and (mentor id, mentee id) for `pinned_pairs`. `workers` defaults to the machine's cores.
    """

    min_maturity_gap: int = 10
    group_min: int = 1
    group_max: int = 4
    competitor_km: float | None = None
    forbidden_pairs: frozenset[tuple[str, str]] = frozenset()
    pinned_pairs: frozenset[tuple[str, str]] = frozenset()
    pinned_supervisors: Mapping[str, str] = field(default_factory=dict)
    fairness: bool = False
    weights: Weights = field(default_factory=Weights)
    time_limit_s: float = 60.0
    seed: int = 0
    workers: int = 0

    def __post_init__(self):
        object.__setattr__(self, "forbidden_pairs", frozenset(tuple(p) for p in self.forbidden_pairs))
        object.__setattr__(self, "pinned_pairs", frozenset(tuple(p) for p in self.pinned_pairs))
        object.__setattr__(self, "pinned_supervisors", _frozen_map(self.pinned_supervisors))

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True, kw_only=True)
class Instance:
    mentors: tuple[Mentor, ...]
    mentees: tuple[Mentee, ...]
    supervisors: tuple[Supervisor, ...]
    settings: Settings = field(default_factory=Settings)
    dimension_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("mentors", "mentees", "supervisors"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "dimension_labels", _frozen_map(self.dimension_labels))


@dataclass(frozen=True)
class Reason:
    """One reason for a match, as a code with parameters, so the app can word it in any language."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Placement:
    """A mentee in a group: its score 0–1000, each criterion's points, and the top reasons as codes and a sentence."""

    mentee_id: str
    mentor_id: str
    score: int
    contributions: Mapping[str, int]
    reasons: tuple[Reason, ...]
    sentence: str


@dataclass(frozen=True)
class Group:
    mentor_id: str
    mentee_ids: tuple[str, ...]
    supervisor_id: str | None
    cycle_months: tuple[int, int]
    mode: str


@dataclass(frozen=True)
class Unplaced:
    """A mentee left out, with the rule that blocked it."""

    mentee_id: str
    code: str
    params: Mapping[str, Any]
    sentence: str


@dataclass(frozen=True)
class Stats:
    """How the solve went.

    `objective` is the sum of the placed mentees' scores; `bound` the best sum any assignment could reach when
    group sizes, supervisors and mentee–mentee exclusions are ignored (the min-cost-flow optimum), and
    `placed_bound` the most mentees such an assignment places. `gap` = (bound − objective) / bound.
    """

    status: str
    placed: int
    placed_bound: int
    objective: int
    bound: int
    gap: float
    wall_time_s: float
    flow_time_s: float
    cpsat_time_s: float
    pairs_allowed: int
    pairs_modelled: int
    proven_optimal: bool


@dataclass(frozen=True)
class Result:
    groups: tuple[Group, ...]
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    stats: Stats
