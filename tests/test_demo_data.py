"""The demo-data command: a synthetic world of every role, unit type and household shape."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from safehome import crypto, passwords
from safehome.codes import CaseStatus, Gender, Role, UnitType
from safehome.models import Household, NamedArea, Provider, Referral, Site, Unit, User, household_excluded_areas
from safehome.services import demo


@pytest.fixture(autouse=True)
def no_demo_password_env(monkeypatch):
    monkeypatch.delenv("SAFEHOME_DEMO_PASSWORD", raising=False)
    return monkeypatch


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _load(runner, *args):
    result = runner.invoke(args=["demo-data", *args])
    assert result.exit_code == 0, result.output
    return result


def _open_households(db) -> list[Household]:
    return list(db.session.scalars(select(Household).where(Household.status == CaseStatus.OPEN)
                                   .options(selectinload(Household.members), selectinload(Household.referrals))))


def test_demo_data_builds_every_role_unit_type_and_household_shape(runner, db):
    result = _load(runner)
    assert f"demo logins (password: {demo.DEMO_PASSWORD})" in result.output
    assert "worker@demo.safehome.test" in result.output

    users = list(db.session.scalars(select(User)))
    assert {user.role for user in users} == set(Role)
    assert sum(user.role == Role.PROVIDER for user in users) == 2
    assert all(passwords.verify(user.password_hash, demo.DEMO_PASSWORD) for user in users)
    assert all(user.provider_id is not None for user in users if user.role == Role.PROVIDER)

    assert 120 <= _count(db, Unit) <= 200
    assert {unit_type for unit_type in db.session.scalars(select(Unit.type).distinct())} == set(UnitType)
    refuge_sizes = db.session.execute(select(func.count()).select_from(Unit).where(Unit.type == UnitType.REFUGE)
                                      .group_by(Unit.site_id)).scalars().all()
    assert min(refuge_sizes) >= 4 and max(refuge_sizes) <= 10
    refuges = list(db.session.scalars(select(Unit).where(Unit.type == UnitType.REFUGE)))
    assert {u.max_male_age for u in refuges if u.lead_genders == ["female"]} <= {12, 14, 16}
    assert any(u.lead_genders == ["male"] for u in refuges)
    assert any("other" in u.lead_genders for u in refuges)
    assert any("dog" in u.pets for u in refuges) and any("cat" in u.pets for u in refuges)

    households = _open_households(db)
    assert 40 <= len(households) <= 60
    today = date.today()

    def ages(h, gender=None):
        return [m.age_on(today) for m in h.members if gender is None or m.gender == gender]

    shapes = {
        "woman with a teenage son": lambda h: h.lead.gender == Gender.FEMALE
        and any(13 <= age <= 17 for age in ages(h, Gender.MALE)),
        "man alone": lambda h: h.lead.gender == Gender.MALE and len(h.members) == 1,
        "older lead with a second adult": lambda h: h.lead.age_on(today) > 60
        and any(age >= 18 for age in ages(h)[1:]),
        "household with a dog": lambda h: "dog" in h.pets,
        "lead aged 17": lambda h: h.lead.age_on(today) == 17,
        "no recourse to public funds": lambda h: "nrpf" in h.needs,
    }
    for name, test in shapes.items():
        assert any(test(h) for h in households), name
    assert all(h.referrals and h.referrals[0].reference.startswith("FVS-") for h in households)
    assert any(h.marac for h in households) and {h.dash_score for h in households} - {None}
    assert _count(db, household_excluded_areas) > 0
    assert any("prefer_not_to_say" in h.equality.values() for h in households)
    assert all(h.waiting_since is not None for h in households)

    closed = _count(db, Household, Household.status == CaseStatus.CLOSED)
    assert closed == demo.CLOSED_CASES_PER_SCALE
    assert _count(db, Referral, Referral.is_repeat.is_(True)) > 0
    assert _count(db, NamedArea) >= 20


def test_demo_data_is_idempotent_and_if_empty_respects_existing_data(runner, db):
    _load(runner)
    before = {model.__name__: _count(db, model) for model in (User, Provider, Site, Unit, Household, NamedArea)}
    again = _load(runner)
    assert "nothing to do: demo data is already loaded" in again.output
    assert _load(runner, "--if-empty").output.strip().endswith("nothing to do: the database already has users")
    assert {model.__name__: _count(db, model) for model in (User, Provider, Site, Unit, Household, NamedArea)} == before


def test_if_empty_does_nothing_when_someone_already_uses_the_system(runner, db, make_user):
    make_user("admin")
    assert "nothing to do" in _load(runner, "--if-empty").output
    assert _count(db, Unit) == 0 and _count(db, User) == 1


def test_scale_multiplies_units_and_cases(runner, db):
    _load(runner, "--scale", "2")
    single_scale_sites = demo.SITES_PER_SCALE
    assert _count(db, Site) == 2 * single_scale_sites
    assert 2 * 120 <= _count(db, Unit) <= 2 * 200
    assert _count(db, Household, Household.status == CaseStatus.OPEN) == 2 * demo.OPEN_CASES_PER_SCALE
    assert _count(db, Household, Household.status == CaseStatus.CLOSED) == 2 * demo.CLOSED_CASES_PER_SCALE


def test_each_unit_keeps_its_sites_and_providers_names(runner, db):
    """The copies the vacancy board sorts by agree with the site and provider they copy."""
    _load(runner)
    rows = db.session.execute(text(
        "SELECT units.site_area, sites.area, units.site_name, sites.name, units.provider_name, providers.name "
        "FROM units JOIN sites ON sites.id = units.site_id JOIN providers ON providers.id = sites.provider_id")).all()
    assert rows and all(r[0] == r[1] and r[2] == r[3] and r[4] == r[5] for r in rows)


def test_confidential_columns_are_ciphertext_in_the_raw_rows(runner, db):
    _load(runner)
    raw_site = db.session.execute(text("SELECT address, location FROM sites ORDER BY id LIMIT 1")).one()
    raw_household = db.session.execute(text(
        "SELECT address, home_location, avoid, prefer FROM households WHERE address IS NOT NULL ORDER BY id LIMIT 1")).one()
    for value in (*raw_site, *raw_household):
        blob = bytes(value)
        assert b"Example" not in blob and b"lat" not in blob and b"label" not in blob and b"Street" not in blob
    site = db.session.scalar(select(Site).order_by(Site.id).limit(1))
    address = crypto.unseal(site.address)
    assert address["postcode"].startswith(site.district + " ")
    location = crypto.unseal(site.location)
    assert 51.8 <= location["lat"] <= 53.7
    household = db.session.scalar(select(Household).where(Household.address.is_not(None)).order_by(Household.id).limit(1))
    assert crypto.unseal(household.avoid)[0]["label"] == "Perpetrator's home"


def test_demo_data_is_refused_in_production(runner, db, app):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "never loaded in production" in result.output
    assert _count(db, User) == 0


def test_demo_password_from_the_environment(runner, db, no_demo_password_env):
    no_demo_password_env.setenv("SAFEHOME_DEMO_PASSWORD", "a different demo password")
    result = _load(runner)
    assert "password: from SAFEHOME_DEMO_PASSWORD" in result.output
    assert "a different demo password" not in result.output
    worker = db.session.scalar(select(User).where(User.email == "worker@demo.safehome.test"))
    assert passwords.verify(worker.password_hash, "a different demo password")
