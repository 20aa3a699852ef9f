"""The inventory service: providers, sites, units, status moves, history, the vacancy board, CSV, the map."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from safehome import crypto
from safehome.codes import AuditAction, UnitStatus
from safehome.errors import Conflict, NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, NamedArea, Provider, Site, Unit, UnitStatusChange
from safehome.services import SYSTEM, Actor, inventory, maps
from tests.inventory_fixtures import *  # noqa: F401,F403

S = UnitStatus
TODAY = date(2030, 6, 1)


def actor(user):
    return Actor(user=user, remote_addr="127.0.0.1")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def problems_of(exc) -> dict:
    return exc.value.as_dict()


# Status moves ----------------------------------------------------------------------

MANUAL_ALLOWED = {(S.AVAILABLE, S.VOID), (S.AVAILABLE, S.OUT_OF_USE), (S.VOID, S.AVAILABLE),
                  (S.VOID, S.OUT_OF_USE), (S.OUT_OF_USE, S.AVAILABLE), (S.OUT_OF_USE, S.VOID),
                  (S.OCCUPIED, S.VOID)}
PLACEMENT_ALLOWED = {(S.AVAILABLE, S.OFFERED), (S.AVAILABLE, S.OCCUPIED), (S.OFFERED, S.AVAILABLE),
                     (S.OFFERED, S.OCCUPIED), (S.OCCUPIED, S.VOID), (S.OCCUPIED, S.AVAILABLE)}
MOVES = [(a, b) for a in UnitStatus for b in UnitStatus if a != b]


def _unit_in(db, add_unit, status: UnitStatus):
    unit = add_unit(status="available")
    unit.status = status  # set directly: the test is about the next move
    db.session.commit()
    return unit


@pytest.mark.parametrize("old,new", MOVES, ids=[f"{a.value}->{b.value}" for a, b in MOVES])
def test_every_manual_move_is_allowed_or_refused(db, add_unit, make_user, old, new):
    unit = _unit_in(db, add_unit, old)
    before = count(db, UnitStatusChange)
    if (old, new) in MANUAL_ALLOWED:
        inventory.change_status(db.session, actor(make_user()), unit, new.value, today=TODAY)
        db.session.commit()
        assert unit.status == new
        change = db.session.scalars(select(UnitStatusChange).order_by(UnitStatusChange.id.desc())).first()
        assert (change.from_status, change.to_status, change.unit_id) == (old, new, unit.id)
        assert change.by_user_id is not None and change.at is not None
    else:
        with pytest.raises(TransitionError) as exc:
            inventory.change_status(db.session, SYSTEM, unit, new.value, today=TODAY)
        assert "status" in problems_of(exc)
        db.session.rollback()
        assert db.session.get(Unit, unit.id).status == old
        assert count(db, UnitStatusChange) == before


@pytest.mark.parametrize("old,new", MOVES, ids=[f"{a.value}->{b.value}" for a, b in MOVES])
def test_every_placement_move_is_allowed_or_refused(db, add_unit, old, new):
    unit = _unit_in(db, add_unit, old)
    if (old, new) in PLACEMENT_ALLOWED:
        inventory.change_status(db.session, SYSTEM, unit, new, by_placement=True, today=TODAY)
        assert unit.status == new
    else:
        with pytest.raises(TransitionError):
            inventory.change_status(db.session, SYSTEM, unit, new, by_placement=True, today=TODAY)


def test_void_with_frees_on_then_available_clears_it(db, add_unit):
    unit = add_unit()
    inventory.change_status(db.session, SYSTEM, unit, "void", TODAY + timedelta(days=3), "repairs", today=TODAY)
    assert (unit.status, unit.frees_on) == (S.VOID, TODAY + timedelta(days=3))
    inventory.change_status(db.session, SYSTEM, unit, "available", TODAY + timedelta(days=9), today=TODAY)
    assert (unit.status, unit.frees_on) == (S.AVAILABLE, None)


def test_same_status_changes_only_frees_on_and_writes_no_status_row(db, add_unit):
    unit = add_unit(status="void")
    rows = count(db, UnitStatusChange)
    inventory.change_status(db.session, SYSTEM, unit, "void", TODAY + timedelta(days=5), today=TODAY)
    assert unit.frees_on == TODAY + timedelta(days=5)
    assert count(db, UnitStatusChange) == rows


@pytest.mark.parametrize("frees_on,note,status,field", [
    (TODAY - timedelta(days=1), None, "void", "frees_on"),
    (None, "x" * 201, "void", "note"),
    (None, "bad\x00note", "void", "note"),
    (None, None, "gone", "status"),
])
def test_bad_status_input_names_the_field(db, add_unit, frees_on, note, status, field):
    unit = add_unit()
    with pytest.raises(ValidationError) as exc:
        inventory.change_status(db.session, SYSTEM, unit, status, frees_on, note, today=TODAY)
    assert field in problems_of(exc)


def test_status_change_is_compare_and_set(db, add_unit):
    unit = add_unit()
    # Another request moved the unit after this one read it.
    db.session.execute(Unit.__table__.update().where(Unit.id == unit.id).values(status="out_of_use"))
    with pytest.raises(Conflict):
        inventory.change_status(db.session, SYSTEM, unit, "void", today=TODAY)


def test_retired_unit_status_cannot_change(db, add_unit):
    unit = add_unit()
    inventory.retire_unit(db.session, SYSTEM, unit)
    with pytest.raises(Conflict):
        inventory.change_status(db.session, SYSTEM, unit, "void", today=TODAY)


# History: void days and turnaround ---------------------------------------------------

def _at(days: float) -> datetime:
    return datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(days=days)


def test_history_counts_void_days_and_turnaround(db, add_unit):
    unit = add_unit(status="occupied")
    steps = [("void", 10), ("available", 14), ("occupied", 20), ("void", 30), ("out_of_use", 31),
             ("void", 33), ("available", 40)]
    for status, _ in steps:
        inventory.change_status(db.session, SYSTEM, unit, status, by_placement=status == "occupied", today=TODAY)
    changes = db.session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id)
                                 .order_by(UnitStatusChange.id)).all()
    for change, day in zip(changes, [0] + [d for _, d in steps]):
        change.at = _at(day)
    db.session.commit()
    history = inventory.unit_history(db.session, unit, now=_at(50))
    # void 10->14 (4), 30->31 (1), 33->40 (7)
    assert history.void_days == 12.0
    # moved out at 10, available at 14; moved out at 30, available at 40
    assert history.turnarounds == [4.0, 10.0]
    assert history.mean_turnaround == 7.0
    assert [c.to_status for c in history.changes][:2] == [S.OCCUPIED, S.VOID]


def test_history_counts_a_current_void_to_now(db, add_unit):
    unit = add_unit(status="void")
    change = db.session.scalar(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id))
    change.at = _at(0)
    db.session.commit()
    history = inventory.unit_history(db.session, unit, now=_at(2.5))
    assert history.void_days == 2.5 and history.turnarounds == [] and history.mean_turnaround is None


# Units: create, edit, retire ---------------------------------------------------------

def test_create_unit_records_its_first_status(db, add_unit):
    unit = add_unit(status="void", frees_on=TODAY, pets=["dog", "cat", "dog"], weekly_cost=Decimal("120.50"))
    assert unit.pets == ["dog", "cat"]  # the list's order, once each
    first = db.session.scalar(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id))
    assert (first.from_status, first.to_status) == (None, S.VOID)


def test_create_unit_reports_every_bad_field_and_writes_nothing(db, add_site):
    site = add_site()
    before = count(db, Unit)
    with pytest.raises(ValidationError) as exc:
        inventory.create_unit(db.session, SYSTEM, site, {
            "name": "=SUM(A1)", "type": "castle", "bedspaces": 0, "bedrooms": True, "lead_genders": [],
            "max_male_age": 121, "pets": ["tiger"], "features": "wheelchair", "languages": ["klingon"],
            "weekly_cost": Decimal("1.234"), "frees_on": date(1999, 1, 1), "status": "offered"})
    assert set(problems_of(exc)) == {"name", "type", "bedspaces", "bedrooms", "lead_genders", "max_male_age",
                                     "pets", "features", "languages", "weekly_cost", "frees_on", "status"}
    db.session.rollback()
    assert count(db, Unit) == before


def test_unit_names_are_unique_on_a_site(db, add_site, add_unit):
    site = add_site()
    add_unit(site, name="Room 1")
    with pytest.raises(ValidationError) as exc:
        inventory.create_unit(db.session, SYSTEM, site, {"name": "Room 1", "type": "refuge", "bedspaces": 2,
                                                         "lead_genders": ["female"]})
    assert "name" in problems_of(exc)


def test_update_unit_changes_only_what_is_given(db, add_unit):
    unit = add_unit(bedspaces=3, pets=["dog"])
    inventory.update_unit(db.session, SYSTEM, unit, {"bedspaces": 5})
    assert unit.bedspaces == 5 and unit.pets == ["dog"]
    with pytest.raises(ValidationError) as exc:
        inventory.update_unit(db.session, SYSTEM, unit, {"status": "void"})
    assert "status" in problems_of(exc)


def test_retire_refused_while_occupied_or_offered(db, add_unit):
    unit = add_unit(status="occupied")
    with pytest.raises(Conflict):
        inventory.retire_unit(db.session, SYSTEM, unit)
    with pytest.raises(Conflict):
        inventory.retire_site(db.session, SYSTEM, unit.site)
    inventory.change_status(db.session, SYSTEM, unit, "void", today=TODAY)
    inventory.retire_site(db.session, SYSTEM, unit.site)
    db.session.commit()
    assert db.session.get(Unit, unit.id).retired_at is not None
    with pytest.raises(Conflict):
        inventory.update_unit(db.session, SYSTEM, unit, {"bedspaces": 2})


def test_retire_provider_retires_its_sites_and_units(db, add_unit, make_provider, add_site):
    provider = make_provider()
    unit = add_unit(add_site(provider))
    inventory.retire_provider(db.session, SYSTEM, provider)
    db.session.commit()
    assert db.session.get(Unit, unit.id).retired_at is not None
    assert db.session.get(Site, unit.site_id).retired_at is not None


# Providers and sites -------------------------------------------------------------------

def test_provider_names_are_unique_whatever_the_case(db, make_provider):
    make_provider("Safe Haven")
    with pytest.raises(ValidationError) as exc:
        inventory.create_provider(db.session, SYSTEM, {"name": "safe haven", "email": "not-an-email"})
    assert set(problems_of(exc)) == {"name", "email"}


def test_site_is_located_from_its_postcode_with_area_and_district(db, make_provider):
    site = inventory.create_site(db.session, SYSTEM, make_provider(),
                                 inventory.SiteInput(name="North", postcode="ng1 5ab"))
    assert (site.area, site.district) == ("Nottingham", "NG1")
    location = crypto.unseal(site.location)
    assert location["source"] == "district_centroid"
    assert 52.9 < location["lat"] < 53.0
    assert crypto.unseal(site.address)["postcode"] == "NG1 5AB"
    assert "NG1" not in repr(site) and "Nottingham" not in str(site.location)


def test_site_the_postcode_cannot_locate_asks_for_the_point(db, make_provider):
    provider = make_provider()
    with pytest.raises(ValidationError) as exc:
        inventory.create_site(db.session, SYSTEM, provider, inventory.SiteInput(name="Far", postcode="ZE1 0AA"))
    assert problems_of(exc) == {"lat": [inventory.NOT_LOCATED]}
    site = inventory.create_site(db.session, SYSTEM, provider, inventory.SiteInput(
        name="Far", postcode="ZE1 0AA", lat=60.15, lon=-1.15, area="Shetland Islands"))
    assert crypto.unseal(site.location)["source"] == "entered"


def test_a_failing_geocoder_never_blocks_the_save(db, make_provider):
    # No network here: the geocoder fails and the offline table answers.
    site = inventory.create_site(db.session, SYSTEM, make_provider(),
                                 inventory.SiteInput(name="Online", postcode="LE2 1AB"),
                                 geocoder="nominatim:http://127.0.0.1:9")
    assert crypto.unseal(site.location)["source"] == "district_centroid"


@pytest.mark.parametrize("data,fields", [
    ({"postcode": None}, {"postcode"}),
    ({"postcode": "not a postcode"}, {"postcode"}),
    ({"lat": 48.0, "lon": -1.1}, {"lat"}),
    ({"lat": 52.6, "lon": 3.0}, {"lon"}),
    ({"lat": 52.6}, {"lon"}),
    ({"lat": float("nan"), "lon": -1.1}, {"lat"}),
    ({"name": ""}, {"name"}),
    ({"line1": "x" * 121}, {"line1"}),
])
def test_bad_site_input_names_the_field(db, make_provider, data, fields):
    values = {"name": "A site", "postcode": "LE1 1AA", **data}
    with pytest.raises(ValidationError) as exc:
        inventory.create_site(db.session, SYSTEM, make_provider(), inventory.SiteInput(**values))
    assert set(problems_of(exc)) == fields
    db.session.rollback()
    assert count(db, Site) == 0


def test_update_site_with_a_new_postcode_moves_it(db, add_site):
    site = add_site(postcode="LE1 1AA")
    inventory.update_site(db.session, SYSTEM, site, inventory.SiteInput(postcode="NG1 1AA"))
    assert site.area == "Nottingham" and crypto.unseal(site.address)["line1"] == "1 Test Street"


def test_opening_an_address_is_audited_and_refused_without_address_view(db, add_site, make_user):
    site = add_site()
    worker, manager = make_user("housing_worker"), make_user("manager")
    opened = inventory.open_site_address(db.session, actor(worker), site)
    assert opened["postcode"] == "LE1 1AA" and "lat" in opened
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.VIEW_ADDRESS))
    assert (event.record_type, event.record_id, event.user_id) == ("site", site.id, worker.id)
    with pytest.raises(NotFound):
        inventory.open_site_address(db.session, actor(manager), site)


# Provider scoping -------------------------------------------------------------------------

def test_provider_user_sees_only_its_own_units(db, add_site, add_unit, make_provider, make_user):
    mine, theirs = make_provider(), make_provider()
    own = add_unit(add_site(mine))
    other = add_unit(add_site(theirs))
    user = make_user("provider", provider=mine)
    assert inventory.get_unit(db.session, actor(user), own.id) == own
    for get, record_id in ((inventory.get_unit, other.id), (inventory.get_site, other.site_id),
                           (inventory.get_provider, theirs.id)):
        with pytest.raises(NotFound):
            get(db.session, actor(user), record_id)
    assert [u.id for u in inventory.list_units(db.session, actor(user)).items] == [own.id]
    assert [p.id for p in inventory.list_providers(db.session, actor(user))] == [mine.id]
    board = inventory.vacancy_board(db.session, actor(user), inventory.BoardFilters(), today=TODAY)
    assert [u.id for u in board.units.items] == [own.id]


def test_units_list_is_by_provider_site_and_name_and_follows_renames(db, add_site, add_unit, make_provider):
    beta, alpha = make_provider(name="Beta Homes"), make_provider(name="Alpha Homes")
    beta_site, alpha_site = add_site(beta, name="A Site"), add_site(alpha, name="Z Site")
    units = [add_unit(alpha_site, name="Room 1"), add_unit(alpha_site, name="Room 2"), add_unit(beta_site)]
    retired = add_unit(beta_site)
    inventory.retire_unit(db.session, SYSTEM, retired)
    db.session.commit()

    def ids(**options):
        page = inventory.list_units(db.session, SYSTEM, **options)
        return [u.id for u in page.items], page.total

    assert ids() == ([u.id for u in units], 3)
    assert ids(page=2, per_page=2) == ([units[2].id], 3)
    assert ids(include_retired=True)[1] == 4
    assert ids(provider_id=beta.id) == ([units[2].id], 1)
    inventory.update_provider(db.session, SYSTEM, alpha, {"name": "Zeta Homes"})
    db.session.commit()
    assert ids() == ([units[2].id, units[0].id, units[1].id], 3)


@pytest.mark.parametrize("bad_id", [0, -1, 2**31, 2**63, True])
def test_impossible_ids_are_not_found(db, bad_id):
    with pytest.raises(NotFound):
        inventory.get_unit(db.session, SYSTEM, bad_id)


# The vacancy board ------------------------------------------------------------------------

def test_board_shows_free_now_then_soon_and_filters(db, add_site, add_unit):
    leicester, nottingham = add_site(), add_site(postcode="NG1 1AA", lat=52.95, lon=-1.15)
    now = add_unit(leicester, type="refuge", lead_genders=["female"], max_male_age=12, pets=["cat"])
    soon = add_unit(nottingham, type="dispersed", lead_genders=["female", "male"], status="void",
                    frees_on=TODAY + timedelta(days=5), features=["wheelchair", "nrpf"])
    add_unit(leicester, status="void", frees_on=TODAY + timedelta(days=30))  # too late
    add_unit(leicester, status="occupied")                                     # no date: not soon
    add_unit(leicester, status="out_of_use", frees_on=None)
    retired = add_unit(leicester)
    inventory.retire_unit(db.session, SYSTEM, retired)
    db.session.commit()

    def ids(**filters):
        board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(**filters), today=TODAY)
        return [u.id for u in board.units.items]

    assert ids() == [now.id, soon.id]
    assert ids(within_days=31)[-1] != now.id and len(ids(within_days=31)) == 3
    assert ids(types=("dispersed",)) == [soon.id]
    assert ids(area="Nottingham") == [soon.id]
    assert ids(lead_gender="male") == [soon.id]
    assert ids(boys_up_to=14) == [soon.id]
    assert ids(boys_up_to=12) == [now.id, soon.id]
    assert ids(pets=("cat",)) == [now.id]
    assert ids(features=("wheelchair", "nrpf")) == [soon.id]
    assert ids(features=("step_free",)) == []
    assert ids(min_bedspaces=4) == []
    board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(types=("refuge",)), today=TODAY)
    assert board.counts_by_type["refuge"] == 1 and board.counts_by_type["dispersed"] == 1  # type filter ignored
    assert board.units.total == 1


def test_board_pages(db, add_site, add_unit):
    site = add_site()
    for _ in range(5):
        add_unit(site)
    board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(), page=2, per_page=2, today=TODAY)
    assert board.units.total == 5 and len(board.units.items) == 2 and board.units.pages == 3


def test_board_loads_sites_in_the_same_query(db, add_site, add_unit, app):
    from sqlalchemy import event

    for _ in range(3):
        add_unit(add_site())
    db.session.expunge_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(), today=TODAY)
        names = [(u.site.name, u.site.provider.name, u.site.area) for u in board.units.items]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(names) == 3
    # The inventory's version (2), counts by type (and so the total), the page: none per unit.
    assert len(statements) == 4


def test_board_counts_are_kept_until_the_inventory_changes(db, add_site, add_unit, make_provider, make_user):
    """A filtered count reads every free unit, so it is kept; any change to a unit, another viewer's
    scope or another day counts again."""
    from sqlalchemy import event

    site = add_site()
    units = [add_unit(site) for _ in range(3)]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    women = inventory.BoardFilters(lead_gender="female")

    def refuges(who=SYSTEM, day=TODAY, filters=women) -> tuple[int, bool]:
        """The board's count of refuges, and whether the units were counted for it."""
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            board = inventory.vacancy_board(db.session, who, filters, today=day)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return board.counts_by_type["refuge"], any("GROUP BY units.type" in s for s in statements)

    assert refuges() == (3, True)
    assert refuges() == (3, False)
    assert refuges(filters=inventory.BoardFilters(lead_gender="female", types=("refuge",))) == (3, False)
    inventory.change_status(db.session, SYSTEM, units[0], "out_of_use")
    db.session.commit()
    assert refuges() == (2, True)
    add_unit(site)
    assert refuges() == (3, True)
    assert refuges(day=TODAY + timedelta(days=1)) == (3, True)
    assert refuges(filters=inventory.BoardFilters(lead_gender="male")) == (0, True)
    # Another provider's user has counts of their own, not the ones kept for the service.
    stranger = make_user("provider", provider=make_provider())
    assert refuges(actor(stranger)) == (0, True)
    assert refuges() == (3, False)
    # The board's areas and the units list's total are kept the same way; a new site is a new version.
    assert "Blaby" not in inventory.board_areas(db.session, SYSTEM)
    add_site(area="Blaby")
    assert "Blaby" in inventory.board_areas(db.session, SYSTEM)
    assert inventory.list_units(db.session, SYSTEM, status="available").total == 3
    inventory.change_status(db.session, SYSTEM, units[1], "out_of_use")
    db.session.commit()
    assert inventory.list_units(db.session, SYSTEM, status="available").total == 2


