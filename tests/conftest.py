"""Shared fixtures: the app on each database, clients, logins and factories.

Every test that uses ``app`` (or anything built on it) runs on SQLite and,
when ``TEST_DATABASE_URL`` names a PostgreSQL database, on PostgreSQL too.
With ``CI`` set, a missing PostgreSQL fails the run instead of skipping.
"""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from safehome import create_app
from safehome.config import new_data_key

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = bool(os.environ.get("CI"))
DATA_KEY = new_data_key()
PASSWORD = "correct horse battery staple"

if IN_CI and not PG_URL:
    raise pytest.UsageError("CI is set but TEST_DATABASE_URL is not: the PostgreSQL run would be skipped")

DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def base_config(database_uri: str, **extra) -> dict:
    return {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SAFEHOME_DATA_KEY": DATA_KEY,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "ARGON2_PROFILE": "CHEAPEST",
        **extra,
    }


def _migrate(database_uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(database_uri))
    with app.app_context():
        upgrade()
        from safehome.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file upgraded once with the migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    """The PostgreSQL test database, emptied and upgraded once per session."""
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(PG_URL)
    return PG_URL


def _forget_process_caches() -> None:
    """The unit pool and the kept counts and sites are kept per process, keyed by the database URL and
    a version read from the data. The PostgreSQL tests share one URL and empty it between tests, so a
    next test that rebuilds the same rows at the same timestamps (the demo world) would read the last
    test's: forget them."""
    from safehome.services import inventory, matching, segregation

    matching.forget_pools()
    inventory.forget_kept()
    segregation.forget_kept()


def _truncate_all(app) -> None:
    from safehome.extensions import db

    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=DATABASES)
def database_uri(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "safehome.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_ready")


@pytest.fixture
def config_extra() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in a real server: its own
    ``g`` and its own database session, apart from the test's."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_uri, config_extra):
    app = create_app(base_config(database_uri, **config_extra))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        from safehome.extensions import db

        db.session.remove()
    _forget_process_caches()
    if database_uri.startswith("postgresql"):
        _truncate_all(app)
    else:
        with app.app_context():
            from safehome.extensions import db

            db.engine.dispose()


@pytest.fixture
def db(app):
    from safehome.extensions import db

    return db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_provider(db):
    from safehome.models import Provider

    def make(name: str | None = None) -> Provider:
        provider = Provider(name=name or f"Provider {next(_counter)}")
        db.session.add(provider)
        db.session.commit()
        return provider

    return make


@pytest.fixture
def make_user(db, make_provider):
    """``make_user("manager")`` gives an active user with the test password."""
    from safehome.services import SYSTEM, users

    def make(role: str = "housing_worker", *, email: str | None = None, provider=None, **kwargs):
        if role == "provider" and provider is None:
            provider = make_provider()
        user = users.create_user(db.session, SYSTEM, email=email or f"user{next(_counter)}@example.org",
                                 name=kwargs.pop("name", f"Test {role}"), role=role, password=PASSWORD,
                                 provider_id=provider.id if provider is not None else None)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Sign a test client in through the real form (CSRF included)."""
    from tests.helpers import csrf_token_from

    def do(user, password: str = PASSWORD, follow: bool = False, the_client=None):
        c = the_client or client
        page = c.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return c.post("/login", data={"email": user.email, "password": password, "csrf_token": token},
                      follow_redirects=follow)

    return do


@pytest.fixture
def token_for(db):
    """A Bearer header for a user: ``client.get(url, headers=token_for(user))``."""
    from safehome.services import SYSTEM, users

    def make(user) -> dict:
        _, secret = users.create_token(db.session, SYSTEM, user, "test", max_days=365)
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
