"""Settings: from the environment; production refuses missing or weak secrets; development makes its own once."""
from __future__ import annotations

import base64
import os
import stat

import pytest

from safehome import create_app, crypto
from safehome.config import ConfigError, load, new_data_key

SECRET_NAMES = ("SAFEHOME_ENV", "SECRET_KEY", "SAFEHOME_DATA_KEY", "DATABASE_URL")
GOOD_SECRET = "k" * 16 + "2Fq9vXr7LmN0pQs3Tu"


@pytest.fixture
def clean_env(monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("secret_key, data_key", [
    ("", new_data_key()),                  # missing secret
    ("change-me", new_data_key()),         # a known default
    ("x" * 31, new_data_key()),            # too short
    (GOOD_SECRET, ""),                     # missing data key
])
def test_production_refuses_missing_or_weak_secrets(clean_env, tmp_path, secret_key, data_key):
    clean_env.setenv("SAFEHOME_ENV", "production")
    if secret_key:
        clean_env.setenv("SECRET_KEY", secret_key)
    if data_key:
        clean_env.setenv("SAFEHOME_DATA_KEY", data_key)
    with pytest.raises(ConfigError):
        load(tmp_path / "instance")
    assert not (tmp_path / "instance").exists()  # nothing generated in production


def test_production_app_refuses_to_start_with_a_default_secret(clean_env):
    clean_env.setenv("SECRET_KEY", "changeme")
    clean_env.setenv("SAFEHOME_DATA_KEY", new_data_key())
    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production"})


def test_production_app_refuses_to_start_with_a_malformed_data_key(clean_env):
    clean_env.setenv("SECRET_KEY", GOOD_SECRET)
    clean_env.setenv("SAFEHOME_DATA_KEY", "change-me")
    with pytest.raises(crypto.SealError):
        create_app({"ENV_NAME": "production"})


def test_production_with_real_secrets_loads_secure_cookies(clean_env, tmp_path):
    key = new_data_key()
    clean_env.setenv("SAFEHOME_ENV", "production")
    clean_env.setenv("SECRET_KEY", GOOD_SECRET)
    clean_env.setenv("SAFEHOME_DATA_KEY", key)
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://safehome@db.internal/safehome")
    settings = load(tmp_path / "instance")
    assert settings["SECRET_KEY"] == GOOD_SECRET and settings["SAFEHOME_DATA_KEY"] == key
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://safehome@db.internal/safehome"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True and settings["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_generates_secrets_once_and_reuses_them(clean_env, tmp_path):
    instance = tmp_path / "instance"
    first = load(instance)
    for name in ("secret_key", "data_key"):
        path = instance / name
        assert path.exists()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first["SECRET_KEY"]) >= 32
    assert len(base64.urlsafe_b64decode(first["SAFEHOME_DATA_KEY"])) == 32
    second = load(instance)
    assert (second["SECRET_KEY"], second["SAFEHOME_DATA_KEY"]) == (first["SECRET_KEY"], first["SAFEHOME_DATA_KEY"])
    assert second["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'safehome.db'}"
    assert second["SESSION_COOKIE_SECURE"] is False
    assert load(tmp_path / "other")["SECRET_KEY"] != first["SECRET_KEY"]


def test_settings_come_from_the_environment(clean_env, tmp_path):
    for name, value in {"SAFEHOME_IDLE_MINUTES": "10", "SAFEHOME_LOGIN_MAX_FAILURES": "3",
                        "SAFEHOME_LOGIN_LOCK_MINUTES": "20", "SAFEHOME_OFFER_HOLD_HOURS": "48",
                        "SAFEHOME_RETENTION_YEARS": "7", "SAFEHOME_MAX_UPLOAD_BYTES": "1000",
                        "SAFEHOME_GEOCODER": "nominatim",
                        "SAFEHOME_MAP_TILE_URL": "https://tile.example/{z}/{x}/{y}.png"}.items():
        clean_env.setenv(name, value)
    settings = load(tmp_path)
    assert settings["PERMANENT_SESSION_LIFETIME"].total_seconds() == 600
    assert (settings["LOGIN_MAX_FAILURES"], settings["LOGIN_LOCK_MINUTES"]) == (3, 20)
    assert (settings["OFFER_HOLD_HOURS"], settings["RETENTION_YEARS"]) == (48, 7)
    assert settings["MAX_CONTENT_LENGTH"] == 1000
    assert settings["GEOCODER"] == "nominatim"
    assert settings["MAP_TILE_URL"] == "https://tile.example/{z}/{x}/{y}.png"


@pytest.mark.parametrize("name, value", [("SAFEHOME_ENV", "staging"), ("SAFEHOME_IDLE_MINUTES", "thirty")])
def test_bad_settings_are_refused(clean_env, tmp_path, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load(tmp_path)
