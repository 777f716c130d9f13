"""Each hard rule, group rule and pin of the README on a tiny instance; how unplaced mentees are explained."""
from __future__ import annotations

import pytest
from matching_kit import assert_keeps_rules, instance, mentee, mentor, north, supervisor, with_settings

from matching import InvalidInstance, rules, scoring, solve
from matching.model import Weights


def placed(result) -> dict[str, str]:
    return {e: g.mentor_id for g in result.groups for e in g.mentee_ids}


def codes(result) -> dict[str, str]:
    return {u.mentee_id: u.code for u in result.unplaced}


# -- pair rules: one instance per rule, and a neighbour that is allowed --------------------------------------
BLOCKED = {
    "maturity_gap": dict(m={"overall": 39}, e={"overall": 30}),
    "meeting_mode/in_person-online": dict(m={"mode": "in_person"}, e={"mode": "online"}),
    "meeting_mode/online-in_person": dict(m={"mode": "online"}, e={"mode": "in_person"}),
    "cycle_length": dict(m={"cycle_months": (9, 12)}, e={"cycle_months": (13, 24)}),
    "distance/mentee's limit": dict(m={"mode": "in_person", "max_distance_km": 100},
                                    e={"mode": "in_person", "location": north(30), "max_distance_km": 20}),
    "distance/mentor's limit": dict(m={"mode": "hybrid", "max_distance_km": 20},
                                    e={"mode": "hybrid", "location": north(30), "max_distance_km": 100}),
    "excluded/by the mentor": dict(m={"excludes": {"e"}}),
    "excluded/by the mentee": dict(e={"excludes": {"m"}}),
    "excluded/forbidden pair": dict(s={"forbidden_pairs": {("m", "e")}}),
    "excluded/forbidden pair reversed": dict(s={"forbidden_pairs": {("e", "m")}}),
    "excluded/competitor": dict(m={"sector": "C"}, e={"sector": "C", "location": north(5)},
                                s={"competitor_km": 10}),
    "no_supervisor/too far": dict(m={"mode": "in_person"}, e={"mode": "in_person"},
                                  sups=[supervisor("s1", location=north(200), max_distance_km=100)]),
    "no_supervisor/no capacity": dict(sups=[supervisor("s1", capacity=0)]),
    "no_supervisor/none": dict(sups=[]),
}

ALLOWED = {
    "maturity gap exactly the minimum": dict(m={"overall": 40}, e={"overall": 30}),
    "in person meets hybrid": dict(m={"mode": "in_person"}, e={"mode": "hybrid"}),
    "online meets hybrid": dict(m={"mode": "hybrid"}, e={"mode": "online"}),
    "online meets online far away": dict(m={"mode": "online", "max_distance_km": 1},
                                         e={"mode": "online", "location": north(400), "max_distance_km": 1}),
    "one side online, far away": dict(m={"mode": "online"}, e={"mode": "hybrid", "location": north(400)}),
    "cycle ranges touching": dict(m={"cycle_months": (9, 12)}, e={"cycle_months": (12, 24)}),
    "within both limits": dict(m={"mode": "in_person", "max_distance_km": 30},
                               e={"mode": "in_person", "location": north(29.5), "max_distance_km": 30}),
    "an exclusion of someone else": dict(m={"excludes": {"x"}}, e={"excludes": {"y"}},
                                         s={"forbidden_pairs": {("x", "y")}}),
    "competitor rule off": dict(m={"sector": "C"}, e={"sector": "C"}),
    "competitor of another sector": dict(m={"sector": "C"}, e={"sector": "Q"}, s={"competitor_km": 10}),
    "competitor further away": dict(m={"sector": "C"}, e={"sector": "C", "location": north(15)},
                                    s={"competitor_km": 10}),
    "no sector is no competitor": dict(m={"sector": ""}, e={"sector": ""}, s={"competitor_km": 10}),
    "online mentor, supervisor far away": dict(
        m={"mode": "online"}, sups=[supervisor("s1", location=north(500), max_distance_km=1)]),
}


