"""Browser tests: the real app on a live server, driven by Debian's Chromium.

The live server is its own app instance (built like the ``app`` fixture, on a
fresh copy of the migrated database, or on PostgreSQL when TEST_DATABASE_URL
is set), served by werkzeug on 127.0.0.1 on a free port in a background
thread. Create data for it with ``live_make_user`` (or inside
``live_server.app.app_context()``), never through the ``app`` fixture, which is
another instance. Wait on conditions with Playwright's ``expect``; never sleep.

Never run ``playwright install``: the browser is Debian's ``chromium`` package.
Without it the tests are skipped with a reason, or fail the run when CI is set.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from safehome import create_app
from tests.conftest import IN_CI, PASSWORD, _truncate_all, base_config

CHROMIUM = Path("/usr/bin/chromium")
_HERE = Path(__file__).resolve().parent
_counter = itertools.count(1)


def pytest_collection_modifyitems(items):
    """Every test in this folder drives a browser: mark it so it can be selected or left out."""
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium fonts-liberation"
        if IN_CI:
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's fallback ``base_url``, a fixture defined on a class instance,
    which pytest 9 deprecates (an error under filterwarnings=error). Tests use ``live_server.at()``."""
    return None


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    url: str  # http://127.0.0.1:PORT, no trailing slash

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(database_uri):
    """The app served on 127.0.0.1:<free port> in a thread, stopped at teardown."""
    app = create_app(base_config(database_uri))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        if database_uri.startswith("postgresql"):
            _truncate_all(app)
        else:
            from safehome.extensions import db

            with app.app_context():
                db.engine.dispose()


@dataclass(frozen=True)
class LiveUser:
    """What a browser test needs of a user made in the live server's database."""

    id: int
    email: str
    role: str
    name: str
    password: str = PASSWORD


@pytest.fixture
def live_make_user(live_server):
    """``live_make_user("manager")``: an active user in the live server's database."""
    from safehome.extensions import db
    from safehome.models import Provider
    from safehome.services import SYSTEM, users

    def make(role: str = "housing_worker", *, email: str | None = None, name: str | None = None) -> LiveUser:
        n = next(_counter)
        with live_server.app.app_context():
            provider_id = None
            if role == "provider":
                provider = Provider(name=f"Live provider {n}")
                db.session.add(provider)
                db.session.flush()
                provider_id = provider.id
            user = users.create_user(db.session, SYSTEM, email=email or f"live{n}@example.org",
                                     name=name or f"Live {role} {n}", role=role, password=PASSWORD,
                                     provider_id=provider_id)
            db.session.commit()
            return LiveUser(id=user.id, email=user.email, role=role, name=user.name)

    return make


def live_login(page: Page, server: LiveServer, user: LiveUser, password: str | None = None) -> None:
    """Sign in through the real form and wait for the dashboard."""
    page.goto(server.at("/login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password or user.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.at("/dashboard"))


@pytest.fixture
def signed_in(page, live_server, live_make_user):
    """``signed_in("manager")``: a page signed in as a new user of that role; returns the user."""

    def sign_in(role: str = "housing_worker") -> LiveUser:
        user = live_make_user(role)
        live_login(page, live_server, user)
        return user

    return sign_in

