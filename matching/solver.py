"""Forms the mentoring groups: min-cost flow for the exact bound, CP-SAT for the group rules, a flow for supervisors.

The method is described in matching/README.md ("How it solves"). In short:

1. every allowed pair is scored (matching.pairs);
2. a min-cost flow gives the best assignment when only pair rules and capacities count: the bound;
3. if that assignment keeps every group rule it is optimal; otherwise it is repaired into a feasible one, and CP-SAT
   improves on it over a candidate set chosen by the flow's reduced costs (pairs whose reduced cost exceeds the
   repaired solution's distance to the bound cannot be in any better solution, so dropping them loses nothing);
4. supervisors are assigned to the groups by a second min-cost flow with convex load costs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from matching import scoring
from matching.model import (
    MODES,
    SIZE_BANDS,
    Group,
    Instance,
    InvalidInstance,
    Mentee,
    Placement,
    Result,
    Settings,
    Stats,
    Unplaced,
)
from matching.pairs import MAX_TIMES_OF_DAY, PairTable, haversine
from matching.rules import blocking_rule, excluded, supervisor_reaches

ALL_PAIRS_UP_TO = 30_000  # below this many allowed pairs CP-SAT sees them all
SINGLE_WORKER_UP_TO = 5_000
CANDIDATES_PER_MENTEE = 12  # otherwise each mentee keeps its pairs with the smallest reduced costs
BELLMAN_FORD_ROUNDS = 5_000
BALANCE_UNIT_KM = 25  # a supervisor's k-th group costs as much as (2k − 1) × this many km of travel


@dataclass
class Solution:
    """An assignment: mentee index → mentor index (−1: unplaced), and the group's cycle length per mentor."""

    assign: np.ndarray
    cycle: dict[int, int] = field(default_factory=dict)

    def groups(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for e in np.flatnonzero(self.assign >= 0):
            found.setdefault(int(self.assign[e]), []).append(int(e))
        return found


def validate(instance: Instance) -> None:
    """Raise InvalidInstance listing every problem: duplicate or unknown ids, bad settings, pins that break a rule."""
    problems = []
    s = instance.settings
    ids = [c.id for c in instance.mentors + instance.mentees]
    seen, dupes = set(), set()
    for i in ids:
        (dupes if i in seen else seen).add(i)
    if dupes:
        problems.append("company ids used twice: " + ", ".join(sorted(dupes)))
    sup_ids = [x.id for x in instance.supervisors]
    if len(set(sup_ids)) != len(sup_ids):
        problems.append("supervisor ids used twice")
    if s.group_min < 1 or s.group_max < s.group_min:
        problems.append(f"group sizes must satisfy 1 ≤ group_min ≤ group_max (got {s.group_min}, {s.group_max})")
    if s.time_limit_s <= 0:
        problems.append("time_limit_s must be positive")
    weights = list(s.weights.criteria().values()) + [s.weights.supervisor_distance, s.weights.supervisor_balance]
    if any(w < 0 for w in weights):
        problems.append("weights must not be negative")
    for c in instance.mentors + instance.mentees:
        if c.mode not in MODES:
            problems.append(f"{c.id}: unknown meeting mode {c.mode!r} (one of {', '.join(MODES)})")
        if c.size_band not in (*SIZE_BANDS, ""):
            problems.append(f"{c.id}: unknown size band {c.size_band!r} (one of {', '.join(SIZE_BANDS)}, or empty)")
        if c.cycle_months[0] > c.cycle_months[1]:
            problems.append(f"{c.id}: cycle_months must be (shortest, longest)")
        if c.max_distance_km < 0:
            problems.append(f"{c.id}: max_distance_km must not be negative")
    for m in instance.mentors:
        if m.capacity < 0:
            problems.append(f"{m.id}: capacity must not be negative")
    for x in instance.supervisors:
        if x.capacity < 0:
            problems.append(f"{x.id}: capacity must not be negative")
    times = {t for c in instance.mentors + instance.mentees for t in c.times_of_day}
    if len(times) > MAX_TIMES_OF_DAY:
        problems.append(f"at most {MAX_TIMES_OF_DAY} distinct times of day are supported (got {len(times)})")
    mentors = {m.id: m for m in instance.mentors}
    mentees = {e.id: e for e in instance.mentees}
    supervisors = {x.id: x for x in instance.supervisors}
    pinned_to: dict[str, str] = {}
    per_mentor: dict[str, list[str]] = {}
    for mentor_id, mentee_id in sorted(s.pinned_pairs):
        if mentor_id not in mentors or mentee_id not in mentees:
            problems.append(f"pinned pair ({mentor_id}, {mentee_id}): unknown mentor or mentee")
            continue
        if mentee_id in pinned_to:
            problems.append(f"{mentee_id} is pinned to two mentors ({pinned_to[mentee_id]}, {mentor_id})")
        pinned_to[mentee_id] = mentor_id
        per_mentor.setdefault(mentor_id, []).append(mentee_id)
        rule = blocking_rule(mentors[mentor_id], mentees[mentee_id], instance)
        if rule:
            problems.append(f"pinned pair ({mentor_id}, {mentee_id}) breaks the rule {rule}")
    for mentor_id, pinned in sorted(per_mentor.items()):
        if len(pinned) > min(mentors[mentor_id].capacity, s.group_max):
            problems.append(f"{mentor_id} has more pinned mentees than places")
        members = [mentees[i] for i in pinned]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if excluded(a, b, s):
                    problems.append(f"pinned mentees {a.id} and {b.id} must not share a group")
        lo = max(c.cycle_months[0] for c in members + [mentors[mentor_id]])
        hi = min(c.cycle_months[1] for c in members + [mentors[mentor_id]])
        if lo > hi:
            problems.append(f"the mentees pinned to {mentor_id} have no cycle length in common")
    load: dict[str, int] = {}
    for mentor_id, sup_id in sorted(s.pinned_supervisors.items()):
        if mentor_id not in mentors or sup_id not in supervisors:
            problems.append(f"pinned supervisor ({mentor_id}, {sup_id}): unknown mentor or supervisor")
            continue
        if not supervisor_reaches(supervisors[sup_id], mentors[mentor_id]):
            problems.append(f"{sup_id} cannot lead {mentor_id}'s group (too far or no capacity)")
        load[sup_id] = load.get(sup_id, 0) + 1
    for sup_id, n in sorted(load.items()):
        if n > supervisors[sup_id].capacity:
            problems.append(f"{sup_id} is pinned to more groups than their capacity")
    if problems:
        raise InvalidInstance(problems)


class Round:
    """One solve of an instance over a given set of allowed pairs."""

    def __init__(self, instance: Instance, table: PairTable, pairs, deadline: float):
        self.instance, self.table, self.deadline = instance, table, deadline
        started = time.perf_counter()
        # phases share the time limit: steering the flow may use 40 % of it, the tightened bound up to 75 %
        self.steer_until = started + 0.4 * (deadline - started)
        self.bound_until = started + 0.75 * (deadline - started)
        self.settings: Settings = instance.settings
        self.pe, self.pm, self.ps = pairs
        self.E, self.M = len(instance.mentees), len(instance.mentors)
        self.mentor_index = {m.id: i for i, m in enumerate(instance.mentors)}
        self.mentee_index = {e.id: i for i, e in enumerate(instance.mentees)}
        self.cap = np.array([max(0, min(m.capacity, self.settings.group_max)) for m in instance.mentors],
                            dtype=np.int64)
        self.big = 1000 * self.E + 1
        self.pinned = np.zeros(len(self.pe), dtype=bool)
        self.pin_of = np.full(self.E, -1, dtype=np.int64)
        for mentor_id, mentee_id in self.settings.pinned_pairs:
            self.pin_of[self.mentee_index[mentee_id]] = self.mentor_index[mentor_id]
        if len(self.pe):
            self.pinned = self.pin_of[self.pe] == self.pm
        self.pin_weight = self.big * (self.E + 1)
        self.weight = self.big + self.ps.astype(np.int64) + self.pinned * self.pin_weight
        self.pinned_supervisor = {self.mentor_index[m]: sid for m, sid in self.settings.pinned_supervisors.items()}
        self.lagrangian: tuple[int, int] | None = None  # (coverage it holds for, bound on the score sum)
        self.reach = supervisor_reach(instance)
        self.mentee_exclusions: dict[int, set[int]] = {}
        named = [(e.id, x) for e in instance.mentees for x in e.excludes] + list(self.settings.forbidden_pairs)
        for a, b in named:
            if a in self.mentee_index and b in self.mentee_index:
                i, j = self.mentee_index[a], self.mentee_index[b]
                self.mentee_exclusions.setdefault(i, set()).add(j)
                self.mentee_exclusions.setdefault(j, set()).add(i)
        self.stats: dict = {"cpsat_time_s": 0.0, "pairs_modelled": 0, "status": "OPTIMAL", "proven": True}

    # -- the relaxation -------------------------------------------------------------------------------------------
    def assignment_flow(self, mask: np.ndarray | None = None, weight: np.ndarray | None = None,
                        budget: int | None = None):
        """Min-cost flow over the pairs in `mask` (all when None): source → mentee → mentor (its places) → sink, and
        a bypass arc per mentee; with `budget`, at most that many mentees are placed (the mentors' arcs pass a
        node of that capacity). Returns the flows on the pair, bypass and mentor arcs."""
        E, M = self.E, self.M
        weight = self.weight if weight is None else weight
        source, sink = 0, E + M + 1
        gate = sink if budget is None else E + M + 2
        mentee_nodes = np.arange(1, E + 1, dtype=np.int64)
        mentor_nodes = np.arange(E + 1, E + M + 1, dtype=np.int64)
        pairs = np.arange(len(self.pe)) if mask is None else np.flatnonzero(mask)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(np.full(E, source), mentee_nodes, np.ones(E, np.int64),
                                                  np.zeros(E, np.int64))
        bypass = flow.add_arcs_with_capacity_and_unit_cost(mentee_nodes, np.full(E, sink), np.ones(E, np.int64),
                                                           np.zeros(E, np.int64))
        pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
            self.pe[pairs].astype(np.int64) + 1, self.pm[pairs].astype(np.int64) + E + 1,
            np.ones(len(pairs), np.int64), -weight[pairs])
        mentor_arcs = flow.add_arcs_with_capacity_and_unit_cost(mentor_nodes, np.full(M, gate), self.cap,
                                                                np.zeros(M, np.int64))
        if budget is not None:
            flow.add_arc_with_capacity_and_unit_cost(gate, sink, budget, 0)
        flow.set_nodes_supplies(np.array([source, sink]), np.array([E, -E]))
        status = flow.solve()
        if status != flow.OPTIMAL:  # cannot happen with the bypass arcs; a failure here is a bug, not bad input
            raise RuntimeError(f"min-cost flow failed with status {status}")
        pair_flow = np.zeros(len(self.pe), dtype=np.int64)
        if len(pairs):
            pair_flow[pairs] = np.asarray(flow.flows(pair_arcs), dtype=np.int64)
        return pair_flow, np.asarray(flow.flows(bypass), dtype=np.int64), np.asarray(flow.flows(mentor_arcs),
                                                                                        dtype=np.int64)

    def coverage_bound(self, placed: int) -> int:
        """The best score sum of any assignment that places at most `placed` mentees (pins kept), ignoring the
        group rules: the bound to compare a solution with when it places fewer mentees than the flow could."""
        weight = self.ps.astype(np.int64) + self.pinned * self.pin_weight
        pair_flow = self.assignment_flow(weight=weight, budget=placed)[0]
        chosen = pair_flow > 0
        return int(self.ps[chosen].sum())

    def solution_of(self, pair_flow: np.ndarray) -> Solution:
        assign = np.full(self.E, -1, dtype=np.int64)
        chosen = pair_flow > 0
        assign[self.pe[chosen]] = self.pm[chosen]
        return Solution(assign)

    def flow(self) -> Solution:
        """The exact optimum of coverage, then scores, with only pair rules and capacities: the bound."""
        start = time.perf_counter()
        self.pair_flow, self.bypass_flow, self.mentor_flow = self.assignment_flow()
        chosen = self.pair_flow > 0
        self.flow_cost = -int(self.weight[chosen].sum())
        self.bound = int(self.ps[chosen].sum())
        self.placed_bound = int(chosen.sum())
        self.stats["flow_time_s"] = time.perf_counter() - start
        return self.solution_of(self.pair_flow)

    def steer(self, solution: Solution, rounds: int = 8) -> Solution:
        """A good solution that keeps every group rule, to warm-start CP-SAT (and to fall back on).

        Repair the flow solution; then steer the flow itself away from what broke the group rules and solve it
        again: fix each group's cycle length where it keeps most and allow only mentees whose range holds it, ban
        the weaker of two mentees that may not share a group from that group, and close mentors whose group stays
        below the minimum size. Each round's flow solution is repaired; the best is kept."""
        best = self.repair(solution)
        current = solution
        lo = np.array([e.cycle_months[0] for e in self.instance.mentees], dtype=np.int64)
        hi = np.array([e.cycle_months[1] for e in self.instance.mentees], dtype=np.int64)
        banned = np.zeros(len(self.pe), dtype=bool)
        closed = np.zeros(self.M, dtype=bool)
        pinned_mentors = self.pin_of[self.pin_of >= 0]
        for _ in range(rounds):
            if time.perf_counter() > self.steer_until:
                break
            chosen = np.flatnonzero(current.assign[self.pe] == self.pm)
            arc_of = {(int(self.pe[k]), int(self.pm[k])): int(k) for k in chosen}
            self.weight_lookup = {key: int(self.weight[k]) for key, k in arc_of.items()}
            length = np.full(self.M, -1, dtype=np.int64)
            changed = False
            for mentor, members in current.groups().items():
                length[mentor] = self.cycle_length(mentor, members)[0]
                for i, j in self.conflicts(members):
                    weaker = min((members[i], members[j]), key=lambda e: (self.weight_of(e, mentor), -e))
                    banned[arc_of[(weaker, mentor)]] = True
                    changed = True
                if len(members) < self.settings.group_min and mentor not in pinned_mentors:
                    closed[mentor] = True
                    changed = True
            fixed = length[self.pm]
            allowed = (fixed < 0) | ((lo[self.pe] <= fixed) & (fixed <= hi[self.pe]))
            mask = allowed & ((~banned & ~closed[self.pm]) | self.pinned)
            previous = current
            current = self.solution_of(self.assignment_flow(mask)[0])
            candidate = self.repair(current)
            if self.cost(candidate) < self.cost(best):
                best = candidate
            if not changed and np.array_equal(previous.assign, current.assign):
                break
        return best

    def tightened_bound(self, incumbent: Solution, iterations: int = 40) -> int:
        """A bound on the score sum tighter than the flow's: Lagrangian relaxation of "these two mentees must not
        share this mentor's group". Each conflict met in a flow solution gets a price λ ≥ 0 taken off both pairs'
        weights; for any prices the flow optimum plus Σ λ bounds every solution that keeps the rule, so the
        smallest value seen is a valid bound. Prices follow subgradient steps (Polyak, towards the incumbent)."""
        placed = int((incumbent.assign >= 0).sum())
        target = -self.cost(incumbent)
        best = -self.flow_cost
        prices: dict[tuple[int, int], float] = {}
        pair_flow = self.pair_flow
        scale = 1.0
        for _ in range(iterations):
            if time.perf_counter() > self.bound_until:
                break
            chosen = np.flatnonzero(pair_flow > 0)
            arc_of = {(int(self.pe[k]), int(self.pm[k])): int(k) for k in chosen}
            for mentor, members in self.solution_of(pair_flow).groups().items():
                for i, j in self.conflicts(members):
                    key = (arc_of[(members[i], mentor)], arc_of[(members[j], mentor)])
                    prices.setdefault(key, 0.0)
            if not prices:
                break
            keys = np.array(list(prices), dtype=np.int64).reshape(-1, 2)
            lam = np.fromiter(prices.values(), dtype=np.float64, count=len(prices))
            used = pair_flow > 0
            gradient = used[keys[:, 0]].astype(np.int64) + used[keys[:, 1]] - 1
            value = int(self.weight[used].sum() - self.penalty(keys, lam)[used].sum() + lam.sum())
            best = min(best, value)
            norm = float((gradient ** 2).sum())
            if norm == 0 or best <= target:
                break
            lam = np.maximum(0.0, np.round(lam + scale * (value - target) / norm * gradient))  # integer prices
            prices = {(int(a), int(b)): float(v) for (a, b), v in zip(keys.tolist(), lam.tolist(), strict=True)}
            scale = max(0.05, scale * 0.9)
            saved = self.weight
            self.weight = saved - self.penalty(keys, lam).astype(np.int64)
            try:
                pair_flow = self.assignment_flow()[0]
            finally:
                self.weight = saved
        return best - self.big * placed - self.pin_weight * int(self.pinned[incumbent.assign[self.pe] == self.pm].sum())

    def penalty(self, keys: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """Each pair's total price (λ are whole numbers, so the sums are exact)."""
        out = np.zeros(len(self.pe), dtype=np.float64)
        np.add.at(out, keys[:, 0], lam)
        np.add.at(out, keys[:, 1], lam)
        return out

    def reduced_costs(self) -> np.ndarray | None:
        """Each pair's reduced cost at the flow optimum (node potentials by Bellman–Ford on the residual graph);
        None if the potentials did not settle in time (then candidates are chosen by score)."""
        E, M = self.E, self.M
        source, sink = 0, E + M + 1
        mentees = np.arange(1, E + 1)
        mentors = np.arange(E + 1, E + M + 1)
        cost = -self.weight
        used = self.pair_flow > 0
        tails = [mentees, np.where(self.bypass_flow > 0, sink, mentees),
                 np.where(used, self.pm + E + 1, self.pe + 1)]
        heads = [np.full(E, source), np.where(self.bypass_flow > 0, mentees, sink),
                 np.where(used, self.pe + 1, self.pm + E + 1)]
        costs = [np.zeros(E, np.int64), np.zeros(E, np.int64), np.where(used, -cost, cost)]
        room = self.mentor_flow < self.cap
        tails += [mentors[room], np.full(int((self.mentor_flow > 0).sum()), sink)]
        heads += [np.full(int(room.sum()), sink), mentors[self.mentor_flow > 0]]
        costs += [np.zeros(int(room.sum()), np.int64), np.zeros(int((self.mentor_flow > 0).sum()), np.int64)]
        tail, head, arc_cost = (np.concatenate(a).astype(np.int64) for a in (tails, heads, costs))
        order = np.argsort(head, kind="stable")
        tail, head, arc_cost = tail[order], head[order], arc_cost[order]
        heads_present, starts = np.unique(head, return_index=True)
        d = np.zeros(E + M + 2, dtype=np.int64)
        for _ in range(BELLMAN_FORD_ROUNDS):
            best = np.minimum.reduceat(d[tail] + arc_cost, starts)
            improved = best < d[heads_present]
            if not improved.any():
                break
            d[heads_present[improved]] = best[improved]
            if time.perf_counter() > self.deadline:
                return None
        else:
            return None
        return cost + d[self.pe + 1] - d[self.pm + E + 1]

    # -- making an assignment keep the group rules ------------------------------------------------------------------
    def conflicts(self, members: list[int]) -> list[tuple[int, int]]:
        """Positions (i, j), i < j, of mentees in `members` that must not share a group (vectorised competitor rule,
        plus own exclusions and forbidden pairs between mentees)."""
        found: set[tuple[int, int]] = set()
        if len(members) < 2:
            return []
        idx = np.array(members)
        side = self.table.mentee
        if self.settings.competitor_km is not None:
            sector = side.sector[idx]
            same = (sector[:, None] == sector[None, :]) & (sector[:, None] >= 0)
            if same.any():
                km = haversine(side.lat[idx][:, None], side.lon[idx][:, None], side.lat[idx][None, :],
                               side.lon[idx][None, :])
                i, j = np.nonzero(np.triu(same & (km <= self.settings.competitor_km), 1))
                found.update(zip(i.tolist(), j.tolist(), strict=True))
        position = {e: i for i, e in enumerate(members)}
        for i, e in enumerate(members):
            for other in self.mentee_exclusions.get(e, ()):
                j = position.get(other)
                if j is not None and j != i:
                    found.add((min(i, j), max(i, j)))
        return sorted(found)

    def excluded_mentees(self, a: int, b: int) -> bool:
        m = self.instance.mentees
        return excluded(m[a], m[b], self.settings)

    def cycle_length(self, mentor: int, members: list[int]) -> tuple[int, list[int]]:
        """The group's cycle length keeping the most weight, and the members whose range holds it."""
        m = self.instance.mentors[mentor]
        mentees = self.instance.mentees
        options = sorted({m.cycle_months[0]} | {mentees[e].cycle_months[0] for e in members
                                                 if m.cycle_months[0] <= mentees[e].cycle_months[0] <= m.cycle_months[1]})
        best, best_value, best_members = options[0], -1, []
        for length in options:
            keep = [e for e in members if mentees[e].cycle_months[0] <= length <= mentees[e].cycle_months[1]]
            value = sum(self.weight_of(e, mentor) for e in keep)
            if value > best_value:
                best, best_value, best_members = length, value, keep
        return best, best_members

    def weight_of(self, e: int, m: int) -> int:
        """The weight of an assigned pair (coverage, pin and score together)."""
        return self.weight_lookup.get((e, m), 0)

    def common_range(self, mentor: int, members: list[int]) -> tuple[int, int]:
        ranges = [self.instance.mentees[e].cycle_months for e in members] + [self.instance.mentors[mentor].cycle_months]
        return max(r[0] for r in ranges), min(r[1] for r in ranges)

    def fits(self, e: int, m: int, members: list[int], ranges: dict[int, tuple[int, int]]) -> bool:
        """May mentee e join mentor m's group as it stands (cycle ranges and mentee–mentee exclusions)?"""
        lo, hi = self.instance.mentees[e].cycle_months
        group_lo, group_hi = ranges[m]
        return lo <= group_hi and group_lo <= hi and not any(self.excluded_mentees(e, o) for o in members)

    def pairs_of_mentor(self, m: int) -> np.ndarray:
        if not hasattr(self, "_by_mentor"):
            self._by_mentor = np.argsort(self.pm, kind="stable")
            self._mentor_starts = np.searchsorted(self.pm[self._by_mentor], np.arange(self.M + 1))
        return self._by_mentor[self._mentor_starts[m]:self._mentor_starts[m + 1]]

    def repair(self, solution: Solution) -> Solution:
        """Turn the flow's assignment into one that keeps every group rule, losing as little as a greedy can:
        trim each group to a common cycle length and to mentees that do not exclude each other, fill groups below
        the minimum size with mentees from unplaced companies or larger groups, dissolve what stays too small or
        finds no supervisor, then put unplaced mentees into groups with room."""
        chosen = np.flatnonzero(solution.assign[self.pe] == self.pm)
        self.weight_lookup = {(int(self.pe[k]), int(self.pm[k])): int(self.weight[k]) for k in chosen}
        assign = solution.assign.copy()
        groups: dict[int, list[int]] = {}
        for mentor, members in sorted(solution.groups().items()):
            members.sort(key=lambda e: (-self.weight_of(e, mentor), e))
            _, kept_by_cycle = self.cycle_length(mentor, members)
            kept: list[int] = []
            for e in kept_by_cycle:
                if all(not self.excluded_mentees(e, k) for k in kept):
                    kept.append(e)
            for e in set(members) - set(kept):
                assign[e] = -1
            groups[mentor] = kept
        ranges = {m: self.common_range(m, v) for m, v in groups.items()}
        self.fill_small_groups(assign, groups, ranges)
        served = self.supervisor_feasible(groups)
        for mentor in list(groups):
            if mentor not in served:
                assign[groups.pop(mentor)] = -1
        self.reinsert(assign, groups, ranges)
        return Solution(assign, {m: self.common_range(m, v)[0] for m, v in groups.items()})

    def fill_small_groups(self, assign: np.ndarray, groups: dict, ranges: dict) -> None:
        """Bring groups below the minimum size up to it, taking the mentees that cost least elsewhere (unplaced ones
        or members of groups above the minimum); dissolve a group that cannot be filled."""
        minimum = self.settings.group_min
        for m in [m for m, v in groups.items() if len(v) < minimum and self.cap[m] < minimum]:
            assign[groups.pop(m)] = -1  # this mentor cannot take enough mentees for a group at all
            ranges.pop(m)
        small = sorted((m for m, v in groups.items() if len(v) < minimum),
                       key=lambda m: -sum(self.weight_of(e, m) for e in groups[m]))
        for m in small:
            members = groups[m]
            while len(members) < minimum:
                best = None
                for k in self.pairs_of_mentor(m).tolist():
                    e = int(self.pe[k])
                    current = int(assign[e])
                    if current == m or self.pin_of[e] >= 0:
                        continue
                    if current >= 0 and (len(groups.get(current, ())) <= minimum):
                        continue
                    if not self.fits(e, m, members, ranges):
                        continue
                    gain = int(self.weight[k]) - (self.weight_of(e, current) if current >= 0 else 0)
                    if best is None or gain > best[0]:
                        best = (gain, k, e, current)
                if best is None:
                    break
                _, k, e, current = best
                if current >= 0:
                    groups[current].remove(e)
                    ranges[current] = self.common_range(current, groups[current])
                assign[e] = m
                members.append(e)
                ranges[m] = self.common_range(m, members)
                self.weight_lookup[(e, m)] = int(self.weight[k])
            if len(members) < minimum:
                assign[groups.pop(m)] = -1
                ranges.pop(m)

    def reinsert(self, assign: np.ndarray, groups: dict, ranges: dict) -> None:
        """Put unplaced mentees into existing groups that have room and where every group rule still holds."""
        open_pairs = np.flatnonzero(assign[self.pe] < 0)
        order = open_pairs[np.lexsort((-self.ps[open_pairs], self.pe[open_pairs]))]
        for k in order.tolist():
            e, m = int(self.pe[k]), int(self.pm[k])
            if assign[e] >= 0 or m not in groups or len(groups[m]) >= self.cap[m]:
                continue
            if not self.fits(e, m, groups[m], ranges):
                continue
            assign[e] = m
            groups[m].append(e)
            ranges[m] = self.common_range(m, groups[m])
            self.weight_lookup[(e, m)] = int(self.weight[k])

    def reachable(self, mentor: int) -> list[int]:
        """Supervisors (indices) who can lead this mentor's group."""
        return np.flatnonzero(self.reach[mentor]).tolist()

    def supervisor_feasible(self, groups: dict[int, list[int]]) -> set[int]:
        """The mentors whose groups can all get a supervisor together, keeping the most valuable groups."""
        if not groups:
            return set()
        sups = self.instance.supervisors
        sup_index = {s.id: i for i, s in enumerate(sups)}
        mentors = sorted(groups)
        flow = min_cost_flow.SimpleMinCostFlow()
        sink = len(mentors) + len(sups) + 1
        arcs = []
        for i, mentor in enumerate(mentors):
            value = sum(self.big + self.weight_of(e, mentor) for e in groups[mentor])
            flow.add_arc_with_capacity_and_unit_cost(0, i + 1, 1, -value)
            options = ([sup_index[self.pinned_supervisor[mentor]]] if mentor in self.pinned_supervisor
                       else self.reachable(mentor))
            for s in options:
                arcs.append((mentor, flow.add_arc_with_capacity_and_unit_cost(i + 1, len(mentors) + 1 + s, 1, 0)))
        for s, sup in enumerate(sups):
            flow.add_arc_with_capacity_and_unit_cost(len(mentors) + 1 + s, sink, sup.capacity, 0)
        flow.add_arc_with_capacity_and_unit_cost(0, sink, len(mentors), 0)
        flow.set_node_supply(0, len(mentors))
        flow.set_node_supply(sink, -len(mentors))
        if flow.solve() != flow.OPTIMAL:
            raise RuntimeError("supervisor feasibility flow failed")
        return {mentor for mentor, arc in arcs if flow.flow(arc) > 0}

    def keeps_pins(self, solution: Solution) -> bool:
        """Pinned mentees are with their pinned mentor, and mentors with a pinned supervisor lead a group."""
        pinned = self.pin_of >= 0
        groups = solution.groups()
        return (bool(np.all(solution.assign[pinned] == self.pin_of[pinned]))
                and all(m in groups for m in self.pinned_supervisor))

    def keeps_group_rules(self, solution: Solution, repaired: Solution) -> bool:
        needs_group = set(self.pinned_supervisor)
        return (np.array_equal(solution.assign, repaired.assign)
                and needs_group <= set(repaired.groups()))

    # -- CP-SAT over candidates -----------------------------------------------------------------------------------
    def candidates(self, incumbent: Solution, flow_solution: Solution):
        """The pairs CP-SAT may use, and whether dropping the others provably loses nothing."""
        n = len(self.pe)
        keep = self.pinned.copy()
        keep |= self.pm == incumbent.assign[self.pe]
        keep |= self.pm == flow_solution.assign[self.pe]
        if n <= ALL_PAIRS_UP_TO:
            return np.ones(n, dtype=bool), True
        rc = self.reduced_costs()
        if rc is not None:
            slack = self.cost(incumbent) - self.flow_cost
            within = rc <= slack
            if int(within.sum()) <= ALL_PAIRS_UP_TO:
                return keep | within, True
            rank_key = rc
        else:
            rank_key = -self.ps.astype(np.int64)
        order = np.lexsort((rank_key, self.pe))
        first = np.searchsorted(self.pe[order], self.pe[order], side="left")
        rank = np.arange(n) - first
        keep[order[rank < CANDIDATES_PER_MENTEE]] = True
        return keep, False

    def cost(self, solution: Solution) -> int:
        mask = solution.assign[self.pe] == self.pm
        return -int(self.weight[mask].sum())

    def group_model(self, idx: np.ndarray, capacity: list[int], mentors_extra=(), hint: Solution | None = None,
                    hint_supervisors: dict[int, str] | None = None):
        """The CP-SAT model of the group problem over the pairs `idx`, with supervisors' `capacity` as given.

        Variables: x (mentee joins mentor's group) per pair, used (the mentor leads a group), y (the group's cycle
        length) where members' ranges conflict, and supervisor variables where capacity binds. The objective is
        the flow's: coverage weight plus score per placed mentee."""
        pe, pm, ps = self.pe[idx], self.pm[idx], self.ps[idx]
        s = self.settings
        model = cp_model.CpModel()
        x = [model.new_bool_var(f"x{k}") for k in range(len(idx))]
        by_mentee: dict[int, list[int]] = {}
        by_mentor: dict[int, list[int]] = {}
        for k, (e, m) in enumerate(zip(pe.tolist(), pm.tolist(), strict=True)):
            by_mentee.setdefault(e, []).append(k)
            by_mentor.setdefault(m, []).append(k)
        for e, ks in by_mentee.items():
            if self.pin_of[e] >= 0:
                for k in ks:
                    model.add(x[k] == int(pm[k] == self.pin_of[e]))
            else:
                model.add_at_most_one(x[k] for k in ks)
        mentors = sorted(set(by_mentor) | set(mentors_extra))
        used = {m: model.new_bool_var(f"u{m}") for m in mentors}
        mentees = self.instance.mentees
        cycle_vars: dict[int, dict[int, cp_model.IntVar]] = {}
        for m in mentors:
            ks = by_mentor.get(m, [])
            model.add(sum(x[k] for k in ks) <= int(self.cap[m]) * used[m])
            model.add(sum(x[k] for k in ks) >= s.group_min * used[m])
            for k in ks:
                model.add_implication(x[k], used[m])
            if m in self.pinned_supervisor:
                model.add(used[m] == 1)
            # mentees of one group must not exclude each other
            members = [int(pe[k]) for k in ks]
            for i, j in self.conflicts(members):
                model.add_bool_or([x[ks[i]].Not(), x[ks[j]].Not()])
            # a cycle length that every member's range holds
            lo, hi = self.instance.mentors[m].cycle_months
            ranges = [mentees[e].cycle_months for e in members]
            if ranges and max(r[0] for r in ranges + [(lo, hi)]) > min(r[1] for r in ranges + [(lo, hi)]):
                options = sorted({lo} | {r[0] for r in ranges if lo <= r[0] <= hi})
                y = {length: model.new_bool_var(f"y{m}_{length}") for length in options}
                cycle_vars[m] = y
                model.add(sum(y.values()) == used[m])
                for k, r in zip(ks, ranges, strict=True):
                    model.add(x[k] <= sum(v for length, v in y.items() if r[0] <= length <= r[1]))
        sup_vars, online_vars, online = self.supervisor_constraints(model, used, capacity)
        model.maximize(sum(int(self.big + score) * x[k] for k, score in enumerate(ps.tolist())))
        if hint is not None:  # a complete hint: every variable
            for k, (e, m) in enumerate(zip(pe.tolist(), pm.tolist(), strict=True)):
                model.add_hint(x[k], int(hint.assign[e] == m))
            groups = hint.groups()
            for m in mentors:
                model.add_hint(used[m], int(m in groups))
                if m in cycle_vars:
                    length = self.common_range(m, groups[m])[0] if m in groups else None
                    for option, var in cycle_vars[m].items():
                        model.add_hint(var, int(option == length))
            sup_index = {x.id: i for i, x in enumerate(self.instance.supervisors)}
            assigned = {m: sup_index[sid] for m, sid in (hint_supervisors or {}).items()}
            for (m, i), var in sup_vars.items():
                model.add_hint(var, int(assigned.get(m) == i))
            for i, var in online_vars.items():
                model.add_hint(var, sum(1 for m in online if m in groups and assigned.get(m) == i))
        return model, x, pe, pm

    def solve_model(self, model, x, pe, pm, time_limit: float, workers: int):
        """Solve a group model; the assignment it found (mentee → mentor) or None, and the status."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = self.settings.seed
        solver.parameters.interleave_search = workers > 1  # deterministic with several workers
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, status
        chosen = [k for k, var in enumerate(x) if solver.boolean_value(var)]
        return {int(pe[k]): int(pm[k]) for k in chosen}, status

    def cpsat(self, incumbent: Solution, flow_solution: Solution) -> tuple[Solution, bool]:
        """CP-SAT over the candidate pairs, warm-started from the incumbent. Returns the solution and whether the
        search was complete (then OPTIMAL is a proof); falls back to the incumbent when nothing better is found."""
        start = time.perf_counter()
        keep, complete = self.candidates(incumbent, flow_solution)
        idx = np.flatnonzero(keep)
        self.stats["pairs_modelled"] = len(idx)
        hinted = incumbent.groups()
        sizes = {m: len(v) for m, v in hinted.items()}
        hint_supervisors = assign_supervisors(self.instance, sizes, self.pinned_supervisor_ids()) if sizes else {}
        capacity = [x.capacity for x in self.instance.supervisors]
        model, x, pe, pm = self.group_model(idx, capacity, self.pinned_supervisor, incumbent, hint_supervisors)
        # one worker is faster on small models (and deterministic); large ones get the machine's cores
        workers = 1 if len(idx) <= SINGLE_WORKER_UP_TO else self.settings.worker_count
        found, status = self.solve_model(model, x, pe, pm, self.deadline - time.perf_counter(), workers)
        self.stats["cpsat_time_s"] += time.perf_counter() - start
        if found is None:
            if status == cp_model.INFEASIBLE:
                raise InvalidInstance(["the pinned pairs and supervisors cannot all be kept together"])
            if not self.keeps_pins(incumbent):
                raise InvalidInstance(["the pinned pairs and supervisors could not be kept within the time limit"])
            self.stats.update(status="TIME_LIMIT_FALLBACK", proven=False)
            return incumbent, False
        assign = np.full(self.E, -1, dtype=np.int64)
        for e, m in found.items():
            assign[e] = m
        solution = Solution(assign)
        if self.cost(solution) > self.cost(incumbent) and self.keeps_pins(incumbent):  # never worse than the hint
            solution = incumbent
        optimal = status == cp_model.OPTIMAL and complete
        self.stats.update(status="OPTIMAL" if optimal else "FEASIBLE", proven=optimal)
        return solution, optimal

    def pinned_supervisor_ids(self) -> dict[int, str]:
        return dict(self.pinned_supervisor)

    def supervisor_constraints(self, model: cp_model.CpModel, used: dict, capacity: list[int]):
        """Every group gets a supervisor within reach and no supervisor leads more groups than their capacity.

        A supervisor who can reach no more mentors than their capacity never binds: mentors who can reach such a
        supervisor need no variables at all. Online mentors can take any supervisor and are counted in aggregate.
        Returns the (mentor, supervisor) variables, the online count variables and the online mentors.
        """
        sups = self.instance.supervisors
        sup_index = {x.id: i for i, x in enumerate(sups)}
        capacity = list(capacity)
        free = [m for m in used if m not in self.pinned_supervisor]
        for m in used:
            if m in self.pinned_supervisor:
                capacity[sup_index[self.pinned_supervisor[m]]] -= 1
        reach = {m: self.reachable(m) for m in free if self.instance.mentors[m].mode != "online"}
        online = [m for m in free if self.instance.mentors[m].mode == "online"]
        potential = [len(online)] * len(sups)
        for options in reach.values():
            for i in options:
                potential[i] += 1
        tight = {i for i in range(len(sups)) if potential[i] > capacity[i]}
        sup_vars: dict[tuple[int, int], cp_model.IntVar] = {}
        online_vars: dict[int, cp_model.IntVar] = {}
        load: dict[int, list] = {i: [] for i in tight}
        for m, options in reach.items():
            if any(i not in tight for i in options):
                continue
            if not options:
                model.add(used[m] == 0)
                continue
            z = [sup_vars.setdefault((m, i), model.new_bool_var(f"z{m}_{i}")) for i in options]
            model.add(sum(z) == used[m])
            for i in options:
                load[i].append(sup_vars[(m, i)])
        if online and not any(i not in tight for i in range(len(sups))):
            for i in tight:
                online_vars[i] = model.new_int_var(0, max(0, capacity[i]), f"w{i}")
                load[i].append(online_vars[i])
            model.add(sum(online_vars.values()) == sum(used[m] for m in online))
        for i, terms in load.items():
            if terms:
                model.add(sum(terms) <= max(0, capacity[i]))
        return sup_vars, online_vars, online

    def run(self) -> Solution:
        flow_solution = self.flow()
        repaired = self.repair(flow_solution)
        if self.keeps_group_rules(flow_solution, repaired):
            self.stats["pairs_modelled"] = 0
            return repaired
        incumbent = self.steer(flow_solution)
        if len(self.pe) <= ALL_PAIRS_UP_TO or not self.keeps_pins(incumbent):
            return self.cpsat(incumbent, flow_solution)[0]
        self.stats.update(status="FEASIBLE", proven=False)
        self.lagrangian = (int((incumbent.assign >= 0).sum()), self.tightened_bound(incumbent))
        return incumbent


def supervisor_distances(instance: Instance) -> np.ndarray:
    """Mentor × supervisor distances in km."""
    def radians(items):
        return (np.radians([x.location.latitude for x in items]).reshape(-1, 1),
                np.radians([x.location.longitude for x in items]).reshape(-1, 1))

    (m_lat, m_lon), (s_lat, s_lon) = radians(instance.mentors), radians(instance.supervisors)
    return haversine(m_lat, m_lon, s_lat.T, s_lon.T)


def supervisor_reach(instance: Instance) -> np.ndarray:
    """Mentor × supervisor: may this supervisor lead this mentor's group (as matching.rules.supervisor_reaches)."""
    sups = instance.supervisors
    capacity = np.array([s.capacity for s in sups], dtype=np.int64).reshape(1, -1)
    max_km = np.array([s.max_distance_km for s in sups], dtype=np.float64).reshape(1, -1)
    online = np.array([m.mode == "online" for m in instance.mentors], dtype=bool).reshape(-1, 1)
    return (capacity > 0) & (online | (supervisor_distances(instance) <= max_km))


def assign_supervisors(instance: Instance, sizes: dict[int, int], pinned: dict[int, str]) -> dict[int, str]:
    """Supervisors for the groups (mentor index → supervisor id): every group served, short distances, and each
    supervisor's k-th group costing more than the (k − 1)-th so that the load spreads (a convex cost per arc)."""
    sups = instance.supervisors
    sup_index = {s.id: i for i, s in enumerate(sups)}
    weights = instance.settings.weights
    mentors = np.array(sorted(sizes), dtype=np.int64)
    if not len(mentors):
        return {}
    reach = supervisor_reach(instance)[mentors]
    km = supervisor_distances(instance)[mentors]
    online = np.array([instance.mentors[m].mode == "online" for m in mentors.tolist()])
    km[online] = 0.0
    for row, m in enumerate(mentors.tolist()):
        if m in pinned:
            reach[row] = False
            reach[row, sup_index[pinned[m]]] = True
    rows, cols = np.nonzero(reach)
    flow = min_cost_flow.SimpleMinCostFlow()
    first_sup = len(mentors) + 1
    sink = first_sup + len(sups)
    flow.add_arcs_with_capacity_and_unit_cost(np.zeros(len(mentors), np.int64), np.arange(1, len(mentors) + 1),
                                              np.ones(len(mentors), np.int64), np.zeros(len(mentors), np.int64))
    arc_ids = flow.add_arcs_with_capacity_and_unit_cost(
        rows.astype(np.int64) + 1, cols.astype(np.int64) + first_sup, np.ones(len(rows), np.int64),
        np.round(weights.supervisor_distance * km[rows, cols]).astype(np.int64))
    for s, sup in enumerate(sups):
        for k in range(1, sup.capacity + 1):
            flow.add_arc_with_capacity_and_unit_cost(
                first_sup + s, sink, 1, weights.supervisor_balance * BALANCE_UNIT_KM * (2 * k - 1))
    flow.set_node_supply(0, len(mentors))
    flow.set_node_supply(sink, -len(mentors))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"supervisor flow failed with status {status}")
    used = np.asarray(flow.flows(arc_ids)) > 0
    return {int(mentors[r]): sups[c].id for r, c in zip(rows[used].tolist(), cols[used].tolist(), strict=True)}


