"""Administration pages: create users, change roles, reset passwords, deactivate; sessions end at once."""
from __future__ import annotations

import pytest

from safehome.codes import Role
from safehome.models import User
from tests.conftest import PASSWORD
from tests.helpers import post_form

NEW_PASSWORD = "a brand new long password"


@pytest.fixture
def admin_client(client, make_user, login):
    admin = make_user("admin")
    login(admin)
    client.admin = admin
    return client


@pytest.fixture
def user_client(app, login):
    """A second browser: ``user_client(user)`` signs the user in on it."""

    def sign_in(user):
        other = app.test_client()
        assert login(user, the_client=other).status_code == 302
        assert other.get("/dashboard").status_code == 200
        return other

    return sign_in


def _new_user_form(**changes) -> dict:
    return {"email": "casey@example.org", "name": "Casey Worker", "role": "housing_worker", "provider_id": "",
            "password": "a long enough password", **changes}


def test_admin_creates_a_user_who_can_sign_in(admin_client, db, app, login):
    response = post_form(admin_client, "/admin/users", _new_user_form(role="manager"))
    assert response.status_code == 302
    user = db.session.query(User).filter_by(email="casey@example.org").one()
    assert user.role == Role.MANAGER and user.active
    assert "casey@example.org" in admin_client.get("/admin/users").get_data(as_text=True)
    assert login(user, password="a long enough password", the_client=app.test_client()).status_code == 302


def test_admin_creates_a_provider_user(admin_client, db, make_provider):
    provider = make_provider("Riverside Housing")
    assert "Riverside Housing" in admin_client.get("/admin/users").get_data(as_text=True)
    response = post_form(admin_client, "/admin/users", _new_user_form(role="provider", provider_id=str(provider.id)))
    assert response.status_code == 302
    assert db.session.query(User).filter_by(email="casey@example.org").one().provider_id == provider.id


@pytest.mark.parametrize("changes, field, message", [
    ({"email": "not-an-email"}, "email", "must be an email address"),
    ({"password": "too short"}, "password", "must be at least 12 characters"),
    ({"role": "provider"}, "provider_id", "a provider user must belong to a provider"),
    ({"name": ""}, "name", "This field is required."),
])
def test_create_user_errors_name_the_field(admin_client, db, changes, field, message):
    response = post_form(admin_client, "/admin/users", _new_user_form(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">{message}</p>' in html
    assert f'aria-describedby="{field}-error"' in html
    assert db.session.query(User).filter_by(email="casey@example.org").count() == 0


def test_every_problem_is_reported_at_once(admin_client):
    response = post_form(admin_client, "/admin/users", _new_user_form(email="bad", password="short", role="provider"))
    html = response.get_data(as_text=True)
    for field in ("email", "password", "provider_id"):
        assert f'id="{field}-error"' in html
    assert "Please correct 3 fields" in html


def test_duplicate_email_is_refused(admin_client, make_user):
    existing = make_user(email="taken@example.org")
    response = post_form(admin_client, "/admin/users", _new_user_form(email=existing.email.upper()))
    assert response.status_code == 422 and "is already in use" in response.get_data(as_text=True)


def _user_page(user) -> str:
    return f"/admin/users/{user.id}"


def test_re_role_ends_the_users_sessions(admin_client, db, make_user, user_client):
    user = make_user("housing_worker")
    browser = user_client(user)
    response = post_form(admin_client, f"{_user_page(user)}/role", {"role": "manager", "provider_id": ""},
                         page=_user_page(user))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.role == Role.MANAGER
    signed_out = browser.get("/dashboard")
    assert signed_out.status_code == 302 and signed_out.headers["Location"].startswith("/login")


def test_re_role_to_provider_needs_a_provider(admin_client, db, make_user):
    user = make_user("housing_worker")
    response = post_form(admin_client, f"{_user_page(user)}/role", {"role": "provider", "provider_id": ""},
                         page=_user_page(user), follow=True)
    assert "provider_id: a provider user must belong to a provider" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.role == Role.HOUSING_WORKER


def test_password_reset_ends_old_sessions_and_sets_the_new_password(admin_client, app, db, make_user, login,
                                                                    user_client):
    user = make_user()
    browser = user_client(user)
    response = post_form(admin_client, f"{_user_page(user)}/password", {"password": NEW_PASSWORD},
                         page=_user_page(user))
    assert response.status_code == 302
    assert browser.get("/dashboard").status_code == 302
    assert login(user, password=PASSWORD, the_client=app.test_client()).status_code == 401
    assert login(user, password=NEW_PASSWORD, the_client=app.test_client()).status_code == 302


def test_password_reset_refuses_a_short_password(admin_client, db, make_user, user_client):
    user = make_user()
    browser = user_client(user)
    response = post_form(admin_client, f"{_user_page(user)}/password", {"password": "short"},
                         page=_user_page(user), follow=True)
    assert "password: must be at least 12 characters" in response.get_data(as_text=True)
    assert browser.get("/dashboard").status_code == 200


def test_deactivate_signs_the_user_out_at_once(admin_client, app, db, make_user, login, user_client, token_for):
    user = make_user()
    headers = token_for(user)
    browser = user_client(user)
    response = post_form(admin_client, f"{_user_page(user)}/active", {}, page=_user_page(user))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.active is False
    assert browser.get("/dashboard").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert login(user, the_client=app.test_client()).status_code == 401

    post_form(admin_client, f"{_user_page(user)}/active", {"active": "y"}, page=_user_page(user))
    assert login(user, the_client=app.test_client()).status_code == 302


def test_admin_cannot_deactivate_themselves(admin_client, db):
    admin = admin_client.admin
    response = post_form(admin_client, f"{_user_page(admin)}/active", {}, page=_user_page(admin), follow=True)
    assert "active: you cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active is True
    assert admin_client.get("/admin/users").status_code == 200


def test_admin_revokes_a_users_token(admin_client, app, db, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    page = admin_client.get(_user_page(user)).get_data(as_text=True)
    assert "live" in page
    token_id = user.tokens[0].id
    response = post_form(admin_client, f"/admin/tokens/{token_id}/revoke", {}, page=_user_page(user))
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_missing_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize("role", ["housing_worker", "housing_options", "manager", "perpetrator_service", "provider"])
def test_only_admins_reach_the_user_pages(client, make_user, login, role):
    target = make_user()
    login(make_user(role))
    assert client.get("/admin/users").status_code == 403
    assert client.get(_user_page(target)).status_code == 403
    assert post_form(client, f"{_user_page(target)}/active", {}, page="/dashboard").status_code == 403
