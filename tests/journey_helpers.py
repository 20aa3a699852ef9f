"""Factories for the housing-journey tests (sanctuary, Housing Options, move-on, outcomes, cases).

Import the fixtures by name into a test module: ``from tests.journey_helpers import make_household``.
"""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from safehome.services import Actor

_n = itertools.count(1)


def actor(user) -> Actor:
    return Actor(user=user, remote_addr="127.0.0.1")


@pytest.fixture
def make_household(db):
    """``make_household(dash_score=12)``: an open case with one adult, committed."""
    from safehome.codes import CaseStatus, Gender, Tenure
    from safehome.models import Household, Member

    def make(*, reference: str | None = None, dash_score: int | None = 12, status=CaseStatus.OPEN,
             address: dict | None = None):
        household = Household(reference=reference or f"FVS-{next(_n):05d}", status=status,
                              tenure_at_entry=Tenure.SOCIAL_RENT_COUNCIL,
                              address=address or {"line1": "1 Secret Street", "town": "Leicester", "postcode": "LE2 0AB"})
        household.set_risk(dash_score, False)
        household.members = [Member(position=0, name="Alex Example", birth_date=date(1990, 5, 1), gender=Gender.FEMALE)]
        db.session.add(household)
        db.session.commit()
        return household

    return make


@pytest.fixture
def make_stay(db, make_provider):
    """``make_stay(household, "refuge", date(2026, 3, 28))``: the household moved into a new unit that day."""
    from safehome.codes import PlacementState, UnitStatus, UnitType
    from safehome.models import Placement, Site, Unit

    def make(household, unit_type: str = "refuge", moved_in_on: date = date(2026, 1, 5)):
        site = Site(provider_id=make_provider().id, name=f"Site {next(_n)}", area="Leicester",
                    address={"line1": "99 Hidden Refuge Road", "town": "Leicester", "postcode": "LE1 1AA"},
                    location={"lat": 52.63, "lon": -1.13})
        unit = Unit(site=site, name=f"Room {next(_n)}", type=UnitType(unit_type), bedspaces=3,
                    status=UnitStatus.OCCUPIED)
        placement = Placement(household_id=household.id, unit=unit, state=PlacementState.MOVED_IN,
                              moved_in_on=moved_in_on)
        db.session.add_all([site, unit, placement])
        db.session.commit()
        return placement

    return make
