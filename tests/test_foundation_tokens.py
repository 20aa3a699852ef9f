"""Personal API tokens and the API's own rules: hashed, shown once, revocable, the owner's role, JSON errors."""
from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import text

from safehome.models import ApiToken
from tests.helpers import csrf_token_from, post_form

_NEW_TOKEN = re.compile(r'data-testid="new-token">(shk_[^<]+)<')


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _fresh_client(client):
    """Another client of the same app, with no session cookie."""
    return client.application.test_client()


def _row_text(db, token_id: int) -> str:
    row = db.session.execute(text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token_id}).one()
    return " ".join(str(value) for value in row)


def test_token_made_on_the_page_is_shown_once_and_only_its_hash_kept(client, db, make_user, login):
    user = make_user("housing_worker")
    login(user)
    response = post_form(client, "/account/tokens", {"name": "spreadsheet", "expires_in_days": "30"})
    assert response.status_code == 200
    secret = _NEW_TOKEN.search(response.get_data(as_text=True)).group(1)

    token = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in _row_text(db, token.id)
    assert secret[len("shk_"):] not in _row_text(db, token.id)
    assert secret not in client.get("/account/tokens").get_data(as_text=True)  # never again

    # the token works and acts as its owner, with no cookie
    me = _fresh_client(client).get("/api/v1/me", headers=_bearer(secret))
    assert me.status_code == 200 and me.get_json()["email"] == user.email


def test_token_page_names_a_bad_field(client, make_user, login):
    login(make_user())
    response = post_form(client, "/account/tokens", {"name": "x", "expires_in_days": "999"})
    assert response.status_code == 422
    assert 'id="expires_in_days-error"' in response.get_data(as_text=True)


def test_token_made_through_the_api(client, db, make_user, token_for):
    user = make_user("manager")
    response = client.post("/api/v1/tokens", json={"name": "reporting", "expires_in_days": 7},
                           headers=token_for(user))
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("shk_") and body["name"] == "reporting" and body["revoked"] is False
    assert body["prefix"] == body["token"][:10]
    assert body["token"] not in _row_text(db, body["id"])
    assert client.get("/api/v1/me", headers=_bearer(body["token"])).get_json()["id"] == user.id


def test_token_list_never_holds_secrets(client, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    secret = client.post("/api/v1/tokens", json={"name": "second"}, headers=headers).get_json()["token"]
    response = client.get("/api/v1/tokens", headers=headers)
    assert response.status_code == 200
    listed = response.get_json()
    assert sorted(t["name"] for t in listed) == ["second", "test"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    raw = response.get_data(as_text=True)
    assert secret not in raw and headers["Authorization"].split()[1] not in raw


def test_revoke_through_the_api(client, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    made = client.post("/api/v1/tokens", json={"name": "short-lived"}, headers=headers).get_json()
    assert client.get("/api/v1/me", headers=_bearer(made["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(made["token"])).status_code == 401
    listed = {t["id"]: t for t in client.get("/api/v1/tokens", headers=headers).get_json()}
    assert listed[made["id"]]["revoked"] is True
    # revoking twice is harmless
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=headers).status_code == 204


def test_revoke_on_the_page(client, db, make_user, login, token_for):
    user = make_user()
    headers = token_for(user)
    token = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    login(user)
    response = post_form(client, f"/account/tokens/{token.id}/revoke", {}, page="/account/tokens")
    assert response.status_code == 302
    assert _fresh_client(client).get("/api/v1/me", headers=headers).status_code == 401


def test_another_users_token_cannot_be_revoked(client, db, make_user, login, token_for):
    owner, other = make_user(), make_user()
    owner_headers = token_for(owner)
    owner_token = db.session.query(ApiToken).filter_by(user_id=owner.id).one()
    assert client.delete(f"/api/v1/tokens/{owner_token.id}", headers=token_for(other)).status_code == 404

    login(other)
    response = post_form(client, f"/account/tokens/{owner_token.id}/revoke", {}, page="/account/tokens")
    assert response.status_code == 404
    assert _fresh_client(client).get("/api/v1/me", headers=owner_headers).status_code == 200


def test_the_owners_role_applies_to_the_token(client, make_user, token_for):
    worker_headers = token_for(make_user("housing_worker"))
    assert client.get("/api/v1/users", headers=worker_headers).status_code == 403
    assert client.get("/api/v1/audit-events", headers=worker_headers).status_code == 403
    assert client.get("/api/v1/users", headers=token_for(make_user("admin"))).status_code == 200


def test_json_errors_name_the_fields(client, make_user, token_for):
    headers = token_for(make_user("admin"))
    cases = [
        ("/api/v1/tokens", {"name": ""}, "name"),
        ("/api/v1/tokens", {"name": "x" * 81}, "name"),
        ("/api/v1/tokens", {"name": "ok", "expires_in_days": 0}, "expires_in_days"),
        ("/api/v1/tokens", {"name": "ok", "colour": "blue"}, "colour"),
        ("/api/v1/tokens", {}, "name"),
        ("/api/v1/users", {"email": "not-an-email", "name": "A", "role": "admin", "password": "x" * 12}, "email"),
        ("/api/v1/users", {"email": "a@example.org", "name": "A", "role": "admin", "password": "short"}, "password"),
        ("/api/v1/users", {"email": "a@example.org", "name": "A", "role": "king", "password": "x" * 12}, "role"),
        ("/api/v1/users", {"email": "a@example.org", "name": "A", "role": "provider", "password": "x" * 12},
         "provider_id"),
    ]
    for url, body, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (url, body, response.get_json())
        answer = response.get_json()
        assert answer["code"] == 422 and answer["message"]
        assert field in answer["errors"]["json"], (body, answer)


def test_a_body_that_is_not_json_is_400_json_not_500(client, make_user, token_for):
    response = client.post("/api/v1/tokens", data="name=x", headers={**token_for(make_user()),
                                                                      "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_json()
    assert response.is_json


def test_unknown_api_path_and_method_answer_json(client, make_user, token_for):
    headers = token_for(make_user())
    missing = client.get("/api/v1/no-such-thing", headers=headers)
    assert missing.status_code == 404 and missing.is_json
    wrong_method = client.put("/api/v1/me", headers=headers)
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["Allow"]


def test_api_post_from_a_browser_session_needs_the_csrf_header(client, make_user, login):
    login(make_user())
    refused = client.post("/api/v1/tokens", json={"name": "from the browser"})
    assert refused.status_code == 400
    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    accepted = client.post("/api/v1/tokens", json={"name": "from the browser"}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_openapi_document_declares_the_bearer_scheme(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token (shk_...)"}
    assert {"bearer": []} in spec["security"]
    assert "/api/v1/me" in spec["paths"] and "/api/v1/tokens" in spec["paths"]


def test_api_docs_page_uses_no_other_server(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api/v1/tokens" in html and "/api/openapi.json" in html
    urls = re.findall(r'(?:src|href|action)\s*=\s*["\']([^"\']*)', html)
    assert urls, "the page links to nothing at all?"
    external = [u for u in urls if re.match(r"^(?:[a-z]+:)?//", u, re.I)]
    assert not external, external
    assert "http://" not in html and "https://" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
