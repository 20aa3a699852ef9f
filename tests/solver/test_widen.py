"""What would widen the choice: each count checked by brute force, re-running suggest with the rule changed."""
from __future__ import annotations

import dataclasses
import random

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings, strategies as st

from solver import Area, DistanceStep, Household, Place, UnitPool, Widening, suggest
from solver.io import suggestions_to_dict

TYPES = ("refuge", "emergency", "supported", "dispersed", "move_on")


def square(lat: float, lon: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def random_case(kit, seed: int) -> tuple[Household, list]:
    """A household and 30-80 units within ~25 km where each changeable rule, and the others, can bite."""
    rng = random.Random(seed)

    def point():
        return 52.55 + rng.uniform(0, 0.25), -1.3 + rng.uniform(0, 0.35)
    units = []
    for j in range(rng.randint(30, 80)):
        lat, lon = point()
        units.append(kit.unit(f"U{j}", type=rng.choice(TYPES + ("perpetrator",)), lat=lat, lon=lon,
                              bedspaces=rng.randint(1, 4), max_male_age=rng.choice([None, 12, 16]),
                              pets=tuple(p for p in ("dog", "cat") if rng.random() < 0.5),
                              features=("wheelchair",) if rng.random() < 0.7 else ()))
    avoid = tuple(Place(*point(), km=rng.choice([3, 7.5, 12, 20]), label=rng.choice([None, "the perpetrator's home"]),
                        precision_km=rng.choice([0, 0, 1.5, 4])) for _ in range(rng.randint(0, 2)))
    if avoid and rng.random() < 0.3:
        avoid += (avoid[0],)  # the same place twice: lowering one alone lets nothing more in
    areas = tuple(Area(square(*point(), rng.uniform(0.02, 0.08)), rng.choice([None, "Leicester city"]))
                  for _ in range(rng.randint(0, 2)))
    pets = tuple(rng.choice(["dog", "cat", "dog"]) for _ in range(rng.randint(0, 2)))
    kind = "perpetrator" if rng.random() < 0.1 else "victim"
    types = None if rng.random() < 0.25 else tuple(rng.sample(TYPES, rng.randint(1, 3)))
    h = kit.household(members=((35, rng.choice(["female", "male"])),) + tuple(
                          (rng.randint(0, 17), rng.choice(["female", "male"])) for _ in range(rng.randint(0, 2))),
                      kind=kind, unit_types=("perpetrator",) if kind == "perpetrator" else types, pets=pets,
                      needs=("wheelchair",) if rng.random() < 0.3 else (), avoid=avoid, exclude_areas=areas)
    return h, units


def changed(h: Household, w: Widening, km: float | None = None) -> Household:
    """The household with the widening's one change made (for distance: the avoid entry's km set to `km`)."""
    if w.rule == "kind":
        return dataclasses.replace(h, unit_types=h.unit_types + (w.item,))
    if w.rule == "pets":
        return dataclasses.replace(h, pets=tuple(p for p in h.pets if p != w.item))
    k = int(w.item.split("[")[1][:-1])
    if w.rule == "areas":
        return dataclasses.replace(h, exclude_areas=h.exclude_areas[:k] + h.exclude_areas[k + 1:])
    avoid = list(h.avoid)
    avoid[k] = dataclasses.replace(avoid[k], km=km)
    return dataclasses.replace(h, avoid=tuple(avoid))


def check_by_brute_force(h: Household, pool: UnitPool) -> None:
    s = suggest(pool, h, top=0)
    more = {}
    for w in s.widening:
        if w.rule != "distance":
            more[w.rule, w.item] = suggest(pool, changed(h, w), top=0).feasible - s.feasible
            assert w.more == more[w.rule, w.item], (w, more)
            continue
        place = h.avoid[int(w.item[6:-1])]
        assert [x.km for x in w.steps] == sorted({x.km for x in w.steps}, reverse=True)
        assert all(x.km == int(x.km) and 0 <= x.km < place.km for x in w.steps)
        assert w.more == (w.steps[-1].more if w.steps else 0)
        before = 0
        for step in w.steps:
            assert suggest(pool, changed(h, w, step.km), top=0).feasible - s.feasible == step.more > before
            # the largest whole km that admits them: one km more lets in only the steps before
            above = step.km + 1
            if above < place.km:
                assert suggest(pool, changed(h, w, above), top=0).feasible - s.feasible == before
            before = step.more
        # below the last step nothing more fits
        lowest = w.steps[-1].km - 1 if w.steps else place.km - 1
        if lowest >= 0:
            assert suggest(pool, changed(h, w, lowest), top=0).feasible - s.feasible == before
    # Every changeable item is offered once, in the rules' order; nothing else is.
    allowed = [t for t in TYPES if h.kind == "victim"]
    expected = ([("kind", t) for t in allowed if t not in h.unit_types] if h.unit_types is not None else [])
    expected += [("pets", p) for p in dict.fromkeys(h.pets)]
    expected += [("distance", f"avoid[{i}]") for i in range(len(h.avoid))]
    expected += [("areas", f"exclude_areas[{i}]") for i in range(len(h.exclude_areas))]
    assert [(w.rule, w.item) for w in s.widening] == expected


@pytest.mark.parametrize("seed", range(25))
def test_every_count_is_what_re_running_suggest_gives(seed, kit):
    h, units = random_case(kit, seed)
    check_by_brute_force(h, UnitPool(units))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10 ** 9))
