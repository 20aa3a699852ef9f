"""The HTTP side of `make bench`: gunicorn on 127.0.0.1 and wrk against it, bounded in time.

``Server`` starts gunicorn on a free port with the environment given and the
repository's gunicorn.conf.py, as production runs it (``WEB_CONCURRENCY`` in the
environment sets the worker count), waits until it answers, and stops it;
``rss_of_workers`` reads the resident memory of its worker processes. ``load``
runs wrk with a Lua script that cycles through a list of paths and prints the median, 95th
and 99th percentiles and the error counts; wrk's default 2 s timeout is
raised so a slow answer is measured rather than counted as an error.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WRK = "/usr/bin/wrk"

LUA = """
local paths = {%(paths)s}
local counter = 0
local think = {%(think)s}
if #think == 2 then
  -- a user reads the page before the next click
  delay = function() return math.random(think[1], think[2]) end
end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app with ``env``; a context manager."""

    def __init__(self, env: dict[str, str], log: Path | None = None):
        self.env, self.port = env, free_port()
        self.log = log or Path(tempfile.gettempdir()) / f"safehome-bench-gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "wsgi:app"], cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                requests.get(self.base + "/login", timeout=30)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        self.__exit__()  # never leave a server behind
        raise RuntimeError(f"gunicorn did not answer within 120 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True,
                             check=True)
        return [int(p) for p in out.stdout.split()]

    def rss_of_workers(self) -> list[int]:
        """Resident memory of each worker, in MiB."""
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) // 1024)
        return sizes


def login(base: str, email: str, password: str) -> requests.Session:
    """A requests session signed in through the login form (CSRF token read from the page)."""
    browser = requests.Session()
    page = browser.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    answer = browser.post(base + "/login", data={"csrf_token": token.group(1), "email": email, "password": password},
                          timeout=60, allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"login as {email} answered {answer.status_code}")
    return browser


def cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(base: str, paths: list[str], headers: dict[str, str], *, connections: int, seconds: int,
         threads: int = 2, think_ms: tuple[int, int] | None = None) -> LoadResult:
    """Run wrk for ``seconds`` with ``connections`` open, cycling through ``paths``.

    ``think_ms`` (low, high): each connection waits a random time in that range between requests, as a
    person browsing does; without it each connection sends its next request as soon as the answer comes.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % {"paths": ", ".join(f'"{p}"' for p in paths),
                            "think": ", ".join(str(ms) for ms in think_ms or ())})
    try:
        command = [WRK, "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{seconds}s",
                   "--timeout", "60s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(command + [base + paths[0]], capture_output=True, text=True,
                             timeout=seconds + 120, check=True)
    finally:
        os.unlink(script.name)
    match = re.search(r"^RESULT (.*)$", out.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no result: {out.stdout} {out.stderr}")
    n, duration, connect, read, write, status, timeout, p50, p95, p99 = map(int, match.group(1).split())
    return LoadResult(n, duration / 1e6, connect + read + write + status + timeout, p50 / 1000, p95 / 1000, p99 / 1000)