def pair_instance(case: dict):
    return instance([mentor("m", **case.get("m", {}))], [mentee("e", **case.get("e", {}))], case.get("sups"),
                    **case.get("s", {}))


@pytest.mark.parametrize("name", BLOCKED)
def test_a_pair_breaking_a_rule_is_never_placed(name):
    code = name.split("/")[0]
    inst = pair_instance(BLOCKED[name])
    assert rules.blocking_rule(inst.mentors[0], inst.mentees[0], inst) == code
    result = solve(inst)
    assert result.groups == () and result.placements == ()
    (unplaced,) = result.unplaced
    assert (unplaced.mentee_id, unplaced.code) == ("e", code)
    assert unplaced.sentence and unplaced.sentence.endswith(".")
    assert result.stats.pairs_allowed == 0


@pytest.mark.parametrize("name", ALLOWED)
def test_a_pair_keeping_every_rule_is_placed(name):
    inst = pair_instance(ALLOWED[name])
    assert rules.blocking_rule(inst.mentors[0], inst.mentees[0], inst) is None
    result = solve(inst)
    assert placed(result) == {"e": "m"} and result.unplaced == ()
    assert_keeps_rules(inst, result)


def test_the_first_failing_rule_in_order_is_reported():
    # too little maturity gap and too far: maturity_gap comes first in the README's table
    case = dict(m={"overall": 35, "mode": "in_person"}, e={"mode": "in_person", "location": north(300)})
    inst = pair_instance(case)
    assert rules.blocking_rule(inst.mentors[0], inst.mentees[0], inst) == "maturity_gap"
    assert codes(solve(inst)) == {"e": "maturity_gap"}


# -- explanations --------------------------------------------------------------------------------------------
def test_a_mentee_whose_only_mentor_is_too_far_is_told_how_far():
    inst = pair_instance(BLOCKED["distance/mentee's limit"])
    (unplaced,) = solve(inst).unplaced
    km = rules.distance_km(inst.mentors[0].location, inst.mentees[0].location)
    assert unplaced.code == "distance"
    assert unplaced.params["nearest_km"] == round(km) == 30
    assert unplaced.params["max_km"] == 20
    assert "30 km" in unplaced.sentence and unplaced.sentence[0].isupper()


def test_maturity_explanation_names_the_points_needed():
    (unplaced,) = solve(pair_instance(BLOCKED["maturity_gap"])).unplaced
    assert (unplaced.params["needed"], unplaced.params["best"]) == (40, 39)
    assert "40" in unplaced.sentence and "39" in unplaced.sentence


def test_the_explanation_is_the_first_rule_after_which_no_mentor_is_left():
    # m-young is not far enough ahead; m-far is ahead but too far: maturity leaves m-far, distance removes it
    mentors = [mentor("m-young", overall=35), mentor("m-far", location=north(80), max_distance_km=200)]
    inst = instance(mentors, [mentee("e", max_distance_km=40)])
    (unplaced,) = solve(inst).unplaced
    assert unplaced.code == "distance"
    assert unplaced.params["nearest_km"] == 75  # the mentee lives 5 km north; only m-far is left to measure


def test_a_round_without_mentors_is_explained_in_plain_words():
    (unplaced,) = solve(instance([], [mentee("e")])).unplaced
    assert "None" not in unplaced.sentence, unplaced


def test_every_unplaced_sentence_is_plain_english():
    for name in BLOCKED:
        (unplaced,) = solve(pair_instance(BLOCKED[name])).unplaced
        assert "?" not in unplaced.sentence and "{" not in unplaced.sentence, (name, unplaced)
        assert unplaced.sentence.isascii() and len(unplaced.sentence.split()) >= 5, (name, unplaced)


