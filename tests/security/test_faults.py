"""Faults: the database going away under the running app, and a server killed in the middle of writes."""
from __future__ import annotations

import pytest

from safehome import create_app
from tests.conftest import FreshContextClient, base_config
from tests.helpers import csrf_token_from


@pytest.mark.postgres_only
def test_postgresql_restarted_under_the_running_app_answers_503_then_recovers(private_postgres):
    from flask_migrate import upgrade

    from safehome.extensions import db
    from safehome.services import SYSTEM, users

    app = create_app(base_config(private_postgres.url))
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        user = users.create_user(db.session, SYSTEM, email="worker@example.org", name="Worker", role="housing_worker",
                                 password="correct horse battery staple")
        headers = {"Authorization": f"Bearer {users.create_token(db.session, SYSTEM, user, 'test', max_days=365)[1]}"}
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    browser = app.test_client()  # a signed-in browser: its session is read from the database
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    assert browser.post("/login", data={"email": "worker@example.org", "password": "correct horse battery staple",
                                        "csrf_token": token}).status_code == 302

    private_postgres.stop()
    try:
        for url in ("/api/v1/me", "/api/v1/units", "/api/v1/households"):
            down = client.get(url, headers=headers)
            assert down.status_code == 503, (url, down.status_code)
            assert down.get_json()["code"] == 503
            assert "database" in down.get_json()["message"]
        write = client.post("/api/v1/tokens", headers=headers, json={"name": "while down"})
        assert write.status_code == 503
        page = client.get("/dashboard", headers=headers)
        assert page.status_code == 503 and "not answering" in page.get_data(as_text=True)
        page = browser.get("/dashboard")
        assert page.status_code == 503 and "not answering" in page.get_data(as_text=True)
    finally:
        private_postgres.start()

    # Same app, same pool: pre-ping replaces the dead connections.
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert browser.get("/dashboard").status_code == 200  # still signed in
    made = client.post("/api/v1/tokens", headers=headers, json={"name": "after"})
    assert made.status_code == 201
    with app.app_context():
        db.engine.dispose()


# A real server killed in the middle of placements -----------------------------------------------

def _serve(db_path, port: int):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import DATA_KEY

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SAFEHOME_ENV": "testing", "DATABASE_URL": f"sqlite:///{db_path}",
           "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests", "SAFEHOME_DATA_KEY": DATA_KEY}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port),
                             "--no-reload", "--no-debugger", "--with-threads"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _request(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> int:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={**headers, "Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def _wait_until_up(process, port: int) -> None:
    import threading
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if _request(port, "GET", "/login", {}) == 200:
                return
        except OSError:
            threading.Event().wait(0.05)  # waiting on the condition "the port answers"
    raise AssertionError("the server did not come up")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_invariants(db_path) -> dict:
    """Every database invariant placements rely on; returns counts for the caller."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        live = "('offered', 'accepted', 'moved_in')"
        doubled = conn.execute(f"SELECT unit_id FROM placements WHERE state IN {live} "
                               "GROUP BY unit_id HAVING COUNT(*) > 1").fetchall()
        assert doubled == [], "a unit with two live placements"
        wrong = conn.execute(
            "SELECT p.id, p.state, u.status FROM placements p JOIN units u ON u.id = p.unit_id WHERE "
            "(p.state IN ('offered', 'accepted') AND u.status != 'offered') OR "
            "(p.state = 'moved_in' AND u.status != 'occupied')").fetchall()
        assert wrong == [], f"placements whose unit's status disagrees: {wrong}"
        # Every placement's history ends in its state: no state written without its event, or the reverse.
        torn = conn.execute(
            "SELECT p.id FROM placements p WHERE p.state != (SELECT e.to_state FROM placement_events e "
            "WHERE e.placement_id = p.id ORDER BY e.id DESC LIMIT 1)").fetchall()
        assert torn == [], f"placements whose last event is not their state: {torn}"
        return {"placements": conn.execute("SELECT COUNT(*) FROM placements").fetchone()[0]}
    finally:
        conn.close()


def test_a_server_killed_during_placements_leaves_the_database_consistent(world):
    import signal
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from safehome.codes import CaseStatus, UnitStatus
    from safehome.extensions import db
    from safehome.models import Household, Unit

    headers = world.bearer("housing_worker")
    households = list(db.session.scalars(select(Household.id).where(Household.status == CaseStatus.OPEN)))
    units = list(db.session.scalars(select(Unit.id).where(Unit.status == UnitStatus.AVAILABLE)))
    db.session.remove()
    db.engine.dispose()
    before = _check_invariants(world.path)

    port = _free_port()
    server = _serve(world.path, port)
    done = threading.Event()
    written = []

    def place(pair):
        household_id, unit_id = pair
        if done.is_set():
            return
        try:
            status = _request(port, "POST", "/api/v1/placements", headers, {"household_id": household_id,
                                                                            "unit_id": unit_id})
            written.append(status)
            # Kill once some offers are in and while more are in flight (most pairs do not fit: 422).
            if written.count(201) >= 3 or len(written) >= 60:
                done.set()
        except OSError:
            done.set()  # the server is gone

    try:
        _wait_until_up(server, port)
        pairs = [(h, u) for h, u in zip(households * 4, units * 4, strict=False)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(place, pair) for pair in pairs]
            done.wait(timeout=90)
            server.send_signal(signal.SIGKILL)  # in the middle: other threads are still writing
            server.wait(timeout=30)
            for future in futures:
                future.result()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert any(s == 201 for s in written), written

    after = _check_invariants(world.path)
    assert after["placements"] > before["placements"]

    # Restarted on the same file, the app works: reads and writes.
    port = _free_port()
    again = _serve(world.path, port)
    try:
        _wait_until_up(again, port)
        assert _request(port, "GET", "/api/v1/placements", headers) == 200
        assert _request(port, "POST", "/api/v1/placements", headers,
                        {"household_id": households[-1], "unit_id": units[-1]}) in (201, 409, 422)
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=30)
    _check_invariants(world.path)