def test_board_orders_by_area_and_site_and_pages_across_free_now_and_soon(db, add_site, add_unit):
    nottingham = add_site(name="Beech House", postcode="NG1 1AA", lat=52.95, lon=-1.15)
    leicester_b, leicester_a = add_site(name="B Site"), add_site(name="A Site")
    expected = [add_unit(leicester_a, name="Room 2"), add_unit(leicester_b, name="Room 1"),
                add_unit(nottingham, name="Room 1")]
    expected += [add_unit(leicester_b, status="void", frees_on=TODAY + timedelta(days=1)),
                 add_unit(nottingham, status="occupied", frees_on=TODAY + timedelta(days=1)),
                 add_unit(leicester_a, status="out_of_use", frees_on=TODAY + timedelta(days=3))]
    expected.insert(0, add_unit(leicester_a, name="Room 1"))
    db.session.commit()

    def page(number: int) -> list[int]:
        board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(), page=number, per_page=3,
                                        today=TODAY)
        assert board.units.total == 7 and board.units.pages == 3
        return [u.id for u in board.units.items]

    # Page 2 holds the last unit free now and the first two freeing soon.
    assert page(1) + page(2) + page(3) == [u.id for u in expected]
    assert page(4) == []


def test_renaming_a_site_or_changing_its_area_moves_its_units_on_the_board(db, add_site, add_unit):
    first, second = add_site(name="A Site"), add_site(name="B Site")
    moved, stays = add_unit(first), add_unit(second)
    inventory.update_site(db.session, SYSTEM, first, inventory.SiteInput(name="C Site"))
    db.session.commit()

    def ids(**filters):
        board = inventory.vacancy_board(db.session, SYSTEM, inventory.BoardFilters(**filters), today=TODAY)
        return [u.id for u in board.units.items]

    assert ids() == [stays.id, moved.id]
    inventory.update_site(db.session, SYSTEM, first, inventory.SiteInput(area="Blaby"))
    db.session.commit()
    assert ids() == [moved.id, stays.id]
    assert ids(area="Blaby") == [moved.id]
    assert (moved.site_area, moved.site_name) == ("Blaby", "C Site")


