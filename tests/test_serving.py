"""The app as production serves it: gunicorn with the repository's gunicorn.conf.py.

A browser keeps idle connections open between clicks; a worker must not sit
waiting on one while another user's request queues behind it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import DATA_KEY

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answering(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited: {log.read_text()}"
        try:
            requests.get(base + "/login", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            # Polling the condition: the worker is still importing the app (on a loaded machine the
            # first answer can take longer than one attempt's timeout: that is not a failure yet).
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer within 60 s: {log.read_text()}")


def test_an_idle_connection_does_not_hold_the_only_worker(sqlite_template, tmp_path):
    database = tmp_path / "serving.db"
    shutil.copy(sqlite_template, database)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "SAFEHOME_ENV": "development", "SECRET_KEY": "serving-test-secret-key-long-enough-0123",
           "SAFEHOME_DATA_KEY": DATA_KEY, "DATABASE_URL": f"sqlite:///{database}", "WEB_CONCURRENCY": "1"}
    env.pop("GUNICORN_CMD_ARGS", None)  # the settings under test are gunicorn.conf.py's alone
    with log.open("wb") as out:
        process = subprocess.Popen([str(GUNICORN), "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_answering(base, process, log)
        # One worker; a client connects and sends nothing, as a browser's spare connection does.
        with socket.create_connection(("127.0.0.1", port)) as idle:
            # Well under gunicorn's 30 s worker timeout, which is what a worker stuck on the idle
            # connection would wait for; long enough for a loaded machine.
            answer = requests.get(base + "/login", timeout=20)
            assert answer.status_code == 200
            assert 'name="csrf_token"' in answer.text
            # The idle connection is still open, not dropped to serve the other one.
            idle.settimeout(0)
            try:
                assert idle.recv(1) != b""
            except BlockingIOError:
                pass  # nothing to read and not closed: still open
    finally:
        process.terminate()
        process.wait(timeout=30)
