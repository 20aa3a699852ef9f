"""`python -m solver solve|suggest|check`: thin wrappers over the package's functions.

Exit 0 done, 1 `check` found a breach, 2 invalid instance or arguments (every problem on
standard error, one a line; nothing written).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .batch import solve
from .check import check
from .domain import InstanceError, Problem, Settings
from .io import dumps, parse_instance, read_json, solution_to_dict, suggestions_to_dict
from .suggest import suggest


class _Invalid(Exception):
    """Invalid arguments or files: each problem is printed, the exit status is 2."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="assign all households at once")
    p.add_argument("instance")
    p.add_argument("-o", "--output")
    p.add_argument("--time-limit", type=float, default=Settings.time_limit)
    p.add_argument("--max-pairs", type=int, default=Settings.max_pairs,
                   help="most (household, unit) pairs modelled; beyond, each household's best units "
                        "(levels 1-2 are still proved)")
    p = sub.add_parser("suggest", help="rank the units for one household")
    p.add_argument("instance")
    p.add_argument("--household", required=True)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("-o", "--output")
    p = sub.add_parser("check", help="check a solution against every hard rule")
    p.add_argument("instance")
    p.add_argument("solution")
    return parser


def _load_instance(path: str):
    try:
        return parse_instance(read_json(path))
    except InstanceError as e:
        raise _Invalid([str(p) for p in e.problems]) from None
    except (OSError, ValueError) as e:
        raise _Invalid([f"{path}: {e}"]) from None


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)


def _solve(args) -> int:
    if not args.time_limit > 0:
        raise _Invalid(["--time-limit: must be a number > 0"])
    if args.max_pairs < 1:
        raise _Invalid(["--max-pairs: must be an integer >= 1"])
    instance = _load_instance(args.instance)
    settings = Settings(time_limit=args.time_limit, max_pairs=args.max_pairs)
    _write(dumps(solution_to_dict(solve(instance, settings))), args.output)
    return 0


def _suggest(args) -> int:
    if args.top < 0:
        raise _Invalid(["--top: must be an integer >= 0"])
    instance = _load_instance(args.instance)
    try:
        result = suggest(instance, args.household, top=args.top)
    except InstanceError as e:
        raise _Invalid([str(p) for p in e.problems]) from None
    _write(dumps(suggestions_to_dict(result)), args.output)
    return 0


def _check(args) -> int:
    instance = _load_instance(args.instance)
    try:
        solution = read_json(args.solution)
    except (OSError, ValueError) as e:
        raise _Invalid([f"{args.solution}: {e}"]) from None
    assignments = solution.get("assignments") if isinstance(solution, dict) else None
    if not isinstance(assignments, dict) or not all(u is None or isinstance(u, str) for u in assignments.values()):
        raise _Invalid([str(Problem("/assignments", "must be an object of household id -> unit id or null"))])
    breaches = check(instance, assignments)
    for breach in breaches:
        print(breach)
    print("ok" if not breaches else f"{len(breaches)} breaches")
    return 1 if breaches else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = _parser().parse_args(argv)  # exits 2 on unusable arguments, as argparse does
    try:
        return {"solve": _solve, "suggest": _suggest, "check": _check}[args.command](args)
    except _Invalid as e:
        for line in e.problems:
            print(line, file=sys.stderr)
        return 2
