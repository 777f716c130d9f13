"""The JSON form of an instance and of a result (format: matching/README.md), so a round can be replayed outside the app."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from matching.model import (
    Instance,
    InvalidInstance,
    Location,
    Mentee,
    Mentor,
    Result,
    Settings,
    Supervisor,
    Weights,
)

FORMAT = "tandem-matching/1"
KNOWN_KEYS = {"format", "mentors", "mentees", "supervisors", "settings", "dimension_labels"}


def _plain(value: Any) -> Any:
    """Dataclasses, mappings, sets and tuples as JSON values; sets sorted so the text is stable."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def instance_to_json(instance: Instance) -> dict:
    return {"format": FORMAT, **_plain(instance)}


def result_to_json(result: Result) -> dict:
    return {"format": FORMAT, **_plain(result)}


def _company(cls, data: dict, where: str, problems: list[str]):
    try:
        if not isinstance(data, dict):
            raise TypeError("must be a JSON object")
        data = dict(data)
        data["location"] = Location(**data["location"])
        for key in ("weekdays", "times_of_day", "excludes"):
            if key in data:
                data[key] = frozenset(data[key])
        if "cycle_months" in data:
            data["cycle_months"] = tuple(data["cycle_months"])
        return cls(**data)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"{where}: {exc}")
        return None


def instance_from_json(data: dict) -> Instance:
    """Read an instance; every structural problem is reported at once as InvalidInstance."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise InvalidInstance(["the instance must be a JSON object"])
    if data.get("format", FORMAT) != FORMAT:
        problems.append(f"unknown format {data.get('format')!r}, expected {FORMAT!r}")
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        problems.append("unknown keys: " + ", ".join(unknown))
    lists = {}
    for key in ("mentors", "mentees", "supervisors"):
        lists[key] = data.get(key, [])
        if not isinstance(lists[key], list):
            problems.append(f"{key} must be a JSON array")
            lists[key] = []
    mentors = [_company(Mentor, m, f"mentors[{i}]", problems) for i, m in enumerate(lists["mentors"])]
    mentees = [_company(Mentee, m, f"mentees[{i}]", problems) for i, m in enumerate(lists["mentees"])]
    supervisors = []
    for i, s in enumerate(lists["supervisors"]):
        try:
            if not isinstance(s, dict):
                raise TypeError("must be a JSON object")
            supervisors.append(Supervisor(**{**s, "location": Location(**s["location"])}))
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"supervisors[{i}]: {exc}")
    settings = Settings()
    if "settings" in data:
        try:
            if not isinstance(data["settings"], dict):
                raise TypeError("must be a JSON object")
            raw = dict(data["settings"])
            raw["weights"] = Weights(**raw.get("weights", {}))
            settings = Settings(**raw)
        except (TypeError, ValueError) as exc:
            problems.append(f"settings: {exc}")
    if problems:
        raise InvalidInstance(problems)
    return Instance(mentors=tuple(mentors), mentees=tuple(mentees), supervisors=tuple(supervisors),
                    settings=settings, dimension_labels=data.get("dimension_labels", {}))
