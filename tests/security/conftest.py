"""Fixtures for the security tests: a populated world (the demo data) and a client per role.

The demo world (every role, unit type, household shape, placements, Housing
Options requests, perpetrator requests) is built once per session into a
SQLite file; each test gets its own copy, so walking every page as every role
starts from the same full database. Tests that must also run on PostgreSQL use
the shared ``app`` fixture instead.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from safehome import create_app
from tests.conftest import FreshContextClient, base_config
from tests.helpers import csrf_token_from

ROLES = ("housing_worker", "housing_options", "manager", "perpetrator_service", "provider", "admin")
# The demo user of each role (email local part); "provider2" is the other provider.
DEMO_LOGIN = {"housing_worker": "worker", "housing_options": "options", "manager": "manager",
              "perpetrator_service": "perpetrator", "provider": "provider", "admin": "admin"}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, sqlite_template) -> Path:
    """A migrated SQLite file holding the demo world, built once."""
    from safehome.extensions import db
    from safehome.services import SYSTEM, demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"))
    with app.app_context():
        demo.load_demo(db.session, SYSTEM, password=demo.DEMO_PASSWORD, today=date.today())
        db.session.commit()
        db.engine.dispose()
    return path


@dataclass
class World:
    app: Flask
    path: Path | None  # the SQLite file, or None for the shared ``app``'s database (``populated``)

    def client(self) -> FreshContextClient:
        return self.app.test_client()

    def user(self, local: str):
        from safehome.extensions import db
        from safehome.models import User
        from safehome.services import demo

        return db.session.scalar(select(User).where(User.email == f"{local}@{demo.DEMO_DOMAIN}"))

    def signed_in(self, role: str, local: str | None = None) -> FreshContextClient:
        """A client signed in through the real form as the demo user of ``role``."""
        from safehome.services import demo

        c = self.client()
        email = f"{local or DEMO_LOGIN[role]}@{demo.DEMO_DOMAIN}"
        token = csrf_token_from(c.get("/login").get_data(as_text=True))
        response = c.post("/login", data={"email": email, "password": demo.DEMO_PASSWORD, "csrf_token": token})
        assert response.status_code == 302, f"{role} could not sign in"
        return c

    def bearer(self, role: str, local: str | None = None) -> dict:
        from safehome.extensions import db
        from safehome.services import SYSTEM, users

        _, secret = users.create_token(db.session, SYSTEM, self.user(local or DEMO_LOGIN[role]), "security test",
                                       max_days=365)
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(demo_template, tmp_path) -> World:
    from safehome.extensions import db

    path = tmp_path / "world.db"
    shutil.copy(demo_template, path)
    app = create_app(base_config(f"sqlite:///{path}"))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield World(app=app, path=path)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def populated(app, db) -> World:
    """The demo world loaded into the shared ``app``'s database: SQLite, and PostgreSQL when configured."""
    from safehome.services import SYSTEM, demo

    demo.load_demo(db.session, SYSTEM, password=demo.DEMO_PASSWORD, today=date.today())
    db.session.commit()
    return World(app=app, path=None)


def first_id(model, *where) -> int:
    """The smallest id of ``model`` matching ``where``, or an id that exists nowhere."""
    from safehome.extensions import db

    found = db.session.scalar(select(func.min(model.id)).where(*where))
    return found if found is not None else 999_999


def sample_values(rule) -> dict:
    """Values for a URL rule's arguments, naming rows that exist in the demo world."""
    from safehome import models as m
    from safehome.codes import CaseStatus
    from safehome.services import reports

    path = rule.rule
    request_model = m.HousingOptionsRequest if "housing-options" in path else m.PerpetratorRequest
    today = date.today()
    values = {
        "household_id": lambda: first_id(m.Household, m.Household.status == CaseStatus.OPEN),
        "placement_id": lambda: first_id(m.Placement),
        "unit_id": lambda: first_id(m.Unit),
        "site_id": lambda: first_id(m.Site),
        "provider_id": lambda: first_id(m.Provider),
        "request_id": lambda: first_id(request_model),
        "install_id": lambda: first_id(m.SanctuaryInstall),
        "plan_id": lambda: first_id(m.MoveOnPlan),
        "block_id": lambda: first_id(m.MoveOnBlock),
        "run_id": lambda: first_id(m.MatchRun),
        "user_id": lambda: first_id(m.User),
        "token_id": lambda: first_id(m.ApiToken),
        "year": lambda: today.year,
        "quarter": lambda: 1,
        "key": lambda: next(iter(reports.REPORTS)),
        "chart": lambda: "main",
        "fmt": lambda: "csv",
        "filename": lambda: "css/safehome.css",
    }
    return {name: values[name]() for name in rule.arguments}


def table_counts() -> dict[str, int]:
    """Rows in every table but the audit trail (reads are audited, so that one grows) and the session
    store (a signed-out visitor's page holds a CSRF token in a new session)."""
    from safehome.extensions import db

    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name not in ("audit_events", "web_sessions"):
            counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    db.session.rollback()
    return counts


# A private PostgreSQL server the test may stop and start -----------------------------------

@dataclass
class PrivatePostgres:
    bin: Path
    data: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/safehome_security"

    def _ctl(self, *args: str) -> None:
        import subprocess

        subprocess.run([*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("-l", str(self.data.parent / "server.log"), "-w", "-t", "30",
                  "-o", f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


def _pg_bin() -> Path | None:
    import os

    if os.environ.get("PGBIN"):
        return Path(os.environ["PGBIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")
                                                                             if x.isdigit()])
    return found[-1] if found else None


@pytest.fixture(scope="session")
def private_postgres():
    """initdb a throwaway cluster (as .ci/run does), started on a free port; removed at the end."""
    import os
    import socket
    import subprocess
    import tempfile

    from tests.conftest import IN_CI

    pg_bin = _pg_bin()
    if pg_bin is None or not (pg_bin / "initdb").exists():
        if IN_CI:
            pytest.fail("CI is set but PostgreSQL's initdb was not found (set PGBIN)", pytrace=False)
        pytest.skip("PostgreSQL server binaries not installed here (set PGBIN)")
    folder = Path(tempfile.mkdtemp(prefix="safehome-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = PrivatePostgres(bin=pg_bin, data=folder / "data", port=port, run_as=run_as)
    subprocess.run([*run_as, str(pg_bin / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
    server.start()
    subprocess.run([*run_as, str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                    "safehome_security"], check=True, capture_output=True)
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by a failing test
        shutil.rmtree(folder, ignore_errors=True)
