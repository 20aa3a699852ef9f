"""docs/engine-contract.md is the engine's contract: what the engine writes and accepts is documented there."""
from __future__ import annotations

import re
from pathlib import Path

from test_validation import GOOD  # noqa: F401  (same folder)

import solver
from solver import parse_instance, solve, suggest
from solver.fit import LANGUAGE_POINTS, POINTS_PER_DAY, RISK_BONUS, RISK_FACTOR, WASTED_BEDSPACE_POINTS
from solver.geo import EARTH_KM
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


def test_the_fit_is_defined_once_in_the_package_docstring_with_the_code_constants():
    """The contract points to the docstring; the docstring's weights are the ones solver.fit uses."""
    doc = " ".join(solver.__doc__.split())  # as one line: a phrase may wrap
    assert "`solver/__init__.py`" in CONTRACT and "fit(h, u) =" not in CONTRACT and "fit(h, u) =" in doc
    high, medium, standard = (RISK_BONUS[r] for r in ("high", "medium", "standard"))
    assert f"risk bonus: high {high:g}, medium {medium:g}, standard {standard:g}" in doc
    high, medium, standard = (RISK_FACTOR[r] for r in ("high", "medium", "standard"))
    assert f"risk factor: high {high:g}, medium {medium:g}, standard {standard:g}" in doc
    assert f"{POINTS_PER_DAY:g} * days(h)" in doc and f"M(h) * {LANGUAGE_POINTS:g} * L(h, u)" in doc
    assert f"{WASTED_BEDSPACE_POINTS:g} point each" in doc and f"radius {EARTH_KM} km" in doc


def test_the_engine_points_only_inside_the_repository():
    sources = [p for p in (ROOT / "solver").glob("*.py")]
    assert [p.name for p in sources if re.search(r"\bspec/", p.read_text())] == []