# CSV import and export ----------------------------------------------------------------------

HEADER = ",".join(inventory.CSV_COLUMNS)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD = [
    "Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,12,cat;dog,step_free,urdu;english,95.50,available,",
    "Haven,Haven House,,,,,Room 2,refuge,2,1,female,,,,,0,void,2030-06-05",
    "New Start,Flat A,NG1 1AA,52.95,-1.15,Nottingham,A1,dispersed,4,2,female;male,,,wheelchair,,150,out_of_use,",
]


def test_csv_import_creates_providers_sites_and_units(db):
    result = inventory.import_units_csv(db.session, SYSTEM, csv_text(*GOOD), today=TODAY)
    db.session.commit()
    assert (result.units, result.sites, result.providers) == (3, 2, 2)
    room1 = db.session.scalar(select(Unit).where(Unit.name == "Room 1"))
    assert room1.pets == ["dog", "cat"] and room1.languages == ["english", "urdu"] and room1.max_male_age == 12
    assert room1.weekly_cost == Decimal("95.50") and room1.site.area == "Leicester"
    assert count(db, UnitStatusChange) == 3
    # A second file adds to the existing site found by name (any case), without a postcode.
    inventory.import_units_csv(db.session, SYSTEM, csv_text(
        "haven,HAVEN HOUSE,,,,,Room 3,refuge,1,1,female,,,,,0,available,"), today=TODAY)
    assert db.session.scalar(select(func.count()).select_from(Site)) == 2


