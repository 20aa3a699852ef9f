"""docs/engine-contract.md is the engine's contract: what the engine writes and accepts is documented there."""
from __future__ import annotations

import re
from pathlib import Path

from test_validation import GOOD  # noqa: F401  (same folder)

from solver import parse_instance, solve, suggest
from solver.cli import _parser
from solver.io import solution_to_dict, suggestions_to_dict

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (ROOT / "docs" / "engine-contract.md").read_text()


def documented(name: str) -> bool:
    return f"`{name}`" in CONTRACT or f'"{name}"' in CONTRACT


def test_every_member_written_is_documented():
    instance = parse_instance(GOOD)
    written = set(solution_to_dict(solve(instance))) | set(suggestions_to_dict(suggest(instance, "H1")))
    assert [m for m in sorted(written) if not documented(m)] == []


def test_every_command_line_option_is_documented():
    subcommands = next(a for a in _parser()._actions if a.dest == "command").choices
    options = {o for p in subcommands.values() for a in p._actions for o in a.option_strings} - {"-h", "--help"}
    assert [o for o in sorted(options) if o not in CONTRACT] == []


def test_the_engine_points_only_inside_the_repository():
    sources = [p for p in (ROOT / "solver").glob("*.py")]
    assert [p.name for p in sources if re.search(r"\bspec/", p.read_text())] == []
