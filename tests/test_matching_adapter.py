"""The engine adapter: rows to the engine's dataclasses, one set of rules for hand offers, suggestions, the pool."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import solver
from sqlalchemy import select

from safehome.codes import AuditAction, UnitStatus
from safehome.errors import ValidationError
from safehome.models import AuditEvent
from safehome.services import Actor, matching, placements
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER, TODAY

NOW = datetime(2030, 3, 2, 10, 0, tzinfo=timezone.utc)
NEAR = {"label": "perpetrator's home", "lat": LEICESTER[0] + 0.01, "lon": LEICESTER[1], "km": 10}


@pytest.fixture
def worker(make_user):
    return Actor(make_user("housing_worker"))


def test_adapter_builds_the_instance_a_person_would(db, make_household, make_unit, make_site, make_area):
    area = make_area(53.0, -1.2, name="Ward X")
    household = make_household(
        members=[(34, "female"), (13, "male"), (4, "female")], risk="high", pets=["dog"], needs=["step_free"],
        languages=["polish"], avoid=[NEAR], areas=[area],
        prefer=[{"label": "school", "lat": 52.6, "lon": -1.1, "km": 3, "weight": 2}])
    site = make_site(lat=52.7, lon=-1.3)
    unit = make_unit(site=site, type="supported", bedspaces=3, lead_genders=["female", "other"], max_male_age=15,
                     pets=["dog", "cat"], features=["step_free"], languages=["polish"])
    h = matching.household_for_engine(household, TODAY)
    assert h == solver.Household(
        id=f"H{household.id}",
        members=(solver.Member(34, "female"), solver.Member(13, "male"), solver.Member(4, "female")),
        risk="high", kind="victim", pets=("dog",), needs=("step_free",),
        unit_types=("dispersed", "emergency", "refuge", "supported"),
        avoid=(solver.Place(LEICESTER[0] + 0.01, LEICESTER[1], 10.0, "perpetrator's home"),),
        exclude_areas=(solver.Area(area.geometry, "Ward X"),),
        prefer=(solver.PreferPlace(52.6, -1.1, 3.0, 2.0, "school"),),
        languages=("polish",), waiting_since=household.waiting_since)
    assert matching.engine_unit_of(unit) == solver.Unit(
        id=f"U{unit.id}", type="supported", lat=52.7, lon=-1.3, bedspaces=3, lead_genders=("female", "other"),
        site=f"S{site.id}", max_male_age=15, pets=("dog", "cat"), features=("step_free",), languages=("polish",))


# A hand offer breaking each hard rule is refused, naming the rule in caseworker words ----------------

FAR = (53.2, -0.5)  # well over 10 km from Leicester


@pytest.mark.parametrize(("household_fields", "unit_fields", "words"), [
    ({"members": [(30, "female"), (5, "female"), (3, "male")]}, {"bedspaces": 2}, "Size"),
    ({"members": [(40, "male")]}, {"lead_genders": ["female"]}, "Lead person"),
    ({"members": [(35, "female"), (14, "male")]}, {"max_male_age": 12}, "male members"),
    ({"pets": ["dog"]}, {"pets": ["cat"]}, "Pets"),
    ({"needs": ["wheelchair"]}, {"features": ["step_free"]}, "Needs"),
    ({"avoid": [NEAR]}, {}, "place to avoid"),
    ({"areas": "here"}, {}, "area to keep out of"),
    ({}, {"type": "perpetrator"}, "Type of unit"),
    ({"unit_types": ["dispersed"]}, {"type": "refuge"}, "Type of unit"),
], ids=["size", "lead", "males", "pets", "needs", "distance", "areas", "kind", "unit_types"])
def test_hand_offer_breaking_a_hard_rule_is_refused(db, worker, make_household, make_unit, make_area,
                                                    household_fields, unit_fields, words):
    if household_fields.get("areas") == "here":
        household_fields = {"areas": [make_area(*LEICESTER)]}
    household = make_household(**household_fields)
    unit = make_unit(**unit_fields)
    with pytest.raises(ValidationError) as caught:
        placements.make_offer(db.session, worker, household.id, unit.id, now=NOW)
    assert words.lower() in caught.value.message.lower()
    assert "unit_id" in caught.value.as_dict()
    db.session.rollback()
    db.session.refresh(unit)
    assert unit.status == UnitStatus.AVAILABLE


def test_manager_cannot_override_a_hard_rule(db, make_user, make_household, make_unit):
    manager = Actor(make_user("manager"))
    household = make_household(pets=["dog"])
    unit = make_unit(pets=[])
    with pytest.raises(ValidationError, match="Pets"):
        placements.make_offer(db.session, manager, household.id, unit.id, now=NOW, override_reason="urgent")


def test_soft_preference_needs_a_manager_with_a_reason(db, worker, make_user, make_household, make_unit,
                                                       make_site):
    school = {"label": "school", "lat": FAR[0], "lon": FAR[1], "km": 3, "weight": 2}
    household = make_household(prefer=[school])
    near_school = make_unit(site=make_site(lat=FAR[0] + 0.001, lon=FAR[1]))
    far_from_school = make_unit()
    with pytest.raises(ValidationError) as caught:
        placements.make_offer(db.session, worker, household.id, far_from_school.id, now=NOW)
    assert "preferences" in caught.value.message and "override_reason" in caught.value.as_dict()
    db.session.rollback()
    manager = Actor(make_user("manager"))
    with pytest.raises(ValidationError):
        placements.make_offer(db.session, manager, household.id, far_from_school.id, now=NOW)  # no reason given
    db.session.rollback()
    placement = placements.make_offer(db.session, manager, household.id, far_from_school.id, now=NOW,
                                      override_reason="the mother asked for this town")
    db.session.commit()
    assert placement.override_reason and placement.overridden_by_id == manager.user_id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.OVERRIDE)).one()
    assert "preferences" in event.detail and "mother" not in event.detail
    # The unit that meets the preference needs no override.
    other = make_household(prefer=[school])
    assert placements.make_offer(db.session, worker, other.id, near_school.id, now=NOW).state.value == "offered"


# Suggestions ------------------------------------------------------------------------------------------

def test_suggestions_rank_and_group_the_rest(db, make_household, make_unit, make_site):
    household = make_household(members=[(30, "female"), (14, "male")], avoid=[NEAR])
    far = make_site(lat=FAR[0], lon=FAR[1])
    good = [make_unit(site=far) for _ in range(2)]
    for _ in range(3):
        make_unit(site=far, max_male_age=12)
    for _ in range(4):
        make_unit()  # in Leicester: too close to the place to avoid
    make_unit(site=far, status=UnitStatus.OCCUPIED)  # not free: not considered
    answer = matching.suggest(db.session, household)
    assert answer.feasible == 2 and answer.considered == 9
    assert {item.unit.id for item in answer.items} == {u.id for u in good}
    assert answer.summary == ("4 units too close to places to avoid", "3 units not taking a male member of this age")


def test_pool_is_cached_until_the_inventory_changes(db, make_household, make_unit):
    matching.forget_pools()
    make_unit()
    first = matching.free_unit_pool(db.session)
    assert matching.free_unit_pool(db.session) is first
    make_unit()
    second = matching.free_unit_pool(db.session)
    assert second is not first and len(second) == 2


def test_a_patched_pool_equals_one_built_whole(db, make_user, make_unit, make_site):
    """After each kind of inventory change, the pool patched in place holds exactly the units of a whole build."""
    from sqlalchemy import update

    from safehome.models import Unit
    from safehome.services import inventory

    worker = Actor(make_user("housing_worker"))
    site = make_site()
    units = [make_unit(site=site, pets=["dog"] if i % 2 else []) for i in range(4)]
    long_ago = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.execute(update(Unit).values(updated_at=long_ago))  # settled inventory: nothing changed lately
    db.session.commit()
    matching.forget_pools()
    matching.free_unit_pool(db.session)

    def late_commit():
        """A change whose updated_at is older than the newest one (its transaction committed later)."""
        newest = db.session.scalar(select(Unit.updated_at).order_by(Unit.updated_at.desc()).limit(1))
        db.session.execute(update(Unit).where(Unit.id == units[3].id)
                           .values(status=UnitStatus.VOID, updated_at=newest - timedelta(seconds=30)))

    changes = [
        lambda: inventory.change_status(db.session, worker, units[0], "void"),
        lambda: make_unit(site=site, languages=["pl"]),
        lambda: inventory.update_unit(db.session, worker, units[1], {"pets": []}),
        lambda: inventory.change_status(db.session, worker, units[0], "available"),
        lambda: inventory.retire_unit(db.session, worker, units[2]),
        late_commit,
        lambda: inventory.retire_site(db.session, worker, make_unit().site),
    ]
    for change in changes:
        change()
        db.session.commit()
        patched = matching.free_unit_pool(db.session)
        matching.forget_pools()
        whole = matching.free_unit_pool(db.session)
        assert patched is not whole and patched.units == whole.units
    assert [u.id for u in whole.units] == [matching.unit_key(units[0].id), matching.unit_key(units[1].id),
                                           whole.units[-1].id]
    assert whole.units[1].pets == ()


def test_engine_rejects_incomplete_household_as_field_problems(db, worker, make_household, make_unit):
    household = make_household(members=())
    with pytest.raises(ValidationError) as caught:
        matching.suggest(db.session, household)
    assert caught.value.problems


def test_waiting_since_in_the_future_does_not_break(db, make_household, make_unit):
    household = make_household(waiting_since=TODAY + timedelta(days=3))
    make_unit()
    assert matching.suggest(db.session, household).feasible == 1
