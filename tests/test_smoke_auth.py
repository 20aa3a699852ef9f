"""Sign-in, lockout, sign-out, idle timeout and the dashboard."""
from __future__ import annotations

import time
from datetime import timedelta

from safehome.models import AuditEvent, User
from safehome.codes import AuditAction
from tests.helpers import post_form


def test_login_lands_on_dashboard(client, make_user, login):
    user = make_user("housing_worker")
    response = login(user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Open cases" in page.get_data(as_text=True)


def test_wrong_password_gives_one_message_for_all_failures(client, make_user, login):
    user = make_user()
    wrong = login(user, password="not the password at all")
    unknown = post_form(client, "/login", {"email": "nobody@example.org", "password": "whatever it is"})
    assert wrong.status_code == unknown.status_code == 401
    text_wrong, text_unknown = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert "do not match" in text_wrong and "do not match" in text_unknown
    assert client.get("/dashboard").status_code == 302


def test_five_failures_lock_the_account(client, db, make_user, login):
    user = make_user()
    for _ in range(5):
        assert login(user, password="wrong password!").status_code == 401
    db.session.refresh(user)
    assert user.locked_until is not None
    # the right password is refused while locked
    assert login(user).status_code == 401
    # once the lock has passed, the right password works
    user.locked_until = user.locked_until - timedelta(minutes=16)
    db.session.commit()
    assert login(user).status_code == 302


def test_logout_needs_post_and_ends_session(client, make_user, login):
    user = make_user()
    login(user)
    assert client.get("/logout").status_code == 405
    page = client.get("/dashboard").get_data(as_text=True)
    response = post_form(client, "/logout", {}, page="/dashboard")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # back to login
    assert "Sign out" in page


def test_logout_without_csrf_is_refused(client, make_user, login):
    login(make_user())
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_idle_session_is_signed_out(client, make_user, login):
    login(make_user())
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 31 * 60
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_within_idle_limit_stays(client, make_user, login):
    login(make_user())
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 29 * 60
    assert client.get("/dashboard").status_code == 200


def test_deactivated_user_is_signed_out_at_once(client, db, make_user, login):
    user = make_user()
    login(user)
    assert client.get("/dashboard").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_login_writes_audit_events(client, db, make_user, login):
    user = make_user()
    login(user, password="bad password here")
    login(user)
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(user_id=None).all()]
    assert AuditAction.LOGIN_FAILED in actions or db.session.query(AuditEvent).filter_by(
        action=AuditAction.LOGIN_FAILED, record_id=user.id).count() == 1
    assert db.session.query(AuditEvent).filter_by(action=AuditAction.LOGIN, user_id=user.id).count() == 1


def test_login_redirects_only_to_own_paths(client, make_user, login):
    user = make_user()
    page = client.get("/login?next=https://evil.example/")
    from tests.helpers import csrf_token_from

    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/",
                           data={"email": user.email, "password": "correct horse battery staple", "csrf_token": token})
    assert response.headers["Location"].endswith("/dashboard")


def test_session_cookie_flags(client, make_user, login):
    response = login(make_user())
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_hash_is_argon2(db, make_user):
    user = make_user()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")
