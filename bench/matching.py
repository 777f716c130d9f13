"""Measure the matching engine on structured instances and print a table per size.

Usage: .venv/bin/python bench/matching.py [--rows programme,regional,national,reference] [--seed 1]
                                          [--time-limit S] [--workers N] [--save DIR]

Instances are generated from a seed: companies in real German municipalities (the app's gazetteer, weighted by
population), maturity profiles with dimension-specific strengths, needs among each mentee's weakest dimensions,
offers among each mentor's strongest, size bands, sectors, meeting modes, cycle-length ranges, weekdays, a few own
exclusions and a competitor rule. Each row runs in its own process so that its peak memory (ru_maxrss) is its own.
The 1:1 reference row also solves the plain assignment with scipy.optimize.linear_sum_assignment, as an independent
exact check of the flow.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching.model import (  # noqa: E402
    Instance,
    Location,
    Mentee,
    Mentor,
    Settings,
    Supervisor,
)

DIMENSIONS = ("strategy", "need", "information", "contact", "working_time", "workplace", "legal", "leadership",
              "practical_support", "participation_evaluation")
SECTORS = "CCCFGGHJKMNQQQS"
BANDS = ("le15", "16_25", "26_50", "26_50", "51_250", "51_250", "gt250")
CYCLES = ((9, 12), (9, 18), (12, 18), (12, 24), (18, 24), (9, 24), (9, 24))
MODES = ("hybrid",) * 6 + ("in_person",) * 3 + ("online",)
TIMES = ("morning", "midday", "afternoon", "evening")

# name: (mentees, mentors, mentor capacity, supervisors, supervisor capacity, states or None for all, group_min)
ROWS = {
    "programme": (30, 12, 3, 3, 5, ("NW",), 2),
    "regional": (1000, 400, 3, 60, 8, ("NW",), 2),
    "national": (7000, 3000, 3, 300, 12, None, 2),
    "reference": (500, 500, 1, 0, 0, None, 1),
}
TARGETS = {
    "programme": "< 1 s, proven optimal",
    "regional": "< 10 s, gap ≤ 0.5 %, < 1 GB",
    "national": "< 60 s, gap ≤ 1 %, < 4 GB",
    "reference": "equals scipy's optimum",
}


def places(states):
    from app.services import gazetteer

    found = [p for p in gazetteer.places() if p.population >= 5000 and (states is None or p.state_code in states)]
    return found, [p.population for p in found]


def _profile(rng: random.Random, mean: float):
    levels = {d: max(0, min(4, round(rng.gauss(mean / 25, 0.9)))) for d in DIMENSIONS}
    overall = round(sum(levels.values()) / (4 * len(DIMENSIONS)) * 100)
    return levels, overall


def _company(rng, i, prefix, mean, where, weights, cycle=None):
    place = rng.choices(where, weights)[0]
    levels, overall = _profile(rng, mean)
    return dict(
        id=f"{prefix}{i}", overall=overall, levels=levels,
        location=Location(latitude=place.latitude + rng.uniform(-0.02, 0.02),
                          longitude=place.longitude + rng.uniform(-0.03, 0.03), name=place.name),
        max_distance_km=rng.choice((30, 40, 50, 60, 80)), cycle_months=cycle or rng.choice(CYCLES),
        mode=rng.choice(MODES), size_band=rng.choice(BANDS), sector=rng.choice(SECTORS),
        weekdays=frozenset(rng.sample(range(5), rng.randint(2, 4))),
        times_of_day=frozenset(rng.sample(TIMES, rng.randint(1, 2))))


def generate(row: str, seed: int = 1, time_limit: float | None = None, workers: int = 0) -> Instance:
    n_mentees, n_mentors, capacity, n_sups, sup_capacity, states, group_min = ROWS[row]
    rng = random.Random(f"{row}-{seed}")
    where, weights = places(states)
    one_to_one = row == "reference"
    mentors, mentees = [], []
    for i in range(n_mentors):
        data = _company(rng, i, "m", rng.uniform(55, 90), where, weights, (9, 24) if one_to_one else None)
        strongest = sorted(DIMENSIONS, key=lambda d: -data["levels"][d])[:rng.randint(2, 3)]
        mentors.append(Mentor(**data, capacity=capacity, offers={d: k + 1 for k, d in enumerate(strongest)}))
    for i in range(n_mentees):
        data = _company(rng, i, "e", rng.uniform(15, 60), where, weights, (9, 24) if one_to_one else None)
        weakest = sorted(DIMENSIONS, key=lambda d: (data["levels"][d], rng.random()))[:3]
        needs = {d: k + 1 for k, d in enumerate(rng.sample(weakest, rng.randint(1, 3)))}
        if rng.random() < 0.02 and mentors:
            data["excludes"] = frozenset({rng.choice(mentors).id})
        mentees.append(Mentee(**data, needs=needs))
    sups = []
    for i in range(n_sups):
        place = rng.choices(where, weights)[0]
        sups.append(Supervisor(id=f"s{i}", location=Location(latitude=place.latitude, longitude=place.longitude,
                                                              name=place.name),
                               capacity=sup_capacity, max_distance_km=rng.choice((80, 100, 150))))
    if one_to_one:  # the plain assignment: supervisors never bind, no group or competitor rules
        sups = [Supervisor(id="s-online", location=Location(latitude=51.0, longitude=10.0), capacity=n_mentors,
                           max_distance_km=2000)]
    settings = Settings(min_maturity_gap=10, group_min=group_min, group_max=4 if not one_to_one else 1,
                        competitor_km=None if one_to_one else 15.0, time_limit_s=time_limit or 60.0, seed=seed,
                        workers=workers)
    return Instance(mentors=tuple(mentors), mentees=tuple(mentees), supervisors=tuple(sups), settings=settings,
                    dimension_labels={d: d.replace("_", " ") for d in DIMENSIONS})


def scipy_reference(instance: Instance) -> tuple[int, int]:
    """The 1:1 optimum (placed, score sum) by scipy's exact dense assignment: coverage first, then scores."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from matching.pairs import PairTable

    table = PairTable(instance)
    pe, pm, ps = table.allowed_pairs()
    big = 1000 * len(instance.mentees) + 1
    weight = np.zeros((len(instance.mentees), len(instance.mentors)), dtype=np.int64)
    weight[pe, pm] = big + ps
    rows, cols = linear_sum_assignment(weight, maximize=True)
    chosen = weight[rows, cols] > 0
    return int(chosen.sum()), int((weight[rows, cols][chosen] - big).sum())


