"""Settings, read from the environment once, when the app is built.

Every setting is listed in README.md. Development secrets are generated into
``instance/`` on first run (never committed); production refuses to start
without real ones.
"""
from __future__ import annotations

import base64
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path

from safehome import crypto

# Values that must never reach production: anything shorter, or these.
_KNOWN_BAD_SECRETS = {"", "dev", "change-me", "secret", "changeme"}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the chosen environment."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer") from exc


SEGREGATION_KM_DEFAULT = 5.0
SEGREGATION_KM_MIN = 1.0


def segregation_km(raw) -> float:
    """The ``SAFEHOME_SEGREGATION_KM`` setting checked: a number of km, at least ``SEGREGATION_KM_MIN``."""
    if raw is None or raw == "":
        return SEGREGATION_KM_DEFAULT
    try:
        km = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError("SAFEHOME_SEGREGATION_KM must be a number of kilometres") from exc
    if not math.isfinite(km) or km < SEGREGATION_KM_MIN:
        raise ConfigError(f"SAFEHOME_SEGREGATION_KM must be at least {SEGREGATION_KM_MIN:g} (km): perpetrator "
                          "accommodation is kept at least that far from every site housing victims")
    return km


def _dev_secret(instance_path: Path, name: str, make) -> str:
    """Read a development secret from instance/, creating it once."""
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
    return path.read_text().strip()


def new_data_key() -> str:
    """A fresh 256-bit key for field encryption, urlsafe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _old_data_keys(raw: str) -> tuple[str, ...]:
    """SAFEHOME_OLD_DATA_KEYS: comma-separated keys that still open values sealed before a rotation."""
    keys = tuple(item.strip() for item in raw.split(",") if item.strip())
    for position, key in enumerate(keys, 1):
        try:
            crypto.decode_key(key, f"SAFEHOME_OLD_DATA_KEYS key {position}")
        except crypto.SealError as exc:
            raise ConfigError(str(exc)) from exc
    return keys


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the settings mapping from the environment; ``overrides`` win."""
    overrides = overrides or {}
    env = overrides.get("ENV_NAME") or os.environ.get("SAFEHOME_ENV", "development")
    if env not in {"development", "production", "testing"}:
        raise ConfigError("SAFEHOME_ENV must be development, production or testing")
    production = env == "production"

    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY", "")
    data_key = overrides.get("SAFEHOME_DATA_KEY") or os.environ.get("SAFEHOME_DATA_KEY", "")
    if production:
        if secret_key in _KNOWN_BAD_SECRETS or len(secret_key) < 32:
            raise ConfigError("SECRET_KEY must be set to a random value of 32+ characters in production")
        if not data_key:
            raise ConfigError("SAFEHOME_DATA_KEY must be set in production")
    else:
        secret_key = secret_key or _dev_secret(instance_path, "secret_key", lambda: secrets.token_urlsafe(48))
        data_key = data_key or _dev_secret(instance_path, "data_key", new_data_key)

    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'safehome.db'}"
    idle_minutes = _env_int("SAFEHOME_IDLE_MINUTES", 30)
    token_max_days = _env_int("SAFEHOME_TOKEN_MAX_DAYS", 365)
    if token_max_days < 1:
        raise ConfigError("SAFEHOME_TOKEN_MAX_DAYS must be at least 1")
    settings = {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key,
        "SAFEHOME_DATA_KEY": data_key,
        # Keys replaced by a rotation, kept until rotate-data-key has re-sealed every value under the current one.
        "SAFEHOME_OLD_DATA_KEYS": os.environ.get("SAFEHOME_OLD_DATA_KEYS", ""),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a logged statement or a database error never carries the values (names, references).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=idle_minutes),
        # Sessions live in the database (auth_session.SessionStore): a row is written when the session
        # changes, and the idle clock moves it on at most once a minute, not on every request.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,  # the session lifetime bounds the token
        "MAX_CONTENT_LENGTH": _env_int("SAFEHOME_MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        # The longest an API token may live; every token expires.
        "TOKEN_MAX_DAYS": token_max_days,
        "LOGIN_MAX_FAILURES": _env_int("SAFEHOME_LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _env_int("SAFEHOME_LOGIN_LOCK_MINUTES", 15),
        # Failed sign-ins from one network address, whatever the account, before it must wait.
        "LOGIN_ADDRESS_MAX_FAILURES": _env_int("SAFEHOME_LOGIN_ADDRESS_MAX_FAILURES", 20),
        "LOGIN_ADDRESS_WINDOW_MINUTES": _env_int("SAFEHOME_LOGIN_ADDRESS_WINDOW_MINUTES", 15),
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, the default).
        # Behind one, the sign-in throttle and the audit log would otherwise see only the proxy's address;
        # never set it higher than the proxies there are, or a client could choose its own address.
        "PROXY_HOPS": _env_int("SAFEHOME_PROXY_HOPS", 0),
        "OFFER_HOLD_HOURS": _env_int("SAFEHOME_OFFER_HOLD_HOURS", 24),
        # The batch match's time limit in seconds: a region's run takes seconds, a whole country's
        # (20,000 households, 31,000 free units) about three minutes, most of it checking the rules.
        "MATCH_TIME_LIMIT": _env_int("SAFEHOME_MATCH_TIME_LIMIT", 300),
        "RETENTION_YEARS": _env_int("SAFEHOME_RETENTION_YEARS", 6),
        # Per perpetrator-service worker: requests filed in any 24 hours, and requests waiting for
        # accommodation at once (filed, matched or accepted). Refiling again and again is how a worker
        # could probe for a victim's case, so filing is bounded (services/perpetrator.py).
        "PERPETRATOR_REQUESTS_PER_DAY": _env_int("SAFEHOME_PERPETRATOR_REQUESTS_PER_DAY", 5),
        "PERPETRATOR_WAITING_REQUESTS": _env_int("SAFEHOME_PERPETRATOR_WAITING_REQUESTS", 10),
        # How far perpetrator accommodation is kept from every site housing victims (services/segregation.py).
        "SEGREGATION_KM": segregation_km(overrides.get("SEGREGATION_KM", os.environ.get("SAFEHOME_SEGREGATION_KM"))),
        "GEOCODER": os.environ.get("SAFEHOME_GEOCODER", ""),  # "" = offline table only
        "MAP_TILE_URL": os.environ.get("SAFEHOME_MAP_TILE_URL", ""),  # "" = no third-party tiles
        "ARGON2_PROFILE": "RFC_9106_LOW_MEMORY",
        # flask-smorest / OpenAPI
        "API_TITLE": "SafeHome",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": None,
        "OPENAPI_SWAGGER_UI_PATH": None,
    }
    settings.update(overrides)
    # Checked after the overrides, so a malformed old key stops the start however it was given.
    settings["SAFEHOME_OLD_DATA_KEYS"] = _old_data_keys(settings["SAFEHOME_OLD_DATA_KEYS"])
    return settings
