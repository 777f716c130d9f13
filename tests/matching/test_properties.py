"""Properties of every solution on random small and medium instances (hypothesis)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from matching_kit import assert_keeps_rules, common_range, instances, with_settings, without_timings

from matching import rules, solve

PROPERTY = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
MEDIUM = dict(max_mentees=25, max_mentors=10, max_supervisors=4)


@PROPERTY
@given(inst=instances(**MEDIUM))
def test_every_group_keeps_every_hard_rule(inst):
    result = solve(inst)
    assert_keeps_rules(inst, result)
    assert result.stats.placed <= result.stats.placed_bound


@PROPERTY
@given(inst=instances(**MEDIUM, competitor=True, spread_km=20.0))
def test_competitors_close_together_never_share_a_group(inst):
    result = solve(inst)
    assert_keeps_rules(inst, result)


def placeable_but_unplaced(inst, result, *, new_groups: bool) -> list[tuple[str, str]]:
    """Unplaced mentees with an allowed mentor who could still take them: room in the mentor's group and the
    mentee fits it (a common cycle length, no exclusion with a member), or (`new_groups`) a mentor without a
    group who may lead one of size 1."""
    s = inst.settings
    mentees = {e.id: e for e in inst.mentees}
    groups = {g.mentor_id: [mentees[e] for e in g.mentee_ids] for g in result.groups}
    found = []
    for u in result.unplaced:
        e = mentees[u.mentee_id]
        for m in inst.mentors:
            if rules.blocking_rule(m, e, inst) is not None:
                continue
            room = min(m.capacity, s.group_max)
            if m.id in groups:
                members = groups[m.id]
                lo, hi = common_range(members + [m, e])
                if len(members) < room and lo <= hi and not any(rules.excluded(e, o, s) for o in members):
                    found.append((e.id, m.id))
            elif new_groups and s.group_min <= 1 <= room:
                found.append((e.id, m.id))
    return found


@PROPERTY
@given(inst=instances(**MEDIUM, group_min=1, ample_supervisors=True))
def test_every_mentee_a_simple_check_shows_placeable_is_placed(inst):
    result = solve(inst)
    assert_keeps_rules(inst, result)
    assert placeable_but_unplaced(inst, result, new_groups=True) == []


@PROPERTY
@given(inst=instances(**MEDIUM))
def test_no_group_with_room_could_take_an_unplaced_mentee(inst):
    # whatever the minimum size and the supervisors, adding a mentee to an existing group with room (and
    # fitting it) keeps every rule and places one more
    result = solve(inst)
    assert placeable_but_unplaced(inst, result, new_groups=False) == []


@PROPERTY
@given(inst=instances(**MEDIUM))
def test_the_same_instance_gives_the_same_groups(inst):
    first, second = solve(inst), solve(inst)
    assert without_timings(first) == without_timings(second)


@PROPERTY
@given(inst=instances(max_mentees=10, max_mentors=5, max_supervisors=3, fairness=True))
def test_fairness_keeps_the_rules_and_the_coverage_and_raises_the_lowest_score(inst):
    plain = solve(with_settings(inst, fairness=False))
    fair = solve(inst)
    assert_keeps_rules(inst, fair)
    assert plain.stats.proven_optimal
    assert fair.stats.placed == plain.stats.placed
    if fair.placements:
        assert min(p.score for p in fair.placements) >= min(p.score for p in plain.placements)
    assert fair.stats.objective <= plain.stats.objective
    assert without_timings(fair) == without_timings(solve(inst))


def first_rule_leaving_no_mentor(inst, e) -> str:
    """README: the first rule (in order) after which no mentor is left for this mentee. A mentor is still
    left after the k-th rule while the first rule it fails comes later: the answer is the latest of those."""
    order = rules.RULE_ORDER
    return order[max(order.index(rules.blocking_rule(m, e, inst)) for m in inst.mentors)]


@PROPERTY
@given(inst=instances(**MEDIUM))
def test_unplaced_explanations_match_the_result(inst):
    result = solve(inst)
    s = inst.settings
    mentees = {e.id: e for e in inst.mentees}
    groups = {g.mentor_id: g for g in result.groups}
    for u in result.unplaced:
        e = mentees[u.mentee_id]
        allowed = [m for m in inst.mentors if rules.blocking_rule(m, e, inst) is None]
        if not allowed:
            assert u.code in (*rules.RULE_ORDER, "no_mentors"), u
            assert (u.code == "no_mentors") == (not inst.mentors), u
            if inst.mentors:
                assert u.code == first_rule_leaving_no_mentor(inst, e), u
            continue
        room = {m.id: min(m.capacity, s.group_max) for m in allowed}
        with_room = [m.id for m in allowed if m.id in groups and len(groups[m.id].mentee_ids) < room[m.id]]
        without_group = [m.id for m in allowed if m.id not in groups and room[m.id] > 0]
        if u.code == "mentors_full":
            assert not with_room and not without_group, u
            assert all(m.id in groups for m in allowed if room[m.id] > 0), u
        elif u.code == "group_conflict":
            assert with_room, u
        elif u.code in ("group_too_small", "supervisors_full"):
            assert without_group and not with_room, u
            assert (s.group_min > 1) == (u.code == "group_too_small"), u
        else:
            raise AssertionError(f"{u.code} for a mentee with allowed mentors: {u}")
