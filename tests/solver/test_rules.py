"""One tiny instance per hard rule, and the edges of each."""
from __future__ import annotations

import pytest
from geopy.distance import geodesic

from solver import (Area, Household, Instance, Member, Place, UnitPool, check, feasible_pairs, parse_instance, solve,
                    suggest)
from solver.io import instance_to_dict

LEICESTER = (52.636, -1.133)


def allowed(h, u) -> bool:
    return feasible_pairs(Instance((h,), (u,)))[h.id] == (u.id,)


def rules_broken(h, u) -> list[str]:
    s = suggest(UnitPool([u]), h)
    return [r.rule for r in s.ruled_out.get(u.id, ())]


@pytest.mark.parametrize("kind, unit_type, ok", [
    ("victim", "refuge", True), ("victim", "perpetrator", False),
    ("perpetrator", "perpetrator", True), ("perpetrator", "dispersed", False),
])
def test_kind_perpetrator(kind, unit_type, ok, kit):
    h = kit.household(kind=kind, members=((40, "male"),))
    u = kit.unit(type=unit_type)
    assert allowed(h, u) is ok
    assert rules_broken(h, u) == ([] if ok else ["kind"])


def test_unit_types_restrict(kit):
    h = kit.household(unit_types=("refuge",))
    assert allowed(h, kit.unit(type="refuge"))
    assert rules_broken(h, kit.unit(type="dispersed")) == ["kind"]


def test_size(kit):
    h = kit.household(members=((30, "female"), (5, "female"), (3, "male")))
    assert allowed(h, kit.unit(bedspaces=3))
    assert rules_broken(h, kit.unit(bedspaces=2)) == ["size"]


def test_lead_gender(kit):
    h = kit.household(members=((30, "male"),))
    assert rules_broken(h, kit.unit(lead_genders=("female",))) == ["lead"]
    assert allowed(h, kit.unit(lead_genders=("female", "male")))


@pytest.mark.parametrize("age, ok", [(12, True), (13, False)])
def test_boy_at_limit_accepted_one_year_older_not(age, ok, kit):
    h = kit.household(members=((30, "female"), (age, "male")))
    u = kit.unit(max_male_age=12, lead_genders=("female",))
    assert allowed(h, u) is ok


def test_male_limit_ignores_girls_and_no_limit(kit):
    h = kit.household(members=((30, "female"), (17, "female")))
    assert allowed(h, kit.unit(max_male_age=12))
    assert allowed(kit.household(members=((30, "female"), (17, "male"))), kit.unit(max_male_age=None))


def test_pets_and_needs(kit):
    h = kit.household(pets=("dog",), needs=("wheelchair",))
    assert allowed(h, kit.unit(pets=("dog", "cat"), features=("wheelchair",)))
    assert rules_broken(h, kit.unit(pets=("cat",), features=())) == ["pets", "needs"]


@pytest.mark.parametrize("bearing", [0, 37, 90, 200])
def test_geodesic_exactly_at_threshold(bearing, kit):
    """A unit exactly km away (as geopy computes it) is allowed; a hair further is needed otherwise."""
    place = (52.9, -1.2)
    dest = geodesic(kilometers=10).destination(place, bearing)
    u = kit.unit(lat=dest.latitude, lon=dest.longitude)
    exact = geodesic((u.lat, u.lon), place).km
    at = kit.household(avoid=(Place(place[0], place[1], exact),))
    beyond = kit.household(avoid=(Place(place[0], place[1], exact + 1e-12),))
    assert allowed(at, u)
    assert not allowed(beyond, u)
    assert rules_broken(beyond, u) == ["distance"]


def approximate_edge(bearing, kit, precision=3.0):
    """A unit about 13 km from a place, and (place, km) with km + precision exactly its geodesic distance."""
    u, place, exact = kit.edge(bearing)
    return u, place, kit.addend(exact, precision)


@pytest.mark.parametrize("bearing", [0, 37, 90, 200])
def test_precision_widens_the_distance_exactly(bearing, kit):
    """A unit exactly km + precision_km away is allowed; a hair more precision rules it out, everywhere."""
    u, place, km = approximate_edge(bearing, kit)
    at = kit.household(avoid=(Place(place[0], place[1], km, precision_km=3.0),))
    beyond = kit.household(avoid=(Place(place[0], place[1], km, precision_km=3.0 + 1e-12),))
    assert allowed(at, u) and rules_broken(at, u) == []
    assert not allowed(beyond, u) and rules_broken(beyond, u) == ["distance"]
    assert [b.rule for b in check(Instance((beyond,), (u,)), {"H1": u.id})] == ["distance"]
    assert solve(Instance((beyond,), (u,))).assignments == {"H1": None}
    assert solve(Instance((at,), (u,))).assignments == {"H1": u.id}


