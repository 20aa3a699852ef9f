"""Housing Options: sending, the queue, answers and decisions, scoping and audit, days to answer."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from safehome.codes import AuditAction, HousingOptionsKind, HousingOptionsState, OtherHousingSolution
from safehome.errors import NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, HousingOptionsRequest
from safehome.services import housing_options as ho
from safehome.services.timeliness import today_uk
from tests.helpers import post_form
from tests.journey_helpers import actor, make_household, make_stay  # noqa: F401

H = HousingOptionsState
TODAY = today_uk()  # a request is sent now, so its answers are dated from today
SECRETS = ["Secret Street", "LE2 0AB", "Hidden Refuge Road", "LE1 1AA"]


@pytest.fixture
def worker(make_user):
    return make_user("housing_worker")


@pytest.fixture
def officer(make_user):
    return make_user("housing_options")


def _send(db, worker, household, kind="homelessness_application", **kwargs):
    request = ho.send_request(db.session, actor(worker), household.id, kind, **kwargs)
    db.session.commit()
    return request


@pytest.mark.parametrize("current", list(H))
@pytest.mark.parametrize("wanted", [H.CONFIRMED, H.REFUSED, H.WITHDRAWN])
def test_every_move_is_allowed_or_refused(db, worker, officer, make_household, current, wanted):
    request = _send(db, worker, make_household())
    if current in (H.CONFIRMED, H.REFUSED):
        ho.answer(db.session, actor(officer), request.id, current.value, TODAY, "because",
                  today=TODAY)
    elif current == H.WITHDRAWN:
        ho.withdraw(db.session, actor(worker), request.id)

    def move():
        if wanted == H.WITHDRAWN:
            return ho.withdraw(db.session, actor(worker), request.id)
        return ho.answer(db.session, actor(officer), request.id, wanted.value, TODAY, "reason",
                         today=TODAY)

    if wanted in ho.TRANSITIONS[current]:
        assert move().state == wanted
    else:
        with pytest.raises(TransitionError) as refused:
            move()
        assert f"'{current.label}'" in refused.value.message and f"'{wanted.label}'" in refused.value.message


def test_send_names_every_problem(db, worker, make_household):
    household = make_household()
    with pytest.raises(ValidationError) as refused:
        ho.send_request(db.session, actor(worker), household.id, "other", None, "x" * 201, "x" * 2001)
    assert set(refused.value.as_dict()) == {"other_solution", "other_detail", "note"}
    with pytest.raises(ValidationError) as bad_kind:
        ho.send_request(db.session, actor(worker), household.id, "palace")
    assert set(bad_kind.value.as_dict()) == {"kind"}


@pytest.mark.parametrize("solution, detail, problems", [
    (None, "Moved in with her sister", {"other_solution"}),  # the detail alone is not enough: the code is counted
    ("palace", None, {"other_solution"}),
    ("other", "  ", {"other_detail"}),  # "other" says what, in the worker's words
    ("family_friends", None, set()),
    ("other", "Lodging with a colleague", set()),
])
def test_another_housing_solution_says_which_by_its_code(db, worker, make_household, solution, detail, problems):
    household = make_household()
    if problems:
        with pytest.raises(ValidationError) as refused:
            ho.send_request(db.session, actor(worker), household.id, "other", solution, detail)
        assert set(refused.value.as_dict()) == problems
        assert db.session.query(HousingOptionsRequest).count() == 0
    else:
        request = _send(db, worker, household, "other", other_solution=solution, other_detail=detail)
        assert (request.other_solution, request.other_detail) == (OtherHousingSolution(solution), detail)


def test_the_other_kinds_keep_no_solution_or_detail(db, worker, make_household):
    request = _send(db, worker, make_household(), "housing_transfer", other_solution="family_friends",
                    other_detail="ignored")
    assert (request.other_solution, request.other_detail) == (None, None)


def test_confirming_may_say_which_other_solution_was_secured(db, worker, officer, make_household):
    asked = _send(db, worker, make_household(), "other", other_solution="family_friends")
    transfer = _send(db, worker, make_household(), "housing_transfer")
    for request, outcome, solution, problem in (
            (asked, "confirmed", "palace", "choose which other housing solution"),
            (asked, "refused", "supported_housing", "is said only when confirming"),
            (transfer, "confirmed", "supported_housing", "only a request for another housing solution has one")):
        with pytest.raises(ValidationError) as refused:
            ho.answer(db.session, actor(officer), request.id, outcome, TODAY, "why", other_solution=solution,
                      today=TODAY)
        assert refused.value.as_dict() == {"other_solution": [problem]}
    assert (asked.state, transfer.state) == (H.REQUESTED, H.REQUESTED)
    ho.answer(db.session, actor(officer), asked.id, "confirmed", TODAY, None, other_solution="supported_housing",
              today=TODAY)
    assert asked.other_solution == OtherHousingSolution.SUPPORTED_HOUSING
    kept = _send(db, worker, make_household(), "other", other_solution="out_of_area_refuge")
    ho.answer(db.session, actor(officer), kept.id, "confirmed", TODAY, None, today=TODAY)
    assert kept.other_solution == OtherHousingSolution.OUT_OF_AREA_REFUGE  # as asked for


def test_the_pages_and_the_api_carry_the_code(client, db, worker, officer, make_household, login, token_for, app):
    household = make_household()
    login(worker)
    bad = post_form(client, f"/housing-options/households/{household.id}/send", {"kind": "other"},
                    page=f"/cases/{household.id}/journey", follow=True)
    assert "other solution: choose which other housing solution" in bad.get_data(as_text=True)
    sent = post_form(client, f"/housing-options/households/{household.id}/send",
                     {"kind": "other", "other_solution": "family_friends", "other_detail": "Her sister's flat"},
                     page=f"/cases/{household.id}/journey")
    assert sent.status_code == 303
    request = db.session.query(HousingOptionsRequest).one()
    assert request.other_solution == OtherHousingSolution.FAMILY_FRIENDS
    officer_client = app.test_client()
    login(officer, the_client=officer_client)
    page = officer_client.get(f"/housing-options/{request.id}").get_data(as_text=True)
    assert "Living with family or friends (Her sister&#39;s flat)" in page and 'name="other_solution"' in page
    post_form(officer_client, f"/housing-options/{request.id}/answer",
              {"outcome": "confirmed", "on": TODAY.isoformat(), "other_solution": "home_with_sanctuary"},
              page=f"/housing-options/{request.id}")
    db.session.expire_all()
    assert db.session.get(HousingOptionsRequest, request.id).other_solution == OtherHousingSolution.HOME_WITH_SANCTUARY
    headers = token_for(worker)
    url = f"/api/v1/households/{household.id}/housing-options-requests"
    refused = client.post(url, headers=headers, json={"kind": "other", "other_solution": "castle"})
    assert refused.status_code == 422 and set(refused.get_json()["errors"]["json"]) == {"other_solution"}
    made = client.post(url, headers=headers, json={"kind": "other", "other_solution": "other", "other_detail": "x"})
    assert made.status_code == 201 and made.get_json()["other_solution"] == "other"


def test_one_waiting_request_per_kind_and_none_for_a_closed_case(db, worker, make_household):
    household = make_household()
    _send(db, worker, household)
    with pytest.raises(TransitionError, match="already waiting"):
        _send(db, worker, household)
    assert _send(db, worker, household, "housing_transfer").kind == HousingOptionsKind.HOUSING_TRANSFER
    with pytest.raises(TransitionError, match="closed"):
        _send(db, worker, make_household(status="closed"))


def test_refusal_needs_a_reason_and_dates_are_checked(db, worker, officer, make_household):
    request = _send(db, worker, make_household())
    with pytest.raises(ValidationError) as refused:
        ho.answer(db.session, actor(officer), request.id, "refused", TODAY + timedelta(days=5), None, today=TODAY)
    assert set(refused.value.as_dict()) == {"on", "reason"}
    with pytest.raises(ValidationError) as early:
        ho.answer(db.session, actor(officer), request.id, "confirmed", date(2020, 1, 1), None, today=TODAY)
    assert early.value.as_dict() == {"on": ["cannot be before the case was sent"]}


def test_decisions_follow_an_answer(db, worker, officer, make_household):
    request = _send(db, worker, make_household())
    with pytest.raises(TransitionError, match="confirmed or refused"):
        ho.record_decision(db.session, actor(officer), request.id, "relief_duty", TODAY, today=TODAY)
    ho.answer(db.session, actor(officer), request.id, "confirmed", TODAY, None, today=TODAY)
    ho.record_decision(db.session, actor(officer), request.id, "relief_duty", TODAY, today=TODAY)
    ho.record_decision(db.session, actor(officer), request.id, "main_duty", TODAY, "accepted", today=TODAY)
    assert [d.decision.value for d in request.decisions] == ["relief_duty", "main_duty"]
    with pytest.raises(ValidationError) as other:
        ho.record_decision(db.session, actor(officer), request.id, "other", TODAY, today=TODAY)
    assert set(other.value.as_dict()) == {"note"}


@pytest.mark.parametrize("sent_utc, answered, days", [
    # 23:30 UTC on 24 Oct 2026 is 00:30 on 25 Oct in London (BST ends that night): a London day of 25 Oct.
    (datetime(2026, 10, 24, 23, 30, tzinfo=timezone.utc), date(2026, 10, 26), 1),
    # 00:30 UTC on 29 Mar 2026 is 00:30 GMT; the clocks go forward at 01:00 UTC: still the 29th.
    (datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc), date(2026, 3, 31), 2),
    # 23:30 UTC on 28 Feb 2028 is 23:30 GMT: the 28th; 29 Feb counts as a day.
    (datetime(2028, 2, 28, 23, 30, tzinfo=timezone.utc), date(2028, 3, 1), 2),
    (datetime(2026, 6, 30, 23, 1, tzinfo=timezone.utc), date(2026, 7, 1), 0),  # 00:01 BST on 1 July: same day
])
def test_days_to_answer_are_london_calendar_days(db, worker, officer, make_household, sent_utc, answered, days):
    request = _send(db, worker, make_household())
    request.requested_at = sent_utc
    db.session.commit()
    ho.answer(db.session, actor(officer), request.id, "confirmed", answered, None, today=date(2028, 12, 31))
    assert ho.days_to_answer(request) == days


# Scoping, audit and the pages ----------------------------------------------------------

def test_officer_sees_only_cases_sent(client, db, worker, officer, make_household, login):
    sent, not_sent = make_household(), make_household()
    request = _send(db, worker, sent)
    login(officer)
    assert client.get(f"/cases/{not_sent.id}/journey").status_code == 404
    assert client.get(f"/api/v1/households/{not_sent.id}/housing-options-requests").status_code == 404
    page = client.get(f"/cases/{sent.id}/journey")
    assert page.status_code == 200 and "Homelessness application" in page.get_data(as_text=True)
    if client.application.url_map.bind("").test(f"/households/{sent.id}", "GET"):
        assert client.get(f"/households/{not_sent.id}").status_code == 404
        case_page = client.get(f"/households/{sent.id}").get_data(as_text=True)
        assert not any(secret in case_page for secret in SECRETS)
    detail = client.get(f"/housing-options/{request.id}")
    queue = client.get("/housing-options/")
    for response in (page, detail, queue):
        assert not any(secret in response.get_data(as_text=True) for secret in SECRETS)
    # no address anywhere, not even behind the case API
    assert client.get(f"/api/v1/households/{sent.id}?include=places").status_code in (200, 403)
    api = client.get(f"/api/v1/households/{sent.id}?include=places").get_data(as_text=True)
    assert not any(secret in api for secret in SECRETS)


def test_officer_never_sees_the_refuge_the_household_is_in(client, db, worker, officer, make_household, make_stay,
                                                          login):
    household = make_household()
    make_stay(household)
    _send(db, worker, household)
    login(officer)
    for url in (f"/cases/{household.id}/journey", "/housing-options/?show=all",
                f"/api/v1/households/{household.id}/housing-options-requests", "/api/v1/housing-options/requests",
                f"/api/v1/households/{household.id}"):
        text = client.get(url).get_data(as_text=True)
        assert not any(secret in text for secret in SECRETS), url
    assert client.get(f"/api/v1/households/{household.id}/move-on-plans").status_code == 404


def test_every_view_by_an_officer_is_audited(client, db, worker, officer, make_household, login):
    request = _send(db, worker, make_household())
    login(officer)
    client.get("/housing-options/")
    client.get(f"/housing-options/{request.id}")
    client.get(f"/api/v1/housing-options/requests/{request.id}")
    views = db.session.query(AuditEvent).filter_by(user_id=officer.id, action=AuditAction.VIEW_CASE).all()
    assert [(v.record_type, v.record_id) for v in views] == [
        ("housing_options_queue", None), ("household", request.household_id), ("household", request.household_id)]


def test_the_worker_sees_the_answer_on_the_case(client, db, worker, officer, make_household, login, app):
    household = make_household()
    login(worker)
    sent = post_form(client, f"/housing-options/households/{household.id}/send",
                     {"kind": "housing_transfer", "note": "needs a move across the city"},
                     page=f"/cases/{household.id}/journey")
    assert sent.status_code == 303
    request = db.session.query(HousingOptionsRequest).one()
    officer_client = app.test_client()
    login(officer, the_client=officer_client)
    queue = officer_client.get("/housing-options/").get_data(as_text=True)
    assert household.reference in queue
    answered = post_form(officer_client, f"/housing-options/{request.id}/answer",
                         {"outcome": "refused", "on": TODAY.isoformat(), "reason": ""}, page=f"/housing-options/{request.id}",
                         follow=True)
    assert "reason: say why the request is refused" in answered.get_data(as_text=True)
    post_form(officer_client, f"/housing-options/{request.id}/answer",
              {"outcome": "confirmed", "on": TODAY.isoformat(), "reason": "transfer agreed"},
              page=f"/housing-options/{request.id}")
    post_form(officer_client, f"/housing-options/{request.id}/decisions",
              {"decision": "transfer_approved", "decided_on": TODAY.isoformat()}, page=f"/housing-options/{request.id}")
    journey = client.get(f"/cases/{household.id}/journey").get_data(as_text=True)
    assert f"Confirmed on {TODAY:%d %b %Y}: transfer agreed" in journey and "Management transfer approved" in journey


@pytest.mark.parametrize("role, queue, send, answer", [
    ("housing_worker", 403, 201, 403),
    ("housing_options", 200, 403, 200),
    ("manager", 403, 403, 403),
    ("provider", 403, 403, 403),
    ("perpetrator_service", 403, 403, 403),
    ("admin", 403, 403, 403),
])
def test_api_per_role(client, db, worker, make_household, make_user, token_for, role, queue, send, answer):
    household = make_household()
    request = _send(db, worker, household)
    headers = token_for(make_user(role))
    assert client.get("/api/v1/housing-options/requests", headers=headers).status_code == queue
    assert client.post(f"/api/v1/households/{household.id}/housing-options-requests", headers=headers,
                       json={"kind": "private_rental"}).status_code == send
    response = client.post(f"/api/v1/housing-options/requests/{request.id}/answer", headers=headers,
                           json={"outcome": "confirmed", "on": TODAY.isoformat()})
    assert response.status_code == answer
    if answer == 200:
        assert response.get_json()["state"] == "confirmed" and response.get_json()["days_to_answer"] is not None


def test_api_bad_input_names_the_field(client, db, worker, officer, make_household, token_for):
    request = _send(db, worker, make_household())
    headers = token_for(officer)
    bad = client.post(f"/api/v1/housing-options/requests/{request.id}/answer", headers=headers,
                      json={"outcome": "maybe", "on": "soon", "colour": "red"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"outcome", "on", "colour"}
    missing = client.get("/api/v1/housing-options/requests/999999", headers=headers)
    assert missing.status_code == 404
    client.post(f"/api/v1/housing-options/requests/{request.id}/answer", headers=headers,
                json={"outcome": "refused", "on": TODAY.isoformat(), "reason": "not eligible"})
    again = client.post(f"/api/v1/housing-options/requests/{request.id}/answer", headers=headers,
                        json={"outcome": "confirmed", "on": TODAY.isoformat()})
    assert again.status_code == 409 and "'Refused'" in again.get_json()["message"]


def test_provider_cannot_reach_requests(db, worker, make_household, make_user):
    request = _send(db, worker, make_household())
    with pytest.raises(NotFound):
        ho.get_request(db.session, actor(make_user("provider")), request.id)


def test_access_clause_scopes_the_case_list(db, worker, officer, make_household):
    from sqlalchemy import select

    from safehome.models import Household
    from safehome.services import access

    sent, _ = make_household(), make_household()
    _send(db, worker, sent)
    seen = db.session.scalars(select(Household.id).where(access.household_scope(officer))).all()
    assert seen == [sent.id]


def test_the_queue_page_lists_what_the_queue_holds(db, worker, officer, make_household, make_user):
    first, second = _send(db, worker, make_household()), _send(db, worker, make_household(), "housing_transfer")
    answered = _send(db, worker, make_household())
    ho.answer(db.session, actor(officer), answered.id, "refused", TODAY, "no duty", today=TODAY)
    later = TODAY + timedelta(days=3)
    for state in (H.REQUESTED, None):
        requests = ho.queue(db.session, actor(officer), state).items
        lines = ho.queue_lines(db.session, actor(officer), state, today=later).items
        assert [line.id for line in lines] == [r.id for r in requests]
        assert [line.reference for line in lines] == [r.household.reference for r in requests]
        assert [line.days for line in lines] == [ho.days_waiting(r, later) for r in requests]
    assert [(line.id, line.days) for line in lines] == [(first.id, 3), (second.id, 3), (answered.id, 0)]
    with pytest.raises(NotFound):
        ho.queue_lines(db.session, actor(make_user("provider")), H.REQUESTED)


def test_the_queue_api_runs_as_many_statements_for_three_requests_as_for_one(client, db, worker, officer,
                                                                              make_household, token_for):
    from sqlalchemy import event

    headers = token_for(officer)

    def decided_request():
        request = _send(db, worker, make_household())
        ho.answer(db.session, actor(officer), request.id, "confirmed", TODAY, None, today=TODAY)
        ho.record_decision(db.session, actor(officer), request.id, "transfer_approved", TODAY, today=TODAY)
        db.session.commit()

    def statements() -> tuple[int, int]:
        client.get("/api/v1/housing-options/requests", headers=headers)  # warm: the token's first use writes
        seen = []
        count = lambda *args: seen.append(args[2])  # noqa: E731 -- the statement
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            answer = client.get("/api/v1/housing-options/requests?state=all", headers=headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert answer.status_code == 200
        return len(seen), len(answer.get_json()["items"])

    decided_request()
    one = statements()
    decided_request(), decided_request()
    assert statements() == (one[0], 3) and one[1] == 1


def test_the_queue_comes_a_page_at_a_time(client, login, db, worker, officer, make_household, token_for):
    """Nationally the whole history is tens of thousands of requests: the page, the API and the
    service give one page and the total."""
    sent = [_send(db, worker, make_household()) for _ in range(3)]
    ho.answer(db.session, actor(officer), sent[0].id, "refused", TODAY, "no duty", today=TODAY)
    db.session.commit()
    first = ho.queue(db.session, actor(officer), None, page=1, per_page=2)
    second = ho.queue(db.session, actor(officer), None, page=2, per_page=2)
    assert (first.total, first.pages, second.total) == (3, 2, 3)
    assert [r.id for r in first.items + second.items] == [r.id for r in sent]
    waiting = ho.queue_lines(db.session, actor(officer), H.REQUESTED, per_page=2)
    assert (waiting.total, [line.id for line in waiting.items]) == (2, [sent[1].id, sent[2].id])

    headers = token_for(officer)
    answer = client.get("/api/v1/housing-options/requests?state=all&page=2&per_page=2", headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 2, 2)
    assert [item["id"] for item in body["items"]] == [sent[2].id]
    bad = client.get("/api/v1/housing-options/requests?page=0", headers=headers)
    assert bad.status_code == 422 and "page" in bad.get_data(as_text=True)

    login(officer)
    page = client.get("/housing-options/?show=all&page=1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "3 requests, oldest first" in text and sent[0].household.reference in text
    bad_page = client.get("/housing-options/?page=0")
    assert bad_page.status_code == 422 and "Page" in bad_page.get_data(as_text=True)