BAD_ROWS = [
    ("Haven,Haven House,LE2 1AB,,,,Room 1,castle,3,1,female,,,,,0,available,", "type"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,three,1,female,,,,,0,available,", "bedspaces"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,0,1,female,,,,,0,available,", "bedspaces"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,,,,,,0,available,", "lead_genders"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,tiger,,,0,available,", "pets"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,-4,available,", "weekly_cost"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,offered,", "status"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,void,31/12/2030", "frees_on"),
    ("Haven,Haven House,,,,,Room 1,refuge,3,1,female,,,,,0,available,", "site_postcode"),
    ("Haven,Haven House,ZE1 0AA,,,,Room 1,refuge,3,1,female,,,,,0,available,", "site_lat"),
    ("Haven,Haven House,LE2 1AB,91,-1,,Room 1,refuge,3,1,female,,,,,0,available,", "site_lat"),
    ("Haven,Haven House,LE2 1AB,,,,,refuge,3,1,female,,,,,0,available,", "unit_name"),
    ("=HYPERLINK(1),Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,available,", "provider"),
    ("Haven," + "x" * 501 + ",LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,available,", "site"),
    ("Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1", "file"),
]


@pytest.mark.parametrize("row,column", BAD_ROWS, ids=[c for _, c in BAD_ROWS])
def test_csv_bad_row_names_row_and_column_and_writes_nothing(db, row, column):
    text = csv_text(GOOD[2], row)
    with pytest.raises(inventory.CsvImportError) as exc:
        inventory.import_units_csv(db.session, SYSTEM, text, today=TODAY)
    assert [(p.row, p.column) for p in exc.value.rows] == [(3, column)]
    assert f"row 3/{column}" in exc.value.as_dict()
    db.session.rollback()
    assert count(db, Unit) == count(db, Site) == count(db, Provider) == 0


def test_csv_reports_every_problem_at_once(db):
    rows = ["Haven,Haven House,LE2 1AB,,,,Room 1,castle,0,1,,,,,,0,available,",
            "Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,available,",
            "Haven,Haven House,LE2 1AB,,,,Room 1,refuge,3,1,female,,,,,0,available,"]
    with pytest.raises(inventory.CsvImportError) as exc:
        inventory.import_units_csv(db.session, SYSTEM, csv_text(*rows), today=TODAY)
    assert [(p.row, p.column) for p in exc.value.rows] == [
        (2, "type"), (2, "bedspaces"), (2, "lead_genders"), (3, "unit_name"), (4, "unit_name")]
    assert "row 2" in exc.value.rows[3].message


@pytest.mark.parametrize("text,column", [
    (b"\xff\xfe not utf-8", "file"),
    ("provider,site,unit_name,type,bedspaces\n", "lead_genders"),
    (HEADER + ",colour\n", "colour"),
    (HEADER + "\n", "file"),
    ('provider,site,unit_name,type,bedspaces,lead_genders\n"unclosed,a,b,c,d,e\n', "file"),
])
def test_csv_shape_problems(db, text, column):
    with pytest.raises(inventory.CsvImportError) as exc:
        inventory.import_units_csv(db.session, SYSTEM, text, today=TODAY)
    assert column in [p.column for p in exc.value.rows]


def test_csv_refuses_more_than_the_row_limit(db, monkeypatch):
    monkeypatch.setattr(inventory, "MAX_CSV_ROWS", 2)
    with pytest.raises(inventory.CsvImportError) as exc:
        inventory.import_units_csv(db.session, SYSTEM, csv_text(*GOOD), today=TODAY)
    assert [(p.row, p.column) for p in exc.value.rows] == [(4, "file")]


def test_csv_existing_unit_name_is_refused(db, add_site, add_unit, make_provider):
    site = add_site(make_provider("Haven"), name="Haven House")
    add_unit(site, name="Room 1")
    with pytest.raises(inventory.CsvImportError) as exc:
        inventory.import_units_csv(db.session, SYSTEM, csv_text(GOOD[0]), today=TODAY)
    assert [(p.row, p.column) for p in exc.value.rows] == [(2, "unit_name")]


def test_csv_import_of_ten_thousand_rows(db):
    # Its speed is measured in bench/, not timed here.
    rows = [f"Big,Block {i // 50},LE{1 + i % 9} 1AA,,,,Room {i},refuge,2,1,female,12,cat,step_free,english,80,available,"
            for i in range(10_000)]
    result = inventory.import_units_csv(db.session, SYSTEM, csv_text(*rows), today=TODAY)
    db.session.commit()
    assert result.units == 10_000 and result.sites == 200
    assert count(db, UnitStatusChange) == 10_000


def test_export_round_trips_and_hides_location_without_address_view(db, make_user):
    inventory.import_units_csv(db.session, SYSTEM, csv_text(*GOOD), today=TODAY)
    db.session.commit()
    manager, worker = make_user("manager"), make_user("housing_worker")
    plain = inventory.export_units_csv(db.session, actor(manager))
    header = next(csv.reader(io.StringIO(plain)))
    assert not set(inventory.CSV_LOCATION_COLUMNS) & set(header)
    full = inventory.export_units_csv(db.session, actor(worker))
    rows = list(csv.DictReader(io.StringIO(full)))
    assert len(rows) == 3 and rows[0]["site_postcode"] and rows[0]["site_lat"]
    exports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT)).all()
    assert [e.user_id for e in exports] == [manager.id, worker.id]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.VIEW_ADDRESS, AuditEvent.user_id == worker.id)) == 1
    # The export is the import's format: into a fresh database it reads back whole.
    db.session.execute(UnitStatusChange.__table__.delete())
    db.session.execute(Unit.__table__.delete())
    db.session.commit()
    result = inventory.import_units_csv(db.session, SYSTEM, full, today=TODAY)
    assert result.units == 3


