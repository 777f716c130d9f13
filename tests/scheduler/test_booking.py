"""The booking planner, pure: holidays, availability, no overlaps, cadence and its tolerance, explanations."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.booking import (
    START_TIMES,
    BookingSettings,
    Company,
    GroupToPlan,
    SupervisorCalendar,
    Window,
    plan,
    targets,
)

WEEKDAYS = tuple(Window(weekday=d, start=time(8, 30), end=time(18, 0)) for d in range(5))
NRW = holidays.country_holidays("DE", subdiv="NW", years=range(2026, 2030))
SETTINGS = BookingSettings(time_limit_s=10)


def group(gid="g1", sup="s1", start=date(2027, 1, 4), months=12, members=(), in_person=True) -> GroupToPlan:
    return GroupToPlan(id=gid, supervisor_id=sup, starts_on=start, ends_on=start + timedelta(days=round(30.4 * months)),
                       in_person=in_person, members=tuple(members))


def test_targets_spread_over_the_cycle_at_the_cadence():
    found = targets(group(months=12), SETTINGS)
    assert found[0] == date(2027, 1, 11) and found[-1] >= date(2027, 12, 20)
    gaps = [(b - a).days for a, b in zip(found, found[1:], strict=False)]
    assert all(35 <= gap <= 49 for gap in gaps), gaps  # about six weeks
    assert max(gaps) - min(gaps) <= 1  # evenly spread


def test_meetings_keep_every_rule_and_their_tolerance():
    groups = [group(f"g{i}", members=[Company(weekdays=frozenset({1, 2}), times=frozenset({"morning"}))])
              for i in range(6)]
    result = plan(groups, [SupervisorCalendar(id="s1", windows=WEEKDAYS)], SETTINGS)
    assert not result.problems and result.status == "OPTIMAL"
    by_group: dict[str, list] = {}
    for meeting in result.meetings:
        by_group.setdefault(meeting.group_id, []).append(meeting)
        assert meeting.starts_at.date() not in NRW
        assert meeting.starts_at.weekday() < 5
        assert abs((meeting.starts_at.date() - meeting.target).days) <= 7
    for meetings in by_group.values():
        assert [m.number for m in meetings] == list(range(1, len(meetings) + 1))
    ordered = sorted(result.meetings, key=lambda m: m.starts_at)
    buffer = timedelta(minutes=SETTINGS.travel_buffer_minutes)
    for a, b in zip(ordered, ordered[1:], strict=False):
        assert a.ends_at + buffer <= b.starts_at, (a, b)


def test_a_time_every_company_marked_is_chosen_where_one_exists():
    members = [Company(weekdays=frozenset({3}), times=frozenset({"afternoon"})),
               Company(weekdays=frozenset({3, 4}), times=frozenset({"afternoon", "morning"}))]
    result = plan([group(members=members)], [SupervisorCalendar(id="s1", windows=WEEKDAYS)], SETTINGS)
    assert result.meetings and all(m.starts_at.weekday() == 3 and m.starts_at.time() == START_TIMES["afternoon"]
                                   and m.mismatches == 0 for m in result.meetings)


def test_without_a_common_time_the_one_that_suits_most_is_chosen():
    members = [Company(weekdays=frozenset({0}), times=frozenset({"morning"})),
               Company(weekdays=frozenset({0}), times=frozenset({"morning"})),
               Company(weekdays=frozenset({4}), times=frozenset({"evening"}))]
    result = plan([group(members=members)], [SupervisorCalendar(id="s1", windows=WEEKDAYS)], SETTINGS)
    for meeting in result.meetings:
        assert meeting.mismatches == 1
        # Mondays that are public holidays move to another day; all others stay on Monday morning.
        if meeting.starts_at.weekday() == 0:
            assert meeting.starts_at.time() == START_TIMES["morning"]


def test_public_holidays_are_never_used():
    # Only Mondays are possible, and Easter Monday and Whit Monday are public holidays in NRW.
    calendar = SupervisorCalendar(id="s1", windows=(Window(weekday=0, start=time(8), end=time(18)),))
    result = plan([group(start=date(2027, 3, 1), months=4)], [calendar], SETTINGS)
    assert all(m.starts_at.date() not in NRW for m in result.meetings)
    assert date(2027, 3, 29) in NRW  # Easter Monday 2027


def test_the_supervisors_absence_blocks_and_is_explained():
    start = date(2027, 1, 4)
    calendar = SupervisorCalendar(id="s1", windows=WEEKDAYS,
                                  absences=((start, start + timedelta(days=40)),))
    result = plan([group(start=start, months=6)], [calendar], SETTINGS)
    assert [(p.number, p.code) for p in result.problems] == [(1, "holidays_or_absences")]
    assert all(m.starts_at.date() > start + timedelta(days=40) for m in result.meetings)


def test_a_supervisor_without_time_is_explained():
    calendar = SupervisorCalendar(id="s1", windows=(Window(weekday=5, start=time(9), end=time(12)),))
    result = plan([group(months=3)], [calendar], SETTINGS)
    assert not result.meetings and {p.code for p in result.problems} == {"supervisor_unavailable"}


def test_an_overbooked_supervisor_gets_the_plan_that_leaves_out_fewest():
    # One window of two hours a week, no buffer needed online: only one group per week can meet.
    calendar = SupervisorCalendar(id="s1", windows=(Window(weekday=2, start=time(9), end=time(11)),))
    groups = [group(f"g{i}", start=date(2027, 1, 4), months=3, in_person=False) for i in range(4)]
    result = plan(groups, [calendar], SETTINGS)
    weeks = {m.starts_at.isocalendar()[:2] for m in result.meetings}
    assert len(weeks) == len(result.meetings)  # never two in one week
    assert {p.code for p in result.problems} == {"supervisor_overbooked"}
    # The first meetings' target is Monday 11 January; ± one week within the cycle leaves two Wednesdays
    # (6 and 13 January), so two of the four groups can have their first meeting, and both of those are used.
    first = [m for m in result.meetings if m.number == 1]
    assert sorted(m.starts_at.date() for m in first) == [date(2027, 1, 6), date(2027, 1, 13)]


def test_existing_meetings_of_the_supervisor_are_kept_free():
    busy = (datetime(2027, 1, 12, 9), datetime(2027, 1, 12, 18))
    members = [Company(weekdays=frozenset({1}), times=frozenset({"morning"}))]
    calendar = SupervisorCalendar(id="s1", windows=WEEKDAYS, busy=(busy,))
    result = plan([group(members=members, months=3)], [calendar], SETTINGS)
    assert all(m.starts_at.date() != date(2027, 1, 12) for m in result.meetings)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 90), st.integers(9, 24), st.booleans(),
                          st.frozensets(st.integers(0, 4), max_size=3),
                          st.frozensets(st.sampled_from(sorted(START_TIMES)), max_size=2)),
                min_size=1, max_size=6),
       st.frozensets(st.integers(0, 4), min_size=1))
def test_property_every_plan_keeps_every_hard_rule(specs, days):
    windows = tuple(Window(weekday=d, start=time(9), end=time(19)) for d in sorted(days))
    groups = [GroupToPlan(id=f"g{i}", supervisor_id="s1", starts_on=date(2027, 1, 1) + timedelta(days=offset),
                          ends_on=date(2027, 1, 1) + timedelta(days=offset + 30 * months), in_person=in_person,
                          members=(Company(weekdays=wd, times=tm),))
              for i, (offset, months, in_person, wd, tm) in enumerate(specs)]
    result = plan(groups, [SupervisorCalendar(id="s1", windows=windows)], BookingSettings(time_limit_s=5))
    by_id = {g.id: g for g in groups}
    for meeting in result.meetings:
        g = by_id[meeting.group_id]
        assert g.starts_on <= meeting.starts_at.date() <= g.ends_on
        assert meeting.starts_at.weekday() in days and meeting.starts_at.date() not in NRW
        assert time(9) <= meeting.starts_at.time() and meeting.ends_at.time() <= time(19)
    ordered = sorted(result.meetings, key=lambda m: m.starts_at)
    for a, b in zip(ordered, ordered[1:], strict=False):
        pad = timedelta(minutes=60) if by_id[a.group_id].in_person else timedelta(0)
        assert a.ends_at + pad <= b.starts_at
    # Every target either has its meeting or is explained.
    expected = sum(len(targets(g, BookingSettings())) for g in groups)
    assert len(result.meetings) + sum(1 for p in result.problems if p.number) == expected