def test_precision_rules_out_a_unit_that_km_alone_allows(kit):
    """10 km from a place given to within 3 km: a unit 12 km away may be 9 km from the true place."""
    place = (52.9, -1.2)
    dest = geodesic(kilometers=12).destination(place, 90)
    u = kit.unit(lat=dest.latitude, lon=dest.longitude)
    exact_place = kit.household(avoid=(Place(*place, 10, "the perpetrator's home"),))
    approximate = kit.household(avoid=(Place(*place, 10, "the perpetrator's home", precision_km=3),))
    assert allowed(exact_place, u) and not allowed(approximate, u)
    assert str(suggest(UnitPool([u]), approximate).ruled_out[u.id][0]) == (
        "distance: 12.0 km from the perpetrator's home, needs at least 13 km (10 km + 3 km for an approximate place)")
    # The JSON form carries the precision both ways.
    data = instance_to_dict(Instance((approximate,), (u,)))
    assert data["households"][0]["avoid"][0]["precision_km"] == 3
    assert parse_instance(data).households[0].avoid[0] == approximate.avoid[0]
    assert solve(parse_instance(data)).assignments == {"H1": None}


def test_zero_km_avoid_allows_same_point(kit):
    assert allowed(kit.household(avoid=(Place(*LEICESTER, 0.0),)), kit.unit())


SQUARE = [[-1.2, 52.6], [-1.0, 52.6], [-1.0, 52.7], [-1.2, 52.7], [-1.2, 52.6]]
HOLE = [[-1.15, 52.62], [-1.05, 52.62], [-1.05, 52.68], [-1.15, 52.68], [-1.15, 52.62]]


@pytest.mark.parametrize("lon, lat, ok", [
    (-1.1, 52.65, False),  # inside
    (-1.0, 52.65, False),  # on the east edge counts as inside
    (-1.2, 52.6, False),  # on a corner
    (-0.9, 52.65, True),  # outside
])
def test_polygon_edge_counts_as_inside(lon, lat, ok, kit):
    h = kit.household(exclude_areas=(Area({"type": "Polygon", "coordinates": [SQUARE]}, "Leicester city"),))
    assert allowed(h, kit.unit(lat=lat, lon=lon)) is ok


def test_polygon_with_hole(kit):
    area = Area({"type": "Polygon", "coordinates": [SQUARE, HOLE]})
    h = kit.household(exclude_areas=(area,))
    assert allowed(h, kit.unit(lat=52.65, lon=-1.1))  # in the hole
    assert not allowed(h, kit.unit(lat=52.61, lon=-1.19))  # in the ring
    assert not allowed(h, kit.unit(lat=52.62, lon=-1.1))  # on the hole's edge


def test_multipolygon(kit):
    other = [[x + 0.5, y] for x, y in SQUARE]
    h = kit.household(exclude_areas=(Area({"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]}),))
    assert not allowed(h, kit.unit(lat=52.65, lon=-0.6))
    assert not allowed(h, kit.unit(lat=52.65, lon=-1.1))
    assert allowed(h, kit.unit(lat=52.65, lon=-0.8))


def test_reasons_are_worded_for_caseworkers(kit):
    h = kit.household(avoid=(Place(52.64, -1.13, 10, "the perpetrator's home"),),
                  exclude_areas=(Area({"type": "Polygon", "coordinates": [SQUARE]}, "Leicester city"),),
                  members=((30, "female"), (14, "male")))
    u = kit.unit(max_male_age=12, bedspaces=1)
    texts = [str(r) for r in suggest(UnitPool([u]), h).ruled_out[u.id]]
    assert texts[0] == "size: 1 bedspace for 2 people"
    assert texts[1] == "males: takes male members up to age 12; member 2 is 14"
    assert texts[2].startswith("distance: 0.") and texts[2].endswith("km from the perpetrator's home, needs at least 10 km")
    assert texts[3] == "areas: inside Leicester city"


def test_reasons_name_members_by_label_else_by_position(kit):
    """Every male over the limit, with his age; the lead person by label or as "the lead person"."""
    u = kit.unit(max_male_age=12, lead_genders=("female",))
    members = ((40, "male", "Ali"), (14, "male", "Sam"), (9, "male", None), (13, "male", None))
    h = Household("H1", tuple(Member(a, g, label) for a, g, label in members))
    texts = [str(r) for r in suggest(UnitPool([u]), h).ruled_out[u.id]]
    assert texts == ["lead: takes female lead persons only; Ali, the lead person, is male",
                     "males: takes male members up to age 12; Ali is 40 and Sam is 14 and member 4 is 13"]
    unlabelled = kit.household(members=((40, "male"),))
    assert [str(r) for r in suggest(UnitPool([u]), unlabelled).ruled_out[u.id]] == [
        "lead: takes female lead persons only; the lead person is male",
        "males: takes male members up to age 12; the lead person is 40"]
    # The label goes through the JSON form both ways, and check() words a breach the same.
    data = instance_to_dict(Instance((h,), (u,)))
    assert data["households"][0]["members"][1] == {"age": 14, "gender": "male", "label": "Sam"}
    assert "label" not in data["households"][0]["members"][2]
    assert parse_instance(data).households[0] == h
    assert [b.message for b in check(Instance((h,), (u,)), {"H1": u.id})] == [t.split(": ", 1)[1] for t in texts]


def test_unlabelled_reasons_name_the_entry(kit):
    h = kit.household(avoid=(Place(*LEICESTER, 5),))
    reason = suggest(UnitPool([kit.unit()]), h).ruled_out["U1"][0]
    assert (reason.rule, reason.ref) == ("distance", "avoid[0]")
    assert str(reason) == "distance: 0.0 km from avoid[0], needs at least 5 km"
