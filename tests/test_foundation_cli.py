"""The command line: create-user and create-token, thin wrappers over the services."""
from __future__ import annotations

import pytest

from safehome.codes import Role
from safehome.models import ApiToken, User

CLI_PASSWORD = "a long command line password"


@pytest.fixture
def no_password_env(monkeypatch):
    monkeypatch.delenv("SAFEHOME_PASSWORD", raising=False)
    return monkeypatch


def _user(db, email: str) -> User | None:
    db.session.expire_all()
    return db.session.query(User).filter_by(email=email).one_or_none()


def test_create_user_with_the_password_from_the_environment(runner, db, app, login, no_password_env):
    no_password_env.setenv("SAFEHOME_PASSWORD", CLI_PASSWORD)
    result = runner.invoke(args=["create-user", "Robin@Example.org", "--role", "manager", "--name", "Robin"])
    assert result.exit_code == 0, result.output
    user = _user(db, "robin@example.org")
    assert user.role == Role.MANAGER and user.name == "Robin"
    assert f"created user {user.id} (manager)" in result.output
    assert CLI_PASSWORD not in result.output
    assert login(user, password=CLI_PASSWORD, the_client=app.test_client()).status_code == 302


def test_create_user_prompts_for_the_password(runner, db, app, login, no_password_env):
    result = runner.invoke(args=["create-user", "sam@example.org", "--role", "housing_options"],
                           input=f"{CLI_PASSWORD}\n{CLI_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and CLI_PASSWORD not in result.output
    user = _user(db, "sam@example.org")
    assert user.role == Role.HOUSING_OPTIONS and user.name == "sam"
    assert login(user, password=CLI_PASSWORD, the_client=app.test_client()).status_code == 302


def test_create_user_prompt_must_match(runner, db, no_password_env):
    result = runner.invoke(args=["create-user", "sam@example.org", "--role", "manager"],
                           input=f"{CLI_PASSWORD}\nsomething else entirely\n{CLI_PASSWORD}\n{CLI_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "The two entered values do not match." in result.output  # asked again, then accepted
    assert _user(db, "sam@example.org") is not None


def test_create_provider_user(runner, db, make_provider, no_password_env):
    provider = make_provider()
    no_password_env.setenv("SAFEHOME_PASSWORD", CLI_PASSWORD)
    result = runner.invoke(args=["create-user", "p@example.org", "--role", "provider",
                                 "--provider-id", str(provider.id)])
    assert result.exit_code == 0, result.output
    assert _user(db, "p@example.org").provider_id == provider.id


@pytest.mark.parametrize("args, password, field", [
    (["create-user", "x@example.org", "--role", "king"], CLI_PASSWORD, "role"),
    (["create-user", "not-an-email", "--role", "manager"], CLI_PASSWORD, "email"),
    (["create-user", "x@example.org", "--role", "manager"], "short", "password"),
    (["create-user", "x@example.org", "--role", "provider"], CLI_PASSWORD, "provider_id"),
])
def test_create_user_errors_name_the_field_and_exit_non_zero(runner, db, no_password_env, args, password, field):
    no_password_env.setenv("SAFEHOME_PASSWORD", password)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert f"{field}: " in result.output
    assert "The user could not be created." in result.output
    assert db.session.query(User).count() == 0


def test_create_user_twice_is_refused(runner, db, no_password_env):
    no_password_env.setenv("SAFEHOME_PASSWORD", CLI_PASSWORD)
    assert runner.invoke(args=["create-user", "twice@example.org", "--role", "admin"]).exit_code == 0
    again = runner.invoke(args=["create-user", "twice@example.org", "--role", "admin"])
    assert again.exit_code != 0 and "email: is already in use" in again.output


def test_create_token_prints_a_working_token_last(runner, db, app, make_user):
    user = make_user("manager", email="Token.Owner@example.org")
    result = runner.invoke(args=["create-token", "token.owner@EXAMPLE.org", "--name", "nightly export"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("shk_")
    token = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert token.name == "nightly export" and token.token_hash != secret
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["id"] == user.id


def test_create_token_for_an_unknown_user_fails(runner, db):
    result = runner.invoke(args=["create-token", "nobody@example.org"])
    assert result.exit_code != 0 and "no such user" in result.output
    assert db.session.query(ApiToken).count() == 0


def test_create_token_with_bad_days_names_the_field(runner, db, make_user):
    make_user(email="days@example.org")
    result = runner.invoke(args=["create-token", "days@example.org", "--days", "0"])
    assert result.exit_code != 0 and "expires_in_days: " in result.output
    assert db.session.query(ApiToken).count() == 0


def test_commands_are_listed_in_help(runner):
    result = runner.invoke(args=["--help"])
    for command in ("create-user", "create-token", "db"):
        assert command in result.output