# -- group rules ---------------------------------------------------------------------------------------------
def test_a_full_mentor_leaves_the_weaker_mentee_out():
    m = mentor("m", levels={"legal": 4}, capacity=1)
    strong = mentee("strong", needs={"legal": 1})
    weak = mentee("weak", levels={"legal": 3, "strategy": 0})
    inst = instance([m], [weak, strong])
    assert scoring.score(m, strong, Weights())[0] > scoring.score(m, weak, Weights())[0]
    result = solve(inst)
    assert placed(result) == {"strong": "m"} and codes(result) == {"weak": "mentors_full"}


def test_group_max_caps_a_larger_capacity():
    mentees = [mentee(f"e{i}", location=north(i)) for i in range(3)]
    inst = instance([mentor("m", capacity=3)], mentees, group_max=2)
    result = solve(inst)
    assert [len(g.mentee_ids) for g in result.groups] == [2]
    assert list(codes(result).values()) == ["mentors_full"]
    assert_keeps_rules(inst, result)


@pytest.mark.parametrize("how", ["own exclusion", "forbidden pair", "competitors"])
def test_mentees_that_exclude_each_other_never_share_a_group(how):
    a = dict(sector="C", location=north(5)) if how == "competitors" else {}
    b = dict(sector="C", location=north(6)) if how == "competitors" else {}
    if how == "own exclusion":
        b["excludes"] = {"a"}
    s = {"competitors": {"competitor_km": 10},
         "forbidden pair": {"forbidden_pairs": {("b", "a")}}}.get(how, {})
    one = instance([mentor("m", capacity=2, sector="Q")], [mentee("a", **a), mentee("b", **b)], **s)
    assert rules.excluded(one.mentees[0], one.mentees[1], one.settings)
    result = solve(one)
    assert len(placed(result)) == 1 and list(codes(result).values()) == ["group_conflict"]
    assert_keeps_rules(one, result)
    # with a second mentor both are placed, in different groups
    mentors = [mentor("m", capacity=2, sector="Q"), mentor("n", capacity=2, sector="Q", location=north(1))]
    two = instance(mentors, one.mentees, **s)
    result = solve(two)
    assert set(placed(result)) == {"a", "b"} and len(result.groups) == 2
    assert_keeps_rules(two, result)


def test_group_members_share_a_cycle_length():
    m = mentor("m", capacity=2, cycle_months=(9, 24))
    short = mentee("short", cycle_months=(9, 12))
    long = mentee("long", cycle_months=(18, 24), location=north(6))
    result = solve(instance([m], [short, long]))
    assert len(placed(result)) == 1 and list(codes(result).values()) == ["group_conflict"]
    # overlapping ranges share a group; its cycle range is what all members accept
    middle = mentee("middle", cycle_months=(12, 18), location=north(6))
    result = solve(instance([m], [mentee("a", cycle_months=(9, 18)), middle]))
    (group,) = result.groups
    assert set(group.mentee_ids) == {"a", "middle"} and group.cycle_months == (12, 18)
    # two mentors: both placed, each group with its own range
    n = mentor("n", capacity=2, cycle_months=(9, 24), location=north(1))
    result = solve(instance([m, n], [short, long]))
    assert {g.cycle_months for g in result.groups} == {(9, 12), (18, 24)}


def test_a_lone_mentee_does_not_make_a_group_below_the_minimum():
    result = solve(instance([mentor("m", capacity=3)], [mentee("e")], group_min=2))
    assert result.groups == () and codes(result) == {"e": "group_too_small"}
    two = instance([mentor("m", capacity=3)], [mentee("e"), mentee("f", location=north(6))], group_min=2)
    assert [sorted(g.mentee_ids) for g in solve(two).groups] == [["e", "f"]]


def test_the_minimum_size_moves_mentees_into_fewer_groups():
    # alone, each mentee would take its nearest mentor; with group_min 2 they must share one
    mentors = [mentor("m1", capacity=2, location=north(0)), mentor("m2", capacity=2, location=north(10))]
    mentees = [mentee("a", location=north(0)), mentee("b", location=north(10))]
    assert len(solve(instance(mentors, mentees)).groups) == 2
    inst = instance(mentors, mentees, group_min=2)
    result = solve(inst)
    assert len(result.groups) == 1 and set(placed(result)) == {"a", "b"}
    assert_keeps_rules(inst, result)


