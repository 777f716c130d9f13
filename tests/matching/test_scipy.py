"""The 1:1 case (capacity 1, group_max 1, no competitor rule, supervisors never binding) is a plain
assignment problem: its optimum (coverage first, then the score sum) equals scipy's linear_sum_assignment."""
from __future__ import annotations

import importlib.util
from dataclasses import replace

import numpy as np
import pytest
from matching_kit import ROOT, SeededSource, assert_keeps_rules, random_instance, supervisor
from scipy.optimize import linear_sum_assignment

from matching import rules, scoring, solve


def one_to_one(seed: int, n_mentees: int, n_mentors: int, spread_km: float, online_share: float):
    src = SeededSource(f"scipy-{seed}")
    inst = random_instance(src, n_mentees, n_mentors, 1, group_min=1, group_max=1, competitor=False,
                           spread_km=spread_km, exclusions=True)
    rng = SeededSource(f"modes-{seed}")

    def mode(company):
        return "online" if rng.chance(online_share) else rng.choice(("hybrid", "in_person"))

    return replace(
        inst, mentors=tuple(replace(m, capacity=1, mode=mode(m)) for m in inst.mentors),
        mentees=tuple(replace(e, mode=mode(e)) for e in inst.mentees),
        supervisors=(supervisor("s-all", capacity=n_mentors, max_distance_km=20000.0),))


def scipy_optimum(inst) -> tuple[int, int]:
    """(placed, score sum) of the best assignment, from the plain-Python rules and scores."""
    big = 1000 * len(inst.mentees) + 1
    weight = np.zeros((len(inst.mentees), len(inst.mentors)), dtype=np.int64)
    for i, e in enumerate(inst.mentees):
        for j, m in enumerate(inst.mentors):
            if rules.blocking_rule(m, e, inst) is None:
                weight[i, j] = big + scoring.score(m, e, inst.settings.weights)[0]
    rows, cols = linear_sum_assignment(weight, maximize=True)
    chosen = weight[rows, cols] > 0
    return int(chosen.sum()), int((weight[rows, cols][chosen] - big).sum())


CASES = [(seed, 20, 20, 100.0, 0.1) for seed in range(6)] + [
    (10, 80, 60, 150.0, 0.05), (11, 60, 80, 150.0, 0.05), (12, 80, 60, 60.0, 0.3),
    (20, 200, 200, 400.0, 0.03), (21, 200, 200, 150.0, 0.2), (22, 200, 150, 250.0, 0.05)]


@pytest.mark.parametrize(("seed", "n_mentees", "n_mentors", "spread_km", "online_share"), CASES)
def test_one_to_one_equals_scipy(seed, n_mentees, n_mentors, spread_km, online_share):
    inst = one_to_one(seed, n_mentees, n_mentors, spread_km, online_share)
    placed, total = scipy_optimum(inst)
    result = solve(inst)
    assert (result.stats.placed, result.stats.objective) == (placed, total)
    assert result.stats.proven_optimal
    assert_keeps_rules(inst, result)


def test_the_cases_leave_mentees_out_and_choose_among_pairs():
    """Coverage must bind in some cases (not everybody placed), quality in all (several options each)."""
    short = 0
    for case in CASES:
        inst = one_to_one(*case)
        placed, _ = scipy_optimum(inst)
        allowed = sum(rules.blocking_rule(m, e, inst) is None for e in inst.mentees for m in inst.mentors)
        short += placed < min(len(inst.mentees), len(inst.mentors))
        assert allowed >= 2 * placed, case
    assert short >= 4


@pytest.fixture(scope="module")
def bench():
    """bench/matching.py as a module (its generator uses the app's gazetteer of German places)."""
    spec = importlib.util.spec_from_file_location("bench_matching", ROOT / "bench" / "matching.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_reference_row_at_200_equals_scipy(bench, monkeypatch):
    monkeypatch.setitem(bench.ROWS, "reference", (200, 200, 1, 0, 0, None, 1))
    inst = bench.generate("reference", seed=3, time_limit=10, workers=1)
    assert (len(inst.mentees), len(inst.mentors)) == (200, 200)
    result = solve(inst)
    assert (result.stats.placed, result.stats.objective) == scipy_optimum(inst) == bench.scipy_reference(inst)
