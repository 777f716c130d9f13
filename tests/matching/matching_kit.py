"""Builders, random instances and an independent check of a result's hard rules, shared by tests/matching.

Everything here is written from matching/README.md; the only engine code it leans on is the plain-Python
reference (matching.rules, matching.scoring), which test_scoring.py holds against the vectorised code.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

from hypothesis import strategies as st

from matching import rules, scoring
from matching.jsonio import result_to_json
from matching.model import (
    SIZE_BANDS,
    Instance,
    Location,
    Mentee,
    Mentor,
    Result,
    Settings,
    Supervisor,
    Weights,
)

ROOT = Path(__file__).resolve().parents[2]
BASE_LAT, BASE_LON = 51.2, 7.2
KM_PER_DEGREE = rules.EARTH_RADIUS_KM * math.pi / 180  # along a meridian
DIMS = ("strategy", "information", "working_time", "legal")
CYCLES = ((6, 9), (9, 12), (9, 18), (12, 18), (12, 24), (18, 24), (9, 24))
TIMES = ("morning", "afternoon", "evening")
UNPLACED_CODES = {"maturity_gap", "meeting_mode", "cycle_length", "distance", "excluded", "no_supervisor",
                  "mentors_full", "group_conflict", "group_too_small", "supervisors_full", "not_chosen", "no_mentors"}
TIMING_FIELDS = ("wall_time_s", "flow_time_s", "cpsat_time_s")
# Random instances include mentors whose capacity is below group_min (they can never lead a group).
CAPACITY_BELOW_GROUP_MIN = True


def north(km: float = 0.0) -> Location:
    """A place `km` north of the base point (along a meridian, so exactly that far from it)."""
    return Location(latitude=BASE_LAT + km / KM_PER_DEGREE, longitude=BASE_LON)


def mentor(id: str, **kw) -> Mentor:
    fields = dict(overall=80, levels={}, location=north(0), max_distance_km=50.0, capacity=1)
    return Mentor(id=id, **{**fields, **kw})


def mentee(id: str, **kw) -> Mentee:
    fields = dict(overall=30, levels={}, location=north(5), max_distance_km=50.0)
    return Mentee(id=id, **{**fields, **kw})


def supervisor(id: str, **kw) -> Supervisor:
    fields = dict(location=north(0), capacity=10, max_distance_km=100.0)
    return Supervisor(id=id, **{**fields, **kw})


def settings(**kw) -> Settings:
    return Settings(**{"time_limit_s": 10.0, "workers": 1, **kw})


def instance(mentors, mentees, supervisors=None, **kw) -> Instance:
    """An instance with one supervisor next to the base point unless others are given; `kw` are Settings."""
    sups = (supervisor("s1"),) if supervisors is None else tuple(supervisors)
    return Instance(mentors=tuple(mentors), mentees=tuple(mentees), supervisors=sups, settings=settings(**kw))


def with_settings(inst: Instance, **kw) -> Instance:
    return replace(inst, settings=replace(inst.settings, **kw))


# -- random instances -------------------------------------------------------------------------------------
class SeededSource:
    """Random choices from a seeded random.Random."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options):
        return self.rng.choice(list(options))

    def real(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def subset(self, options) -> frozenset:
        return frozenset(x for x in options if self.rng.random() < 0.5)


class DrawSource:
    """The same choices drawn by hypothesis (so failures shrink to small, plain instances)."""

    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options):
        return self.draw(st.sampled_from(list(options)))

    def real(self, lo: float, hi: float) -> float:
        return self.draw(st.floats(lo, hi))

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) >= round(1000 * (1 - p))

    def subset(self, options) -> frozenset:
        options = list(options)
        return self.draw(st.frozensets(st.sampled_from(options))) if options else frozenset()


def _place(src, spread_km: float) -> Location:
    half = spread_km / 2 / KM_PER_DEGREE
    return Location(latitude=BASE_LAT + src.real(-half, half),
                    longitude=BASE_LON + src.real(-1.5 * half, 1.5 * half))


