"""`python -m matching solve INSTANCE.json`: solve a round outside the app and print the result as JSON."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from matching.jsonio import instance_from_json, result_to_json
from matching.model import InvalidInstance
from matching.solver import solve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("solve", help="solve an instance (format: matching/README.md), print the result")
    run.add_argument("instance", help="instance JSON file, or - for standard input")
    run.add_argument("--time-limit", type=float, help="seconds (overrides the instance's settings)")
    run.add_argument("--seed", type=int, help="random seed (overrides the instance's settings)")
    run.add_argument("--workers", type=int, help="CP-SAT workers (overrides the instance's settings)")
    run.add_argument("--indent", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        with (sys.stdin if args.instance == "-" else open(args.instance, encoding="utf-8")) as handle:
            data = json.load(handle)
    except OSError as exc:
        print(f"cannot read {args.instance}: {exc.strerror}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"{args.instance} is not valid JSON: {exc}", file=sys.stderr)
        return 2
    try:
        instance = instance_from_json(data)
        overrides = {key: value for key, value in (("time_limit_s", args.time_limit), ("seed", args.seed),
                                                   ("workers", args.workers)) if value is not None}
        if overrides:
            instance = dataclasses.replace(instance, settings=dataclasses.replace(instance.settings, **overrides))
        result = solve(instance)
    except InvalidInstance as exc:
        print("invalid instance:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    json.dump(result_to_json(result), sys.stdout, indent=args.indent or None, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