def fairest(instance: Instance, table: PairTable, pairs, base: Solution, base_round: Round, deadline: float):
    """Lexicographic fairness: the highest lowest score that keeps the coverage, then the best sum above it.

    Binary search over the thresholds between the base solution's lowest score and the best score any mentee has;
    each probe solves the round with only the pairs at or above the threshold (pins always stay)."""
    placed = int((base.assign >= 0).sum())
    if placed == 0:
        return base, base_round
    pe, pm, ps = pairs
    chosen = base.assign[pe] == pm
    low = int(ps[chosen & ~base_round.pinned].min()) if (chosen & ~base_round.pinned).any() else 1000
    thresholds = np.unique(ps[ps > low])
    best, best_round = base, base_round
    lo, hi = 0, len(thresholds) - 1
    while lo <= hi and time.perf_counter() < deadline:
        mid = (lo + hi) // 2
        keep = (ps >= thresholds[mid]) | base_round.pinned
        probe = Round(instance, table, (pe[keep], pm[keep], ps[keep]), deadline)
        try:
            solution = probe.run()
        except InvalidInstance:  # the pins cannot be kept with only these pairs: the threshold is too high
            hi = mid - 1
            continue
        if int((solution.assign >= 0).sum()) >= placed:
            best, best_round, lo = solution, probe, mid + 1
        else:
            hi = mid - 1
    return best, best_round


