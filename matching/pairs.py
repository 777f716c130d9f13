"""All allowed mentor–mentee pairs and their scores, vectorised with numpy, mentees in chunks.

The numbers are the ones of matching.rules and matching.scoring (the plain-Python reference); the tests hold the two
together. Memory stays bounded: a chunk holds at most CHUNK_CELLS mentee × mentor cells at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.model import CRITERIA, SIZE_BANDS, SIZE_REGIME, Instance
from matching.rules import EARTH_RADIUS_KM, RULE_ORDER
from matching.scoring import NEED_FACTOR, OFFER_FACTOR

CHUNK_CELLS = 1_500_000
MAX_TIMES_OF_DAY = 12  # times of day are bits of an int64 mask, counted with a 4096-entry table
MODE_CODE = {"in_person": 0, "online": 1, "hybrid": 2}
_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << 12)], dtype=np.float64)


def haversine(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between arrays of radians (broadcasting), as matching.rules.distance_km."""
    dp, dl = lat2 - lat1, lon2 - lon1
    h = np.sin(dp / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _jaccard(a, b):
    """Jaccard overlap of bit sets (0.5 when both are empty), as matching.scoring._jaccard."""
    union = _POPCOUNT[a | b]
    return np.where(union == 0, 0.5, _POPCOUNT[a & b] / np.maximum(union, 1))


def _matrix(companies, dims, value) -> np.ndarray:
    """companies × dimensions as floats."""
    out = np.zeros((len(companies), len(dims)), dtype=np.float64)
    for i, company in enumerate(companies):
        out[i] = [value(company, d) for d in dims]
    return out


@dataclass
class Side:
    """One side's companies as arrays, row i being the i-th company of the instance."""

    overall: np.ndarray
    mode: np.ndarray
    cycle_lo: np.ndarray
    cycle_hi: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    max_km: np.ndarray
    sector: np.ndarray
    band: np.ndarray
    regime: np.ndarray
    weekdays: np.ndarray
    times: np.ndarray


def _side(companies, sectors: dict, times: dict) -> Side:
    def col(values, dtype):
        return np.fromiter(values, dtype=dtype, count=len(companies))

    return Side(
        overall=col((c.overall for c in companies), np.int64),
        mode=col((MODE_CODE.get(c.mode, 2) for c in companies), np.int8),
        cycle_lo=col((c.cycle_months[0] for c in companies), np.int64),
        cycle_hi=col((c.cycle_months[1] for c in companies), np.int64),
        lat=np.radians(col((c.location.latitude for c in companies), np.float64)),
        lon=np.radians(col((c.location.longitude for c in companies), np.float64)),
        max_km=col((c.max_distance_km for c in companies), np.float64),
        sector=col((sectors[c.sector] if c.sector else -1 for c in companies), np.int64),
        band=col((SIZE_BANDS.index(c.size_band) if c.size_band in SIZE_BANDS else -1 for c in companies), np.int64),
        regime=col((SIZE_REGIME.get(c.size_band, -1) for c in companies), np.int64),
        weekdays=col((sum(1 << d for d in c.weekdays if 0 <= d < 12) for c in companies), np.int64),
        times=col((sum(1 << times[t] for t in c.times_of_day) for c in companies), np.int64),
    )


class PairTable:
    """The instance's companies as arrays, and the rules and scores of mentor–mentee pairs over them."""

    def __init__(self, instance: Instance):
        self.instance = instance
        settings = instance.settings
        mentors, mentees = instance.mentors, instance.mentees
        companies = mentors + mentees
        sectors = {s: i for i, s in enumerate(sorted({c.sector for c in companies if c.sector}))}
        times = {t: i for i, t in enumerate(sorted({t for c in companies for t in c.times_of_day}))}
        if len(times) > MAX_TIMES_OF_DAY:  # solve() refuses such instances first, as InvalidInstance
            raise ValueError(f"at most {MAX_TIMES_OF_DAY} distinct times of day are supported")
        self.mentor, self.mentee = _side(mentors, sectors, times), _side(mentees, sectors, times)
        dims = sorted({d for c in companies for d in c.levels} | {d for e in mentees for d in e.needs})
        self.dimensions = dims
        level_e = _matrix(mentees, dims, lambda e, d: e.levels.get(d, 0))
        factor = _matrix(mentees, dims, lambda e, d: NEED_FACTOR.get(e.needs.get(d, 0), 1.0))
        self.need = ((4 - level_e) / 4 + 0.25) * factor
        self.mentee_has = _matrix(mentees, dims, lambda e, d: d in e.levels or d in e.needs).astype(bool)
        level_m = _matrix(mentors, dims, lambda m, d: m.levels.get(d, 0))
        offer = _matrix(mentors, dims, lambda m, d: OFFER_FACTOR if d in m.offers else 1.0)
        self.strength = level_m / 4 * offer / OFFER_FACTOR
        self.mentor_has = _matrix(mentors, dims, lambda m, d: d in m.levels).astype(bool)
        self.need_own = (self.need * self.mentee_has).sum(axis=1)
        self.need_other = self.need * ~self.mentee_has
        # Which mentors some supervisor can lead: online mentors always (if any supervisor has room), others within
        # a supervisor's travel distance.
        sup = [s for s in instance.supervisors if s.capacity > 0]
        if sup:
            s_lat = np.radians([s.location.latitude for s in sup])
            s_lon = np.radians([s.location.longitude for s in sup])
            s_km = np.array([s.max_distance_km for s in sup], dtype=np.float64)
            self.mentor_supervisor_km = haversine(self.mentor.lat[:, None], self.mentor.lon[:, None],
                                                   s_lat[None, :], s_lon[None, :])
            reach = self.mentor_supervisor_km <= s_km[None, :]
            self.supervisable = (self.mentor.mode == 1) | reach.any(axis=1)
        else:
            self.mentor_supervisor_km = np.zeros((len(mentors), 0))
            self.supervisable = np.zeros(len(mentors), dtype=bool)
        # Exclusions named by id (own, both directions, and the coordinator's forbidden pairs) as index pairs.
        mentor_index = {m.id: i for i, m in enumerate(mentors)}
        mentee_index = {e.id: i for i, e in enumerate(mentees)}
        pairs = set()
        for i, m in enumerate(mentors):
            pairs.update((mentee_index[x], i) for x in m.excludes if x in mentee_index)
        for j, e in enumerate(mentees):
            pairs.update((j, mentor_index[x]) for x in e.excludes if x in mentor_index)
        for a, b in settings.forbidden_pairs:
            if a in mentor_index and b in mentee_index:
                pairs.add((mentee_index[b], mentor_index[a]))
            if b in mentor_index and a in mentee_index:
                pairs.add((mentee_index[a], mentor_index[b]))
        ordered = sorted(pairs)
        self.excluded_e = np.array([p[0] for p in ordered], dtype=np.int64)
        self.excluded_m = np.array([p[1] for p in ordered], dtype=np.int64)
        weights = settings.weights.criteria()
        self.weights = [weights[c] for c in CRITERIA]
        self.total_weight = sum(self.weights) or 1

    def rules(self, rows: slice) -> dict[str, np.ndarray]:
        """Each hard rule as a (mentees in `rows`) × mentors boolean matrix, True where the pair passes it."""
        e, m, settings = self.mentee, self.mentor, self.instance.settings

        def col(array):
            return array[rows][:, None]

        km = self.distances(rows)
        online = (col(e.mode) == 1) | (m.mode[None, :] == 1)
        excluded = np.zeros(km.shape, dtype=bool)
        start = rows.start or 0
        hit = (self.excluded_e >= start) & (self.excluded_e < rows.stop)
        excluded[self.excluded_e[hit] - start, self.excluded_m[hit]] = True
        if settings.competitor_km is not None:
            excluded |= ((col(e.sector) == m.sector[None, :]) & (m.sector[None, :] >= 0)
                         & (km <= settings.competitor_km))
        return {
            "maturity_gap": m.overall[None, :] - col(e.overall) >= settings.min_maturity_gap,
            "meeting_mode": (col(e.mode) == m.mode[None, :]) | (col(e.mode) == 2) | (m.mode[None, :] == 2),
            "cycle_length": (col(e.cycle_lo) <= m.cycle_hi[None, :]) & (m.cycle_lo[None, :] <= col(e.cycle_hi)),
            "distance": online | (km <= np.minimum(col(e.max_km), m.max_km[None, :])),
            "excluded": ~excluded,
            "no_supervisor": np.broadcast_to(self.supervisable[None, :], km.shape),
        }

    def distances(self, rows: slice) -> np.ndarray:
        e, m = self.mentee, self.mentor
        return haversine(e.lat[rows][:, None], e.lon[rows][:, None], m.lat[None, :], m.lon[None, :])

    def scores(self, rows: slice) -> np.ndarray:
        """Scores 0–1000 of the mentees in `rows` with every mentor, as matching.scoring.score."""
        e, m = self.mentee, self.mentor

        def col(array):
            return array[rows][:, None]

        numerator = self.need[rows] @ self.strength.T
        denominator = self.need_own[rows][:, None] + self.need_other[rows] @ self.mentor_has.T.astype(np.float64)
        complementarity = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
        size = np.where(col(e.band) == m.band[None, :], 1.0,
                        np.where(col(e.regime) == m.regime[None, :], 0.5, 0.0))
        sector = ((col(e.sector) == m.sector[None, :]) & (m.sector[None, :] >= 0)).astype(np.float64)
        online = (col(e.mode) == 1) | (m.mode[None, :] == 1)
        limit = np.maximum(1.0, np.minimum(col(e.max_km), m.max_km[None, :]))
        distance = np.where(online, 1.0, np.maximum(0.0, 1.0 - self.distances(rows) / limit))
        days = (_jaccard(col(e.weekdays), m.weekdays[None, :]) + _jaccard(col(e.times), m.times[None, :])) / 2
        w = self.weights
        raw = w[0] * complementarity + w[1] * size + w[2] * sector + w[3] * distance + w[4] * days
        return np.floor(1000 * (raw / self.total_weight) + 0.5 + 1e-7).astype(np.int32)

    def chunks(self):
        size = max(1, CHUNK_CELLS // max(1, len(self.instance.mentors)))
        for start in range(0, len(self.instance.mentees), size):
            yield slice(start, min(start + size, len(self.instance.mentees)))

    def allowed_pairs(self, minimum_score: int | None = None):
        """Every allowed pair as arrays (mentee index, mentor index, score), ordered by mentee then mentor."""
        es, ms, ss = [], [], []
        for rows in self.chunks():
            allowed = np.logical_and.reduce(list(self.rules(rows).values()))
            scores = self.scores(rows)
            if minimum_score is not None:
                allowed &= scores >= minimum_score
            e, m = np.nonzero(allowed)
            es.append(e.astype(np.int32) + rows.start)
            ms.append(m.astype(np.int32))
            ss.append(scores[e, m])
        if not es:
            return (np.zeros(0, np.int32),) * 3
        return np.concatenate(es), np.concatenate(ms), np.concatenate(ss)

    def first_blocking_rule(self, mentee: int) -> tuple[str, dict]:
        """For a mentee with no allowed mentor: the first rule (in RULE_ORDER) after which no mentor is left,
        with figures that help the coordinator see why."""
        rules = self.rules(slice(mentee, mentee + 1))
        left = np.ones(len(self.instance.mentors), dtype=bool)
        for code in RULE_ORDER:
            remaining = left & rules[code][0]
            if not remaining.any():
                return code, self._blocking_params(code, mentee, left)
            left = remaining
        return "", {}

    def _blocking_params(self, code: str, mentee: int, left: np.ndarray) -> dict:
        settings = self.instance.settings
        if code == "maturity_gap":
            best = int(self.mentor.overall.max()) if len(self.mentor.overall) else None
            return {"needed": int(self.mentee.overall[mentee]) + settings.min_maturity_gap, "best": best}
        if code == "distance" and left.any():
            km = self.distances(slice(mentee, mentee + 1))[0][left]
            return {"nearest_km": round(float(km.min())), "max_km": float(self.mentee.max_km[mentee])}
        return {"mentors": int(left.sum())}
