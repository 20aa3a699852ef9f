"""Sessions end on the server: a cookie copied before sign-out, a password change or reset, or a role
change, and replayed afterwards, is refused (401 on the API, the sign-in page for a case page)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from safehome import create_app
from safehome.services import SYSTEM, users
from tests.conftest import PASSWORD, base_config
from tests.helpers import post_form
from tests.journey_helpers import make_household  # noqa: F401 (a fixture)

COOKIE = "session"
NEW_PASSWORD = "another long enough password"


def _cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def _replay(app, cookie: str):
    """A new browser holding only a copy of the cookie."""
    browser = app.test_client()
    browser.set_cookie(COOKIE, cookie)
    return browser


def _assert_refused(app, cookie: str, household) -> None:
    browser = _replay(app, cookie)
    assert browser.get("/api/v1/me").status_code == 401
    page = browser.get(f"/households/{household.id}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def _assert_accepted(app, cookie: str, household) -> None:
    browser = _replay(app, cookie)
    assert browser.get("/api/v1/me").status_code == 200
    assert browser.get(f"/households/{household.id}").status_code == 200


@pytest.fixture
def signed_in(app, client, make_user, login, make_household):
    """A housing worker signed in on ``client``, their copied cookie (which works), and a case."""
    user = make_user("housing_worker")
    household = make_household()
    assert login(user).status_code == 302
    cookie = _cookie(client)
    _assert_accepted(app, cookie, household)
    return user, cookie, household


def test_a_cookie_replayed_after_sign_out_is_refused(app, client, signed_in):
    _user, cookie, household = signed_in
    assert post_form(client, "/logout", {}, page="/dashboard").status_code == 302
    _assert_refused(app, cookie, household)


def test_signing_out_ends_only_that_session(app, client, signed_in, login):
    user, _cookie_value, household = signed_in
    laptop = app.test_client()
    assert login(user, the_client=laptop).status_code == 302
    post_form(client, "/logout", {}, page="/dashboard")
    assert laptop.get("/api/v1/me").status_code == 200
    assert laptop.get(f"/households/{household.id}").status_code == 200


def test_a_cookie_replayed_after_an_administrators_password_reset_is_refused(app, db, signed_in):
    user, cookie, household = signed_in
    users.set_password(db.session, SYSTEM, user, NEW_PASSWORD)
    db.session.commit()
    _assert_refused(app, cookie, household)


def test_a_cookie_replayed_after_a_role_change_is_refused(app, db, signed_in):
    user, cookie, household = signed_in
    users.set_role(db.session, SYSTEM, user, "manager")
    db.session.commit()
    _assert_refused(app, cookie, household)


def _change_own_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD, again: str | None = None):
    return post_form(client, "/account", {"current_password": current, "new_password": new,
                                          "new_password_again": new if again is None else again})


def test_changing_ones_own_password_ends_every_other_session_and_keeps_this_one(app, client, signed_in, login):
    user, cookie, household = signed_in
    laptop = app.test_client()
    assert login(user, the_client=laptop).status_code == 302
    laptop_cookie = _cookie(laptop)

    response = _change_own_password(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    assert "every other session" in client.get("/account").get_data(as_text=True)
    assert client.get(f"/households/{household.id}").status_code == 200  # still signed in here
    _assert_refused(app, laptop_cookie, household)
    _assert_refused(app, cookie, household)  # this browser's cookie from before the change: renewed
    assert login(user, the_client=app.test_client()).status_code == 401
    assert login(user, password=NEW_PASSWORD, the_client=app.test_client()).status_code == 302


@pytest.mark.parametrize("current, again, field", [
    ("not my password at all", None, "current_password"),
    (PASSWORD, "a different long password", "new_password_again"),
])
def test_a_refused_password_change_names_the_field_and_changes_nothing(app, client, db, signed_in, login,
                                                                      current, again, field):
    user, cookie, household = signed_in
    response = _change_own_password(client, current=current, again=again)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    _assert_accepted(app, cookie, household)
    assert login(user, the_client=app.test_client()).status_code == 302


def test_a_short_new_password_is_refused(client, signed_in):
    response = _change_own_password(client, new="short")
    assert response.status_code == 422 and 'id="new_password-error"' in response.get_data(as_text=True)


def test_wrong_current_passwords_count_towards_the_lockout(app, client, db, signed_in, login):
    user, _cookie_value, _household = signed_in
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _change_own_password(client, current="wrong password again").status_code == 422
    db.session.refresh(user)
    assert user.locked_until is not None
    # locked: even the right current password is refused for a while
    assert _change_own_password(client).status_code == 422


def test_the_cookie_holds_only_an_id_and_the_table_only_its_hash(client, db, signed_in):
    from safehome.models import WebSession

    _user, cookie, _household = signed_in
    stored = db.session.scalars(select(WebSession.session_id)).all()
    assert hashlib.sha256(cookie.encode()).hexdigest() in stored
    assert cookie not in stored
    assert len(cookie) < 64 and "." not in cookie  # not a signed payload


def test_expired_sessions_are_purged_by_the_command(app, db, runner, signed_in, login, make_user):
    from safehome.models import WebSession

    _user, cookie, household = signed_in
    other = app.test_client()
    login(make_user(), the_client=other)
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 2
    db.session.execute(update(WebSession).where(
        WebSession.session_id == hashlib.sha256(cookie.encode()).hexdigest()).values(
        expiry=datetime.utcnow() - timedelta(minutes=1)))
    db.session.commit()
    result = runner.invoke(args=["purge-sessions"])
    assert result.exit_code == 0 and "1 expired session removed" in result.output
    assert db.session.scalar(select(func.count()).select_from(WebSession)) == 1
    assert other.get("/api/v1/me").status_code == 200
    _assert_refused(app, cookie, household)


def test_production_session_cookie_is_secure_httponly_and_lax(database_uri, make_user):
    app = create_app(base_config(database_uri, ENV_NAME="production"))
    client = app.test_client()
    from tests.helpers import csrf_token_from

    user = make_user()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_page_view_reads_the_session_without_writing_it(client, db, signed_in):
    """The idle clock is written back at most once a minute (auth_session.SEEN_EVERY), not on every view."""
    from safehome.models import WebSession

    _user, _cookie_value, household = signed_in
    stored = select(WebSession.data, WebSession.expiry)
    before = db.session.execute(stored).one()
    db.session.rollback()
    assert client.get(f"/households/{household.id}").status_code == 200
    assert client.get("/dashboard").status_code == 200
    assert db.session.execute(stored).one() == before