def solve(instance: Instance) -> Result:
    """Form the groups of a round. Raises InvalidInstance when the instance contradicts itself."""
    started = time.perf_counter()
    validate(instance)
    deadline = started + instance.settings.time_limit_s
    table = PairTable(instance)
    pairs = table.allowed_pairs()
    main = Round(instance, table, pairs, deadline)
    solution = main.run()
    final_round = main
    if instance.settings.fairness:
        solution, final_round = fairest(instance, table, pairs, solution, main, deadline)
    sizes = {m: len(v) for m, v in solution.groups().items()}
    for m in main.pinned_supervisor:
        sizes.setdefault(m, 0)
    supervisors = assign_supervisors(instance, sizes, main.pinned_supervisor)
    if set(supervisors) != set(sizes):  # the model guarantees this; a miss would be a bug
        raise RuntimeError("a group was left without a supervisor")
    return build_result(instance, table, pairs, solution, supervisors, main, final_round, started)


def build_result(instance, table, pairs, solution, supervisors, main: Round, final: Round, started) -> Result:
    mentors, mentees = instance.mentors, instance.mentees
    weights = instance.settings.weights
    labels = dict(instance.dimension_labels)
    groups, placements = [], []
    sizes = {m: len(v) for m, v in solution.groups().items()}
    for m in main.pinned_supervisor:
        sizes.setdefault(m, 0)
    members_of = solution.groups()
    objective = 0
    for m in sorted(sizes):
        members = sorted(members_of.get(m, []))
        mentor = mentors[m]
        ranges = [mentees[e].cycle_months for e in members] + [mentor.cycle_months]
        modes = {mentees[e].mode for e in members}
        mode = mentor.mode if mentor.mode != "hybrid" else (modes.pop() if len(modes) == 1 else "hybrid")
        groups.append(Group(mentor_id=mentor.id, mentee_ids=tuple(mentees[e].id for e in members),
                            supervisor_id=supervisors.get(m),
                            cycle_months=(max(r[0] for r in ranges), min(r[1] for r in ranges)), mode=mode))
        for e in members:
            points, contributions = scoring.score(mentor, mentees[e], weights)
            objective += points
            found = scoring.reasons(mentor, mentees[e], weights)
            placements.append(Placement(mentee_id=mentees[e].id, mentor_id=mentor.id, score=points,
                                        contributions=contributions, reasons=found,
                                        sentence=scoring.sentence(found, labels)))
    unplaced = [explain(instance, table, pairs, solution, supervisors, e) for e in range(len(mentees))
                if solution.assign[e] < 0]
    placed = int((solution.assign >= 0).sum())
    # The bound on the score sum at the solution's coverage: the flow's optimum when it places as many, else the best
    # any assignment placing this many reaches; tightened by the Lagrangian where it ran for this coverage.
    bound = main.bound if placed == main.placed_bound else main.coverage_bound(placed)
    if main.lagrangian is not None and main.lagrangian[0] == placed:
        bound = min(bound, main.lagrangian[1])
    stats = Stats(status=final.stats["status"], placed=placed, placed_bound=main.placed_bound, objective=objective,
                  bound=bound, gap=round((bound - objective) / bound, 6) if bound else 0.0,
                  wall_time_s=round(time.perf_counter() - started, 3),
                  flow_time_s=round(main.stats["flow_time_s"], 3),
                  cpsat_time_s=round(main.stats["cpsat_time_s"] + (final.stats["cpsat_time_s"] if final is not main
                                                                     else 0.0), 3),
                  pairs_allowed=len(pairs[0]), pairs_modelled=int(final.stats["pairs_modelled"]),
                  proven_optimal=bool(final.stats["proven"]) and not instance.settings.fairness)
    return Result(groups=tuple(groups), placements=tuple(placements), unplaced=tuple(unplaced), stats=stats)


