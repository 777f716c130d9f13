"""Measure the booking planner: 500 groups over 24 months with 20 supervisors (target: under 30 s on 2 cores).

Usage: .venv/bin/python bench/booking.py [--groups 500] [--supervisors 20] [--months 24] [--seed 1]
Prints wall time, meetings booked, meetings that could not be booked (by rule), and preference misses.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
from collections import Counter
from datetime import date, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dateutil.relativedelta import relativedelta  # noqa: E402

from scheduler.booking import (  # noqa: E402
    START_TIMES,
    BookingSettings,
    Company,
    GroupToPlan,
    SupervisorCalendar,
    Window,
    plan,
)


def generate(groups: int, supervisors: int, months: int, seed: int):
    rng = random.Random(seed)
    calendars = []
    for i in range(supervisors):
        days = sorted(rng.sample(range(5), rng.randint(3, 5)))
        windows = tuple(Window(weekday=d, start=time(8, 30), end=time(19, 30)) for d in days)
        absence_start = date(2027, 7, 1) + timedelta(days=rng.randint(0, 40))
        calendars.append(SupervisorCalendar(id=f"s{i}", windows=windows,
                                            absences=((absence_start, absence_start + timedelta(days=13)),)))
    plans = []
    for i in range(groups):
        start = date(2027, 1, 4) + timedelta(days=rng.randint(0, 60))
        members = tuple(Company(weekdays=frozenset(rng.sample(range(5), rng.randint(2, 4))),
                                times=frozenset(rng.sample(sorted(START_TIMES), rng.randint(1, 3))))
                        for _ in range(rng.randint(3, 5)))
        plans.append(GroupToPlan(id=f"g{i}", supervisor_id=f"s{i % supervisors}", starts_on=start,
                                 ends_on=start + relativedelta(months=months), in_person=rng.random() < 0.7,
                                 members=members))
    return plans, calendars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--supervisors", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    groups, calendars = generate(args.groups, args.supervisors, args.months, args.seed)
    result = plan(groups, calendars, BookingSettings(time_limit_s=args.time_limit))
    misses = sum(1 for m in result.meetings if m.mismatches)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"booking: {args.groups} groups × {args.months} months, {args.supervisors} supervisors")
    print(f"  wall time {result.wall_time_s:.2f} s (target < 30 s), status {result.status}, peak {peak:.0f} MB")
    print(f"  meetings booked {len(result.meetings)}, not booked {len(result.problems)} "
          f"{dict(Counter(p.code for p in result.problems))}")
    print(f"  meetings on a day or time not every company marked: {misses}; "
          f"model variables {result.stats['variables']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
