"""Sign-in as an attacker tries it: throttling by account and address, enumeration, fixation, open redirects."""
from __future__ import annotations

import re
from datetime import timedelta

import argon2
import pytest

from safehome import create_app
from safehome.models.base import utcnow
from tests.conftest import PASSWORD, FreshContextClient, base_config
from tests.helpers import csrf_token_from

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.7"}


def _attempt(client, email: str, password: str, environ=None, next_url: str | None = None):
    environ = environ or {}
    token = csrf_token_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token}, environ_base=environ)


@pytest.fixture
def config_extra():
    return {"LOGIN_ADDRESS_MAX_FAILURES": 4, "LOGIN_ADDRESS_WINDOW_MINUTES": 15}


# By address -------------------------------------------------------------------------

def test_an_address_with_too_many_failures_waits_whatever_the_account(app, client, make_user):
    victim = make_user("manager")
    for i in range(4):  # spread over accounts, so no one account locks
        assert _attempt(client, f"guess{i}@example.org", "wrong password!", ATTACKER).status_code == 401
    refused = _attempt(client, victim.email, PASSWORD, ATTACKER)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    # Another address is not held back, and the account itself is not locked.
    assert _attempt(app.test_client(), victim.email, PASSWORD, NEIGHBOUR).status_code == 302


def test_the_address_count_is_shared_by_every_worker(app, database_uri, client, make_user):
    """Two app instances on one database (two worker processes) see the same failures."""
    other_worker = create_app(base_config(database_uri, LOGIN_ADDRESS_MAX_FAILURES=4))
    other_worker.test_client_class = FreshContextClient
    user = make_user()
    for i in range(2):
        assert _attempt(client, f"guess{i}@example.org", "wrong password!", ATTACKER).status_code == 401
        assert _attempt(other_worker.test_client(), f"other{i}@example.org", "wrong", ATTACKER).status_code == 401
    assert _attempt(other_worker.test_client(), user.email, PASSWORD, ATTACKER).status_code == 429
    assert _attempt(client, user.email, PASSWORD, ATTACKER).status_code == 429
    with other_worker.app_context():
        from safehome.extensions import db

        db.engine.dispose()


def test_the_window_slides(db):
    from safehome.services import Actor, throttle

    actor = Actor(None, "192.0.2.1")
    start = utcnow()
    limits = {"max_failures": 5, "lock_minutes": 15, "address_max_failures": 3, "address_window_minutes": 15}
    for minute in (0, 5, 10):
        assert throttle.sign_in(db.session, actor, "nobody@example.org", "x", now=start + timedelta(minutes=minute),
                                **limits) is None
    with pytest.raises(throttle.Throttled) as held:
        throttle.sign_in(db.session, actor, "nobody@example.org", "x", now=start + timedelta(minutes=11), **limits)
    assert held.value.retry_after == 4 * 60  # the first failure leaves the window at minute 15
    # At minute 15 the first failure no longer counts; the next try is let through (and fails).
    assert throttle.sign_in(db.session, actor, "nobody@example.org", "x", now=start + timedelta(minutes=15, seconds=1),
                            **limits) is None


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_proxy_the_throttle_counts_the_forwarded_address(database_uri, db, make_user, hops):
    """With PROXY_HOPS set, the client address is the proxy's X-Forwarded-For; without, the header is ignored."""
    behind = create_app(base_config(database_uri, LOGIN_ADDRESS_MAX_FAILURES=2, PROXY_HOPS=hops))
    behind.test_client_class = FreshContextClient
    user = make_user()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def via_proxy(client_address: str, password: str):
        return _attempt(behind.test_client(), user.email if password == PASSWORD else "guess@example.org", password,
                        {**proxy, "HTTP_X_FORWARDED_FOR": client_address})

    for _ in range(2):
        assert via_proxy("203.0.113.9", "wrong password!").status_code == 401
    # Another person behind the same proxy: held back only when the proxy's address is all there is.
    assert via_proxy("198.51.100.7", PASSWORD).status_code == (302 if hops else 429)
    assert via_proxy("203.0.113.9", PASSWORD).status_code == 429
    with behind.app_context():
        from safehome.extensions import db as behind_db

        behind_db.engine.dispose()