def _company(src, spread_km: float, overall: tuple[int, int], sectors) -> dict:
    levels = {d: src.integer(0, 4) for d in sorted(src.subset(DIMS))}
    return dict(overall=src.integer(*overall), levels=levels, location=_place(src, spread_km),
                max_distance_km=float(src.choice((20, 40, 80, 1000))), cycle_months=src.choice(CYCLES),
                mode=src.choice(("hybrid", "hybrid", "in_person", "online")),
                size_band=src.choice(SIZE_BANDS), sector=src.choice(sectors), weekdays=src.subset(range(7)),
                times_of_day=src.subset(TIMES))


def random_instance(src, n_mentees: int, n_mentors: int, n_supervisors: int, *, group_min: int | None = None,
                    group_max: int | None = None, competitor: bool | None = None, spread_km: float = 50.0,
                    exclusions: bool = True, ample_supervisors: bool = False, vary_weights: bool = True,
                    fairness: bool = False, time_limit_s: float = 10.0,
                    capacity_below_group_min: bool = CAPACITY_BELOW_GROUP_MIN) -> Instance:
    """A random instance near the base point where every rule binds now and then; options left None are
    drawn too."""
    sectors = ("", "A", "B")
    gmin = min(src.choice((1, 1, 2)), group_max or 2) if group_min is None else group_min
    gmax = max(gmin, src.integer(1, 4)) if group_max is None else group_max
    lowest_capacity = 1 if capacity_below_group_min else gmin
    mentors, mentees = [], []
    for i in range(n_mentors):
        data = _company(src, spread_km, (50, 95), sectors)
        offers = {d: k + 1 for k, d in enumerate(sorted(src.subset(data["levels"])))}
        capacity = src.integer(lowest_capacity, max(3, lowest_capacity))
        mentors.append(Mentor(id=f"m{i}", capacity=capacity, offers=offers, **data))
    for i in range(n_mentees):
        data = _company(src, spread_km, (5, 60), sectors)
        named = sorted(src.subset(DIMS))
        needs = {d: k + 1 for k, d in enumerate(named[:3])}
        mentees.append(Mentee(id=f"e{i}", needs=needs, **data))
    if exclusions:  # own exclusions, both directions, between mentees too
        for i, e in enumerate(mentees):
            others = [c.id for c in mentors + mentees if c.id != e.id]
            if others and src.chance(0.15):
                mentees[i] = replace(e, excludes={src.choice(others)})
        for i, m in enumerate(mentors):
            if mentees and src.chance(0.1):
                mentors[i] = replace(m, excludes={src.choice([e.id for e in mentees])})
    if ample_supervisors:
        sups = [Supervisor(id="s0", location=north(0), capacity=max(1, n_mentors), max_distance_km=20000.0)]
    else:
        sups = [Supervisor(id=f"s{i}", location=_place(src, spread_km * 1.5),
                           capacity=src.choice((0, 1, 1, 2, 3)),
                           max_distance_km=float(src.choice((15, 40, 80, 300))))
                for i in range(n_supervisors)]
    forbidden = set()
    if exclusions and mentees and src.chance(0.3):
        a = src.choice([c.id for c in mentors + mentees])
        b = src.choice([e.id for e in mentees])
        if a != b:
            forbidden.add((a, b) if src.chance(0.5) else (b, a))
    use_competitor = src.chance(0.4) if competitor is None else competitor
    weights = Weights()
    if vary_weights and src.chance(0.3):
        weights = Weights(complementarity=src.integer(0, 6), size=src.integer(0, 3), sector=src.integer(0, 3),
                          distance=src.integer(0, 3), weekdays=src.integer(0, 3))
    return Instance(
        mentors=tuple(mentors), mentees=tuple(mentees), supervisors=tuple(sups),
        settings=Settings(min_maturity_gap=src.choice((0, 10, 10, 25)), group_min=gmin, group_max=gmax,
                          competitor_km=float(src.choice((10, 30))) if use_competitor else None,
                          forbidden_pairs=frozenset(forbidden), fairness=fairness, weights=weights,
                          time_limit_s=time_limit_s, seed=0, workers=1),
        dimension_labels={d: d.replace("_", " ") for d in DIMS})


