"""The booking planner: a series of supervised group sessions for each mentoring group over its cycle.

Pure: frozen dataclasses in, a Plan out; no Flask, no database. Times are local (Europe/Berlin) and naive.

Rules (hard): meetings lie inside the supervisor's availability windows and outside their absences, never on a
public holiday of the programme's Bundesland, never overlap for one supervisor (in-person meetings keep a travel
buffer), and each lies within ± `tolerance_weeks` of its target date; targets spread evenly over the cycle at the
programme's cadence (the first soon after the start, the last near the end). Preference (soft, but weighed far
above the rest): a weekday and time that every company of the group marked as suitable, else the one that suits
most. Then: as close to the target date as possible.

Groups only interact through their supervisor, so each supervisor's groups form one CP-SAT model: the whole plan
is optimal when each piece is. A meeting that no slot can take is reported with the rule that blocks it; a
meeting left out because its supervisor is overbooked is reported too (the model may leave a meeting unbooked at
a high price, so it always proposes the plan that breaks the fewest rules).
"""
from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import holidays
from ortools.sat.python import cp_model

START_TIMES = {"morning": time(9, 0), "midday": time(12, 0), "afternoon": time(14, 0), "evening": time(17, 0)}
WORKDAYS = (0, 1, 2, 3, 4)
MISMATCH_COST = 1000  # per company for which a slot's weekday or time is not suitable
UNBOOKED_COST = 1_000_000  # a meeting left out


@dataclass(frozen=True, kw_only=True)
class Window:
    """A weekly availability window of a supervisor: weekday 0 (Monday) to 6, from `start` to `end`."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, kw_only=True)
class SupervisorCalendar:
    id: str
    windows: tuple[Window, ...]
    absences: tuple[tuple[date, date], ...] = ()  # inclusive date ranges
    busy: tuple[tuple[datetime, datetime], ...] = ()  # meetings already booked elsewhere


@dataclass(frozen=True, kw_only=True)
class Company:
    """When a member company can meet: weekdays (0–6) and times of day (keys of START_TIMES); empty: any."""

    weekdays: frozenset[int] = frozenset()
    times: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class GroupToPlan:
    id: str
    supervisor_id: str
    starts_on: date
    ends_on: date
    in_person: bool = True
    members: tuple[Company, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BookingSettings:
    cadence_weeks: int = 6
    duration_minutes: int = 120
    tolerance_weeks: int = 1
    travel_buffer_minutes: int = 60
    first_after_days: int = 7  # the first meeting's target, after the cycle's start
    last_before_days: int = 7  # the closing meeting's target, before the cycle's end
    state_code: str = "NW"
    time_limit_s: float = 30.0
    workers: int = 1


@dataclass(frozen=True)
class PlannedMeeting:
    group_id: str
    number: int  # 1, 2, …
    starts_at: datetime
    ends_at: datetime
    target: date
    mismatches: int  # companies for which the weekday or time is not one they marked


@dataclass(frozen=True)
class Problem:
    """A meeting the plan could not book, and why (codes: supervisor_unavailable, holidays_or_absences,
    supervisor_overbooked, cycle_too_short)."""

    group_id: str
    number: int | None
    code: str
    target: date | None = None


@dataclass(frozen=True)
class Plan:
    meetings: tuple[PlannedMeeting, ...]
    problems: tuple[Problem, ...]
    status: str
    wall_time_s: float
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Slot:
    starts_at: datetime
    mismatches: int
    offset_days: int


def targets(group: GroupToPlan, settings: BookingSettings) -> list[date]:
    """The target dates of a group's meetings: the first soon after the start, the last near the end, evenly
    spread in between at about the cadence."""
    first = group.starts_on + timedelta(days=settings.first_after_days)
    last = group.ends_on - timedelta(days=settings.last_before_days)
    if last <= first:
        return [first] if first <= group.ends_on else []
    span = (last - first).days
    count = max(2, round(span / (7 * settings.cadence_weeks)) + 1)
    return [first + timedelta(days=round(i * span / (count - 1))) for i in range(count)]


def _mismatches(group: GroupToPlan, weekday: int, slot_time: str) -> int:
    return sum(1 for c in group.members
               if (c.weekdays and weekday not in c.weekdays) or (c.times and slot_time not in c.times))


def inside_windows(windows: tuple[Window, ...], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies within one weekly window (on one day)."""
    return any(w.weekday == start.weekday() and w.start <= start.time() and end.time() <= w.end
               and start.date() == end.date() for w in windows)


