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


def test_each_unit_answers_for_itself(kit):
    """A fitting unit: its fit, rank and parts, as in the suggestions; any other: every rule it breaks."""
    h = kit.household(members=((30, "female"), (14, "male")), avoid=(Place(52.64, -1.13, 5, "the perpetrator's home"),),
                      prefer=(PreferPlace(52.9, -1.2, 30, 2, "work"),), languages=("Polish",))
    units = [kit.unit("CLOSE", max_male_age=12), kit.unit("FAR1", lat=52.9, lon=-1.2, bedspaces=2),
             kit.unit("FAR2", lat=52.8, lon=-1.2, languages=("Polish",)), kit.unit("FAR3", lat=52.85, lon=-1.25)]
    s = suggest(UnitPool(units), h, top=2)
    assert len(s.units) == 4 and list(s.units) == ["CLOSE", "FAR1", "FAR2", "FAR3"]
    close = s.units["CLOSE"]
    assert not close.fits and close.fit is None and close.rank is None and close.parts == ()
    assert close.reasons == s.ruled_out["CLOSE"] and [r.rule for r in close.reasons] == ["males", "distance"]
    assert close.distances == s.distances["CLOSE"]
    answers = sorted((s.units[u] for u in ("FAR1", "FAR2", "FAR3")), key=lambda a: a.rank)
    assert [a.rank for a in answers] == [1, 2, 3] and all(a.fits and a.reasons == () for a in answers)
    for a, x in zip(answers, s.suggestions):
        assert (a.unit, a.fit, a.parts, a.distances) == (x.unit, x.fit, x.parts, x.distances)
    assert round(sum(p.points for p in answers[2].parts), 2) == answers[2].fit
    with pytest.raises(KeyError):
        s.units["NOPE"]


def test_a_page_of_answers_words_only_its_own_units(kit, monkeypatch):
    """Reasons are worded on demand: answering 3 units of 2,000 words 3 units' reasons, not 2,000."""
    from solver import reasons

    worded = []
    real = reasons._message
    monkeypatch.setattr(reasons, "_message", lambda h, b, u, km: worded.append(u.id) or real(h, b, u, km))
    units = [kit.unit(f"U{i}", lat=52.6 + i * 1e-4) for i in range(2000)]
    h = kit.household(avoid=(Place(52.6, kit.LEICESTER[1], 50, "the perpetrator's home"),), pets=("dog",))
    s = suggest(UnitPool(units), h)
    assert s.feasible == 0 and worded == []
    page = [s.units[u] for u in ("U0", "U7", "U1999")]
    assert sorted(set(worded)) == ["U0", "U1999", "U7"]
    assert [str(r) for r in page[1].reasons][0] == "pets: does not take dog"