# The map -------------------------------------------------------------------------------------

def test_map_draws_areas_and_dots_and_is_audited(db, add_site, add_unit, make_user):
    site = add_site(name="Haven <House>")
    add_unit(site)
    add_unit(site, status="void", frees_on=TODAY + timedelta(days=2))
    db.session.add(NamedArea(name="Leicester", kind="council", geometry={
        "type": "Polygon", "coordinates": [[[-1.2, 52.58], [-1.05, 52.58], [-1.05, 52.69], [-1.2, 52.69],
                                            [-1.2, 52.58]]]}))
    db.session.commit()
    worker = make_user("housing_worker")
    svg = maps.vacancy_map(db.session, actor(worker), inventory.BoardFilters(), today=TODAY)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert svg.count("<circle") == 1 and "map-dot-available" in svg
    assert "Haven &lt;House&gt; (Leicester): 1 available, 1 void (being made ready)" in svg
    assert "<title>Leicester (council)</title>" in svg and "<path" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.record_type == "map")).all()
    assert len(events) == 1 and events[0].action == AuditAction.VIEW_ADDRESS and events[0].user_id == worker.id
    with pytest.raises(NotFound):
        maps.vacancy_map(db.session, actor(make_user("manager")), inventory.BoardFilters(), today=TODAY)