def two_groups_one_supervisor_place(sup_capacity: int):
    mentors = [mentor("m1", mode="in_person", location=north(0)),
               mentor("m2", mode="in_person", location=north(40))]
    mentees = [mentee("a", mode="in_person", location=north(2), max_distance_km=10),
               mentee("b", mode="in_person", location=north(42), max_distance_km=10)]
    return instance(mentors, mentees, [supervisor("s", location=north(20), capacity=sup_capacity,
                                                  max_distance_km=50)])


def test_supervisor_capacity_limits_the_groups():
    inst = two_groups_one_supervisor_place(1)
    result = solve(inst)
    assert len(result.groups) == 1 and list(codes(result).values()) == ["supervisors_full"]
    assert_keeps_rules(inst, result)
    assert len(solve(two_groups_one_supervisor_place(2)).groups) == 2


def test_each_group_gets_a_supervisor_within_their_distance():
    # "one" reaches only m1 (5 km; m2 is 45 km away), "both" reaches both: only one → m1 and both → m2
    # serves both groups
    inst = two_groups_one_supervisor_place(1)
    sups = [supervisor("both", location=north(20), capacity=1, max_distance_km=50),
            supervisor("one", location=north(-5), capacity=1, max_distance_km=10)]
    inst = instance(inst.mentors, inst.mentees, sups)
    result = solve(inst)
    assert {g.mentor_id: g.supervisor_id for g in result.groups} == {"m1": "one", "m2": "both"}
    assert_keeps_rules(inst, result)


def test_capacity_below_group_min_is_never_exceeded():
    # a mentor taking one mentee cannot lead a group when groups need two: nobody can be placed
    inst = instance([mentor("m", capacity=1)], [mentee("a"), mentee("b", location=north(6))], group_min=2)
    result = solve(inst)
    assert all(len(g.mentee_ids) <= 1 for g in result.groups)
    assert result.groups == () and set(codes(result)) == {"a", "b"}


def test_an_unknown_meeting_mode_is_rejected_or_blocks_like_the_reference():
    inst = pair_instance(dict(m={"mode": "video"}, e={"mode": "in_person"}))
    assert rules.blocking_rule(inst.mentors[0], inst.mentees[0], inst) == "meeting_mode"
    try:
        result = solve(inst)
    except InvalidInstance:
        return
    assert_keeps_rules(inst, result)


# -- pins ----------------------------------------------------------------------------------------------------
def test_a_pinned_pair_is_kept_though_another_mentor_scores_higher():
    best, other = mentor("best", levels={"legal": 4}), mentor("other", levels={"legal": 1}, location=north(1))
    e = mentee("e", levels={"legal": 0}, needs={"legal": 1})
    inst = instance([best, other], [e])
    assert scoring.score(best, e, Weights())[0] > scoring.score(other, e, Weights())[0]
    assert placed(solve(inst)) == {"e": "best"}
    pinned = with_settings(inst, pinned_pairs={("other", "e")})
    result = solve(pinned)
    assert placed(result) == {"e": "other"}
    assert_keeps_rules(pinned, result)


def test_a_pinned_supervisor_is_kept():
    inst = instance([mentor("m", mode="in_person")], [mentee("e")],
                    [supervisor("near", location=north(1)), supervisor("far", location=north(60))])
    assert [g.supervisor_id for g in solve(inst).groups] == ["near"]
    pinned = with_settings(inst, pinned_supervisors={"m": "far"})
    assert [g.supervisor_id for g in solve(pinned).groups] == ["far"]