UNPLACED_SENTENCES = {
    "no_mentors": "There is no mentor company in the round.",
    "maturity_gap": "No mentor is far enough ahead in maturity (needs {needed} points, the best mentor has {best}).",
    "meeting_mode": "No mentor with enough maturity meets in a compatible way (in person, online or hybrid).",
    "cycle_length": "No suitable mentor shares a possible cycle length.",
    "distance": "No suitable mentor is within the distance both accept (nearest {nearest_km} km).",
    "excluded": "Every suitable mentor is excluded (by the company, the coordinator or as a competitor).",
    "no_supervisor": "No supervisor can reach any suitable mentor.",
    "mentors_full": "All {mentors} suitable mentors are full.",
    "group_conflict": "The groups of suitable mentors with room cannot take it (a common cycle length or an "
                      "exclusion between mentees).",
    "group_too_small": "Suitable mentors without a group would not reach the minimum group size.",
    "supervisors_full": "No supervisor within reach has room for another group.",
    "not_chosen": "Placing it would leave another company out or lower the scores more.",
}


def explain(instance, table: PairTable, pairs, solution: Solution, supervisors, e: int) -> Unplaced:
    """Why a mentee is not in a group: the first rule that leaves it no mentor, or what the groups ran into."""
    pe, pm, _ = pairs
    mentee: Mentee = instance.mentees[e]
    options = pm[np.searchsorted(pe, e, side="left"):np.searchsorted(pe, e, side="right")]
    if not instance.mentors:
        code, params = "no_mentors", {}
    elif not len(options):
        code, params = table.first_blocking_rule(e)
    else:
        groups = solution.groups()
        cap = [max(0, min(m.capacity, instance.settings.group_max)) for m in instance.mentors]
        in_group = [int(m) for m in options if int(m) in groups]
        with_room = [m for m in in_group if len(groups[m]) < cap[m]]
        without_group = [int(m) for m in options if int(m) not in groups and cap[int(m)] > 0]
        params = {"mentors": int(len(options))}
        if with_room:
            code = "group_conflict"
        elif without_group and instance.settings.group_min > 1:
            code = "group_too_small"
        elif without_group:
            code = "supervisors_full"
        elif in_group:
            code = "mentors_full"
        else:
            code = "not_chosen"
    return Unplaced(mentee_id=mentee.id, code=code, params=params,
                    sentence=UNPLACED_SENTENCES[code].format_map(_Default(params)))


class _Default(dict):
    def __missing__(self, key):
        return "?"