def candidate_slots(group: GroupToPlan, target: date, supervisor: SupervisorCalendar, settings: BookingSettings,
                    public_holidays) -> tuple[list[_Slot], str | None]:
    """Every slot a meeting may take, or none and the rule that removed the last ones."""
    duration = timedelta(minutes=settings.duration_minutes)
    reach = 7 * settings.tolerance_weeks
    days = [target + timedelta(days=d) for d in range(-reach, reach + 1)]
    days = [d for d in days if group.starts_on <= d <= group.ends_on and d.weekday() in WORKDAYS]
    in_windows = [(d, key, datetime.combine(d, start)) for d in days for key, start in START_TIMES.items()
                  if inside_windows(supervisor.windows, datetime.combine(d, start), datetime.combine(d, start) + duration)]
    if not in_windows:
        return [], "supervisor_unavailable"
    free = [(d, key, at) for d, key, at in in_windows
            if d not in public_holidays and not any(lo <= d <= hi for lo, hi in supervisor.absences)
            and not any(at < b_end and b_start < at + duration for b_start, b_end in supervisor.busy)]
    if not free:
        return [], "holidays_or_absences"
    return [_Slot(at, _mismatches(group, d.weekday(), key), abs((d - target).days)) for d, key, at in free], None


def plan(groups: list[GroupToPlan], supervisors: list[SupervisorCalendar], settings: BookingSettings) -> Plan:
    """Plan every group's meetings; supervisors' groups are solved one supervisor at a time."""
    started = clock.perf_counter()
    by_supervisor: dict[str, list[GroupToPlan]] = {}
    for group in groups:
        by_supervisor.setdefault(group.supervisor_id, []).append(group)
    calendars = {s.id: s for s in supervisors}
    years = {y for g in groups for y in range(g.starts_on.year, g.ends_on.year + 1)}
    public_holidays = holidays.country_holidays("DE", subdiv=settings.state_code, years=sorted(years))
    meetings: list[PlannedMeeting] = []
    problems: list[Problem] = []
    statuses = []
    variables = 0
    for index, (supervisor_id, own) in enumerate(sorted(by_supervisor.items())):
        calendar = calendars.get(supervisor_id, SupervisorCalendar(id=supervisor_id, windows=()))
        remaining = settings.time_limit_s - (clock.perf_counter() - started)
        budget = max(0.5, remaining / (len(by_supervisor) - index))
        found, missing, status, count = _plan_supervisor(own, calendar, settings, public_holidays, budget)
        meetings += found
        problems += missing
        statuses.append(status)
        variables += count
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"
    meetings.sort(key=lambda m: (m.group_id, m.number))
    return Plan(meetings=tuple(meetings), problems=tuple(problems), status=status,
                wall_time_s=round(clock.perf_counter() - started, 3),
                stats={"variables": variables, "supervisors": len(by_supervisor)})


def _plan_supervisor(groups, calendar, settings, public_holidays, time_limit):
    model = cp_model.CpModel()
    duration = timedelta(minutes=settings.duration_minutes)
    buffer = timedelta(minutes=settings.travel_buffer_minutes)
    problems: list[Problem] = []
    options: list[tuple[GroupToPlan, int, date, list[_Slot], list, cp_model.IntVar]] = []
    cost_terms = []
    for group in groups:
        dates = targets(group, settings)
        if not dates:
            problems.append(Problem(group.id, None, "cycle_too_short"))
        for number, target in enumerate(dates, start=1):
            slots, reason = candidate_slots(group, target, calendar, settings, public_holidays)
            if not slots:
                problems.append(Problem(group.id, number, reason, target))
                continue
            chosen = [model.new_bool_var(f"x{group.id}_{number}_{i}") for i in range(len(slots))]
            unbooked = model.new_bool_var(f"u{group.id}_{number}")
            # Each meeting takes exactly one slot, or is left out at a high price.
            model.add_exactly_one([*chosen, unbooked])
            cost_terms += [(MISMATCH_COST * s.mismatches + s.offset_days) * v for s, v in zip(slots, chosen,
                                                                                                   strict=True)]
            cost_terms.append(UNBOOKED_COST * unbooked)
            options.append((group, number, target, slots, chosen, unbooked))
    # One supervisor is never in two meetings at once; in-person meetings keep a travel buffer after them.
    by_day: dict[date, list[tuple[datetime, datetime, cp_model.IntVar]]] = {}
    for group, _, _, slots, chosen, _ in options:
        pad = buffer if group.in_person else timedelta(0)
        for slot, var in zip(slots, chosen, strict=True):
            by_day.setdefault(slot.starts_at.date(), []).append((slot.starts_at, slot.starts_at + duration + pad, var))
    for items in by_day.values():
        for point in sorted({start for start, _, _ in items}):
            covering = [var for start, end, var in items if start <= point < end]
            if len(covering) > 1:
                model.add_at_most_one(covering)
    model.minimize(sum(cost_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # cannot happen: leaving all out is feasible
        raise RuntimeError(f"booking model failed with status {solver.status_name(status)}")
    found = []
    for group, number, target, slots, chosen, unbooked in options:
        if solver.boolean_value(unbooked):
            problems.append(Problem(group.id, number, "supervisor_overbooked", target))
            continue
        slot = next(s for s, v in zip(slots, chosen, strict=True) if solver.boolean_value(v))
        found.append(PlannedMeeting(group.id, number, slot.starts_at, slot.starts_at + duration, target,
                                    slot.mismatches))
    count = sum(len(o[4]) for o in options)
    return found, problems, "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE", count
