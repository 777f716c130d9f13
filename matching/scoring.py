"""The score of a mentee with a mentor (0–1000) and the reasons behind it, in plain Python.

The solver computes the same numbers vectorised (matching.pairs); tests hold the two together.
"""
from __future__ import annotations

import math

from matching.model import CRITERIA, SIZE_REGIME, Mentee, Mentor, Reason, Weights
from matching.rules import distance_km, meets_online

NEED_FACTOR = {1: 4.0, 2: 3.0, 3: 2.0}
OFFER_FACTOR = 1.25
ORDINALS = {1: "first", 2: "second", 3: "third"}


def need_weight(mentee: Mentee, dimension: str) -> float:
    """How much the mentee needs help on a dimension: its gap there, multiplied up when it named it as a need."""
    gap = (4 - mentee.levels.get(dimension, 0)) / 4 + 0.25
    return gap * NEED_FACTOR.get(mentee.needs.get(dimension, 0), 1.0)


def strength(mentor: Mentor, dimension: str) -> float:
    """How much the mentor has to give on a dimension, 0–1; offering it explicitly counts extra."""
    factor = OFFER_FACTOR if dimension in mentor.offers else 1.0
    return mentor.levels.get(dimension, 0) / 4 * factor / OFFER_FACTOR


def dimensions(mentor: Mentor, mentee: Mentee) -> list[str]:
    return sorted(set(mentor.levels) | set(mentee.levels) | set(mentee.needs))


def _jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 0.5
    return len(a & b) / len(a | b)


def criteria_values(mentor: Mentor, mentee: Mentee) -> dict[str, float]:
    """Each criterion's value in [0, 1]."""
    dims = dimensions(mentor, mentee)
    needs = {d: need_weight(mentee, d) for d in dims}
    total_need = sum(needs.values())
    complementarity = sum(needs[d] * strength(mentor, d) for d in dims) / total_need if total_need else 0.0
    if mentor.size_band == mentee.size_band:
        size = 1.0
    elif SIZE_REGIME.get(mentor.size_band) == SIZE_REGIME.get(mentee.size_band):
        size = 0.5
    else:
        size = 0.0
    sector = 1.0 if mentor.sector and mentor.sector == mentee.sector else 0.0
    if meets_online(mentor, mentee):
        distance = 1.0
    else:
        limit = max(1.0, min(mentor.max_distance_km, mentee.max_distance_km))
        distance = max(0.0, 1.0 - distance_km(mentor.location, mentee.location) / limit)
    weekdays = (_jaccard(mentor.weekdays, mentee.weekdays) + _jaccard(mentor.times_of_day, mentee.times_of_day)) / 2
    return {"complementarity": complementarity, "size": size, "sector": sector, "distance": distance,
            "weekdays": weekdays}


def points(fraction: float) -> int:
    """A share of 1 as points of 1000, rounded half up; the epsilon absorbs float noise so that the scalar and the
    vectorised computation (which add in another order) round alike."""
    return int(math.floor(1000 * fraction + 0.5 + 1e-7))


def score(mentor: Mentor, mentee: Mentee, weights: Weights) -> tuple[int, dict[str, int]]:
    """The pair's score 0–1000 and each criterion's points."""
    values = criteria_values(mentor, mentee)
    w = weights.criteria()
    total_weight = sum(w.values()) or 1
    raw = sum(w[c] * values[c] for c in CRITERIA)
    return points(raw / total_weight), {c: points(w[c] * values[c] / total_weight) for c in CRITERIA}


def reasons(mentor: Mentor, mentee: Mentee, weights: Weights) -> tuple[Reason, ...]:
    """The top reasons for this pair, strongest first: complementary dimensions, then distance, size, sector, days."""
    found: list[tuple[float, Reason]] = []
    w = weights.criteria()
    total_weight = sum(w.values()) or 1
    dims = dimensions(mentor, mentee)
    total_need = sum(need_weight(mentee, d) for d in dims) or 1.0
    for d in dims:
        level = mentor.levels.get(d, 0)
        gain = need_weight(mentee, d) * strength(mentor, d) / total_need * w["complementarity"] / total_weight
        if level >= 3 and level > mentee.levels.get(d, 0):
            params = {"dimension": d, "mentor_level": level, "mentee_level": mentee.levels.get(d, 0)}
            if d in mentee.needs:
                found.append((gain, Reason("strength_for_need", {**params, "priority": mentee.needs[d]})))
            else:
                found.append((gain, Reason("strength_for_gap", params)))
    values = criteria_values(mentor, mentee)
    if meets_online(mentor, mentee):
        found.append((0.0, Reason("online", {})))
    else:
        km = distance_km(mentor.location, mentee.location)
        found.append((values["distance"] * w["distance"] / total_weight, Reason("distance", {"km": round(km)})))
    if values["size"] == 1.0:
        found.append((w["size"] / total_weight, Reason("same_size_band", {"band": mentee.size_band})))
    elif values["size"] == 0.5:
        found.append((0.5 * w["size"] / total_weight, Reason("same_size_regime", {"band": mentee.size_band})))
    if values["sector"]:
        found.append((w["sector"] / total_weight, Reason("same_sector", {"sector": mentee.sector})))
    common = sorted(mentor.weekdays & mentee.weekdays)
    if common:
        found.append((values["weekdays"] * w["weekdays"] / total_weight, Reason("common_weekdays", {"days": common})))
    found.sort(key=lambda item: -item[0])
    strengths = [r for _, r in found if r.code.startswith("strength")][:2]
    others = [r for _, r in found if not r.code.startswith("strength")][:2]
    return tuple(strengths + others)


DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def sentence(found: tuple[Reason, ...], labels: dict[str, str]) -> str:
    """The reasons as one English sentence; the app words the same codes in German."""
    parts = []
    for reason in found:
        p = reason.params
        label = labels.get(p.get("dimension", ""), str(p.get("dimension", "")).replace("_", " "))
        if reason.code == "strength_for_need":
            parts.append(f"strong on {label}, which you named as your {ORDINALS.get(p['priority'], 'a')} need")
        elif reason.code == "strength_for_gap":
            parts.append(f"strong on {label}, where you have most to gain")
        elif reason.code == "distance":
            parts.append(f"{p['km']} km away")
        elif reason.code == "online":
            parts.append("meets online")
        elif reason.code == "same_size_band":
            parts.append("same size band")
        elif reason.code == "same_size_regime":
            parts.append("similar size with the same statutory options")
        elif reason.code == "same_sector":
            parts.append("same sector")
        elif reason.code == "common_weekdays":
            parts.append("free on " + ", ".join(DAY_NAMES[d] for d in p["days"] if 0 <= d < 7))
    text = "; ".join(parts) or "allowed by every rule"
    return text[0].upper() + text[1:] + "."
