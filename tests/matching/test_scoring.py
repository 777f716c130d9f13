"""The score of a pair (README "Score") and the vectorised pair table against the plain-Python reference."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_kit import instance, instances, mentee, mentor, north, supervisor

from matching import InvalidInstance, pairs, rules, scoring, solve
from matching.model import CRITERIA, Weights
from matching.pairs import PairTable

PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def expected_rules(m, e, inst) -> dict[str, bool]:
    """Each rule of the README's table on its own (True: the pair passes it), from the reference's helpers."""
    s = inst.settings
    return {
        "maturity_gap": m.overall - e.overall >= s.min_maturity_gap,
        "meeting_mode": rules.modes_compatible(m.mode, e.mode),
        "cycle_length": rules.ranges_overlap(m.cycle_months, e.cycle_months),
        "distance": rules.meets_online(m, e)
        or rules.distance_km(m.location, e.location) <= min(m.max_distance_km, e.max_distance_km),
        "excluded": not rules.excluded(m, e, s),
        "no_supervisor": any(rules.supervisor_reaches(x, m) for x in inst.supervisors),
    }


# -- the vectorised table equals the reference ---------------------------------------------------------------
@PROPERTY
@given(inst=instances(max_mentees=9, max_mentors=5, max_supervisors=3, capacity_below_group_min=True),
       data=st.data())
def test_pair_table_rules_and_scores_equal_the_reference(inst, data):
    table = PairTable(inst)
    n = len(inst.mentees)
    start = data.draw(st.integers(0, n), label="start")
    stop = data.draw(st.integers(start, n), label="stop")
    got_rules, got_scores = table.rules(slice(start, stop)), table.scores(slice(start, stop))
    assert got_scores.shape == (stop - start, len(inst.mentors))
    weights = inst.settings.weights
    for i in range(start, stop):
        e = inst.mentees[i]
        for j, m in enumerate(inst.mentors):
            got = {code: bool(matrix[i - start, j]) for code, matrix in got_rules.items()}
            assert got == expected_rules(m, e, inst), (m.id, e.id)
            first = next((code for code in rules.RULE_ORDER if not got[code]), None)
            assert first == rules.blocking_rule(m, e, inst), (m.id, e.id)
            points, contributions = scoring.score(m, e, weights)
            assert int(got_scores[i - start, j]) == points, (m.id, e.id)
            assert 0 <= points <= 1000
            assert abs(sum(contributions.values()) - points) <= len(CRITERIA)


@PROPERTY
@given(inst=instances(max_mentees=9, max_mentors=5, max_supervisors=3, capacity_below_group_min=True),
       chunk=st.integers(1, 12))
def test_allowed_pairs_in_chunks_equal_the_reference(inst, chunk):
    expected = [(i, j, scoring.score(m, e, inst.settings.weights)[0])
                for i, e in enumerate(inst.mentees) for j, m in enumerate(inst.mentors)
                if rules.blocking_rule(m, e, inst) is None]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairs, "CHUNK_CELLS", chunk)  # a few mentees per chunk at most
        pe, pm, ps = PairTable(inst).allowed_pairs()
    assert list(zip(pe.tolist(), pm.tolist(), ps.tolist(), strict=True)) == expected


def test_scores_of_hand_picked_edge_cases_agree():
    """Empty levels, online against distance, size bands, empty sectors, weekdays empty on both sides."""
    mentors = [mentor("m-empty"), mentor("m-online", mode="online", levels={"legal": 4}, sector="C"),
               mentor("m-far", location=north(45), levels={"legal": 2, "strategy": 4}, offers={"strategy": 1},
                      size_band="gt250", weekdays={0, 1}, times_of_day={"morning"}),
               mentor("m-zero-km", location=north(5), max_distance_km=0, size_band="le15")]
    mentees = [mentee("e-empty"), mentee("e-needs", levels={"legal": 1}, needs={"legal": 1, "strategy": 2},
                                        mode="online", sector="C"),
               mentee("e-days", weekdays={1, 2}, times_of_day={"morning", "evening"}, size_band="16_25"),
               mentee("e-band", size_band="51_250", needs={"information": 3})]
    inst = instance(mentors, mentees, min_maturity_gap=0)
    scores = PairTable(inst).scores(slice(0, len(mentees)))
    for i, e in enumerate(mentees):
        for j, m in enumerate(mentors):
            assert int(scores[i, j]) == scoring.score(m, e, inst.settings.weights)[0], (m.id, e.id)


@pytest.mark.parametrize("weights", [Weights(complementarity=0, size=0, sector=0, distance=0, weekdays=0),
                                     Weights(complementarity=1, size=0, sector=0, distance=0, weekdays=0),
                                     Weights(complementarity=0, size=0, sector=0, distance=0, weekdays=5)])
def test_extreme_weights_agree(weights):
    mentors = [mentor("m1", levels={"legal": 3}), mentor("m2", mode="online")]
    mentees = [mentee("e1", needs={"legal": 1}), mentee("e2", weekdays={3})]
    inst = instance(mentors, mentees, weights=weights)
    scores = PairTable(inst).scores(slice(0, 2))
    for i, e in enumerate(mentees):
        for j, m in enumerate(mentors):
            assert int(scores[i, j]) == scoring.score(m, e, weights)[0]


# -- the score's definition on hand-computed cases -----------------------------------------------------------
def test_score_of_a_perfect_online_pair_by_hand():
    # README: complementarity 1 (level 0 on the first need, mentor level 4 and offering it), same band, same
    # sector, online (distance 1), weekdays and times empty on both sides (0.5). Default weights 6, 2, 1, 2, 1
    # (sum 12): 1000 × (6 + 2 + 1 + 2 + 0.5) / 12 = 958.3 → 958; points 500, 166.7 → 167, 83.3 → 83, 167,
    # 41.7 → 42.
    m = mentor("m", levels={"legal": 4}, offers={"legal": 1}, sector="C", mode="online")
    e = mentee("e", levels={"legal": 0}, needs={"legal": 1}, sector="C")
    points, contributions = scoring.score(m, e, Weights())
    assert points == 958
    assert contributions == {"complementarity": 500, "size": 167, "sector": 83, "distance": 167,
                             "weekdays": 42}


def test_criteria_values_by_hand():
    m = mentor("m", levels={"legal": 2, "strategy": 4}, offers={"strategy": 1}, location=north(0),
               max_distance_km=80, size_band="gt250", weekdays={0, 1})
    e = mentee("e", levels={"legal": 1, "strategy": 4}, needs={"legal": 1}, location=north(20),
               max_distance_km=50, size_band="26_50", weekdays={1, 2}, times_of_day=set())
    v = scoring.criteria_values(m, e)
    # need(legal) = (3/4 + 0.25) × 4 = 4, need(strategy) = (0/4 + 0.25) × 1 = 0.25;
    # strength(legal) = 2/4 × 1 / 1.25 = 0.4, strength(strategy) = 4/4 × 1.25 / 1.25 = 1
    assert v["complementarity"] == pytest.approx((4 * 0.4 + 0.25 * 1) / 4.25)
    assert v["size"] == 0.5  # different bands of the same regime (> 25 employees)
    assert v["sector"] == 0.0  # no sector on either side is not "the same sector"
    assert v["distance"] == pytest.approx(1 - 20 / 50)  # the smaller of both limits
    assert v["weekdays"] == pytest.approx((1 / 3 + 0.5) / 2)  # times empty on both sides count 0.5


@pytest.mark.parametrize(("band_a", "band_b", "value"), [
    ("26_50", "26_50", 1.0), ("26_50", "gt250", 0.5), ("51_250", "26_50", 0.5), ("le15", "16_25", 0.0),
    ("16_25", "26_50", 0.0), ("le15", "gt250", 0.0)])
def test_size_criterion(band_a, band_b, value):
    values = scoring.criteria_values(mentor("m", size_band=band_a), mentee("e", size_band=band_b))
    assert values["size"] == value


def test_weekday_criterion_edges():
    def value(**kw):
        values = scoring.criteria_values(mentor("m", **kw.get("m", {})), mentee("e", **kw.get("e", {})))
        return values["weekdays"]

    assert value() == 0.5  # weekdays and times empty on both sides
    assert value(m={"weekdays": {1}}) == pytest.approx((0 + 0.5) / 2)  # empty on one side only: no overlap
    assert value(m={"weekdays": {1, 2}, "times_of_day": {"morning"}},
                 e={"weekdays": {1, 2}, "times_of_day": {"morning"}}) == 1.0


def test_no_dimensions_means_no_complementarity():
    assert scoring.criteria_values(mentor("m"), mentee("e"))["complementarity"] == 0.0


def test_distance_criterion_online_and_in_person():
    far = dict(location=north(40))
    assert scoring.criteria_values(mentor("m", mode="online", **far), mentee("e"))["distance"] == 1.0
    assert scoring.criteria_values(mentor("m", **far), mentee("e", mode="online"))["distance"] == 1.0
    # 35 km between them (mentee at 5 km north), limits 50 and 50
    assert scoring.criteria_values(mentor("m", **far), mentee("e"))["distance"] == pytest.approx(1 - 35 / 50)
    assert scoring.criteria_values(mentor("m", location=north(60)), mentee("e"))["distance"] == 0.0


# -- monotonicity --------------------------------------------------------------------------------------------
def _score(m, e, weights=None):
    return scoring.score(m, e, weights or Weights())[0]


def test_strength_on_the_first_need_beats_strength_elsewhere():
    e = mentee("e", levels={"legal": 1, "strategy": 1, "information": 1},
               needs={"legal": 1, "information": 3})
    on_first_need = mentor("a", levels={"legal": 4, "strategy": 1, "information": 1})
    on_unnamed = mentor("b", levels={"legal": 1, "strategy": 4, "information": 1})
    on_third_need = mentor("c", levels={"legal": 1, "strategy": 1, "information": 4})
    assert _score(on_first_need, e) > _score(on_third_need, e) > _score(on_unnamed, e)


def test_offering_a_dimension_and_a_higher_level_raise_the_score():
    e = mentee("e", levels={"legal": 0}, needs={"legal": 1})
    offering = mentor("m", levels={"legal": 4}, offers={"legal": 1})
    assert _score(offering, e) > _score(mentor("m", levels={"legal": 4}), e)
    assert _score(mentor("m", levels={"legal": 4}), e) > _score(mentor("m", levels={"legal": 3}), e)


def test_closer_same_band_same_sector_more_common_days_score_higher():
    e = mentee("e", sector="C", size_band="26_50", weekdays={1, 2}, times_of_day={"morning"})
    base = dict(sector="C", size_band="26_50", weekdays={1, 2}, times_of_day={"morning"})
    def score(**changes):
        return _score(mentor("m", **{**base, **changes}), e)

    assert score(location=north(10)) > score(location=north(30))
    assert score() > score(sector="Q")
    assert score() > score(size_band="gt250") > score(size_band="le15")
    assert score() > score(weekdays={1, 4})


@PROPERTY
@given(inst=instances(max_mentees=4, max_mentors=4, max_supervisors=1, capacity_below_group_min=True))
def test_contributions_sum_to_the_score_within_rounding(inst):
    for m in inst.mentors:
        for e in inst.mentees:
            points, contributions = scoring.score(m, e, inst.settings.weights)
            assert set(contributions) == set(CRITERIA)
            assert abs(sum(contributions.values()) - points) <= len(CRITERIA)
            values = scoring.criteria_values(m, e)
            assert all(0.0 <= v <= 1.0 for v in values.values()), values


# -- reasons and the sentence --------------------------------------------------------------------------------
def test_reasons_and_sentence_name_the_first_need_and_the_distance():
    m = mentor("m", levels={"working_time": 4}, offers={"working_time": 1}, mode="in_person")
    e = mentee("e", levels={"working_time": 0}, needs={"working_time": 1}, mode="in_person",
               location=north(11))
    found = scoring.reasons(m, e, Weights())
    codes = [r.code for r in found]
    assert codes[0] == "strength_for_need"
    assert found[0].params == {"dimension": "working_time", "mentor_level": 4, "mentee_level": 0,
                               "priority": 1}
    assert {"code": "distance", "km": 11} in [{"code": r.code, **r.params} for r in found]
    text = scoring.sentence(found, {"working_time": "working-time flexibility"})
    assert "working-time flexibility" in text and "first need" in text and "11 km away" in text
    assert text[0].isupper() and text.endswith(".")


def test_the_solver_reports_the_same_reasons():
    m = mentor("m", levels={"working_time": 4}, mode="in_person", location=north(0))
    e = mentee("e", levels={"working_time": 1}, needs={"working_time": 2}, mode="in_person",
               location=north(8))
    result = solve(instance([m], [e]))
    (placement,) = result.placements
    assert placement.reasons == scoring.reasons(m, e, Weights())
    assert "second need" in placement.sentence and "8 km away" in placement.sentence


def test_online_and_weak_pairs_have_a_sentence_too():
    online = scoring.sentence(scoring.reasons(mentor("m", mode="online"), mentee("e"), Weights()), {})
    assert "meets online" in online.lower()
    assert scoring.sentence((), {}) == "Allowed by every rule."


def test_supervisor_reach_in_the_table():
    # no supervisor with room: nobody passes "no_supervisor"; an online mentor passes once anyone has room
    mentors = [mentor("near"), mentor("online", mode="online", location=north(500))]
    for sups, expected in [((), [False, False]), ((supervisor("s", capacity=0),), [False, False]),
                           ((supervisor("s"),), [True, True])]:
        inst = instance(mentors, [mentee("e")], sups)
        got = PairTable(inst).rules(slice(0, 1))["no_supervisor"][0].tolist()
        assert got == expected == [any(rules.supervisor_reaches(x, m) for x in sups) for m in mentors]



def test_unknown_size_bands_are_refused_before_they_could_score_differently():
    # The scalar score compares unknown bands by regime (0.5), the vectorised one by code (1): so solve refuses them.
    m, e = mentor("m", size_band="big"), mentee("e", size_band="small")
    with pytest.raises(InvalidInstance, match="size band"):
        solve(instance([m], [e]))
    known = instance([mentor("m", size_band="le15")], [mentee("e", size_band="")])
    assert int(PairTable(known).scores(slice(0, 1))[0, 0]) == scoring.score(*known.mentors, *known.mentees,
                                                                              Weights())[0]