def test_address_limits_are_settings(monkeypatch, tmp_path):
    from safehome.config import load

    monkeypatch.setenv("SAFEHOME_LOGIN_ADDRESS_MAX_FAILURES", "7")
    monkeypatch.setenv("SAFEHOME_LOGIN_ADDRESS_WINDOW_MINUTES", "30")
    settings = load(tmp_path, {"ENV_NAME": "testing", "SECRET_KEY": "k" * 40, "SAFEHOME_DATA_KEY": "x"})
    assert (settings["LOGIN_ADDRESS_MAX_FAILURES"], settings["LOGIN_ADDRESS_WINDOW_MINUTES"]) == (7, 30)


# By account (the lockout that was there), still in force under the address limit ---------------

def test_an_account_locks_after_five_failures_from_many_addresses(app, client, make_user):
    user = make_user()
    for i in range(5):
        _attempt(app.test_client(), user.email, "wrong password!", {"REMOTE_ADDR": f"192.0.2.{i + 10}"})
    assert _attempt(client, user.email, PASSWORD, NEIGHBOUR).status_code == 401


# No enumeration -------------------------------------------------------------------------------------

def _without_token(html: str) -> str:
    return re.sub(r'(value|content)="[^"]*"', r'\1=""', html)


def _failures(app, db, make_user):
    """Four ways a sign-in fails; each returns the response. An argon2 verify counter is attached."""
    from safehome.services import SYSTEM, users

    known = make_user()
    locked = make_user()
    locked.locked_until = utcnow() + timedelta(minutes=10)
    gone = make_user()
    users.set_active(db.session, SYSTEM, gone, False)
    db.session.commit()
    return {"unknown email": ("nobody-here@example.org", PASSWORD), "wrong password": (known.email, "not the password"),
            "locked": (locked.email, PASSWORD), "deactivated": (gone.email, PASSWORD)}


def test_every_failure_gives_the_same_page(app, db, make_user):
    pages = {}
    for i, (why, (email, password)) in enumerate(_failures(app, db, make_user).items()):
        response = _attempt(app.test_client(), email, password, {"REMOTE_ADDR": f"192.0.2.{i + 50}"})
        pages[why] = (response.status_code, _without_token(response.get_data(as_text=True)))
    assert len(set(pages.values())) == 1, sorted(pages)
    assert pages["unknown email"][0] == 401


def test_every_failure_costs_one_argon2_verify(app, db, make_user, monkeypatch):
    """Timing by work done, not by the clock: an unknown email still runs one full verify."""
    calls = []
    real_verify = argon2.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(1)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    for i, (why, (email, password)) in enumerate(_failures(app, db, make_user).items()):
        calls.clear()
        _attempt(app.test_client(), email, password, {"REMOTE_ADDR": f"192.0.2.{i + 60}"})
        assert len(calls) == 1, why


# Session fixation --------------------------------------------------------------------------------------

def test_the_session_is_renewed_at_sign_in(app, client, make_user):
    user = make_user()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    before = client.get_cookie("session").value
    assert client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    assert client.get("/dashboard").status_code == 200
    planted = app.test_client()
    planted.set_cookie("session", before)
    response = planted.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Redirects ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)",
                                    "http:/evil.com", "%2F%2Fevil.com", "\\\\evil.com", " //evil.com",
                                    "/%09/evil.com", "https:evil.com"])
def test_sign_in_only_redirects_to_our_own_paths(client, make_user, target):
    user = make_user()
    response = _attempt(client, user.email, PASSWORD, next_url=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/dashboard", "http://localhost/dashboard") or (
        location.startswith("/") and not location.startswith("//") and "evil.com" not in location.split("?")[0]
        and "\\" not in location), location


def test_a_path_of_our_own_is_kept(client, make_user):
    response = _attempt(client, make_user().email, PASSWORD, next_url="/units/")
    assert response.headers["Location"] == "/units/"