def test_map_draws_only_the_sites_of_the_page_asked_for(db, add_site, add_unit, make_user, monkeypatch):
    first, second, third = add_site(name="A Site"), add_site(name="B Site"), add_site(name="C Site")
    for site in (first, second, third):
        add_unit(site)
    opened = []
    monkeypatch.setattr(maps.crypto, "unseal", lambda sealed: opened.append(sealed) or {"lat": 52.6, "lon": -1.1})
    worker = actor(make_user("housing_worker"))
    svg = maps.vacancy_map(db.session, worker, inventory.BoardFilters(), page=2, per_page=2, today=TODAY)
    assert svg.count("<circle") == 1 and "C Site (Leicester): 1 available" in svg and "A Site" not in svg
    assert "page 2 of 2" in svg
    assert len(opened) == 1  # one site's point opened, not every free unit's


def test_projection_is_british_national_grid():
    easting, northing = maps.to_grid(-1.1398, 52.6369)  # Leicester
    assert 455_000 < easting < 462_000 and 300_000 < northing < 307_000


def test_update_site_lines_or_area_keeps_an_entered_point(db, make_provider):
    site = inventory.create_site(db.session, SYSTEM, make_provider(), inventory.SiteInput(
        name="Far", postcode="ZE1 0AA", lat=60.15, lon=-1.15, area="Shetland Islands"))
    inventory.update_site(db.session, SYSTEM, site, inventory.SiteInput(line1="2 Harbour Road", area="Shetland"))
    assert crypto.unseal(site.location)["lat"] == 60.15 and site.area == "Shetland"
    assert crypto.unseal(site.address) == {"line1": "2 Harbour Road", "line2": None, "town": None,
                                           "postcode": "ZE1 0AA"}
    with pytest.raises(ValidationError) as exc:
        inventory.update_site(db.session, SYSTEM, site, inventory.SiteInput(area="=1+1"))
    assert "area" in problems_of(exc)
