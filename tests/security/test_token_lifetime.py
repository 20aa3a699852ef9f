"""API tokens always expire, within SAFEHOME_TOKEN_MAX_DAYS, and die with their owner's password, account or role."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from safehome import create_app
from safehome.codes import AuditAction
from safehome.config import ConfigError, load
from safehome.extensions import db as flask_db
from safehome.models import ApiToken, AuditEvent
from safehome.models.base import utcnow
from safehome.services import SYSTEM, users
from tests.conftest import PASSWORD, base_config
from tests.helpers import post_form

NEW_PASSWORD = "another long enough password"


def _create(client, headers, **body):
    return client.post("/api/v1/tokens", json={"name": "script", **body}, headers=headers)


def _lifetime(db, token_id: int) -> timedelta:
    token = db.session.get(ApiToken, token_id)
    return token.expires_at - token.created_at


def test_a_token_with_no_expiry_is_refused_naming_the_field(client, db, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    response = _create(client, headers, expires_in_days=None)
    assert response.status_code == 422
    assert "expires_in_days" in response.get_json()["errors"]["json"]
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "script")) is None


def test_the_default_maximum_is_365_days(client, db, make_user, token_for):
    headers = token_for(make_user())
    over = _create(client, headers, expires_in_days=366)
    assert over.status_code == 422
    assert over.get_json()["errors"]["json"]["expires_in_days"] == ["must be a whole number of days from 1 to 365"]
    made = _create(client, headers, expires_in_days=365)
    assert made.status_code == 201
    assert _lifetime(db, made.get_json()["id"]) == timedelta(days=365)


def test_a_token_without_a_lifetime_gets_90_days(client, db, make_user, token_for):
    made = _create(client, token_for(make_user()))
    assert made.status_code == 201 and made.get_json()["expires_at"] is not None
    assert _lifetime(db, made.get_json()["id"]) == timedelta(days=90)


@pytest.mark.parametrize("config_extra", [{"TOKEN_MAX_DAYS": 30}])
def test_the_maximum_is_a_setting_kept_by_the_api_the_page_and_the_command(client, db, make_user, login, runner,
                                                                          token_for):
    user = make_user()
    headers = token_for(user)
    assert _create(client, headers, expires_in_days=31).status_code == 422
    made = _create(client, headers)  # the 90-day default is capped at the maximum
    assert made.status_code == 201 and _lifetime(db, made.get_json()["id"]) == timedelta(days=30)

    login(user)
    page = post_form(client, "/account/tokens", {"name": "sheet", "expires_in_days": "31"})
    assert page.status_code == 422 and "from 1 to 30" in page.get_data(as_text=True)

    refused = runner.invoke(args=["create-token", user.email, "--days", "31"])
    assert refused.exit_code != 0 and "expires_in_days: must be a whole number of days from 1 to 30" in refused.output
    assert db.session.scalar(select(ApiToken).where(ApiToken.name.in_(["sheet", "command line"]))) is None


def test_the_maximum_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEHOME_TOKEN_MAX_DAYS", "60")
    assert load(tmp_path)["TOKEN_MAX_DAYS"] == 60
    monkeypatch.setenv("SAFEHOME_TOKEN_MAX_DAYS", "0")
    with pytest.raises(ConfigError, match="SAFEHOME_TOKEN_MAX_DAYS"):
        load(tmp_path)


def _revocations(db, user) -> list[str]:
    token_ids = select(ApiToken.id).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == AuditAction.TOKEN_REVOKED, AuditEvent.record_id.in_(token_ids))))


def _still_works(app, headers) -> bool:
    return app.test_client().get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize("change, why", [
    (lambda session, user: users.set_password(session, SYSTEM, user, NEW_PASSWORD), "password reset"),
    (lambda session, user: users.set_active(session, SYSTEM, user, False), "deactivated"),
    (lambda session, user: users.set_role(session, SYSTEM, user, "admin"), "role changed"),
])
def test_a_reset_deactivation_or_role_change_revokes_the_users_tokens(app, db, make_user, token_for, change, why):
    user = make_user("manager")
    headers = token_for(user)
    change(db.session, user)
    db.session.commit()
    assert not _still_works(app, headers)
    assert _revocations(db, user) == [why]


def test_changing_ones_own_password_revokes_ones_tokens(app, client, db, make_user, login, token_for):
    user = make_user()
    headers = token_for(user)
    login(user)
    response = post_form(client, "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                              "new_password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _still_works(app, headers)
    assert _revocations(db, user) == ["password changed"]


def test_reactivation_does_not_bring_old_tokens_back(app, db, make_user, token_for):
    user = make_user()
    headers = token_for(user)
    users.set_active(db.session, SYSTEM, user, False)
    users.set_active(db.session, SYSTEM, user, True)
    db.session.commit()
    assert not _still_works(app, headers)


def test_saving_the_same_role_revokes_nothing(app, db, make_user, token_for):
    user = make_user("manager")
    headers = token_for(user)
    users.set_role(db.session, SYSTEM, user, "manager")
    users.set_active(db.session, SYSTEM, user, True)
    db.session.commit()
    assert _still_works(app, headers)
    assert _revocations(db, user) == []


def test_the_migration_gives_every_token_an_expiry(tmp_path):
    """Tokens made with no expiry before migration 0009 expire 365 days after they were made."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade(revision="0008")
        made = utcnow() - timedelta(days=10)
        with flask_db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (email, name, password_hash, role, active, failed_logins, "
                              "session_epoch, created_at) VALUES ('old@example.org', 'Old', 'x', 'manager', 1, 0, 0, "
                              ":made)"), {"made": made.replace(tzinfo=None)})
            conn.execute(text("INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) "
                              "VALUES (1, 'forever', 'shk_abcdef', :hash, :made)"),
                         {"hash": "0" * 64, "made": made.replace(tzinfo=None)})
        upgrade()
        token = flask_db.session.scalars(select(ApiToken)).one()
        assert token.expires_at - token.created_at == timedelta(days=365)
        flask_db.session.remove()
        flask_db.engine.dispose()