def test_every_count_is_exact_on_random_instances(kit, seed):
    h, units = random_case(kit, seed)
    check_by_brute_force(h, UnitPool(units))


def test_distance_steps_at_whole_kilometres(kit):
    """Units 47.3, 47.8, 30.6 and 5 km from the home, which must be 60 km away; one is also too small."""
    home = (52.9, -1.2)
    units = []
    for uid, km, beds in (("A", 47.3, 4), ("B", 47.8, 4), ("C", 30.6, 4), ("D", 5, 4), ("E", 40.2, 1), ("F", 75, 4)):
        there = geodesic(kilometers=km).destination(home, 90)
        units.append(kit.unit(uid, lat=there.latitude, lon=there.longitude, bedspaces=beds))
    h = kit.household(members=((30, "female"), (4, "male")), avoid=(Place(*home, 60, "the perpetrator's home"),))
    s = suggest(UnitPool(units), h)
    assert s.feasible == 1 and len(s.widening) == 1
    w = s.widening[0]
    assert (w.rule, w.item, w.label, w.more) == ("distance", "avoid[0]", "the perpetrator's home", 4)
    assert w.steps == (DistanceStep(47, 2), DistanceStep(30, 3), DistanceStep(5, 4))  # E is too small as well
    assert str(w) == "at 47 km from the perpetrator's home, 2 more units fit; at 30 km, 3 more; at 5 km, 4 more"
    # An approximate place: the km a caseworker sets is what is lowered; the precision stays.
    approx = kit.household(avoid=(Place(*home, 56, "the perpetrator's home", precision_km=4),))
    assert suggest(UnitPool(units), approx).widening[0].steps[:2] == (DistanceStep(43, 2), DistanceStep(36, 3))


def test_types_pets_areas_and_what_cannot_change(kit):
    city = Area(square(52.64, -1.13, 0.05), "Leicester city")
    h = kit.household(members=((30, "female"), (15, "male")), unit_types=("refuge",), pets=("dog", "cat", "dog"),
                      needs=("wheelchair",), exclude_areas=(city,))
    outside = dict(lat=52.8, lon=-1.4)
    units = [kit.unit("FLAT", type="dispersed", pets=("dog", "cat"), features=("wheelchair",), **outside),
             kit.unit("FLAT2", type="dispersed", pets=("cat",), features=("wheelchair",), **outside),
             kit.unit("ROOM", type="refuge", pets=("cat",), features=("wheelchair",), **outside),
             kit.unit("CITY", type="refuge", pets=("dog", "cat"), features=("wheelchair",)),
             kit.unit("STEP", type="refuge", pets=("dog", "cat"), **outside),
             kit.unit("BOYS", type="refuge", pets=("dog", "cat"), features=("wheelchair",), max_male_age=12,
                      **outside)]
    s = suggest(UnitPool(units), h)
    assert s.feasible == 0
    assert [str(w) for w in s.widening] == [
        "accepting emergency units: no more units fit", "accepting supported units: no more units fit",
        "accepting dispersed units: 1 more unit fits", "accepting move_on units: no more units fit",
        "placing the dog elsewhere: 1 more unit fits", "placing the cat elsewhere: no more units fit",
        "dropping the area Leicester city: 1 more unit fits"]
    # FLAT2 breaks two changeable rules (type and dog): it counts under neither; STEP (needs) and BOYS (males)
    # break rules a caseworker cannot change.
    data = suggestions_to_dict(s)["widening"]
    assert data[2] == {"rule": "kind", "item": "dispersed", "label": "dispersed", "more": 1,
                       "text": "accepting dispersed units: 1 more unit fits"}
    assert data[-1]["item"] == "exclude_areas[0]" and "steps" not in data[-1]


def test_json_distance_steps(kit):
    home = (52.9, -1.2)
    there = geodesic(kilometers=12.5).destination(home, 0)
    h = kit.household(avoid=(Place(*home, 20),))
    data = suggestions_to_dict(suggest(UnitPool([kit.unit(lat=there.latitude, lon=there.longitude)]), h))
    assert data["widening"] == [{"rule": "distance", "item": "avoid[0]", "label": "avoid[0]", "more": 1,
                                 "text": "at 12 km from avoid[0], 1 more unit fits", "steps": [{"km": 12, "more": 1}]}]


@pytest.mark.parametrize("bearing", [0, 37, 90, 200])
def test_a_unit_exactly_at_a_whole_step(bearing, kit):
    """g = 10 km + precision_km to the last bit: admitted at 10 km; with a hair more precision, only at 9."""
    u, place, g = kit.edge(bearing)
    precision = kit.addend(g, 10)
    for extra, step in ((0.0, 10), (1e-12, 9)):
        h = kit.household(avoid=(Place(*place, 20, precision_km=precision + extra),))
        w = suggest(UnitPool([u]), h).widening[0]
        assert w.steps == (DistanceStep(step, 1),)
        assert suggest(UnitPool([u]), changed(h, w, step)).feasible == 1
        assert suggest(UnitPool([u]), changed(h, w, step + 1)).feasible == 0
