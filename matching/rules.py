"""The hard rules for one mentor–mentee pair, in plain Python: the reference the vectorised solver must agree with."""
from __future__ import annotations

import math

from matching.model import Company, Instance, Location, Mentee, Mentor, Settings, Supervisor

EARTH_RADIUS_KM = 6371.0088
RULE_ORDER = ("maturity_gap", "meeting_mode", "cycle_length", "distance", "excluded", "no_supervisor")


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def modes_compatible(a: str, b: str) -> bool:
    """In person and online do not meet; hybrid meets both."""
    return a == b or "hybrid" in (a, b)


def meets_online(a: Company, b: Company) -> bool:
    """Distance does not matter when one of the two takes part online."""
    return a.mode == "online" or b.mode == "online"


def ranges_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def excluded(a: Company, b: Company, settings: Settings) -> bool:
    """Own exclusions in both directions, the coordinator's forbidden pairs, and competitors nearby."""
    if b.id in a.excludes or a.id in b.excludes:
        return True
    if (a.id, b.id) in settings.forbidden_pairs or (b.id, a.id) in settings.forbidden_pairs:
        return True
    return (settings.competitor_km is not None and bool(a.sector) and a.sector == b.sector
            and distance_km(a.location, b.location) <= settings.competitor_km)


def supervisor_reaches(supervisor: Supervisor, mentor: Mentor) -> bool:
    """A supervisor can lead the mentor's group: always online, else within the supervisor's travel distance."""
    return supervisor.capacity > 0 and (
        mentor.mode == "online" or distance_km(supervisor.location, mentor.location) <= supervisor.max_distance_km)


def blocking_rule(mentor: Mentor, mentee: Mentee, instance: Instance) -> str | None:
    """The first hard rule (in RULE_ORDER) that keeps this pair apart, or None when they may be grouped."""
    settings = instance.settings
    if mentor.overall - mentee.overall < settings.min_maturity_gap:
        return "maturity_gap"
    if not modes_compatible(mentor.mode, mentee.mode):
        return "meeting_mode"
    if not ranges_overlap(mentor.cycle_months, mentee.cycle_months):
        return "cycle_length"
    if not meets_online(mentor, mentee) and distance_km(mentor.location, mentee.location) > min(
            mentor.max_distance_km, mentee.max_distance_km):
        return "distance"
    if excluded(mentor, mentee, settings):
        return "excluded"
    if not any(supervisor_reaches(s, mentor) for s in instance.supervisors):
        return "no_supervisor"
    return None
