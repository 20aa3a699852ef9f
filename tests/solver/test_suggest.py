"""Suggestions for one household: count, ranking, reasons, and the same fit as the batch."""
from __future__ import annotations

from datetime import date

import pytest

from solver import Household, Instance, InstanceError, Member, Place, PreferPlace, UnitPool, solve, suggest


def test_ranking_why_and_fit_match_batch(kit):
    school = PreferPlace(52.636, -1.133, 5, 4, "the children's school")
    h = kit.household(prefer=(school,), languages=("Punjabi",), waiting_since=date(2025, 10, 20), risk="high")
    units = (kit.unit("FAR", lat=52.9, lon=-1.4), kit.unit("NEAR", lat=52.64, lon=-1.13, languages=("Punjabi",)),
             kit.unit("NO", bedspaces=1, lead_genders=("male",)))
    instance = Instance((h,), units, as_of=date(2025, 11, 1))
    s = suggest(instance, "H1", top=5)
    assert s.feasible == 2 and [x.unit for x in s.suggestions] == ["NEAR", "FAR"]
    assert s.suggestions[0].why == ("0.5 km from the children's school", "staff speak Punjabi", "waiting 12 days",
                                    "high risk")
    # fit = 10 + 0.1 * 12 + 1.5 * (4 * (1 - 0.5/10) + 3)
    assert 21.3 < s.suggestions[0].fit < 21.5
    assert s.suggestions[1].fit == 11.2
    assert list(s.ruled_out) == ["NO"] and [r.rule for r in s.ruled_out["NO"]] == ["lead"]
    assert s.counts == {"kind": 0, "size": 0, "lead": 1}
    assert solve(instance).objective.fit == s.suggestions[0].fit


def test_pool_reused_across_households_and_summary(kit):
    pool = UnitPool([kit.unit(f"U{i}", lat=52.6 + i * 0.01) for i in range(30)])
    near = kit.household(avoid=(Place(52.6, kit.LEICESTER[1], 8, "the perpetrator's home"),))
    s = suggest(pool, near, top=3)
    assert s.feasible + len(s.ruled_out) == 30 and len(s.suggestions) == 3
    assert s.summary() == [f"{len(s.ruled_out)} units too close to places to avoid"]
    assert suggest(pool, kit.household("H2"), top=0).feasible == 30


def test_ties_keep_pool_order(kit):
    pool = UnitPool([kit.unit("B"), kit.unit("A"), kit.unit("C")])
    assert [x.unit for x in suggest(pool, kit.household()).suggestions] == ["B", "A", "C"]


def test_invalid_household_raises(kit):
    bad = Household(id="H9", members=(Member(-2, "female"),))
    with pytest.raises(InstanceError) as err:
        suggest(UnitPool([kit.unit()]), bad)
    assert str(err.value.problems[0]) == "/households/0/members/0/age: must be an integer >= 0"
