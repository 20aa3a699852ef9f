"""Closing a case with a reason, reopening it, and repeat referrals across both."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from safehome.codes import AuditAction, CaseStatus, CloseReason, ReferralSource
from safehome.errors import Conflict, NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, Referral
from safehome.services import cases, referrals
from tests.helpers import post_form
from tests.journey_helpers import actor, make_household  # noqa: F401


@pytest.fixture
def worker(make_user):
    return make_user("housing_worker")


def test_close_records_why_and_reopen_clears_it(db, worker, make_household):
    household = make_household()
    cases.close_case(db.session, actor(worker), household.id, "moved_on", "settled in a council flat")
    db.session.commit()
    assert household.status == CaseStatus.CLOSED and household.close_reason == CloseReason.MOVED_ON
    assert household.closed_at is not None and household.reopened_at is None
    cases.reopen_case(db.session, actor(worker), household.id, "new threats")
    db.session.commit()
    assert household.status == CaseStatus.OPEN and household.closed_at is None and household.close_reason is None
    assert household.reopened_at is not None
    history = cases.status_history(db.session, household.id)
    assert [(h.status, h.reason) for h in history] == [(CaseStatus.CLOSED, CloseReason.MOVED_ON),
                                                       (CaseStatus.OPEN, None)]
    details = [e.detail for e in db.session.query(AuditEvent).filter_by(record_type="household",
                                                                         action=AuditAction.UPDATE)]
    assert details == ["case closed reason=moved_on", "case reopened"]


def test_illegal_moves_are_refused(db, worker, make_household):
    household = make_household()
    with pytest.raises(TransitionError, match="only a closed case"):
        cases.reopen_case(db.session, actor(worker), household.id)
    with pytest.raises(ValidationError) as no_reason:
        cases.close_case(db.session, actor(worker), household.id, None)
    assert set(no_reason.value.as_dict()) == {"reason"}
    with pytest.raises(ValidationError) as other:
        cases.close_case(db.session, actor(worker), household.id, "other", " ")
    assert set(other.value.as_dict()) == {"note"}
    cases.close_case(db.session, actor(worker), household.id, "lost_contact")
    with pytest.raises(TransitionError, match="already closed"):
        cases.close_case(db.session, actor(worker), household.id, "lost_contact")


def test_reopen_refused_while_another_case_of_the_reference_is_open(db, worker, make_household):
    old = make_household(reference="FVS-REPEAT1", status=CaseStatus.CLOSED)
    make_household(reference="FVS-REPEAT1")
    with pytest.raises(Conflict, match="same reference"):
        cases.reopen_case(db.session, actor(worker), old.id)


def test_a_referral_after_closing_still_counts_as_a_repeat(db, worker, make_household):
    household = make_household(reference="FVS-REPEAT2")
    first = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    db.session.add(Referral(household=household, reference="FVS-REPEAT2", source=ReferralSource.POLICE,
                            received_at=first))
    db.session.commit()
    cases.close_case(db.session, actor(worker), household.id, "no_longer_needed")
    cases.reopen_case(db.session, actor(worker), household.id)
    cases.close_case(db.session, actor(worker), household.id, "no_longer_needed")
    db.session.commit()
    assert referrals.is_repeat(db.session, "FVS-REPEAT2", datetime(2027, 2, 28, 9, 0, tzinfo=timezone.utc))
    assert not referrals.is_repeat(db.session, "FVS-REPEAT2", datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc))
    # cases closed are counted from the history, so both closes survive
    assert [h.status for h in cases.status_history(db.session, household.id)].count(CaseStatus.CLOSED) == 2


def test_pages_close_and_reopen(client, db, worker, make_household, login):
    household = make_household()
    login(worker)
    refused = post_form(client, f"/cases/{household.id}/close", {"reason": ""},
                        page=f"/cases/{household.id}/journey", follow=True).get_data(as_text=True)
    assert "reason: choose why the case is closed" in refused
    closed = post_form(client, f"/cases/{household.id}/close", {"reason": "out_of_area"},
                       page=f"/cases/{household.id}/journey", follow=True).get_data(as_text=True)
    assert "The case is closed." in closed and "Moved out of the area" in closed
    reopened = post_form(client, f"/cases/{household.id}/reopen", {"note": "back in the city"},
                         page=f"/cases/{household.id}/journey", follow=True).get_data(as_text=True)
    assert "The case is open again." in reopened
    db.session.refresh(household)
    assert household.status == CaseStatus.OPEN


@pytest.mark.parametrize("role, status", [
    ("housing_worker", 200), ("manager", 403), ("housing_options", 403), ("provider", 403),
    ("perpetrator_service", 403), ("admin", 403),
])
def test_api_close_per_role(client, make_household, make_user, token_for, role, status):
    household = make_household()
    response = client.post(f"/api/v1/households/{household.id}/close", headers=token_for(make_user(role)),
                           json={"reason": "declined"})
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["status"] == "closed" and response.get_json()["close_reason"] == "declined"


def test_api_reopen_and_bad_input(client, worker, make_household, token_for):
    household = make_household()
    headers = token_for(worker)
    assert client.post(f"/api/v1/households/{household.id}/close", headers=headers,
                       json={"reason": "nope"}).status_code == 422
    assert client.post(f"/api/v1/households/{household.id}/reopen", headers=headers, json={}).status_code == 409
    client.post(f"/api/v1/households/{household.id}/close", headers=headers, json={"reason": "declined"})
    reopened = client.post(f"/api/v1/households/{household.id}/reopen", headers=headers, json={"note": "back"})
    assert reopened.status_code == 200 and reopened.get_json()["close_reason"] is None
    assert client.post("/api/v1/households/424242/reopen", headers=headers, json={}).status_code == 404


def test_provider_cannot_close(db, make_household, make_user):
    with pytest.raises(NotFound):
        cases.close_case(db.session, actor(make_user("provider")), make_household().id, "declined")


def test_case_page_shows_the_journey_to_each_role_as_allowed(app, client, db, worker, make_household, make_user,
                                                            login):
    from safehome.services import housing_options

    household = make_household()
    housing_options.send_request(db.session, actor(worker), household.id, "private_rental")
    db.session.commit()
    login(worker)
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "Housing journey" in page and "Sanctuary installs" in page and "Help into a private rental" in page
    officer_client = app.test_client()
    login(make_user("housing_options"), the_client=officer_client)
    officer_page = officer_client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "Help into a private rental" in officer_page and "Sanctuary installs" not in officer_page

