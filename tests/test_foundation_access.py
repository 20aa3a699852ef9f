"""Deny by default: every endpoint declares a permission, and nothing answers without one.

The walk reads the live URL map, so every page and API path any area adds is
covered without being listed here.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint

from safehome import create_app
from safehome.models import ApiToken
from safehome.models.base import utcnow
from safehome.permissions import PUBLIC, permission_of
from tests.conftest import base_config

CHECKED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _rules(app):
    return list(app.url_map.iter_rules())


def _path(rule) -> str:
    """The rule's URL with every parameter filled by 1."""
    values = {name: 1 for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _is_public(rule, method: str) -> bool:
    return permission_of(rule.endpoint, method) == PUBLIC


def _api_routes(app):
    return [(rule, method) for rule in _rules(app) if rule.rule.startswith("/api/v1/")
            for method in sorted(rule.methods & set(CHECKED_METHODS))]


def test_every_endpoint_declares_a_permission(app):
    undeclared = sorted(
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in _rules(app)
        for method in rule.methods - {"OPTIONS"}
        if permission_of(rule.endpoint, method) is None
    )
    assert not undeclared, "endpoints without @requires/@public:\n" + "\n".join(undeclared)


def test_the_walk_sees_pages_and_api(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    assert {"auth.login", "dashboard.home", "admin.users_index", "api_people.Me"} <= endpoints
    assert len(_api_routes(app)) >= 5


def test_anonymous_gets_login_redirect_or_api_401(app, client):
    checked = 0
    for rule in _rules(app):
        if "GET" not in rule.methods or _is_public(rule, "GET"):
            continue
        path = _path(rule)
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
            assert response.is_json and response.get_json()["code"] == 401, path
        else:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login"), path
        checked += 1
    assert checked >= 8


def test_anonymous_writes_to_the_api_get_401(app, client):
    for rule, method in _api_routes(app):
        if method != "GET":
            response = client.open(_path(rule), method=method, json={})
            assert response.status_code == 401, f"{method} {rule.rule}"


def _every_api_route_answers_401(app, client, headers: dict) -> None:
    for rule, method in _api_routes(app):
        response = client.open(_path(rule), method=method, json={}, headers=headers)
        assert response.status_code == 401, f"{method} {rule.rule}"
        assert response.get_json()["code"] == 401


@pytest.mark.parametrize("secret", ["shk_not-a-real-token", "garbage", ""])
def test_wrong_token_is_401_everywhere(app, client, secret):
    _every_api_route_answers_401(app, client, {"Authorization": f"Bearer {secret}"})


def test_revoked_token_is_401_everywhere(app, db, client, make_user, token_for):
    headers = token_for(make_user("admin"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    for token in db.session.query(ApiToken):
        token.revoked_at = utcnow()
    db.session.commit()
    _every_api_route_answers_401(app, client, headers)


def test_expired_token_is_401_everywhere(app, db, client, make_user, token_for):
    headers = token_for(make_user("admin"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    for token in db.session.query(ApiToken):
        token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _every_api_route_answers_401(app, client, headers)


def test_deactivated_users_token_is_401_everywhere(app, db, client, make_user, token_for):
    user = make_user("admin")
    headers = token_for(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    user.active = False
    db.session.commit()
    _every_api_route_answers_401(app, client, headers)


def test_a_page_with_a_token_but_a_session_cookie_uses_the_token_alone(client, make_user, login):
    login(make_user("admin"))
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer shk_wrong"}).status_code == 401


def test_enforce_denies_an_endpoint_that_declares_nothing(database_uri, make_user):
    app = create_app(base_config(database_uri))
    forgotten = Blueprint("forgotten", __name__)

    @forgotten.route("/forgotten")
    def undeclared():
        return "should never be served"

    app.register_blueprint(forgotten)
    with app.app_context():
        assert permission_of("forgotten.undeclared", "GET") is None
    client = app.test_client()
    assert client.get("/forgotten").status_code == 403  # even before anyone signs in

    admin = make_user("admin")
    from tests.helpers import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": admin.email, "password": "correct horse battery staple",
                                "csrf_token": token})
    assert client.get("/dashboard").status_code == 200
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "should never be served" not in response.get_data(as_text=True)
