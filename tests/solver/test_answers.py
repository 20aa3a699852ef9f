"""Every unit's own answer for one household: its distances from the household's places."""
from __future__ import annotations

import math

import pytest

from solver import Instance, Place, PlaceDistance, PreferPlace, UnitPool, suggest
from solver.io import suggestions_to_dict


def haversine_km(lat1, lon1, lat2, lon2):
    """The contract's great circle, written out: a sphere of radius 6371.0088 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_distances_from_every_place_for_every_unit(kit):
    home = Place(52.64, -1.13, 10, "the perpetrator's home", precision_km=2)
    school = PreferPlace(52.70, -1.20, 5, 3, "the children's school")
    h = kit.household(avoid=(home, Place(52.9, -1.5, 3)), prefer=(school,), pets=("dog",))
    units = [kit.unit(f"U{i}", lat=52.6 + 0.05 * i, lon=-1.1 - 0.04 * i, pets=("dog",) if i % 2 else ())
             for i in range(8)]
    s = suggest(UnitPool(units), h, top=3)
    assert len(s.distances) == 8 and set(s.distances) == {u.id for u in units}  # fitting or not
    for u in units:
        got = s.distances[u.id]
        assert [(d.ref, d.label, d.limit_km) for d in got] == [
            ("avoid[0]", "the perpetrator's home", 12), ("avoid[1]", "avoid[1]", 3),
            ("prefer[0]", "the children's school", 5)]
        for d, (lat, lon) in zip(got, [(52.64, -1.13), (52.9, -1.5), (52.70, -1.20)]):
            assert d.km == pytest.approx(haversine_km(u.lat, u.lon, lat, lon), abs=1e-9)
        too_close = [r.ref for r in s.ruled_out.get(u.id, ()) if r.rule == "distance"]
        assert [d.ref for d in got[:2] if not d.ok] == too_close  # the rule's own verdict
        assert got[2].ok is (got[2].km <= 5)
    for x in s.suggestions:
        assert x.distances == s.distances[x.unit]


def test_distances_with_no_places_and_unknown_units(kit):
    s = suggest(UnitPool([kit.unit()]), kit.household())
    assert s.distances["U1"] == () and s.suggestions[0].distances == ()
    with pytest.raises(KeyError):
        s.distances["U9"]


def test_json_gives_every_unit_distances(kit):
    h = kit.household(avoid=(Place(52.64, -1.13, 1),), prefer=(PreferPlace(52.7, -1.2, 5, 1),))
    units = (kit.unit("A"), kit.unit("B", lat=52.7, lon=-1.2))
    data = suggestions_to_dict(suggest(Instance((h,), units), "H1"))
    assert set(data["distances"]) == {"A", "B"}
    assert data["distances"]["B"] == {"avoid[0]": round(haversine_km(52.7, -1.2, 52.64, -1.13), 3),
                                      "prefer[0]": 0.0}
    assert isinstance(suggest(Instance((h,), units), "H1").distances["A"][0], PlaceDistance)
