"""`python -m matching solve` and the JSON form of instances and results (README "JSON")."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from matching_kit import (
    ROOT,
    TIMING_FIELDS,
    SeededSource,
    instance,
    mentee,
    mentor,
    north,
    random_instance,
    supervisor,
    without_timings,
)

from matching import InvalidInstance, solve
from matching.jsonio import FORMAT, instance_from_json, instance_to_json, result_to_json
from matching.model import Weights


def run_cli(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "matching", *map(str, args)], cwd=ROOT, input=stdin, env=env,
                          capture_output=True, encoding="utf-8", timeout=120, check=False)


def rich_instance():
    """Every kind of field: sets, tuples, mappings, pins, forbidden pairs, weights, labels, non-ASCII."""
    mentors = [mentor("m1", levels={"legal": 4, "strategy": 2}, offers={"legal": 1}, capacity=2, sector="C",
                      weekdays={0, 2}, times_of_day={"morning", "evening"}, excludes={"e3"},
                      cycle_months=(9, 18), name="Müller & Söhne GmbH"),
               mentor("m2", levels={"legal": 1}, mode="online", location=north(30))]
    mentees = [mentee("e1", levels={"legal": 0}, needs={"legal": 1, "strategy": 2}, weekdays={2}, sector="Q"),
               mentee("e2", needs={"strategy": 1}, mode="in_person", location=north(3)),
               mentee("e3", overall=75, location=north(400), max_distance_km=10)]
    inst = instance(mentors, mentees, [supervisor("s1", name="Dr. S"), supervisor("s2", location=north(20))],
                    competitor_km=5.5, forbidden_pairs={("e1", "e2")}, pinned_pairs={("m1", "e1")},
                    pinned_supervisors={"m1": "s2"}, weights=Weights(complementarity=5, supervisor_balance=2))
    return replace(inst, dimension_labels={"legal": "Rechtliche Möglichkeiten", "strategy": "Strategie"})


def write(tmp_path, data, name="instance.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# -- the JSON form -------------------------------------------------------------------------------------------
def test_an_instance_survives_the_round_trip_through_json_text():
    inst = rich_instance()
    data = json.loads(json.dumps(instance_to_json(inst)))
    assert data["format"] == FORMAT == "tandem-matching/1"
    assert data["mentors"][0]["weekdays"] == [0, 2] and data["mentors"][0]["cycle_months"] == [9, 18]
    assert data["settings"]["pinned_pairs"] == [["m1", "e1"]]
    back = instance_from_json(data)
    assert back == inst
    assert isinstance(back.mentors[0].weekdays, frozenset) and back.mentors[0].cycle_months == (9, 18)
    assert back.settings.pinned_supervisors == {"m1": "s2"} and back.settings.weights == inst.settings.weights


@pytest.mark.parametrize("seed", range(5))
def test_random_instances_survive_the_round_trip(seed):
    src = SeededSource(f"json-{seed}")
    inst = random_instance(src, 6, 3, 2)
    assert instance_from_json(json.loads(json.dumps(instance_to_json(inst)))) == inst


def test_missing_optional_fields_take_the_defaults():
    data = {"mentors": [{"id": "m", "overall": 80, "levels": {}, "location": {"latitude": 51, "longitude": 7},
                         "max_distance_km": 50}],
            "mentees": [], "supervisors": []}
    inst = instance_from_json(data)
    assert inst.mentors[0].cycle_months == (9, 24) and inst.mentors[0].mode == "hybrid"
    assert inst.settings.group_min == 1 and inst.settings.weights == Weights()


def test_every_structural_problem_is_reported_at_once():
    data = {"format": "other/2", "mentors": [{"id": "m"}],
            "mentees": [{"id": "e", "overall": 1, "levels": {}, "location": {"latitude": 1},
                         "max_distance_km": 1}],
            "supervisors": [{"id": "s"}], "settings": {"group_mn": 2}}
    with pytest.raises(InvalidInstance) as caught:
        instance_from_json(data)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    for where in ("format", "mentors[0]", "mentees[0]", "supervisors[0]", "settings"):
        assert any(where in p for p in problems), (where, problems)


# -- the command line ----------------------------------------------------------------------------------------
def test_solve_prints_the_result_as_json(tmp_path):
    inst = rich_instance()
    path = write(tmp_path, instance_to_json(inst))
    done = run_cli("solve", path, "--workers", 1)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["format"] == "tandem-matching/1"
    assert set(out) == {"format", "groups", "placements", "unplaced", "stats"}
    assert out["groups"] and out["placements"] and out["unplaced"]
    assert all(p["sentence"] and p["reasons"] and set(p["contributions"]) for p in out["placements"])
    assert all(u["code"] and u["sentence"] for u in out["unplaced"])
    assert {"status", "placed", "objective", "bound", "gap", "proven_optimal"} <= set(out["stats"])
    assert "Rechtliche Möglichkeiten" in done.stdout  # labels word the sentences, printed as UTF-8
    # the same as solving in this process
    expected = without_timings(solve(inst))
    for name in TIMING_FIELDS:
        out["stats"].pop(name)
    assert out == json.loads(json.dumps(expected))
    groups = [[g["mentor_id"], g["mentee_ids"], g["supervisor_id"]] for g in out["groups"]]
    assert ["m1", ["e1"], "s2"] in groups  # the pins


def test_solve_reads_standard_input_and_the_overrides_reach_the_settings():
    data = json.dumps(instance_to_json(instance([mentor("m")], [mentee("e")])))
    done = run_cli("solve", "-", "--seed", 3, "--indent", 0, stdin=data)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stats"]["placed"] == 1
    done = run_cli("solve", "-", "--time-limit", 0, stdin=data)  # validated like the file's own value
    assert done.returncode == 1 and "time_limit_s must be positive" in done.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2, 3]", "must be a JSON object"),
    (json.dumps({"mentors": [{"id": "m", "overall": 80, "levels": {}, "colour": "red", "max_distance_km": 50,
                              "location": {"latitude": 51, "longitude": 7}}]}), "colour"),
    (json.dumps(instance_to_json(instance([mentor("x")], [mentee("x")]))), "used twice"),
    (json.dumps({"format": "tandem-matching/0"}), "unknown format"),
])
def test_an_invalid_instance_exits_1_with_a_readable_message(tmp_path, content, message):
    done = run_cli("solve", write(tmp_path, content))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("invalid instance:") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_or_broken_json_exits_2(tmp_path):
    done = run_cli("solve", tmp_path / "nowhere.json")
    assert done.returncode == 2 and "cannot read" in done.stderr and "nowhere.json" in done.stderr
    done = run_cli("solve", write(tmp_path, '{"mentors": ['))
    assert done.returncode == 2 and "not valid JSON" in done.stderr


def test_a_result_is_plain_json():
    result = solve(rich_instance())
    data = result_to_json(result)
    assert json.loads(json.dumps(data)) == data
    assert data["format"] == FORMAT


def test_a_company_that_is_not_an_object_is_reported_not_a_traceback(tmp_path):
    done = run_cli("solve", write(tmp_path, json.dumps({"mentors": ["m1"]})))
    assert done.returncode == 1
    assert done.stderr.startswith("invalid instance:") and "mentors[0]" in done.stderr, done.stderr


def test_an_unknown_top_level_key_is_reported():
    with pytest.raises(InvalidInstance):
        instance_from_json({"format": FORMAT, "mentors": [], "mentess": [], "supervisors": []})


def test_too_many_times_of_day_are_reported_not_a_traceback(tmp_path):
    inst = instance([mentor("m", times_of_day={f"slot {i}" for i in range(13)})], [mentee("e")])
    done = run_cli("solve", write(tmp_path, instance_to_json(inst)))
    assert done.returncode == 1
    assert done.stderr.startswith("invalid instance:") and "Traceback" not in done.stderr, done.stderr
