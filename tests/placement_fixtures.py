"""Factories for the placement and matching tests: a small world of sites, units and households.

Rows are made directly (not through the inventory and referral services) so each
test states exactly the unit and household it is about. Import the fixtures with
``from tests.placement_fixtures import *  # noqa: F401,F403``.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from safehome.codes import CaseStatus, Gender, SiteKind, UnitStatus, UnitType
from safehome.models import Household, Member, NamedArea, Site, Unit

_n = itertools.count(1)
TODAY = date.today()
LEICESTER = (52.6369, -1.1398)


def years_ago(age: int) -> date:
    """A birth date making someone ``age`` today (well clear of a birthday)."""
    return TODAY - timedelta(days=int(age * 365.25) + 30)


@pytest.fixture
def make_site(db, make_provider):
    def make(provider=None, lat: float = LEICESTER[0], lon: float = LEICESTER[1], area: str = "Leicester",
             kind: SiteKind = SiteKind.VICTIM) -> Site:
        site = Site(provider_id=(provider or make_provider()).id, name=f"Site {next(_n)}", area=area, kind=kind,
                    address={"line1": "1 Test Street", "town": "Leicester", "postcode": "LE1 1AA"},
                    location={"lat": lat, "lon": lon})
        db.session.add(site)
        db.session.commit()
        return site

    return make


@pytest.fixture
def make_unit(db, make_site):
    """``make_unit(bedspaces=2, pets=["dog"])``: an available unit on a new site of its kind (or ``site=``)."""

    def make(site=None, **fields) -> Unit:
        values = {"type": UnitType.REFUGE, "bedspaces": 4, "bedrooms": 2, "lead_genders": ["female"],
                  "max_male_age": None, "pets": [], "features": [], "languages": [],
                  "status": UnitStatus.AVAILABLE}
        values.update(fields)
        site = site or make_site(kind=SiteKind.of(UnitType(values["type"])))
        unit = Unit(site_id=site.id, name=f"Room {next(_n)}", **values)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_household(db):
    """``make_household(members=[(34, "female"), (13, "male")], avoid=[...])``: an open case."""

    def make(members=((34, "female"),), *, avoid=(), prefer=(), areas=(), worker=None, **fields) -> Household:
        values = {"reference": f"REF{next(_n):05d}", "status": CaseStatus.OPEN, "pets": [], "needs": [],
                  "languages": [], "waiting_since": TODAY - timedelta(days=3)}
        values.update(fields)
        risk = values.pop("risk", None)
        household = Household(**values, avoid=list(avoid), prefer=list(prefer),
                              worker_id=worker.id if worker is not None else None)
        household.set_risk(16 if risk == "high" else None, False)
        household.members = [Member(position=i, birth_date=years_ago(age), gender=Gender(gender))
                             for i, (age, gender) in enumerate(members)]
        household.excluded_areas = list(areas)
        db.session.add(household)
        db.session.commit()
        return household

    return make


@pytest.fixture
def make_area(db):
    def make(lat: float, lon: float, half: float = 0.05, name: str | None = None) -> NamedArea:
        ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
                [lon - half, lat + half], [lon - half, lat - half]]
        area = NamedArea(name=name or f"Area {next(_n)}", kind="ward", geometry={"type": "Polygon", "coordinates": [ring]})
        db.session.add(area)
        db.session.commit()
        return area

    return make
