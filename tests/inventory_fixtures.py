"""Factories for the inventory tests: sites and units made through the inventory service.

Import with ``from tests.inventory_fixtures import *  # noqa: F401,F403``.
"""
from __future__ import annotations

import itertools

import pytest

from safehome.services import SYSTEM, inventory

_n = itertools.count(1)
LEICESTER = (52.6369, -1.1398)


@pytest.fixture
def add_site(db, make_provider):
    """``add_site(provider, postcode="NG1 1AA")``: a live site housing victims (unless ``kind="perpetrator"``), at a
    point near Leicester unless ``lat``/``lon``."""

    def make(provider=None, *, name: str | None = None, postcode: str = "LE1 1AA", lat=LEICESTER[0],
             lon=LEICESTER[1], area: str | None = None, kind: str | None = None):
        site = inventory.create_site(db.session, SYSTEM, provider or make_provider(), inventory.SiteInput(
            name=name or f"Site {next(_n)}", postcode=postcode, line1="1 Test Street", town="Leicester",
            lat=lat, lon=lon, area=area, kind=kind))
        db.session.commit()
        return site

    return make


@pytest.fixture
def add_unit(db, add_site):
    """``add_unit(site, pets=["dog"], status="void")``: a unit with sensible defaults."""

    def make(site=None, **fields):
        data = {"name": f"Room {next(_n)}", "type": "refuge", "bedspaces": 3, "lead_genders": ["female"], **fields}
        unit = inventory.create_unit(db.session, SYSTEM, site or add_site(), data)
        db.session.commit()
        return unit

    return make
