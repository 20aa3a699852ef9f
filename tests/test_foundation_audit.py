"""The audit trail: written for every administrative change, read on the admin page and through the API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from safehome.codes import AuditAction
from safehome.models import ApiToken, AuditEvent, User
from safehome.services import Actor, audit
from tests.helpers import post_form


@pytest.fixture
def trail(db, make_user):
    """Two users, each with marked events on distinct records and days."""
    alice, bob = make_user("housing_worker"), make_user("manager")
    events = {
        "alpha-mark": audit.record(db.session, Actor(alice, "10.0.0.1"), AuditAction.VIEW_ADDRESS, "site", 7,
                                   "alpha-mark"),
        "bravo-mark": audit.record(db.session, Actor(alice, "10.0.0.1"), AuditAction.VIEW_CASE, "household", 8,
                                   "bravo-mark"),
        "charlie-mark": audit.record(db.session, Actor(bob, "10.0.0.2"), AuditAction.EXPORT, "site", 9,
                                     "charlie-mark"),
    }
    events["alpha-mark"].at = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)
    events["bravo-mark"].at = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)
    events["charlie-mark"].at = datetime(2024, 4, 5, 23, 30, tzinfo=timezone.utc)
    db.session.commit()
    return alice, bob


MARKS = {"alpha-mark", "bravo-mark", "charlie-mark"}


def _marks_on(client, query: str) -> set[str]:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return {mark for mark in MARKS if mark in html}


def test_audit_page_filters_by_user_record_and_date(client, make_user, login, trail):
    alice, bob = trail
    login(make_user("admin"))
    assert _marks_on(client, "") == MARKS
    assert _marks_on(client, f"?user_id={alice.id}") == {"alpha-mark", "bravo-mark"}
    assert _marks_on(client, f"?user_id={bob.id}") == {"charlie-mark"}
    assert _marks_on(client, "?record_type=site") == {"alpha-mark", "charlie-mark"}
    assert _marks_on(client, "?record_type=site&record_id=9") == {"charlie-mark"}
    assert _marks_on(client, "?day_from=2024-03-15&day_to=2024-03-31") == {"bravo-mark"}
    assert _marks_on(client, "?day_from=2024-04-05") == {"charlie-mark"}
    assert _marks_on(client, "?day_to=2024-03-10") == {"alpha-mark"}


def test_audit_page_shows_who_what_and_from_where(client, make_user, login, trail):
    alice, _ = trail
    login(make_user("admin"))
    html = client.get(f"/admin/audit?user_id={alice.id}").get_data(as_text=True)
    assert alice.email in html and "Viewed a confidential address" in html and "10.0.0.1" in html


def test_audit_page_bad_filter_is_named(client, make_user, login):
    login(make_user("admin"))
    response = client.get("/admin/audit?day_from=not-a-date")
    assert response.status_code == 422
    assert 'id="day_from-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [
    ("admin", 200), ("manager", 200), ("housing_worker", 403), ("housing_options", 403),
    ("perpetrator_service", 403), ("provider", 403),
])
def test_who_may_read_the_audit_log(client, make_user, login, role, status):
    login(make_user(role))
    assert client.get("/admin/audit").status_code == status


def test_audit_api_filters(client, make_user, token_for, trail):
    alice, bob = trail
    headers = token_for(make_user("admin"))

    def details(query: str) -> set[str]:
        response = client.get(f"/api/v1/audit-events{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return {e["detail"] for e in response.get_json()} & MARKS

    assert details("") == MARKS
    assert details(f"?user_id={alice.id}") == {"alpha-mark", "bravo-mark"}
    assert details("?record_type=household&record_id=8") == {"bravo-mark"}
    assert details("?action=export") == {"charlie-mark"}
    assert details("?day_from=2024-03-01&day_to=2024-03-31") == {"alpha-mark", "bravo-mark"}
    event = client.get(f"/api/v1/audit-events?user_id={bob.id}", headers=headers).get_json()[0]
    assert event["action"] == "export" and event["remote_addr"] == "10.0.0.2" and event["record_id"] == 9


def test_audit_api_names_a_bad_filter(client, make_user, token_for):
    headers = token_for(make_user("admin"))
    for query, field in (("action=nope", "action"), ("day_from=yesterday", "day_from"), ("limit=0", "limit")):
        response = client.get(f"/api/v1/audit-events?{query}", headers=headers)
        assert response.status_code == 422
        assert field in response.get_json()["errors"]["query"]


def test_audit_api_is_denied_to_case_roles(client, make_user, token_for):
    assert client.get("/api/v1/audit-events", headers=token_for(make_user("housing_worker"))).status_code == 403


def _events_about(db, user_id: int, record_type: str = "user") -> list[AuditEvent]:
    db.session.expire_all()
    return db.session.query(AuditEvent).filter_by(record_type=record_type, record_id=user_id).all()


def test_every_admin_action_writes_an_event(client, db, make_user, login, token_for):
    admin = make_user("admin")
    login(admin)

    def admin_events(record_type: str, record_id: int) -> list[AuditEvent]:
        return [e for e in _events_about(db, record_id, record_type) if e.user_id == admin.id]

    post_form(client, "/admin/users", {"email": "new.worker@example.org", "name": "New Worker",
                                       "role": "housing_worker", "provider_id": "",
                                       "password": "a long enough password"})
    created = db.session.query(User).filter_by(email="new.worker@example.org").one()
    assert [e.detail for e in admin_events("user", created.id)] == ["created role=housing_worker"]

    page = f"/admin/users/{created.id}"
    post_form(client, f"{page}/role", {"role": "manager", "provider_id": ""}, page=page)
    post_form(client, f"{page}/password", {"password": "another long password"}, page=page)
    post_form(client, f"{page}/active", {}, page=page)  # unticked: deactivate
    details = [e.detail for e in admin_events("user", created.id)]
    assert details == ["created role=housing_worker", "role=manager", "password reset", "active=False"]
    assert all(e.action == AuditAction.USER_CHANGED for e in admin_events("user", created.id))

    token_for(created)
    token = db.session.query(ApiToken).filter_by(user_id=created.id).one()
    post_form(client, f"/admin/tokens/{token.id}/revoke", {}, page=page)
    assert [e.action for e in admin_events("api_token", token.id)] == [AuditAction.TOKEN_REVOKED]
    # events carry ids and codes, never the person's details
    for event in db.session.query(AuditEvent):
        assert "New Worker" not in (event.detail or "") and "new.worker" not in (event.detail or "")


def test_api_admin_actions_are_audited_too(client, db, make_user, token_for):
    admin = make_user("admin")
    headers = token_for(admin)
    made = client.post("/api/v1/users", json={"email": "api.made@example.org", "name": "Api Made",
                                              "role": "manager", "password": "a long enough password"},
                       headers=headers)
    assert made.status_code == 201
    events = _events_about(db, made.get_json()["id"])
    assert [(e.user_id, e.action) for e in events] == [(admin.id, AuditAction.USER_CHANGED)]
    token = client.post("/api/v1/tokens", json={"name": "audited"}, headers=headers).get_json()
    client.delete(f"/api/v1/tokens/{token['id']}", headers=headers)
    actions = [e.action for e in _events_about(db, token["id"], "api_token")]
    assert actions == [AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED]


def test_a_case_page_writes_its_audit_event_last_and_a_rollback_drops_it(app, client, login, db, make_user):
    """The view is audited with the commit, so the page holds SQLite's one write lock only for that moment."""
    from sqlalchemy import event, func, select

    from safehome.codes import CaseStatus
    from safehome.models import Household

    worker = make_user("housing_worker")
    household = Household(reference="FVS-31001", status=CaseStatus.OPEN, pets=[], needs=[], languages=[],
                          avoid=[], prefer=[], worker_id=worker.id)
    db.session.add(household)
    db.session.commit()
    login(worker)
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, params, context, many: statements.append(statement.split()[0])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/households/{household.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements.count("INSERT") == 1 and statements[-1] == "INSERT" and statements.count("SELECT") > 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.VIEW_CASE, AuditEvent.record_id == household.id)) == 1
    # Recorded but rolled back: never written.
    audit.record(db.session, Actor(worker, "10.0.0.1"), AuditAction.VIEW_CASE, "household", household.id)
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.record_type == "household", AuditEvent.record_id == household.id)) == 1