@st.composite
def instances(draw, max_mentees: int = 8, max_mentors: int = 4, max_supervisors: int = 2, **options):
    src = DrawSource(draw)
    n_mentees = src.integer(0, max_mentees)
    n_mentors = src.integer(0, max_mentors)
    n_supervisors = src.integer(0, max_supervisors)
    return random_instance(src, n_mentees, n_mentors, n_supervisors, **options)


# -- independent checks -----------------------------------------------------------------------------------
def common_range(companies) -> tuple[int, int]:
    return max(c.cycle_months[0] for c in companies), min(c.cycle_months[1] for c in companies)


def assert_keeps_rules(inst: Instance, result: Result) -> None:
    """Every hard rule and group rule of the README, checked with the plain-Python reference only."""
    s = inst.settings
    mentors = {m.id: m for m in inst.mentors}
    mentees = {e.id: e for e in inst.mentees}
    sups = {x.id: x for x in inst.supervisors}
    led = Counter(g.mentor_id for g in result.groups)
    assert all(n == 1 for n in led.values()), f"a mentor leads two groups: {led}"
    placed = Counter(e for g in result.groups for e in g.mentee_ids)
    assert all(n == 1 for n in placed.values()), f"a mentee is in two groups: {placed}"
    load = Counter(g.supervisor_id for g in result.groups)
    for g in result.groups:
        m = mentors[g.mentor_id]
        members = [mentees[e] for e in g.mentee_ids]
        assert s.group_min <= len(members) <= min(m.capacity, s.group_max), (g, s.group_min, s.group_max)
        for e in members:
            assert rules.blocking_rule(m, e, inst) is None, (m.id, e.id, rules.blocking_rule(m, e, inst))
            assert rules.modes_compatible(g.mode, e.mode), g
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                assert not rules.excluded(a, b, s), f"{a.id} and {b.id} must not share {m.id}'s group"
        lo, hi = common_range(members + [m])
        assert lo <= hi, f"{g}: no common cycle length"
        assert tuple(g.cycle_months) == (lo, hi), g
        assert g.supervisor_id in sups, g
        assert rules.supervisor_reaches(sups[g.supervisor_id], m), f"{g.supervisor_id} cannot reach {m.id}"
    for sid, n in load.items():
        assert n <= sups[sid].capacity, f"{sid} leads {n} groups, capacity {sups[sid].capacity}"
    where = {e: g.mentor_id for g in result.groups for e in g.mentee_ids}
    for mentor_id, mentee_id in s.pinned_pairs:
        assert where.get(mentee_id) == mentor_id, f"pin ({mentor_id}, {mentee_id}) not kept"
    groups = {g.mentor_id: g for g in result.groups}
    for mentor_id, sid in s.pinned_supervisors.items():
        assert mentor_id in groups, f"{mentor_id} has a pinned supervisor but leads no group"
        assert groups[mentor_id].supervisor_id == sid, f"pin {mentor_id} → {sid} not kept"
    # the report agrees with the groups
    assert {p.mentee_id: p.mentor_id for p in result.placements} == where
    for p in result.placements:
        points, contributions = scoring.score(mentors[p.mentor_id], mentees[p.mentee_id], s.weights)
        assert (p.score, dict(p.contributions)) == (points, contributions), p
        assert p.sentence.strip(), p
    assert {u.mentee_id for u in result.unplaced} == set(mentees) - set(where)
    for u in result.unplaced:
        assert u.code in UNPLACED_CODES, u
        assert u.sentence.strip() and u.sentence.endswith("."), u
    assert result.stats.placed == len(where)
    assert result.stats.objective == sum(p.score for p in result.placements)


def without_timings(result: Result) -> dict:
    data = result_to_json(result)
    for name in TIMING_FIELDS:
        data["stats"].pop(name)
    return data

