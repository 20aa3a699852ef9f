"""Confidential data is encrypted at rest: addresses, locations and places never sit in the clear."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from safehome import crypto
from safehome.config import new_data_key
from safehome.models import Household, Member, Provider, Site

SITE_ADDRESS = {"line1": "17 Granby Street", "line2": "Flat 3", "town": "Leicester", "postcode": "LE1 6EJ"}
SITE_POINT = {"lat": 52.634567, "lon": -1.129876}
HOME_ADDRESS = {"line1": "42 Narborough Road", "line2": "", "town": "Leicester", "postcode": "LE3 0BQ"}
HOME_POINT = {"lat": 52.621234, "lon": -1.151987}
AVOID = [{"label": "Ex-partner's workplace", "lat": 52.645432, "lon": -1.098765, "km": 5}]
PREFER = [{"label": "Kirby Primary School", "lat": 52.601111, "lon": -1.222222, "km": 3, "weight": 2}]

PLAINTEXT = ["Granby", "LE1 6EJ", "LE1", "52.634567", "1.129876", "Narborough", "LE3 0BQ", "52.621234",
             "1.151987", "partner", "52.645432", "1.098765", "Kirby", "52.601111", "1.222222", "postcode", "lat"]


def _raw_row_bytes(db, table: str, row_id: int) -> bytes:
    """Every column of the row, as the database holds it, in one byte string."""
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).one()
    parts = []
    for value in row:
        if isinstance(value, (bytes, bytearray, memoryview)):
            parts.append(bytes(value))
        else:
            parts.append(str(value).encode())
    return b"\x00".join(parts)


@pytest.fixture
def site(db):
    provider = Provider(name="Crypto test provider")
    site = Site(provider=provider, name="House A", area="Leicester", address=SITE_ADDRESS, location=SITE_POINT)
    db.session.add(site)
    db.session.commit()
    return site


@pytest.fixture
def household(db):
    household = Household(reference="FVS-000123", address=HOME_ADDRESS, home_location=HOME_POINT,
                           avoid=AVOID, prefer=PREFER)
    household.members.append(Member(position=0, birth_date=date(1990, 5, 1), gender="female"))
    db.session.add(household)
    db.session.commit()
    return household


def test_site_address_and_location_are_not_plaintext_in_the_row(db, site):
    raw = _raw_row_bytes(db, "sites", site.id)
    assert b"House A" in raw  # the row was read whole: its clear columns are there
    for needle in PLAINTEXT:
        assert needle.encode().lower() not in raw.lower(), needle


def test_household_places_are_not_plaintext_in_the_row(db, household):
    raw = _raw_row_bytes(db, "households", household.id)
    assert b"FVS-000123" in raw
    for needle in PLAINTEXT:
        assert needle.encode().lower() not in raw.lower(), needle


def test_sealed_columns_round_trip_through_the_database(db, site, household):
    site_id, household_id = site.id, household.id
    db.session.expunge_all()
    site = db.session.get(Site, site_id)
    household = db.session.get(Household, household_id)
    assert isinstance(site.address, crypto.Sealed)
    assert crypto.unseal(site.address) == SITE_ADDRESS
    assert crypto.unseal(site.location) == SITE_POINT
    assert crypto.unseal(household.address) == HOME_ADDRESS
    assert crypto.unseal(household.home_location) == HOME_POINT
    assert crypto.unseal(household.avoid) == AVOID
    assert crypto.unseal(household.prefer) == PREFER


def test_same_value_seals_differently_each_time(app):
    first, second = crypto.seal(SITE_POINT, "site.location"), crypto.seal(SITE_POINT, "site.location")
    assert first.token != second.token
    assert crypto.unseal(first) == crypto.unseal(second) == SITE_POINT


def test_a_sealed_value_moved_to_another_column_does_not_open(db, site):
    sealed = crypto.seal(SITE_ADDRESS, "site.address")
    with pytest.raises(crypto.SealError):
        crypto.unseal(crypto.Sealed(sealed.token, "household.address"))

    # The same through the database: copy the address bytes into the location column.
    db.session.execute(text("UPDATE sites SET location = address WHERE id = :id"), {"id": site.id})
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Site, site.id).location
    with pytest.raises(crypto.SealError):
        crypto.unseal(moved)


def test_a_tampered_value_does_not_open(app):
    sealed = crypto.seal(SITE_ADDRESS, "site.address")
    tampered = sealed.token[:-1] + bytes([sealed.token[-1] ^ 1])
    with pytest.raises(crypto.SealError):
        crypto.unseal(crypto.Sealed(tampered, "site.address"))


def test_a_value_does_not_open_with_another_key(app):
    sealed = crypto.seal(SITE_ADDRESS, "site.address")
    crypto.install_key(new_data_key())
    try:
        with pytest.raises(crypto.SealError):
            crypto.unseal(sealed)
    finally:
        crypto.install_key(app.config["SAFEHOME_DATA_KEY"])
    assert crypto.unseal(sealed) == SITE_ADDRESS


@pytest.mark.parametrize("bad_key", ["not base64 at all!", "c2hvcnQ=", ""])
def test_a_malformed_data_key_is_refused(app, bad_key):
    with pytest.raises(crypto.SealError):
        crypto.install_key(bad_key)


def test_sealed_prints_as_a_mask(db, site):
    for shown in (repr(site.address), str(site.location), f"{site.address}", f"{site!r}"):
        assert "Granby" not in shown and "52.63" not in shown
    assert str(site.address) == repr(site.location) == "<sealed>"