def test_a_mentor_with_a_pinned_supervisor_leads_a_group():
    good = mentor("good", levels={"legal": 4}, capacity=2)
    plain = mentor("plain", levels={"legal": 1}, location=north(1))
    mentees = [mentee("a", needs={"legal": 1}), mentee("b", needs={"legal": 1}, location=north(6))]
    inst = instance([good, plain], mentees)
    assert {g.mentor_id for g in solve(inst).groups} == {"good"}
    pinned = with_settings(inst, pinned_supervisors={"plain": "s1"})
    result = solve(pinned)
    assert {g.mentor_id for g in result.groups} == {"good", "plain"} and len(placed(result)) == 2
    assert_keeps_rules(pinned, result)


@pytest.mark.parametrize(("pins", "message"), [
    (dict(pinned_pairs={("young", "e")}), "maturity_gap"),
    (dict(pinned_pairs={("m", "nobody")}), "unknown"),
    (dict(pinned_pairs={("m", "e"), ("n", "e")}), "pinned to two mentors"),
    (dict(pinned_pairs={("m", "e"), ("m", "f")}), "more pinned mentees than places"),
    (dict(pinned_supervisors={"m": "nobody"}), "unknown"),
    (dict(pinned_supervisors={"inperson": "s-far"}), "cannot lead"),
    (dict(pinned_supervisors={"m": "s1", "n": "s1"}), "more groups than their capacity"),
])
def test_a_pin_that_breaks_a_rule_makes_the_instance_invalid(pins, message):
    mentors = [mentor("m"), mentor("n", location=north(1)), mentor("young", overall=35),
               mentor("inperson", mode="in_person", location=north(2))]
    sups = [supervisor("s1", capacity=1), supervisor("s-far", location=north(300), max_distance_km=10)]
    inst = instance(mentors, [mentee("e"), mentee("f", location=north(6))], sups, **pins)
    with pytest.raises(InvalidInstance) as caught:
        solve(inst)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_pinned_mentees_that_exclude_each_other_or_share_no_cycle_are_invalid():
    mentees = [mentee("e", excludes={"f"}), mentee("f", location=north(6))]
    with pytest.raises(InvalidInstance, match="must not share a group"):
        solve(instance([mentor("m", capacity=2)], mentees, pinned_pairs={("m", "e"), ("m", "f")}))
    mentees = [mentee("e", cycle_months=(9, 12)), mentee("f", cycle_months=(18, 24))]
    with pytest.raises(InvalidInstance, match="no cycle length in common"):
        solve(instance([mentor("m", capacity=2)], mentees, pinned_pairs={("m", "e"), ("m", "f")}))


def test_pins_that_cannot_be_kept_together_are_invalid():
    # a lone pinned mentee, but groups need two and nobody else can join
    with pytest.raises(InvalidInstance):
        solve(instance([mentor("m", capacity=2)], [mentee("e")], group_min=2, pinned_pairs={("m", "e")}))


@pytest.mark.parametrize("build", [
    lambda: instance([mentor("x")], [mentee("x")]),
    lambda: instance([mentor("m"), mentor("m", location=north(1))], [mentee("e")]),
    lambda: instance([mentor("m")], [mentee("e"), mentee("e", location=north(6))]),
    lambda: instance([mentor("m")], [mentee("e")], [supervisor("s"), supervisor("s", location=north(1))]),
])
def test_duplicate_ids_are_invalid(build):
    with pytest.raises(InvalidInstance, match="twice"):
        solve(build())


def test_every_problem_is_reported_at_once():
    inst = instance([mentor("m", capacity=-1, cycle_months=(24, 9))], [mentee("e", max_distance_km=-5)],
                    group_min=3, group_max=2, time_limit_s=0, weights=Weights(size=-1))
    with pytest.raises(InvalidInstance) as caught:
        solve(inst)
    problems = " | ".join(caught.value.problems)
    for part in ("group sizes", "time_limit_s", "weights", "cycle_months", "max_distance_km", "capacity"):
        assert part in problems, problems
    assert str(caught.value) == "; ".join(caught.value.problems)
