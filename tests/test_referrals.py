"""Taking referrals: new case, joining the open case, repeat referrals, and every problem named at once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, text

from safehome import UK_TIME, crypto
from safehome.codes import AuditAction, CaseStatus, Risk
from safehome.errors import ValidationError
from safehome.models import AuditEvent, Household, Member, NamedArea, Referral
from safehome.services import Actor, households, referrals
from tests.referral_data import RECEIVED, referral, take

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def _counts(db) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Household, Referral, Member))


def _fields(exc: ValidationError) -> set[str]:
    return {p.field for p in exc.problems}


def test_new_reference_opens_a_case(db, make_user):
    worker = make_user()
    intake = take(db, worker)
    household = db.session.get(Household, intake.household.id)
    assert not intake.joined and not intake.referral.is_repeat
    assert household.reference == "FVS-20250310" and household.status == CaseStatus.OPEN
    assert household.risk == Risk.HIGH and household.worker_id == worker.id
    assert [m.position for m in household.members] == [0, 1] and household.lead.name == "Alex"
    assert household.waiting_since == date(2025, 3, 10)
    assert household.equality == {"ethnicity": "white_other", "religion": "prefer_not_to_say"}
    places = households.household_places(household)
    assert places["address"]["postcode"] == "LE2 0AB"
    assert places["home"]["lat"] == pytest.approx(52.6, abs=0.1)
    assert [p["label"] for p in places["avoid"]] == ["Perpetrator's home", "His work"]
    assert places["avoid"][1] == {"label": "His work", "lat": 52.95, "lon": -1.15, "km": 5}
    assert places["prefer"][0]["weight"] == 4 and places["prefer"][0]["postcode"] == "LE3 9ZZ"
    actions = {(e.action, e.record_type) for e in db.session.scalars(select(AuditEvent))}
    assert {(AuditAction.CREATE, "household"), (AuditAction.CREATE, "referral")} <= actions


def test_reference_is_stored_in_capitals_and_same_person_joins_open_case(db, make_user):
    worker = make_user()
    first = take(db, worker, reference="fvs-77")
    second = take(db, worker, reference="  FVS-77 ", dash_score=3, marac=True,
                  received_at=datetime(2025, 3, 10, 11, 0, tzinfo=timezone.utc))
    assert second.joined and second.household.id == first.household.id
    assert db.session.scalar(select(func.count()).select_from(Household)) == 1
    household = db.session.get(Household, first.household.id)
    assert len(household.referrals) == 2 and household.marac and household.risk == Risk.HIGH
    assert second.referral.is_repeat and household.is_repeat


def test_closed_case_means_a_new_case_with_history(db, make_user):
    worker = make_user()
    first = take(db, worker)
    db.session.get(Household, first.household.id).status = CaseStatus.CLOSED
    db.session.commit()
    second = take(db, worker, received_at=datetime(2025, 3, 10, 11, 0, tzinfo=timezone.utc))
    assert not second.joined and second.household.id != first.household.id
    assert [h.id for h in referrals.history(db.session, worker, "fvs-20250310")] == [second.household.id,
                                                                                      first.household.id]


def test_two_open_cases_of_one_reference_are_refused_by_the_database(db, make_user):
    take(db, make_user())
    db.session.add(Household(reference="FVS-20250310", status=CaseStatus.OPEN))
    with pytest.raises(Exception) as caught:
        db.session.flush()
    assert "unique" in str(caught.value).lower()
    db.session.rollback()


def _repeat_after(db, user, earlier: datetime, later: datetime) -> bool:
    first = take(db, user, received_at=earlier, now=earlier)
    db.session.get(Household, first.household.id).status = CaseStatus.CLOSED
    db.session.commit()
    return take(db, user, received_at=later, now=later).referral.is_repeat


def _uk(y, m, d, hour=12) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=UK_TIME).astimezone(timezone.utc)


@pytest.mark.parametrize("earlier, later, repeat", [
    (_uk(2024, 3, 10), _uk(2025, 3, 10), True),            # exactly 12 months: a repeat
    (_uk(2024, 3, 10, 0), _uk(2025, 3, 10, 23), True),     # same UK day, any time
    (_uk(2024, 3, 9, 23), _uk(2025, 3, 10, 0), False),     # a day more than 12 months
    (_uk(2024, 9, 1), _uk(2025, 3, 10), True),             # well within
    (_uk(2023, 3, 10), _uk(2025, 3, 10), False),           # two years
    (_uk(2024, 2, 29), _uk(2025, 2, 28), True),            # leap day, 12 months later is 28 February
    (_uk(2024, 2, 29), _uk(2025, 3, 1), False),            # and 1 March is past it
    (_uk(2023, 2, 28), _uk(2024, 2, 29), True),            # from a leap day back: 28 February
    (_uk(2023, 2, 27), _uk(2024, 2, 29), False),
])
def test_repeat_is_calendar_twelve_months(db, make_user, earlier, later, repeat):
    assert _repeat_after(db, make_user(), earlier, later) is repeat


def test_twelve_months_before():
    assert referrals.twelve_months_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert referrals.twelve_months_before(date(2025, 1, 31)) == date(2024, 1, 31)


def test_another_reference_is_not_a_repeat(db, make_user):
    user = make_user()
    take(db, user)
    assert not take(db, user, reference="FVS-OTHER").referral.is_repeat


def test_every_problem_is_named_at_once_and_nothing_written(db, make_user):
    worker = make_user()
    before = _counts(db)
    bad = referral(
        reference="not a ref", source="carrier_pigeon", received_at=datetime(2025, 4, 1, tzinfo=timezone.utc),
        members=[{"name": "x" * 121, "birth_date": date(2015, 1, 1), "gender": "female"},
                 {"birth_date": date(1890, 1, 1), "gender": "dragon"}],
        dash_score=25, pets=["tiger"], needs=["jetpack"], languages=["english"], interpreter=True,
        address={"line1": "1 High St", "postcode": "ZZ99 9ZZ"}, tenure_at_entry="castle",
        avoid=[{"label": "", "km": 0.1}, {"label": "Work", "postcode": "not a postcode", "km": 300}],
        prefer=[{"label": "School", "lat": 40.0, "lon": -1.0, "km": 5, "weight": 9}],
        unit_types=["perpetrator"], equality={"sex": "robot", "favourite_colour": "blue"},
        excluded_area_ids=[999],
    )
    with pytest.raises(ValidationError) as caught:
        referrals.take_referral(db.session, Actor(worker), bad, now=NOW)
    db.session.rollback()
    assert _fields(caught.value) >= {
        "reference", "source", "received_at", "members/0/name", "members/0/birth_date", "members/1/birth_date",
        "members/1/gender", "dash_score", "pets/0", "needs/0", "languages", "address/postcode", "tenure_at_entry",
        "avoid/0/label", "avoid/0/km", "avoid/0/postcode", "avoid/1/postcode", "avoid/1/km", "prefer/0/lat",
        "prefer/0/weight", "unit_types/0", "equality/sex", "equality", "excluded_area_ids/0",
    }
    assert _counts(db) == before


def test_lead_of_16_is_allowed_but_15_is_refused(db, make_user):
    worker = make_user()
    sixteen = [{"name": None, "birth_date": date(2009, 3, 10), "gender": "female"}]
    assert take(db, worker, members=sixteen).household.lead.age_on(date(2025, 3, 10)) == 16
    fifteen = [{"name": None, "birth_date": date(2009, 3, 11), "gender": "female"}]
    with pytest.raises(ValidationError) as caught:
        referrals.take_referral(db.session, Actor(worker), referral(reference="FVS-2", members=fifteen), now=NOW)
    assert caught.value.problems[0].field == "members/0/birth_date"
    assert "16 or over" in caught.value.problems[0].message


def test_at_least_one_member_and_postcode_unless_no_fixed_abode(db, make_user):
    worker = make_user()
    with pytest.raises(ValidationError) as caught:
        referrals.take_referral(db.session, Actor(worker), referral(members=[], address=None), now=NOW)
    assert _fields(caught.value) == {"members", "address/postcode"}
    intake = take(db, worker, address=None, tenure_at_entry="nfa")
    assert intake.household.address is None and intake.household.home_location is None


def test_a_place_needs_a_postcode_or_a_point(db, make_user):
    with pytest.raises(ValidationError) as caught:
        referrals.take_referral(db.session, Actor(make_user()),
                                referral(avoid=[{"label": "Gym", "km": 2}, {"label": "Pub", "lat": 52.6, "km": 2}]),
                                now=NOW)
    assert _fields(caught.value) == {"avoid/0/postcode", "avoid/1/lon"}


def test_received_in_the_future_or_absurd_is_refused(db, make_user):
    for when in (datetime(2025, 3, 10, 12, 10, tzinfo=timezone.utc), datetime(1, 1, 1, tzinfo=timezone.utc),
                 datetime(9999, 12, 31, tzinfo=timezone.utc), datetime(2025, 3, 1)):
        with pytest.raises(ValidationError) as caught:
            referrals.take_referral(db.session, Actor(make_user()), referral(received_at=when), now=NOW)
        assert _fields(caught.value) == {"received_at"}


def test_received_defaults_to_now(db, make_user):
    intake = take(db, make_user(), received_at=None)
    assert intake.referral.received_at == NOW


def test_excluded_areas_are_linked(db, make_user):
    area = NamedArea(name="Charnwood", kind="council", geometry={"type": "Polygon", "coordinates": []})
    db.session.add(area)
    db.session.commit()
    intake = take(db, make_user(), excluded_area_ids=[area.id, area.id])
    assert [a.name for a in db.session.get(Household, intake.household.id).excluded_areas] == ["Charnwood"]


def test_sealed_columns_are_ciphertext_in_the_row(db, make_user):
    intake = take(db, make_user())
    row = db.session.execute(text("SELECT address, home_location, avoid, prefer FROM households WHERE id = :id"),
                             {"id": intake.household.id}).one()
    for value in row:
        raw = bytes(value)
        assert raw.startswith(crypto.current_header())  # sealed under the current data key
        for clear in (b"High Street", b"LE2", b"Perpetrator", b"School", b"52.", b"lat"):
            assert clear not in raw
