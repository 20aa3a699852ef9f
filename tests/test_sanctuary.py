"""Sanctuary installs: every step legal and illegal, works, review due dates, missed reviews, own homes secured."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from safehome.codes import AuditAction, SanctuaryReviewStage, SanctuaryState
from safehome.errors import NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent
from safehome.services import sanctuary
from safehome.services.timeliness import add_months
from tests.helpers import post_form
from tests.journey_helpers import actor, make_household  # noqa: F401

S = SanctuaryState
TODAY = date(2026, 11, 20)

# The facts each step needs (beyond its day).
STEP_DATA = {
    S.CONSENT: {"consent_from": "council"},
    S.SURVEYED: {"surveyed_by": "crime_prevention"},
    S.FIRE_SAFETY_CHECKED: {"fire_checked_by": "Leicester Central fire station"},
    S.REVIEWED_3M: {"equipment_working": True},
    S.REVIEWED_6M: {"equipment_working": False},
    S.ENDED: {"equipment_removed": True},
}
PATH = [S.RISK_CHECKED, S.CONSENT, S.SURVEYED, S.WORKS_ORDERED, S.INSTALLED, S.FIRE_SAFETY_CHECKED,
        S.REVIEWED_3M, S.REVIEWED_6M, S.ENDED]


@pytest.fixture
def worker(make_user):
    return make_user("housing_worker")


def _walk_to(db, worker, install, state, on=date(2026, 1, 10)):
    """Move an install on from where it is up to ``state`` (adding one item of work before ordering)."""
    first = PATH.index(install.state) + 1 if install.state in PATH else 0
    for step in PATH[first:PATH.index(state) + 1]:
        if step == S.WORKS_ORDERED:
            sanctuary.add_work(db.session, actor(worker), install.id, kind="locks", contractor="SecureCo",
                               ordered_on=on, cost="180.00", today=TODAY)
        sanctuary.advance(db.session, actor(worker), install.id, step, {"on": on, **STEP_DATA.get(step, {})},
                          today=TODAY)
    db.session.commit()
    return install


def _new(db, worker, household):
    install = sanctuary.request_install(db.session, actor(worker), household.id, date(2026, 1, 5), today=TODAY)
    db.session.commit()
    return install


def test_the_whole_life_of_an_install(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household(dash_score=15)), S.ENDED)
    assert install.state == S.ENDED and install.equipment_removed
    assert install.risk_dash_score == 15 and install.consent_from.value == "council"
    assert install.fire_checked_by == "Leicester Central fire station"
    assert [r.done_on for r in install.reviews] == [date(2026, 1, 10), date(2026, 1, 10)]
    assert [r.equipment_working for r in install.reviews] == [True, False]
    events = db.session.query(AuditEvent).filter_by(record_type="sanctuary_install", record_id=install.id).all()
    assert [e.detail for e in events][-1] == "state=ended" and len(events) == 1 + len(PATH)


@pytest.mark.parametrize("current", [s for s in S if s != S.WITHDRAWN])
@pytest.mark.parametrize("wanted", list(S))
def test_every_move_is_allowed_or_refused_by_the_table(db, worker, make_household, current, wanted):
    install = _new(db, worker, make_household())
    if current != S.REQUESTED:
        _walk_to(db, worker, install, current)
    data = {"on": date(2026, 1, 11), **STEP_DATA.get(wanted, {})}
    if wanted in sanctuary.TRANSITIONS[current]:
        if wanted == S.WORKS_ORDERED:
            sanctuary.add_work(db.session, actor(worker), install.id, kind="alarm", contractor="AlarmCo",
                               ordered_on=date(2026, 1, 11), cost=90, today=TODAY)
        assert sanctuary.advance(db.session, actor(worker), install.id, wanted, data, today=TODAY).state == wanted
    else:
        with pytest.raises(TransitionError) as refused:
            sanctuary.advance(db.session, actor(worker), install.id, wanted, data, today=TODAY)
        assert f"'{current.label}'" in refused.value.message and f"'{wanted.label}'" in refused.value.message


def test_withdrawn_is_final(db, worker, make_household):
    install = _new(db, worker, make_household())
    sanctuary.advance(db.session, actor(worker), install.id, "withdrawn", {"on": date(2026, 1, 6)}, today=TODAY)
    with pytest.raises(TransitionError, match="finished"):
        sanctuary.advance(db.session, actor(worker), install.id, "risk_checked", {"on": date(2026, 1, 6)},
                          today=TODAY)


def test_risk_check_needs_a_dash_score(db, worker, make_household):
    install = _new(db, worker, make_household(dash_score=None))
    with pytest.raises(ValidationError) as refused:
        sanctuary.advance(db.session, actor(worker), install.id, "risk_checked", {"on": date(2026, 1, 6)},
                          today=TODAY)
    assert refused.value.as_dict() == {"dash_score": [
        "no DASH score on the case: record the risk assessment first"]}


def test_each_step_names_every_missing_fact_at_once(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.RISK_CHECKED, on=date(2026, 1, 8))
    with pytest.raises(ValidationError) as refused:
        sanctuary.advance(db.session, actor(worker), install.id, "consent", {"on": date(2026, 1, 7)}, today=TODAY)
    assert set(refused.value.as_dict()) == {"on", "consent_from"}
    assert "before the last step" in refused.value.as_dict()["on"][0]
    with pytest.raises(ValidationError) as future:
        sanctuary.advance(db.session, actor(worker), install.id, "consent",
                          {"on": date(2026, 12, 1), "consent_from": "owner"}, today=TODAY)
    assert future.value.as_dict() == {"on": ["cannot be in the future"]}
    with pytest.raises(ValidationError, match="not a sanctuary install step"):
        sanctuary.advance(db.session, actor(worker), install.id, "teleported", {}, today=TODAY)


def test_ordering_needs_works_and_ending_needs_the_equipment_out(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.SURVEYED)
    with pytest.raises(ValidationError) as no_works:
        sanctuary.advance(db.session, actor(worker), install.id, "works_ordered", {"on": date(2026, 1, 10)},
                          today=TODAY)
    assert "works" in no_works.value.as_dict()
    _walk_to(db, worker, install, S.INSTALLED)
    with pytest.raises(ValidationError) as not_removed:
        sanctuary.advance(db.session, actor(worker), install.id, "ended", {"on": date(2026, 1, 10)}, today=TODAY)
    assert "equipment_removed" in not_removed.value.as_dict()


def test_works_are_itemised_and_fitted_when_installed(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.SURVEYED)
    sanctuary.add_work(db.session, actor(worker), install.id, kind="cctv", contractor="EyeCo",
                       ordered_on=date(2026, 1, 10), fitted_on=date(2026, 1, 12), cost="349.99", today=TODAY)
    sanctuary.add_work(db.session, actor(worker), install.id, kind="safe_room", contractor="SafeCo",
                       ordered_on=date(2026, 1, 10), cost=Decimal("1200"), today=TODAY)
    _walk_to(db, worker, install, S.WORKS_ORDERED, on=date(2026, 1, 14))  # adds a lock change too
    sanctuary.advance(db.session, actor(worker), install.id, "installed", {"on": date(2026, 1, 20)}, today=TODAY)
    db.session.commit()
    db.session.refresh(install)
    assert [(w.kind.value, w.fitted_on) for w in install.works] == [
        ("cctv", date(2026, 1, 12)), ("safe_room", date(2026, 1, 20)), ("locks", date(2026, 1, 20))]
    assert install.total_cost == Decimal("1729.99")


def test_a_work_item_names_each_bad_field(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.SURVEYED)
    with pytest.raises(ValidationError) as refused:
        sanctuary.add_work(db.session, actor(worker), install.id, kind="moat", contractor=" ",
                           ordered_on=date(2026, 1, 10), fitted_on=date(2026, 1, 9), cost="-5", today=TODAY)
    assert set(refused.value.as_dict()) == {"kind", "contractor", "fitted_on", "cost"}
    with pytest.raises(ValidationError) as not_money:
        sanctuary.add_work(db.session, actor(worker), install.id, kind="alarm", contractor="A",
                           ordered_on=None, cost="lots", today=TODAY)
    assert set(not_money.value.as_dict()) == {"ordered_on", "cost"}


def test_works_wait_for_the_survey(db, worker, make_household):
    install = _new(db, worker, make_household())
    with pytest.raises(TransitionError, match="surveyed"):
        sanctuary.add_work(db.session, actor(worker), install.id, kind="alarm", contractor="A",
                           ordered_on=date(2026, 1, 10), cost=1, today=TODAY)


def test_one_live_install_per_case_and_none_on_a_closed_case(db, worker, make_household):
    household = make_household()
    _new(db, worker, household)
    with pytest.raises(TransitionError, match="already"):
        _new(db, worker, household)
    closed = make_household(status="closed")
    with pytest.raises(TransitionError, match="closed"):
        _new(db, worker, closed)


@pytest.mark.parametrize("installed, three, six", [
    (date(2026, 1, 10), date(2026, 4, 10), date(2026, 7, 10)),
    (date(2026, 8, 31), date(2026, 11, 30), date(2027, 2, 28)),   # 31st into 30- and 28-day months
    (date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 30)),   # into a leap February
    (date(2027, 8, 29), date(2027, 11, 29), date(2028, 2, 29)),
    (date(2026, 10, 31), date(2027, 1, 31), date(2027, 4, 30)),   # over a year end
])
def test_reviews_fall_due_3_and_6_calendar_months_after_installation(db, worker, make_household, installed,
                                                                     three, six):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.WORKS_ORDERED, on=date(2026, 1, 6))
    sanctuary.advance(db.session, actor(worker), install.id, "installed", {"on": installed},
                      today=date(2028, 1, 1))
    due = {r.stage: r.due_on for r in install.reviews}
    assert due == {SanctuaryReviewStage.THREE_MONTHS: three, SanctuaryReviewStage.SIX_MONTHS: six}


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2026, 3, 31), 3, date(2026, 6, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
])
def test_add_months_keeps_inside_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_missed_reviews_surface_until_done(db, worker, make_household, make_user):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.FIRE_SAFETY_CHECKED, on=date(2026, 1, 10))
    assert sanctuary.missed_reviews_count(db.session, date(2026, 4, 10)) == 0  # due that day: not yet missed
    due = sanctuary.reviews_due(db.session, date(2026, 4, 11))
    assert [(d.stage.value, d.days_overdue) for d in due] == [("3m", 1)]
    assert sanctuary.missed_reviews_count(db.session, date(2026, 7, 11)) == 2
    sanctuary.advance(db.session, actor(worker), install.id, "reviewed_3m", {"on": date(2026, 4, 20)},
                      today=TODAY)
    assert sanctuary.missed_reviews_count(db.session, date(2026, 7, 11)) == 1
    sanctuary.advance(db.session, actor(worker), install.id, "ended", {"on": date(2026, 5, 1),
                                                                      "equipment_removed": True}, today=TODAY)
    assert sanctuary.missed_reviews_count(db.session, date(2026, 7, 11)) == 0  # ended: nothing left to review
    assert sanctuary.reviews_due(db.session, date(2026, 7, 11)) == []


def test_own_home_secured_needs_installation_and_the_fire_check(db, worker, make_household):
    installed = _walk_to(db, worker, _new(db, worker, make_household()), S.INSTALLED, on=date(2026, 2, 1))
    checked = _walk_to(db, worker, _new(db, worker, make_household()), S.FIRE_SAFETY_CHECKED, on=date(2026, 2, 3))
    assert not sanctuary.is_own_home_secured(installed) and sanctuary.is_own_home_secured(checked)
    assert [i.id for i in sanctuary.installs_in_progress(db.session)] == [installed.id]


@pytest.mark.parametrize("role", ["provider", "perpetrator_service", "admin", "housing_options"])
def test_other_roles_cannot_reach_an_install(db, worker, make_household, make_user, role):
    install = _new(db, worker, make_household())
    with pytest.raises(NotFound):
        sanctuary.get_install(db.session, actor(make_user(role)), install.id)


def test_audit_detail_holds_codes_only(db, worker, make_household):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.FIRE_SAFETY_CHECKED)
    details = " ".join(e.detail or "" for e in db.session.query(AuditEvent).filter(
        AuditEvent.action.in_([AuditAction.CREATE, AuditAction.UPDATE])))
    assert "SecureCo" not in details and "fire station" not in details and str(install.id)


@pytest.mark.parametrize("role, read, write", [
    ("housing_worker", 200, 201), ("manager", 200, 403), ("housing_options", 404, 403), ("provider", 404, 403),
    ("perpetrator_service", 403, 403), ("admin", 403, 403),
])
def test_api_per_role(client, make_household, make_user, token_for, role, read, write):
    household = make_household()
    headers = token_for(make_user(role))
    assert client.get(f"/api/v1/households/{household.id}/sanctuary-installs", headers=headers).status_code == read
    assert client.post(f"/api/v1/households/{household.id}/sanctuary-installs", headers=headers,
                       json={}).status_code == write


def test_api_walks_an_install_and_refuses_illegal_steps(client, worker, make_household, token_for):
    household = make_household()
    headers = token_for(worker)
    install = client.post(f"/api/v1/households/{household.id}/sanctuary-installs", headers=headers,
                          json={"requested_on": "2026-01-05"}).get_json()
    url = f"/api/v1/sanctuary-installs/{install['id']}"
    wrong = client.post(f"{url}/steps", headers=headers, json={"to": "installed", "on": "2026-01-06"})
    assert wrong.status_code == 409 and "'Requested'" in wrong.get_json()["message"]
    bad = client.post(f"{url}/steps", headers=headers, json={"to": "consent", "on": "tomorrow", "extra": 1})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["json"]) == {"on", "extra"}
    for step in [{"to": "risk_checked"}, {"to": "consent", "consent_from": "owner"},
                 {"to": "surveyed", "surveyed_by": "police"}]:
        assert client.post(f"{url}/steps", headers=headers, json={**step, "on": "2026-01-06"}).status_code == 200
    work = client.post(f"{url}/works", headers=headers, json={"kind": "alarm", "contractor": "AlarmCo",
                                                             "ordered_on": "2026-01-07", "cost": "75.50"})
    assert work.status_code == 201 and work.get_json()["cost"] == "75.50"
    for step in [{"to": "works_ordered"}, {"to": "installed"},
                 {"to": "fire_safety_checked", "fire_checked_by": "Western station"}]:
        assert client.post(f"{url}/steps", headers=headers, json={**step, "on": "2026-01-08"}).status_code == 200
    body = client.get(url, headers=headers).get_json()
    assert body["own_home_secured"] and [r["due_on"] for r in body["reviews"]] == ["2026-04-08", "2026-07-08"]
    assert "address" not in str(body).lower()


def test_the_pages_and_the_dashboard_work_list(client, db, worker, make_household, login):
    install = _walk_to(db, worker, _new(db, worker, make_household()), S.FIRE_SAFETY_CHECKED, on=date(2026, 1, 10))
    login(worker)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    # installed 10 Jan 2026: both reviews (10 Apr, 10 Jul) are long missed by the real today
    assert '<span class="panel-value">2</span>\n    <span class="panel-title">Sanctuary reviews missed' in dashboard
    work = client.get("/sanctuary/").get_data(as_text=True)
    assert "3-month review" in work and "Missed:" in work
    page = client.get(f"/sanctuary/{install.id}").get_data(as_text=True)
    assert "Record: Reviewed at 3 months" in page and "Record: Reviewed at 6 months" not in page
    refused = post_form(client, f"/sanctuary/{install.id}/step", {"to": "reviewed_6m", "on": "2026-02-01"},
                        page=f"/sanctuary/{install.id}", follow=True).get_data(as_text=True)
    assert "cannot become &#39;Reviewed at 6 months&#39;" in refused


def test_the_work_list_shows_the_first_of_each_list_and_says_how_many(client, db, worker, make_household, login,
                                                                      monkeypatch):
    first, second = (_new(db, worker, make_household()) for _ in range(2))
    installed = _walk_to(db, worker, _new(db, worker, make_household()), S.FIRE_SAFETY_CHECKED, on=date(2026, 1, 10))
    work = sanctuary.work_list(db.session, actor(worker), TODAY, length=1)
    assert [i.id for i in work.in_progress] == [first.id] and work.in_progress_total == 2
    assert [(r.install_id, r.stage.value) for r in work.reviews] == [(installed.id, "3m")] and work.reviews_total == 2
    everything = sanctuary.work_list(db.session, actor(worker), TODAY, length=None)
    assert [i.id for i in everything.in_progress] == [first.id, second.id] and len(everything.reviews) == 2
    monkeypatch.setattr(sanctuary, "WORK_LIST_LENGTH", 1)
    login(worker)
    page = client.get("/sanctuary/").get_data(as_text=True)
    assert "The first 1 of 2 installs" in page and "The first 1 of 2 reviews" in page
    assert f"/sanctuary/{first.id}\"" in page and f"/sanctuary/{second.id}\"" not in page
    shown = client.get("/sanctuary/?show=all").get_data(as_text=True)
    assert f"/sanctuary/{second.id}\"" in shown and "The first" not in shown