def run_row(row: str, seed: int, time_limit: float | None, workers: int, save: str | None, queue) -> None:
    from matching.solver import solve

    started = time.perf_counter()
    instance = generate(row, seed, time_limit, workers)
    generated = time.perf_counter() - started
    if save:
        from matching.jsonio import instance_to_json
        Path(save).mkdir(parents=True, exist_ok=True)
        Path(save, f"{row}-{seed}.json").write_text(json.dumps(instance_to_json(instance)))
    result = solve(instance)
    stats = result.stats
    figures = {
        "row": row, "mentees": len(instance.mentees), "mentors": len(instance.mentors),
        "supervisors": len(instance.supervisors), "generate_s": round(generated, 2), "wall_s": stats.wall_time_s,
        "flow_s": stats.flow_time_s, "cpsat_s": stats.cpsat_time_s, "status": stats.status,
        "proven": stats.proven_optimal, "placed": stats.placed, "placed_bound": stats.placed_bound,
        "objective": stats.objective, "bound": stats.bound, "gap": stats.gap, "pairs": stats.pairs_allowed,
        "modelled": stats.pairs_modelled, "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if row == "reference":
        reference_start = time.perf_counter()
        placed, total = scipy_reference(instance)
        figures.update(scipy_placed=placed, scipy_objective=total,
                       scipy_s=round(time.perf_counter() - reference_start, 2),
                       equal=placed == stats.placed and total == stats.objective)
    queue.put(figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="programme,regional,national,reference")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--save", help="also write each instance as JSON into this folder")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    print(f"{'row':10} {'size (mentees × mentors, sups)':31} {'wall s':>7} {'flow s':>7} {'cp-sat s':>8} "
          f"{'peak MB':>8} {'placed':>11} {'objective':>10} {'bound':>10} {'gap %':>7}  status / target")
    failed = False
    for row in args.rows.split(","):
        queue = context.Queue()
        process = context.Process(target=run_row, args=(row, args.seed, args.time_limit, args.workers, args.save,
                                                        queue))
        process.start()
        process.join()
        if process.exitcode != 0:
            print(f"{row:10} failed (exit code {process.exitcode})")
            failed = True
            continue
        f = queue.get()
        size = f"{f['mentees']} × {f['mentors']}, {f['supervisors']}"
        status = f"{f['status']}{' (proven)' if f['proven'] else ''}"
        print(f"{row:10} {size:31} {f['wall_s']:7.2f} {f['flow_s']:7.2f} {f['cpsat_s']:8.2f} {f['peak_mb']:8} "
              f"{f['placed']:>5}/{f['placed_bound']:<5} {f['objective']:10} {f['bound']:10} {100 * f['gap']:7.3f}  "
              f"{status}; target {TARGETS[row]}")
        if row == "reference":
            print(f"{'':10} scipy linear_sum_assignment: placed {f['scipy_placed']}, objective "
                  f"{f['scipy_objective']} in {f['scipy_s']} s: {'equal' if f['equal'] else 'DIFFERENT'}")
            failed |= not f["equal"]
        print(f"{'':10} allowed pairs {f['pairs']}, modelled in CP-SAT {f['modelled']}, generated in "
              f"{f['generate_s']} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
